// The deploy service's entry point, as the deployer role runs it: its store from
// DATABASE_URL, the port, the checkout and the devenv home from the environment.
import { openStore } from '../deploy/store.ts';
import { createDeployService } from './service.ts';
import { contextFromEnvironment } from '../lib/paths.ts';

const port = Number(process.env.PORT_HTTP ?? 8080);
const store = await openStore(process.env.DATABASE_URL ?? 'postgres://deploys:deploys@127.0.0.1:5432/deploys');
const server = await createDeployService({
  store,
  port,
  root: process.env.DEVENV_ROOT ?? process.cwd(),
  home: contextFromEnvironment().home,
});
server.listen(port, '127.0.0.1', () => console.log(`deployer: serving on http://127.0.0.1:${port}/`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => store.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
