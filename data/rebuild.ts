// devenv princess rebuild: princess's database made anew from production's, with
// every piece of personal data replaced.
//
// One snapshot of prod (exported, so the schema dump and every table's copy see
// the same moment) is streamed table by table through the scrubber into a fresh
// database beside princess's, with no temporary copy on disk and flat memory;
// then constraints and indexes, the candidate build's migrations, checks and the
// leak scan. Only then does princess switch to it; until that moment, and if any
// step fails, princess keeps serving its old data.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import {
  columnsOf,
  ident,
  loadOrder,
  postDataEntries,
  readSchema,
  readTableEntries,
  type PersonalColumn,
  type TableEntry,
} from './catalog.ts';
import {
  ContactFilter,
  createContactFilter,
  filterFailed,
  filterReady,
  type SharedContactFilter,
} from './contact-filter.ts';
import {
  contactChecks,
  countContacts,
  fillContactFilter,
  loadProbes,
  readNameWords,
  scanForLeaks,
  unchangedChecks,
  type LeakCheck,
  type LeakReport,
  type LeakScanClients,
  type Probe,
} from './leak-scan.ts';
import { parseScrubRules, unconfiguredColumns, type ColumnInfo, type ScrubRules } from './scrub-rules.ts';
import { minimumKeyBytes } from './scrub-transforms.ts';
import { copyInParallel, splitTable, type ParallelCopy, type TableCopied } from './parallel-copy.ts';
import type { CopyPart } from './table-copy.ts';
import { networkName } from '../stacks/naming.ts';
import { startHeldOneOff } from '../stacks/one-off.ts';
import { dockerClient, inspectIfPresent } from '../stacks/docker-client.ts';
import { renderStack, urlsOf, type RenderedStack } from '../stacks/render.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { readFleet } from '../stacks/fleet-config.ts';
import type { Host } from '../stacks/hosts.ts';
import { UserError } from '../lib/errors.ts';
import { paths, projectRoot, type Context } from '../lib/paths.ts';
import {
  clientConfig,
  connect,
  copyTableSchema,
  databaseAddress,
  dropDatabase,
  type DatabaseAddress,
  type DbContainer,
  dumpPostData,
  endSessions,
  type PostDataArchive,
} from './postgres.ts';
import { consoleReporter, countOutput, type Phase, type Reporter } from '../lib/report.ts';
import { sideBySide, waitFor } from '../lib/wait.ts';

export const defaultRulesFile = join(projectRoot, 'data', 'scrub-rules.yaml');
const liveDatabase = 'shop';
const nextDatabase = 'shop_next';
const previousDatabase = 'shop_previous';
/** Copy workers unless told: the scrubbing is CPU in JavaScript and each worker drives its own pair of server sessions, so one per core (16 at most). */
const onePerCore = Math.min(16, availableParallelism());
/** pg_restore jobs building indexes and checking foreign keys: two sessions' maintenance_work_mem is what princess's server has room for. */
const constraintJobs = 2;
/** Keys per part of a big table: small enough to keep every worker busy to the end. */
const partRows = 50_000;

export interface RebuildOptions {
  rules?: string;
  /** file holding the scrub key; else DEVENV_SCRUB_KEY, else <devenv home>/scrub.key */
  keyFile?: string;
  /**
   * Worker threads copying through the scrubber.
   * @default onePerCore (on 2 cores a third was slower: PostgreSQL needs CPU too)
   */
  workers?: number;
}

export interface TableCopy {
  table: string;
  rows: number;
  bytes: number;
  seconds: number;
}

export interface RebuildResult {
  snapshot: string;
  tables: TableCopy[];
  rows: number;
  megabytes: number;
  seconds: number;
  rowsPerSecond: number;
  megabytesPerSecond: number;
  migrations: string;
  leaks: LeakReport;
  /** Wall seconds of each step (constraints then migrations run beside the leak scan). */
  phases: Record<string, number>;
}

/** The key as bytes: hex when it looks like hex, else the text itself. */
export function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  return /^([0-9a-f]{2})+$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'utf8');
}

async function readKey(ctx: Context, options: RebuildOptions): Promise<Buffer> {
  const file = options.keyFile ?? join(ctx.home, 'scrub.key');
  const text = process.env.DEVENV_SCRUB_KEY ?? (await readFile(file, 'utf8').catch(() => undefined));
  const fix = `put at least ${minimumKeyBytes} random bytes in DEVENV_SCRUB_KEY or ${file} (e.g. \`openssl rand -hex 32 > ${file}\`)`;
  if (text === undefined)
    throw new UserError('no scrub key: pseudonyms are keyed so nobody without the key can map them back', fix);
  const key = decodeKey(text);
  if (key.length < minimumKeyBytes)
    throw new UserError(`the scrub key is ${key.length} bytes, fewer than ${minimumKeyBytes}`, fix);
  return key;
}

async function readRules(file: string, schema: Parameters<typeof parseScrubRules>[1]): Promise<ScrubRules> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UserError(`cannot read the scrub rules ${file}`);
  });
  let rules: ScrubRules;
  try {
    rules = parseScrubRules(text, schema, file);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const missing = unconfiguredColumns(rules, schema);
  if (missing.length > 0) {
    throw new UserError(
      `prod has ${missing.length} column(s) with no scrub rule: ${missing.join(', ')}`,
      `add a rule for each to ${file} (new personal data must not leak by default)`,
    );
  }
  return rules;
}

/** Distinct words of every column faked as a name: redact-text replaces them inside free text. */
async function knownNameTokens(prod: pg.Client, rules: ScrubRules): Promise<string[]> {
  const tokens = new Set<string>();
  for (const rule of rules.columns.filter((r) => r.transform === 'fake-name')) {
    // Spaces split natively over every row, the distinct pieces then at any white space: the same tokens as one regular expression, for less CPU.
    const { rows } = await prod.query<{ w: string }>(
      `SELECT DISTINCT w FROM (SELECT DISTINCT p FROM ${ident(rule.table)}, string_to_table(${ident(rule.column)}, ' ') AS p) s, regexp_split_to_table(s.p, '\\s+') AS w WHERE w <> ''`,
    );
    for (const { w } of rows) tokens.add(w);
  }
  return [...tokens];
}

/** Single-column primary keys by table, for the leak scan's row-by-row checks. */
function primaryKeys(schema: readonly ColumnInfo[]): Record<string, string> {
  const keys = schema.filter((c) => c.primaryKey);
  return Object.fromEntries(
    keys.filter((c) => keys.filter((k) => k.table === c.table).length === 1).map((c) => [c.table, c.column]),
  );
}

/** Every table in parts: single integer keys cut into ranges of `partRows`, the rest whole; heavier tables first. */
async function planParts(
  prod: pg.Client,
  schema: readonly ColumnInfo[],
  rules: ScrubRules,
  tables: readonly string[],
): Promise<CopyPart[]> {
  const keys = primaryKeys(schema);
  const parts: CopyPart[] = [];
  for (const table of tables) {
    const key = keys[table];
    const integer =
      key !== undefined &&
      ['int2', 'int4', 'int8'].includes(schema.find((c) => c.table === table && c.column === key)!.type);
    const range = integer
      ? (
          await prod.query<{ min: number | null; max: number | null }>(
            `SELECT min(${ident(key)})::float8 AS min, max(${ident(key)})::float8 AS max FROM ${ident(table)}`,
          )
        ).rows[0]
      : undefined;
    const bounds =
      range && range.min !== null && range.max !== null ? { column: key!, min: range.min, max: range.max } : undefined;
    parts.push(...splitTable(table, columnsOf(schema, table), bounds, partRows));
  }
  // Parts of tables with more scrubbing first, so the cheap ones fill the workers' last gaps.
  const weight = (table: string) => rules.columns.filter((r) => r.table === table && r.transform !== 'keep').length;
  return parts.sort((a, b) => weight(b.table) - weight(a.table));
}

/** Identity and serial columns continue after the copied rows, as in prod. */
async function resetSequences(next: pg.Client): Promise<void> {
  const { rows } = await next.query<{ table: string; column: string }>(`
    SELECT table_name AS table, column_name AS column FROM information_schema.columns
    WHERE table_schema = 'public' AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`);
  for (const { table, column } of rows) {
    await next.query(
      `SELECT setval(pg_get_serial_sequence('"${table}"', '${column}'), GREATEST((SELECT max(${ident(column)}) FROM ${ident(table)}), 1))`,
    );
  }
}

function candidateImage(princess: RenderedStack) {
  return princess.images.find((i) => i.name === 'web')!;
}

/**
 * The candidate build (this checkout's web image) migrates the new database, as a
 * deploy would, in a one-off container started ahead that waits to be told: it
 * starts while the constraints are built, so its container and Node.js with the
 * site's modules come up then (about 0.6 s that no longer follows the
 * constraints). Not during the copy, which has both cores busy: its 0.7 CPU
 * seconds would lengthen the copy. It connects only when told.
 */
async function startRehearsal(princess: RenderedStack, image: CandidateImage, password: string) {
  const held = await startHeldOneOff({
    stack: 'princess',
    role: 'rehearse',
    image: image.ref,
    // Across a fleet, on princess's db host: the db answers by name on that host's network.
    ...(image.host && { engine: image.host }),
    command: ['node', 'migrate-now.ts', '--when-told'],
    env: { DATABASE_URL: `postgres://shop:${password}@db:5432/${nextDatabase}` },
    network: networkName('princess'),
  });
  return {
    /** Applies the migrations to the new database now: their last line of output. */
    run: async (): Promise<string> => {
      const run = await held.go();
      if (run.exitCode !== 0)
        throw new UserError(
          `the candidate build's migrations failed on production data: ${`${run.stdout}\n${run.stderr}`.trim().split('\n').pop()}`,
          'princess keeps its old data; fix the migration and rebuild',
        );
      return run.stdout.split('\n').pop() ?? '';
    },
    cancel: () => held.cancel(),
  };
}

/** The copy's check of free text against production's emails, phones and name words, from filling its filter to confirming its finds. */
interface ContactsCheck {
  /** The words of production's names, read once: for the filter, the leak scan's probe and the confirmation. */
  nameWords: Promise<string[]>;
  /** The copy's finds in free text confirmed against prod's snapshot, as leak checks. */
  confirm(copied: readonly TableCopied[]): Promise<LeakCheck[]>;
  end(): Promise<void>;
}

/**
 * Fills the copy workers' filter of production's emails, phones and name words
 * from the snapshot, on a connection of its own, while the copy runs: the
 * workers wait for it only when they reach free text. The connection stays in
 * the snapshot to confirm the finds after the copy.
 */
function startContactsCheck(
  prodDatabase: DatabaseAddress,
  snapshot: string,
  personal: readonly PersonalColumn[],
  filter: SharedContactFilter,
): ContactsCheck {
  let client: pg.Client | undefined;
  const nameWords = (async () => {
    client = await connect(prodDatabase, liveDatabase);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
    return readNameWords(client, personal);
  })();
  const filled = (async () => {
    try {
      const words = await nameWords;
      await fillContactFilter(client!, personal, filter, words);
      new ContactFilter(filter).settle(filterReady);
      return { client: client!, nameWords: new Set(words) };
    } catch (error) {
      // The workers waiting for it stop waiting, and their copy fails.
      new ContactFilter(filter).settle(filterFailed);
      throw error;
    }
  })();
  // Awaited by the leak scan's probes and by the confirmation, which report why.
  nameWords.catch(() => {});
  filled.catch(() => {});
  return {
    nameWords,
    confirm: async (copied) => {
      const { client: prod, nameWords: words } = await filled;
      return contactChecks(prod, personal, copied, words);
    },
    end: async () => void (await client?.end().catch(() => {})), // closing: a connection already lost has nothing left to close
  };
}

/** The post-data schema restored in two steps, as restoreAsTablesLand says. */
interface PostDataSteps {
  /** after the copy: once the keys in progress are made, everything not made yet, with `constraintJobs` sessions */
  finish(): Promise<void>;
  /** removes the archive */
  remove(): Promise<void>;
}

/**
 * Constraints and indexes in two steps. While the copy goes on, the keys, unique
 * constraints and indexes of the tables whose rows are all in are made, one
 * session at a time: at 10^6 members about half a core is idle during the copy,
 * and they were most of the work after it. What is left when the copy ends (the
 * tables copied last, every foreign key, anything else of the post-data schema)
 * is restored then, with `constraintJobs` sessions. Foreign keys checked during
 * the copy (tried) slowed it as much as they saved after it on a loaded machine.
 */
function restoreAsTablesLand(
  copy: ParallelCopy,
  tables: readonly string[],
  archive: Promise<PostDataArchive>,
  known: Promise<TableEntry[]>,
): PostDataSteps {
  const prepared = Promise.all([archive, known]).then(([dumped, entries]) => ({
    archive: dumped,
    entries: postDataEntries(dumped.entries, entries),
  }));
  prepared.catch(() => {}); // waited for below; a failure shows there
  const landed = new Set<string>();
  const restored = new Set<string>();
  let failure: unknown;
  /** one pass after each table lands, one after the other */
  let making: Promise<void> = Promise.resolve();
  const makeReady = async (): Promise<void> => {
    if (failure !== undefined) return;
    const { archive: dumped, entries } = await prepared;
    // Once every table has landed, the rest is restored in parallel instead.
    for (;;) {
      if (landed.size === tables.length) return;
      const ready = entries.filter(
        (entry) => entry.table !== undefined && landed.has(entry.table) && !restored.has(entry.line),
      );
      if (ready.length === 0) return;
      await dumped.restore(
        ready.map((entry) => entry.line),
        1,
      );
      for (const entry of ready) restored.add(entry.line);
    }
  };
  for (const table of tables) {
    copy.table(table).then(
      () => {
        landed.add(table);
        making = making.then(makeReady).catch((error: unknown) => void (failure ??= error));
      },
      () => {},
    );
  }
  return {
    finish: async () => {
      await making;
      if (failure !== undefined) throw failure;
      const { archive: dumped } = await prepared;
      await dumped.restore(
        dumped.entries.filter((line) => !restored.has(line)),
        constraintJobs,
      );
    },
    remove: async () => (await archive.catch(() => undefined))?.remove(),
  };
}

/** Every table's rows in prod's snapshot against what PostgreSQL reported storing in the new database (its COPY FROM counts). */
async function checkCounts(prod: pg.Client, copied: readonly TableCopied[]): Promise<void> {
  for (const { table, rows } of copied) {
    const inProd = Number((await prod.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(table)}`)).rows[0]!.n);
    if (inProd !== rows)
      throw new UserError(`${table} has ${rows} rows in the new princess database but ${inProd} in prod's snapshot`);
  }
}

/** Princess's databases switch under their names; the web's pool reconnects to the new one. */
async function switchOver(admin: pg.Client): Promise<void> {
  await dropDatabase(admin, previousDatabase);
  const live = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [liveDatabase])).rowCount;
  if (live) {
    await admin.query(`ALTER DATABASE ${liveDatabase} WITH ALLOW_CONNECTIONS false`);
    await endSessions(admin, liveDatabase);
    await admin.query(`ALTER DATABASE ${liveDatabase} RENAME TO ${previousDatabase}`);
  }
  await admin.query(`ALTER DATABASE ${nextDatabase} RENAME TO ${liveDatabase}`);
}

async function princessServes(princess: RenderedStack): Promise<void> {
  const site = urlsOf(princess)['proxy.http']!;
  let last = '';
  await waitFor(
    async () => {
      const answers = await Promise.all(
        ['healthz', ''].map((path) =>
          fetch(site + path, { signal: AbortSignal.timeout(3000) }).then(
            (r) => r.status,
            (e: Error) => e.message,
          ),
        ),
      );
      last = answers.join(', ');
      return answers.every((a) => a === 200) || undefined;
    },
    {
      intervalMs: 500,
      timeoutMs: 30_000,
      timedOut: () => new UserError(`princess does not serve after the switch (${last})`),
    },
  );
}

/** What the rebuild's phases hand on to the ones after them. */
interface Rebuild {
  prod: pg.Client;
  princess: RenderedStack;
  /** where prod's and princess's databases answer (across a fleet, on their hosts) */
  databases: { prod: DatabaseAddress; princess: DatabaseAddress };
  /** their db containers, for the server's own tools (across a fleet, on their hosts' engines) */
  engines: { prod: DbContainer; princess: DbContainer };
  /** the candidate build's web image, once built (and, across a fleet, on princess's db host) */
  candidate?: CandidateImage;
  snapshot: string;
  personal: PersonalColumn[];
  keys: ReturnType<typeof primaryKeys>;
  /** everything held until the rebuild ends, released in reverse order whatever happened */
  held: AsyncDisposableStack;
  result: RebuildOutcome;
  timed: <T>(phase: string, step: () => Promise<T>) => Promise<T>;
}

interface RebuildOutcome {
  tables: TableCopy[];
  snapshot: string;
  migrations: string;
  leaks: LeakReport;
  phases: Record<string, number>;
}

/**
 * A connection the rebuild holds until it ends. Ending is idempotent, and one
 * that cannot end was lost already: cleaning up must not hide the error that
 * ended the rebuild.
 */
async function heldConnection(held: AsyncDisposableStack, where: DatabaseAddress, database: string) {
  const client = await connect(where, database);
  held.defer(() => client.end().catch(() => {}));
  return client;
}

/** Built first (a tag the engine has is never rebuilt): a build that fails stops the rebuild before any copying, and the rehearsal needs the image. */
/** A stack's db container; across a fleet, on its host's engine through a socket held until the rebuild ends. */
async function dbContainer(held: AsyncDisposableStack, ctx: Context, where: DatabaseAddress): Promise<DbContainer> {
  if (!where.engine) return { stack: where.stack };
  const { hostEngineSocket } = await import('../stacks/host-engine.ts');
  const socket = await hostEngineSocket(ctx.home, where.engine);
  held.defer(() => socket.close());
  return { stack: where.stack, dockerHost: `unix://${socket.path}` };
}

/** The image the rehearsal runs, and where: this machine's tag, or across a fleet its digest on princess's db host. */
interface CandidateImage {
  ref: string;
  host?: Host;
}

async function buildCandidateImage(ctx: Context, princess: RenderedStack): Promise<CandidateImage> {
  const image = candidateImage(princess);
  if (!(await inspectIfPresent(() => dockerClient().getImage(image.ref).inspect()))) {
    // The build path loads Pulumi's SDK, a second and a half of start-up a rebuild whose image exists does without.
    const [{ imageInputs }, { ensureImage }] = await Promise.all([
      import('../stacks/program.ts'),
      import('../stacks/providers/image.ts'),
    ]);
    await ensureImage(imageInputs(image, paths.logs(ctx)));
  }
  const host = princess.containers.find((c) => c.role === 'db')?.host;
  if (!host) return { ref: image.ref };
  const [{ pullOnHost, pushImage, readRegistry }, { engineOf }] = await Promise.all([
    import('../stacks/registry.ts'),
    import('../stacks/host-engine.ts'),
  ]);
  const registry = await readRegistry(ctx.home);
  const { ref } = await pushImage(registry, image.ref);
  await pullOnHost(registry, { name: host.name, docker: await engineOf(host) }, ref);
  return { ref, host };
}

/** The new database beside princess's, with prod's table definitions (constraints come after the rows); dropped unless princess switches to it. */
async function freshDatabase(run: Rebuild, admin: pg.Client, switched: () => boolean) {
  await dropDatabase(admin, nextDatabase);
  await admin.query(`CREATE DATABASE ${nextDatabase}`);
  // Registered before any connection to it, so released after them all.
  run.held.defer(async () => {
    // A half-made shop_next that cannot be dropped now is dropped by the next rebuild before it starts.
    if (!switched()) await dropDatabase(admin, nextDatabase).catch(() => {});
  });
  await copyTableSchema(
    { ...run.engines.prod, database: liveDatabase, snapshot: run.snapshot },
    { ...run.engines.princess, database: nextDatabase },
  );
  const [next, princess, princessWriter, princessColumns] = await Promise.all(
    [0, 1, 2, 3].map(() => heldConnection(run.held, run.databases.princess, nextDatabase)),
  );
  return {
    next: next!,
    scan: { princess: princess!, princessWriter: princessWriter!, princessColumns: princessColumns! },
  };
}

interface CopyPlan {
  key: Buffer;
  tokens: Awaited<ReturnType<typeof knownNameTokens>>;
  rules: ScrubRules;
  tables: string[];
  parts: CopyPart[];
  contactFilter: SharedContactFilter;
  workers: number;
}

/**
 * Every table through the scrubber in worker threads, each table's constraints
 * and indexes made as its rows land; production's values for the leak scan load
 * meanwhile (they need prod's snapshot only).
 */
async function copyThroughScrubber(run: Rebuild, plan: CopyPlan, scan: Omit<LeakScanClients, 'prod'>, phase: Phase) {
  const mustChange = run.personal.filter((c) => c.kind !== 'text').map((c) => `${c.table}.${c.column}`);
  const textColumns = run.personal.filter((c) => c.kind === 'text').map((c) => `${c.table}.${c.column}`);
  const setup = {
    prod: clientConfig(run.databases.prod, liveDatabase),
    next: clientConfig(run.databases.princess, nextDatabase),
    snapshot: run.snapshot,
    key: plan.key,
    knownNameTokens: plan.tokens,
    rules: [...plan.rules.columns],
    mustChange,
    textColumns,
    contacts: plan.contactFilter,
  };
  const outputs = new Map<string, (rows: number) => void>();
  const copy = copyInParallel(setup, plan.parts, plan.workers, (table, rows) => outputs.get(table)?.(rows));
  run.held.defer(() => copy.stop());
  const archive = dumpPostData(
    { ...run.engines.prod, database: liveDatabase, snapshot: run.snapshot },
    { ...run.engines.princess, database: nextDatabase },
  );
  const postData = restoreAsTablesLand(copy, plan.tables, archive, readTableEntries(run.prod));
  run.held.defer(() => postData.remove());
  // Filled while the copy runs; the workers wait for it at their first free text.
  const contacts =
    textColumns.length > 0
      ? startContactsCheck(run.databases.prod, run.snapshot, run.personal, plan.contactFilter)
      : undefined;
  if (contacts) run.held.defer(() => contacts.end());
  const probes = loadProbes(
    { prod: run.prod, princess: scan.princess },
    run.personal,
    run.keys,
    contacts?.nameWords ?? Promise.resolve([]),
  );
  probes.catch(() => {}); // awaited by the leak scan, which reports why it failed
  const copyStarted = performance.now();
  // Timing only: a failed copy is reported where the copy is awaited.
  copy.finished.then(
    () => (run.result.phases.copy = (performance.now() - copyStarted) / 1000),
    () => {},
  );
  await Promise.all(
    plan.tables.map((table) =>
      phase.phase(`Copying ${table} through the scrubber`, async (sub) => {
        const started = performance.now();
        let copiedRows = 0;
        const progress = countOutput((text) => sub.output(text));
        outputs.set(table, (rows) => {
          copiedRows += rows;
          progress(
            `${copiedRows.toLocaleString('en')} rows, ${Math.round(copiedRows / ((performance.now() - started) / 1000)).toLocaleString('en')} rows/s`,
          );
        });
        const copied = await copy.table(table);
        run.result.tables.push(copied);
        sub.retitle(
          `Copied ${table}: ${copied.rows.toLocaleString('en')} rows in ${copied.seconds.toFixed(1)} s (${Math.round(copied.rows / Math.max(copied.seconds, 0.001)).toLocaleString('en')} rows/s)`,
        );
      }),
    ),
  );
  return { copy, postData, contacts, probes };
}

/** Constraints and indexes, then the candidate build's migrations against production data. */
async function constraintsThenMigrations(
  run: Rebuild,
  copy: ParallelCopy,
  postData: PostDataSteps,
  next: pg.Client,
  signal: AbortSignal,
) {
  await copy.finished;
  // A check beside it failed: the rebuild stops, and no container is started for it.
  signal.throwIfAborted();
  const rehearsal = await startRehearsal(run.princess, run.candidate!, run.databases.princess.password);
  run.held.defer(() => rehearsal.cancel());
  await run.timed('constraints', () => postData.finish());
  await resetSequences(next);
  signal.throwIfAborted();
  // After the constraints: a migration may build on a key or an index.
  run.result.migrations = await run.timed('migrations', () => rehearsal.run());
}

/** The leak scan reads the new database; the copy's own finds are confirmed on prod meanwhile. */
async function leakScan(
  run: Rebuild,
  copy: ParallelCopy,
  scan: Omit<LeakScanClients, 'prod'>,
  probes: Promise<Probe[]>,
  contacts: ContactsCheck | undefined,
  phase: Phase,
) {
  const copied = await copy.finished;
  const scanning = run
    .timed('leakScan', async () => scanForLeaks(scan, run.personal, run.keys, await probes))
    // Nobody may be connected to the new database when it is renamed into place.
    .finally(() => Promise.all([scan.princess.end(), scan.princessWriter.end(), scan.princessColumns.end()]));
  const [scanned, confirmed] = await Promise.all([scanning, contacts?.confirm(copied) ?? []]);
  const checks = [...unchangedChecks(copied), ...confirmed, ...scanned.checks];
  run.result.leaks = { checks, hits: checks.reduce((sum, c) => sum + c.hits, 0) };
  if (run.result.leaks.hits > 0) {
    const where = checks
      .filter((c) => c.hits > 0)
      .map((c) => `${c.what}: ${c.hits}`)
      .join(', ');
    throw new UserError(
      `the leak scan found ${run.result.leaks.hits} production value(s) in the scrubbed data (${where})`,
      'princess keeps its old data; fix the scrub rules and rebuild',
    );
  }
  phase.retitle(`Leak scan: 0 production values found in ${checks.length} checks`);
}

export async function rebuildPrincess(
  ctx: Context,
  options: RebuildOptions,
  report: Reporter = consoleReporter(),
): Promise<RebuildResult> {
  const started = performance.now();
  const key = await readKey(ctx, options);
  const rulesFile = options.rules ?? defaultRulesFile;
  const result: RebuildOutcome = {
    tables: [],
    snapshot: '',
    migrations: '',
    leaks: { checks: [], hits: 0 },
    phases: {},
  };
  {
    await using held = new AsyncDisposableStack();
    // Princess as this checkout describes it: the candidate build's image, the site's URL.
    const [princessFleet, databases] = await Promise.all([
      readFleet(ctx, 'princess'),
      Promise.all([databaseAddress(ctx, 'prod'), databaseAddress(ctx, 'princess')]).then(([prod, princess]) => ({
        prod,
        princess,
      })),
    ]);
    const princess = await renderStack(
      'princess',
      projectRoot,
      fixedPortBase('princess'),
      princessFleet && { fleet: princessFleet },
    );
    const prod = await heldConnection(held, databases.prod, liveDatabase);
    const admin = await heldConnection(held, databases.princess, 'postgres');
    const timed = async <T>(phase: string, step: () => Promise<T>): Promise<T> => {
      const stepStarted = performance.now();
      try {
        return await step();
      } finally {
        result.phases[phase] = (performance.now() - stepStarted) / 1000;
      }
    };
    await prod.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    result.snapshot = (await prod.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    const { columns: schema, personal } = await readSchema(prod);
    const keys = primaryKeys(schema);
    const rules = await readRules(rulesFile, schema);
    const tables = loadOrder(schema);
    const plan: CopyPlan = {
      key,
      tokens: await knownNameTokens(prod, rules),
      rules,
      tables,
      parts: await planParts(prod, schema, rules, tables),
      contactFilter: createContactFilter(await countContacts(prod, personal)),
      workers: options.workers ?? onePerCore,
    };
    const engines = {
      prod: await dbContainer(held, ctx, databases.prod),
      princess: await dbContainer(held, ctx, databases.princess),
    };
    const run: Rebuild = {
      prod,
      princess,
      databases,
      engines,
      snapshot: result.snapshot,
      personal,
      keys,
      held,
      result,
      timed,
    };
    let switched = false;

    await report.phase(`The candidate build's web image ${candidateImage(princess).ref}`, () =>
      timed('image', async () => {
        run.candidate = await buildCandidateImage(ctx, princess);
      }),
    );
    const { next, scan } = await report.phase(
      `Fresh database ${nextDatabase} on princess, schema from prod's snapshot`,
      () => timed('schema', () => freshDatabase(run, admin, () => switched)),
    );
    const { copy, postData, contacts, probes } = await report.phase(
      `Copying ${tables.length} tables through the scrubber in ${plan.workers} worker threads`,
      (phase) => copyThroughScrubber(run, plan, scan, phase),
    );
    // The leak scan needs the copied rows only: the candidate's migrations cannot bring
    // production values (they never see prod), so it runs beside the constraints and
    // the migrations, each on its own connection, and so does the count of rows.
    await report.phase('Constraints, indexes and migrations, the leak scan and the row counts, side by side', (phase) =>
      sideBySide((signal) => [
        phase.phase(
          "Constraints and indexes (every foreign key and unique constraint checked), then the candidate build's migrations against production data",
          () => constraintsThenMigrations(run, copy, postData, next, signal),
        ),
        phase.phase('Leak scan: production personal data in the new database', (sub) =>
          leakScan(run, copy, scan, probes, contacts, sub),
        ),
        phase.phase("Row counts match prod's snapshot", async () => checkCounts(prod, await copy.finished)),
      ]),
    );
    await report.phase('Princess switches to the new database', () =>
      timed('switch', async () => {
        await next.end();
        await switchOver(admin);
        switched = true;
        await princessServes(princess);
      }),
    );
    await prod.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = result.tables.reduce((sum, t) => sum + t.rows, 0);
  const megabytes = result.tables.reduce((sum, t) => sum + t.bytes, 0) / 1024 ** 2;
  const copySeconds = Math.max(...result.tables.map((t) => t.seconds), 0.001);
  return {
    ...result,
    rows,
    megabytes,
    seconds,
    rowsPerSecond: rows / copySeconds,
    megabytesPerSecond: megabytes / copySeconds,
  };
}
