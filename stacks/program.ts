// The Pulumi program: a rendered stack becomes Docker resources. Containers are
// created after the containers of the roles they depend on, which only count as
// created once healthy.
import * as pulumi from '@pulumi/pulumi';
import { Container } from './providers/container.ts';
import { HostImage } from './providers/host-image.ts';
import { Image, type ImageInputs } from './providers/image.ts';
import { Network } from './providers/network.ts';
import { Volume } from './providers/volume.ts';
import { labelKeys } from './docker-client.ts';
import { urlsOf, type RenderedImage, type RenderedStack } from './render.ts';

export interface ProgramOptions {
  /** where image build logs go */
  logDir: string;
}

const label = (stack: string, role: string) => [
  { label: labelKeys.managed, value: 'true' },
  { label: labelKeys.stack, value: stack },
  { label: labelKeys.role, value: role },
];

/**
 * Data outlives the stack: destroying it (`down`, an interrupted run's cleanup,
 * a replaced volume) keeps the volumes holding data, in every tier. Applied once
 * to the whole stack; deleting data is explicit (`down --purge-data`).
 */
function keepDataOnDestroy(dataVolumes: Set<string>): void {
  pulumi.runtime.registerResourceTransform(({ name, props, opts }) =>
    dataVolumes.has(name) ? { props, opts: { ...opts, retainOnDelete: true } } : undefined,
  );
}

/** How a rendered image is built: the same inputs for the program and for a deploy's build step. */
export function imageInputs(image: RenderedImage, logDir: string): ImageInputs {
  return {
    imageName: image.ref,
    contextDir: image.contextDir,
    dockerfile: image.dockerfile,
    buildArgs: {},
    labels: [{ label: labelKeys.managed, value: 'true' }],
    logDir,
  };
}

/**
 * Across a fleet each host's resources are children of a component named after
 * the host, so `preview` shows the changes host by host; Pulumi names carry the
 * host where one name is made on several engines (the network, the volumes).
 */
export const hostComponentType = 'devenv:fleet:Host';
const dynamicType = 'pulumi-nodejs:dynamic:Resource';
const project = 'devenv';

function hostParents(rendered: RenderedStack): Map<string, pulumi.ComponentResource> {
  return new Map(
    (rendered.hosts ?? []).map((host) => [host.name, new pulumi.ComponentResource(hostComponentType, host.name)]),
  );
}

const onHost = (name: string, host: string | undefined) => (host === undefined ? name : `${name}@${host}`);
const hostImageName = (ref: string, name: string) => `image-${name}-${ref.slice(ref.lastIndexOf(':') + 1)}`;

/** The URNs the program gives a host's resources: its component and, under it, its network, volumes, images and containers. */
export function hostResourceUrns(stack: string, rendered: RenderedStack, host: string): string[] {
  const urn = (type: string, name: string) => `urn:pulumi:${stack}::${project}::${type}::${name}`;
  const child = (name: string) => urn(`${hostComponentType}$${dynamicType}`, name);
  const containers = rendered.containers.filter((c) => c.host?.name === host);
  const images = [...new Set(containers.map((c) => c.image))].map((ref) =>
    hostImageName(ref, rendered.images.find((image) => image.ref === ref)!.name),
  );
  return [
    urn(hostComponentType, host),
    child(onHost(rendered.network, host)),
    ...rendered.volumes.filter((v) => v.host === host).map((v) => child(onHost(v.name, host))),
    ...images.map((name) => child(onHost(name, host))),
    ...containers.map((c) => child(c.name)),
  ];
}

export function program(rendered: RenderedStack, options: ProgramOptions): pulumi.automation.PulumiFn {
  // A stand-in for a secret must never reach a container: its database would take it for the password.
  if (rendered.withoutSecrets)
    throw new Error(`${rendered.stack} was rendered without its secrets: it cannot be applied`);
  return async () => {
    const { stack } = rendered;
    keepDataOnDestroy(new Set(rendered.volumes.filter((v) => v.data).map((v) => onHost(v.name, v.host))));
    const parents = hostParents(rendered);
    const parentOf = (host: string | undefined) => (host === undefined ? {} : { parent: parents.get(host)! });
    const hostOf = (name: string | undefined) => rendered.hosts?.find((host) => host.name === name);
    const engine = (name: string | undefined) => {
      const host = hostOf(name);
      return host ? { engine: host } : {};
    };
    const networks = new Map(
      [...new Set(rendered.hosts ? rendered.hosts.map((host) => host.name) : [undefined])].map((host) => [
        host,
        new Network(
          onHost(rendered.network, host),
          { name: rendered.network, labels: label(stack, 'network'), internal: false, ...engine(host) },
          parentOf(host),
        ),
      ]),
    );
    // Keyed by tag: mid-roll, one image name has two (the next release's and the previous one's).
    const images = new Map(
      rendered.images.map((image) => [
        image.ref,
        new Image(
          image.previous ? `image-${image.name}-previous` : `image-${image.name}`,
          imageInputs(image, options.logDir),
        ),
      ]),
    );
    // Across a fleet a host runs an image once it has it from the registry, by digest. Named by
    // the image's tag, not as next or previous: mid-roll, a replica that keeps its image keeps
    // the same resource, whose digest is known, so the engine does not plan to replace it.
    const hostImages = new Map<string, HostImage>();
    const imageOn = (ref: string, host: string | undefined): pulumi.Input<string> => {
      const built = images.get(ref)!;
      if (host === undefined) return built.imageName;
      const key = `${ref} ${host}`;
      if (!hostImages.has(key)) {
        const name = hostImageName(ref, rendered.images.find((i) => i.ref === ref)!.name);
        hostImages.set(
          key,
          new HostImage(onHost(name, host), { image: built.imageName, engine: hostOf(host)! }, parentOf(host)),
        );
      }
      return hostImages.get(key)!.repoDigest;
    };
    const volumes = new Map(
      rendered.volumes.map((volume) => [
        onHost(volume.name, volume.host),
        new Volume(
          onHost(volume.name, volume.host),
          { name: volume.name, labels: label(stack, volume.role), ...engine(volume.host) },
          parentOf(volume.host),
        ),
      ]),
    );
    const byRole = new Map<string, Container[]>();
    for (const spec of rendered.containers) {
      const host = spec.host?.name;
      // Volumes by name are known up front; depending on their resources orders creation.
      const dependencies = [
        ...spec.dependsOn.flatMap((role) => byRole.get(role) ?? []),
        ...spec.mounts.flatMap((m) => (m.volume ? [volumes.get(onHost(m.volume, host))!] : [])),
      ];
      const network = networks.get(host)!;
      const container = new Container(
        spec.name,
        {
          name: spec.name,
          image: imageOn(spec.image, host),
          ...(spec.command && { command: spec.command }),
          // An env holding a secret is a secret: Pulumi keeps it encrypted in the state.
          envs: spec.secretEnv
            ? pulumi.secret(Object.entries(spec.env).map(([key, value]) => `${key}=${value}`))
            : Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
          // On the host's network a port is not published: the process listens on it itself.
          ports: spec.hostNamespaces
            ? []
            : spec.ports.map((p) => ({
                internal: p.container,
                external: p.host,
                ip: spec.host?.address ?? '127.0.0.1',
                protocol: p.protocol ?? ('tcp' as const),
              })),
          networkName: spec.hostNamespaces ? 'host' : network.name,
          // Every replica answers to the role's name: Docker's DNS spreads lookups over them.
          aliases: spec.hostNamespaces ? [] : [spec.role, spec.name],
          volumes: spec.mounts.map((m) =>
            m.volume
              ? { containerPath: m.path, volumeName: m.volume, readOnly: m.readOnly }
              : m.tmpfs
                ? { containerPath: m.path, tmpfs: true, readOnly: m.readOnly }
                : { containerPath: m.path, hostPath: m.hostPath!, readOnly: m.readOnly },
          ),
          labels: Object.entries(spec.labels).map(([key, value]) => ({ label: key, value })),
          ...(spec.healthCheck && {
            healthcheck: {
              tests: ['CMD-SHELL', spec.healthCheck.command],
              intervalSeconds: spec.healthCheck.intervalSeconds,
              timeoutSeconds: spec.healthCheck.timeoutSeconds,
              retries: 3,
              readyTimeoutSeconds: spec.healthCheck.readyTimeoutSeconds,
            },
          }),
          memoryMb: spec.memoryMb,
          restart: 'unless-stopped',
          ...(spec.host && { engine: spec.host }),
        },
        {
          dependsOn: dependencies,
          ...parentOf(host),
          ...(spec.secretEnv && { additionalSecretOutputs: ['envs'] }),
        },
      );
      byRole.set(spec.role, [...(byRole.get(spec.role) ?? []), container]);
    }
    return { urls: urlsOf(rendered) };
  };
}
