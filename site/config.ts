// The environment the site runs in, read once and typed. Pure: takes the
// environment as an argument so the defaults are testable.

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  port: number;
  databaseUrl: string;
  memcached: HostPort;
  statsd: HostPort;
  statsdPrefix: string;
  shopName: string;
  /** seed name for development data, or null for none (SEED=none) */
  seed: string | null;
  flagsFile: string;
  teamDir: string;
  /** the worker touches this file after each poll that reached the database (its health check reads the age); none when unset */
  heartbeatFile: string | undefined;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export function readConfig(env: Environment): Config {
  const seed = env.SEED ?? 'dev';
  return {
    port: parsePort('PORT', env.PORT ?? '8080'),
    databaseUrl: env.DATABASE_URL ?? 'postgres://shop:shop@db:5432/shop',
    memcached: parseHostPort('MEMCACHED', env.MEMCACHED ?? 'cache:11211'),
    statsd: parseHostPort('STATSD', env.STATSD ?? 'statsd:8125'),
    statsdPrefix: env.STATSD_PREFIX ?? 'shop',
    shopName: env.SHOP_NAME ?? 'devenv shop',
    // Any other value is a seed name too, so a tier can ask for different but
    // still reproducible data.
    seed: seed === 'none' || seed === '' ? null : seed,
    flagsFile: env.FLAGS_FILE ?? '/srv/site/flags.yaml',
    teamDir: env.TEAM_DIR ?? '/srv/site/team',
    heartbeatFile: env.HEARTBEAT_FILE || undefined,
  };
}

function parsePort(name: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new Error(`${name}=${text} is not a port number (1-65535)`);
  return port;
}

function parseHostPort(name: string, text: string): HostPort {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new Error(`${name}=${text} must be host:port`);
  return { host: text.slice(0, colon), port: parsePort(name, text.slice(colon + 1)) };
}
