// The base image's Debian mirror comes from the machine's own apt sources, never
// from a host written in the code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { debianMirrors } from '../../toolchain/base-image.ts';

describe('debianMirrors', () => {
  it('reads deb822 stanzas: the suite and its security suite', () => {
    const sources = [
      'Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main',
      'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main',
    ].join('\n\n');
    assert.deepEqual(debianMirrors(sources), {
      main: 'http://mirror.example/debian',
      security: 'http://security.example/debian-security',
    });
  });

  it('reads one-line entries, with options, and skips source packages and disabled stanzas', () => {
    const sources = [
      '# a comment',
      'deb-src http://src.example/debian bookworm main',
      'deb [arch=amd64 signed-by=/k.gpg] https://one.example/d bookworm main contrib',
    ].join('\n');
    assert.deepEqual(debianMirrors(sources), { main: 'https://one.example/d' });
    assert.equal(
      debianMirrors('Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no'),
      undefined,
    );
  });

  it('finds nothing where no source carries the suite', () => {
    assert.equal(debianMirrors(''), undefined);
    assert.equal(debianMirrors('deb http://old.example/debian bullseye main'), undefined);
    assert.equal(
      debianMirrors('deb file:/media/cdrom bookworm main'),
      undefined,
      'only a mirror images can reach over HTTP',
    );
  });
});
