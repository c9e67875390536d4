// Where a stack's services answer on this machine, from one source: the tier's
// fixed port base, or the one the stack's last `up` recorded, rendered into URLs
// (`proxy.http`, `graphite.http`, `db.postgres`).
import { UserError } from '../lib/errors.ts';
import { projectRoot, type Context } from '../lib/paths.ts';
import { readConverged } from './fast-path.ts';
import { readFleet } from './fleet-config.ts';
import { renderStack, urlsOf } from './render.ts';
import { tierOfStackOrRefuse } from './tiers.ts';

export async function stackEndpoints(ctx: Context, stack: string): Promise<Record<string, string>> {
  const tier = tierOfStackOrRefuse(stack);
  let portBase: number;
  if (tier.ports.kind === 'fixed') portBase = tier.ports.base;
  else {
    const converged = await readConverged(ctx.home, stack);
    if (!converged)
      throw new UserError(
        `${stack} is not up (no \`devenv up\` of it recorded in ${ctx.home})`,
        `bring it up with \`devenv up --user ${stack.slice('dev-'.length)}\``,
      );
    portBase = converged.portBase;
  }
  const fleet = await readFleet(ctx, stack);
  return urlsOf(await renderStack(stack, projectRoot, portBase, fleet && { fleet }));
}
