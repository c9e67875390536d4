import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleetProblems } from '../../stacks/hosts.ts';
import {
  fleetHost,
  hostDefinition,
  localFleetNetwork,
  localHostIndex,
  localHostSpec,
  localHostSpecs,
  maxLocalHosts,
  resizePlan,
  type ExistingHost,
} from '../../hosts/local-fleet-plan.ts';

describe('local hosts: names and addresses', () => {
  it('host N is devenv-host-N at .10+N of the fleet subnet, its Docker data on its own volume', () => {
    assert.deepEqual(localHostSpec(1), {
      index: 1,
      name: 'host-1',
      container: 'devenv-host-1',
      volume: 'devenv-host-1-docker',
      address: '10.213.0.11',
    });
    assert.equal(localHostSpec(maxLocalHosts).address, '10.213.0.30');
    assert.equal(localFleetNetwork.subnet, '10.213.0.0/24');
  });

  it('addresses are fixed: the same host has the same address whatever the count', () => {
    assert.deepEqual(
      localHostSpecs(3).map((spec) => spec.address),
      ['10.213.0.11', '10.213.0.12', '10.213.0.13'],
    );
    assert.equal(localHostSpecs(5)[1]?.address, localHostSpecs(2)[1]?.address);
  });

  it('refuses host numbers outside 1..max', () => {
    assert.throws(() => localHostSpec(0), /from 1 to 20/);
    assert.throws(() => localHostSpec(maxLocalHosts + 1), /from 1 to 20/);
    assert.throws(() => localHostSpec(1.5), /from 1 to 20/);
  });

  it("reads a host's number back from its container name, and only from a host's name", () => {
    assert.equal(localHostIndex('devenv-host-3'), 3);
    assert.equal(localHostIndex('/devenv-host-12'), 12);
    assert.equal(localHostIndex('devenv-host-probe'), undefined);
    assert.equal(localHostIndex('devenv-host-0'), undefined);
    assert.equal(localHostIndex('devenv-host-1-docker'), undefined);
    assert.equal(localHostIndex('my-devenv-host-1'), undefined);
  });

  it('a local fleet of any size is a sound fleet: Docker over SSH as deploy, distinct names and addresses', () => {
    const hosts = localHostSpecs(maxLocalHosts).map(fleetHost);
    assert.deepEqual(hosts[0], { name: 'host-1', docker: 'ssh://deploy@10.213.0.11', address: '10.213.0.11' });
    assert.deepEqual(fleetProblems({ hosts, placement: { web: ['host-1', 'host-2'] } }, ['web']), []);
  });
});

describe('hostDefinition', () => {
  const inputs = { image: 'devenv/host:abc', authorizedKey: 'ssh-ed25519 AAAA key', spec: localHostSpec(1) };
  it('changes with the image, the key and the host, and only with what makes the host', () => {
    const base = hostDefinition(inputs);
    assert.match(base, /^[0-9a-f]{16}$/);
    assert.equal(hostDefinition({ ...inputs, authorizedKey: 'ssh-ed25519 AAAA key\n' }), base, 'a trailing newline');
    assert.notEqual(hostDefinition({ ...inputs, image: 'devenv/host:def' }), base);
    assert.notEqual(hostDefinition({ ...inputs, authorizedKey: 'ssh-ed25519 BBBB key' }), base);
    assert.notEqual(hostDefinition({ ...inputs, spec: localHostSpec(2) }), base);
  });
});

describe('resizePlan', () => {
  const definitionOf = (index: number) => `def-${index}`;
  const running = (index: number): ExistingHost => ({ index, definition: definitionOf(index), running: true });

  it('from nothing: every host is made', () => {
    const plan = resizePlan([], 2, definitionOf);
    assert.deepEqual(plan, { create: [1, 2], replace: [], start: [], keep: [], remove: [] });
  });

  it('the same count again changes nothing', () => {
    const plan = resizePlan([running(1), running(2)], 2, definitionOf);
    assert.deepEqual(plan, { create: [], replace: [], start: [], keep: [1, 2], remove: [] });
  });

  it('growing adds the next hosts and keeps the others', () => {
    assert.deepEqual(resizePlan([running(1), running(2)], 4, definitionOf), {
      create: [3, 4],
      replace: [],
      start: [],
      keep: [1, 2],
      remove: [],
    });
  });

  it('shrinking removes the highest numbers, so the kept hosts keep their addresses', () => {
    assert.deepEqual(resizePlan([running(3), running(1), running(2)], 1, definitionOf), {
      create: [],
      replace: [],
      start: [],
      keep: [1],
      remove: [2, 3],
    });
  });

  it('a stopped host is started, a host with another definition is remade, a gap is filled', () => {
    const existing = [
      { index: 1, definition: definitionOf(1), running: false },
      { index: 2, definition: 'an older image', running: true },
      running(4),
    ];
    const plan = resizePlan(existing, 4, definitionOf);
    assert.deepEqual(plan, { create: [3], replace: [2], start: [1], keep: [4], remove: [] });
  });

  it('refuses a count outside 1..max', () => {
    assert.throws(() => resizePlan([], 0, definitionOf), /1 to 20 hosts/);
    assert.throws(() => resizePlan([], maxLocalHosts + 1, definitionOf), /1 to 20 hosts/);
  });
});
