// The one way to reach the Docker engine: DOCKER_HOST when set, else the default
// socket (dockerode reads DOCKER_HOST itself).
import Docker from 'dockerode';

export const baseImageName = 'devenv/base:bookworm';

/** Labels every resource we create carries, so `destroy` and tests can find them. */
export const labelKeys = {
  managed: 'devenv.managed',
  stack: 'devenv.stack',
  role: 'devenv.role',
  /** across a fleet: the image's tag as built here (the host runs it by its registry digest) */
  image: 'devenv.image',
} as const;

export function dockerClient(): Docker {
  return new Docker();
}

/** The engine's version when it answers within the timeout, else undefined. */
export async function dockerVersion(docker: Docker = dockerClient(), timeoutMs = 3000): Promise<string | undefined> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
  const version = docker
    .version()
    .then((v) => v.Version)
    .catch(() => undefined);
  return Promise.race([version, timeout]);
}

export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number } | null)?.statusCode === 404;
}

/** What an inspect returns, or undefined when the object does not exist; other errors throw. */
export async function inspectIfPresent<T>(inspect: () => Promise<T>): Promise<T | undefined> {
  try {
    return await inspect();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Removes a container, network or volume, treating "already gone" as success. */
export async function removeIfPresent(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** A whole multiplexed stream (an exec's or a container's output: 8-byte frame headers), split by stream. */
export function demuxFrames(buffer: Buffer): { stdout: string; stderr: string } {
  const parts: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts[buffer[at] === 2 ? 'stderr' : 'stdout'].push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { stdout: Buffer.concat(parts.stdout).toString('utf8'), stderr: Buffer.concat(parts.stderr).toString('utf8') };
}

/** Runs a command in a running container to its end: exit code and output, by stream. */
export async function execIn(
  container: Docker.Container,
  cmd: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  return { code: (await exec.inspect()).ExitCode ?? 1, ...demuxFrames(Buffer.concat(chunks)) };
}

/**
 * Runs a container's health test (Docker's `Healthcheck.Test`) once, now: the
 * readiness probe `up` waits on, and what `status` asks while Docker's own check
 * has not run yet (its first run comes one interval after the start).
 */
export async function passesHealthTest(container: Docker.Container, tests: string[]): Promise<boolean> {
  const [kind, ...rest] = tests;
  if (kind === 'NONE' || rest.length === 0) return true;
  const cmd = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : rest;
  return (await execIn(container, cmd)).code === 0;
}

/** A container's log (the last `tail` lines, or all), both streams, as text. */
export async function containerLogs(container: Docker.Container, tail?: number): Promise<string> {
  const buffer = (await container.logs({ stdout: true, stderr: true, ...(tail !== undefined && { tail }) })) as Buffer;
  const { stdout, stderr } = demuxFrames(buffer);
  return `${stdout}${stderr}`.trim();
}
