// The devenv command: the program, its commands (each defined beside its code in
// commands/, see define-command.ts) and the one place that exits: an error any
// command throws ends here, explained in one line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { explain } from '../lib/errors.ts';
import { contextFromEnvironment, paths } from '../lib/paths.ts';
import { chatCommand } from './commands/chat-command.ts';
import { deployCommand } from './commands/deploy.ts';
import { doctorCommand } from './commands/doctor-command.ts';
import { downCommand } from './commands/down-command.ts';
import { opsCommand, princessCommand, prodCommand } from './commands/fixed-stacks.ts';
import { flagsCommand } from './commands/flags-command.ts';
import { graphCommand } from './commands/graph.ts';
import { hostsCommand } from './commands/hosts-command.ts';
import { logsCommand } from './commands/logs-command.ts';
import { onboardCommand } from './commands/onboard-command.ts';
import { parityCommand } from './commands/parity-command.ts';
import { previewCommand } from './commands/preview-command.ts';
import { queueCommand } from './commands/queue.ts';
import { setupCommand } from './commands/setup-command.ts';
import { statusCommand } from './commands/status.ts';
import { tryCommand } from './commands/try.ts';
import { upCommand } from './commands/up-command.ts';

const debug = process.argv.includes('--debug');
/** Read from the environment here, once; every command is handed it. */
const ctx = contextFromEnvironment();

const program = new Command('devenv')
  .description('One typed description of the production stack; every environment built from it.')
  .option('--debug', 'print stack traces of errors')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (message, write) => write(message) });

// In the order help lists them.
for (const command of [
  doctorCommand,
  setupCommand,
  upCommand,
  downCommand,
  statusCommand,
  previewCommand,
  parityCommand,
  tryCommand,
  logsCommand,
  graphCommand,
  prodCommand,
  opsCommand,
  queueCommand,
  chatCommand,
  onboardCommand,
  deployCommand,
  princessCommand,
  hostsCommand,
  flagsCommand,
])
  command.addTo(program, ctx);

/** The line that says what failed: Pulumi's own "error:" line when there is one. */
function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const errorLine = lines.filter((line) => /^(error|stderr: error):/i.test(line)).pop();
  return (errorLine ?? lines[0] ?? text).replace(/^stderr: /, '');
}

/** With --debug: what the error was made from (an engine's whole output), when it says more. */
function causeOf(error: unknown): string {
  const cause = (error as Error)?.cause;
  return cause === undefined ? '' : `caused by: ${(cause as Error)?.stack ?? String(cause)}\n`;
}

function saveForReport(error: unknown): string {
  const file = join(paths.logs(ctx), 'last-error.log');
  mkdirSync(paths.logs(ctx), { recursive: true });
  writeFileSync(
    file,
    `${new Date().toISOString()} devenv ${process.argv.slice(2).join(' ')}\n${(error as Error)?.stack ?? String(error)}\n`,
  );
  return file;
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const known = explain(error);
    if (known) {
      // A one-line message takes its fix on the same line; a list (failed resources) ends with it.
      const fix = known.fix ? (known.message.includes('\n') ? `\n${known.fix}` : `; ${known.fix}`) : '';
      process.stderr.write(
        `${`${known.message}${fix}`
          .split('\n')
          .map((line) => `devenv: ${line}`)
          .join('\n')}\n`,
      );
    } else {
      process.stderr.write(
        `devenv: unexpected error: ${firstLine((error as Error)?.message ?? String(error))}; ` +
          `the full error is in ${saveForReport(error)}; run again with --debug and report the output\n`,
      );
    }
    if (debug) process.stderr.write(`${(error as Error)?.stack ?? ''}\n${causeOf(error)}`);
    process.exitCode = known?.exitCode ?? 1;
  }
}

await main();
