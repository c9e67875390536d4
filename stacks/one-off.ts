// A one-off container: one command of an image on a stack's network (a release's
// migrations), removed when it ends. Started held, its image is loaded and its
// process up while other work runs (the rebuild's copy); it waits for a line on
// its stdin before it does anything, and stdin closed without one stops it.
import type { Duplex } from 'node:stream';
import { demuxFrames, labelKeys, removeIfPresent } from './docker-client.ts';
import { engineOf } from './host-engine.ts';
import type { Host } from './hosts.ts';
import { resourceName } from './naming.ts';

export interface OneOffSpec {
  stack: string;
  /** what it is, in its container's name and role label: migrate, rehearse */
  role: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  network: string;
  /** the fleet host whose engine runs it @default this machine's */
  engine?: Host;
}

export interface OneOffRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface HeldOneOff {
  /** Tells it to go, and waits for it to end. */
  go(): Promise<OneOffRun>;
  /** Stops it before it did anything, and removes it; nothing to do once it went. */
  cancel(): Promise<void>;
}

/** Runs the command to its end; the container is removed whatever happened. */
export async function runOneOff(spec: OneOffSpec): Promise<OneOffRun> {
  const container = await createOneOff(spec, false);
  try {
    await container.start();
    return await finish(container);
  } finally {
    await removeIfPresent(() => container.remove({ force: true }));
  }
}

/**
 * Starts the command held: it does nothing until told to go. On a fleet host it
 * is only made when told: docker-modem cannot hold an attached stdin open over
 * SSH (the hijacked connection never answers), so there is nothing to start ahead.
 */
export async function startHeldOneOff(spec: OneOffSpec): Promise<HeldOneOff> {
  if (spec.engine) return { go: () => runOneOff(spec), cancel: async () => {} };
  const container = await createOneOff(spec, true);
  let stdin: Duplex | undefined;
  try {
    stdin = (await container.attach({ stream: true, stdin: true, hijack: true })) as Duplex;
    await container.start();
  } catch (error) {
    stdin?.destroy();
    await removeIfPresent(() => container.remove({ force: true }));
    throw error;
  }
  let told = false;
  return {
    async go() {
      told = true;
      stdin!.end('go\n');
      try {
        return await finish(container);
      } finally {
        await removeIfPresent(() => container.remove({ force: true }));
      }
    },
    async cancel() {
      if (told) return;
      stdin!.destroy();
      await removeIfPresent(() => container.remove({ force: true }));
    },
  };
}

async function createOneOff(spec: OneOffSpec, held: boolean) {
  const docker = await engineOf(spec.engine);
  const name = resourceName(spec.stack, spec.role);
  // One of a kind per stack: a leftover of a killed run goes first.
  await removeIfPresent(() => docker.getContainer(name).remove({ force: true }));
  return docker.createContainer({
    name,
    Image: spec.image,
    Cmd: spec.command,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { [labelKeys.managed]: 'true', [labelKeys.stack]: spec.stack, [labelKeys.role]: spec.role },
    HostConfig: { NetworkMode: spec.network },
    // Held: stdin open for the one line that says go, closed when we close ours.
    ...(held && { OpenStdin: true, StdinOnce: true, AttachStdin: true }),
  });
}

async function finish(container: Awaited<ReturnType<typeof createOneOff>>): Promise<OneOffRun> {
  const { StatusCode } = (await container.wait()) as { StatusCode: number };
  const logs = (await container.logs({ stdout: true, stderr: true })) as Buffer;
  const { stdout, stderr } = demuxFrames(logs);
  return { exitCode: StatusCode, stdout: stdout.trim(), stderr: stderr.trim() };
}
