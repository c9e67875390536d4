// A rolling step: which replicas run the next release, and which images the stack declares.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { production } from '../../stacks/production.ts';
import { render, rollingStep } from '../../stacks/render.ts';
import { tiers } from '../../stacks/tiers.ts';

const hashes = (web: string) => ({
  web,
  db: 'db00000000000000',
  cache: 'ca00000000000000',
  statsd: '5a00000000000000',
  graphite: '9a00000000000000',
  proxy: 'b000000000000000',
});
const next = render(production(), {
  stack: 'prod',
  tier: tiers.prod,
  projectRoot: '/releases/new',
  imageHashes: hashes('1111111111111111'),
  portBase: 18100,
});
const running = Object.fromEntries(
  render(production(), {
    stack: 'prod',
    tier: tiers.prod,
    projectRoot: '/releases/old',
    imageHashes: hashes('0000000000000000'),
    portBase: 18100,
  }).containers.map((c) => [c.name, c.image]),
);
const imagesOf = (step: ReturnType<typeof rollingStep>) =>
  Object.fromEntries(
    step.containers
      .filter((c) => c.image.startsWith('devenv/web'))
      .map((c) => [c.name, c.image.split(':')[1]!.slice(0, 1)]),
  );

describe('rollingStep', () => {
  it('moves one replica at a time; the worker goes with the first', () => {
    assert.deepEqual(imagesOf(rollingStep(next, running, 1)), {
      'prod-web-1': '1',
      'prod-web-2': '0',
      'prod-web-3': '0',
      'prod-worker': '1',
    });
    assert.deepEqual(imagesOf(rollingStep(next, running, 2)), {
      'prod-web-1': '1',
      'prod-web-2': '1',
      'prod-web-3': '0',
      'prod-worker': '1',
    });
    assert.deepEqual(imagesOf(rollingStep(next, running, 3)), {
      'prod-web-1': '1',
      'prod-web-2': '1',
      'prod-web-3': '1',
      'prod-worker': '1',
    });
  });

  it('declares the previous web image while some replica still runs it, and only then', () => {
    const refs = (n: number) =>
      rollingStep(next, running, n)
        .images.filter((i) => i.name === 'web')
        .map((i) => `${i.ref}${i.previous ? ' (previous)' : ''}`);
    assert.deepEqual(refs(1), ['devenv/web:1111111111111111', 'devenv/web:0000000000000000 (previous)']);
    assert.deepEqual(refs(3), ['devenv/web:1111111111111111']);
  });

  it('zero replicas on the new release is a rollback to what ran', () => {
    assert.deepEqual(imagesOf(rollingStep(next, running, 0)), {
      'prod-web-1': '0',
      'prod-web-2': '0',
      'prod-web-3': '0',
      'prod-worker': '0',
    });
  });

  it('a container that did not run before starts on the next release', () => {
    const { 'prod-web-3': _gone, ...fewer } = running;
    assert.equal(imagesOf(rollingStep(next, fewer, 0))['prod-web-3'], '1');
  });
});
