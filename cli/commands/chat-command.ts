// devenv chat: how to reach the deploy channel, and who you are there. The
// chat/ modules load when a command runs.
import { defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import { ircd } from '../../roles/ircd.ts';
import { hostPort } from '../../stacks/ports.ts';
import { fixedPortBase } from '../../stacks/tiers.ts';
import type { ChatInfo, NickResult } from '../../chat/connect.ts';

const connect = () => import('../../chat/connect.ts');
const ircServer = () => `127.0.0.1:${hostPort(fixedPortBase('ops'), ircd.publish.irc!)}`;

function chatText(info: ChatInfo): string {
  return [
    `The deploy channel: ${info.channels[0]} on ${info.server} (holds are posted in ${info.channels[1]} too).`,
    ...info.connect.map((line) => `  ${line}`),
    info.nicks.length > 0
      ? `The bot knows ${info.nicks.join(', ')} as ${info.user}. Say .help in the channel.`
      : `The bot does not know you yet: \`devenv chat nick YOUR_NICK\` maps your nick to ${info.user} (in ${info.nicksFile}).`,
  ].join('\n');
}

export const chatCommand = defineCommand({
  name: 'chat',
  description: 'how to join #deploy, the deploy channel (the ops stack runs its IRC server and the deploy bot)',
  options: [userOption('who (default: git user.email, else the OS user)')],
  json: 'print the server, channels and your nicks as JSON',
  run: async (_, opts: { user?: string }, ctx) =>
    (await connect()).chatInfo(ctx, ircServer(), { ...(opts.user && { user: opts.user }) }),
  text: chatText,
  commands: [
    defineCommand({
      name: 'nick',
      description: 'map an IRC nick to you: the deploy bot obeys that nick for you, and no other',
      arguments: { '<nick>': 'the nick you use on the server' },
      options: [userOption('whose nick (default: git user.email, else the OS user)')],
      json: 'print the mapping as JSON',
      run: async ([nick]: [string], opts: { user?: string }, ctx) =>
        (await connect()).mapNick(ctx, nick, { ...(opts.user && { user: opts.user }) }),
      text: (result: NickResult) =>
        `${result.nick} is ${result.user} for the deploy bot${result.before ? ` (it was ${result.before})` : ''}; kept in ${result.nicksFile}`,
    }),
  ],
});
