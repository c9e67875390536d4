// prod and princess: prod with several web replicas and generated production
// data; princess rebuilt from one snapshot of it through the scrubber, checked for
// leaks, and left serving its old data whenever a rebuild is refused or killed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { fetchText, removeLabelled, throwawayHome } from '../support/engines.ts';
import { cli, devenvBin, type Cli } from '../support/devenv-cli.ts';
import { defaultRulesFile } from '../../data/rebuild.ts';
import { princess, prod } from '../support/fixed-stacks.ts';
import { databaseAddress, openClient, type DatabaseAddress } from '../../data/postgres.ts';
import type { Context } from '../../lib/paths.ts';
import { devSecrets } from '../../stacks/secrets.ts';

interface Rebuild {
  rows: number;
  leaks: { hits: number; checks: { what: string; hits: number; scanned: number; sample: number }[] };
  tables: { table: string; rows: number }[];
}
interface Status {
  healthy: boolean;
  containers: { role: string; state: string }[];
}

const princessSite = princess.site;

/** The test's devenv home, where each stack's database password is kept (a secret in its config). */
let testHome: Context | undefined;
const addresses = new Map<string, Promise<DatabaseAddress>>();

async function query<T extends pg.QueryResultRow>(
  stack: 'prod' | 'princess' | { port: number },
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  // A dev stack's database has the dev password; prod's and princess's their own.
  const where =
    typeof stack === 'object'
      ? { host: '127.0.0.1', port: stack.port, password: devSecrets.dbPassword }
      : await (addresses.get(stack) ?? addresses.set(stack, databaseAddress(testHome!, stack)).get(stack)!);
  const client = await openClient(where, 'shop');
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
const prodDb = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => query<T>('prod', sql, params);
const princessDb = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => query<T>('princess', sql, params);

/** prod's constraints and indexes, each as its definition. */
async function prodSchema(): Promise<string[]> {
  const rows = await prodDb<{ line: string }>(
    `SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
  );
  return rows.map((row) => row.line);
}

/** What princess serves, summed up: rebuilds that fail must leave it exactly so. */
async function princessFingerprint(): Promise<string> {
  const [row] = await princessDb<{ f: string }>(
    `SELECT md5(string_agg(email, ',' ORDER BY id)) || ':' || count(*) AS f FROM members`,
  );
  return row!.f;
}

describe('prod and princess', { timeout: 40 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let devenv: Cli;
  let rules: string;

  before(async () => {
    home = await throwawayHome();
    testHome = home.ctx;
    await writeFile(join(home.home, 'scrub.key'), 'c0ffee'.repeat(6) + '\n');
    devenv = cli({ DEVENV_HOME: home.home });
    rules = await readFile(defaultRulesFile, 'utf8');
  });
  after(async () => {
    for (const stack of ['prod', 'princess', 'dev-sam']) await removeLabelled(stack);
    await home.remove();
  });

  it('prod comes up with three web replicas behind the proxy', async () => {
    const up = await devenv.run(['prod', 'up', '--json']);
    assert.equal(up.exitCode, 0, up.all);
    const status = await devenv.json<Status>(['prod', 'status']);
    assert.equal(status.containers.filter((c) => c.role === 'web' && c.state === 'running').length, 3);
    const servedBy = new Set<string>();
    for (let i = 0; i < 30; i++) servedBy.add(/Served by ([^<.]+)/.exec(await fetchText(prod.site))?.[1] ?? '');
    assert.ok(servedBy.size >= 2, `the proxy spreads requests over replicas (saw ${[...servedBy].join(', ')})`);
  });

  it('prod generate fills it with production data, personal data included; its keys and indexes are as the migrations made them', async () => {
    const schema = await prodSchema();
    // A load that fails after the keys were set aside (a check every message
    // breaks) leaves no rows and every key and index as it was.
    await prodDb('ALTER TABLE messages ADD CONSTRAINT refuse_messages CHECK (false) NOT VALID');
    const failed = await devenv.run(['prod', 'generate', '--members', '10000', '--seed', '7']);
    assert.equal(failed.exitCode, 1, failed.all);
    assert.match(failed.stderr, /refuse_messages/);
    await prodDb('ALTER TABLE messages DROP CONSTRAINT refuse_messages');
    const [left] = await prodDb<{ n: string }>(
      'SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM orders) AS n',
    );
    assert.equal(left!.n, '0', 'a failed load leaves nothing behind');
    assert.deepEqual(await prodSchema(), schema, 'a failed load leaves the keys and indexes');

    const generated = await devenv.json<{ rows: Record<string, number> }>([
      'prod',
      'generate',
      '--members',
      '10000',
      '--seed',
      '7',
    ]);
    assert.equal(generated.rows.members, 10_000);
    assert.deepEqual(
      await prodSchema(),
      schema,
      'the keys, foreign keys and indexes are made again after the rows, as they were',
    );
    assert.ok(
      schema.some((line) => line.includes('FOREIGN KEY (sender_id) REFERENCES members(id)')) &&
        schema.some((line) => line.includes('UNIQUE (email)')),
    );
    const [member] = await prodDb<{ email: string }>('SELECT email FROM members ORDER BY id LIMIT 1');
    assert.match(member!.email, /@/);
    const refused = await devenv.run(['prod', 'generate', '--members', '10000']);
    assert.equal(refused.exitCode, 1, 'a second load into a full database is refused');
  });

  it('princess comes up', async () => {
    const up = await devenv.run(['princess', 'up']);
    assert.equal(up.exitCode, 0, up.all);
  });

  it('bad input is refused in one line before princess is touched', async () => {
    const before = await princessFingerprint();
    const cases: [string, string[], RegExp][] = [
      ['missing key', ['--key-file', join(home.home, 'no-such-key')], /no scrub key/],
      ['malformed YAML', ['--rules', await rulesFile('tables: [members\n')], /scrub-rules|YAML|line/i],
      [
        'unknown column',
        [
          '--rules',
          await rulesFile(rules.replace('    phone: fake-phone\n', '    phone: fake-phone\n    shoe_size: keep\n')),
        ],
        /shoe_size/,
      ],
      [
        'unconfigured column',
        ['--rules', await rulesFile(rules.replace('    phone: fake-phone\n', ''))],
        /no scrub rule: members\.phone/,
      ],
      [
        'a transform breaking a foreign key',
        ['--rules', await rulesFile(rules.replace('    buyer_id: keep\n', '    buyer_id: hash\n'))],
        /buyer_id/,
      ],
    ];
    for (const [name, args, message] of cases) {
      const result = await devenv.run(['princess', 'rebuild', ...args]);
      assert.equal(result.exitCode, 1, `${name}: ${result.all}`);
      assert.match(result.stderr, message, name);
      assert.equal(
        result.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('devenv:')).length,
        1,
        `${name}: one line`,
      );
    }
    assert.equal(await princessFingerprint(), before);
    const databases = await princessDb<{ datname: string }>('SELECT datname FROM pg_database');
    assert.ok(!databases.some((d) => d.datname === 'shop_next'), 'no half-made database left');
  });

  async function rulesFile(text: string): Promise<string> {
    const file = join(home.home, `rules-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, text);
    return file;
  }

  it('rebuild copies prod through the scrubber and the leak scan finds nothing', async () => {
    const result = await devenv.json<Rebuild>(['princess', 'rebuild']);
    assert.equal(result.leaks.hits, 0, JSON.stringify(result.leaks.checks));
    assert.ok(result.leaks.checks.length >= 8);
    const [messages] = await prodDb<{ n: string }>('SELECT count(*) AS n FROM messages');
    for (const kind of ['emails', 'phones', 'names']) {
      const everyRow = result.leaks.checks.find(
        (c) => c.what === `messages.body (text: ${kind}, every row, during the copy)`,
      );
      assert.deepEqual(
        everyRow && { scanned: everyRow.scanned, sample: everyRow.sample },
        { scanned: Number(messages!.n), sample: 1 },
        `every message checked for ${kind}`,
      );
    }
    const prodCounts = await prodDb<{ n: string }>(
      'SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM messages) AS n',
    );
    const princessCounts = await princessDb<{ n: string }>(
      'SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM messages) AS n',
    );
    assert.equal(princessCounts[0]!.n, prodCounts[0]!.n);
    assert.match(await fetchText(princessSite), /class="price"/, 'princess serves the new data');
  });

  it('foreign keys and unique constraints hold, and no value is personal', async () => {
    const [checks] = await princessDb<{
      orphans: string;
      duplicates: string;
      constraints: string;
      real: string;
    }>(`SELECT
      (SELECT count(*) FROM orders o LEFT JOIN members m ON m.id = o.buyer_id WHERE m.id IS NULL) AS orphans,
      (SELECT count(*) FROM (SELECT email FROM members GROUP BY email HAVING count(*) > 1) d) AS duplicates,
      (SELECT count(*) FROM pg_constraint WHERE contype IN ('f', 'u') AND convalidated) AS constraints,
      (SELECT count(*) FROM members WHERE email NOT LIKE '%@example.invalid') AS real`);
    assert.deepEqual(checks, { orphans: '0', duplicates: '0', constraints: checks!.constraints, real: '0' });
    assert.ok(Number(checks!.constraints) >= 8);
  });

  it('the same member has the same pseudonym in every table and in message text', async () => {
    // Messages greet the recipient by first name and often quote the sender's email.
    const [sent] = await prodDb<{ id: string; email: string; first: string }>(`
      SELECT g.id, s.email, split_part(r.name, ' ', 1) AS first FROM messages g
      JOIN members s ON s.id = g.sender_id JOIN members r ON r.id = g.recipient_id
      WHERE strpos(g.body, s.email) > 0 AND g.body ~ ('\\m' || split_part(r.name, ' ', 1) || '\\M') ORDER BY g.id LIMIT 1`);
    assert.ok(sent, 'prod has a message quoting its sender email and recipient name');
    const [fake] = await princessDb<{ body: string; email: string; first: string }>(
      `
      SELECT g.body, s.email, split_part(r.name, ' ', 1) AS first FROM messages g
      JOIN members s ON s.id = g.sender_id JOIN members r ON r.id = g.recipient_id WHERE g.id = $1`,
      [sent.id],
    );
    assert.notEqual(fake!.email, sent.email);
    assert.notEqual(fake!.first, sent.first);
    assert.ok(fake!.body.includes(fake!.email), 'the sender pseudonym email (members.email) is the one in the text');
    assert.ok(fake!.body.includes(fake!.first), 'the recipient pseudonym name (members.name) is the one in the text');
    assert.ok(!fake!.body.includes(sent.email) && !new RegExp(`\\b${sent.first}\\b`).test(fake!.body));
  });

  it('with a rule removed on purpose, the leak scan finds the values and princess keeps its data', async () => {
    const before = await princessFingerprint();
    const leaky = await rulesFile(rules.replace('    email: fake-email\n', '    email: keep\n'));
    const result = await devenv.run(['princess', 'rebuild', '--rules', leaky]);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.stderr, /leak scan found \d+ production value\(s\).*members\.email: 10000/);
    assert.equal(await princessFingerprint(), before);
    assert.match(await fetchText(princessSite), /class="price"/);
  });

  it('with free text kept on purpose, the text scan finds its emails, phone numbers and names', async () => {
    const before = await princessFingerprint();
    const leaky = await rulesFile(rules.replace('    body: redact-text\n', '    body: keep\n'));
    const result = await devenv.run(['princess', 'rebuild', '--rules', leaky]);
    assert.equal(result.exitCode, 1, result.all);
    for (const kind of ['emails', 'phones', 'names']) {
      const hits = Number(new RegExp(`messages\\.body \\(text: ${kind}\\): (\\d+)`).exec(result.stderr)?.[1] ?? 0);
      assert.ok(hits > 0, `text ${kind} found: ${result.stderr}`);
    }
    // Every message checked during the copy against every production email,
    // phone and name word: at this size the scan after it reads every message and
    // every value too, so the two, written apart, must agree.
    for (const kind of ['emails', 'phones', 'names']) {
      const scanned = Number(new RegExp(`messages\\.body \\(text: ${kind}\\): (\\d+)`).exec(result.stderr)?.[1]);
      const everyRow = Number(
        new RegExp(`messages\\.body \\(text: ${kind}, every row, during the copy\\): (\\d+)`).exec(result.stderr)?.[1],
      );
      assert.equal(everyRow, scanned, `${kind}: ${result.stderr}`);
    }
    assert.doesNotMatch(result.stderr, /members\.\w+:/, 'the columns themselves were scrubbed');
    assert.equal(await princessFingerprint(), before);
  });

  it('a rebuild killed part-way leaves princess serving its old data; the next one converges', async () => {
    const before = await princessFingerprint();
    const child = execa(devenvBin, ['princess', 'rebuild'], {
      env: { DEVENV_HOME: home.home },
      reject: false,
      all: true,
    });
    let output = '';
    await new Promise<void>((resolve) => {
      child.all!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/Copying members/.test(output)) resolve();
      });
      child.all!.once('end', () => resolve());
    });
    child.kill('SIGKILL');
    await child;
    assert.match(output, /Copying members/, 'killed while copying');
    assert.equal(await princessFingerprint(), before);
    assert.match(await fetchText(princessSite), /class="price"/);
    const again = await devenv.json<Rebuild>(['princess', 'rebuild']);
    assert.equal(again.leaks.hits, 0);
    assert.equal(await princessFingerprint(), before, 'same key, same data: the same pseudonyms');
  });

  it("a developer's database takes a consistent sample of princess instead of the seed", async () => {
    interface Sampled {
      urls: Record<string, string>;
      sample: { rows: Record<string, number>; alreadyLoaded: boolean };
    }
    const up = await devenv.json<Sampled>(['up', '--user', 'sam', '--data', 'princess-sample', '--percent', '10']);
    const members = up.sample.rows.members!;
    assert.ok(members > 700 && members < 1300, `about 10% of 10000 members, got ${members}`);
    assert.ok(up.sample.rows.orders! > 0 && up.sample.rows.messages! > 0);
    const port = Number(new URL(up.urls['db.postgres']!).port);
    const [checks] = await query<Record<string, string>>(
      { port },
      `SELECT
      (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = o.buyer_id)) AS buyers,
      (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = o.item_id)) AS items,
      (SELECT count(*) FROM messages g WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = g.sender_id) OR NOT EXISTS (SELECT 1 FROM members m WHERE m.id = g.recipient_id)) AS messages,
      (SELECT count(*) FROM shops s WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = s.owner_id)) AS owners,
      (SELECT count(*) FROM members WHERE email NOT LIKE '%@example.invalid') AS unscrubbed`,
    );
    assert.deepEqual(checks, { buyers: '0', items: '0', messages: '0', owners: '0', unscrubbed: '0' });
    assert.match(await fetchText(up.urls['proxy.http']!), /class="price"/);
    const again = await devenv.json<Sampled>(['up', '--user', 'sam', '--data', 'princess-sample', '--percent', '10']);
    assert.equal(again.sample.alreadyLoaded, true);
    const down = await devenv.run(['down', '--user', 'sam', '--purge-data']);
    assert.equal(down.exitCode, 0, down.all);
  });

  it('prod down keeps its data volumes', async () => {
    const down = await devenv.json<{ keptVolumes: string[] }>(['prod', 'down']);
    assert.deepEqual(down.keptVolumes, ['prod-db-data', 'prod-graphite-whisper']);
  });
});
