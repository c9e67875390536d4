// The fleet's known_hosts, in OpenSSH's own format (so `ssh -o
// UserKnownHostsFile=...` reads the same pins): one line per host, its address,
// its key's type and the key in base64. Pure: reading a pin, the file's text
// with a pin set or dropped, and a key's fingerprint as OpenSSH shows it.
import { createHash } from 'node:crypto';

export interface PublicKey {
  /** ssh-ed25519 */
  type: string;
  /** the key's wire form, base64, as it appears in known_hosts and .pub files */
  base64: string;
}

/** How known_hosts names a host: its address, or [address]:port off port 22. */
export function knownHostsName(address: string, port = 22): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** A public key line (`ssh-ed25519 AAAA... comment`, as in a .pub file), or undefined when it is not one. */
export function parsePublicKey(line: string): PublicKey | undefined {
  const [type, base64] = line.trim().split(/\s+/);
  if (!type || !base64 || !/^(ssh|ecdsa|sk)-/.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  return { type, base64 };
}

/** The key pinned for that name, or undefined when none is. */
export function pinnedKey(knownHosts: string, name: string): PublicKey | undefined {
  for (const line of knownHosts.split('\n')) {
    const [names, ...key] = line.trim().split(/\s+/);
    if (!names || names.startsWith('#') || !names.split(',').includes(name)) continue;
    const parsed = parsePublicKey(key.join(' '));
    if (parsed) return parsed;
  }
  return undefined;
}

/** The file's text with that name's lines replaced by one for the key (or dropped, for no key). */
export function withPin(knownHosts: string, name: string, key: PublicKey | undefined): string {
  const others = knownHosts
    .split('\n')
    .filter((line) => line.trim() !== '' && !(line.trim().split(/\s+/)[0] ?? '').split(',').includes(name));
  const lines = key ? [...others, `${name} ${key.type} ${key.base64}`] : others;
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Whether the key a server presented (its wire form) is the pinned one. */
export function matchesPin(pinned: PublicKey, presented: Buffer): boolean {
  return presented.toString('base64') === pinned.base64;
}

/** The key's fingerprint as `ssh-keygen -lf` and ssh's first-contact prompt show it: SHA256:<base64, unpadded>. */
export function fingerprint(key: PublicKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}
