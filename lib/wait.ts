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

/**
 * Work side by side that ends together: the first failure is thrown only once
 * every piece has settled, so nothing still runs when the caller releases what
 * the pieces share (Promise.all throws at once and leaves the rest running).
 * `signal` is aborted at the first failure, for the pieces to stop early.
 */
export async function sideBySide<T extends readonly unknown[]>(
  start: (signal: AbortSignal) => { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const stop = new AbortController();
  const pieces = start(stop.signal).map((piece) =>
    piece.catch((error: unknown) => {
      stop.abort(error);
      throw error;
    }),
  );
  const settled = await Promise.allSettled(pieces);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
