// Applies the pending migrations to DATABASE_URL and exits: how a candidate
// build's migrations are rehearsed against princess's copy of production data
// before anything switches over to it.
import { readConfig } from './config.ts';
import { createPool } from './db.ts';
import { setUpDatabase } from './database-setup.ts';

const pool = createPool(readConfig(process.env).databaseUrl, 1);
try {
  await setUpDatabase(pool, null);
} finally {
  await pool.end();
}
