// registry: the image registry of the fleet (Debian's docker-registry, CNCF
// Distribution). Images built on this machine are pushed to it on loopback and
// pulled from it by the fleet's hosts, by digest. It runs on the machine's
// network, because a container on the fleet's internal network reaches a
// process listening on that network's gateway address, but not a port Docker
// publishes there (Docker's isolation rules drop the forward). It reads its
// certificate and password from the devenv home (stacks/registry.ts makes them),
// and listens on 127.0.0.1 and the addresses its certificate names, never on
// every interface of the machine.
import type { Role } from './role.ts';

export const registry: Role = {
  name: 'registry',
  image: { name: 'registry' },
  env: {},
  // On the machine's network the port is the published one itself (PORT_HTTPS).
  ports: { https: 5000 },
  publish: { https: 5 },
  volumes: [{ name: 'data', path: '/var/lib/docker-registry', data: true }],
  healthCheck: {
    // Up and asking for credentials: /v2/ answers 401 without them.
    command: `test "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$DEVENV_HOME/registry/ca.crt" "https://127.0.0.1:$PORT_HTTPS/v2/")" = 401`,
  },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 256 },
  // The devenv home only: the registry reads nothing else of the machine's.
  host: { binds: ['devenv-home'] },
};
