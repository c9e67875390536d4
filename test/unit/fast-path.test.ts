// The no-op fast path may only say "unchanged" when everything matches exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unchanged, type Converged, type Observed } from '../../stacks/fast-path.ts';

const converged: Converged = {
  fingerprint: 'f1',
  portBase: 20100,
  files: { '/h/state.json': 's1', '/h/Pulumi.dev-ada.yaml': 'c1' },
  containers: { 'dev-ada-web': 'id-web', 'dev-ada-db': 'id-db' },
  network: 'dev-ada-net',
  volumes: ['dev-ada-db-data'],
  images: ['devenv/web:aaaa', 'devenv/db:bbbb'],
};

const observed: Observed = {
  files: { '/h/state.json': 's1', '/h/Pulumi.dev-ada.yaml': 'c1' },
  running: { 'dev-ada-web': 'id-web', 'dev-ada-db': 'id-db' },
  containerCount: 2,
  networks: ['dev-ada-net'],
  volumes: ['dev-ada-db-data'],
  images: ['devenv/web:aaaa', 'devenv/db:bbbb', 'devenv/base:bookworm'],
};

const current = { fingerprint: 'f1', portBase: 20100 };

describe('fast path', () => {
  it('holds when everything matches', () => {
    assert.equal(unchanged(converged, current, observed), true);
  });

  const breaks: [string, Partial<typeof current>, Partial<Observed>][] = [
    ['the rendered spec or program changed', { fingerprint: 'f2' }, {}],
    ['the port range moved', { portBase: 20200 }, {}],
    ['the Pulumi state changed underneath', {}, { files: { ...observed.files, '/h/state.json': 's2' } }],
    ['the stack config changed', {}, { files: { ...observed.files, '/h/Pulumi.dev-ada.yaml': 'c2' } }],
    ['a container was removed', {}, { running: { 'dev-ada-web': 'id-web' }, containerCount: 1 }],
    ['a container stopped', {}, { running: { 'dev-ada-web': 'id-web' } }],
    ['a container was replaced by hand', {}, { running: { ...observed.running, 'dev-ada-web': 'id-other' } }],
    ['an extra container carries the label', {}, { containerCount: 3 }],
    ['the network is gone', {}, { networks: [] }],
    ['a volume is gone', {}, { volumes: [] }],
    ['an image was removed', {}, { images: ['devenv/web:aaaa'] }],
  ];
  for (const [name, cur, obs] of breaks) {
    it(`falls through when ${name}`, () => {
      assert.equal(unchanged(converged, { ...current, ...cur }, { ...observed, ...obs }), false);
    });
  }
});
