// PostgreSQL of a running stack, reached the two ways devenv needs: a client on
// the db role's port published on 127.0.0.1, and the server's own tools
// (pg_dump, psql) run inside its container, piped into each other.
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { resourceName } from '../stacks/naming.ts';
import { hostPort } from '../stacks/ports.ts';
import { db } from '../roles/db.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { UserError } from './errors.ts';

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
  await client.connect();
  return client;
}

export async function connect(stack: string, database: string): Promise<pg.Client> {
  try {
    return await openClient(databasePort(stack), database);
  } catch (error) {
    throw new UserError(`cannot reach ${stack}'s database ${database}: ${(error as Error).message}`, `bring it up with \`devenv ${stack} up\``);
  }
}

/** A PostgreSQL tool run inside the stack's db container, stdin and stdout as pipes. */
export function inDbContainer(stack: string, tool: 'pg_dump' | 'psql', args: string[], settings: readonly string[] = []): ResultPromise {
  const options = settings.length > 0 ? ['-e', `PGOPTIONS=${settings.map((s) => `-c ${s}`).join(' ')}`] : [];
  return execa('docker', ['exec', '-i', '-e', `PGPASSWORD=${credentials.password}`, ...options, resourceName(stack, 'db'), tool, '-h', '127.0.0.1', '-U', credentials.user, ...args], {
    buffer: { stdout: tool !== 'pg_dump', stderr: true },
    stdin: 'pipe',
  });
}

/** pg_dump of one section of a database's schema, piped into psql of another stack's database. */
export async function copySchemaSection(from: { stack: string; database: string; snapshot?: string }, to: { stack: string; database: string }, section: 'pre-data' | 'post-data'): Promise<void> {
  const dump = inDbContainer(from.stack, 'pg_dump', ['--schema-only', `--section=${section}`, '--no-owner', '--no-privileges', ...(from.snapshot ? [`--snapshot=${from.snapshot}`] : []), from.database]);
  // Index builds sort in memory instead of spilling to disk past the server's default 32 MB (this session only).
  const restore = inDbContainer(to.stack, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', to.database], section === 'post-data' ? ['maintenance_work_mem=256MB'] : []);
  dump.stdout!.pipe(restore.stdin!);
  const [dumped, restored] = await Promise.allSettled([dump, restore]);
  for (const [step, result] of [['pg_dump', dumped], ['psql', restored]] as const) {
    if (result.status === 'rejected') {
      const stderr = String((result.reason as { stderr?: string }).stderr ?? '').trim().split('\n').pop();
      throw new Error(`copying the ${section} schema failed in ${step}: ${stderr}`);
    }
  }
}
