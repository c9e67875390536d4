// Parity between rendered tiers: allowed differences pass, any other fails.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { production } from '../../stacks/production.ts';
import { render } from '../../stacks/render.ts';
import { tiers } from '../../stacks/tiers.ts';
import { imageHashes } from '../support/rendering.ts';
import { breaksParity, parity } from '../../stacks/parity.ts';

const rendered = (stack: string, tier: keyof typeof tiers, portBase: number) =>
  render(production(), { stack, tier: tiers[tier], projectRoot: '/repo', imageHashes, portBase });

describe('parity', () => {
  it('dev vs prod differs only where the allow-list says', () => {
    const differences = parity(rendered('dev-ada', 'dev', 20100), rendered('prod', 'prod', 18100));
    assert.deepEqual(breaksParity(differences), []);
    const allowed = differences.map((d) => `${d.role} ${d.field} (${d.allowedAs})`).sort();
    assert.deepEqual(allowed, [
      'db host ports (ports)',
      'graphite host ports (ports)',
      'proxy host ports (ports)',
      'web command (live edit)',
      'web env.DEVENV_TIER (tier name)',
      'web env.FLAGS_FILE (live edit)',
      'web env.SEED (data source)',
      'web replicas (replicas)',
      'web source mounts (live edit)',
      'worker command (live edit)',
      'worker source mounts (live edit)',
    ]);
  });

  it('fails when a role runs another image', () => {
    const prod = rendered('prod', 'prod', 18100);
    const dev = rendered('dev-ada', 'dev', 20100);
    dev.containers.find((c) => c.role === 'db')!.image = 'devenv/db:ffffffffffffffff';
    assert.deepEqual(breaksParity(parity(dev, prod)), [
      { role: 'db', field: 'image', a: 'devenv/db:ffffffffffffffff', b: 'devenv/db:db00000000000000' },
    ]);
  });

  it('fails on env, health check, dependencies, memory and missing roles', () => {
    const prod = rendered('prod', 'prod', 18100);
    const dev = rendered('dev-ada', 'dev', 20100);
    const web = dev.containers.find((c) => c.role === 'web')!;
    web.env = { ...web.env, DATABASE_URL: 'postgres://elsewhere/shop' };
    web.secretEnv = { DATABASE_URL: 'postgres://elsewhere/shop' };
    web.memoryMb = 1024;
    web.dependsOn = ['db'];
    dev.containers = dev.containers.filter((c) => c.role !== 'cache');
    const broken = breaksParity(parity(dev, prod))
      .map((d) => `${d.role} ${d.field}`)
      .sort();
    assert.deepEqual(broken, ['cache role', 'web depends on', 'web env.DATABASE_URL', 'web memory (MiB)']);
  });

  it('allows replicas to differ', () => {
    const prod = rendered('prod', 'prod', 18100);
    const five = render(production(), {
      stack: 'prod',
      tier: { ...tiers.prod, replicas: { web: 5 } },
      projectRoot: '/repo',
      imageHashes,
      portBase: 18100,
    });
    const differences = parity(prod, five);
    assert.deepEqual(breaksParity(differences), []);
    assert.deepEqual(
      differences.map((d) => [d.role, d.field, d.a, d.b]),
      [['web', 'replicas', '3', '5']],
    );
    assert.deepEqual(
      five.containers.filter((c) => c.role === 'web').map((c) => c.name),
      ['prod-web-1', 'prod-web-2', 'prod-web-3', 'prod-web-4', 'prod-web-5'],
    );
  });
});
