// A docker-compose file generated from a rendered stack: the same images, env,
// commands, ports, volumes, health checks and start order, for the peer that
// benchmarks compare against (Debian's docker-compose 1.29).
import { relative } from 'node:path';
import { stringify } from 'yaml';
import type { RenderedStack } from '../stacks/render.ts';

export interface ComposeOptions {
  /** build the images from their contexts instead of using the tags devenv built */
  build: boolean;
  projectRoot: string;
}

/** compose interpolates $VARIABLES; ours are meant for the container's shell. */
const literal = (text: string) => text.replaceAll('$', '$$$$');

export function composeFile(rendered: RenderedStack, options: ComposeOptions): string {
  const services = Object.fromEntries(
    rendered.containers.map((c) => {
      const image = rendered.images.find((i) => i.ref === c.image)!;
      return [
        c.role,
        {
          ...(options.build
            ? { build: { context: image.contextDir, dockerfile: relative(image.contextDir, image.dockerfile) } }
            : { image: c.image }),
          ...(c.command && { command: c.command.map(literal) }),
          environment: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, literal(v)])),
          ports: c.ports.map((p) => `127.0.0.1:${p.host}:${p.container}`),
          volumes: c.mounts
            .filter((m) => !m.tmpfs)
            .map(
              (m) =>
                `${m.volume ? m.volume.slice(rendered.stack.length + 1) : m.hostPath}:${m.path}${m.readOnly ? ':ro' : ''}`,
            ),
          tmpfs: c.mounts.filter((m) => m.tmpfs).map((m) => m.path),
          ...(c.healthCheck && {
            healthcheck: {
              test: ['CMD-SHELL', literal(c.healthCheck.command)],
              interval: `${c.healthCheck.intervalSeconds}s`,
              timeout: `${c.healthCheck.timeoutSeconds}s`,
              retries: 3,
            },
          }),
          depends_on: Object.fromEntries(c.dependsOn.map((d) => [d, { condition: 'service_healthy' }])),
          mem_limit: `${c.memoryMb}m`,
          restart: 'unless-stopped',
        },
      ];
    }),
  );
  const volumes = Object.fromEntries(rendered.volumes.map((v) => [v.name.slice(rendered.stack.length + 1), {}]));
  return stringify({ version: '2.4', services, volumes });
}
