// Feature flags: the text of flags.yaml (`flags: { name: true|false }`) parsed
// into a map. A flag that is not listed is off.
import { parse } from 'yaml';

export type Flags = Readonly<Record<string, boolean>>;

export type FlagsResult = { ok: true; flags: Flags } | { ok: false; error: string };

const flagName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseFlags(text: string): FlagsResult {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    return { ok: false, error: `not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  // An empty file is most often one caught half-written: refuse it rather than
  // switch every flag off. `flags: {}` says "none" on purpose.
  if (document === null || document === undefined) return { ok: false, error: 'the file is empty' };
  if (!isMap(document)) return { ok: false, error: 'expected a map with the key "flags"' };
  const extra = Object.keys(document).filter((key) => key !== 'flags');
  if (extra.length > 0) return { ok: false, error: `unknown key ${extra.map((k) => `"${k}"`).join(', ')} (only "flags")` };
  const listed = document.flags ?? {};
  if (!isMap(listed)) return { ok: false, error: '"flags" must be a map of flag name to true or false' };
  const flags: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(listed)) {
    if (!flagName.test(name)) return { ok: false, error: `flag name "${name}" must be letters, digits, "_", "." or "-"` };
    if (typeof value !== 'boolean') return { ok: false, error: `flag "${name}" must be true or false, not ${JSON.stringify(value)}` };
    flags[name] = value;
  }
  return { ok: true, flags };
}

export function isOn(flags: Flags, name: string): boolean {
  return Object.hasOwn(flags, name) && flags[name] === true;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
