// The Pulumi engine: found on PATH, else installed into the tools folder by the
// official installer, else built from the Go module proxy.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../lib/errors.ts';
import { paths, type Context } from '../lib/paths.ts';
import { pulumiInstallMethod } from './plan.ts';
import { pulumiVersion, toolsPulumiBinary, versionOf } from '../stacks/engine.ts';

const pulumiModule = 'github.com/pulumi/pulumi';
const installerUrl = 'https://get.pulumi.com';

async function answersWithin(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return response.status < 500;
  } catch {
    return false;
  }
}

export async function goInstalled(): Promise<boolean> {
  return (await execa('go', ['version'], { reject: false })).exitCode === 0;
}

export interface InstallProgress {
  (step: string): void;
}

/** Installs the pinned engine into the tools folder, replacing whatever is there. */
export async function installPulumi(ctx: Context, progress: InstallProgress): Promise<string> {
  progress(`checking whether ${installerUrl} answers`);
  const method = pulumiInstallMethod({
    installerAnswers: await answersWithin(installerUrl, 4000),
    goInstalled: await goInstalled(),
  });
  if (method === undefined) {
    throw new UserError(
      'the Pulumi engine is missing: its installer is unreachable and Go is not installed to build it',
      'install Go (apt-get install golang) or Pulumi itself, then run `devenv setup`',
    );
  }
  await rm(paths.pulumiRoot(ctx), { recursive: true, force: true });
  if (method === 'official-installer') await runOfficialInstaller(ctx, progress);
  else await buildFromSource(ctx, progress);
  const version = await versionOf(toolsPulumiBinary(ctx));
  if (!version)
    throw new UserError('the Pulumi engine was installed but does not report a version', `see ${buildLog(ctx)}`);
  return version;
}

function buildLog(ctx: Context): string {
  return join(paths.logs(ctx), 'pulumi-build.log');
}

async function runOfficialInstaller(ctx: Context, progress: InstallProgress): Promise<void> {
  progress(`running the official installer for ${pulumiVersion}`);
  await mkdir(paths.logs(ctx), { recursive: true });
  const log = buildLog(ctx);
  await step('official installer', log, () =>
    execa(
      'sh',
      ['-c', `curl -fsSL ${installerUrl} | sh -s -- --version ${pulumiVersion} --install-root "$ROOT" --no-edit-path`],
      {
        env: { ROOT: paths.pulumiRoot(ctx) },
        stdout: { file: log, append: true },
        stderr: { file: log, append: true },
      },
    ),
  );
}

/**
 * The CLI's Go module has replace directives, so `go install ...@version` refuses it.
 * A wrapper module requires pkg/v3 and sdk/v3 at the same version and repeats
 * pkg/v3's replace lines (less its local ../sdk one); the version is set by -ldflags
 * so the Automation API's version check passes.
 */
async function buildFromSource(ctx: Context, progress: InstallProgress): Promise<void> {
  const log = buildLog(ctx);
  const work = join(paths.pulumiRoot(ctx), 'build');
  await mkdir(work, { recursive: true });
  await mkdir(paths.logs(ctx), { recursive: true });
  await writeFile(log, `# Pulumi ${pulumiVersion} built from the Go module proxy, ${new Date().toISOString()}\n`);
  const go = (args: string[]) =>
    execa('go', args, {
      cwd: work,
      env: { GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
    });

  progress('fetching the module list of pkg/v3');
  const info = await step('go mod download pkg/v3', log, () =>
    execa('go', ['mod', 'download', '-json', `${pulumiModule}/pkg/v3@v${pulumiVersion}`], { cwd: work, reject: true }),
  );
  const { GoMod: goModPath } = JSON.parse(info.stdout) as { GoMod: string };
  const replaces = wrapperReplaces(await readFile(goModPath, 'utf8'));
  await writeFile(join(work, 'go.mod'), wrapperGoMod(replaces));

  progress('resolving dependencies (go get)');
  await step('go get', log, () => go(['get', `${pulumiModule}/pkg/v3/cmd/pulumi@v${pulumiVersion}`]));
  progress('compiling the pulumi CLI (go build, a few minutes)');
  const ldflags = `-s -w -X ${pulumiModule}/sdk/v3/go/common/version.Version=v${pulumiVersion}`;
  await step('go build', log, () =>
    go(['build', '-trimpath', '-ldflags', ldflags, '-o', toolsPulumiBinary(ctx), `${pulumiModule}/pkg/v3/cmd/pulumi`]),
  );
  await rm(work, { recursive: true, force: true });
}

/** The replace directives of pkg/v3's go.mod that a wrapper module must repeat. */
export function wrapperReplaces(goMod: string): string[] {
  const lines: string[] = [];
  const blocks = goMod.matchAll(/^replace\s*\(\n([\s\S]*?)\n\)/gm);
  for (const block of blocks) lines.push(...(block[1] ?? '').split('\n').map((l) => l.trim()));
  for (const single of goMod.matchAll(/^replace\s+([^(\n].*)$/gm)) lines.push((single[1] ?? '').trim());
  // pkg/v3 points sdk/v3 at its sibling folder; the wrapper requires the published sdk/v3 instead.
  return lines.filter((line) => line && !line.startsWith('//') && !/=>\s*\.\.?\//.test(line));
}

export function wrapperGoMod(replaces: string[]): string {
  return [
    'module devenv.local/pulumi-engine',
    '',
    'go 1.26',
    '',
    'require (',
    `\t${pulumiModule}/pkg/v3 v${pulumiVersion}`,
    `\t${pulumiModule}/sdk/v3 v${pulumiVersion}`,
    ')',
    '',
    ...replaces.map((line) => `replace ${line}`),
    '',
  ].join('\n');
}

async function step<T>(name: string, log: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const detail = (error as { shortMessage?: string }).shortMessage ?? String(error);
    throw new UserError(
      `building the Pulumi engine failed at "${name}": ${detail.split('\n')[0]}`,
      `the full log is ${log}`,
    );
  }
}

/**
 * Plugins the engine finds beside itself. pulumi-resource-pulumi-nodejs serves
 * dynamic providers (the official tarball ships it as a few lines of shell; an
 * engine built from source needs ours); pulumi-language-nodejs runs Pulumi.yaml's
 * program. The engine is shared by every checkout, so the shims name none: they
 * run the checkout in DEVENV_ROOT (set for the engine by stacks/engine.ts and by
 * bin/) on the Node.js first on PATH, the one that runs devenv.
 */
export async function writePluginShims(ctx: Context): Promise<void> {
  await writeShim(ctx, 'pulumi-resource-pulumi-nodejs', 'node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js');
  await writeShim(ctx, 'pulumi-language-nodejs', 'stacks/language-host.ts');
}

async function writeShim(ctx: Context, name: string, script: string): Promise<void> {
  const shim = join(paths.pulumiPlugins(ctx), name);
  const text = [
    '#!/bin/sh',
    "# Written by devenv setup: a Pulumi plugin on devenv's Node.js, from the checkout in DEVENV_ROOT.",
    ': "${DEVENV_ROOT:?is not set: run the Pulumi engine through bin/pulumi or devenv}"',
    `exec node "$DEVENV_ROOT/${script}" "$@"`,
    '',
  ].join('\n');
  const current = existsSync(shim) ? await readFile(shim, 'utf8') : '';
  if (current === text) return;
  await mkdir(paths.pulumiPlugins(ctx), { recursive: true });
  await writeFile(shim, text);
  await chmod(shim, 0o755);
}
