// What a stack runs lives in its Pulumi stack file, beside what Pulumi keeps there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { releaseFromConfig, withReleaseConfig } from '../../stacks/releases.ts';

const stackFile = `encryptionsalt: v1:abc:def
config:
  devenv:portBase: "21900"
`;

describe('the release in the stack config', () => {
  it('is written beside the secrets salt and other config, and read back', () => {
    const written = withReleaseConfig(stackFile, {
      commit: 'c2',
      repo: '/src/shop',
      previous: { commit: 'c1', repo: '/src/shop' },
    });
    const parsed = parse(written) as { encryptionsalt: string; config: Record<string, unknown> };
    assert.equal(parsed.encryptionsalt, 'v1:abc:def');
    assert.equal(parsed.config['devenv:portBase'], '21900');
    assert.deepEqual(releaseFromConfig(parsed.config), {
      commit: 'c2',
      repo: '/src/shop',
      previous: { commit: 'c1', repo: '/src/shop' },
    });
  });

  it('a release without a previous one clears the old previous; an empty file gets a config', () => {
    const first = withReleaseConfig('', { commit: 'c1', repo: '/r', previous: { commit: 'c0', repo: '/r' } });
    const again = withReleaseConfig(first, { commit: 'c1', repo: '/r' });
    assert.deepEqual(releaseFromConfig((parse(again) as { config: Record<string, unknown> }).config), {
      commit: 'c1',
      repo: '/r',
    });
  });

  it('a config naming no release, or half of one, is no release', () => {
    assert.equal(releaseFromConfig({}), undefined);
    assert.equal(releaseFromConfig({ 'devenv:release': 'c1' }), undefined);
  });
});
