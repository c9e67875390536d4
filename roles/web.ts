// web: the shop site (site/), on Node.js 24.
import type { Role } from './role.ts';

export const web: Role = {
  name: 'web',
  image: { name: 'web', context: 'site', sourcePath: '/srv/site' },
  env: { SHOP_NAME: 'devenv shop', PORT: '8080' },
  ports: { http: 8080 },
  publish: ['http'],
  volumes: [],
  healthCheck: {
    command: `node -e "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`,
  },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 256 },
};
