// devenv logs' definition. Start-up imports every definition, so this file stays
// small: logs.ts, which loads the Docker client, loads when the command runs.
import { Option } from 'commander';
import { defineCommand } from '../define-command.ts';
import { userOption, wholeNumber } from '../options.ts';

export const logsCommand = defineCommand({
  name: 'logs',
  description: "a stack's container logs merged in time order, prefixed by container",
  arguments: { '[roles...]': 'only these roles (default: all)' },
  options: [
    userOption('whose dev stack'),
    new Option('--stack <name>', 'any stack by name'),
    new Option('--grep <regex>', 'show only lines matching (case-insensitive)'),
    new Option('--except <regex>', 'hide lines matching: the expected noise'),
    new Option('--unexpected', 'hide the expected noise listed in site/expected-logs.txt'),
    new Option('-f, --follow', 'keep streaming new lines until interrupted'),
    new Option('--tail <n>', 'lines per container from the end')
      .argParser(wholeNumber('--tail', 0, 1_000_000, 'a whole number of lines'))
      .default(200),
  ],
  json: 'one JSON object per line',
  stream: async (
    [roles]: [string[]],
    opts: {
      user?: string;
      stack?: string;
      grep?: string;
      except?: string;
      unexpected?: boolean;
      follow?: boolean;
      tail: number;
    },
    write,
  ) => {
    const { logs, logLineText } = await import('./logs.ts');
    const width = 12;
    return logs(
      {
        roles,
        tail: opts.tail,
        follow: Boolean(opts.follow),
        unexpected: Boolean(opts.unexpected),
        ...(opts.user && { user: opts.user }),
        ...(opts.stack && { stack: opts.stack }),
        ...(opts.grep !== undefined && { grep: opts.grep }),
        ...(opts.except !== undefined && { except: opts.except }),
      },
      (line) => write(line, logLineText(line, width)),
    );
  },
});
