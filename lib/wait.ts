// The one poll loop: ask until there is an answer or the time is up.
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** pause between two asks */
  intervalMs: number;
  /** how long to go on asking; the probe runs at least once */
  timeoutMs: number;
  /** the error when time is up: it can say what the last ask saw */
  timedOut: () => Error | Promise<Error>;
}

/**
 * Runs `probe` until it returns something other than undefined, and returns that.
 * A probe that throws ends the wait with its error (a container that exited does
 * not become ready by asking again).
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined) return answer;
    if (Date.now() >= deadline) throw await options.timedOut();
    await sleep(options.intervalMs);
  }
}
