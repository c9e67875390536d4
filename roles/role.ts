// What a role of the production stack is: pure, typed data (Chef's idea of a
// role). Tiers override some of it; the Pulumi program turns it into resources.

export interface HealthCheck {
  /** shell command run inside the container; exit 0 means healthy */
  command: string;
  /** Docker's interval for status reporting @default 5 */
  intervalSeconds?: number;
  /** @default 3 */
  timeoutSeconds?: number;
  /** how long a new container may take to become healthy @default 60 */
  readyTimeoutSeconds?: number;
}

export interface Role {
  /** lowercase name, also the host name other roles reach it by */
  name: string;
  /**
   * image build: images/<name>/Dockerfile with its context folder (default: the
   * Dockerfile's folder); `sourcePath` is where the image keeps the context, which
   * tiers with live edit mount over it.
   */
  image: { name: string; context?: string; sourcePath?: string };
  /** in tiers with live edit: the command that serves edits without a rebuild */
  liveEditCommand?: string[];
  command?: string[];
  env: Record<string, string>;
  /** named container ports; a tier decides which are published on the host */
  ports: Record<string, number>;
  /** the ports above that speak UDP (the others speak TCP) */
  udpPorts?: string[];
  /**
   * ports published to 127.0.0.1, each at a fixed offset in the stack's range of
   * host ports, so URLs stay put as roles come and go (the others are reachable
   * inside the stack only)
   */
  publish: Record<string, number>;
  /** named volumes; `data: true` marks the ones holding data a tier may keep or scrub */
  volumes: { name: string; path: string; data: boolean }[];
  healthCheck?: HealthCheck;
  dependsOn: string[];
  replicas: number;
  resources: { memoryMb: number };
  /**
   * what of the host the role shares: the deploy service runs devenv itself, so
   * it sees the host's network, processes, the project, the devenv home, the
   * engines devenv installed (tools) and the Docker engine at the paths the host sees them (none of this for the stack's roles)
   */
  host?: { binds: HostBind[] };
}

export type HostBind = 'project' | 'devenv-home' | 'tools' | 'docker-socket';

const namePattern = /^[a-z][a-z0-9]{0,19}$/;

/** Problems of one role on its own (the stack checks references between roles). */
export function roleProblems(role: Role): string[] {
  const problems: string[] = [];
  if (!namePattern.test(role.name)) problems.push(`role name "${role.name}" must be 1-20 lowercase letters and digits`);
  for (const [name, offset] of Object.entries(role.publish)) {
    if (!(name in role.ports)) problems.push(`role ${role.name} publishes port "${name}" it does not declare`);
    if (!Number.isInteger(offset) || offset < 0)
      problems.push(`role ${role.name} publishes ${name} at offset ${offset}, not a whole number >= 0`);
  }
  for (const name of role.udpPorts ?? [])
    if (!(name in role.ports)) problems.push(`role ${role.name} marks port "${name}" UDP but does not declare it`);
  for (const [name, port] of Object.entries(role.ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      problems.push(`role ${role.name} port ${name}=${port} is not a port number`);
  }
  if (!Number.isInteger(role.replicas) || role.replicas < 1)
    problems.push(`role ${role.name} needs at least 1 replica`);
  if (new Set(role.volumes.map((v) => v.name)).size !== role.volumes.length)
    problems.push(`role ${role.name} names a volume twice`);
  return problems;
}
