// One-off containers on the real Docker engine: run to the end, or started held
// and told to go (how the rebuild rehearses migrations while it copies).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { runOneOff, startHeldOneOff, type OneOffSpec } from '../../stacks/one-off.ts';
import { baseImageName, dockerClient, labelKeys } from '../../stacks/docker-client.ts';

const stack = `itest-oneoff${process.pid}`;
const spec = (role: string, script: string): OneOffSpec => ({
  stack,
  role,
  image: baseImageName,
  command: ['sh', '-c', script],
  env: { GREETING: 'hello' },
  network: 'bridge',
});

async function leftovers(): Promise<string[]> {
  const listed = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${labelKeys.stack}=${stack}`] },
  });
  return listed.map((c) => c.Names[0] ?? '');
}

describe('one-off containers', { timeout: 120_000 }, () => {
  after(async () => {
    for (const name of await leftovers()) await dockerClient().getContainer(name.slice(1)).remove({ force: true });
  });

  it('runs to the end: exit code, each stream, the env given; the container is removed', async () => {
    const run = await runOneOff(spec('run', 'echo "$GREETING out"; echo err >&2; exit 3'));
    assert.deepEqual(run, { exitCode: 3, stdout: 'hello out', stderr: 'err' });
    assert.deepEqual(await leftovers(), []);
  });

  it('started held, it does nothing until told, then reads the line that says go', async () => {
    const held = await startHeldOneOff(spec('held', 'read line; echo "told: $line"'));
    const [running] = await dockerClient().listContainers({ filters: { label: [`${labelKeys.stack}=${stack}`] } });
    assert.equal(running?.State, 'running', 'it waits, up, before it is told');
    const run = await held.go();
    assert.deepEqual(run, { exitCode: 0, stdout: 'told: go', stderr: '' });
    await held.cancel(); // once it went, nothing to cancel
    assert.deepEqual(await leftovers(), []);
  });

  it('cancelled before it was told, it is stopped and removed', async () => {
    const held = await startHeldOneOff(spec('cancelled', 'read line && touch /tmp/went; sleep 30'));
    await held.cancel();
    assert.deepEqual(await leftovers(), []);
  });

  it('a leftover of a killed run with the same name goes first', async () => {
    await dockerClient().createContainer({
      name: `${stack}-again`,
      Image: baseImageName,
      Cmd: ['true'],
      Labels: { [labelKeys.stack]: stack },
    });
    const run = await runOneOff(spec('again', 'echo fresh'));
    assert.equal(run.stdout, 'fresh');
    assert.deepEqual(await leftovers(), []);
  });
});
