// The ops stack's `registry` role brought up on its own, in a Pulumi stack of
// the caller's name, through the same render and program as `devenv ops up`
// (the whole ops stack has fixed names and ports another suite may be using;
// the deploy service and its database are not needed to move images). The
// registry listens at portBase + its offset, on 127.0.0.1 and the address set in
// the home's registry.json, which this writes before the files are made.
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/files.ts';
import { contextFromEnvironment, projectRoot } from '../../lib/paths.ts';
import { registry } from '../../roles/registry.ts';
import { dockerClient } from '../../stacks/docker-client.ts';
import { selectStack } from '../../stacks/engine.ts';
import { composeStack } from '../../stacks/production.ts';
import { program } from '../../stacks/program.ts';
import { ensureRegistryFiles, registryFiles } from '../../stacks/registry-files.ts';
import { imageHashes, render } from '../../stacks/render.ts';
import { tiers } from '../../stacks/tiers.ts';
import { engineSettings, removeLabelled } from './engines.ts';

export interface RegistryAlone {
  port: number;
  /** takes the stack down, with the registry's data volume */
  remove(): Promise<void>;
}

export async function upRegistryAlone(
  home: string,
  options: { stack: string; portBase: number; hostAddress: string },
): Promise<RegistryAlone> {
  const { stack: stackName, portBase, hostAddress } = options;
  const port = portBase + registry.publish.https!;
  await writeFileAtomic(registryFiles(home).config, `${JSON.stringify({ port, hostAddress })}\n`);
  await ensureRegistryFiles(home);
  const roles = composeStack([registry]);
  const rendered = render(roles, {
    stack: stackName,
    tier: tiers.ops,
    projectRoot,
    imageHashes: await imageHashes(projectRoot, roles.roles),
    portBase,
    hostPaths: {
      project: projectRoot,
      devenvHome: home,
      tools: contextFromEnvironment().tools,
      dockerSocket: '/var/run/docker.sock',
    },
  });
  const stack = await selectStack(
    await engineSettings(home),
    stackName,
    program(rendered, { logDir: join(home, 'logs') }),
  );
  const remove = async () => {
    await stack.destroy({ color: 'never' }).catch(() => {});
    // Its data volume outlives a destroy, as in every stack: removed by hand here.
    for (const volume of rendered.volumes)
      await dockerClient()
        .getVolume(volume.name)
        .remove()
        .catch(() => {});
    await removeLabelled(stackName);
  };
  try {
    await stack.up({ color: 'never' });
  } catch (error) {
    await remove();
    throw error;
  }
  return { port, remove };
}
