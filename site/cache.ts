// memcached, for values worth keeping a few seconds. Callers treat every
// failure as a miss; timeouts are short so a dead cache costs little.
import { randomUUID } from 'node:crypto';
import { Client } from 'memjs';
import type { HostPort } from './config.ts';

export interface Cache {
  getJson<T>(key: string): Promise<T | undefined>;
  setJson(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** writes a value and reads it back: proof the cache works */
  roundTrip(): Promise<void>;
  close(): void;
}

export function createCache(server: HostPort): Cache {
  const client = Client.create(`${server.host}:${server.port}`, {
    timeout: 0.5,
    conntimeout: 1,
    retries: 1,
    // memjs logs every failed attempt itself; our callers log what matters.
    logger: { log: () => {} },
  });

  const getJson = async <T>(key: string): Promise<T | undefined> => {
    const { value } = await client.get(key);
    return value === null ? undefined : (JSON.parse(value.toString('utf8')) as T);
  };
  const setJson = async (key: string, value: unknown, ttlSeconds: number): Promise<void> => {
    await client.set(key, JSON.stringify(value), { expires: ttlSeconds });
  };

  return {
    getJson,
    setJson,
    roundTrip: async () => {
      const key = `healthz:${randomUUID()}`;
      const token = randomUUID();
      await setJson(key, token, 10);
      if ((await getJson<string>(key)) !== token) throw new Error('value read back differs from the value written');
    },
    close: () => client.close(),
  };
}
