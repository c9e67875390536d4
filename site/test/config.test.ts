import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../config.ts';

test('defaults are the deployment contract', () => {
  assert.deepEqual(readConfig({}), {
    port: 8080,
    databaseUrl: 'postgres://shop:shop@db:5432/shop',
    memcached: { host: 'cache', port: 11211 },
    statsd: { host: 'statsd', port: 8125 },
    statsdPrefix: 'shop',
    shopName: 'devenv shop',
    seed: 'dev',
    flagsFile: '/srv/site/flags.yaml',
    teamDir: '/srv/site/team',
    heartbeatFile: undefined,
  });
  assert.equal(readConfig({ HEARTBEAT_FILE: '/tmp/worker-alive' }).heartbeatFile, '/tmp/worker-alive');
});

test('SEED=none loads nothing; any other name is a seed', () => {
  assert.equal(readConfig({ SEED: 'none' }).seed, null);
  assert.equal(readConfig({ SEED: 'demo' }).seed, 'demo');
});

test('bad ports and addresses are refused with the variable named', () => {
  assert.throws(() => readConfig({ PORT: 'eighty' }), /PORT=eighty/);
  assert.throws(() => readConfig({ PORT: '70000' }), /PORT=70000/);
  assert.throws(() => readConfig({ MEMCACHED: 'cache' }), /MEMCACHED=cache must be host:port/);
  assert.deepEqual(readConfig({ STATSD: '127.0.0.1:9125' }).statsd, { host: '127.0.0.1', port: 9125 });
});
