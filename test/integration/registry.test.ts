// Images reach a host through the registry, with real engines: the ops stack's
// registry role brought up alone (its own stack name and ports: the whole ops
// stack has fixed names another suite may be using), one host container of the
// test's own (images/host on its own internal network, 10.214.0.0/24, never the
// local fleet's), an image pushed by content and pulled on the host by digest,
// through the module and through the HostImage provider. Nothing of it uses
// `devenv hosts local`'s names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { execa } from 'execa';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { projectRoot } from '../../lib/paths.ts';
import { dockerClient, inspectIfPresent } from '../../stacks/docker-client.ts';
import { changeCount, selectStack } from '../../stacks/engine.ts';
import { hostDocker } from '../../stacks/host-engine.ts';
import type { Host } from '../../stacks/hosts.ts';
import { HostImage } from '../../stacks/providers/host-image.ts';
import { ensureRegistryFiles, registryFiles } from '../../stacks/registry-files.ts';
import { pullOnHost, pushImage, readRegistry, type Registry } from '../../stacks/registry.ts';
import { waitFor } from '../../lib/wait.ts';
import { engineSettings, throwawayHome } from '../support/engines.ts';
import { makeOwnHosts, type OwnHosts } from '../support/own-hosts.ts';
import { upRegistryAlone, type RegistryAlone } from '../support/registry-alone.ts';

const registryStack = `dev-reg${process.pid}`;
const hostStack = `dev-reghost${process.pid}`;
const imageStack = `dev-regimg${process.pid}`;
const portBase = 31_200;
const subnetPrefix = '10.214.0';
const repository = 'devenv/regtest';

/** A tiny image of one file, made without a build: its content (and so its ID) differs by `text`. */
async function tinyImage(tag: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devenv-regtest-image-'));
  try {
    await writeFile(join(dir, 'marker'), `${text}\n`);
    const docker = dockerClient();
    const stream = await docker.importImage(pack(dir) as unknown as NodeJS.ReadableStream, { repo: repository, tag });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return `${repository}:${tag}`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('images reach a host through the registry', { timeout: 10 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  let registryUp: RegistryAlone;
  let own: OwnHosts;
  let host: Host;
  let onHost: Docker;
  let registry: Registry;
  const images: string[] = [];

  before(async () => {
    home = await throwawayHome();
    registryUp = await upRegistryAlone(home.home, {
      stack: registryStack,
      portBase,
      hostAddress: `${subnetPrefix}.1`,
    });
    own = await makeOwnHosts(home.home, { stack: hostStack, subnetPrefix, count: 1 });
    host = own.hosts[0]!;
    onHost = await hostDocker(home.home, host);
    registry = await readRegistry(home.home);
    images.push(await tinyImage(`one-${process.pid}`, `one ${process.pid} ${Date.now()}`));
    images.push(await tinyImage(`two-${process.pid}`, `two ${process.pid} ${Date.now()}`));
  });

  after(async () => {
    const stack = await selectStack(await engineSettings(home.home), imageStack, async () => {}).catch(() => undefined);
    await stack?.destroy({ color: 'never' }).catch(() => {});
    await own?.remove().catch(() => {});
    await registryUp?.remove().catch(() => {});
    const docker = dockerClient();
    for (const image of await docker.listImages({ filters: { reference: [`*${repository}*`] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
    await home?.remove();
  });

  it('keeps its key and password to the owner, and its address as configured', async () => {
    const files = registryFiles(home.home);
    for (const secret of [files.caKey, files.serverKey, files.password])
      assert.equal((await stat(secret)).mode & 0o777, 0o600, secret);
    assert.deepEqual(registry.location, {
      push: `127.0.0.1:${registryUp.port}`,
      pull: `${subnetPrefix}.1:${registryUp.port}`,
    });
  });

  it('pushes an image by its tag, and not again while the registry holds that tag with that content', async () => {
    const first = await pushImage(registry, images[0]!);
    assert.equal(first.pushed, true);
    assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(first.ref, `${registry.location.pull}/${repository}@${first.digest}`);
    const again = await pushImage(registry, images[0]!);
    assert.deepEqual(again, { ...first, pushed: false });
  });

  it('the host pulls it by digest; a second pull pulls nothing, even with the registry stopped', async () => {
    const { ref } = await pushImage(registry, images[0]!);
    assert.deepEqual(await pullOnHost(registry, { name: host.name, docker: onHost }, ref), { pulled: true });
    const pulled = await onHost.getImage(ref).inspect();
    assert.ok(pulled.RepoDigests.includes(ref), JSON.stringify(pulled.RepoDigests));

    const container = dockerClient().getContainer(`${registryStack}-registry`);
    await container.stop();
    try {
      assert.deepEqual(await pullOnHost(registry, { name: host.name, docker: onHost }, ref), { pulled: false });
      await assert.rejects(pushImage(registry, images[1]!), /registry does not answer at 127\.0\.0\.1:\d+.*/);
    } finally {
      await container.start();
      await waitFor(() => pushImage(registry, images[0]!).catch(() => undefined), {
        intervalMs: 500,
        timeoutMs: 30_000,
        timedOut: () => new Error('the registry did not answer again within 30 s of its restart'),
      });
    }
  });

  it('refuses wrong credentials, on this machine and on the host', async () => {
    const wrong = { ...registry, password: 'not-the-password' };
    await assert.rejects(pushImage(wrong, images[1]!), (error: Error) => {
      assert.match(error.message, /^the registry at 127\.0\.0\.1:\d+ refused devenv's credentials/);
      return true;
    });
    const { ref } = await pushImage(registry, images[1]!);
    await assert.rejects(pullOnHost(wrong, { name: host.name, docker: onHost }, ref), (error: Error) => {
      assert.match(error.message, /^host-1: the registry at 10\.214\.0\.1:\d+ refused devenv's credentials$/);
      return true;
    });
    assert.equal(await inspectIfPresent(() => onHost.getImage(ref).inspect()), undefined);
  });

  it('names the host and the address when the host cannot reach the registry', async () => {
    const { digest } = await pushImage(registry, images[1]!);
    const elsewhere = `${subnetPrefix}.1:${portBase + 9}`;
    await assert.rejects(
      pullOnHost(registry, { name: host.name, docker: onHost }, `${elsewhere}/${repository}@${digest}`),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`^host-1 cannot reach the registry at ${elsewhere.replaceAll('.', '\\.')}: `),
        );
        return true;
      },
    );
  });

  it('HostImage puts an image on a host and outputs its digest reference; a second up changes nothing; destroy keeps the image there', async () => {
    const image = images[1]!;
    const stack = await selectStack(await engineSettings(home.home), imageStack, async () => {
      const placed = new HostImage('regtest-on-host-1', { image, engine: host });
      return { repoDigest: placed.repoDigest };
    });
    const first = await stack.up({ color: 'never' });
    const repoDigest = first.outputs.repoDigest!.value as string;
    assert.match(repoDigest, new RegExp(`^${subnetPrefix.replaceAll('.', '\\.')}\\.1:\\d+/${repository}@sha256:`));
    assert.ok((await onHost.getImage(repoDigest).inspect()).RepoDigests.includes(repoDigest));

    const second = await stack.up({ color: 'never' });
    assert.equal(changeCount(second.summary.resourceChanges), 0, JSON.stringify(second.summary.resourceChanges));

    await stack.destroy({ color: 'never' });
    assert.ok(await inspectIfPresent(() => onHost.getImage(repoDigest).inspect()), 'the host kept the image');
  });

  it('a certificate issued anew is served within seconds: the registry restarts itself on it', async () => {
    const files = registryFiles(home.home);
    await rm(files.serverCert);
    assert.match((await ensureRegistryFiles(home.home)).made.join(), /^certificate/);
    const issued = new X509Certificate(await readFile(files.serverCert)).fingerprint256;
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: registryUp.port, ca: registry.ca }, () => {
          resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
          socket.end();
        });
        socket.on('error', reject);
      });
    await waitFor(async () => ((await served().catch(() => '')) === issued ? true : undefined), {
      intervalMs: 500,
      timeoutMs: 30_000,
      timedOut: () => new Error('the registry still serves its old certificate 30 s after a new one was issued'),
    });
    await waitFor(() => pushImage(registry, images[0]!).catch(() => undefined), {
      intervalMs: 500,
      timeoutMs: 30_000,
      timedOut: () => new Error('the registry did not answer on its new certificate within 30 s'),
    });
  });

  it('the password is in no file of the home but its own (Pulumi state, config, logs), nor in the repository', async () => {
    const { password } = registry;
    const own = registryFiles(home.home).password;
    for (const file of await filesUnder(home.home)) {
      if (file === own) continue;
      assert.ok(!(await readFile(file)).includes(password), `the password is in ${file}`);
    }
    const stateFiles = await filesUnder(join(home.home, 'state'));
    assert.ok(
      stateFiles.some((file) => file.includes(registryStack)),
      'the registry stack has state to look into',
    );
    const grep = await execa('git', ['grep', '--untracked', '-I', '-l', '-F', '-e', password], {
      cwd: projectRoot,
      reject: false,
    });
    assert.equal(grep.exitCode, 1, `git grep found the password in: ${grep.stdout}`);
  });
});
