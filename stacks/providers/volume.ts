// A named Docker volume: where a role's data outlives its containers.
import * as pulumi from '@pulumi/pulumi';
import { inspectIfPresent, removeIfPresent } from '../docker-client.ts';
import { engineOf } from '../host-engine.ts';
import type { Host } from '../hosts.ts';
import {
  labelsObject,
  lazyProvider,
  replaceWhenChangedOrGone,
  sameLabels,
  type Label,
  type Operations,
} from './dynamic.ts';

export interface VolumeInputs {
  name: string;
  labels: Label[];
  /** the host whose engine holds it @default this machine's */
  engine?: Host;
}

export const operations: Operations<VolumeInputs, VolumeInputs> = {
  async create(inputs) {
    const docker = await engineOf(inputs.engine);
    const existing = await inspectIfPresent(() => docker.getVolume(inputs.name).inspect());
    // A volume kept by `down` (data kept) or left by an interrupted run: adopt it, data and all.
    if (existing && sameLabels(existing.Labels, inputs.labels)) return { id: existing.Name, outs: inputs };
    if (existing) throw new Error(`a volume named ${inputs.name} exists and is not devenv's: remove or rename it`);
    const created = await docker.createVolume({ Name: inputs.name, Labels: labelsObject(inputs.labels) });
    return { id: created.name, outs: inputs };
  },
  diff: (id, olds, news) =>
    replaceWhenChangedOrGone(olds, news, ['name', 'labels', 'engine'] as const, async () =>
      (await engineOf(olds.engine)).getVolume(id).inspect(),
    ),
  async update() {
    throw new Error('a Docker volume cannot change in place; diff replaces it');
  },
  async delete(id, props) {
    const docker = await engineOf(props.engine);
    await removeIfPresent(() => docker.getVolume(id).remove());
  },
};

export class Volume extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(
    name: string,
    args: { [K in keyof VolumeInputs]: pulumi.Input<VolumeInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(lazyProvider(import.meta.url), name, args, opts);
  }
}
