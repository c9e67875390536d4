// The web role: the shop on PORT. Waits for the database, migrates it, loads
// the development seed, queues missing thumbnails, then serves.
import { createServer } from 'node:http';
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createApp } from './app.ts';
import { createCache } from './cache.ts';
import { readConfig } from './config.ts';
import { setUpDatabase } from './database-setup.ts';
import { createPool, ping, type Pool } from './db.ts';
import { watchFlagFile } from './flag-file.ts';
import { readFlagSettings } from './flag-request.ts';
import { enqueueThumbnail } from './jobs.ts';
import { retryFor } from './retry.ts';
import { createStatsd } from './statsd.ts';
import { readTeam } from './team.ts';

const config = readConfig(process.env);
const statsd = createStatsd(config.statsd, config.statsdPrefix);
const pool = createPool(config.databaseUrl);
const cache = createCache(config.memcached);
const flags = await watchFlagFile(config.flagsFile);
const server = createServer(
  createApp({
    shopName: config.shopName,
    teamDir: config.teamDir,
    servedBy: hostname(),
    pool,
    cache,
    statsd,
    flags: flags.current,
    flagsDigest: flags.digest,
    flagSettings: readFlagSettings(process.env),
  }),
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));

try {
  await Promise.all([
    retryFor('db', 60_000, () => ping(pool)).then(() => setUpDatabase(pool, config.seed)),
    // The pages work without the cache, so a cache that never answers is no reason not to serve.
    retryFor('cache', 60_000, () => cache.roundTrip()).catch((error: Error) =>
      console.error(`${error.message}; serving without it`),
    ),
  ]);
  await queueThumbnails(pool, config.teamDir);
} catch (error) {
  console.error(`site: cannot start: ${(error as Error).message}`);
  process.exit(1);
}

server.listen(config.port, () => {
  console.log(`site listening on :${config.port} as "${config.shopName}"`);
  statsd.increment('starts');
});

async function queueThumbnails(pool: Pool, teamDir: string): Promise<void> {
  try {
    for (const member of await readTeam(teamDir)) {
      const photo = join(teamDir, 'photos', member.photo);
      const exists = await access(photo).then(
        () => true,
        () => false,
      );
      if (!exists) console.error(`team: ${member.name}'s photo ${member.photo} is not in ${join(teamDir, 'photos')}`);
      else if (await enqueueThumbnail(pool, member.photo)) console.log(`team: queued a thumbnail of ${member.photo}`);
    }
  } catch (error) {
    // Thumbnails are a nicety: the site serves without them.
    console.error(`team: cannot queue thumbnails: ${(error as Error).message}`);
  }
}

// Stop taking connections, let the requests in flight finish, then close the pools.
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  if (!server.listening) process.exit(0);
  console.log(`site: ${signal}, finishing requests in flight`);
  const force = setTimeout(() => {
    console.error('site: requests still open after 10 s; closing them');
    server.closeAllConnections();
  }, 10_000);
  force.unref();
  server.close(() => {
    clearTimeout(force);
    flags.close();
    cache.close();
    statsd.close();
    pool.end().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`site: closing the database pool: ${error.message}`);
        process.exit(0);
      },
    );
  });
}
