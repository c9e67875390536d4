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
  // The site's /healthz (database and cache), asked by bash: a Node.js process
  // started every five seconds in each replica was most of an idle stack's CPU.
  healthCheck: {
    command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" >&3 && read -t 3 -r v s r <&3 && [ "$s" = 200 ]'`,
  },
  dependsOn: ['db', 'cache', 'statsd'],
  replicas: 1,
  resources: { memoryMb: 256 },
};
