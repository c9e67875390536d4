// doctor's decision logic: what setup does for each combination of found/missing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseImageMethod,
  isAtLeast,
  planRows,
  pulumiInstallMethod,
  unfixable,
  type Facts,
} from '../../toolchain/plan.ts';

function facts(overrides: { [K in keyof Facts]?: Partial<Facts[K]> } = {}): Facts {
  return {
    node: { version: 'v24.21.0', ...overrides.node },
    docker: {
      answers: true,
      version: '20.10.24',
      daemonInstalled: true,
      isRoot: true,
      isDebian: true,
      ...overrides.docker,
    },
    pulumi: {
      version: 'v3.274.1',
      source: 'tools',
      broken: false,
      wanted: '3.274.1',
      goInstalled: true,
      ...overrides.pulumi,
    },
    baseImage: { present: true, name: 'devenv/base:bookworm', ...overrides.baseImage },
    disk: { freeBytes: 50 * 1024 ** 3, path: '/root/.devenv', ...overrides.disk },
  };
}

const row = (f: Facts, name: string) => planRows(f).find((r) => r.name === name)!;

describe('doctor plan', () => {
  it('is all ok when everything is found', () => {
    const rows = planRows(facts());
    assert.deepEqual(
      rows.map((r) => [r.name, r.ok]),
      [
        ['node', true],
        ['docker', true],
        ['pulumi', true],
        ['base-image', true],
        ['disk', true],
      ],
    );
    assert.deepEqual(unfixable(rows), []);
  });

  const dockerCases: [string, Partial<Facts['docker']>, string | undefined][] = [
    ['answers', {}, undefined],
    ['installed, stopped, root on Debian', { answers: false }, 'start-docker'],
    ['missing, root on Debian', { answers: false, daemonInstalled: false }, 'install-docker'],
    ['missing, not root', { answers: false, daemonInstalled: false, isRoot: false }, undefined],
    ['missing, root, not Debian', { answers: false, daemonInstalled: false, isDebian: false }, undefined],
    ['stopped, not root', { answers: false, isRoot: false }, undefined],
  ];
  for (const [name, docker, action] of dockerCases) {
    it(`docker ${name} -> ${action ?? 'no action'}`, () => {
      const r = row(facts({ docker }), 'docker');
      assert.equal(r.action, action);
      assert.equal(r.ok, docker.answers !== false);
    });
  }

  it('docker that cannot be fixed is reported to the user with what to do', () => {
    const rows = planRows(
      facts({ docker: { answers: false, daemonInstalled: false, isRoot: false }, baseImage: { present: false } }),
    );
    const blocking = unfixable(rows).map((r) => r.name);
    assert.deepEqual(blocking, ['docker', 'base-image']);
    assert.match(rows.find((r) => r.name === 'docker')!.advice, /install a Docker engine/);
  });

  const pulumiCases: [string, Partial<Facts['pulumi']>, boolean, string | undefined][] = [
    ['pinned in tools', {}, true, undefined],
    ['newer on PATH', { version: 'v3.280.0', source: 'path' }, true, undefined],
    ['older on PATH', { version: 'v3.100.0', source: 'path' }, false, 'install-pulumi'],
    ['next major on PATH', { version: 'v4.0.0', source: 'path' }, false, 'install-pulumi'],
    ['missing', { version: undefined, source: undefined }, false, 'install-pulumi'],
    ['truncated binary in tools', { version: undefined, broken: true }, false, 'rebuild-pulumi'],
  ];
  for (const [name, pulumi, ok, action] of pulumiCases) {
    it(`pulumi ${name} -> ${ok ? 'ok' : action}`, () => {
      const r = row(facts({ pulumi }), 'pulumi');
      assert.equal(r.ok, ok);
      assert.equal(r.action, action);
    });
  }

  it('base image missing is made when docker answers or can be started', () => {
    assert.equal(row(facts({ baseImage: { present: false } }), 'base-image').action, 'make-base-image');
    assert.equal(
      row(facts({ baseImage: { present: false }, docker: { answers: false } }), 'base-image').action,
      'make-base-image',
    );
    assert.equal(
      row(facts({ baseImage: { present: false }, docker: { answers: false, isRoot: false } }), 'base-image').action,
      undefined,
    );
  });

  it('old node and low disk are reported, not fixed', () => {
    const rows = planRows(facts({ node: { version: 'v20.20.2' }, disk: { freeBytes: 1024 ** 3 } }));
    assert.deepEqual(
      unfixable(rows).map((r) => r.name),
      ['node', 'disk'],
    );
  });

  it('chooses how to install pulumi and make the base image', () => {
    assert.equal(pulumiInstallMethod({ installerAnswers: true, goInstalled: true }), 'official-installer');
    assert.equal(pulumiInstallMethod({ installerAnswers: false, goInstalled: true }), 'build-from-source');
    assert.equal(pulumiInstallMethod({ installerAnswers: false, goInstalled: false }), undefined);
    assert.equal(baseImageMethod({ registryAnswers: true, canDebootstrap: true }), 'pull');
    assert.equal(baseImageMethod({ registryAnswers: false, canDebootstrap: true }), 'debootstrap');
    assert.equal(baseImageMethod({ registryAnswers: false, canDebootstrap: false }), undefined);
  });

  it('compares versions', () => {
    assert.ok(isAtLeast('v22.13.0', { major: 22, minor: 13 }));
    assert.ok(!isAtLeast('v22.12.9', { major: 22, minor: 13 }));
    assert.ok(isAtLeast('v24.0.0', { major: 22, minor: 13 }));
    assert.ok(!isAtLeast('3.270.0', { major: 3, minor: 274, patch: 1 }));
  });
});
