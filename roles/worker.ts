// worker: background jobs from the jobs table (first: team photo thumbnails).
// Same image as web: one build of the site's code serves both.
import type { Role } from './role.ts';
import { siteEnv, workerHeartbeatFile } from './site-env.ts';

export const worker: Role = {
  name: 'worker',
  image: { name: 'web', context: 'site', sourcePath: '/srv/site' },
  command: ['node', 'worker.ts'],
  liveEditCommand: ['node', '--watch', 'worker.ts'],
  env: { ...siteEnv, HEARTBEAT_FILE: workerHeartbeatFile },
  ports: {},
  publish: {},
  volumes: [],
  // Healthy while its loop polls the jobs table: worker.ts touches the heartbeat
  // file after a poll that reached the database (at most every 2 s); a loop stuck
  // or failing for 20 s is unhealthy. Read by the shell, no process of Node.js.
  healthCheck: {
    command: `[ $(( $(date +%s) - $(stat -c %Y ${workerHeartbeatFile} 2>/dev/null || echo 0) )) -lt 20 ]`,
  },
  dependsOn: ['db', 'statsd'],
  replicas: 1,
  resources: { memoryMb: 256 },
};
