import assert from 'node:assert/strict';
import { test } from 'node:test';
import { label, migrationFile, planMigrations, type MigrationFile } from '../migration-plan.ts';

const files = [
  migrationFile('001_catalog.sql', 'CREATE TABLE a ();'),
  migrationFile('002_jobs.sql', 'CREATE TABLE b ();'),
  migrationFile('003_thumbnails.sql', 'CREATE TABLE c ();'),
];
const applied = (...migrations: MigrationFile[]) =>
  migrations.map(({ version, name, checksum }) => ({ version, name, checksum }));
const [one, two, three] = files as [MigrationFile, MigrationFile, MigrationFile];

function pendingOf(plan: ReturnType<typeof planMigrations>): string[] {
  assert.ok(plan.ok, plan.ok ? '' : plan.problems.join('; '));
  return plan.pending.map((file) => file.name);
}

test('a new database gets every migration, in order, whatever order the files came in', () => {
  assert.deepEqual(pendingOf(planMigrations([three, one, two], [])), ['catalog', 'jobs', 'thumbnails']);
});

test('only what was not applied yet is pending', () => {
  assert.deepEqual(pendingOf(planMigrations(files, applied(one))), ['jobs', 'thumbnails']);
  assert.deepEqual(pendingOf(planMigrations(files, applied(one, two, three))), []);
});

test('file names must be NNN_name.sql', () => {
  assert.throws(() => migrationFile('1_catalog.sql', ''), /NNN_name\.sql/);
  assert.throws(() => migrationFile('001-catalog.sql', ''), /NNN_name\.sql/);
  assert.throws(() => migrationFile('001_Catalog.sql', ''), /NNN_name\.sql/);
  assert.equal(migrationFile('012_add_x.sql', '').version, 12);
});

test('a gap in the numbering is refused', () => {
  const plan = planMigrations([one, three], []);
  assert.deepEqual(plan, { ok: false, problems: ['migration 002 is missing before 003_thumbnails'] });
});

test('two files with one number are refused', () => {
  const twin = migrationFile('002_other.sql', 'SELECT 1;');
  const plan = planMigrations([one, two, twin], []);
  assert.equal(plan.ok, false);
  assert.match(plan.ok ? '' : plan.problems.join(), /two migrations are numbered 002/);
});

test('a file changed after it was applied is refused', () => {
  const edited = migrationFile('002_jobs.sql', 'CREATE TABLE b (x int);');
  const plan = planMigrations([one, edited, three], applied(one, two));
  assert.equal(plan.ok, false);
  assert.match(plan.ok ? '' : plan.problems.join(), /002_jobs changed after it was applied/);
});

test('a renamed or deleted applied migration is refused', () => {
  const renamed = migrationFile('002_queue.sql', 'CREATE TABLE b ();');
  const plan = planMigrations([one, renamed], applied(one, two));
  assert.match(plan.ok ? '' : plan.problems.join(), /002_jobs was applied but its file is now 002_queue/);
  const gone = planMigrations([one], applied(one, two));
  assert.match(gone.ok ? '' : gone.problems.join(), /002_jobs was applied but its file is gone/);
});

test('applied migrations with a hole are refused rather than filled out of order', () => {
  const plan = planMigrations(files, applied(one, three));
  assert.match(plan.ok ? '' : plan.problems.join(), /002 was never applied but later ones were/);
});

test('the shipped migrations are read from migrations/, in order, each with its SQL', async () => {
  const { readdir } = await import('node:fs/promises');
  const { readMigrationFiles } = await import('../migrate.ts');
  const onDisk = (await readdir(new URL('../migrations/', import.meta.url)))
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const files = await readMigrationFiles();
  assert.ok(onDisk.length >= 5, `${onDisk.length} migrations shipped`);
  assert.deepEqual(
    files.map((f) => `${label(f)}.sql`),
    onDisk,
  );
  assert.ok(files.every((f) => f.sql.trim().length > 0));
});
