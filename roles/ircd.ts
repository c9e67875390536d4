// ircd: the deploy channel's IRC server (Debian's ngircd, images/ircd), in the
// ops stack: #deploy, where people queue and the bot announces each step, and
// #warroom, where holds are posted. On 127.0.0.1 only, like every port of ops.
import type { Role } from './role.ts';

export const ircd: Role = {
  name: 'ircd',
  image: { name: 'ircd' },
  env: {},
  ports: { irc: 6667 },
  publish: { irc: 7 },
  volumes: [],
  healthCheck: { command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/6667'` },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 64 },
};
