// A tier rendered onto a fleet: each container on its host, every port published
// on its host's address, and the addresses roles reach each other by rendered
// from the placement (a role's name on one host's network, host:port across hosts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Fleet } from '../../stacks/hosts.ts';
import { production } from '../../stacks/production.ts';
import { render, rollingStep, urlsOf } from '../../stacks/render.ts';
import { tiers } from '../../stacks/tiers.ts';
import { imageHashes } from '../support/rendering.ts';
import { program } from '../../stacks/program.ts';

const fleet: Fleet = {
  hosts: [
    { name: 'host-1', docker: 'ssh://deploy@10.9.0.11', address: '10.9.0.11' },
    { name: 'host-2', docker: 'ssh://deploy@10.9.0.12', address: '10.9.0.12' },
    { name: 'host-3', docker: 'ssh://deploy@10.9.0.13', address: '10.9.0.13' },
  ],
  placement: {
    proxy: ['host-1'],
    db: ['host-1'],
    cache: ['host-1'],
    statsd: ['host-1'],
    graphite: ['host-1'],
    worker: ['host-2'],
    web: ['host-1', 'host-2', 'host-3'],
  },
};
const inputs = (withFleet?: Fleet) => ({
  stack: 'prod',
  tier: tiers.prod,
  projectRoot: '/repo',
  imageHashes,
  portBase: 18100,
  secrets: { dbPassword: 'hunter2' },
  ...(withFleet && { fleet: withFleet }),
});

describe('render onto a fleet', () => {
  const rendered = render(production(), inputs(fleet));
  const container = (name: string) => rendered.containers.find((c) => c.name === name)!;

  it('puts each replica on its host, in turn over the role’s hosts', () => {
    assert.deepEqual(
      rendered.containers.filter((c) => c.role === 'web').map((c) => c.host?.name),
      ['host-1', 'host-2', 'host-3'],
    );
    assert.equal(container('prod-db').host?.name, 'host-1');
    assert.deepEqual(
      rendered.hosts?.map((h) => h.name),
      ['host-1', 'host-2', 'host-3'],
    );
  });

  it('publishes every port, the stack’s own URLs at their usual offsets and the rest from offset 10', () => {
    assert.deepEqual(
      container('prod-proxy').ports.map((p) => [p.name, p.host]),
      [['http', 18100]],
    );
    const webPorts = rendered.containers.filter((c) => c.role === 'web').map((c) => c.ports[0]!.host);
    assert.ok(webPorts.every((port) => port >= 18110 && port < 18200));
    const strides = webPorts.slice(1).map((port, i) => port - webPorts[i]!);
    assert.equal(new Set(strides).size, 1, 'replicas are evenly spaced');
    const statsd = container('prod-statsd').ports.find((p) => p.name === 'statsd')!;
    assert.equal(statsd.protocol, 'udp');
    const hostPorts = rendered.containers.flatMap((c) => c.ports.map((p) => `${c.host!.name}:${p.host}`));
    assert.equal(new Set(hostPorts).size, hostPorts.length, 'no host:port is published twice');
  });

  it('scaling web on a fleet adds replicas and moves nothing: the first keeps its name and every port stays', () => {
    const published = (stack: ReturnType<typeof render>) =>
      new Map(stack.containers.map((c) => [c.name, c.ports.map((p) => `${c.host!.name}:${p.host}`).join(' ')]));
    const one = published(render(production(), inputs({ ...fleet, replicas: { web: 1 } })));
    const three = published(rendered);
    assert.ok(one.has('prod-web-1'), 'one replica of a scaled role is still numbered');
    for (const [name, ports] of one) assert.equal(three.get(name), ports, `${name} keeps its ports`);
  });

  it('renders the site’s addresses from the placement: by name on one host, host:port across hosts', () => {
    const dbPort = container('prod-db').ports.find((p) => p.name === 'postgres')!.host;
    assert.equal(container('prod-web-1').env.DATABASE_URL, 'postgres://shop:hunter2@db:5432/shop');
    assert.equal(container('prod-web-2').env.DATABASE_URL, `postgres://shop:hunter2@10.9.0.11:${dbPort}/shop`);
    assert.match(container('prod-worker').env.STATSD!, /^10\.9\.0\.11:181\d\d$/);
    assert.equal(container('prod-statsd').env.GRAPHITE, 'graphite:2003');
    const replicas = rendered.containers.filter((c) => c.role === 'web');
    assert.equal(
      container('prod-proxy').env.WEB_UPSTREAM,
      replicas.map((c) => `${c.host!.address}:${c.ports[0]!.host}`).join(' '),
    );
  });

  it('lets every host of the fleet into the database, and no one more on one host', () => {
    assert.equal(container('prod-db').env.CLIENT_HOSTS, '10.9.0.11 10.9.0.12 10.9.0.13');
    const controlled = render(production(), inputs({ ...fleet, controller: '10.9.0.1' }));
    assert.equal(
      controlled.containers.find((c) => c.role === 'db')!.env.CLIENT_HOSTS,
      '10.9.0.11 10.9.0.12 10.9.0.13 10.9.0.1',
    );
    assert.equal(render(production(), inputs()).containers.find((c) => c.role === 'db')!.env.CLIENT_HOSTS, '');
  });

  it('mid-roll, a replica not yet rolled keeps its image and the label naming it, so it is not replaced', () => {
    const previous = 'devenv/web:ffffffffffffffff';
    const running = Object.fromEntries(
      rendered.containers.filter((c) => c.role === 'web').map((c) => [c.name, previous]),
    );
    const step = rollingStep(rendered, running, 1);
    const [first, second] = step.containers.filter((c) => c.role === 'web');
    assert.equal(first!.image, 'devenv/web:0123456789abcdef');
    assert.equal(first!.labels['devenv.image'], 'devenv/web:0123456789abcdef');
    assert.equal(second!.image, previous);
    assert.equal(second!.labels['devenv.image'], previous);
  });

  it('makes each volume on every host its role runs on, and the URLs point at the hosts', () => {
    assert.deepEqual(
      rendered.volumes.filter((v) => v.role === 'web').map((v) => v.host),
      ['host-1', 'host-2', 'host-3'],
    );
    const urls = urlsOf(rendered);
    assert.equal(urls['proxy.http'], 'http://10.9.0.11:18100/');
    assert.equal(urls['db.postgres'], 'postgres://10.9.0.11:18102');
    assert.equal(urls['web.http'], undefined);
  });

  it('renders a tier without a fleet as before: names on the stack’s network, nothing on a host', () => {
    const local = render(production(), inputs());
    const web = local.containers.find((c) => c.role === 'web')!;
    assert.equal(web.env.DATABASE_URL, 'postgres://shop:hunter2@db:5432/shop');
    assert.equal(web.env.MEMCACHED, 'cache:11211');
    assert.equal(local.containers.find((c) => c.role === 'proxy')!.env.WEB_UPSTREAM, 'web:8080');
    assert.ok(local.containers.every((c) => c.host === undefined));
    assert.equal(local.hosts, undefined);
  });

  it('puts the tier’s secret in the env that needs it, marked; rendered without it, the stack cannot be applied', () => {
    assert.equal(container('prod-db').env.POSTGRES_PASSWORD, 'hunter2');
    assert.deepEqual(container('prod-db').secretEnv, { POSTGRES_PASSWORD: '{{secret:dbPassword}}' });
    assert.deepEqual(container('prod-web-1').secretEnv, {
      DATABASE_URL: 'postgres://shop:{{secret:dbPassword}}@db:5432/shop',
    });
    const { secrets: _, ...withoutSecrets } = inputs();
    const blind = render(production(), withoutSecrets);
    assert.equal(blind.withoutSecrets, true);
    assert.equal(blind.containers.find((c) => c.role === 'db')!.env.POSTGRES_PASSWORD, '(secret)');
    assert.throws(() => program(blind, { logDir: '/tmp' }), /rendered without its secrets/);
    const dev = render(production(), { ...withoutSecrets, stack: 'dev-ada', tier: tiers.dev });
    assert.equal(dev.containers.find((c) => c.role === 'db')!.env.POSTGRES_PASSWORD, 'shop');
  });

  it('gives a role the replicas its fleet asks for: one web replica per host', () => {
    const two = render(production(), inputs({ ...fleet, replicas: { web: 2 } }));
    assert.deepEqual(
      two.containers.filter((c) => c.role === 'web').map((c) => c.host?.name),
      ['host-1', 'host-2'],
    );
  });

  it('refuses a fleet for a tier with per-developer ports, and an unsound placement, naming the problem', () => {
    assert.throws(() => render(production(), { ...inputs(fleet), stack: 'dev-ada', tier: tiers.dev }), /fixed ports/);
    assert.throws(
      () => render(production(), inputs({ ...fleet, placement: { ...fleet.placement, db: ['host-9'] } })),
      /role db is placed on an unknown host "host-9"/,
    );
  });
});
