// Progress for long work: listr2, on stderr so that --json on stdout stays clean;
// the plain renderer (one line per event, with timings) when stderr is not a terminal.
import { Listr, ListrLogger, PRESET_TIMER, ProcessOutput, type ListrTask } from 'listr2';

export type Task<Ctx> = ListrTask<Ctx>;

/** Progress goes to a log (one line per event) rather than a terminal redrawn in place. */
const plainOutput = (): boolean => !process.stderr.isTTY || process.env.CI === 'true';

/**
 * A running count for a task's output (rows so far, rows/s): every change on a
 * terminal, which redraws it in place, but at most one line per `intervalMs` in
 * a log, where each change is a line of its own (a 10^6-member load made
 * thousands). The last count is shown by the task's title when it ends.
 */
export function countOutput(
  show: (text: string) => void,
  intervalMs = 1000,
  plain = plainOutput(),
  now: () => number = Date.now,
): (text: string) => void {
  if (!plain) return show;
  let last = -Infinity;
  return (text) => {
    const at = now();
    if (at - last < intervalMs) return;
    last = at;
    show(text);
  };
}

export async function runTasks<Ctx extends object>(tasks: ListrTask<Ctx>[], ctx: Ctx): Promise<Ctx> {
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list = new Listr<Ctx>(tasks, {
    ctx,
    exitOnError: true,
    registerSignalListeners: false,
    rendererOptions: { logger, timer: PRESET_TIMER, collapseSubtasks: false },
    fallbackRendererOptions: { logger, timer: PRESET_TIMER },
    fallbackRendererCondition: plainOutput,
  });
  return list.run();
}
