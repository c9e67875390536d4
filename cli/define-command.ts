// A command's definition in one place, beside its code in commands/: its name,
// arguments and options, what it does (run) and how its result reads (text).
// The wiring every command shares is here: --json prints the result as JSON on
// stdout instead of the text, and a result that is not ok makes the exit code 1;
// main.ts stays the one place that exits.
import type { Command, Option } from 'commander';
import type { Context } from '../lib/paths.ts';

/** What main.ts registers: a command (and its subcommands) added under a parent. */
export interface CommandDefinition {
  /** `ctx`: where devenv works, read once by main.ts and handed to every command's run */
  addTo(parent: Command, ctx: Context): void;
}

interface Declaration {
  name: string;
  description: string;
  /** positional arguments as commander spells them ('<name>', '[file]', '[roles...]'), each with its help */
  arguments?: Record<string, string>;
  /** in the order help lists them; --json comes after them */
  options?: Option[];
  /** what --json prints, as help says it */
  json: string;
  /** subcommands, for a command that also runs on its own (deploy history) */
  commands?: CommandDefinition[];
}

/**
 * Start-up imports every definition, and each file it imports costs time: run and
 * text load the command's code and its engines with await import().
 */
export interface RunSpec<Args extends unknown[], Opts, Result> extends Declaration {
  run(args: Args, opts: Opts, ctx: Context): Promise<Result>;
  text(result: Result): string | Promise<string>;
  /** false sets the exit code to 1 (a check that failed, an unhealthy stack) @default true */
  ok?(result: Result): boolean;
}

/** A command that prints as it goes (logs --follow): each item its text line, or a JSON object a line with --json. */
export interface StreamSpec<Args extends unknown[], Opts> extends Declaration {
  stream(args: Args, opts: Opts, write: (item: unknown, text: string) => void, ctx: Context): Promise<unknown>;
}

export function defineCommand<Args extends unknown[], Opts, Result>(
  spec: RunSpec<Args, Opts, Result>,
): CommandDefinition;
export function defineCommand<Args extends unknown[], Opts>(spec: StreamSpec<Args, Opts>): CommandDefinition;
export function defineCommand(
  spec: RunSpec<unknown[], unknown, unknown> | StreamSpec<unknown[], unknown>,
): CommandDefinition {
  return {
    addTo(parent, ctx) {
      const command = parent.command(spec.name).description(spec.description);
      for (const [name, description] of Object.entries(spec.arguments ?? {})) command.argument(name, description);
      for (const option of spec.options ?? []) command.addOption(option);
      command.option('--json', spec.json);
      // commander calls the action with the arguments, then the options, then the command.
      command.action(async (...params: unknown[]) => {
        const args = params.slice(0, -2);
        const [own, self] = params.slice(-2) as [{ json?: boolean }, Command];
        // A parent with an option of its own (deploy's --json, chat's --user) takes it from its
        // subcommand's line: what the subcommand was not given is read from its parents.
        const opts = { ...self.optsWithGlobals(), ...own } as { json?: boolean };
        const json = Boolean(opts.json);
        if ('stream' in spec) {
          const write = (item: unknown, text: string) =>
            process.stdout.write(`${json ? JSON.stringify(item) : text}\n`);
          await spec.stream(args, opts, write, ctx);
          return;
        }
        const result = await spec.run(args, opts, ctx);
        process.stdout.write(`${json ? JSON.stringify(result, null, 2) : await spec.text(result)}\n`);
        if (spec.ok && !spec.ok(result)) process.exitCode = 1;
      });
      for (const subcommand of spec.commands ?? []) subcommand.addTo(command, ctx);
    },
  };
}

/** A command that only holds others (queue, flags, prod): run bare, commander prints its help. */
export function defineGroup(spec: {
  name: string;
  description: string;
  commands: CommandDefinition[];
}): CommandDefinition {
  return {
    addTo(parent, ctx) {
      const group = parent.command(spec.name).description(spec.description);
      for (const command of spec.commands) command.addTo(group, ctx);
    },
  };
}
