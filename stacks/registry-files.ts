// What devenv keeps for its registry, in <home>/registry/ (mode 0700): a CA of
// its own (ca.key 0600, ca.crt), the server's key (0600) and certificate, issued
// by that CA for the addresses the registry serves, the password of its one user
// (0600), and registry.json, where it listens (written with the defaults the
// first time; edit it for another address). The registry container reads them
// through its bind of the home; nothing of it goes into git or a Pulumi stack.
import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../lib/errors.ts';
import { readIfPresent, writeFileAtomic } from '../lib/files.ts';
import { registry as registryRole } from '../roles/registry.ts';
import { hostPort } from './ports.ts';
import { fixedPortBase } from './tiers.ts';

/** The one user of the registry: devenv itself, pushing from this machine and pulling on hosts. */
export const registryUser = 'devenv';

export interface RegistryConfig {
  /** the port it listens on @default 18205, the ops stack's registry port */
  port: number;
  /**
   * the address of this machine the fleet's hosts pull from, beside 127.0.0.1
   * @default "10.213.0.1", the local fleet's gateway (hosts/local-fleet-plan.ts)
   */
  hostAddress: string;
}

export const defaultRegistryConfig: RegistryConfig = {
  port: hostPort(fixedPortBase('ops'), registryRole.publish.https!),
  hostAddress: '10.213.0.1',
};

export interface RegistryFiles {
  dir: string;
  config: string;
  caKey: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  password: string;
}

export function registryFiles(home: string): RegistryFiles {
  const dir = join(home, 'registry');
  return {
    dir,
    config: join(dir, 'registry.json'),
    caKey: join(dir, 'ca.key'),
    caCert: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    password: join(dir, 'password'),
  };
}

/** Where the registry listens: loopback for this machine, and the hosts' address. */
export function listenAddresses(config: RegistryConfig): string[] {
  return [...new Set(['127.0.0.1', config.hostAddress])];
}

/** A config as read from registry.json (defaults for what it leaves out), or what is wrong with it. */
export function parseRegistryConfig(text: string | undefined): RegistryConfig | string {
  let given: Partial<Record<keyof RegistryConfig, unknown>> = {};
  if (text !== undefined) {
    try {
      given = JSON.parse(text);
    } catch {
      return 'is not JSON';
    }
  }
  const config = { ...defaultRegistryConfig, ...given };
  const { port, hostAddress } = config;
  if (!Number.isInteger(port) || (port as number) < 1024 || (port as number) > 65535)
    return `port ${JSON.stringify(port)} is not a port number from 1024 to 65535`;
  // An IPv4 address of its own: never every interface, since the machine is shared.
  if (typeof hostAddress !== 'string' || !isIPv4(hostAddress) || hostAddress === '0.0.0.0')
    return `hostAddress ${JSON.stringify(hostAddress)} is not one IPv4 address of this machine`;
  return { port: port as number, hostAddress };
}

export async function readRegistryConfig(home: string): Promise<RegistryConfig> {
  const file = registryFiles(home).config;
  const config = parseRegistryConfig(await readIfPresent(file));
  if (typeof config === 'string')
    throw new UserError(`${file}: ${config}`, 'correct it, or delete it for the defaults');
  return config;
}

/** How long before its end a server certificate is issued anew. */
const renewBeforeMs = 30 * 24 * 3600_000;

/**
 * Why a server certificate will not do (undefined when it will): issued by
 * another CA, for other addresses, or ending within 30 days.
 */
export function certificateProblem(
  cert: X509Certificate,
  ca: X509Certificate,
  addresses: readonly string[],
  now: Date,
): string | undefined {
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'it was not issued by the CA in the home';
  const named = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((name) => name.startsWith('IP Address:'))
    .map((name) => name.slice('IP Address:'.length))
    .sort();
  if (JSON.stringify(named) !== JSON.stringify([...addresses].sort()))
    return `it names ${named.join(', ') || 'no address'}, not ${addresses.join(', ')}`;
  if (new Date(cert.validTo).getTime() - now.getTime() < renewBeforeMs) return `it ends on ${cert.validTo}`;
  return undefined;
}

/** The OpenSSL config of a certificate: the CA's, or the server's for those addresses. */
export function certificateConfig(kind: 'ca' | 'server', addresses: readonly string[] = []): string {
  const extensions =
    kind === 'ca'
      ? ['basicConstraints = critical,CA:TRUE,pathlen:0', 'keyUsage = critical,keyCertSign,cRLSign']
      : [
          'basicConstraints = critical,CA:FALSE',
          'keyUsage = critical,digitalSignature',
          'extendedKeyUsage = serverAuth',
          `subjectAltName = ${addresses.map((address) => `IP:${address}`).join(',')}`,
          'authorityKeyIdentifier = keyid',
        ];
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = ext',
    '[dn]',
    `CN = ${kind === 'ca' ? 'devenv registry CA' : 'devenv registry'}`,
    '[ext]',
    'subjectKeyIdentifier = hash',
    ...extensions,
    '',
  ].join('\n');
}

/** A new P-256 key, written 0600 before anything else sees it. */
async function writeNewKey(path: string): Promise<void> {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  await writeFileAtomic(path, privateKey, { mode: 0o600 });
}

/** Signs with OpenSSL (Node makes keys but not certificates), its config in a file beside the output. */
async function openssl(args: string[], config: string, out: string): Promise<void> {
  const configFile = `${out}.cnf`;
  await writeFileAtomic(configFile, config, { mode: 0o600 });
  try {
    await execa('openssl', ['req', '-x509', '-new', '-config', configFile, '-sha256', ...args, '-out', out]);
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT')
      throw new UserError(
        'openssl is not installed, and devenv needs it to make its registry certificate',
        'install it: apt-get install openssl',
        { cause: error },
      );
    throw new Error(`openssl could not make a certificate: ${(stderr ?? '').trim().split('\n')[0]}`, { cause: error });
  } finally {
    await rm(configFile, { force: true });
  }
}

function sameKey(cert: X509Certificate, privateKeyPem: string): boolean {
  try {
    const spki = (key: ReturnType<typeof createPublicKey>) => key.export({ type: 'spki', format: 'der' });
    return spki(cert.publicKey).equals(spki(createPublicKey(privateKeyPem)));
  } catch {
    return false;
  }
}

async function readCertificate(path: string): Promise<X509Certificate | undefined> {
  const text = await readIfPresent(path);
  try {
    return text === undefined ? undefined : new X509Certificate(text);
  } catch {
    return undefined;
  }
}

export interface EnsuredRegistryFiles {
  config: RegistryConfig;
  /** what was made this time: "ca", "password", "certificate" (with why) */
  made: string[];
}

/**
 * Makes what is missing of the registry's files and keeps the rest: the CA and
 * the password once, the server certificate again when it no longer fits the
 * configured addresses (the registry sees the new one and restarts). Writes
 * registry.json with the defaults when there is none.
 */
export async function ensureRegistryFiles(home: string, now = new Date()): Promise<EnsuredRegistryFiles> {
  const files = registryFiles(home);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const config = await readRegistryConfig(home);
  const made: string[] = [];
  if ((await readIfPresent(files.config)) === undefined)
    await writeFileAtomic(files.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });

  let ca = await readCertificate(files.caCert);
  if (!ca || !ca.ca || (await readIfPresent(files.caKey)) === undefined) {
    await writeNewKey(files.caKey);
    await openssl(['-key', files.caKey, '-days', '3650'], certificateConfig('ca'), files.caCert);
    ca = (await readCertificate(files.caCert))!;
    made.push('ca');
  }
  if (!(await readIfPresent(files.password))?.trim()) {
    await writeFileAtomic(files.password, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
    made.push('password');
  }
  const addresses = listenAddresses(config);
  const cert = await readCertificate(files.serverCert);
  const key = await readIfPresent(files.serverKey);
  const problem = !cert
    ? 'there is none'
    : !key || !sameKey(cert, key)
      ? 'it does not match server.key'
      : certificateProblem(cert, ca, addresses, now);
  if (problem) {
    // Key and certificate made beside, then renamed in: the pair in place always matches but for an instant.
    const next = { key: `${files.serverKey}.next`, cert: `${files.serverCert}.next` };
    await writeNewKey(next.key);
    await openssl(
      ['-key', next.key, '-CA', files.caCert, '-CAkey', files.caKey, '-days', '825'],
      certificateConfig('server', addresses),
      next.cert,
    );
    await rename(next.key, files.serverKey);
    await rename(next.cert, files.serverCert);
    made.push(`certificate (${problem})`);
  }
  return { config, made };
}
