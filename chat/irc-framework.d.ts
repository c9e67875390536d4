// The part of irc-framework (a JavaScript library without types of its own) that the deploy bot uses.
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    auto_reconnect?: boolean;
    auto_reconnect_max_wait?: number;
    auto_reconnect_max_retries?: number;
  }

  class Client extends EventEmitter {
    connected: boolean;
    user: { nick: string };
    connect(options: ConnectOptions): void;
    join(channel: string): void;
    say(target: string, message: string): void;
    quit(message?: string): void;
  }

  const IRC: { Client: typeof Client };
  export default IRC;
  export { Client };
}
