// Applies the pending migrations to DATABASE_URL and exits: how a candidate
// build's migrations are rehearsed against princess's copy of production data
// before anything switches over to it.
import { readConfig } from './config.ts';
import { createPool } from './db.ts';
import { setUpDatabase } from './database-setup.ts';

// --when-told: started ahead (container and modules loaded while the data is
// still being copied), it waits for a line on stdin before it connects; stdin
// closed without one means the rebuild stopped, and nothing is migrated.
if (process.argv.includes('--when-told') && !(await toldToGo())) process.exit(0);

const pool = createPool(readConfig(process.env).databaseUrl, 1);
try {
  await setUpDatabase(pool, null);
} finally {
  await pool.end();
}

function toldToGo(): Promise<boolean> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      // Nothing more to read: a stdin left open would keep the process from exiting.
      process.stdin.destroy();
      resolve(true);
    });
    process.stdin.once('end', () => resolve(false));
  });
}
