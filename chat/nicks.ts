// Who is who in the deploy channel: IRC nicks mapped to devenv users, in a file
// of the ops stack (<home>/ops/nicks.yaml, `devenv chat nick NICK USER` writes
// it). The bot obeys a nick only through this map: anyone can take any nick on
// the server, so an unknown nick is answered and never acts for anybody.
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readIfPresent, writeFileAtomic } from '../lib/files.ts';
import { userPattern } from '../lib/user.ts';
import { validNick } from './commands.ts';

export function nicksFile(home: string): string {
  return join(home, 'ops', 'nicks.yaml');
}

/** nick (as IRC compares them, lowercase) → devenv user */
export type Nicks = ReadonlyMap<string, string>;

export const nickKey = (nick: string) => nick.toLowerCase();

/** The map from the file's text (`nick: user` lines), or what is wrong with it in one line. */
export function parseNicks(text: string | undefined): Nicks | string {
  if (text === undefined || text.trim() === '') return new Map();
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    return `not YAML: ${(error as Error).message.split('\n')[0]}`;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'it must map each nick to a user';
  const nicks = new Map<string, string>();
  for (const [nick, user] of Object.entries(data)) {
    if (!validNick(nick)) return `"${nick}" is not an IRC nick`;
    if (typeof user !== 'string' || !userPattern.test(user)) return `${nick}: "${String(user)}" is not a devenv user`;
    nicks.set(nickKey(nick), user);
  }
  return nicks;
}

export async function readNicks(home: string): Promise<Nicks | string> {
  return parseNicks(await readIfPresent(nicksFile(home)));
}

/** The file with the nick mapped to the user (a nick already there is mapped anew). */
export function withNick(text: string | undefined, nick: string, user: string): string {
  const data = (text && (parse(text) as Record<string, string> | null)) || {};
  const others = Object.fromEntries(Object.entries(data).filter(([key]) => nickKey(key) !== nickKey(nick)));
  return stringify({ ...others, [nick]: user });
}

export async function writeNick(home: string, nick: string, user: string): Promise<void> {
  const file = nicksFile(home);
  await writeFileAtomic(file, withNick(await readIfPresent(file), nick, user), { mode: 0o644 });
}
