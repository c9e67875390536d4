// How a person reaches the deploy channel, and who they are there: what
// `devenv chat` prints and `devenv chat nick` records.
import { UserError } from '../lib/errors.ts';
import type { Context } from '../lib/paths.ts';
import { resolveUser } from '../lib/user.ts';
import { deployChannel, warroomChannel } from './announcements.ts';
import { printable, validNick } from './commands.ts';
import { nickKey, nicksFile, readNicks, writeNick } from './nicks.ts';

export interface ChatInfo {
  /** host:port of the ops stack's IRC server, on this machine's loopback */
  server: string;
  channels: string[];
  user: string;
  /** the nicks mapped to this user: the bot obeys them for the user */
  nicks: string[];
  /** commands for common IRC clients */
  connect: string[];
  nicksFile: string;
}

export async function chatInfo(ctx: Context, server: string, given: { user?: string }): Promise<ChatInfo> {
  const { user } = await resolveUser(given.user);
  const nicks = await readNicks(ctx.home);
  if (typeof nicks === 'string') throw new UserError(`${nicksFile(ctx.home)}: ${nicks}`, 'correct the file');
  const mine = [...nicks].filter(([, who]) => who === user).map(([nick]) => nick);
  const nick = mine[0] ?? user;
  const [host, port] = server.split(':');
  return {
    server,
    channels: [deployChannel, warroomChannel],
    user,
    nicks: mine,
    connect: [
      `irssi -c ${host} -p ${port} -n ${nick}   then /join ${deployChannel}`,
      `weechat: /server add devenv ${host}/${port} -nicks=${nick}   then /connect devenv and /join ${deployChannel}`,
      `any client: server ${host}, port ${port}, no TLS, no password`,
    ],
    nicksFile: nicksFile(ctx.home),
  };
}

export interface NickResult {
  nick: string;
  user: string;
  /** the user it was mapped to before, if another */
  before?: string;
  nicksFile: string;
}

export async function mapNick(ctx: Context, nick: string, given: { user?: string }): Promise<NickResult> {
  if (!validNick(nick))
    throw new UserError(
      `"${printable(nick)}" is not an IRC nick`,
      'use 1-30 letters, digits and - _ [ ] \\ ` ^ { | }, not starting with a digit or -',
    );
  const { user } = await resolveUser(given.user);
  const nicks = await readNicks(ctx.home);
  if (typeof nicks === 'string') throw new UserError(`${nicksFile(ctx.home)}: ${nicks}`, 'correct the file first');
  const before = nicks.get(nickKey(nick));
  await writeNick(ctx.home, nick, user);
  return { nick, user, ...(before && before !== user && { before }), nicksFile: nicksFile(ctx.home) };
}
