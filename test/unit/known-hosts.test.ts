import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fingerprint,
  knownHostsName,
  matchesPin,
  parsePublicKey,
  pinnedKey,
  withPin,
} from '../../stacks/known-hosts.ts';

const keyA = { type: 'ssh-ed25519', base64: 'AAAAC3NzaC1lZDI1NTE5AAAAIMaoQoGG/Lm59Fxti1kILSW4TkRS1PETZmPVjcuEWV7Q' };
const keyB = { type: 'ssh-ed25519', base64: 'AAAAC3NzaC1lZDI1NTE5AAAAIOh5azp/CbNCxRVMxrqdHwjw8Y1VjoDdxuu1KN+NnwOA' };

describe('known_hosts', () => {
  it('names a host by its address, with the port in brackets off 22 (as OpenSSH does)', () => {
    assert.equal(knownHostsName('10.213.0.11'), '10.213.0.11');
    assert.equal(knownHostsName('10.213.0.11', 2222), '[10.213.0.11]:2222');
  });

  it("shows a key's fingerprint as ssh-keygen -l does", () => {
    // ssh-keygen -lf on keyA's .pub line printed this.
    assert.equal(fingerprint(keyA), 'SHA256:DfwZJ2Lt+B5TJVpbdJJ5l+StT7MoBbVsPelXJRwSQ9k');
  });

  it('reads a .pub line, and refuses what is not a public key', () => {
    assert.deepEqual(parsePublicKey(`${keyA.type} ${keyA.base64} host-1\n`), keyA);
    assert.equal(parsePublicKey(''), undefined);
    assert.equal(parsePublicKey('cat: /etc/ssh/ssh_host_ed25519_key.pub: No such file'), undefined);
    assert.equal(parsePublicKey('ssh-ed25519 not*base64'), undefined);
  });

  it('pins, replaces and drops one host without touching the others', () => {
    let text = withPin('', '10.213.0.11', keyA);
    text = withPin(text, '10.213.0.12', keyB);
    assert.equal(text, `10.213.0.11 ${keyA.type} ${keyA.base64}\n10.213.0.12 ${keyB.type} ${keyB.base64}\n`);
    assert.deepEqual(pinnedKey(text, '10.213.0.11'), keyA);
    text = withPin(text, '10.213.0.11', keyB);
    assert.deepEqual(pinnedKey(text, '10.213.0.11'), keyB);
    assert.equal(text.split('\n').filter(Boolean).length, 2, 'replaced, not added');
    text = withPin(text, '10.213.0.12', undefined);
    assert.equal(pinnedKey(text, '10.213.0.12'), undefined);
    assert.equal(withPin(text, '10.213.0.11', undefined), '');
  });

  it("reads OpenSSH's own lines: several names, comments, a port", () => {
    const text = `# pinned by hand\nedge,10.0.0.1 ${keyA.type} ${keyA.base64}\n[10.0.0.2]:2222 ${keyB.type} ${keyB.base64}\n`;
    assert.deepEqual(pinnedKey(text, '10.0.0.1'), keyA);
    assert.deepEqual(pinnedKey(text, knownHostsName('10.0.0.2', 2222)), keyB);
    assert.equal(pinnedKey(text, '10.0.0.2'), undefined, 'port 22 is another pin');
    assert.equal(pinnedKey(text, '10.0.0'), undefined, 'names match whole');
  });

  it('a presented key matches its pin by its wire form, byte for byte', () => {
    assert.ok(matchesPin(keyA, Buffer.from(keyA.base64, 'base64')));
    assert.equal(matchesPin(keyA, Buffer.from(keyB.base64, 'base64')), false);
  });
});
