// A real `pulumi up` through the Automation API on the local file backend: a
// one-service stack (the proxy's nginx image built FROM the base image, serving
// HTTP on its own health endpoint).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { changeCount, projectName, selectStack, stateDir } from '../../stacks/engine.ts';
import { composeStack } from '../../stacks/production.ts';
import { imageBuild, render } from '../../stacks/render.ts';
import { program } from '../../stacks/program.ts';
import { contextHash } from '../../stacks/context-hash.ts';
import { tiers } from '../../stacks/tiers.ts';
import { proxy } from '../../roles/proxy.ts';
import { projectRoot } from '../../lib/paths.ts';
import { dockerClient } from '../../stacks/docker-client.ts';
import { engineSettings, fetchText, labelled, removeLabelled, throwawayHome } from '../support/engines.ts';

const stackName = `dev-itest${process.pid}`;
const port = 29_900;

describe('Pulumi engine with the Docker providers', { timeout: 15 * 60_000 }, () => {
  let home: Awaited<ReturnType<typeof throwawayHome>>;
  before(async () => {
    home = await throwawayHome();
  });
  after(async () => {
    await removeLabelled(stackName);
    await home.remove();
  });

  // The proxy alone, with a scratch volume so that destroy is shown to remove volumes too.
  const roles = composeStack([
    // No web role here: the upstream is a name nginx resolves per request, never asked.
    {
      ...proxy,
      env: { WEB_UPSTREAM: 'web:8080' },
      dependsOn: [],
      volumes: [{ name: 'scratch', path: '/var/tmp/scratch', data: false }],
    },
  ]);
  const health = `http://127.0.0.1:${port}/__proxy/health`;
  async function deploy(upstream: string) {
    const hash = await contextHash(imageBuild(projectRoot, proxy.image));
    const rendered = render(roles, {
      stack: stackName,
      tier: { ...tiers.prod, ports: { kind: 'fixed', base: port } },
      projectRoot,
      imageHashes: { proxy: hash },
      portBase: port,
    });
    rendered.containers[0]!.env = { ...rendered.containers[0]!.env, WEB_UPSTREAM: upstream };
    const stack = await selectStack(
      await engineSettings(home.home),
      stackName,
      program(rendered, { logDir: home.home }),
    );
    return { stack, result: await stack.up({ color: 'never' }) };
  }

  it('brings the stack up and it answers on 127.0.0.1', async () => {
    const { result } = await deploy('web:8080');
    assert.equal(result.summary.result, 'succeeded');
    assert.ok(changeCount(result.summary.resourceChanges) >= 4, JSON.stringify(result.summary.resourceChanges));
    await fetchText(health);
    assert.deepEqual(await labelled(stackName), {
      containers: [`${stackName}-proxy`],
      networks: [`${stackName}-net`],
      volumes: [`${stackName}-proxy-scratch`],
    });
    const [binding] =
      (await dockerClient().getContainer(`${stackName}-proxy`).inspect()).HostConfig.PortBindings?.['8080/tcp'] ?? [];
    assert.equal(binding?.HostIp, '127.0.0.1');
  });

  it('reports 0 changes on a second up', async () => {
    const { result } = await deploy('web:8080');
    assert.equal(changeCount(result.summary.resourceChanges), 0, JSON.stringify(result.summary.resourceChanges));
  });

  it("updates the container when the service's env changes", async () => {
    const before = (await dockerClient().getContainer(`${stackName}-proxy`).inspect()).Id;
    const { result } = await deploy('web:9090');
    assert.ok(changeCount(result.summary.resourceChanges) > 0);
    await fetchText(health);
    const after = await dockerClient().getContainer(`${stackName}-proxy`).inspect();
    assert.notEqual(after.Id, before);
    assert.ok(after.Config.Env.includes('WEB_UPSTREAM=web:9090'));
  });

  it('repairs a container removed by hand', async () => {
    await dockerClient().getContainer(`${stackName}-proxy`).remove({ force: true });
    const { result } = await deploy('web:9090');
    assert.ok(changeCount(result.summary.resourceChanges) > 0);
    await fetchText(health);
  });

  it('a sidecar left empty by a killed engine is repaired, not fatal', async () => {
    // What an engine killed between truncating and rewriting it leaves behind.
    const sidecar = join(stateDir(home.home), '.pulumi', 'stacks', projectName, `${stackName}.json.attrs`);
    await writeFile(sidecar, '');
    const settings = await engineSettings(home.home);
    const plain = await execa(join(settings.pulumiRoot!, 'bin', 'pulumi'), ['stack', 'select', '-s', stackName], {
      cwd: settings.workDir,
      env: {
        PULUMI_BACKEND_URL: `file://${stateDir(home.home)}`,
        PULUMI_HOME: join(home.home, 'pulumi-home'),
        PULUMI_SKIP_UPDATE_CHECK: 'true',
      },
      reject: false,
    });
    assert.match(plain.stderr, /failed to load checkpoint: EOF/, 'the backend itself cannot read such a stack');
    const { result } = await deploy('web:9090');
    assert.equal(changeCount(result.summary.resourceChanges), 0, JSON.stringify(result.summary.resourceChanges));
    assert.ok(JSON.parse(await readFile(sidecar, 'utf8')).md5, 'the engine wrote the sidecar anew');
  });

  it('destroy leaves no container, network or volume labelled with the stack', async () => {
    const { stack } = await deploy('web:9090');
    await stack.destroy({ color: 'never' });
    assert.deepEqual(await labelled(stackName), { containers: [], networks: [], volumes: [] });
  });
});
