// Progress for long work: listr2, on stderr so that --json on stdout stays clean;
// the plain renderer (one line per event, with timings) when stderr is not a terminal.
import { Listr, ListrLogger, PRESET_TIMER, ProcessOutput, type ListrTask } from 'listr2';

export type Task<Ctx> = ListrTask<Ctx>;

export async function runTasks<Ctx extends object>(tasks: ListrTask<Ctx>[], ctx: Ctx): Promise<Ctx> {
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list = new Listr<Ctx>(tasks, {
    ctx,
    exitOnError: true,
    registerSignalListeners: false,
    rendererOptions: { logger, timer: PRESET_TIMER, collapseSubtasks: false },
    fallbackRendererOptions: { logger, timer: PRESET_TIMER },
    fallbackRendererCondition: () => !process.stderr.isTTY || process.env.CI === 'true',
  });
  return list.run();
}
