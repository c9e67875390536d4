// Installing the Pulumi engine: a failed build names its step and its log; a
// corrupted engine in the tools folder is detected by its version and rebuilt.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPulumi } from '../../toolchain/pulumi-engine.ts';
import { probePulumi, toolsPulumiBinary } from '../../stacks/engine.ts';
import { planRows } from '../../toolchain/plan.ts';
import { gatherFacts } from '../../toolchain/prerequisites.ts';
import { UserError } from '../../lib/errors.ts';
import { contextFromEnvironment, type Context } from '../../lib/paths.ts';

describe('installing the Pulumi engine', { timeout: 10 * 60_000 }, () => {
  let scratch: string;
  let realEngine: string;
  /** A tools folder and a home of the test's own: the machine's engine is only copied from. */
  let ctx: Context;

  before(async () => {
    realEngine = toolsPulumiBinary(contextFromEnvironment());
    scratch = await mkdtemp(join(tmpdir(), 'devenv-pulumi-'));
    ctx = { tools: join(scratch, 'tools'), home: join(scratch, 'home') };
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('a build that cannot fetch its modules names the failing step and the log', async () => {
    process.env.GOPROXY = 'off';
    process.env.GOMODCACHE = join(scratch, 'empty-modcache');
    try {
      await assert.rejects(
        installPulumi(ctx, () => {}),
        (error: Error) => {
          assert.ok(error instanceof UserError);
          assert.match(error.message, /building the Pulumi engine failed at "go mod download pkg\/v3"/);
          assert.equal(error.fix, `the full log is ${join(scratch, 'home', 'logs', 'pulumi-build.log')}`);
          return true;
        },
      );
    } finally {
      delete process.env.GOPROXY;
      delete process.env.GOMODCACHE;
    }
  });

  it('a truncated engine is detected by its version check and rebuilt', async () => {
    await mkdir(join(scratch, 'tools', 'pulumi', 'bin'), { recursive: true });
    await copyFile(realEngine, toolsPulumiBinary(ctx));
    await truncate(toolsPulumiBinary(ctx), 1_000_000);

    const probe = await probePulumi(ctx);
    assert.deepEqual(probe, { source: 'tools', broken: true });
    const row = planRows(await gatherFacts(ctx)).find((r) => r.name === 'pulumi')!;
    assert.equal(row.action, 'rebuild-pulumi');

    // With the Go build cache warm (setup built the same engine), this is mostly linking.
    const version = await installPulumi(ctx, () => {});
    assert.match(version, /^v3\.\d+\.\d+$/);
    assert.equal((await probePulumi(ctx)).broken, false);
    assert.match(
      await readFile(join(scratch, 'home', 'logs', 'pulumi-build.log'), 'utf8'),
      /built from the Go module proxy/,
    );
  });
});
