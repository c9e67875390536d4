// The container health check: `node health.ts web` asks the site's /healthz,
// `node health.ts worker` runs SELECT 1. Exits 0 when healthy, 1 otherwise.
import { readConfig } from './config.ts';

const config = readConfig(process.env);
const role = process.argv[2];

async function webHealthy(): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${config.port}/healthz`, { signal: AbortSignal.timeout(3000) });
  return response.ok;
}

async function workerHealthy(): Promise<boolean> {
  // Loaded here so the web's check does not pay for it.
  const { Client } = await import('pg');
  const client = new Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 3000, query_timeout: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

if (role !== 'web' && role !== 'worker') {
  console.error('usage: node health.ts web|worker');
  process.exit(2);
}
try {
  const healthy = await (role === 'web' ? webHealthy() : workerHealthy());
  process.exit(healthy ? 0 : 1);
} catch (error) {
  console.error(`${role} unhealthy: ${(error as Error).message}`);
  process.exit(1);
}
