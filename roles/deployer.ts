// deployer: the deploy service (ops/server.ts). Holds the queue, the lock and the
// history in its own database and serves the two-button page. Its buttons run the
// same `devenv deploy` a developer runs, so it shares the host's view: network,
// processes (the Pulumi file backend's locks name host pids), the project, the
// devenv home and the Docker engine.
import type { Role } from './role.ts';

export const deployer: Role = {
  name: 'deployer',
  image: { name: 'ops' },
  command: ['sh', '-c', 'exec node "$DEVENV_ROOT/ops/server.ts"'],
  env: {
    // On the host's network: the database is reached at its published port.
    DATABASE_URL: 'postgres://deploys:deploys@127.0.0.1:{{publish:db.postgres}}/deploys',
  },
  ports: { http: 8080 },
  publish: { http: 0 },
  volumes: [],
  healthCheck: {
    command: `node -e "fetch('http://127.0.0.1:'+process.env.PORT_HTTP+'/healthz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"`,
  },
  dependsOn: ['db'],
  replicas: 1,
  resources: { memoryMb: 768 },
  host: { binds: ['project', 'devenv-home', 'tools', 'docker-socket'] },
};
