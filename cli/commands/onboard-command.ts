// devenv onboard's definition. Start-up imports every definition, so this file
// stays small: onboard.ts, which loads the image library and the deploy
// service's client, loads when the command runs.
import { Option } from 'commander';
import { defineCommand } from '../define-command.ts';
import { userOption, wholeNumber } from '../options.ts';
import type { OnboardResult } from './onboard.ts';

const onboardModule = () => import('./onboard.ts');

export const onboardCommand = defineCommand({
  name: 'onboard',
  description:
    "a new hire's first day: your photo on the team page, through the whole release process to prod (resumable)",
  options: [
    new Option(
      '--name <full name>',
      'your name as the team page shows it (asked when missing and stdin is a terminal)',
    ),
    new Option('--photo <path>', 'a photo of you: JPEG, PNG or WebP, at most 10 MB and 8000 px a side'),
    new Option('--role <text>', 'what you do, under your name').default('New engineer'),
    userOption('who you are in stack names and the queue (default: git user.email, else the OS user)'),
    new Option('--watch <seconds>', 'how long to watch prod after your deploy')
      .argParser(wholeNumber('--watch', 0, 3600, 'whole seconds'))
      .default(10),
    new Option('--yes', 'never ask: fail on anything missing'),
  ],
  json: 'print the summary as JSON',
  run: async (
    _,
    opts: { name?: string; photo?: string; role: string; user?: string; watch: number; yes?: boolean },
    ctx,
  ) =>
    (await onboardModule()).onboard(ctx, {
      yes: Boolean(opts.yes),
      cwd: process.cwd(),
      watchSeconds: opts.watch,
      role: opts.role,
      ...(opts.name !== undefined && { name: opts.name }),
      ...(opts.photo !== undefined && { photo: opts.photo }),
      ...(opts.user && { user: opts.user }),
    }),
  text: async (result: OnboardResult) => (await onboardModule()).onboardText(result),
});
