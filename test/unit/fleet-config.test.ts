// A fleet as data: read from what a person wrote (or a stack's config), placed by
// default on a local fleet, and rolled across in batches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollBatches } from '../../deploy/steps.ts';
import { fleetFromData } from '../../stacks/fleet-config.ts';
import { defaultPlacement, fleetProblems } from '../../stacks/hosts.ts';
import { withConfigValues } from '../../stacks/stack-config.ts';

const roles = ['proxy', 'web', 'worker', 'db', 'cache', 'statsd', 'graphite'];

describe('fleetFromData', () => {
  it('reads hosts and placement', () => {
    const fleet = fleetFromData({
      hosts: [{ name: 'edge-1', docker: 'ssh://deploy@10.0.0.1', address: '10.0.0.1' }],
      placement: { web: ['edge-1'] },
    });
    assert.deepEqual(fleet, {
      hosts: [{ name: 'edge-1', docker: 'ssh://deploy@10.0.0.1', address: '10.0.0.1' }],
      placement: { web: ['edge-1'] },
    });
  });

  it('says in one line what is wrong with its shape', () => {
    assert.match(fleetFromData('hosts') as string, /a fleet is a map/);
    assert.match(fleetFromData({ placement: {} }) as string, /needs a list of hosts/);
    assert.match(fleetFromData({ hosts: [{ name: 'a' }], placement: {} }) as string, /host 1 of the fleet needs/);
    assert.match(fleetFromData({ hosts: [], placement: { web: 'a' } }) as string, /placement of web must be a list/);
  });
});

describe('defaultPlacement', () => {
  it('puts the proxy and the data roles on the data host and web on every host, a sound fleet', () => {
    const placement = defaultPlacement(roles, ['host-1', 'host-2', 'host-3'], 'host-2');
    assert.deepEqual(placement.web, ['host-1', 'host-2', 'host-3']);
    for (const role of ['proxy', 'db', 'cache', 'statsd', 'graphite', 'worker'])
      assert.deepEqual(placement[role], ['host-2']);
    const hosts = ['host-1', 'host-2', 'host-3'].map((name, i) => ({
      name,
      docker: `ssh://deploy@10.0.0.${i + 1}`,
      address: `10.0.0.${i + 1}`,
    }));
    assert.deepEqual(fleetProblems({ hosts, placement }, roles), []);
  });

  it('refuses a data host that is not in the fleet', () => {
    assert.throws(() => defaultPlacement(roles, ['host-1'], 'host-9'), /host-9 is not one of the fleet's hosts/);
  });
});

describe('rollBatches', () => {
  it('one replica at a time by default, n at a time with --parallel n', () => {
    assert.deepEqual(rollBatches(3, 1), [[1], [2], [3]]);
    assert.deepEqual(rollBatches(4, 2), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(rollBatches(3, 2), [[1, 2], [3]]);
    assert.deepEqual(rollBatches(2, 8), [[1, 2]]);
    assert.throws(() => rollBatches(3, 0), /--parallel must be 1 or more/);
  });
});

describe('withConfigValues', () => {
  it('sets and removes keys, keeping the rest of the stack file', () => {
    const before = 'encryptionsalt: v1:abc\nconfig:\n  devenv:portBase: "20100"\n';
    const after = withConfigValues(before, {
      'devenv:fleet': { hosts: [], placement: {} },
      'devenv:portBase': undefined,
    });
    assert.match(after, /^encryptionsalt: v1:abc$/m);
    assert.doesNotMatch(after, /portBase/);
    assert.match(after, /devenv:fleet:\n\s+hosts: \[\]/);
  });
});
