// Which migrations to apply, given the files in migrations/ and the ones the
// database has recorded. Pure, so every refusal is testable without a database.
import { createHash } from 'node:crypto';

export interface MigrationFile {
  version: number;
  name: string;
  checksum: string;
  sql: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export type MigrationPlan = { ok: true; pending: MigrationFile[] } | { ok: false; problems: string[] };

const fileNamePattern = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/** A migration from its file name and text; throws when the name is not NNN_name.sql. */
export function migrationFile(fileName: string, sql: string): MigrationFile {
  const match = fileNamePattern.exec(fileName);
  if (!match?.[1] || !match[2]) throw new Error(`migration file "${fileName}" must be named NNN_name.sql (lowercase)`);
  return { version: Number(match[1]), name: match[2], checksum: checksum(sql), sql };
}

export function label(migration: { version: number; name: string }): string {
  return `${String(migration.version).padStart(3, '0')}_${migration.name}`;
}

/**
 * Files must be numbered 001, 002, ... without gaps or repeats; the applied ones
 * must be exactly the first files, unchanged. Then the rest is pending, in order.
 */
export function planMigrations(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): MigrationPlan {
  const problems: string[] = [];
  const sorted = [...files].sort((a, b) => a.version - b.version);
  sorted.forEach((file, i) => {
    if (file.version !== i + 1) {
      const previous = sorted[i - 1];
      problems.push(
        previous?.version === file.version
          ? `two migrations are numbered ${label(file).slice(0, 3)}: ${label(previous)} and ${label(file)}`
          : `migration ${String(i + 1).padStart(3, '0')} is missing before ${label(file)}`,
      );
    }
  });
  if (problems.length > 0) return { ok: false, problems };

  const byVersion = new Map(sorted.map((file) => [file.version, file]));
  for (const done of applied) {
    const file = byVersion.get(done.version);
    if (!file) problems.push(`migration ${label(done)} was applied but its file is gone`);
    else if (file.name !== done.name)
      problems.push(`migration ${label(done)} was applied but its file is now ${label(file)}`);
    else if (file.checksum !== done.checksum)
      problems.push(`migration ${label(done)} changed after it was applied: add a new migration instead`);
  }
  const appliedVersions = new Set(applied.map((done) => done.version));
  for (let version = 1; version <= appliedVersions.size; version++) {
    if (!appliedVersions.has(version))
      problems.push(`migration ${String(version).padStart(3, '0')} was never applied but later ones were`);
  }
  if (problems.length > 0) return { ok: false, problems };

  return { ok: true, pending: sorted.filter((file) => !appliedVersions.has(file.version)) };
}
