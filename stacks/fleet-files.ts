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
