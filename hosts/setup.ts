// `devenv hosts setup`: a bare Debian host made ready for a fleet, as Kamal's
// `kamal setup` bootstraps its servers. Over SSH with the fleet key, as root or
// a user with passwordless sudo: the host key pinned on first contact, the
// host's facts read, and only the steps setup-plan.ts finds missing run (Debian's
// docker.io installed, the deploy user made with the fleet key authorized, the
// engine started); then the engine must answer over SSH as the deploy user, the
// way devenv reaches it from then on, and the host is recorded.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { silentReporter, type Phase, type Reporter } from '../lib/report.ts';
import { waitFor } from '../lib/wait.ts';
import { ensureFleetKey, fleetFiles, pinHostKeys, pinnedHostKey } from '../stacks/fleet-files.ts';
import { hostDocker, hostExec, type CommandResult, type ExecOptions } from '../stacks/host-engine.ts';
import type { Host } from '../stacks/hosts.ts';
import { fingerprint, knownHostsName, parsePublicKey, type PublicKey } from '../stacks/known-hosts.ts';
import { sshFailure, unreachableReason } from '../stacks/host-engine.ts';
import { readSetUpHosts, recordSetUpHost } from './set-up-hosts.ts';
import {
  asRoot,
  failureLine,
  hostProbe,
  loginProbe,
  parseHostFacts,
  parseLoginProbe,
  setupPlan,
  setupTarget,
  type HostFacts,
  type SetupTarget,
} from './setup-plan.ts';

export interface SetupOptions {
  /** ssh://user@address[:port]: root, or a user with passwordless sudo */
  endpoint: string;
  /** the host's name in the fleet @default from its address */
  name?: string;
  /** the user devenv logs in as afterwards @default deploy */
  as?: string;
}

export interface SetupResult {
  name: string;
  /** how devenv reaches the host's engine from now on: ssh://deploy@address */
  docker: string;
  address: string;
  hostKey: { type: string; fingerprint: string; pinnedNow: boolean };
  /** what this run changed, in words; empty when the host was set up already */
  changes: string[];
  dockerVersion: string;
  /** every command's output, on this machine */
  log: string;
}

/** How long a started engine has to answer over SSH as the deploy user. */
const answerTimeoutMs = 60_000;

export async function setupHost(
  home: string,
  options: SetupOptions,
  reporter: Reporter = silentReporter,
): Promise<SetupResult> {
  const target = setupTarget(options.endpoint, options, await readSetUpHosts(home));
  const keyLine = await ensureFleetKey(home);
  const fleetKey = parsePublicKey(keyLine)!;
  const logDir = join(home, 'logs');
  const log = join(logDir, `hosts-setup-${target.name}.log`);
  await mkdir(logDir, { recursive: true });
  await appendFile(
    log,
    `\n=== devenv hosts setup ${options.endpoint} as ${target.deployUser}, ${new Date().toISOString()}\n`,
  );
  const where = `${target.name} (${target.address})`;

  const { login, hostKey } = await reporter.phase(`Logging in to ${target.admin.docker}`, (phase) =>
    logIn(home, target, phase),
  );
  const runAsRoot = (script: string, execOptions: ExecOptions = {}) =>
    hostExec(home, target.admin, asRoot(script, login.root), execOptions);

  const facts = await reporter.phase(`Looking at what ${target.name} has`, async (phase) => {
    const probe = await runAsRoot(hostProbe(target.deployUser, fleetKey));
    const facts = parseHostFacts(probe.stdout);
    if (!facts)
      throw new UserError(
        `${where}: reading what the host has failed: ${failureLine(`${probe.stdout}\n${probe.stderr}`)}`,
        'fix the cause and run this again',
      );
    phase.retitle(`${target.name} runs ${facts.os}; ${engineState(facts)}`);
    return facts;
  });

  const plan = setupPlan(facts, target.deployUser, keyLine);
  if (plan.refusal) throw new UserError(`${where}: ${plan.refusal.message}`, plan.refusal.fix);
  if (plan.steps.length === 0) reporter.skip('Changing the host', 'it has everything already');
  for (const step of plan.steps)
    await reporter.phase(step.title, async (phase) => {
      await appendFile(log, `\n--- ${step.title}\n`);
      const output = outputTo(log, phase);
      const result = await runAsRoot(step.script, { onOutput: output.write });
      await output.written();
      if (result.code !== 0)
        throw new UserError(
          `${where}: ${lowerFirst(step.title)} failed: ${failureLine(`${result.stdout}\n${result.stderr}`)}`,
          `the whole output is in ${log}; fix the cause and run this again (it goes on from where it stopped)`,
        );
    });

  const dockerVersion = await reporter.phase(
    `Waiting for Docker to answer over SSH as ${target.deployUser}`,
    async (phase) => {
      const version = await engineAnswers(home, target.deploy, target.deployUser, where);
      phase.retitle(`Docker ${version} answers over SSH as ${target.deployUser}`);
      return version;
    },
  );
  const recorded = await recordSetUpHost(home, target.deploy);
  const changes = [
    ...(hostKey.pinnedNow ? [`pinned its host key ${hostKey.fingerprint}`] : []),
    ...plan.steps.map((step) => step.done),
    ...(recorded ? [`recorded it as ${target.name} in ${fleetFiles(home).dir}/hosts.json`] : []),
  ];
  return {
    name: target.name,
    docker: target.deploy.docker,
    address: target.address,
    hostKey,
    changes,
    dockerVersion,
    log,
  };
}

/**
 * The first login, as the admin user: the host key checked against its pin,
 * or pinned (and shown) when this is the first contact, once the login has
 * succeeded. Then whether the user is root or may sudo without a password.
 */
async function logIn(
  home: string,
  target: SetupTarget,
  phase: Phase,
): Promise<{ login: { root: boolean; sudo: boolean }; hostKey: SetupResult['hostKey'] }> {
  const pinName = knownHostsName(target.address, target.port);
  const pinned = await pinnedHostKey(home, pinName);
  let presented: PublicKey | undefined;
  let probe: CommandResult;
  try {
    probe = await hostExec(home, target.admin, loginProbe, { onUnpinnedKey: (key) => (presented = key) });
  } catch (error) {
    throw loginFailure(home, target, error);
  }
  const key = presented ?? pinned!;
  const hostKey = { type: key.type, fingerprint: fingerprint(key), pinnedNow: presented !== undefined };
  if (presented) {
    await pinHostKeys(home, new Map([[pinName, presented]]));
    phase.retitle(
      `Logged in to ${target.admin.docker}; first contact: pinned its host key ${hostKey.fingerprint} (${key.type})`,
    );
  } else phase.retitle(`Logged in to ${target.admin.docker}; its host key is the pinned one`);
  const login = parseLoginProbe(probe.stdout);
  const user = userOf(target.admin);
  if (!login)
    throw new UserError(
      `${target.name} (${target.address}): asking who ${user} is failed: ${failureLine(`${probe.stdout}\n${probe.stderr}`)}`,
      'log in by hand and see what the shell says',
    );
  if (!login.root && !login.sudo)
    throw new UserError(
      `${target.name} (${target.address}): ${user} is not root and cannot sudo without a password`,
      `log in as root (ssh://root@${target.address}), or let ${user} sudo without one: as root there, \`echo '${user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/${user}\``,
    );
  return { login, hostKey };
}

/** Why the first login failed, in one line, with what to do: how to authorize the fleet key when it was refused. */
function loginFailure(home: string, target: SetupTarget, error: unknown): UserError {
  if (error instanceof UserError) return error;
  const user = userOf(target.admin);
  const said = `${target.name}: ${unreachableReason(error, target.admin)}`;
  switch (sshFailure(error)) {
    case 'auth': {
      const publicKey = fleetFiles(home).publicKey;
      const port = target.port === 22 ? '' : `-p ${target.port} `;
      return new UserError(
        `${said} (its public key is ${publicKey})`,
        `authorize it for ${user} there, for example with \`ssh-copy-id -i ${publicKey} ${port}${user}@${target.address}\`, then run this again`,
        { cause: error },
      );
    }
    case 'refused':
      return new UserError(said, 'check the address and port, and that sshd runs there', { cause: error });
    case 'no-answer':
      return new UserError(said, 'check the address, and that the host is up and this machine may reach it', {
        cause: error,
      });
    default:
      return new UserError(said, 'fix the cause and run this again', { cause: error });
  }
}

/**
 * The engine's version once it answers over SSH as the deploy user. A refused
 * host key or login ends the wait at once: asking again does not change them.
 */
async function engineAnswers(home: string, host: Host, user: string, where: string): Promise<string> {
  let last: unknown;
  return waitFor(
    async () => {
      try {
        return (await (await hostDocker(home, host)).version()).Version;
      } catch (error) {
        if (error instanceof UserError) throw error;
        if (sshFailure(error) === 'auth')
          throw new UserError(
            `${where}: ${unreachableReason(error, host)}, although setup authorized it in ~${user}/.ssh/authorized_keys`,
            "see what sshd's settings there allow (AllowUsers, AllowGroups, AuthorizedKeysFile) and its log",
            { cause: error },
          );
        last = error;
        return undefined;
      }
    },
    {
      intervalMs: 500,
      timeoutMs: answerTimeoutMs,
      timedOut: () =>
        new UserError(
          `${where}: Docker did not answer over SSH as ${user} within ${answerTimeoutMs / 1000} s: ${unreachableReason(last, host)}`,
          "see the engine's log there (`journalctl -u docker`, or /var/log/dockerd.log without systemd), then run this again",
        ),
    },
  );
}

/** A command's output appended to the log as it comes (in order), its last line shown by the phase. */
function outputTo(log: string, phase: Phase): { write: (text: string) => void; written: () => Promise<void> } {
  let writes = Promise.resolve();
  return {
    write(text) {
      writes = writes.then(() => appendFile(log, text));
      const last = text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .pop();
      if (last) phase.output(last);
    },
    written: () => writes,
  };
}

function engineState(facts: HostFacts): string {
  if (facts.engine) return `Docker ${facts.engine} runs`;
  return facts.dockerd ? 'Docker is installed, not running' : 'no Docker';
}

const userOf = (host: Host) => new URL(host.docker).username;
const lowerFirst = (text: string) => `${text.charAt(0).toLowerCase()}${text.slice(1)}`;
