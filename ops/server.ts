// The deploy service's entry point, as the deployer role runs it: its store from
// DATABASE_URL, the port, the checkout and the devenv home from the environment.
// It listens on 127.0.0.1, and on the address a fleet's hosts reach this machine
// at (the registry's hostAddress), once that address exists here: never on every
// interface of the machine.
import { createServer as createTcpServer } from 'node:net';
import { openStore } from '../deploy/store.ts';
import { liveLogs } from './live-logs.ts';
import { createDeployService } from './service.ts';
import { contextFromEnvironment } from '../lib/paths.ts';
import { readRegistryConfig } from '../stacks/registry-files.ts';

const port = Number(process.env.PORT_HTTP ?? 8080);
const context = contextFromEnvironment();
const home = context.home;
const store = await openStore(process.env.DATABASE_URL ?? 'postgres://deploys:deploys@127.0.0.1:5432/deploys');
const fleetAddress = (await readRegistryConfig(home)).hostAddress;
const server = await createDeployService({
  store,
  port,
  root: process.env.DEVENV_ROOT ?? process.cwd(),
  home,
  fleetAddress,
  logs: liveLogs(context),
});
server.listen(port, '127.0.0.1', () => console.log(`deployer: serving on http://127.0.0.1:${port}/`));

// The fleet's address is a bridge that may come and go (the local fleet's network): asked for again until it is there.
const forHosts = createTcpServer((socket) => server.emit('connection', socket));
let waiting = false;
const listenForHosts = () => forHosts.listen(port, fleetAddress);
forHosts.on('listening', () =>
  console.log(`deployer: also serving the fleet's hosts on http://${fleetAddress}:${port}/`),
);
forHosts.on('error', (error: NodeJS.ErrnoException) => {
  if (!waiting) console.log(`deployer: waiting for ${fleetAddress} to exist on this machine (${error.code})`);
  waiting = true;
  setTimeout(listenForHosts, 2000).unref();
});
listenForHosts();

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    forHosts.close();
    server.close(() => store.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
