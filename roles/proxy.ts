// proxy: nginx in front of the web replicas; the stack's front door.
import type { Role } from './role.ts';

export const proxy: Role = {
  name: 'proxy',
  image: { name: 'proxy' },
  // Every replica of web: its name on one host's network (Docker's DNS spreads
  // over them), or each replica's host:port across a fleet.
  env: { WEB_UPSTREAM: '{{upstreams:web.http}}' },
  ports: { http: 8080 },
  publish: { http: 0 },
  volumes: [],
  healthCheck: {
    command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /__proxy/health HTTP/1.0\\r\\n\\r\\n" >&3 && read -t 2 -r v s r <&3 && [ "$s" = 200 ]'`,
  },
  dependsOn: ['web'],
  replicas: 1,
  resources: { memoryMb: 64 },
};
