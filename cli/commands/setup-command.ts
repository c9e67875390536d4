// devenv setup's definition. Start-up imports every definition, so this file
// stays small: setup.ts, which installs, loads when the command runs.
import { defineCommand } from '../define-command.ts';
import type { SetupOutcome } from './setup.ts';

const setupModule = () => import('./setup.ts');

export const setupCommand = defineCommand({
  name: 'setup',
  description: 'install and start what is missing: Docker engine, Pulumi engine, base image',
  json: 'print the outcome as JSON',
  run: async (_, __, ctx) => (await setupModule()).setup(ctx),
  text: async (result: SetupOutcome) => (await setupModule()).setupText(result),
  ok: (result) => result.ok,
});
