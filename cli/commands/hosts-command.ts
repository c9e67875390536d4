// devenv hosts setup|forget|local|list|check: a fleet's hosts, set up over SSH
// or made on this machine to try. Start-up imports every definition, so this file stays small: the
// hosts/ modules, which load ssh2 and the Docker client, load when a command runs.
import { Option } from 'commander';
import { UserError } from '../../lib/errors.ts';
import type { FleetFiles } from '../../stacks/fleet-files.ts';
import type { HostCheck, Workload } from '../../hosts/check.ts';
import type { LocalFleet, LocalFleetChanges } from '../../hosts/local-fleet.ts';
import type { UsedFleet } from '../../hosts/use.ts';
import type { SetupResult } from '../../hosts/setup.ts';
import type { Host } from '../../stacks/hosts.ts';
import { defineCommand, defineGroup } from '../define-command.ts';
import { wholeNumber } from '../options.ts';
import { textTable } from '../text-table.ts';

const localFleetModule = () => import('../../hosts/local-fleet.ts');
const reporter = async () => (await import('../../lib/report.ts')).consoleReporter();

export type LocalResult =
  | (LocalFleet & { changes: LocalFleetChanges; files: FleetFiles })
  | { removed: string[]; files: FleetFiles };

/** The local fleet and, in `hosts list`, the hosts set up with `devenv hosts setup`. */
export type HostsList = LocalFleet & { setUp?: Host[] };

export function fleetText(fleet: HostsList): string {
  const setUp = fleet.setUp ?? [];
  if (fleet.hosts.length === 0 && setUp.length === 0)
    return fleet.setUp
      ? 'no hosts (make a local fleet with `devenv hosts local 2`, or set one up with `devenv hosts setup ssh://root@address`)'
      : 'no local fleet (make one with `devenv hosts local 2`)';
  const rows = [
    ...fleet.hosts.map((host) => [host.name, host.address, host.docker, host.container, host.state]),
    ...setUp.map((host) => [host.name, host.address, host.docker, '-', 'set up']),
  ];
  return textTable(['HOST', 'ADDRESS', 'DOCKER', 'CONTAINER', 'STATE'], rows);
}

export function setupText(result: SetupResult): string {
  const reached = `Docker ${result.dockerVersion} answers at ${result.docker}`;
  return [
    result.changes.length === 0
      ? `nothing changed: ${result.name} was set up already (${reached}).`
      : `set up ${result.name}: ${result.changes.join('; ')}.\n${reached}.`,
    `its host key: ${result.hostKey.fingerprint} (${result.hostKey.type}); the log: ${result.log}`,
  ].join('\n');
}

/** What devenv runs on a host, a stack at a time: `prod: db, web×2; princess: web 0/1` (running of all, when some are stopped). */
export function workloadText(workloads: readonly Workload[] | undefined): string {
  if (!workloads || workloads.length === 0) return '-';
  const stacks = new Map<string, string[]>();
  for (const { stack, role, running, stopped } of workloads) {
    const count = stopped > 0 ? ` ${running}/${running + stopped}` : running > 1 ? `×${running}` : '';
    stacks.set(stack, [...(stacks.get(stack) ?? []), `${role}${count}`]);
  }
  return [...stacks].map(([stack, roles]) => `${stack}: ${roles.join(', ')}`).join('; ');
}

function localText(result: LocalResult): string {
  if (!('hosts' in result))
    return result.removed.length === 0
      ? 'there was no local fleet to remove'
      : `removed ${result.removed.join(', ')}, their Docker data and the network (the fleet key is kept in ${result.files.dir})`;
  const { created, replaced, started, removed } = result.changes;
  const said = [
    created.length > 0 && `made ${created.join(', ')}`,
    replaced.length > 0 && `remade ${replaced.join(', ')}`,
    started.length > 0 && `started ${started.join(', ')}`,
    removed.length > 0 && `removed ${removed.join(', ')}`,
  ].filter(Boolean);
  const first = result.hosts[0]!;
  return [
    fleetText(result),
    '',
    said.length > 0 ? `${said.join('; ')}.` : 'nothing changed: the local fleet was as asked.',
    `by hand: ssh -i ${result.files.privateKey} -o UserKnownHostsFile=${result.files.knownHosts} ${first.docker.replace('ssh://', '')}`,
  ].join('\n');
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

export function checkText(checks: HostCheck[]): string {
  const rows = checks.map((check) =>
    check.reachable
      ? [
          check.name,
          check.address,
          'yes',
          check.dockerVersion ?? '-',
          check.freeDiskBytes === undefined ? '-' : gib(check.freeDiskBytes),
          check.load?.join(' ') ?? '-',
          String(check.containersRunning ?? '-'),
          workloadText(check.workloads),
          check.problem ?? '',
        ]
      : [check.name, check.address, 'no', '-', '-', '-', '-', '-', check.problem ?? ''],
  );
  return textTable(['HOST', 'ADDRESS', 'REACHABLE', 'DOCKER', 'FREE', 'LOAD', 'RUNNING', 'DEVENV', 'PROBLEM'], rows);
}

export function usedText({ stack, fleet, before }: UsedFleet): string {
  if (!fleet)
    return before
      ? `${stack} will run on this machine's engine again at its next up; what runs on its hosts stays until then, and their data volumes stay after`
      : `${stack} runs on this machine's engine (it had no fleet)`;
  const rows = fleet.hosts.map((host) => [
    host.name,
    host.address,
    host.docker,
    Object.entries(fleet.placement)
      .filter(([, hosts]) => hosts.includes(host.name))
      .map(([role]) => role)
      .join(' '),
  ]);
  return [
    textTable(['HOST', 'ADDRESS', 'DOCKER', 'ROLES'], rows),
    '',
    `recorded in ${stack}'s config; \`devenv ${stack} up\` (or the next deploy) brings it onto these hosts.`,
    // Data does not follow a role to another engine: the volumes it leaves are kept, never deleted.
    `A data role on a new host starts from that host's own volume; the volumes it leaves are kept.`,
  ].join('\n');
}

export const hostsCommand = defineGroup({
  name: 'hosts',
  description:
    "a fleet's hosts, each with its own Docker engine reached over SSH: set one up, a local fleet to try, list, check",
  commands: [
    defineCommand({
      name: 'setup',
      description:
        'make a Debian host reachable over SSH ready for a fleet: pin its host key on first contact, install ' +
        "Debian's docker.io if missing, make the deploy user (docker group, the fleet key) and start Docker; " +
        'log in as root or a user with passwordless sudo; run again, it changes nothing',
      arguments: { '<ssh-endpoint>': 'how to log in to the host to set it up: ssh://root@address[:port]' },
      options: [
        new Option('--name <name>', "the host's name in the fleet (default: from its address)"),
        new Option('--as <user>', 'the user devenv logs in as afterwards, made if missing').default('deploy'),
      ],
      json: 'print what was done as JSON',
      run: async ([endpoint]: [string], opts: { name?: string; as?: string }, ctx) =>
        (await import('../../hosts/setup.ts')).setupHost(ctx.home, { endpoint, ...opts }, await reporter()),
      text: setupText,
    }),
    defineCommand({
      name: 'forget',
      description:
        'drop a host set up with `hosts setup` from the list, and its pinned host key (the host is left as it is)',
      arguments: { '<name>': "the host's name" },
      json: 'print the host forgotten as JSON',
      run: async ([name]: [string], _, ctx) => {
        const forgotten = await (await import('../../hosts/set-up-hosts.ts')).forgetSetUpHost(ctx.home, name);
        if (!forgotten) throw new UserError(`no host named ${name} was set up`, 'see them with `devenv hosts list`');
        return forgotten;
      },
      text: (host: Host) => `forgot ${host.name} (${host.docker}) and its pinned host key`,
    }),
    defineCommand({
      name: 'local',
      description:
        'make or resize a fleet of N hosts on this machine (containers with their own Docker engine and sshd, at fixed ' +
        'addresses) and print them; the same N again changes nothing; --down removes it',
      arguments: { '[count]': 'how many hosts, 1 to 20' },
      options: [new Option('--down', 'remove the local fleet: its hosts, their Docker data and its network')],
      json: 'print the fleet (or what --down removed) as JSON',
      run: async ([count]: [string?], opts: { down?: boolean }, ctx): Promise<LocalResult> => {
        if (opts.down && count !== undefined) throw new UserError('give a number of hosts or --down, not both');
        if (!opts.down && count === undefined)
          throw new UserError('say how many hosts', 'for example `devenv hosts local 2`, or `--down` to remove them');
        const [{ makeLocalFleet, removeLocalFleet }, { fleetFiles }, { maxLocalHosts }] = await Promise.all([
          localFleetModule(),
          import('../../stacks/fleet-files.ts'),
          import('../../hosts/local-fleet-plan.ts'),
        ]);
        const { home } = ctx;
        const files = fleetFiles(home);
        if (opts.down) return { ...(await removeLocalFleet(home, await reporter())), files };
        const hosts = wholeNumber('the number of hosts', 1, maxLocalHosts)(count!);
        return { ...(await makeLocalFleet(home, hosts, await reporter())), files };
      },
      text: localText,
    }),
    defineCommand({
      name: 'use',
      description:
        'run prod or princess on a fleet: FILE (YAML: hosts with name, docker endpoint and address; placement: role to ' +
        'host names), --local for the local fleet (data roles and the proxy on one host, web on every host), or --none ' +
        "for this machine's engine; checked and recorded in the stack's config, applied by its next up",
      arguments: { '<stack>': 'prod or princess', '[file]': 'the fleet, in YAML' },
      options: [
        new Option('--local', 'the local fleet (`devenv hosts local N`), placed by default'),
        new Option('--none', "back to this machine's engine"),
      ],
      json: 'print the recorded fleet as JSON',
      run: async ([stack, file]: [string, string?], opts: { local?: boolean; none?: boolean }, ctx) => {
        const chosen = [file !== undefined, opts.local === true, opts.none === true].filter(Boolean).length;
        if (chosen !== 1) throw new UserError('give one of: a fleet FILE, --local or --none');
        const { useFleet } = await import('../../hosts/use.ts');
        return useFleet(
          ctx,
          stack,
          opts.local ? { kind: 'local' } : opts.none ? { kind: 'none' } : { kind: 'file', path: file! },
        );
      },
      text: usedText,
    }),
    defineCommand({
      name: 'list',
      description:
        "the local fleet's hosts as this machine's Docker engine holds them, and the hosts set up with `hosts setup` (no host is asked anything)",
      json: 'print the fleet as JSON (the set-up hosts in setUp)',
      run: async (_, __, ctx): Promise<HostsList> => {
        const [fleet, setUp] = await Promise.all([
          (await localFleetModule()).listLocalFleet(),
          import('../../hosts/set-up-hosts.ts').then(({ readSetUpHosts }) => readSetUpHosts(ctx.home)),
        ]);
        return { ...fleet, setUp };
      },
      text: fleetText,
    }),
    defineCommand({
      name: 'check',
      description:
        'ask each host over SSH (the local fleet and the hosts set up): reachable (or why not), Docker version, free ' +
        "disk for Docker, load, containers running and devenv's by stack and role; exit 1 if one is unreachable",
      arguments: { '[names...]': 'only these hosts' },
      json: 'print one object per host as JSON',
      run: async ([names]: [string[]], _, ctx) => {
        const [{ listLocalFleet }, { readSetUpHosts }, { checkHosts }] = await Promise.all([
          localFleetModule(),
          import('../../hosts/set-up-hosts.ts'),
          import('../../hosts/check.ts'),
        ]);
        const hosts = [...(await listLocalFleet()).hosts, ...(await readSetUpHosts(ctx.home))];
        if (hosts.length === 0)
          throw new UserError(
            'there are no hosts to check',
            'make a local fleet with `devenv hosts local 2`, or set a host up with `devenv hosts setup ssh://root@address`',
          );
        const unknown = names.filter((name) => !hosts.some((host) => host.name === name));
        if (unknown.length > 0)
          throw new UserError(
            `no host is named ${unknown.join(', ')}`,
            `the hosts are ${hosts.map((host) => host.name).join(', ')}`,
          );
        const asked = names.length === 0 ? hosts : hosts.filter((host) => names.includes(host.name));
        return checkHosts(ctx.home, { hosts: asked, placement: {} });
      },
      text: checkText,
      ok: (checks) => checks.every((check) => check.reachable),
    }),
  ],
});
