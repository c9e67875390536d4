// proxy: nginx in front of the web replicas; the stack's front door.
import type { Role } from './role.ts';

export const proxy: Role = {
  name: 'proxy',
  image: { name: 'proxy' },
  env: { WEB_UPSTREAM: 'web:8080' },
  ports: { http: 8080 },
  publish: { http: 0 },
  volumes: [],
  healthCheck: { command: 'curl -fsS -o /dev/null http://127.0.0.1:8080/__proxy/health' },
  dependsOn: ['web'],
  replicas: 1,
  resources: { memoryMb: 64 },
};
