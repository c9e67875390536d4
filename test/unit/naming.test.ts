// Resource naming, user names and the port ranges derived from them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imageRepository, networkName, resourceName } from '../../stacks/naming.ts';
import { devStackName, tierOfStack } from '../../stacks/tiers.ts';
import { normaliseUser } from '../../lib/user.ts';
import { candidateBases, hostPort, portRange } from '../../stacks/ports.ts';

describe('resource names', () => {
  it('are <stack>-<role>[-<n>]', () => {
    assert.equal(resourceName('dev-ada', 'web'), 'dev-ada-web');
    assert.equal(resourceName('prod', 'web', 2), 'prod-web-2');
    assert.equal(networkName('princess'), 'princess-net');
    assert.equal(imageRepository('web'), 'devenv/web');
  });

  it('refuse parts Docker would refuse or that could escape a name', () => {
    for (const bad of ['Dev', 'a b', '../x', '', '-x', 'a;b', 'a$(id)']) {
      assert.throws(() => resourceName(bad, 'web'), /not a valid name part/, bad);
    }
    assert.throws(() => resourceName('prod', 'web', 0), /start at 1/);
    assert.throws(() => resourceName('prod', 'web', 1.5), /start at 1/);
  });
});

describe('user names', () => {
  it('normalise what can be normalised', () => {
    assert.equal(normaliseUser('Ada'), 'ada');
    assert.equal(normaliseUser('ada.lovelace@example.com'), 'ada-lovelace');
    assert.equal(normaliseUser('  bob  '), 'bob');
    assert.equal(devStackName('Ada'), 'dev-ada');
  });

  it('refuse the rest in one line', () => {
    for (const bad of ['ada lovelace', 'x'.repeat(100), 'a;b', '$(rm -rf /)', '../etc', '']) {
      assert.throws(
        () => normaliseUser(bad),
        (e: Error) => /cannot be a user name/.test(e.message) && !e.message.includes('\n'),
        bad,
      );
    }
  });

  it('map stacks to tiers', () => {
    assert.equal(tierOfStack('dev-ada').name, 'dev');
    assert.equal(tierOfStack('prod').name, 'prod');
    assert.equal(tierOfStack('princess').name, 'princess');
    assert.throws(() => tierOfStack('staging'), /unknown stack/);
  });
});

describe('port ranges', () => {
  it('start at the user slot and cover every slot once', () => {
    const bases = candidateBases('ada');
    assert.equal(bases.length, portRange.slots);
    assert.equal(new Set(bases).size, portRange.slots);
    assert.ok(
      bases.every(
        (b) =>
          b >= portRange.first && b < portRange.first + portRange.slots * portRange.size && b % portRange.size === 0,
      ),
    );
    assert.deepEqual(candidateBases('ada'), bases, 'stable');
    assert.notEqual(candidateBases('bob')[0], bases[0]);
  });

  it('hand out host ports within the range', () => {
    assert.equal(hostPort(20000, 0), 20000);
    assert.equal(hostPort(20000, 9), 20009);
    assert.throws(() => hostPort(20000, 10), /below 10/);
  });
});
