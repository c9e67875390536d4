// The production stack: roles validated and ordered at load time; tiers rendered from it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { composeStack, production } from '../../stacks/production.ts';
import { render } from '../../stacks/render.ts';
import { tiers } from '../../stacks/tiers.ts';
import { imageHashes } from '../support/rendering.ts';
import type { Role } from '../../roles/role.ts';

const role = (name: string, dependsOn: string[] = [], extra: Partial<Role> = {}): Role => ({
  name,
  image: { name },
  env: {},
  ports: { http: 80 },
  publish: {},
  volumes: [],
  dependsOn,
  replicas: 1,
  resources: { memoryMb: 64 },
  ...extra,
});

describe('composeStack', () => {
  it('orders roles after their dependencies', () => {
    const stack = composeStack([role('proxy', ['web']), role('web', ['db']), role('db')]);
    assert.deepEqual(
      stack.roles.map((r) => r.name),
      ['db', 'web', 'proxy'],
    );
  });

  it('names an unknown dependency', () => {
    assert.throws(() => composeStack([role('web', ['dbb'])]), /role web depends on unknown role "dbb"/);
  });

  it('names the roles of a cycle', () => {
    assert.throws(
      () => composeStack([role('a', ['b']), role('b', ['c']), role('c', ['a'])]),
      /cycle: a -> b -> c -> a/,
    );
  });

  it('refuses bad role data', () => {
    assert.throws(() => composeStack([role('Web')]), /lowercase/);
    assert.throws(() => composeStack([role('web', [], { publish: { admin: 1 } })]), /publishes port "admin"/);
    assert.throws(
      () => composeStack([role('web', [], { publish: { http: 0 } }), role('api', [], { publish: { http: 0 } })]),
      /web.http and api.http are both published at offset 0/,
    );
    assert.throws(() => composeStack([role('web', [], { replicas: 0 })]), /at least 1 replica/);
    assert.throws(() => composeStack([role('web'), role('web')]), /share a name/);
  });
});

describe('render', () => {
  const inputs = (stack: string, tier: keyof typeof tiers) => ({
    stack,
    tier: tiers[tier],
    projectRoot: '/repo',
    imageHashes,
    portBase: 20100,
  });

  it('composes the seven roles of production, dependencies first', () => {
    const names = production().roles.map((r) => r.name);
    assert.deepEqual([...names].sort(), ['cache', 'db', 'graphite', 'proxy', 'statsd', 'web', 'worker']);
    assert.ok(names.indexOf('db') < names.indexOf('web') && names.indexOf('web') < names.indexOf('proxy'));
    assert.ok(names.indexOf('graphite') < names.indexOf('statsd'));
  });

  it('renders the dev tier with live edit, dev seed and per-user ports, labelled', () => {
    const rendered = render(production(), inputs('dev-ada', 'dev'));
    const web = rendered.containers.find((c) => c.role === 'web')!;
    assert.equal(web.name, 'dev-ada-web');
    assert.equal(web.image, 'devenv/web:0123456789abcdef');
    assert.deepEqual(web.mounts, [
      { path: '/srv/flags', volume: 'dev-ada-web-flags', readOnly: false },
      { path: '/srv/site', hostPath: '/repo/site', readOnly: true },
      { path: '/srv/site/node_modules', tmpfs: true, readOnly: true },
    ]);
    assert.deepEqual(web.command, ['node', '--watch', 'server.ts']);
    assert.equal(web.env.SEED, 'dev');
    assert.deepEqual(web.labels, { 'devenv.managed': 'true', 'devenv.stack': 'dev-ada', 'devenv.role': 'web' });
    const published = rendered.containers.flatMap((c) => c.ports.map((p) => `${c.role}.${p.name}=${p.host}`)).sort();
    assert.deepEqual(published, ['db.postgres=20102', 'graphite.http=20101', 'proxy.http=20100']);
    assert.equal(rendered.network, 'dev-ada-net');
    assert.deepEqual(rendered.volumes.map((v) => v.name).sort(), [
      'dev-ada-db-data',
      'dev-ada-graphite-whisper',
      'dev-ada-web-flags',
    ]);
  });

  it('gives prod the same images, its own data and no source mount', () => {
    const dev = render(production(), inputs('dev-ada', 'dev'));
    const prod = render(production(), inputs('prod', 'prod'));
    assert.deepEqual(
      prod.images.map((i) => i.ref),
      dev.images.map((i) => i.ref),
    );
    assert.ok(prod.containers.every((c) => c.mounts.every((m) => !m.hostPath)));
    assert.equal(prod.containers.find((c) => c.role === 'web')!.env.SEED, 'none');
    assert.deepEqual(prod.containers.find((c) => c.role === 'worker')!.command, ['node', 'worker.ts']);
  });
});
