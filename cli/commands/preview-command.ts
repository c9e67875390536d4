// devenv preview's definition. Start-up imports every definition, so this file
// stays small: preview.ts, which loads the Pulumi engine's SDK, loads when the
// command runs.
import { defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import type { PreviewResult } from './preview.ts';

const previewModule = () => import('./preview.ts');

export const previewCommand = defineCommand({
  name: 'preview',
  description: 'what `devenv up` would change in your stack (Pulumi preview), one line per resource',
  options: [userOption('whose stack')],
  json: 'print the planned steps as JSON',
  run: async (_, opts: { user?: string }, ctx) =>
    (await previewModule()).preview(ctx, { ...(opts.user && { user: opts.user }) }),
  text: async (result: PreviewResult) => (await previewModule()).previewText(result),
});
