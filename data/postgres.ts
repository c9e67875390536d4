// PostgreSQL of a running stack, reached the two ways devenv needs: a client on
// the db role's port published on 127.0.0.1, and the server's own tools
// (pg_dump, psql) run inside its container, piped into each other.
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { resourceName } from '../stacks/naming.ts';
import { hostPort } from '../stacks/ports.ts';
import { db } from '../roles/db.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { UserError } from '../lib/errors.ts';

const credentials = { user: db.env.POSTGRES_USER!, password: db.env.POSTGRES_PASSWORD! };

/** The published db port of a fixed-port stack (prod, princess). */
export function databasePort(stack: string): number {
  return hostPort(fixedPortBase(stack), db.publish.postgres!);
}

/** How to reach the shop's database role on a port published on 127.0.0.1 (plain data, so a worker thread can take it). */
export function clientConfig(port: number, database: string): pg.ClientConfig {
  return { host: '127.0.0.1', port, database, ...credentials, connectionTimeoutMillis: 5000 };
}

/** A client of the shop's database role on a port published on 127.0.0.1. */
export async function openClient(port: number, database: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(port, database));
  // A connection lost while idle (the server restarted) would otherwise be an
  // unhandled 'error' event that kills the process; the next query reports it.
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function connect(stack: string, database: string): Promise<pg.Client> {
  try {
    return await openClient(databasePort(stack), database);
  } catch (error) {
    throw new UserError(
      `cannot reach ${stack}'s database ${database}: ${(error as Error).message}`,
      `bring it up with \`devenv ${stack} up\``,
    );
  }
}

/**
 * Ends the client sessions on `database` but `admin`'s own. Client sessions only:
 * the db role may not signal autovacuum's workers, which a rename or a plain
 * DROP DATABASE stops by itself.
 */
export async function endSessions(admin: pg.Client, database: string): Promise<void> {
  await admin.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    [database],
  );
}

/**
 * Drops `database` if it exists, ending the db role's own sessions on it first.
 * Not DROP DATABASE ... WITH (FORCE): autovacuum analysing freshly loaded tables
 * is a process the role may not signal, so FORCE fails then, while a plain DROP
 * stops autovacuum by itself (and waits for it).
 */
export async function dropDatabase(admin: pg.Client, database: string): Promise<void> {
  await endSessions(admin, database);
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)}`);
}

/** A PostgreSQL tool run inside the stack's db container, stdin and stdout as pipes. */
export function inDbContainer(
  stack: string,
  tool: 'pg_dump' | 'psql' | 'pg_restore',
  args: string[],
  settings: readonly string[] = [],
): ResultPromise {
  const options = settings.length > 0 ? ['-e', `PGOPTIONS=${settings.map((s) => `-c ${s}`).join(' ')}`] : [];
  return execa(
    'docker',
    [
      'exec',
      '-i',
      '-e',
      `PGPASSWORD=${credentials.password}`,
      ...options,
      resourceName(stack, 'db'),
      tool,
      '-h',
      '127.0.0.1',
      '-U',
      credentials.user,
      ...args,
    ],
    {
      buffer: { stdout: tool !== 'pg_dump', stderr: true },
      stdin: 'pipe',
    },
  );
}

/** pg_dump of one section of a database's schema only, inside the snapshot when one is given. */
function dumpSchemaSection(
  from: { stack: string; database: string; snapshot?: string },
  section: 'pre-data' | 'post-data',
  format: readonly string[] = [],
): ResultPromise {
  return inDbContainer(from.stack, 'pg_dump', [
    '--schema-only',
    `--section=${section}`,
    ...format,
    '--no-owner',
    '--no-privileges',
    ...(from.snapshot ? [`--snapshot=${from.snapshot}`] : []),
    from.database,
  ]);
}

/** The last line a failed tool wrote to stderr (its error), else the error's message. */
function lastErrorLine(error: unknown): string | undefined {
  return String((error as { stderr?: string }).stderr ?? (error as Error).message)
    .trim()
    .split('\n')
    .pop();
}

/** The tables, types and sequences of a database's schema (pg_dump's pre-data section), piped into psql of another stack's database. */
export async function copyTableSchema(
  from: { stack: string; database: string; snapshot?: string },
  to: { stack: string; database: string },
): Promise<void> {
  const dump = dumpSchemaSection(from, 'pre-data');
  const restore = inDbContainer(to.stack, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', to.database]);
  dump.stdout!.pipe(restore.stdin!);
  const [dumped, restored] = await Promise.allSettled([dump, restore]);
  for (const [step, result] of [
    ['pg_dump', dumped],
    ['psql', restored],
  ] as const) {
    if (result.status === 'rejected') {
      throw new Error(`copying the schema's tables failed in ${step}: ${lastErrorLine(result.reason)}`);
    }
  }
}

/**
 * Memory for index builds, per session: half of 192 MB for each of at most two
 * (the db role has 384 MB in all, the rest for shared buffers and the other
 * sessions, and a server over it is killed mid-build).
 */
const indexBuildMemoryMb = 96;

/** A database's post-data schema (pg_dump's custom format), kept in another stack's db container to restore in pieces. */
export interface PostDataArchive {
  /** its table of contents, one entry per line as `pg_restore --list` gives them */
  readonly entries: readonly string[];
  /** restores `entries` (some of the archive's, in its order) into the target database with `jobs` sessions */
  restore(entries: readonly string[], jobs: number): Promise<void>;
  /** removes the archive from the container */
  remove(): Promise<void>;
}

export async function dumpPostData(
  from: { stack: string; database: string; snapshot?: string },
  to: { stack: string; database: string },
): Promise<PostDataArchive> {
  const archive = `/tmp/devenv-post-data-${process.pid}-${Date.now()}`;
  const container = resourceName(to.stack, 'db');
  const fail = (step: string, error: unknown): never => {
    throw new Error(`restoring the post-data schema failed in ${step}: ${lastErrorLine(error)}`);
  };
  const remove = async (): Promise<void> =>
    void (await execa('docker', ['exec', container, 'sh', '-c', `rm -f ${archive}.*`], { reject: false }));
  try {
    const dump = dumpSchemaSection(from, 'post-data', ['--format=custom']);
    const write = execa('docker', ['exec', '-i', container, 'sh', '-c', `cat > ${archive}.dump`], { stdin: 'pipe' });
    dump.stdout!.pipe(write.stdin!);
    const [dumped, written] = await Promise.allSettled([dump, write]);
    if (dumped.status === 'rejected') fail('pg_dump', dumped.reason);
    if (written.status === 'rejected') fail('copying the archive', written.reason);
    const listed = await execa('docker', ['exec', container, 'pg_restore', '--list', `${archive}.dump`]).catch(
      (error: unknown) => fail('pg_restore --list', error),
    );
    const entries = listed.stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(';'));
    const restore = async (chosen: readonly string[], jobs: number): Promise<void> => {
      if (chosen.length === 0) return;
      // Index builds sort in memory rather than spill to disk past the server's default 32 MB (these sessions only).
      const restoring = inDbContainer(
        to.stack,
        'pg_restore',
        [
          `--jobs=${jobs}`,
          '--no-owner',
          '--no-privileges',
          '--exit-on-error',
          '--use-list=/dev/stdin',
          '-d',
          to.database,
          `${archive}.dump`,
        ],
        [`maintenance_work_mem=${indexBuildMemoryMb}MB`],
      );
      // The entries to restore, read from stdin before anything is restored.
      restoring.stdin!.end(`${chosen.join('\n')}\n`);
      await restoring.catch((error: unknown) => fail('pg_restore', error));
    };
    return { entries, restore, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
