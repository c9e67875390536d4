// web: the shop site (site/) on Node.js 24, behind the proxy.
import type { Role } from './role.ts';
import { siteEnv } from './site-env.ts';

export const web: Role = {
  name: 'web',
  image: { name: 'web', context: 'site', sourcePath: '/srv/site' },
  liveEditCommand: ['node', '--watch', 'server.ts'],
  env: { ...siteEnv, PORT: '8080' },
  ports: { http: 8080 },
  publish: {},
  volumes: [],
  healthCheck: { command: 'node health.ts web' },
  dependsOn: ['db', 'cache', 'statsd'],
  replicas: 1,
  resources: { memoryMb: 256 },
};
