// A Docker image built from a context folder, tagged by the content hash of its
// inputs. A tag that exists is never rebuilt; images are shared by every stack
// (that is the point of content addressing), so deleting the resource keeps the image.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { pack } from 'tar-fs';
import { dockerClient, inspectIfPresent } from '../docker-client.ts';
import { changedKeys, labelsObject, lazyProvider, type Label, type Operations } from './dynamic.ts';

export interface ImageInputs {
  /** repository:tag, the tag being the content hash */
  imageName: string;
  contextDir: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  labels: Label[];
  /** where build output goes, for the error message when a build fails */
  logDir: string;
}

export interface ImageOutputs extends ImageInputs {
  imageId: string;
}

const dockerfileInContext = '.devenv.Dockerfile';

async function imageId(ref: string): Promise<string | undefined> {
  return (await inspectIfPresent(() => dockerClient().getImage(ref).inspect()))?.Id;
}

async function build(inputs: ImageInputs): Promise<string> {
  const docker = dockerClient();
  const dockerfile = await readFile(inputs.dockerfile);
  const ignored = new Set(['node_modules', '.git', '.tools', 'test-artifacts']);
  const context = pack(inputs.contextDir, {
    ignore: (name) => name.split('/').some((part) => ignored.has(part)),
    finalize: false,
    finish: (tar) => {
      tar.entry({ name: dockerfileInContext }, dockerfile);
      tar.finalize();
    },
  });
  await mkdir(inputs.logDir, { recursive: true });
  const logPath = join(inputs.logDir, `build-${inputs.imageName.replace(/[/:]/g, '_')}.log`);
  const log = createWriteStream(logPath);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: inputs.imageName,
    dockerfile: dockerfileInContext,
    buildargs: inputs.buildArgs,
    labels: labelsObject(inputs.labels),
    rm: true,
    forcerm: true,
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error) => {
        log.end();
        if (error)
          reject(new Error(`building ${inputs.imageName} failed: ${error.message.trim()} (build log: ${logPath})`));
        else resolve();
      },
      (event: { stream?: string; status?: string }) => log.write(event.stream ?? `${event.status ?? ''}\n`),
    );
  });
  const id = await imageId(inputs.imageName);
  if (!id)
    throw new Error(`building ${inputs.imageName} reported success but the image is missing (build log: ${logPath})`);
  return id;
}

/** The image of that tag, built when missing (also used outside Pulumi, by `devenv try`). */
export async function ensureImage(inputs: ImageInputs): Promise<ImageOutputs> {
  const id = (await imageId(inputs.imageName)) ?? (await build(inputs));
  return { ...inputs, imageId: id };
}

export const operations: Operations<ImageInputs, ImageOutputs> = {
  async create(inputs) {
    const outs = await ensureImage(inputs);
    return { id: inputs.imageName, outs };
  },
  async diff(_id, olds, news) {
    // A new tag is a new image: "replace" creates it and keeps the old one for other stacks.
    const replaces = changedKeys(olds, news, ['imageName'] as const);
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: false };
    // Same tag, but pruned from the engine since: rebuild it in place.
    return { changes: (await imageId(news.imageName)) === undefined, replaces: [] };
  },
  async update(_id, _olds, news) {
    return { outs: await ensureImage(news) };
  },
  async delete() {
    // Kept on purpose: the same content-addressed image serves every tier.
  },
};

export class Image extends pulumi.dynamic.Resource {
  declare readonly imageName: pulumi.Output<string>;
  declare readonly imageId: pulumi.Output<string>;
  constructor(
    name: string,
    args: { [K in keyof ImageInputs]: pulumi.Input<ImageInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(lazyProvider(import.meta.url), name, { ...args, imageId: undefined }, opts);
  }
}
