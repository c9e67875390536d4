import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleetProblems, localFleet, parseDockerEndpoint, replicaHosts, type Fleet } from '../../stacks/hosts.ts';

const roles = ['proxy', 'web', 'db'];
const threeHosts: Fleet = {
  hosts: [
    { name: 'edge-1', docker: 'ssh://deploy@10.0.0.1', address: '10.0.0.1' },
    { name: 'app-1', docker: 'ssh://deploy@10.0.0.2:2222', address: '10.0.0.2' },
    { name: 'data-1', docker: 'tcp://10.0.0.3:2376', address: '10.0.0.3' },
  ],
  placement: { proxy: ['edge-1'], web: ['app-1', 'data-1'], db: ['data-1'] },
};

describe('parseDockerEndpoint', () => {
  it('reads ssh, tcp with TLS and the local socket', () => {
    assert.deepEqual(parseDockerEndpoint('ssh://deploy@10.0.0.2:2222'), {
      kind: 'ssh',
      user: 'deploy',
      host: '10.0.0.2',
      port: 2222,
    });
    assert.deepEqual(parseDockerEndpoint('ssh://deploy@10.0.0.2'), {
      kind: 'ssh',
      user: 'deploy',
      host: '10.0.0.2',
      port: 22,
    });
    assert.deepEqual(parseDockerEndpoint('tcp://10.0.0.3'), { kind: 'tcp', host: '10.0.0.3', port: 2376 });
    assert.deepEqual(parseDockerEndpoint('unix:///var/run/docker.sock'), {
      kind: 'socket',
      path: '/var/run/docker.sock',
    });
  });

  it('refuses in words: no user, plain-TCP Docker, an unknown scheme, not a URL', () => {
    assert.match(parseDockerEndpoint('ssh://10.0.0.2') as string, /names no user/);
    assert.match(parseDockerEndpoint('tcp://10.0.0.3:2375') as string, /without TLS/);
    assert.match(parseDockerEndpoint('http://10.0.0.3') as string, /is not a Docker endpoint/);
    assert.match(parseDockerEndpoint('10.0.0.3') as string, /is not a Docker endpoint/);
  });
});

describe('fleetProblems', () => {
  it('a sound fleet, and the local one every tier had, have none', () => {
    assert.deepEqual(fleetProblems(threeHosts, roles), []);
    assert.deepEqual(fleetProblems(localFleet(roles), roles), []);
  });

  it('names each problem on a line of its own', () => {
    const broken: Fleet = {
      hosts: [
        ...threeHosts.hosts,
        { name: 'app-2', docker: 'ssh://deploy@10.0.0.9', address: '10.0.0.2' },
        { name: 'Bad_Name', docker: 'ssh://10.0.0.7', address: '10.0.0.7' },
      ],
      placement: { proxy: ['edge-9'], db: ['data-1', 'data-1'], mailer: ['app-1'] },
    };
    assert.deepEqual(fleetProblems(broken, roles), [
      'hosts app-1 and app-2 have one address, 10.0.0.2',
      'host name "Bad_Name" must be lowercase letters, digits and -, starting with a letter',
      'host Bad_Name: "ssh://10.0.0.7" names no user: ssh://user@address',
      'role web is placed on no host',
      'role proxy is placed on an unknown host "edge-9"',
      'role db names one host twice',
      'the placement names an unknown role "mailer"',
    ]);
  });

  it('two hosts on one engine, or with one name, are refused', () => {
    const twice: Fleet = {
      hosts: [
        { name: 'a', docker: 'ssh://d@10.0.0.1', address: '10.0.0.1' },
        { name: 'a', docker: 'ssh://d@10.0.0.1', address: '10.0.0.5' },
      ],
      placement: { proxy: ['a'], web: ['a'], db: ['a'] },
    };
    assert.deepEqual(fleetProblems(twice, roles), [
      'two hosts are named a',
      'hosts a and a have one Docker engine, ssh://d@10.0.0.1',
    ]);
  });
});

describe('replicaHosts', () => {
  it("spreads a role's replicas over its hosts in turn", () => {
    assert.deepEqual(replicaHosts(threeHosts, 'web', 3), ['app-1', 'data-1', 'app-1']);
    assert.deepEqual(replicaHosts(threeHosts, 'proxy', 1), ['edge-1']);
    assert.throws(() => replicaHosts(threeHosts, 'cache', 1), /placed on no host/);
  });
});
