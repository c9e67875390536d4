// Resource names, built in one place: <stack>-<role>[-<n>].

const dockerNamePart = /^[a-z0-9][a-z0-9-]*$/;

export function resourceName(stack: string, role: string, replica?: number): string {
  for (const part of [stack, role]) {
    if (!dockerNamePart.test(part))
      throw new Error(`"${part}" is not a valid name part (lowercase letters, digits and -)`);
  }
  if (replica !== undefined && (!Number.isInteger(replica) || replica < 1)) {
    throw new Error(`replica numbers start at 1, got ${replica}`);
  }
  return replica === undefined ? `${stack}-${role}` : `${stack}-${role}-${replica}`;
}

/** The stack's private network, on which roles find each other by role name. */
export function networkName(stack: string): string {
  return resourceName(stack, 'net');
}

/** The image repository of a build context: devenv/<image>. */
export function imageRepository(image: string): string {
  if (!dockerNamePart.test(image)) throw new Error(`"${image}" is not a valid image name`);
  return `devenv/${image}`;
}
