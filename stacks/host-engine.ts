// Reaching a host of a fleet over SSH, the way devenv reaches every host:
// dockerode through docker-modem's ssh support (ssh2 underneath; every request
// is one SSH session running `docker system dial-stdio` on the host), and plain
// commands through ssh2. Both log in with the fleet key and refuse a host whose
// host key is not the one pinned in <home>/fleet/known_hosts: an address that
// answers is not proof of which machine answers.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import ssh2, { type ConnectConfig } from 'ssh2';
import { UserError } from '../lib/errors.ts';
import { contextFromEnvironment } from '../lib/paths.ts';
import { dockerClient } from './docker-client.ts';
import { localEngineEndpoint, parseDockerEndpoint, type DockerEndpoint, type Host } from './hosts.ts';
import { fleetFiles, fleetPrivateKey, hostTls, hostTlsFiles, pinnedHostKey } from './fleet-files.ts';
import { knownHostsName, matchesPin, parsePublicKey, type PublicKey } from './known-hosts.ts';

/** How long a host has to finish the SSH handshake before it counts as not answering. */
export const sshReadyTimeoutMs = 5000;

export interface SshTarget {
  user: string;
  address: string;
  port: number;
}

/** Where a host's sshd is, from its Docker endpoint; a host not reached over SSH is refused in one line. */
export function sshTarget(host: Host): SshTarget {
  const endpoint = parseDockerEndpoint(host.docker);
  if (typeof endpoint === 'string') throw new UserError(`host ${host.name}: ${endpoint}`);
  if (endpoint.kind !== 'ssh')
    throw new UserError(
      `host ${host.name} is reached at ${host.docker}, not over SSH`,
      'give it an ssh://user@address endpoint',
    );
  return { user: endpoint.user, address: endpoint.host, port: endpoint.port };
}

/** The one-line refusal of a host whose key is not the pinned one (or that has none pinned). */
export function hostKeyRefusal(host: Host, target: SshTarget, knownHosts: string, pinned: boolean): UserError {
  const where = `${host.name} (${knownHostsName(target.address, target.port)})`;
  return pinned
    ? new UserError(
        `${where} presented an SSH host key other than the one pinned in ${knownHosts}, so devenv refuses it`,
        `if ${host.name} was remade on purpose, delete its line from that file and pin its new key (\`devenv hosts local N\` for a local host, \`devenv hosts setup\` for another); otherwise find out what answers at ${target.address}`,
      )
    : new UserError(
        `${where} has no SSH host key pinned in ${knownHosts}, so devenv refuses it`,
        'pin it with `devenv hosts setup ssh://user@address` (`devenv hosts local N` pins the hosts it makes)',
      );
}

/**
 * ssh2 calls this with the key the server presents, during the handshake. A
 * refusal is thrown rather than returned: ssh2 ends the connection with the
 * thrown error, so the caller's promise rejects with our one line instead of
 * "Host denied (verification failed)".
 */
function pinnedKeyVerifier(
  host: Host,
  target: SshTarget,
  home: string,
  pinned: PublicKey | undefined,
  onUnpinnedKey: ((key: PublicKey) => void) | undefined,
) {
  return (presented: Buffer): boolean => {
    if (pinned && matchesPin(pinned, presented)) return true;
    const key = pinned ? undefined : presentedKey(presented);
    if (key && onUnpinnedKey) {
      onUnpinnedKey(key);
      return true;
    }
    throw hostKeyRefusal(host, target, fleetFiles(home).knownHosts, pinned !== undefined);
  };
}

/** A key's wire form as known_hosts writes it: its type is the first string inside. */
function presentedKey(presented: Buffer): PublicKey | undefined {
  if (presented.length < 4) return undefined;
  const length = presented.readUInt32BE(0);
  const type = presented.subarray(4, 4 + length).toString('latin1');
  return parsePublicKey(`${type} ${presented.toString('base64')}`);
}

export interface ExecOptions {
  /**
   * For a host met for the first time (`devenv hosts setup`): when no key is
   * pinned for it, the key it presents is accepted and handed here, for the
   * caller to show and pin once the login succeeds. A key other than a pinned
   * one is refused all the same.
   */
  onUnpinnedKey?: (key: PublicKey) => void;
  /** the command's output as it comes, both streams (a long install's progress) */
  onOutput?: (text: string) => void;
}

/** ssh2's settings for one host: the fleet key to log in, the pinned key to check the host. */
async function connectConfig(
  home: string,
  host: Host,
  onUnpinnedKey?: (key: PublicKey) => void,
): Promise<ConnectConfig & { host: string; port: number }> {
  const target = sshTarget(host);
  const [privateKey, pinned] = await Promise.all([
    fleetPrivateKey(home),
    pinnedHostKey(home, knownHostsName(target.address, target.port)),
  ]);
  return {
    host: target.address,
    port: target.port,
    username: target.user,
    privateKey,
    hostVerifier: pinnedKeyVerifier(host, target, home, pinned, onUnpinnedKey),
    readyTimeout: sshReadyTimeoutMs,
  };
}

/**
 * docker-modem builds each SSH request's URL from the bare host in a form Node's
 * url.parse calls invalid (https://github.com/apocas/docker-modem/issues/184),
 * and Node prints a DEP0170 deprecation on stderr, although the URL is never used
 * to connect. That one warning is dropped; every other warning goes through.
 */
let modemWarningQuieted = false;
function quietModemUrlWarning(): void {
  if (modemWarningQuieted) return;
  modemWarningQuieted = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).startsWith('The URL ssh:') && rest.includes('DEP0170')) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** The host's endpoint, parsed; one that does not parse is a one-line error naming the host. */
function endpointOf(host: Host): DockerEndpoint {
  const endpoint = parseDockerEndpoint(host.docker);
  if (typeof endpoint === 'string') throw new UserError(`host ${host.name}: ${endpoint}`);
  return endpoint;
}

/**
 * A dockerode client for the host's own Docker engine: over SSH with the pinned
 * host key, over TCP with TLS both ways (the host's CA and devenv's client
 * certificate, from <home>/fleet/tls/<host>/), or at a socket on this machine.
 */
export async function hostDocker(home: string, host: Host): Promise<Docker> {
  const endpoint = endpointOf(host);
  switch (endpoint.kind) {
    case 'socket':
      return new Docker({ socketPath: endpoint.path });
    case 'tcp':
      return new Docker({
        protocol: 'https',
        host: endpoint.host,
        port: endpoint.port,
        ...(await hostTls(home, host.name)),
      });
    case 'ssh': {
      quietModemUrlWarning();
      const { host: address, port, username, ...sshOptions } = await connectConfig(home, host);
      return new Docker({ protocol: 'ssh', host: address, port, ...(username && { username }), sshOptions });
    }
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a shell command on the host as the SSH user, to its end (for what Docker's API does not say: disk, load). */
export async function hostExec(
  home: string,
  host: Host,
  command: string,
  options: ExecOptions = {},
): Promise<CommandResult> {
  const config = await connectConfig(home, host, options.onUnpinnedKey);
  const client = new ssh2.Client();
  try {
    return await new Promise<CommandResult>((resolve, reject) => {
      client.once('error', reject);
      client.once('ready', () =>
        client.exec(command, (error, channel) => {
          if (error) return reject(error);
          const stdout: Buffer[] = [];
          const stderr: Buffer[] = [];
          let code = 1;
          // A decoder per stream: a character split across two chunks comes out whole.
          const decoders = [new TextDecoder(), new TextDecoder()] as const;
          channel.on('data', (chunk: Buffer) => {
            stdout.push(chunk);
            options.onOutput?.(decoders[0].decode(chunk, { stream: true }));
          });
          channel.stderr.on('data', (chunk: Buffer) => {
            stderr.push(chunk);
            options.onOutput?.(decoders[1].decode(chunk, { stream: true }));
          });
          channel.on('exit', (exitCode: number | null) => (code = exitCode ?? 1));
          channel.on('close', () =>
            resolve({
              code,
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
            }),
          );
        }),
      );
      client.connect(config);
    });
  } finally {
    client.end();
  }
}

/** A Docker engine a stack runs on, with the fleet host it is (none: this machine's). */
export interface StackEngine {
  host?: Host;
  docker: Docker;
}

/** The engines of a stack: each of its fleet's hosts, or this machine's alone. */
export async function stackEngines(hosts: readonly Host[] | undefined): Promise<StackEngine[]> {
  if (!hosts) return [{ docker: dockerClient() }];
  return Promise.all(hosts.map(async (host) => ({ host, docker: await engineOf(host) })));
}

/**
 * A unix socket on this machine that is the host's Docker engine, so the docker
 * CLI reaches any host with DOCKER_HOST=unix://<path>: over SSH each connection
 * to it is an SSH session running `docker system dial-stdio` there (as
 * docker-modem does), with the fleet key and the pinned host key; over TCP each
 * is a TLS connection with the host's CA and devenv's client certificate. A
 * host whose engine is a socket here is that socket.
 */
export async function hostEngineSocket(
  home: string,
  host: Host,
): Promise<{ path: string; close: () => Promise<void> }> {
  const endpoint = endpointOf(host);
  if (endpoint.kind === 'socket') return { path: endpoint.path, close: async () => {} };
  const connect: (local: Socket, end: () => void) => () => void =
    endpoint.kind === 'tcp'
      ? await (async () => {
          const credentials = await hostTls(home, host.name);
          return (local: Socket, end: () => void) => {
            const remote = tlsConnect({ host: endpoint.host, port: endpoint.port, ...credentials });
            remote.once('error', end);
            remote.once('secureConnect', () => local.pipe(remote).pipe(local));
            remote.once('close', end);
            return () => remote.destroy();
          };
        })()
      : await (async () => {
          const config = await connectConfig(home, host);
          return (local: Socket, end: () => void) => {
            const client = new ssh2.Client();
            client.once('error', end);
            client.once('ready', () =>
              client.exec('docker system dial-stdio', (error, channel) => {
                if (error) return end();
                local.pipe(channel).pipe(local);
                channel.once('close', end);
              }),
            );
            client.connect(config);
            return () => client.end();
          };
        })();
  const dir = await mkdtemp(join(tmpdir(), 'devenv-engine-'));
  const path = join(dir, 'docker.sock');
  const open = new Set<() => void>();
  const server = createServer((local) => {
    let closeRemote = () => {};
    const end = () => {
      local.destroy();
      closeRemote();
      open.delete(end);
    };
    open.add(end);
    local.on('error', end);
    closeRemote = connect(local, end);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  return {
    path,
    close: async () => {
      // The server closes once its connections are gone: each is ended, not waited for.
      for (const end of [...open]) end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const engines = new Map<string, Promise<Docker>>();

/**
 * The Docker engine a resource lives on: this machine's, or its host's over SSH
 * (the providers run in the engine's own process, which is handed the devenv
 * home in DEVENV_HOME: the fleet key and the pins are there). One client per
 * host for the life of the process.
 */
export function engineOf(host: Host | undefined): Promise<Docker> {
  if (!host || host.docker === localEngineEndpoint) return Promise.resolve(dockerClient());
  const key = `${host.name} ${host.docker}`;
  if (!engines.has(key)) {
    const made = hostDocker(contextFromEnvironment().home, host);
    // A client that could not be made (a missing key or certificate) is asked for again next time, not kept.
    made.catch(() => engines.delete(key));
    engines.set(key, made);
  }
  return engines.get(key)!;
}

/** What kind of failure an SSH connection (or the Docker engine behind it) ended in. */
export type SshFailure = 'refused' | 'no-answer' | 'auth' | 'engine' | 'other';

export function sshFailure(error: unknown): SshFailure {
  const { code, level, message = '' } = (error ?? {}) as { code?: string; level?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || /timed out/i.test(message))
    return 'no-answer';
  if (level === 'client-authentication' || /authentication methods failed/i.test(message)) return 'auth';
  if (code === 'ECONNRESET' || /socket hang up|dial-stdio|Cannot connect to the Docker daemon/i.test(message))
    return 'engine';
  return 'other';
}

/** What kind of failure a TLS connection to a host's engine ended in. */
export type TlsFailure = 'refused' | 'no-answer' | 'host-not-trusted' | 'client-refused' | 'other';

export function tlsFailure(error: unknown): TlsFailure {
  const { code = '', message = '' } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || /timed out/i.test(message))
    return 'no-answer';
  // The server's alert when it refuses the client's certificate (ERR_SSL_..._ALERT_BAD_CERTIFICATE), or the
  // reset it ends the handshake with: asked first, since the alert's code names a certificate too.
  if (/ALERT/.test(code) || /alert|certificate required/i.test(message) || code === 'ECONNRESET')
    return 'client-refused';
  // Node's names for a server certificate its CA does not vouch for, or that names another address.
  if (/CERT|SIGNATURE|ALTNAME|SELF_SIGNED|ISSUER/.test(code)) return 'host-not-trusted';
  return 'other';
}

function firstLine(error: unknown): string {
  return (
    ((error as { message?: string } | undefined)?.message ?? '').split('\n')[0]?.trim() ||
    'it did not answer, for a reason nobody said'
  );
}

/** Why a host reached over TCP with TLS could not be asked, in one line. */
function tlsUnreachableReason(
  error: unknown,
  host: Host,
  endpoint: { host: string; port: number },
  home: string,
): string {
  const address = `${endpoint.host}:${endpoint.port}`;
  const files = hostTlsFiles(home, host.name);
  switch (tlsFailure(error)) {
    case 'refused':
      return `nothing listens at ${address} (is dockerd listening there with --tlsverify?)`;
    case 'no-answer':
      return `no answer from ${address} (is the host up?)`;
    case 'host-not-trusted':
      return `${address} presented a certificate that ${files.ca} does not vouch for (${(error as { code?: string }).code})`;
    case 'client-refused':
      return `the engine at ${address} refused devenv's client certificate (${files.cert}): is it signed by the CA its dockerd trusts (--tlscacert)?`;
    default:
      return firstLine(error);
  }
}

/** Why a host could not be asked, in one line a person can act on. */
export function unreachableReason(error: unknown, host: Host, home = contextFromEnvironment().home): string {
  if (error instanceof UserError) return error.message;
  const endpoint = parseDockerEndpoint(host.docker);
  if (typeof endpoint === 'object' && endpoint.kind === 'tcp') return tlsUnreachableReason(error, host, endpoint, home);
  let address = host.address;
  let user = 'the user';
  try {
    const target = sshTarget(host);
    address = `${target.address}:${target.port}`;
    user = target.user;
  } catch {}
  switch (sshFailure(error)) {
    case 'refused':
      return `nothing listens for SSH at ${address} (sshd is not running there)`;
    case 'no-answer':
      return `no answer from ${address} within ${sshReadyTimeoutMs / 1000} s (is the host up?)`;
    case 'auth':
      return `${user}@${address} did not accept the fleet key`;
    case 'engine':
      return `sshd answers at ${address}, but the host's Docker engine does not (is dockerd running?)`;
    default:
      return firstLine(error);
  }
}

export interface UnreachableHost {
  host: Host;
  reason: string;
}

/** How long a host's engine has to answer a ping before a fleet's update counts it unreachable. */
const pingTimeoutMs = 10_000;

/**
 * The hosts whose Docker engine does not answer now, asked side by side, each
 * with the reason in one line. Asked before a fleet's update, so that an
 * unreachable host stops it before anything changes on the others.
 */
export async function unreachableHosts(hosts: readonly Host[]): Promise<UnreachableHost[]> {
  const asked = await Promise.all(
    hosts.map(async (host): Promise<UnreachableHost | undefined> => {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`its Docker engine did not answer within ${pingTimeoutMs / 1000} s`)),
          pingTimeoutMs,
        ).unref(),
      );
      try {
        await Promise.race([engineOf(host).then((docker) => docker.ping()), timeout]);
        return undefined;
      } catch (error) {
        return { host, reason: unreachableReason(error, host) };
      }
    }),
  );
  return asked.filter((found) => found !== undefined);
}
