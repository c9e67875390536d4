// The deploy bot's entry point, as the ops stack's chatbot role runs it: the
// store from DATABASE_URL, the IRC server from IRC_ADDRESS, the devenv home
// (nicks.yaml) from the environment.
import { openStore } from '../deploy/store.ts';
import { contextFromEnvironment } from '../lib/paths.ts';
import { startBot } from './bot.ts';

const [host = '127.0.0.1', port = '6667'] = (process.env.IRC_ADDRESS ?? '127.0.0.1:6667').split(':');
const store = await openStore(process.env.DATABASE_URL ?? 'postgres://deploys:deploys@127.0.0.1:5432/deploys');
const bot = await startBot({
  store,
  home: contextFromEnvironment().home,
  irc: { host, port: Number(port) },
  aliveFile: '/tmp/chatbot-alive',
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    bot
      .stop()
      .then(() => store.close())
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
