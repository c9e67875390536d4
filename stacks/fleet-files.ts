// What devenv keeps to reach a fleet, in <home>/fleet/: the key pair it logs in
// with (made once; the private key mode 0600) and the pinned host keys
// (known_hosts, OpenSSH's format).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { UserError } from '../lib/errors.ts';
import { readIfPresent, writeFileAtomic } from '../lib/files.ts';
import { pinnedKey, withPin, type PublicKey } from './known-hosts.ts';

export interface FleetFiles {
  dir: string;
  privateKey: string;
  publicKey: string;
  knownHosts: string;
}

export function fleetFiles(home: string): FleetFiles {
  const dir = join(home, 'fleet');
  return {
    dir,
    privateKey: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    knownHosts: join(dir, 'known_hosts'),
  };
}

/**
 * The fleet's ed25519 key pair, made the first time and kept: every host of
 * every local fleet of this devenv home lets it in. Returns the public key line.
 */
export async function ensureFleetKey(home: string): Promise<string> {
  const files = fleetFiles(home);
  const existing = await readIfPresent(files.publicKey);
  if (existing && (await readIfPresent(files.privateKey))) return existing.trim();
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `devenv fleet key (${home})` });
  // The private key first: a public key alone must never look like a usable pair.
  await writeFileAtomic(files.privateKey, pair.private, { mode: 0o600 });
  await writeFileAtomic(files.publicKey, `${pair.public}\n`, { mode: 0o644 });
  return pair.public.trim();
}

/** The private key devenv logs in to the fleet's hosts with; a clear error when it was never made. */
export async function fleetPrivateKey(home: string): Promise<string> {
  const key = await readIfPresent(fleetFiles(home).privateKey);
  if (key === undefined)
    throw new UserError(
      `there is no fleet key in ${fleetFiles(home).dir}, so no host can be reached`,
      'make the fleet first with `devenv hosts local N`',
    );
  return key;
}

export async function readKnownHosts(home: string): Promise<string> {
  return (await readIfPresent(fleetFiles(home).knownHosts)) ?? '';
}

export async function pinnedHostKey(home: string, name: string): Promise<PublicKey | undefined> {
  return pinnedKey(await readKnownHosts(home), name);
}

/** Sets (or, for undefined, drops) the pins of those names, in one write. */
export async function pinHostKeys(home: string, pins: ReadonlyMap<string, PublicKey | undefined>): Promise<void> {
  if (pins.size === 0) return;
  let text = await readKnownHosts(home);
  for (const [name, key] of pins) text = withPin(text, name, key);
  await mkdir(fleetFiles(home).dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(fleetFiles(home).knownHosts, text, { mode: 0o644 });
}

/**
 * A host reached over TCP is reached with TLS both ways, with the files Docker's
 * own client keeps in DOCKER_CERT_PATH: the CA that signed the host's
 * certificate, and devenv's client certificate and key, which the host's
 * dockerd (--tlsverify) checks against its CA. They live in
 * <home>/fleet/tls/<host name>/; devenv never makes them (the host's CA does).
 */
export interface HostTlsFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

export function hostTlsFiles(home: string, hostName: string): HostTlsFiles {
  const dir = join(fleetFiles(home).dir, 'tls', hostName);
  return { dir, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/** The host's TLS files, read; a missing one is a one-line error saying where they go. */
export async function hostTls(home: string, hostName: string): Promise<{ ca: string; cert: string; key: string }> {
  const files = hostTlsFiles(home, hostName);
  const [ca, cert, key] = await Promise.all([files.ca, files.cert, files.key].map((path) => readIfPresent(path)));
  if (ca === undefined || cert === undefined || key === undefined)
    throw new UserError(
      `host ${hostName} is reached over TCP with TLS, and ${files.dir} lacks ${[
        ca === undefined && 'ca.pem',
        cert === undefined && 'cert.pem',
        key === undefined && 'key.pem',
      ]
        .filter(Boolean)
        .join(', ')}`,
      `put the host's CA (ca.pem) and devenv's client certificate and key (cert.pem, key.pem) there, as DOCKER_CERT_PATH holds them; key.pem mode 0600`,
    );
  return { ca, cert, key };
}
