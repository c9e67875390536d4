// Progress for long work, behind one small interface: a workflow names its
// phases and says how each is going; how that is shown is the reporter's
// business. Phases run one after the other by `await`, side by side by
// `Promise.all`. Everything goes to stderr, so that --json on stdout stays clean:
// a terminal gets a region redrawn in place, a log (or CI) one line per event.

export interface Reporter {
  /** Runs `work` as a named phase: shown while it runs, then with its time or its failure. */
  phase<T>(title: string, work: (phase: Phase) => Promise<T>): Promise<T>;
  /** A phase that will not run, and why. */
  skip(title: string, why: string): void;
}

export interface Phase extends Reporter {
  /** What the phase is doing now (a count, the engine's step): one line, replaced by the next. */
  output(line: string): void;
  /** What the phase is called from now on: what it found, once it knows. */
  retitle(title: string): void;
  /** The phase ends failed without throwing: a verdict (a failed check), not an error. */
  fail(reason: string): void;
}

/** A reporter that shows nothing: for work whose caller reports it another way. */
export const silentReporter: Reporter = {
  phase: (_, work) => work(silentPhase),
  skip: () => {},
};
const silentPhase: Phase = { ...silentReporter, output: () => {}, retitle: () => {}, fail: () => {} };

/** Progress goes to a log (one line per event) rather than a terminal redrawn in place. */
export const plainOutput = (): boolean => !process.stderr.isTTY || process.env.CI === 'true';

/**
 * A running count for a phase's output (rows so far, rows/s): every change on a
 * terminal, which redraws it in place, but at most one line per `intervalMs` in
 * a log, where each change is a line of its own (a 10^6-member load made
 * thousands). The last count is shown by the phase's title when it ends.
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

type State = 'running' | 'done' | 'failed' | 'skipped';

/** One phase as the renderers see it. */
interface Row {
  title: string;
  depth: number;
  state: State;
  started: number;
  seconds?: number;
  /** the current output line, or the failure's reason */
  line: string;
  /** the last lines of output, shown under a failed phase on a terminal */
  tail: string[];
  children: Row[];
}

interface Renderer {
  started(row: Row): void;
  changed(row: Row): void;
  ended(row: Row): void;
}

const tailLength = 10;

/**
 * The reporter for this process: a terminal's or a log's, by where stderr goes.
 * One renderer for the process, so that a workflow run inside another (onboarding
 * brings a stack up) draws in the same region instead of over it.
 */
export function consoleReporter(): Reporter {
  processReporter ??= plainOutput() ? plainReporter(process.stderr) : terminalReporter(process.stderr);
  return processReporter;
}
let processReporter: Reporter | undefined;

/** One line per event, indented by depth: what a log or CI keeps. */
export function plainReporter(out: NodeJS.WritableStream): Reporter {
  return reporterOver(plainRenderer(out), undefined);
}

/** A region redrawn in place at the bottom of a terminal. */
export function terminalReporter(out: NodeJS.WritableStream & { columns?: number }): Reporter {
  return reporterOver(terminalRenderer(out), undefined);
}

function reporterOver(renderer: Renderer, parent: Row | undefined): Reporter {
  const depth = parent ? parent.depth + 1 : 0;
  return {
    async phase(title, work) {
      const row: Row = { title, depth, state: 'running', started: performance.now(), line: '', tail: [], children: [] };
      parent?.children.push(row);
      renderer.started(row);
      let verdict: string | undefined;
      const phase: Phase = {
        ...reporterOver(renderer, row),
        output(line) {
          row.line = line;
          row.tail = [...row.tail, line].slice(-tailLength);
          renderer.changed(row);
        },
        retitle(text) {
          row.title = text;
          renderer.changed(row);
        },
        fail(reason) {
          verdict = reason;
        },
      };
      const finish = (state: State, line: string) => {
        row.state = state;
        row.line = line;
        row.seconds = (performance.now() - row.started) / 1000;
        renderer.ended(row);
      };
      try {
        const result = await work(phase);
        finish(verdict === undefined ? 'done' : 'failed', verdict ?? '');
        return result;
      } catch (error) {
        finish('failed', (error as Error)?.message ?? String(error));
        throw error;
      }
    },
    skip(title, why) {
      const row: Row = {
        title,
        depth,
        state: 'skipped',
        started: performance.now(),
        line: why,
        tail: [],
        children: [],
      };
      parent?.children.push(row);
      renderer.ended(row);
    },
  };
}

const timeOf = (seconds = 0) => (seconds < 10 ? `${seconds.toFixed(1)}s` : `${Math.round(seconds)}s`);
const firstLine = (text: string) => text.split('\n')[0] ?? '';

function plainRenderer(out: NodeJS.WritableStream): Renderer {
  const indent = (row: Row) => '  '.repeat(row.depth);
  const shown = new WeakMap<Row, string>();
  return {
    started: (row) => void out.write(`${indent(row)}❯ ${row.title}\n`),
    changed(row) {
      // A retitle shows when the phase ends; an output line once, however often it is set.
      if (!row.line || shown.get(row) === row.line) return;
      shown.set(row, row.line);
      out.write(`${indent(row)}› ${row.line}\n`);
    },
    ended(row) {
      const mark = { running: '❯', done: '✔', failed: '✖', skipped: '↓' }[row.state];
      const after =
        row.state === 'failed'
          ? ` [FAILED: ${row.line}]`
          : row.state === 'skipped'
            ? ` [SKIPPED: ${row.line}]`
            : ` [${timeOf(row.seconds)}]`;
      out.write(`${indent(row)}${mark} ${row.title}${after}\n`);
    },
  };
}

const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A region at the bottom of the terminal, redrawn in place: each unfinished
 * top-level phase with its phases under it. A top-level phase that ends is
 * written above the region for good (a failed one with its last output lines).
 */
function terminalRenderer(out: NodeJS.WritableStream & { columns?: number }): Renderer {
  const rows: Row[] = [];
  let drawnLines = 0;
  let frame = 0;
  let ticker: NodeJS.Timeout | undefined;
  // The top-level phases, in the order they came (a skipped one comes only as ended); the others hang under them.
  const keep = (row: Row) => {
    if (row.depth === 0 && !rows.includes(row)) rows.push(row);
  };
  const renderer: Renderer = {
    started(row) {
      keep(row);
      draw();
    },
    changed: () => draw(),
    ended(row) {
      keep(row);
      draw();
    },
  };
  // A terminal that reports no width (0: a pty nobody sized) is taken as 80 columns.
  const width = () => Math.max(20, (out.columns || 80) - 1);
  const fit = (text: string) => (text.length > width() ? `${text.slice(0, width() - 1)}…` : text);
  const lineOf = (row: Row): string[] => {
    const indent = '  '.repeat(row.depth);
    const mark = { running: spinner[frame % spinner.length], done: '✔', failed: '✖', skipped: '↓' }[row.state];
    const time = row.state === 'running' ? '' : row.state === 'skipped' ? ' [skipped]' : ` [${timeOf(row.seconds)}]`;
    const lines = [fit(`${indent}${mark} ${row.title}${time}`)];
    if (row.state === 'running' && row.line) lines.push(fit(`${indent}  › ${firstLine(row.line)}`));
    // A phase that failed because one of its own failed says so there, once.
    if (row.state === 'failed' && !row.children.some((child) => child.state === 'failed' && child.line === row.line)) {
      const reason = row.line.split('\n').filter(Boolean);
      const shownTail = row.tail.filter((line) => !reason.includes(line));
      for (const line of [...shownTail, ...reason]) lines.push(fit(`${indent}  ${line}`));
    }
    if (row.state === 'skipped') lines.push(fit(`${indent}  ${row.line}`));
    return [...lines, ...row.children.flatMap(lineOf)];
  };
  function draw() {
    if (drawnLines > 0) out.write(`\x1b[${drawnLines}A\x1b[J`);
    // Finished top-level phases at the head leave the region for good.
    while (rows.length > 0 && rows[0]!.state !== 'running') out.write(`${lineOf(rows.shift()!).join('\n')}\n`);
    const region = rows.flatMap(lineOf);
    drawnLines = region.length;
    if (region.length > 0) out.write(`${region.join('\n')}\n`);
    if (rows.length > 0 && !ticker) {
      ticker = setInterval(() => {
        frame++;
        draw();
      }, 100);
      ticker.unref();
    } else if (rows.length === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  }
  return renderer;
}
