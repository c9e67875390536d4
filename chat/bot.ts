// The deploy bot: in #deploy (and #warroom) on the ops stack's IRC server, it
// reads people's commands and acts on the deploy service's store for them, and
// says what changes in the store. The same queue, lock and history as the CLI
// and the page: the bot keeps none of its own. It obeys a nick only when the
// ops stack's nicks.yaml maps it to a devenv user. While the server is away it
// keeps reading the store and says afterwards what it missed, then the queue as
// it stands (commands said meanwhile never reached it).
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import IRC from 'irc-framework';
import type { Store } from '../deploy/store.ts';
import { Refused } from '../deploy/store.ts';
import { announcements, deployChannel, statusLines, warroomChannel, type StoreReading } from './announcements.ts';
import {
  floodVerdict,
  helpLines,
  printable,
  readLine,
  validNick,
  type ChatCommand,
  type FloodState,
} from './commands.ts';
import { nickKey, nicksFile, readNicks } from './nicks.ts';

export interface BotOptions {
  store: Store;
  /** the devenv home: nicks.yaml in its ops folder */
  home: string;
  irc: { host: string; port: number };
  /** @default "deploybot" */
  nick?: string;
  /** how often the store is read @default 1000 */
  pollMs?: number;
  /** touched while the bot is on the server: its health check reads its age */
  aliveFile?: string;
  log?: (line: string) => void;
}

export interface Bot {
  stop(): Promise<void>;
}

/** How many lines the bot keeps for the channel while the server is away; beyond, it says how many it dropped. */
const maxMissed = 30;
/** How long after rejoining the bot waits before it says what it missed. */
const rejoinReportDelayMs = 5000;

/** The last prod deploys' watch verdicts, read from their logs once each. */
async function readVerdicts(store: Store, reading: Omit<StoreReading, 'verdicts'>, known: Map<number, string>) {
  for (const deploy of reading.deploys) {
    if (deploy.state === 'running' || known.has(deploy.id)) continue;
    const lines = await store.logLines(deploy.id, 0);
    known.set(deploy.id, lines.map((l) => l.line).find((line) => line.startsWith('watch verdict:')) ?? '');
  }
  return Object.fromEntries([...known].filter(([, line]) => line !== ''));
}

export async function startBot(options: BotOptions): Promise<Bot> {
  const { store, home } = options;
  const nick = options.nick ?? 'deploybot';
  const log = options.log ?? ((line: string) => console.log(`chatbot: ${line}`));
  const client = new IRC.Client();
  const floods: FloodState = new Map();
  const verdicts = new Map<number, string>();
  let missed: string[] = [];
  let droppedWhileAway = 0;
  let everRegistered = false;

  const say = (channel: string, text: string) => {
    if (client.connected) client.say(channel, text);
    else if (channel === deployChannel) {
      if (missed.length < maxMissed) missed.push(text);
      else droppedWhileAway++;
    }
  };

  async function act(user: string, command: ChatCommand): Promise<string[]> {
    switch (command.kind) {
      case 'help':
        return [...helpLines];
      case 'status':
        return statusLines(await store.state());
      case 'join': {
        const repo = await store.latestRepository(user);
        if (!repo) return [`${user}: no checkout of yours is registered: run \`devenv queue join\` once from it`];
        const head = await execa('git', ['-C', repo, 'rev-parse', 'HEAD'], { reject: false });
        if (head.exitCode !== 0)
          return [
            `${user}: cannot read your checkout ${repo} (${head.stderr.split('\n')[0]}): join with \`devenv queue join\``,
          ];
        await store.join(user, command.train, head.stdout.trim(), repo);
        return [];
      }
      case 'leave':
        return (await store.leave(user)) ? [] : [`${user}: you are not in the queue`];
      case 'hold':
        await store.hold(user, command.reason);
        return [];
      case 'release':
        return (await store.release()) ? [] : [`${user}: the queue is not held`];
      case 'good':
        await store.markGood(user);
        return [];
    }
  }

  async function heard(from: string, text: string, reply: (line: string) => void): Promise<void> {
    const read = readLine(text);
    if (!read) return;
    const who = printable(from);
    const verdict = floodVerdict(floods, nickKey(from), Date.now());
    if (verdict === 'ignore') return;
    if (verdict === 'warn')
      return reply(`${who}: that is too many commands at once; I listen to you again in a few seconds`);
    if ('answer' in read) return reply(`${who}: ${read.answer}`);
    if (read.command.kind === 'help') return helpLines.forEach((line) => reply(line));
    const nicks = await readNicks(home);
    if (typeof nicks === 'string') return reply(`${who}: my nick map ${nicksFile(home)} is broken (${nicks})`);
    const user = validNick(from) ? nicks.get(nickKey(from)) : undefined;
    if (!user)
      return reply(
        `${who}: I do not know who you are, so I do nothing for you: map your nick with \`devenv chat nick ${who} YOUR_USER\``,
      );
    try {
      for (const line of await act(user, read.command)) reply(line);
    } catch (error) {
      if (error instanceof Refused) return reply(`${who}: ${error.message}`);
      log(`${read.command.kind} for ${user} failed: ${(error as Error).stack ?? error}`);
      reply(
        `${who}: that failed on my side (${(error as Error).message.split('\n')[0]}); the queue is as .status says`,
      );
    }
  }

  client.on('registered', () => {
    log(`on the server as ${nick}`);
    client.join(deployChannel);
    client.join(warroomChannel);
  });
  client.on('join', (event: { nick: string; channel: string }) => {
    if (event.nick !== client.user.nick || event.channel.toLowerCase() !== deployChannel) return;
    if (!everRegistered) {
      everRegistered = true;
      return;
    }
    void (async () => {
      // People dropped with the bot are reconnecting too: the report waits for them a little.
      await new Promise((resolve) => setTimeout(resolve, rejoinReportDelayMs));
      const lines = missed;
      const dropped = droppedWhileAway;
      missed = [];
      droppedWhileAway = 0;
      client.say(deployChannel, `back on the server. While I was away:${lines.length === 0 ? ' nothing changed' : ''}`);
      for (const line of lines) client.say(deployChannel, `  ${line}`);
      if (dropped > 0) client.say(deployChannel, `  ... and ${dropped} more (see \`devenv deploy history\`)`);
      client.say(deployChannel, 'Commands said while I was away did not reach me. The queue now:');
      for (const line of statusLines(await store.state())) client.say(deployChannel, `  ${line}`);
    })().catch((error: unknown) => log(`after reconnecting: ${(error as Error).message}`));
  });
  client.on('privmsg', (event: { nick: string; target: string; message: string }) => {
    const inChannel = event.target.toLowerCase() === deployChannel;
    const toMe = event.target === client.user.nick;
    if (!inChannel && !toMe) return;
    const replyTo = inChannel ? deployChannel : event.nick;
    void heard(event.nick, event.message, (line) => client.say(replyTo, line));
  });
  client.on('reconnecting', () => log('lost the server; reconnecting'));
  client.on('close', () => log('gave up reconnecting'));

  client.connect({
    host: options.irc.host,
    port: options.irc.port,
    nick,
    username: nick,
    gecos: 'devenv deploy bot',
    auto_reconnect: true,
    auto_reconnect_max_wait: 5000,
    auto_reconnect_max_retries: Number.MAX_SAFE_INTEGER,
  });

  // The store, read on a steady beat: what changed is said (or kept for when the server is back).
  const read = async (): Promise<StoreReading> => {
    const base = { state: await store.state(), deploys: await store.history(10) };
    return { ...base, verdicts: await readVerdicts(store, base, verdicts) };
  };
  let last = await read();
  let stopped = false;
  const alive = options.aliveFile;
  const poll = async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
      try {
        const now = await read();
        for (const line of announcements(last, now)) say(line.channel, line.text);
        last = now;
        if (alive && client.connected) await writeFile(alive, '');
      } catch (error) {
        log(`reading the store failed: ${(error as Error).message}`);
      }
    }
  };
  const polling = poll();
  return {
    async stop() {
      stopped = true;
      await polling;
      client.quit('stopping');
    },
  };
}
