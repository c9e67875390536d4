// devenv setup: brings every prerequisite in place that it can.
import { ensurePrerequisites } from '../../toolchain/prerequisites.ts';
import type { Context } from '../../lib/paths.ts';
import type { Row } from '../../toolchain/plan.ts';
import { rowsText } from './doctor.ts';

export interface SetupOutcome {
  ok: boolean;
  rows: Row[];
  done: string[];
}

export async function setup(ctx: Context): Promise<SetupOutcome> {
  const { rows, done } = await ensurePrerequisites(ctx);
  return { ok: rows.every((row) => row.ok), rows, done };
}

export function setupText(result: SetupOutcome): string {
  const did = result.done.length > 0 ? result.done.map((line) => `- ${line}`).join('\n') : '- nothing to do';
  return `${did}\n\n${rowsText(result.rows)}`;
}
