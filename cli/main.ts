// The devenv command: commander wiring over one typed function per command.
// Commands return results; this file prints them (text, or --json on stdout) and
// is the one place that exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { explain, UserError } from '../lib/errors.ts';
import { paths } from '../lib/paths.ts';
import type { FixedStack } from '../stacks/tiers.ts';

interface Rendered {
  ok: boolean;
  value: unknown;
  text: string;
}

const debug = process.argv.includes('--debug');

async function emit(json: boolean | undefined, work: () => Promise<Rendered>): Promise<void> {
  const { ok, value, text } = await work();
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  if (!ok) process.exitCode = 1;
}

/** A whole number option within bounds, checked where commander reads it: one line naming the option otherwise. */
function wholeNumber(option: string, min: number, max: number, unit = 'a whole number'): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max)
      throw new UserError(`${option} must be ${unit} from ${min} to ${max}, got "${raw}"`);
    return value;
  };
}

/** --user: an empty or blank name is a mistake, never "the default user". */
function userOption(description: string): Option {
  return new Option('--user <name>', description).argParser((value: string) => {
    if (value.trim() === '')
      throw new UserError('--user is empty', 'give a user name, or leave --user out to be yourself');
    return value;
  });
}

const program = new Command('devenv')
  .description('One typed description of the production stack; every environment built from it.')
  .option('--debug', 'print stack traces of errors')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (message, write) => write(message) });

program
  .command('doctor')
  .description('check the prerequisites (Node.js, Docker engine, Pulumi engine, base image, disk) and say what to do')
  .option('--json', 'print the rows as JSON')
  .action((opts: { json?: boolean }) =>
    emit(opts.json, async () => {
      const { doctor, doctorText } = await import('./commands/doctor.ts');
      const result = await doctor();
      return { ok: result.ok, value: result, text: doctorText(result) };
    }),
  );

program
  .command('setup')
  .description('install and start what is missing: Docker engine, Pulumi engine, base image')
  .option('--json', 'print the outcome as JSON')
  .action((opts: { json?: boolean }) =>
    emit(opts.json, async () => {
      const { setup, setupText } = await import('./commands/setup.ts');
      const result = await setup();
      return { ok: result.ok, value: result, text: setupText(result) };
    }),
  );

program
  .command('up')
  .description('bring up your own copy of the production stack (dev-<user>) and print its URLs')
  .addOption(userOption("whose stack (default: git's user.email, else the OS user)"))
  .option(
    '--data <source>',
    'where the data comes from: princess-sample (a consistent sample of princess) instead of the dev seed',
  )
  .option('--percent <p>', 'with --data princess-sample: the share of members to take', (v) => Number(v), 10)
  .option('--json', 'print the result as JSON')
  .addOption(new Option('--env <role.KEY=VALUE...>', 'override an env variable of a role').hideHelp())
  .action((opts: { user?: string; json?: boolean; env?: string[]; data?: string; percent: number }) =>
    emit(opts.json, async () => {
      const { up, upText } = await import('./commands/up.ts');
      if (opts.data !== undefined && opts.data !== 'princess-sample')
        throw new UserError(`--data knows princess-sample only, got "${opts.data}"`);
      if (!(opts.percent > 0 && opts.percent <= 100))
        throw new UserError(`--percent must be above 0 and at most 100, got ${opts.percent}`);
      const result = await up({
        ...(opts.user && { user: opts.user }),
        envOverrides: parseEnvOverrides(opts.env ?? []),
        ...(opts.data && { princessSample: { percent: opts.percent } }),
      });
      return { ok: true, value: result, text: upText(result) };
    }),
  );

program
  .command('down')
  .description('stop your stack; its data volumes are kept unless --purge-data')
  .addOption(userOption('whose stack'))
  .option('--purge-data', 'also delete the data volumes')
  .option('--json', 'print the result as JSON')
  .action((opts: { user?: string; purgeData?: boolean; json?: boolean }) =>
    emit(opts.json, async () => {
      const { down, downText } = await import('./commands/down.ts');
      const result = await down({ ...(opts.user && { user: opts.user }), purgeData: Boolean(opts.purgeData) });
      return { ok: true, value: result, text: downText(result) };
    }),
  );

program
  .command('status')
  .description('state, health, URL and image of each container of a stack')
  .addOption(userOption('whose dev stack'))
  .option('--stack <name>', 'any stack by name (dev-<user>, princess, prod)')
  .option('--json', 'print the result as JSON')
  .action((opts: { user?: string; stack?: string; json?: boolean }) =>
    emit(opts.json, async () => {
      const { status } = await import('../stacks/status.ts');
      const { statusText } = await import('./commands/status.ts');
      const result = await status({ ...(opts.user && { user: opts.user }), ...(opts.stack && { stack: opts.stack }) });
      return { ok: result.healthy, value: result, text: statusText(result) };
    }),
  );

program
  .command('preview')
  .description('what `devenv up` would change in your stack (Pulumi preview), one line per resource')
  .addOption(userOption('whose stack'))
  .option('--json', 'print the planned steps as JSON')
  .action((opts: { user?: string; json?: boolean }) =>
    emit(opts.json, async () => {
      const { preview, previewText } = await import('./commands/preview.ts');
      const result = await preview({ ...(opts.user && { user: opts.user }) });
      return { ok: true, value: result, text: previewText(result) };
    }),
  );

program
  .command('parity')
  .description(
    'compare two tiers rendered from production (default: your dev stack vs prod); exit 1 on a difference outside the allow-list',
  )
  .argument('[a]', 'a stack: dev-<user>, princess or prod (default: your dev stack)')
  .argument('[b]', 'the other stack (default: prod)')
  .addOption(userOption('whose dev stack is the default A'))
  .option('--json', 'print the differences as JSON')
  .action((a: string | undefined, b: string | undefined, opts: { user?: string; json?: boolean }) =>
    emit(opts.json, async () => {
      const { parityCheck, parityText } = await import('./commands/parity.ts');
      const result = await parityCheck({ ...(a && { a }), ...(b && { b }), ...(opts.user && { user: opts.user }) });
      return { ok: result.ok, value: result, text: parityText(result) };
    }),
  );

program
  .command('try')
  .description(
    "your working copy's diff against trunk (untracked files too), applied to a clean checkout and type-checked and tested in the build environment",
  )
  .option('--staged', 'only what is staged in the index')
  .option('--trunk <ref>', 'the trunk to diff against and apply to (default: origin/main, else main)')
  .option('--json', 'print the result as JSON')
  .action((opts: { staged?: boolean; trunk?: string; json?: boolean }) =>
    emit(opts.json, async () => {
      const { tryDiff } = await import('../try/run.ts');
      const { tryText } = await import('./commands/try.ts');
      const result = await tryDiff({
        cwd: process.cwd(),
        staged: Boolean(opts.staged),
        ...(opts.trunk !== undefined && { trunk: opts.trunk }),
      });
      return { ok: result.ok, value: result, text: tryText(result) };
    }),
  );

program
  .command('logs')
  .description("a stack's container logs merged in time order, prefixed by container")
  .argument('[roles...]', 'only these roles (default: all)')
  .addOption(userOption('whose dev stack'))
  .option('--stack <name>', 'any stack by name')
  .option('--grep <regex>', 'show only lines matching (case-insensitive)')
  .option('--except <regex>', 'hide lines matching: the expected noise')
  .option('-f, --follow', 'keep streaming new lines until interrupted')
  .option(
    '--tail <n>',
    'lines per container from the end',
    wholeNumber('--tail', 0, 1_000_000, 'a whole number of lines'),
    200,
  )
  .option('--json', 'one JSON object per line')
  .action(
    async (
      roles: string[],
      opts: {
        user?: string;
        stack?: string;
        grep?: string;
        except?: string;
        follow?: boolean;
        tail: number;
        json?: boolean;
      },
    ) => {
      const { logs, logLineText } = await import('./commands/logs.ts');
      const width = 12;
      await logs(
        {
          roles,
          tail: opts.tail,
          follow: Boolean(opts.follow),
          ...(opts.user && { user: opts.user }),
          ...(opts.stack && { stack: opts.stack }),
          ...(opts.grep !== undefined && { grep: opts.grep }),
          ...(opts.except !== undefined && { except: opts.except }),
        },
        (line) => process.stdout.write(`${opts.json ? JSON.stringify(line) : logLineText(line, width)}\n`),
      );
    },
  );

program
  .command('graph')
  .description(
    "a stack's metrics from its Graphite saved as a PNG, deploys drawn as vertical lines; prints the file's path",
  )
  .argument(
    '<metrics...>',
    'requests, errors, latency (p50 and p99), latency.p50, latency.p99, flags, flags.<name>, or Graphite paths and functions',
  )
  .addOption(userOption('whose dev stack'))
  .option('--stack <name>', 'any stack by name (dev-<user>, princess, prod)')
  .option('--from <time>', 'start: -1h, -30min, -2d, seconds since the epoch, YYYYMMDD', '-1h')
  .option('--until <time>', 'end, in the same forms', 'now')
  .option('--out <file>', 'where to save it (default: <devenv home>/graphs/<stack>-<metrics>-<time>.png)')
  .option('--json', 'print the result as JSON')
  .action(
    (
      metrics: string[],
      opts: { user?: string; stack?: string; from: string; until: string; out?: string; json?: boolean },
    ) =>
      emit(opts.json, async () => {
        const { saveGraph } = await import('../stacks/graphite.ts');
        const { graphText } = await import('./commands/graph.ts');
        const result = await saveGraph({
          metrics,
          from: opts.from,
          until: opts.until,
          ...(opts.user && { user: opts.user }),
          ...(opts.stack && { stack: opts.stack }),
          ...(opts.out && { out: opts.out }),
        });
        return { ok: true, value: result, text: graphText(result) };
      }),
  );

/** `devenv prod up|status|down` and the same for princess: the dev commands, pointed at a fixed stack. */
function fixedStackCommands(stack: FixedStack, what: string): Command {
  const group = program
    .command(stack)
    .description(`${what}: the same commands as for your dev stack, pointed at ${stack}`);
  group
    .command('up')
    .description(`bring ${stack} up or converge it`)
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) =>
      emit(opts.json, async () => {
        const { up, upText } = await import('./commands/up.ts');
        const result = await up({ stack });
        return { ok: true, value: result, text: upText(result) };
      }),
    );
  group
    .command('status')
    .description(`state, health, URL and image of each container of ${stack}`)
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) =>
      emit(opts.json, async () => {
        const { status } = await import('../stacks/status.ts');
        const { statusText } = await import('./commands/status.ts');
        const result = await status({ stack });
        return { ok: result.healthy, value: result, text: statusText(result) };
      }),
    );
  group
    .command('down')
    .description(`stop ${stack}; its data volumes are kept unless --purge-data`)
    .option('--purge-data', 'also delete the data volumes')
    .option('--json', 'print the result as JSON')
    .action((opts: { purgeData?: boolean; json?: boolean }) =>
      emit(opts.json, async () => {
        const { down, downText } = await import('./commands/down.ts');
        const result = await down({ stack, purgeData: Boolean(opts.purgeData) });
        return { ok: true, value: result, text: downText(result) };
      }),
    );
  return group;
}

fixedStackCommands('prod', 'production (several web replicas behind the proxy, its own data kept on destroy)')
  .command('generate')
  .description(
    "fill prod's empty database with realistic marketplace data, personal data included (deterministic by seed); one transaction, during which prod's readers of those tables wait",
  )
  .requiredOption(
    '--members <n>',
    'how many members (10000 to 1000000); shops, items, orders and messages follow',
    (v) => Number(v),
  )
  .option('--seed <n>', 'the generator seed', (v) => Number(v), 1)
  .option('--json', 'print the row counts as JSON')
  .action((opts: { members: number; seed: number; json?: boolean }) =>
    emit(opts.json, async () => {
      const { generateProd, generateText } = await import('./commands/prod-generate.ts');
      const result = await generateProd({ members: opts.members, seed: opts.seed });
      return { ok: true, value: result, text: generateText(result) };
    }),
  );

{
  const opsGroup = fixedStackCommands(
    'ops',
    'the deploy service (queue, lock, history, the two-button page) and its own database',
  );
  opsGroup
    .command('login')
    .description('print a one-time link that logs your browser in to the deploy page as you (valid 10 minutes)')
    .addOption(userOption('who logs in (default: git user.email, else the OS user)'))
    .option('--json', 'print the link as JSON')
    .action((opts: { user?: string; json?: boolean }) =>
      emit(opts.json, async () => {
        const { login, loginText } = await import('./commands/ops-access.ts');
        const result = await login({ ...(opts.user && { user: opts.user }) });
        return { ok: true, value: result, text: loginText(result) };
      }),
    );
  const tokens = opsGroup
    .command('tokens')
    .description("people's deploy-service tokens: list them, revoke a person's, make a new one")
    .option('--json', 'print the tokens as JSON')
    .action((opts: { json?: boolean }) =>
      emit(opts.json, async () => {
        const { listTokens, tokensText } = await import('./commands/ops-access.ts');
        const result = await listTokens();
        return { ok: true, value: result, text: tokensText(result) };
      }),
    );
  tokens
    .command('revoke')
    .description(
      "revoke every credential of a person (token, page sessions, running page deploys' credentials) at once",
    )
    .argument('<user>', 'whose')
    .option('--json', 'print the outcome as JSON')
    .action((user: string, opts: { json?: boolean }) =>
      emit(opts.json, async () => {
        const { revokeTokens, revokedText } = await import('./commands/ops-access.ts');
        const result = await revokeTokens(user);
        return { ok: true, value: result, text: revokedText(result) };
      }),
    );
  tokens
    .command('new')
    .description('revoke your credentials and make you a new token (kept in the devenv home, mode 0600)')
    .addOption(userOption('whose (default: git user.email, else the OS user)'))
    .option('--json', 'print the outcome as JSON')
    .action((opts: { user?: string; json?: boolean }) =>
      emit(opts.json, async () => {
        const { renewToken, revokedText } = await import('./commands/ops-access.ts');
        const result = await renewToken({ ...(opts.user && { user: opts.user }) });
        return { ok: true, value: result, text: revokedText(result) };
      }),
    );
}

{
  const queue = program
    .command('queue')
    .description(
      'the deploy queue: code pushers ride together (up to 5), a config push rides alone; one group deploys at a time',
    );
  const queueAction =
    (work: () => Promise<import('../deploy/queue-actions.ts').QueueResult>) => (opts: { json?: boolean }) =>
      emit(opts.json, async () => {
        const { queueText } = await import('./commands/queue.ts');
        const result = await work();
        return { ok: true, value: result, text: queueText(result) };
      });
  queue
    .command('join')
    .description('join the queue with your HEAD commit (the code train; --config for a flags change)')
    .option('--config', 'ride the config train (ships only site/flags.yaml)')
    .addOption(userOption('who joins (default: git user.email, else the OS user)'))
    .option('--json', 'print the queue as JSON')
    .action((opts: { config?: boolean; user?: string; json?: boolean }) =>
      queueAction(async () =>
        (await import('../deploy/queue-actions.ts')).join({
          train: opts.config ? 'config' : 'code',
          cwd: process.cwd(),
          ...(opts.user && { user: opts.user }),
        }),
      )(opts),
    );
  queue
    .command('status')
    .description('the groups waiting, the deploy running, the hold')
    .option('--json', 'print the queue as JSON')
    .action((opts: { json?: boolean }) =>
      queueAction(async () => (await import('../deploy/queue-actions.ts')).queueStatus())(opts),
    );
  queue
    .command('leave')
    .description('leave the queue')
    .addOption(userOption('who leaves'))
    .option('--json', 'print the queue as JSON')
    .action((opts: { user?: string; json?: boolean }) =>
      queueAction(async () =>
        (await import('../deploy/queue-actions.ts')).leave({ ...(opts.user && { user: opts.user }) }),
      )(opts),
    );
  queue
    .command('hold')
    .description('stop all deploys (an incident, a freeze) until `queue release`')
    .requiredOption('--reason <text>', 'why, shown to everyone who tries to deploy')
    .addOption(userOption('who holds it'))
    .option('--json', 'print the queue as JSON')
    .action((opts: { reason: string; user?: string; json?: boolean }) =>
      queueAction(async () =>
        (await import('../deploy/queue-actions.ts')).hold({
          reason: opts.reason,
          ...(opts.user && { user: opts.user }),
        }),
      )(opts),
    );
  queue
    .command('release')
    .description('let deploys go again')
    .addOption(userOption('who releases it'))
    .option('--json', 'print the queue as JSON')
    .action((opts: { user?: string; json?: boolean }) =>
      queueAction(async () =>
        (await import('../deploy/queue-actions.ts')).release({ ...(opts.user && { user: opts.user }) }),
      )(opts),
    );
}

program
  .command('onboard')
  .description(
    "a new hire's first day: your photo on the team page, through the whole release process to prod (resumable)",
  )
  .option('--name <full name>', 'your name as the team page shows it (asked when missing and stdin is a terminal)')
  .option('--photo <path>', 'a photo of you: JPEG, PNG or WebP, at most 10 MB and 8000 px a side')
  .option('--role <text>', 'what you do, under your name', 'New engineer')
  .addOption(userOption('who you are in stack names and the queue (default: git user.email, else the OS user)'))
  .option(
    '--watch <seconds>',
    'how long to watch prod after your deploy',
    wholeNumber('--watch', 0, 3600, 'whole seconds'),
    10,
  )
  .option('--yes', 'never ask: fail on anything missing')
  .option('--json', 'print the summary as JSON')
  .action(
    (opts: {
      name?: string;
      photo?: string;
      role: string;
      user?: string;
      watch: number;
      yes?: boolean;
      json?: boolean;
    }) =>
      emit(opts.json, async () => {
        const { onboard, onboardText } = await import('./commands/onboard.ts');
        const result = await onboard({
          yes: Boolean(opts.yes),
          cwd: process.cwd(),
          watchSeconds: opts.watch,
          role: opts.role,
          ...(opts.name !== undefined && { name: opts.name }),
          ...(opts.photo !== undefined && { photo: opts.photo }),
          ...(opts.user && { user: opts.user }),
        });
        return { ok: true, value: result, text: onboardText(result) };
      }),
  );

{
  const deployCommand = program
    .command('deploy')
    .description(
      'ship the group at the head of the queue: princess (migrations, smoke tests), then prod one replica at a time, watched; rolls back on failure',
    )
    .addOption(new Option('--to <stage>', 'one stage only').choices(['princess', 'prod']))
    .option(
      '--config',
      'the config train: ship only site/flags.yaml (princess, check, prod); no image built, nothing restarted',
    )
    .addOption(
      new Option('--train <train>', 'the train (--config is short for --train config)').choices(['code', 'config']),
    )
    .option(
      '--watch <seconds>',
      'how long to watch prod after the roll (0: no watch)',
      wholeNumber('--watch', 0, 3600, 'whole seconds'),
      30,
    )
    .addOption(userOption('who deploys (must ride in the head group)'))
    .option('--json', 'print the result as JSON')
    .addOption(new Option('--driver <driver>').choices(['cli', 'page']).default('cli').hideHelp())
    .action(
      (opts: {
        to?: 'princess' | 'prod';
        config?: boolean;
        train?: 'code' | 'config';
        watch: number;
        user?: string;
        json?: boolean;
        driver: 'cli' | 'page';
      }) =>
        emit(opts.json, async () => {
          const { deploy } = await import('../deploy/ship.ts');
          const { deployText } = await import('./commands/deploy.ts');
          if (opts.config && opts.train === 'code')
            throw new UserError('--config and --train code contradict each other');
          const result = await deploy({
            train: opts.config ? 'config' : (opts.train ?? 'code'),
            driver: opts.driver,
            watchSeconds: opts.watch,
            cwd: process.cwd(),
            ...(opts.to && { to: opts.to }),
            ...(opts.user && { user: opts.user }),
          });
          return { ok: result.ok, value: result, text: deployText(result) };
        }),
    );
  deployCommand
    .command('history')
    .description('every deploy: when, where, who, what, how long, the result')
    .option('--limit <n>', 'how many, newest first (1 to 500)', wholeNumber('--limit', 1, 500), 20)
    .option('--json', 'print the deploys as JSON')
    // `deploy` has a --json of its own, which commander gives the parent: read both.
    .action((opts: { limit: number; json?: boolean }, command: Command) =>
      emit(opts.json ?? (command.optsWithGlobals() as { json?: boolean }).json, async () => {
        const { deployHistory } = await import('../deploy/ship.ts');
        const { historyText } = await import('./commands/deploy.ts');
        const deploys = await deployHistory(opts.limit);
        return { ok: true, value: deploys, text: historyText(deploys) };
      }),
    );
}

fixedStackCommands('princess', 'staging on scrubbed production data')
  .command('rebuild')
  .description(
    "rebuild princess's database from one snapshot of prod through the scrubber; princess keeps its old data unless every check passes",
  )
  .option('--rules <file>', 'the scrub rules (default: data/scrub-rules.yaml)')
  .option('--key-file <file>', 'the scrub key (default: DEVENV_SCRUB_KEY, else <devenv home>/scrub.key)')
  .option(
    '--workers <n>',
    'worker threads copying through the scrubber (1 to 16; default: one per core)',
    wholeNumber('--workers', 1, 16),
  )
  .option('--json', 'print the summary as JSON')
  .action((opts: { rules?: string; keyFile?: string; workers?: number; json?: boolean }) =>
    emit(opts.json, async () => {
      const { workers } = opts;
      const { rebuildPrincess } = await import('../data/rebuild.ts');
      const { rebuildText } = await import('./commands/princess-rebuild.ts');
      const result = await rebuildPrincess({
        ...(opts.rules && { rules: opts.rules }),
        ...(opts.keyFile && { keyFile: opts.keyFile }),
        ...(workers !== undefined && { workers }),
      });
      return { ok: true, value: result, text: rebuildText(result) };
    }),
  );

{
  const flags = program
    .command('flags')
    .description('config flags (site/flags.yaml): lint, list, show, set; they ship with `devenv deploy --config`');
  const fileOption = () => new Option('--file <path>', 'the flags file (default: site/flags.yaml of this checkout)');
  flags
    .command('lint')
    .description('check a flags file: each problem with its line; exit 1 if any (such a file cannot ship)')
    .argument('[file]', 'the flags file (default: site/flags.yaml)')
    .option('--json', 'print the problems as JSON')
    .action((file: string | undefined, opts: { json?: boolean }) =>
      emit(opts.json, async () => {
        const { flagsLint, lintText } = await import('./commands/flags.ts');
        const result = await flagsLint({ ...(file && { file }) });
        return { ok: result.ok, value: result, text: lintText(result) };
      }),
    );
  flags
    .command('list')
    .description('every flag: on, off or its rollout, and its description')
    .addOption(fileOption())
    .option('--json', 'print the flags as JSON')
    .action((opts: { file?: string; json?: boolean }) =>
      emit(opts.json, async () => {
        const { flagsList, listText } = await import('./commands/flags.ts');
        const result = await flagsList({ ...(opts.file && { file: opts.file }) });
        return { ok: true, value: result, text: listText(result) };
      }),
    );
  flags
    .command('show')
    .description('one flag with all its settings')
    .argument('<name>', 'the flag')
    .addOption(fileOption())
    .option('--json', 'print the flag as JSON')
    .action((name: string, opts: { file?: string; json?: boolean }) =>
      emit(opts.json, async () => {
        const { flagsShow, showText } = await import('./commands/flags.ts');
        const result = await flagsShow(name, { ...(opts.file && { file: opts.file }) });
        return { ok: true, value: result, text: showText(result) };
      }),
    );
  flags
    .command('set')
    .description(
      'change one flag (or add it) in the flags file, print the diff; refused, file unchanged, if the result would fail lint',
    )
    .argument('<name>', 'the flag')
    .option('--on', 'switch it on')
    .option('--off', 'switch it off for everyone')
    .option('--percent <p>', 'roll it out to this share of ids (0 to 100)')
    .option('--variants <a=50,b=50>', 'A/B variants and their weights (adding up to 100)')
    .option('--users <a,b>', 'users who always get it (empty to clear)')
    .option('--groups <g,h>', 'groups whose members always get it (empty to clear)')
    .addOption(fileOption())
    .option('--json', 'print the result as JSON')
    .action(
      (
        name: string,
        opts: {
          on?: boolean;
          off?: boolean;
          percent?: string;
          variants?: string;
          users?: string;
          groups?: string;
          file?: string;
          json?: boolean;
        },
      ) =>
        emit(opts.json, async () => {
          const { flagsSet, setText, parseListOption, parsePercentOption, parseVariantsOption } = await import(
            './commands/flags.ts'
          );
          if (opts.on && opts.off) throw new UserError('--on and --off together: say one');
          const result = await flagsSet(
            name,
            {
              ...((opts.on || opts.off) && { enabled: Boolean(opts.on) }),
              ...(opts.percent !== undefined && { percent: parsePercentOption(opts.percent) }),
              ...(opts.variants !== undefined && { variants: parseVariantsOption(opts.variants) }),
              ...(opts.users !== undefined && { users: parseListOption('--users', opts.users) }),
              ...(opts.groups !== undefined && { groups: parseListOption('--groups', opts.groups) }),
            },
            { ...(opts.file && { file: opts.file }) },
          );
          return { ok: true, value: result, text: setText(result) };
        }),
    );
}

/** role.KEY=VALUE pairs into per-role env overrides. */
function parseEnvOverrides(pairs: string[]): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = {};
  for (const pair of pairs) {
    const match = /^([a-z0-9]+)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) throw new UserError(`--env wants role.KEY=VALUE, got "${pair}"`);
    const [, role, key, value] = match as unknown as [string, string, string, string];
    overrides[role] = { ...overrides[role], [key]: value };
  }
  return overrides;
}

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
  const file = join(paths.logs(), 'last-error.log');
  mkdirSync(paths.logs(), { recursive: true });
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
