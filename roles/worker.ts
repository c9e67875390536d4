// worker: background jobs from the jobs table (first: team photo thumbnails).
// Same image as web: one build of the site's code serves both.
import type { Role } from './role.ts';
import { siteEnv } from './site-env.ts';

export const worker: Role = {
  name: 'worker',
  image: { name: 'web', context: 'site', sourcePath: '/srv/site' },
  command: ['node', 'worker.ts'],
  liveEditCommand: ['node', '--watch', 'worker.ts'],
  env: siteEnv,
  ports: {},
  publish: {},
  volumes: [],
  healthCheck: { command: 'node health.ts worker' },
  dependsOn: ['db', 'statsd'],
  replicas: 1,
  resources: { memoryMb: 256 },
};
