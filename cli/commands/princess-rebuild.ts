// devenv princess rebuild: the workflow is data/rebuild.ts; this says its result.
import type { RebuildResult } from '../../data/rebuild.ts';

export function rebuildText(result: RebuildResult): string {
  return [
    ...result.tables.map(
      (t) =>
        `  ${t.table.padEnd(18)} ${t.rows.toLocaleString('en').padStart(11)} rows  ${(t.bytes / 1024 ** 2).toFixed(1).padStart(7)} MB  ${t.seconds.toFixed(1).padStart(6)} s`,
    ),
    `princess rebuilt from prod's snapshot ${result.snapshot}: ${result.rows.toLocaleString('en')} rows, ${result.megabytes.toFixed(1)} MB in ${result.seconds.toFixed(1)} s ` +
      `(copy ${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s, ${result.megabytesPerSecond.toFixed(1)} MB/s); leak scan: ${result.leaks.hits} hits in ${result.leaks.checks.length} checks`,
  ].join('\n');
}
