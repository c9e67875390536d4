// devenv doctor: one row per prerequisite, what was found and what to do.
import { gatherFacts } from '../../toolchain/prerequisites.ts';
import type { Context } from '../../lib/paths.ts';
import { planRows, type Row } from '../../toolchain/plan.ts';

export interface DoctorResult {
  ok: boolean;
  rows: Row[];
}

export async function doctor(ctx: Context): Promise<DoctorResult> {
  const rows = planRows(await gatherFacts(ctx));
  return { ok: rows.every((row) => row.ok), rows };
}

export function rowsText(rows: Row[]): string {
  const width = (pick: (row: Row) => string) => Math.max(...rows.map((row) => pick(row).length));
  const nameWidth = width((row) => row.name);
  const foundWidth = width((row) => row.found);
  return rows
    .map((row) =>
      `${row.ok ? 'ok  ' : 'FIX '} ${row.name.padEnd(nameWidth)}  ${row.found.padEnd(foundWidth)}  ${row.ok ? '' : row.advice}`.trimEnd(),
    )
    .join('\n');
}

export function doctorText(result: DoctorResult): string {
  const footer = result.ok ? 'Everything devenv needs is in place.' : 'Run `devenv setup` to fix what it can.';
  return `${rowsText(result.rows)}\n\n${footer}`;
}
