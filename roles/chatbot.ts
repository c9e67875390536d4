// chatbot: the deploy bot in #deploy (chat/bot-main.ts). It drives the same
// queue, lock and history as the CLI and the page, through the deploy service's
// store (never a queue of its own), and says in the channel what changes there.
// It runs the checkout's code like the deployer, on the host's network (the
// store's and the IRC server's ports are published on 127.0.0.1), and reads the
// people's checkouts (git) to join them with what they committed.
import type { Role } from './role.ts';

export const chatbot: Role = {
  name: 'chatbot',
  image: { name: 'ops' },
  command: ['sh', '-c', 'exec node "$DEVENV_ROOT/chat/bot-main.ts"'],
  env: {
    DATABASE_URL: 'postgres://deploys:deploys@127.0.0.1:{{publish:db.postgres}}/deploys',
    IRC_ADDRESS: '127.0.0.1:{{publish:ircd.irc}}',
  },
  ports: {},
  publish: {},
  volumes: [],
  // Healthy while it is in the channel: the bot touches this file each time it hears the server.
  healthCheck: { command: 'test $(( $(date +%s) - $(stat -c %Y /tmp/chatbot-alive) )) -lt 30' },
  dependsOn: ['db', 'ircd'],
  replicas: 1,
  resources: { memoryMb: 256 },
  host: { binds: ['project', 'devenv-home'] },
};
