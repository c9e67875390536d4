// A defined command prints its result as text, or as JSON with --json, and a
// result that is not ok sets the exit code; subcommands and streams alike.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command, Option } from 'commander';
import { defineCommand, defineGroup } from '../../cli/define-command.ts';

/** Runs `argv` through a program holding `definition`; what it printed and the exit code it set. */
async function run(definition: ReturnType<typeof defineCommand>, argv: string[]) {
  const program = new Command('devenv').exitOverride();
  definition.addTo(program, { home: '/nonexistent/home', tools: '/nonexistent/tools' });
  const printed: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => printed.push(chunk) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return { printed: printed.join(''), exitCode: process.exitCode };
}

const check = defineCommand({
  name: 'check',
  description: 'a check',
  arguments: { '[what]': 'what to check' },
  options: [new Option('--times <n>', 'how often').argParser(Number).default(1)],
  json: 'print the result as JSON',
  run: async ([what]: [string?], opts: { times: number }) => ({
    what: what ?? 'all',
    times: opts.times,
    ok: what !== 'bad',
  }),
  text: (result) => `${result.what} x${result.times}`,
  ok: (result) => result.ok,
});

describe('defineCommand', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('prints the text, or the result as JSON with --json', async () => {
    assert.deepEqual(await run(check, ['check', 'disk', '--times', '2']), {
      printed: 'disk x2\n',
      exitCode: undefined,
    });
    const { printed } = await run(check, ['check', '--json']);
    assert.equal(printed, `${JSON.stringify({ what: 'all', times: 1, ok: true }, null, 2)}\n`);
  });

  it('sets the exit code to 1 for a result that is not ok, after printing it', async () => {
    assert.deepEqual(await run(check, ['check', 'bad']), { printed: 'bad x1\n', exitCode: 1 });
  });

  it("reads a subcommand's --json that its parent, having one too, took", async () => {
    const parent = defineCommand({
      name: 'deploy',
      description: 'ship',
      json: 'print the result as JSON',
      run: async () => 'shipped',
      text: (result) => result,
      commands: [
        defineCommand({
          name: 'history',
          description: 'past deploys',
          json: 'print the deploys as JSON',
          run: async () => [1, 2],
          text: (deploys) => deploys.join(' '),
        }),
      ],
    });
    assert.equal((await run(parent, ['deploy', 'history'])).printed, '1 2\n');
    assert.equal((await run(parent, ['deploy', 'history', '--json'])).printed, `${JSON.stringify([1, 2], null, 2)}\n`);
  });

  it('streams one text line per item, or one JSON object per line', async () => {
    const lines = defineGroup({
      name: 'stack',
      description: 'a group',
      commands: [
        defineCommand({
          name: 'logs',
          description: 'lines',
          json: 'one JSON object per line',
          stream: async (_, __, write) => {
            for (const n of [1, 2]) write({ n }, `line ${n}`);
          },
        }),
      ],
    });
    assert.equal((await run(lines, ['stack', 'logs'])).printed, 'line 1\nline 2\n');
    assert.equal((await run(lines, ['stack', 'logs', '--json'])).printed, '{"n":1}\n{"n":2}\n');
  });

  it('hands every command, in a group too, the context main.ts read once', async () => {
    const where = defineGroup({
      name: 'ops',
      description: 'a group',
      commands: [
        defineCommand({
          name: 'where',
          description: 'the home it was given',
          json: 'print it as JSON',
          run: async (_, __, ctx) => ctx.home,
          text: (home) => home,
        }),
      ],
    });
    assert.equal((await run(where, ['ops', 'where'])).printed, '/nonexistent/home\n');
  });
});
