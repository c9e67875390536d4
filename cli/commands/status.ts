// devenv status: the result of stacks/status.ts as a table.
import type { StatusResult } from '../../stacks/status.ts';
import { textTable } from '../text-table.ts';

export function statusText(result: StatusResult): string {
  if (result.containers.length === 0) return `${result.stack}: no containers (run \`devenv up\`)`;
  const rows = result.containers.map((c) => [c.role, c.name, c.state, c.health, c.urls.join(' ') || '-', c.image]);
  const header = ['ROLE', 'CONTAINER', 'STATE', 'HEALTH', 'URL', 'IMAGE'];
  return textTable(header, rows);
}
