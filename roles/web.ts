// web: the shop site (site/) on Node.js 24, behind the proxy.
import type { Role } from './role.ts';
import { siteEnv } from './site-env.ts';

export const web: Role = {
  name: 'web',
  image: { name: 'web', context: 'site', sourcePath: '/srv/site' },
  liveEditCommand: ['node', '--watch', 'server.ts'],
  // Flags live in a volume shared by the replicas: the config train writes the
  // file there and the site reloads it, no image built, nothing restarted. A new
  // volume starts with the image's copy.
  env: { ...siteEnv, PORT: '8080', FLAGS_FILE: '/srv/flags/flags.yaml' },
  ports: { http: 8080 },
  publish: {},
  volumes: [{ name: 'flags', path: '/srv/flags', data: false }],
  healthCheck: { command: 'node health.ts web' },
  dependsOn: ['db', 'cache', 'statsd'],
  replicas: 1,
  resources: { memoryMb: 256 },
};
