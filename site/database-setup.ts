// What a role does to the database before it starts work: migrate, and for
// the web role load the development seed. Under one advisory lock, so several
// replicas starting together take turns and the later ones find nothing to do.
import type { Pool } from './db.ts';
import { migrate, readMigrationFiles } from './migrate.ts';
import { loadSeedIfEmpty } from './seed-loader.ts';

/** Any fixed 64-bit number shared by every process of the shop. */
const setupLockKey = 7_301_946_282_101;

export async function setUpDatabase(pool: Pool, seedName: string | null): Promise<void> {
  const files = await readMigrationFiles();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [setupLockKey]);
    const applied = await migrate(client, files);
    console.log(applied.length === 0 ? 'db: schema up to date' : `db: applied ${applied.join(', ')}`);
    if (seedName !== null) {
      const loaded = await loadSeedIfEmpty(client, seedName);
      if (loaded > 0) console.log(`db: loaded seed "${seedName}" (${loaded} items)`);
    }
    await client.query('SELECT pg_advisory_unlock($1)', [setupLockKey]);
    client.release();
  } catch (error) {
    // Closing the connection drops the lock too, whatever state it was left in.
    client.release(error as Error);
    throw error;
  }
}
