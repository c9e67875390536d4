// The one way to reach the Docker engine: DOCKER_HOST when set, else the default
// socket (dockerode reads DOCKER_HOST itself).
import Docker from 'dockerode';

export const baseImageName = 'devenv/base:bookworm';

/** Labels every resource we create carries, so `destroy` and tests can find them. */
export const labelKeys = {
  managed: 'devenv.managed',
  stack: 'devenv.stack',
  role: 'devenv.role',
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
