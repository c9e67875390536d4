// Start-up retries: the orchestrator starts db and cache first, but a replica
// may still come up a moment before they answer.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoff } from './backoff.ts';

export async function retryFor<T>(what: string, limitMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const wait = backoff(tries, 250, 2000);
      if (Date.now() + wait > deadline)
        throw new Error(`${what}: still failing after ${Math.round(limitMs / 1000)} s: ${(error as Error).message}`);
      console.error(`${what}: ${(error as Error).message}; retrying in ${wait} ms`);
      await sleep(wait);
    }
  }
}
