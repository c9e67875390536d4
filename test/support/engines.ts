// Shared by the engine-backed tests: a throwaway devenv home, the engine settings
// for it, and what the Docker engine holds for a stack.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient, labelKeys } from '../../stacks/docker-client.ts';
import type { EngineSettings } from '../../stacks/engine.ts';
import { contextFromEnvironment, paths, projectRoot, type Context } from '../../lib/paths.ts';
import { automationSdkVersion, probePulumi } from '../../stacks/engine.ts';

/** A devenv home of the test's own, with the engines the machine's devenv installed (ctx for calls in this process). */
export async function throwawayHome(): Promise<{ home: string; ctx: Context; remove: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'devenv-test-home-'));
  const ctx = { ...contextFromEnvironment(), home };
  return { home, ctx, remove: () => rm(home, { recursive: true, force: true }) };
}

export async function engineSettings(home: string): Promise<EngineSettings> {
  const ctx = { ...contextFromEnvironment(), home };
  const pulumi = await probePulumi(ctx);
  if (!pulumi.root) throw new Error('no Pulumi engine: run `devenv setup` first');
  return {
    home,
    pulumiRoot: pulumi.root,
    pulumiVersion: automationSdkVersion,
    pluginDir: paths.pulumiPlugins(ctx),
    workDir: paths.workspace(ctx),
    projectFile: join(projectRoot, 'Pulumi.yaml'),
  };
}

/** Names of the containers, networks and volumes labelled with the stack. */
export async function labelled(
  stack: string,
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const docker = dockerClient();
  const filters = { label: [`${labelKeys.stack}=${stack}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => (c.Names[0] ?? '').replace(/^\//, '')).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** Removes whatever a failed test left labelled with the stack. */
export async function removeLabelled(stack: string): Promise<void> {
  const docker = dockerClient();
  const left = await labelled(stack);
  await Promise.all(
    left.containers.map((name) =>
      docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
  await Promise.all(
    left.networks.map((name) =>
      docker
        .getNetwork(name)
        .remove()
        .catch(() => {}),
    ),
  );
  await Promise.all(
    left.volumes.map((name) =>
      docker
        .getVolume(name)
        .remove()
        .catch(() => {}),
    ),
  );
}

/** GETs a loopback URL until it answers 200 or the deadline passes. */
export async function fetchText(url: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return await response.text();
      last = new Error(`HTTP ${response.status}`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${String(last)}`);
}

/**
 * The command of a one-line HTTP server on port 8080, in the Perl every Debian
 * base image has: it answers every request with `body` (Perl interpolates it, so
 * `$ENV{NAME}` reads the container's environment).
 */
export function perlHttpServer(body: string): string[] {
  return [
    'perl',
    '-e',
    'use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die "listen: $!"; ' +
      `while (my $c = $s->accept) { <$c>; print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n${body}\\n"; close $c }`,
  ];
}
