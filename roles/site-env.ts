// What the site's processes (web and worker) are told about the stack: the
// addresses of their dependencies. `{{reach:db.postgres}}` is rendered per
// container: the role's name and port on a host's own network (db:5432), or,
// across hosts of a fleet, the host's address and the port published there.
export const siteEnv: Record<string, string> = {
  DATABASE_URL: 'postgres://shop:{{secret:dbPassword}}@{{reach:db.postgres}}/shop',
  MEMCACHED: '{{reach:cache.memcached}}',
  STATSD: '{{reach:statsd.statsd}}',
  STATSD_PREFIX: 'shop',
  SHOP_NAME: 'devenv shop',
  // Production's data is its own; tiers that seed say so in their overrides.
  SEED: 'none',
};

/** The worker touches this file after each poll that reached the database; its health check reads its age. */
export const workerHeartbeatFile = '/tmp/worker-alive';
