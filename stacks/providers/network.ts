// A Docker bridge network; roles of one stack reach each other on it by name.
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

export interface NetworkInputs {
  name: string;
  labels: Label[];
  /** no route out of the network (the containers still publish ports) @default false */
  internal: boolean;
  /** the host whose engine holds it @default this machine's */
  engine?: Host;
}

const replacingKeys = ['name', 'labels', 'internal', 'engine'] as const;

export const operations: Operations<NetworkInputs, NetworkInputs> = {
  async create(inputs) {
    const docker = await engineOf(inputs.engine);
    const existing = await inspectIfPresent(() => docker.getNetwork(inputs.name).inspect());
    // Left by an interrupted run of ours: adopt it rather than fail on the name.
    if (existing && sameLabels(existing.Labels, inputs.labels)) return { id: existing.Id, outs: inputs };
    if (existing) throw new Error(`a network named ${inputs.name} exists and is not devenv's: remove or rename it`);
    const created = await docker.createNetwork({
      Name: inputs.name,
      Driver: 'bridge',
      Internal: inputs.internal,
      Labels: labelsObject(inputs.labels),
      CheckDuplicate: true,
    });
    return { id: created.id, outs: inputs };
  },
  diff: (id, olds, news) =>
    replaceWhenChangedOrGone(olds, news, replacingKeys, async () =>
      (await engineOf(olds.engine)).getNetwork(id).inspect(),
    ),
  async update() {
    throw new Error('a Docker network cannot change in place; diff replaces it');
  },
  async delete(id, props) {
    const docker = await engineOf(props.engine);
    await removeIfPresent(() => docker.getNetwork(id).remove());
  },
};

export class Network extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(
    name: string,
    args: { [K in keyof NetworkInputs]: pulumi.Input<NetworkInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(lazyProvider(import.meta.url), name, args, opts);
  }
}
