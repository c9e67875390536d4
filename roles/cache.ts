// cache: memcached, in front of the database's hot reads.
import type { Role } from './role.ts';

export const cache: Role = {
  name: 'cache',
  image: { name: 'cache' },
  env: {},
  ports: { memcached: 11211 },
  publish: {},
  volumes: [],
  healthCheck: {
    command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211 && printf "version\\r\\n" >&3 && read -t 2 -r w v <&3 && [ "$w" = VERSION ]'`,
  },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 96 },
};
