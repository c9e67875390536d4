// The deploy channel: the ops stack's IRC server (ngircd) and the deploy bot,
// met with a real IRC client library as people meet them. Two people join the
// queue from the channel, the bot forms one group and announces each step of
// their deploy, prod waits for both riders' .good; a hold stops the next deploy
// and is posted in #warroom; an unknown nick and bad commands get one answer and
// change nothing; the bot survives its server's restart and says what it missed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import IRC from 'irc-framework';
import { withFixedStacks, type FixedStacks } from '../support/fixed-stacks.ts';
import { dockerClient } from '../../stacks/docker-client.ts';
import { hostPort } from '../../stacks/ports.ts';
import { fixedPortBase } from '../../stacks/tiers.ts';
import { ircd } from '../../roles/ircd.ts';
import { waitFor } from '../../lib/wait.ts';

const ircPort = hostPort(fixedPortBase('ops'), ircd.publish.irc!);

/** A person on the server: what they heard, by channel, and how to speak. */
interface Person {
  nick: string;
  heard: { target: string; nick: string; text: string }[];
  say(text: string, target?: string): void;
  /** waits for a line from the bot matching the pattern, heard after `since` lines */
  hears(pattern: RegExp, options?: { target?: string; since?: number; timeoutMs?: number }): Promise<string>;
  quit(): void;
}

async function connect(nick: string): Promise<Person> {
  const client = new IRC.Client();
  const heard: Person['heard'] = [];
  client.on('registered', () => {
    client.join('#deploy');
    client.join('#warroom');
  });
  client.on('privmsg', (event: { nick: string; target: string; message: string }) =>
    heard.push({ target: event.target.toLowerCase(), nick: event.nick, text: event.message }),
  );
  const joined = new Promise<void>((resolve) =>
    client.on('join', (event: { nick: string; channel: string }) => {
      if (event.nick === nick && event.channel.toLowerCase() === '#deploy') resolve();
    }),
  );
  client.connect({
    host: '127.0.0.1',
    port: ircPort,
    nick,
    auto_reconnect: true,
    auto_reconnect_max_wait: 2000,
    auto_reconnect_max_retries: 100,
  });
  await joined;
  return {
    nick,
    heard,
    say: (text, target = '#deploy') => client.say(target, text),
    hears: (pattern, options = {}) =>
      waitFor(
        async () =>
          heard
            .slice(options.since ?? 0)
            .find(
              (line) =>
                line.nick === 'deploybot' && line.target === (options.target ?? '#deploy') && pattern.test(line.text),
            )?.text,
        {
          intervalMs: 100,
          timeoutMs: options.timeoutMs ?? 15_000,
          timedOut: () =>
            new Error(
              `${nick} never heard ${pattern} from the bot; heard:\n${heard.map((l) => `${l.target} <${l.nick}> ${l.text}`).join('\n')}`,
            ),
        },
      ),
    quit: () => client.quit('bye'),
  };
}

describe('the deploy channel', { timeout: 30 * 60_000 }, () => {
  let stacks: FixedStacks;
  let ada: Person;
  let bob: Person;
  const devenv = (args: string[]) => stacks.devenv(args);
  const queue = async () =>
    JSON.parse((await devenv(['queue', 'status', '--json'])).stdout) as {
      queue: { groups: { entries: { user: string }[] }[]; hold: unknown; goods?: string[] };
    };

  before(async () => {
    stacks = await withFixedStacks(['ops', 'princess', 'prod']);
    // Each person's CLI registers their checkout once; the bot joins them with what it has committed.
    for (const user of ['ada', 'bob']) {
      assert.equal((await devenv(['queue', 'join', '--user', user])).exitCode, 0);
      assert.equal((await devenv(['queue', 'leave', '--user', user])).exitCode, 0);
      const nick = await devenv(['chat', 'nick', `${user}_irc`, '--user', user]);
      assert.equal(nick.exitCode, 0, nick.all);
    }
    ada = await connect('ada_irc');
    bob = await connect('bob_irc');
  });
  after(async () => {
    ada?.quit();
    bob?.quit();
    await stacks?.remove();
  });

  it('devenv chat says where the channel is and who you are there', async () => {
    const info = await devenv(['chat', '--user', 'ada']);
    assert.equal(info.exitCode, 0, info.all);
    assert.match(info.stdout, new RegExp(`#deploy on 127\\.0\\.0\\.1:${ircPort}`));
    assert.match(info.stdout, /The bot knows ada_irc as ada/);
  });

  it('answers an unknown nick, unknown words and a hold without a reason in one line each, and changes nothing', async () => {
    const mallory = await connect('mallory');
    try {
      mallory.say('.join');
      await mallory.hears(/^mallory: I do not know who you are, so I do nothing for you/);
      ada.say('.frobnicate');
      await ada.hears(/^ada_irc: I do not know \.frobnicate/);
      ada.say('.hold');
      await ada.hears(/^ada_irc: \.hold needs a reason/);
      const since = ada.heard.length;
      for (let i = 0; i < 8; i++) ada.say('.status');
      await ada.hears(/too many commands at once/, { since });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(
        ada.heard.slice(since).filter((line) => /too many commands/.test(line.text)).length,
        1,
        'a flood gets one answer',
      );
      const { queue: now } = await queue();
      assert.deepEqual(now.groups, []);
      assert.equal(now.hold, null);
    } finally {
      mallory.quit();
    }
  });

  it('two people join from the channel and ride in one group; princess, both .good, prod: the channel sees each step', async () => {
    // A change of theirs to ship.
    const layout = join(stacks.repo, 'site', 'layout.ts');
    const text = (await readFile(layout, 'utf8')).replace(
      /<footer>Served by \$\{page\.servedBy\}\.[^<]*<\/footer>/,
      '<footer>Served by ${page.servedBy}. Release channel-1.</footer>',
    );
    await writeFile(layout, text);
    await stacks.git('commit', '-qam', 'Release channel-1');
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // past the flood window of the test before

    const since = ada.heard.length;
    ada.say('.join');
    await ada.hears(/^ada joined the code train: group 1 is ada$/, { since });
    bob.say('.join');
    await ada.hears(/^bob joined the code train: group 1 is ada, bob$/, { since });
    await ada.hears(/^ada, bob: your turn \(code train\)/, { since });
    bob.say('.status');
    await bob.hears(/^group 1 \(code\): ada, bob$/, { since });

    const deploying = devenv(['deploy', '--user', 'ada', '--watch', '0']);
    await ada.hears(/^deploy #\d+: code to princess for ada, bob/, { since, timeoutMs: 60_000 });
    await ada.hears(/^princess runs [0-9a-f]{10}: ada, check your change there and say \.good; bob, check/, {
      since,
      timeoutMs: 300_000,
    });
    bob.say('.good');
    await ada.hears(/^bob checked their change on princess \(\.good\): prod waits for ada$/, { since });
    ada.say('.good');
    await ada.hears(/^ada checked their change on princess \(\.good\): every rider said \.good, prod may go$/, {
      since,
    });
    await ada.hears(/^deploy #\d+: code to prod for ada, bob/, { since, timeoutMs: 60_000 });
    await bob.hears(/^prod is live: [0-9a-f]{10} for ada, bob in [\d.]+ s$/, { since, timeoutMs: 300_000 });
    const deployed = await deploying;
    assert.equal(deployed.exitCode, 0, deployed.all);
  });

  it('.hold stops the next deploy and is posted in #warroom; .release lets it go', async () => {
    const since = ada.heard.length;
    ada.say('.hold the database is on fire');
    await bob.hears(/^the queue is held by ada: the database is on fire$/, { since });
    await bob.hears(/^the queue is held by ada: the database is on fire \(in #deploy\)$/, {
      target: '#warroom',
      since,
    });
    bob.say('.join');
    await bob.hears(/^bob joined the code train/, { since });
    const refused = await devenv(['deploy', '--user', 'bob']);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /the queue is held by ada \(the database is on fire\)/);
    ada.say('.release');
    await bob.hears(/^the queue is released/, { since });
    bob.say('.leave');
    await ada.hears(/^bob left the queue$/, { since });
  });

  it('survives its server restarting: back in the channel, it says what happened meanwhile and the queue', async () => {
    const server = dockerClient().getContainer('ops-ircd');
    await server.stop({ t: 1 });
    // Meanwhile, at the CLI.
    assert.equal((await devenv(['queue', 'join', '--user', 'bob'])).exitCode, 0);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const since = ada.heard.length;
    await server.start();
    await ada.hears(/^back on the server\. While I was away:/, { since, timeoutMs: 60_000 });
    await ada.hears(/^ {2}bob joined the code train: group 1 is bob$/, { since });
    await ada.hears(/^ {2}group 1 \(code\): bob$/, { since });
    bob.say('.leave');
    await ada.hears(/^bob left the queue$/, { since });
  });
});
