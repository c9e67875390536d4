// graphite: carbon-cache storing metrics, graphite-web's render API drawing them.
import type { Role } from './role.ts';

export const graphite: Role = {
  name: 'graphite',
  image: { name: 'graphite' },
  env: {},
  ports: { http: 8080, carbon: 2003 },
  publish: { http: 1 },
  volumes: [{ name: 'whisper', path: '/var/lib/graphite/whisper', data: true }],
  healthCheck: {
    command: `curl -fsS -o /dev/null --max-time 2 'http://127.0.0.1:8080/metrics/find?query=*' && bash -c '</dev/tcp/127.0.0.1/2003'`,
  },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 256 },
};
