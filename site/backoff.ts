// Exponential backoff: base, 2x base, 4x base, ... never more than max (in
// whatever unit base and max are given).

export function backoff(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt));
}
