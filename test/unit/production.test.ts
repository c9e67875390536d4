// The production stack: roles validated and ordered at load time; tiers rendered from it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { composeStack, production } from '../../stacks/production.ts';
import { render } from '../../stacks/render.ts';
import { tiers } from '../../stacks/tiers.ts';
import type { Role } from '../../roles/role.ts';

const role = (name: string, dependsOn: string[] = [], extra: Partial<Role> = {}): Role => ({
  name,
  image: { name },
  env: {},
  ports: { http: 80 },
  publish: ['http'],
  volumes: [],
  dependsOn,
  replicas: 1,
  resources: { memoryMb: 64 },
  ...extra,
});

describe('composeStack', () => {
  it('orders roles after their dependencies', () => {
    const stack = composeStack([role('proxy', ['web']), role('web', ['db']), role('db')]);
    assert.deepEqual(stack.roles.map((r) => r.name), ['db', 'web', 'proxy']);
  });

  it('names an unknown dependency', () => {
    assert.throws(() => composeStack([role('web', ['dbb'])]), /role web depends on unknown role "dbb"/);
  });

  it('names the roles of a cycle', () => {
    assert.throws(() => composeStack([role('a', ['b']), role('b', ['c']), role('c', ['a'])]), /cycle: a -> b -> c -> a/);
  });

  it('refuses bad role data', () => {
    assert.throws(() => composeStack([role('Web')]), /lowercase/);
    assert.throws(() => composeStack([role('web', [], { publish: ['admin'] })]), /publishes port "admin"/);
    assert.throws(() => composeStack([role('web', [], { replicas: 0 })]), /at least 1 replica/);
    assert.throws(() => composeStack([role('web'), role('web')]), /share a name/);
  });
});

describe('render', () => {
  const inputs = (stack: string, tier: keyof typeof tiers) => ({
    stack,
    tier: tiers[tier],
    projectRoot: '/repo',
    imageHashes: { web: '0123456789abcdef' },
    portBase: 20100,
  });

  it('renders the dev tier with live edit and per-user ports, labelled', () => {
    const rendered = render(production(), inputs('dev-ada', 'dev'));
    const web = rendered.containers.find((c) => c.role === 'web')!;
    assert.equal(web.name, 'dev-ada-web');
    assert.equal(web.image, 'devenv/web:0123456789abcdef');
    assert.deepEqual(web.ports, [{ name: 'http', container: 8080, host: 20100 }]);
    assert.deepEqual(web.mounts, [{ path: '/srv/site', hostPath: '/repo/site', readOnly: true }]);
    assert.deepEqual(web.labels, { 'devenv.managed': 'true', 'devenv.stack': 'dev-ada', 'devenv.role': 'web' });
    assert.equal(rendered.network, 'dev-ada-net');
  });

  it('gives prod the same image and no source mount', () => {
    const dev = render(production(), inputs('dev-ada', 'dev'));
    const prod = render(production(), inputs('prod', 'prod'));
    assert.deepEqual(prod.images.map((i) => i.ref), dev.images.map((i) => i.ref));
    assert.ok(prod.containers.every((c) => c.mounts.every((m) => !m.hostPath)));
  });
});
