// Host ports. Developers get a range of their own so that several dev stacks run
// side by side; the range is chosen once, checked free, and recorded in the stack.

export const portRange = { first: 20000, slots: 1000, size: 10 } as const;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

/** Range starts to try for a user, their own slot first, then the following ones. */
export function candidateBases(user: string, count = portRange.slots): number[] {
  const start = fnv1a(user) % portRange.slots;
  return Array.from(
    { length: Math.min(count, portRange.slots) },
    (_, i) => portRange.first + ((start + i) % portRange.slots) * portRange.size,
  );
}

/** Host port at an offset in a stack's range that starts at base. */
export function hostPort(base: number, offset: number): number {
  if (offset >= portRange.size)
    throw new Error(`a published port's offset must be below ${portRange.size}, got ${offset}`);
  return base + offset;
}
