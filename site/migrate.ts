// Applies migrations/NNN_name.sql in order, each once and in its own
// transaction. The caller holds the advisory lock, so replicas do not race.
import { readdir, readFile } from 'node:fs/promises';
import type { PoolClient } from 'pg';
import { label, migrationFile, planMigrations, type AppliedMigration, type MigrationFile } from './migration-plan.ts';

const migrationsDir = new URL('./migrations/', import.meta.url);

export async function readMigrationFiles(): Promise<MigrationFile[]> {
  const names = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => migrationFile(name, await readFile(new URL(name, migrationsDir), 'utf8'))),
  );
}

/** Applies what is pending and returns the labels of what it applied. */
export async function migrate(client: PoolClient, files: readonly MigrationFile[]): Promise<string[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<AppliedMigration>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );
  const plan = planMigrations(files, rows);
  if (!plan.ok) throw new Error(`migrations refused:\n  ${plan.problems.join('\n  ')}`);
  const applied: string[] = [];
  for (const migration of plan.pending) {
    await client.query('BEGIN');
    try {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw new Error(`migration ${label(migration)} failed: ${(error as Error).message}`);
    }
    applied.push(label(migration));
  }
  return applied;
}
