// An image on a host of a fleet: pushed from this machine to devenv's registry
// (when the registry lacks it) and pulled by digest on the host's engine. Its
// output is the digest reference the host's containers run. Deleting it keeps
// the image on the host: a host keeps the images of its last releases, so that a
// rollback pulls nothing. The registry's password is read from the devenv home
// (DEVENV_HOME, given to the engine), never an input or an output.
import * as pulumi from '@pulumi/pulumi';
import { UserError } from '../../lib/errors.ts';
import { contextFromEnvironment } from '../../lib/paths.ts';
import { inspectIfPresent } from '../docker-client.ts';
import { engineOf } from '../host-engine.ts';
import type { Host } from '../hosts.ts';
import { pullOnHost, pushImage, readRegistry } from '../registry.ts';
import { changedKeys, lazyProvider, type Operations } from './dynamic.ts';

export interface HostImageInputs {
  /** the image on this machine's engine: devenv/<name>:<content hash> */
  image: string;
  /** the host whose engine gets it */
  engine: Host;
}

export interface HostImageOutputs extends HostImageInputs {
  /** what the host's containers run: <registry's address for hosts>/devenv/<name>@sha256:... */
  repoDigest: string;
}

/** The engine shows only the message of a provider's error: a UserError's fix goes in it. */
function withFix(error: unknown): never {
  if (error instanceof UserError && error.fix) throw new Error(`${error.message}: ${error.fix}`);
  throw error;
}

async function converge(inputs: HostImageInputs): Promise<HostImageOutputs> {
  try {
    const registry = await readRegistry(contextFromEnvironment().home);
    const { ref } = await pushImage(registry, inputs.image);
    await pullOnHost(registry, { name: inputs.engine.name, docker: await engineOf(inputs.engine) }, ref);
    return { ...inputs, repoDigest: ref };
  } catch (error) {
    return withFix(error);
  }
}

export const operations: Operations<HostImageInputs, HostImageOutputs> = {
  async create(inputs) {
    const outs = await converge(inputs);
    return { id: `${inputs.engine.name} ${outs.repoDigest}`, outs };
  },
  async diff(_id, olds, news) {
    // Another image or host is another resource; the old one's delete keeps its image.
    const replaces = changedKeys(olds, news, ['image', 'engine'] as const);
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: false };
    // Removed from the host since (pruned by hand): pulled again in place.
    const docker = await engineOf(news.engine);
    const held = olds.repoDigest && (await inspectIfPresent(() => docker.getImage(olds.repoDigest).inspect()));
    return { changes: !held, replaces: [] };
  },
  async update(_id, _olds, news) {
    return { outs: await converge(news) };
  },
  async delete() {
    // Kept on purpose: the host's last releases stay, so a rollback pulls nothing.
  },
};

export class HostImage extends pulumi.dynamic.Resource {
  declare readonly image: pulumi.Output<string>;
  declare readonly repoDigest: pulumi.Output<string>;
  constructor(
    name: string,
    args: { [K in keyof HostImageInputs]: pulumi.Input<HostImageInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(lazyProvider(import.meta.url), name, { ...args, repoDigest: undefined }, opts);
  }
}
