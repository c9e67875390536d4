// What `devenv hosts setup` does to a host, as data: the target read from the
// user's input, the shell commands that ask the host what it has, their answers
// read back into facts, and from the facts the steps still to do, each a shell
// command run as root. Pure: setup.ts runs the commands over SSH; a host that
// has everything gets an empty plan, which is how a second run changes nothing.
import { UserError } from '../lib/errors.ts';
import { parseDockerEndpoint, type Host } from '../stacks/hosts.ts';
import type { PublicKey } from '../stacks/known-hosts.ts';

/** The user devenv logs in as once a host is set up: in the `docker` group, logging in with the fleet key. */
export const defaultDeployUser = 'deploy';

/** Where a host without systemd has dockerd write its log. */
export const dockerdLogPath = '/var/log/dockerd.log';

const hostNamePattern = /^[a-z][a-z0-9-]{0,30}$/;
const userNamePattern = /^[a-z_][a-z0-9_-]{0,31}$/;
/** The local fleet's names (hosts/local-fleet-plan.ts): a host set up by hand never takes one. */
const localHostNamePattern = /^host-\d+$/;

export interface SetupTarget {
  /** the host's name in the fleet */
  name: string;
  address: string;
  port: number;
  /** how setup logs in: root, or a user with passwordless sudo */
  admin: Host;
  /** how devenv reaches the host once it is set up: Docker over SSH as the deploy user */
  deploy: Host;
  deployUser: string;
}

/** A host's name from its address: app-1.example.com is app-1, 10.215.0.2 is host-10-215-0-2. */
export function defaultHostName(address: string): string {
  const isAddress = /^[\d.]+$/.test(address) || address.includes(':');
  const base = isAddress
    ? `host-${address.replace(/[^0-9a-f]+/gi, '-')}`
    : (address.split('.')[0] ?? address).replace(/[^a-z0-9-]+/gi, '-');
  const name = base.toLowerCase().replace(/-+$/, '').slice(0, 31).replace(/-+$/, '');
  return /^[a-z]/.test(name) ? name : `host-${name}`.slice(0, 31).replace(/-+$/, '');
}

/**
 * The host to set up, from the endpoint and options the user gave and the hosts
 * set up before (an address set up before keeps its name when none is given).
 * Bad input is refused in one line before anything is asked of the host.
 */
export function setupTarget(
  endpoint: string,
  options: { name?: string; as?: string },
  setUpBefore: readonly Host[],
): SetupTarget {
  const parsed = parseDockerEndpoint(endpoint);
  if (typeof parsed === 'string' || parsed.kind !== 'ssh')
    throw new UserError(
      typeof parsed === 'string' && endpoint.startsWith('ssh://') ? parsed : `"${endpoint}" is not an SSH endpoint`,
      'give the host as ssh://user@address[:port], the user being root or one with passwordless sudo',
    );
  const { host: address, port } = parsed;
  const deployUser = options.as ?? defaultDeployUser;
  if (!userNamePattern.test(deployUser))
    throw new UserError(
      `--as ${deployUser} is not a user name`,
      'use lowercase letters, digits, _ and -, as useradd takes',
    );
  if (deployUser === 'root')
    throw new UserError(
      'devenv does not log in to a fleet as root',
      `leave --as out for a user of its own, ${defaultDeployUser}, which Docker's group lets in`,
    );
  const deployDocker = `ssh://${deployUser}@${hostForUrl(address)}${port === 22 ? '' : `:${port}`}`;
  const before = setUpBefore.find((host) => sameEngine(host.docker, address, port));
  const name = options.name ?? before?.name ?? defaultHostName(address);
  if (!hostNamePattern.test(name))
    throw new UserError(
      `host name "${name}" must be lowercase letters, digits and -, starting with a letter`,
      'give another with --name',
    );
  if (localHostNamePattern.test(name))
    throw new UserError(`the name ${name} belongs to the local fleet's hosts`, 'give another with --name');
  const sameName = setUpBefore.find((host) => host.name === name);
  if (sameName && !sameEngine(sameName.docker, address, port))
    throw new UserError(
      `a host named ${name} is set up already, at ${sameName.docker}`,
      `give this one another --name, or drop that one first with \`devenv hosts forget ${name}\``,
    );
  if (before && before.name !== name)
    throw new UserError(
      `${address} is set up already, as ${before.name}`,
      `run it again without --name (or with --name ${before.name}), or drop it first with \`devenv hosts forget ${before.name}\``,
    );
  return {
    name,
    address,
    port,
    admin: { name, docker: endpoint, address },
    deploy: { name, docker: deployDocker, address },
    deployUser,
  };
}

const hostForUrl = (address: string) => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);

function sameEngine(docker: string, address: string, port: number): boolean {
  const parsed = parseDockerEndpoint(docker);
  return typeof parsed === 'object' && parsed.kind === 'ssh' && parsed.host === address && parsed.port === port;
}

/** The text as one word of POSIX shell, quoted so nothing in it is read by the shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A script run as root: as it is when the login is root's, else through sudo, which must not ask for a password. */
export function asRoot(script: string, root: boolean): string {
  return `${root ? '' : 'sudo -n '}sh -c ${shellQuote(script)}`;
}

/** What the login user may do: its uid, then whether sudo lets it in without a password. */
export const loginProbe = 'id -u; if sudo -n true >/dev/null 2>&1; then echo sudo; else echo no-sudo; fi';

export function parseLoginProbe(stdout: string): { root: boolean; sudo: boolean } | undefined {
  const [uid, sudo] = stdout.trim().split('\n');
  if (!uid || !/^\d+$/.test(uid.trim()) || (sudo !== 'sudo' && sudo !== 'no-sudo')) return undefined;
  return { root: uid.trim() === '0', sudo: sudo === 'sudo' };
}

/** What the host has, as setup needs it; read by hostProbe, run as root. */
export interface HostFacts {
  /** the distribution, as /etc/os-release names it */
  os: string;
  apt: boolean;
  /** Docker's engine is installed (dockerd on PATH), from Debian's docker.io or otherwise */
  dockerd: boolean;
  /** the engine's version when it answers root, else undefined */
  engine?: string;
  /** systemd runs the machine (not so in a container) */
  systemd: boolean;
  /** `systemctl is-enabled docker`: enabled, disabled, ... ('' without systemd or Docker) */
  enabledAtBoot: string;
  /** the kernel enforces AppArmor, so Docker needs apparmor_parser to load its profile */
  apparmor: boolean;
  apparmorParser: boolean;
  user: { exists: boolean; inDockerGroup: boolean; keyAuthorized: boolean };
}

/** A script, run as root, that prints the host's facts one `key=value` a line. */
export function hostProbe(deployUser: string, fleetKey: PublicKey): string {
  const user = shellQuote(deployUser);
  return [
    'ok() { if "$@" >/dev/null 2>&1; then echo yes; else echo no; fi; }',
    `u=${user}`,
    'echo "os=$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"',
    'echo "apt=$(ok command -v apt-get)"',
    'echo "dockerd=$(ok command -v dockerd)"',
    'echo "systemd=$(ok test -d /run/systemd/system)"',
    `echo "engine=$(timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null)"`,
    'echo "enabled=$(systemctl is-enabled docker 2>/dev/null)"',
    'echo "apparmor=$(ok grep -qx Y /sys/module/apparmor/parameters/enabled)"',
    'echo "apparmor_parser=$(ok command -v apparmor_parser)"',
    'echo "user=$(ok id -u "$u")"',
    `echo "in_group=$(id -nG "$u" 2>/dev/null | tr ' ' '\\n' | grep -qx docker && echo yes || echo no)"`,
    'h=$(getent passwd "$u" | cut -d: -f6)',
    `echo "key=$(ok grep -qF ${shellQuote(fleetKey.base64)} "$h/.ssh/authorized_keys")"`,
  ].join('\n');
}

/** The facts from hostProbe's output, or undefined when it is not that. */
export function parseHostFacts(stdout: string): HostFacts | undefined {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const yes = (key: string) => values.get(key) === 'yes';
  const keys = ['os', 'apt', 'dockerd', 'systemd', 'engine', 'apparmor', 'user', 'in_group', 'key'];
  if (keys.some((key) => !values.has(key))) return undefined;
  const engine = values.get('engine') ?? '';
  return {
    os: values.get('os') ?? 'unknown',
    apt: yes('apt'),
    dockerd: yes('dockerd'),
    ...(/^\d+\.\d+/.test(engine) && { engine }),
    systemd: yes('systemd'),
    enabledAtBoot: values.get('enabled') ?? '',
    apparmor: yes('apparmor'),
    apparmorParser: yes('apparmor_parser'),
    user: { exists: yes('user'), inDockerGroup: yes('in_group'), keyAuthorized: yes('key') },
  };
}

export type StepKind = 'install-docker' | 'make-user' | 'join-docker-group' | 'authorize-key' | 'start-docker';

export interface SetupStep {
  kind: StepKind;
  /** what the step does, as its phase is titled */
  title: string;
  /** what it did, as the result says */
  done: string;
  /** a script run as root */
  script: string;
}

export interface SetupPlan {
  steps: SetupStep[];
  /** why the host cannot be set up, one line, when it cannot */
  refusal?: { message: string; fix: string };
}

/** Long enough for the unattended upgrade a fresh machine runs at its first boot to let go of dpkg's lock. */
const aptLockTimeoutSeconds = 300;

/**
 * The steps that take the host from what it has to what devenv needs: Docker's
 * engine installed and running (started at boot where systemd runs), and the
 * deploy user in the `docker` group with the fleet key authorized. Each step
 * is there only when its fact says it is missing.
 */
export function setupPlan(facts: HostFacts, deployUser: string, fleetKeyLine: string): SetupPlan {
  const steps: SetupStep[] = [];
  const user = shellQuote(deployUser);
  if (!facts.dockerd) {
    if (!facts.apt)
      return {
        steps: [],
        refusal: {
          message: `it has no Docker engine, and no apt-get to install Debian's docker.io (it runs ${facts.os})`,
          fix: 'install Docker there by hand, then run this again',
        },
      };
    // Debian's docker.io only recommends apparmor, but where the kernel enforces
    // AppArmor the engine cannot start a container without apparmor_parser.
    const packages = ['docker.io', 'ca-certificates', ...(facts.apparmor && !facts.apparmorParser ? ['apparmor'] : [])];
    const apt = `apt-get -q -y -o DPkg::Lock::Timeout=${aptLockTimeoutSeconds}`;
    steps.push({
      kind: 'install-docker',
      title: `Installing ${packages.join(', ')} with apt-get`,
      done: `installed ${packages.join(', ')}`,
      script: [
        'export DEBIAN_FRONTEND=noninteractive',
        `${apt} update`,
        `${apt} install --no-install-recommends ${packages.join(' ')}`,
      ].join(' && '),
    });
  }
  if (!facts.user.exists)
    steps.push({
      kind: 'make-user',
      title: `Making the user ${deployUser}, in the docker group`,
      done: `made the user ${deployUser} in the docker group`,
      // Not locked ('!'), which sshd without PAM holds against key logins too; '*' matches no password.
      script: `useradd --create-home --shell /bin/bash --groups docker ${user} && usermod --password '*' ${user}`,
    });
  else if (!facts.user.inDockerGroup)
    steps.push({
      kind: 'join-docker-group',
      title: `Adding ${deployUser} to the docker group`,
      done: `added ${deployUser} to the docker group`,
      script: `usermod --append --groups docker ${user}`,
    });
  if (!facts.user.keyAuthorized)
    steps.push({
      kind: 'authorize-key',
      title: `Authorizing the fleet key for ${deployUser}`,
      done: `authorized the fleet key for ${deployUser}`,
      script: [
        `h=$(getent passwd ${user} | cut -d: -f6)`,
        `install -d -m 0700 -o ${user} -g "$(id -gn ${user})" "$h/.ssh"`,
        'f="$h/.ssh/authorized_keys"',
        // A last line without its newline would run into the key appended after it.
        'if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f"; fi',
        `printf '%s\\n' ${shellQuote(fleetKeyLine.trim())} >> "$f"`,
        `chown ${user}: "$f" && chmod 0600 "$f"`,
      ].join('\n'),
    });
  if (facts.systemd) {
    if (!facts.engine || facts.enabledAtBoot !== 'enabled')
      steps.push({
        kind: 'start-docker',
        title: facts.engine ? 'Enabling Docker at boot (systemd)' : 'Starting Docker with systemd, enabled at boot',
        done: facts.engine ? 'enabled Docker at boot' : 'started Docker (systemd, enabled at boot)',
        script: 'systemctl enable --now docker.service',
      });
  } else if (!facts.engine)
    steps.push({
      kind: 'start-docker',
      title: `Starting dockerd (no systemd here; its log is ${dockerdLogPath})`,
      done: `started dockerd (no systemd there, so it will not start at boot; its log is ${dockerdLogPath})`,
      script: startDockerdScript,
    });
  return { steps };
}

/**
 * dockerd started by hand, for a host that systemd does not run (a container):
 * in a session of its own, so it outlives the SSH session, logging to one file.
 * A pid file left by a dockerd killed earlier is dropped, or dockerd refuses to
 * start over it; then the script waits until the engine answers.
 */
const startDockerdScript = [
  'if docker info >/dev/null 2>&1; then echo "Docker answers already"; exit 0; fi',
  'p=$(cat /var/run/docker.pid 2>/dev/null)',
  'if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" != dockerd ]; then rm -f /var/run/docker.pid; fi',
  `setsid nohup dockerd >>${dockerdLogPath} 2>&1 </dev/null &`,
  'i=0',
  'until docker info >/dev/null 2>&1; do',
  '  i=$((i + 1))',
  `  if [ "$i" -ge 60 ]; then echo "dockerd did not answer within 30 s:" >&2; tail -n 3 ${dockerdLogPath} >&2; exit 1; fi`,
  '  sleep 0.5',
  'done',
  `echo "dockerd answers; its log is ${dockerdLogPath}"`,
].join('\n');

/** The line that says why a step failed: apt's own `E:` line, else the last line it wrote. */
export function failureLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const aptError = lines.filter((line) => line.startsWith('E: ')).pop();
  return aptError ?? lines.pop() ?? 'it said nothing';
}
