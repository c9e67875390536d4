// How an image built on this machine reaches a host: pushed once to devenv's
// registry (the ops stack's `registry` role) on loopback, then pulled by each
// host by digest from the address hosts reach it at. The tag is the image's
// content hash, and the registry is asked first, so an image it holds is not
// pushed again; a host that holds the digest pulls nothing (and needs no
// registry: a rollback to a release the host ran works with the registry down).
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { UserError } from '../lib/errors.ts';
import { dockerClient, inspectIfPresent } from './docker-client.ts';
import { readRegistryConfig, registryFiles, registryUser, type RegistryConfig } from './registry-files.ts';

export interface RegistryLocation {
  /** where this machine pushes: 127.0.0.1:<port> (the machine's dockerd lets loopback registries be) */
  push: string;
  /** where the fleet's hosts pull from: <hostAddress>:<port>, which their dockerd must trust the CA for */
  pull: string;
}

export interface Registry {
  location: RegistryLocation;
  username: string;
  password: string;
  /** the CA's certificate (PEM), which the registry's certificate is issued by */
  ca: string;
}

export interface PushedImage {
  /** sha256:... of the manifest */
  digest: string;
  /** what a host pulls and runs: <pull address>/<repository>@<digest> */
  ref: string;
  /** false when the registry already held this tag with this content */
  pushed: boolean;
}

export function registryLocation(config: RegistryConfig): RegistryLocation {
  return { push: `127.0.0.1:${config.port}`, pull: `${config.hostAddress}:${config.port}` };
}

/** The registry of a devenv home; a clear error when `devenv ops up` never made its files. */
export async function readRegistry(home: string): Promise<Registry> {
  const files = registryFiles(home);
  const read = async (path: string) =>
    readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      throw new UserError(
        `devenv's registry has no ${path}`,
        'run `devenv ops up`, which makes the registry and its files',
      );
    });
  const [password, ca, config] = await Promise.all([
    read(files.password),
    read(files.caCert),
    readRegistryConfig(home),
  ]);
  return { location: registryLocation(config), username: registryUser, password: password.trim(), ca };
}

/** repository and tag of a local image reference (devenv/web:0123abcd); a digest reference is refused. */
export function parseImageRef(ref: string): { repository: string; tag: string } {
  const match = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(ref);
  if (!match) throw new UserError(`"${ref}" is not an image reference of the form repository:tag`);
  return { repository: match[1]!, tag: match[2]! };
}

/** What a host pulls: the image by digest at the hosts' address of the registry. */
export function digestRef(location: RegistryLocation, repository: string, digest: string): string {
  return `${location.pull}/${repository}@${digest}`;
}

/** Docker's X-Registry-Auth for one address of the registry (dockerode encodes it). */
export function registryAuth(registry: Registry, address: string) {
  return { username: registry.username, password: registry.password, serveraddress: address };
}

const manifestTypes = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

interface RemoteManifest {
  digest: string;
  /** the image's config digest: the same as its ID on the engine that built it */
  config: string;
}

/** The failures of talking to the registry from this machine, in one line each. */
export function registryRefusal(registry: Registry, status: number | string): UserError {
  const at = registry.location.push;
  if (status === 401)
    return new UserError(
      `the registry at ${at} refused devenv's credentials (user ${registry.username}, the password in the devenv home)`,
      "make sure the registry there is this devenv home's: `devenv ops up` with the same DEVENV_HOME restarts it on its files",
    );
  if (typeof status === 'string' && /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|timed out/.test(status))
    return new UserError(`the registry does not answer at ${at} (${status})`, 'run `devenv ops up`, which starts it');
  if (typeof status === 'string' && /certificate|self.signed|altname/i.test(status))
    return new UserError(
      `the registry at ${at} presents a certificate devenv's CA did not issue for it (${status})`,
      'run `devenv ops up`, which issues it anew, and wait a few seconds for the registry to restart on it',
    );
  return new UserError(`the registry at ${at} answered ${status}`, 'see its log: `docker logs ops-registry`');
}

/** The manifest the registry holds for repository:tag, or undefined when it holds none. */
async function remoteManifest(
  registry: Registry,
  repository: string,
  tag: string,
): Promise<RemoteManifest | undefined> {
  const [hostname, port] = registry.location.push.split(':') as [string, string];
  const { status, digest, body } = await new Promise<{ status: number; digest: string; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          hostname,
          port: Number(port),
          path: `/v2/${repository}/manifests/${encodeURIComponent(tag)}`,
          method: 'GET',
          ca: registry.ca,
          headers: {
            accept: manifestTypes,
            authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
          },
          timeout: 5000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              digest: String(response.headers['docker-content-digest'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
      req.on('error', (error) => reject(registryRefusal(registry, error.message)));
      req.end();
    },
  );
  if (status === 404) return undefined;
  if (status !== 200) throw registryRefusal(registry, status);
  const config = (JSON.parse(body) as { config?: { digest?: string } }).config?.digest;
  return config && digest ? { digest, config } : undefined;
}

/** Follows a pull's or push's progress to its end; the engine's error ends it. Returns the events. */
function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, events: ProgressEvent[]) => {
      const failed = error?.message ?? events.find((event) => event.error)?.error;
      if (failed) reject(new Error(failed.trim()));
      else resolve(events);
    }),
  );
}

interface ProgressEvent {
  status?: string;
  error?: string;
  aux?: { Tag?: string; Digest?: string };
}

const pushing = new Map<string, Promise<PushedImage>>();

/**
 * Puts a local image in the registry under its own repository and tag, unless
 * the registry holds that tag with this content already. One push per image at
 * a time in this process: the hosts of a fleet ask for it together.
 */
export function pushImage(registry: Registry, localRef: string, docker: Docker = dockerClient()): Promise<PushedImage> {
  const key = `${registry.location.push} ${localRef}`;
  if (!pushing.has(key))
    pushing.set(
      key,
      push(registry, localRef, docker).finally(() => pushing.delete(key)),
    );
  return pushing.get(key)!;
}

async function push(registry: Registry, localRef: string, docker: Docker): Promise<PushedImage> {
  const { repository, tag } = parseImageRef(localRef);
  const local = await inspectIfPresent(() => docker.getImage(localRef).inspect());
  if (!local) throw new UserError(`there is no image ${localRef} on this machine's Docker engine`, 'build it first');
  const held = await remoteManifest(registry, repository, tag);
  if (held?.config === local.Id)
    return { digest: held.digest, ref: digestRef(registry.location, repository, held.digest), pushed: false };
  const target = `${registry.location.push}/${repository}`;
  await docker.getImage(localRef).tag({ repo: target, tag });
  const events = await followProgress(
    docker,
    await docker.getImage(target).push({ tag, authconfig: registryAuth(registry, registry.location.push) }),
  ).catch((error: Error) => {
    throw /unauthorized|authentication required/i.test(error.message)
      ? registryRefusal(registry, 401)
      : new Error(`pushing ${localRef} to the registry at ${registry.location.push} failed: ${error.message}`);
  });
  // The push tag only served the push: this machine keeps the image under its own name.
  await docker
    .getImage(`${target}:${tag}`)
    .remove()
    .catch(() => {});
  const digest = events.find((event) => event.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new Error(`pushing ${localRef} reported no digest`);
  return { digest, ref: digestRef(registry.location, repository, digest), pushed: true };
}

/** A host's failed pull in one line: which host, which address, and what to do. */
export function pullRefusal(host: string, address: string, digestRef: string, message: string): UserError {
  if (/unauthorized|authentication required|no basic auth/i.test(message))
    return new UserError(
      `${host}: the registry at ${address} refused devenv's credentials`,
      "make sure the registry there is this devenv home's (`devenv ops up` with the same DEVENV_HOME)",
    );
  if (/x509|certificate/i.test(message))
    return new UserError(
      `${host} does not trust the registry's certificate at ${address} (${message})`,
      `install the devenv home's registry/ca.crt on ${host} as /etc/docker/certs.d/${address}/ca.crt (\`devenv hosts local N\` does it for the local fleet)`,
    );
  if (/manifest unknown|not found/i.test(message))
    return new UserError(`the registry at ${address} has no ${digestRef}`, 'push the image again');
  if (
    /dial tcp|connection refused|i\/o timeout|no route to host|network is unreachable|deadline exceeded/i.test(message)
  )
    return new UserError(
      `${host} cannot reach the registry at ${address}: ${message}`,
      `check that the registry is up (\`devenv ops up\`) and listens on the address ${host} reaches this machine at (hostAddress in the devenv home's registry/registry.json)`,
    );
  return new UserError(`${host} could not pull ${digestRef}: ${message}`);
}

/**
 * Pulls the image by digest on a host's engine, with devenv's credentials;
 * nothing when the host holds that digest already. Says whether it pulled.
 */
export async function pullOnHost(
  registry: Registry,
  host: { name: string; docker: Docker },
  ref: string,
): Promise<{ pulled: boolean }> {
  const address = ref.slice(0, ref.indexOf('/'));
  if (await inspectIfPresent(() => host.docker.getImage(ref).inspect())) return { pulled: false };
  try {
    await followProgress(
      host.docker,
      await host.docker.createImage(registryAuth(registry, address), { fromImage: ref }),
    );
  } catch (error) {
    throw pullRefusal(host.name, address, ref, (error as Error).message);
  }
  return { pulled: true };
}
