// statsd: Etsy's statsd, aggregating the site's metrics into Graphite.
import type { Role } from './role.ts';

export const statsd: Role = {
  name: 'statsd',
  image: { name: 'statsd' },
  env: { GRAPHITE: '{{reach:graphite.carbon}}' },
  ports: { statsd: 8125, admin: 8126 },
  udpPorts: ['statsd'],
  publish: {},
  volumes: [],
  healthCheck: {
    command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/8126 && printf "health\\n" >&3 && read -t 2 -r l <&3 && [ "$l" = "health: up" ]'`,
  },
  dependsOn: ['graphite'],
  replicas: 1,
  resources: { memoryMb: 128 },
};
