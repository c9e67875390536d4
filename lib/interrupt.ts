// Ctrl-C (SIGINT) or SIGTERM during long work: the work is told through an
// AbortSignal (the Pulumi engine then finishes the steps in flight and stops), and
// the command ends with one line saying what stopped and what the next run does.
// A second Ctrl-C ends the process at once.
import { UserError } from './errors.ts';

export interface Stopped {
  /** what was stopped, e.g. "bringing up dev-ada" */
  what: string;
  /** what the next run does about it */
  next: string;
}

export async function interruptible<T>(stopped: Stopped, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) {
      // The second one: Node's own way, at once.
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, signal);
      return;
    }
    received = signal;
    process.stderr.write(
      `\ndevenv: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping ${stopped.what} once the steps in flight end (again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (received === undefined) throw error;
    throw new UserError(
      `${stopped.what} stopped (${received === 'SIGINT' ? 'Ctrl-C' : received}) before it finished`,
      stopped.next,
      { exitCode: 130, cause: error },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
