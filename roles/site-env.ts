// What the site's processes (web and worker) are told about the stack: the
// addresses of their dependencies, by role name on the stack's network.
export const siteEnv: Record<string, string> = {
  DATABASE_URL: 'postgres://shop:shop@db:5432/shop',
  MEMCACHED: 'cache:11211',
  STATSD: 'statsd:8125',
  STATSD_PREFIX: 'shop',
  SHOP_NAME: 'devenv shop',
  // Production's data is its own; tiers that seed say so in their overrides.
  SEED: 'none',
};

/** The worker touches this file after each poll that reached the database; its health check reads its age. */
export const workerHeartbeatFile = '/tmp/worker-alive';
