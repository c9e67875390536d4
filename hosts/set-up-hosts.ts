// The hosts `devenv hosts setup` made ready, kept in <home>/fleet/hosts.json
// beside the fleet key and the pins, so that `hosts list` and `hosts check`
// know them: each one's name, its Docker endpoint (ssh://deploy@address) and
// its address.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/files.ts';
import { fleetFiles, pinHostKeys } from '../stacks/fleet-files.ts';
import { parseDockerEndpoint, type Host } from '../stacks/hosts.ts';
import { knownHostsName } from '../stacks/known-hosts.ts';

export const setUpHostsFile = (home: string): string => join(fleetFiles(home).dir, 'hosts.json');

export async function readSetUpHosts(home: string): Promise<Host[]> {
  let text: string;
  try {
    text = await readFile(setUpHostsFile(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const { hosts } = JSON.parse(text) as { hosts?: Host[] };
  return (hosts ?? []).map(({ name, docker, address }) => ({ name, docker, address }));
}

/** Records the host (replacing one of its name); false when it was recorded so already. */
export async function recordSetUpHost(home: string, host: Host): Promise<boolean> {
  const hosts = await readSetUpHosts(home);
  const same = hosts.find((each) => each.name === host.name);
  if (same && same.docker === host.docker && same.address === host.address) return false;
  const next = [...hosts.filter((each) => each.name !== host.name), host].sort((a, b) => a.name.localeCompare(b.name));
  await writeFileAtomic(setUpHostsFile(home), `${JSON.stringify({ hosts: next }, null, 2)}\n`);
  return true;
}

/** Drops a set-up host and its pinned key; the host itself is left as it is. Undefined when none has that name. */
export async function forgetSetUpHost(home: string, name: string): Promise<Host | undefined> {
  const hosts = await readSetUpHosts(home);
  const host = hosts.find((each) => each.name === name);
  if (!host) return undefined;
  await writeFileAtomic(
    setUpHostsFile(home),
    `${JSON.stringify({ hosts: hosts.filter((each) => each !== host) }, null, 2)}\n`,
  );
  const endpoint = parseDockerEndpoint(host.docker);
  if (typeof endpoint === 'object' && endpoint.kind === 'ssh')
    await pinHostKeys(home, new Map([[knownHostsName(endpoint.host, endpoint.port), undefined]]));
  return host;
}
