// PostgreSQL of a running stack, reached the two ways devenv needs: a client on
// the db role's published port (on 127.0.0.1, or across a fleet on the address
// of the db's host), and the server's own tools (pg_dump, psql) run inside its
// container, piped into each other.
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { resourceName } from '../stacks/naming.ts';
import { hostPort } from '../stacks/ports.ts';
import { db } from '../roles/db.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { UserError } from '../lib/errors.ts';
import type { Context } from '../lib/paths.ts';
import { readFleet } from '../stacks/fleet-config.ts';
import type { Host } from '../stacks/hosts.ts';

const user = db.env.POSTGRES_USER!;

/** The published db port of a fixed-port stack (prod, princess). */
export function databasePort(stack: string): number {
  return hostPort(fixedPortBase(stack), db.publish.postgres!);
}

/** Where a stack's database answers: its published port, on 127.0.0.1 or its fleet host's address. */
export interface DatabaseAddress {
  stack: string;
  host: string;
  port: number;
  /** the tier's own (stacks/secrets.ts) */
  password: string;
  /** across a fleet: the host whose engine runs the db */
  engine?: Host;
}

/** The database of a fixed-port stack (prod, princess), on the host its recorded fleet places it. */
export async function databaseAddress(ctx: Context, stack: string): Promise<DatabaseAddress> {
  // The Pulumi SDK loads only here: the password is a secret in the stack's config.
  const { readStackSecrets } = await import('../stacks/environment.ts');
  const [fleet, secrets] = await Promise.all([readFleet(ctx, stack), readStackSecrets(ctx, stack)]);
  const placed = fleet?.placement.db?.[0];
  const engine = fleet?.hosts.find((candidate) => candidate.name === placed);
  return {
    stack,
    host: engine?.address ?? '127.0.0.1',
    port: databasePort(stack),
    password: secrets.dbPassword,
    ...(engine && { engine }),
  };
}

/** How to reach the shop's database role on a published port (plain data, so a worker thread can take it). */
export function clientConfig(where: Omit<DatabaseAddress, 'stack'>, database: string): pg.ClientConfig {
  return {
    host: where.host,
    port: where.port,
    database,
    user,
    password: where.password,
    connectionTimeoutMillis: 5000,
  };
}

/** A client of the shop's database role on a published port. */
export async function openClient(where: Omit<DatabaseAddress, 'stack'>, database: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(where, database));
  // A connection lost while idle (the server restarted) would otherwise be an
  // unhandled 'error' event that kills the process; the next query reports it.
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function connect(where: DatabaseAddress, database: string): Promise<pg.Client> {
  try {
    return await openClient(where, database);
  } catch (error) {
    throw new UserError(
      `cannot reach ${where.stack}'s database ${database} at ${where.host}:${where.port}: ${(error as Error).message}`,
      `bring it up with \`devenv ${where.stack} up\``,
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

/** A stack's database container, and the Docker engine it runs on (DOCKER_HOST; absent: this machine's). */
export interface DbContainer {
  stack: string;
  /** unix://... of a fleet host's engine (hostEngineSocket) */
  dockerHost?: string;
}

/** The docker CLI's options to reach the container's engine. */
const dockerCliEngine = (where: DbContainer) => (where.dockerHost ? { env: { DOCKER_HOST: where.dockerHost } } : {});

/**
 * A PostgreSQL tool run inside the stack's db container, stdin and stdout as
 * pipes. It logs in with the password the container was given: the secret is
 * never on a command line here.
 */
export function inDbContainer(
  where: DbContainer,
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
      ...options,
      resourceName(where.stack, 'db'),
      'sh',
      '-c',
      'PGPASSWORD="$POSTGRES_PASSWORD" exec "$0" "$@"',
      tool,
      '-h',
      '127.0.0.1',
      '-U',
      user,
      ...args,
    ],
    {
      buffer: { stdout: tool !== 'pg_dump', stderr: true },
      stdin: 'pipe',
      ...dockerCliEngine(where),
    },
  );
}

/** pg_dump of one section of a database's schema only, inside the snapshot when one is given. */
function dumpSchemaSection(
  from: DbContainer & { database: string; snapshot?: string },
  section: 'pre-data' | 'post-data',
  format: readonly string[] = [],
): ResultPromise {
  return inDbContainer(from, 'pg_dump', [
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
  from: DbContainer & { database: string; snapshot?: string },
  to: DbContainer & { database: string },
): Promise<void> {
  const dump = dumpSchemaSection(from, 'pre-data');
  const restore = inDbContainer(to, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', to.database]);
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
  from: DbContainer & { database: string; snapshot?: string },
  to: DbContainer & { database: string },
): Promise<PostDataArchive> {
  const archive = `/tmp/devenv-post-data-${process.pid}-${Date.now()}`;
  const container = resourceName(to.stack, 'db');
  const fail = (step: string, error: unknown): never => {
    throw new Error(`restoring the post-data schema failed in ${step}: ${lastErrorLine(error)}`);
  };
  const remove = async (): Promise<void> =>
    void (await execa('docker', ['exec', container, 'sh', '-c', `rm -f ${archive}.*`], {
      reject: false,
      ...dockerCliEngine(to),
    }));
  try {
    const dump = dumpSchemaSection(from, 'post-data', ['--format=custom']);
    const write = execa('docker', ['exec', '-i', container, 'sh', '-c', `cat > ${archive}.dump`], {
      stdin: 'pipe',
      ...dockerCliEngine(to),
    });
    dump.stdout!.pipe(write.stdin!);
    const [dumped, written] = await Promise.allSettled([dump, write]);
    if (dumped.status === 'rejected') fail('pg_dump', dumped.reason);
    if (written.status === 'rejected') fail('copying the archive', written.reason);
    const listed = await execa('docker', ['exec', container, 'pg_restore', '--list', `${archive}.dump`], {
      ...dockerCliEngine(to),
    }).catch((error: unknown) => fail('pg_restore --list', error));
    const entries = listed.stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(';'));
    const restore = async (chosen: readonly string[], jobs: number): Promise<void> => {
      if (chosen.length === 0) return;
      // Index builds sort in memory rather than spill to disk past the server's default 32 MB (these sessions only).
      const restoring = inDbContainer(
        to,
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
