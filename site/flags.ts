// Config flags: the flags file (flags.yaml) checked line by line, and the pure
// evaluation of a flag for one request. The site, `devenv flags` and the config
// deploy all read the file through lintFlags/parseFlags here, so they agree on
// what a valid file is.
//
// The file:
//   flags:
//     sale_banner: true              # shorthand: on (or off) for everyone
//     new_banner:
//       description: the new banner, A/B tested on a tenth of visitors
//       enabled: true                # false: off for everyone (a kill switch)   @default true
//       percent: 10                  # share of ids that get the flag, 0..100    @default 100
//       variants: { blue: 50, green: 50 }  # weights adding up to 100          @default { on: 100 }
//       bucket: visitor              # what is hashed: visitor (cookie) or user  @default visitor
//       users: [ada, bob]            # always get the flag (a variant by weight)
//       groups: [staff]              # members of these groups always get it too
//       admin: blue                  # what staff see: a variant, "on" or "off"  @default as anyone
// A flag that is not listed is off.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';

export interface Variant {
  readonly name: string;
  readonly weight: number;
}

/** One flag as the file says it (defaults filled in). */
export interface Flag {
  readonly name: string;
  readonly description?: string;
  readonly enabled: boolean;
  /** 0..100, in steps of 0.01 */
  readonly percent: number;
  /** weights add up to 100; a flag without variants has the one variant "on" */
  readonly variants: readonly Variant[];
  readonly bucket: 'user' | 'visitor';
  readonly users: readonly string[];
  readonly groups: readonly string[];
  /** what staff get, when set: a variant or "off" */
  readonly admin?: string;
}

/** One answer a flag can give: a variant or "off", with its exposure counter. */
export interface Outcome {
  readonly variant: string;
  /** `flags.<flag>.<variant>` counted once; made once per flags load and shared by every request, so frozen */
  readonly exposure: Exposure;
  /** its place in exposuresOf(flags), where exposures are counted by place; -1 for a flag not in the file */
  readonly slot: number;
}

export interface Exposure {
  readonly name: string;
  readonly value: 1;
  readonly type: 'c';
}

export function outcomeOf(flagName: string, variant: string, slot = -1): Outcome {
  return { variant, exposure: Object.freeze({ name: `flags.${flagName}.${variant}`, value: 1, type: 'c' }), slot };
}

/** The exposure counter of every outcome of the file, each at its outcome's slot. */
export function exposuresOf(flags: Flags): Exposure[] {
  const exposures: Exposure[] = [];
  for (const compiled of flags.values())
    for (const outcome of [compiled.offOutcome, ...compiled.outcomes]) exposures[outcome.slot] = outcome.exposure;
  return exposures;
}

/**
 * A flag with what evaluation needs precomputed. The common paths of decide()
 * read only this object, of one shape for every flag, and the outcome they
 * answer: the Flag objects differ in shape (their optional keys), which made
 * evaluation polymorphic, and every further object read (a list, an array of
 * outcomes) is memory a request seldom finds in the CPU's cache. The fields
 * come in the order decide() reads them.
 */
export interface Compiled {
  /** its place in the file, 0..: a slot for memoising it per request */
  readonly index: number;
  readonly enabled: boolean;
  /** what staff get, when the flag says */
  readonly adminOutcome: Outcome | undefined;
  /** bucket: user (else visitor) */
  readonly byUser: boolean;
  /** the flag lists users or groups, who always get it */
  readonly listsAnyone: boolean;
  /** on for every id in one variant: nothing to hash */
  readonly everyone: boolean;
  /** ids whose bucket (0..9999) is below this get the flag */
  readonly rolloutBelow: number;
  /** FNV-1a state after hashing `<name>:` */
  readonly seed: number;
  readonly offOutcome: Outcome;
  readonly oneVariant: boolean;
  /** outcomes[0]: what everyone gets of a flag with one variant */
  readonly firstOutcome: Outcome;
  /** cumulative upper bounds of the variants' buckets, in the order of `flag.variants` */
  readonly variantBelow: readonly number[];
  /** one per variant, in the order of `flag.variants` */
  readonly outcomes: readonly Outcome[];
  readonly users: ReadonlySet<string>;
  readonly flag: Flag;
}

export type Flags = ReadonlyMap<string, Compiled>;

/** Who asks, as the site knows it. */
export interface FlagContext {
  /** random, stable per visitor (a cookie) */
  readonly visitorId: string;
  readonly userId?: string | undefined;
  readonly groups: readonly string[];
  readonly isAdmin: boolean;
  /** the tier the site runs in: dev, princess or prod */
  readonly tier: string;
  /** from `?features=name:variant,...`; honoured only in the tiers of urlOverrideTiers */
  readonly urlOverrides: ReadonlyMap<string, string>;
}

export interface Problem {
  /** 1-based */
  readonly line: number;
  readonly message: string;
}

export type FlagsResult = { ok: true; flags: Flags } | { ok: false; problems: readonly Problem[]; error: string };

/** The answer for a flag that is off, missing, or not rolled out to this id. */
export const off = 'off';
/** The one variant of a flag that lists none. */
export const on = 'on';
/** Tiers where `?features=` may force a flag: never production. */
export const urlOverrideTiers: ReadonlySet<string> = new Set(['dev', 'princess']);

const flagName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const variantName = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const flagKeys = ['description', 'enabled', 'percent', 'variants', 'bucket', 'users', 'groups', 'admin'] as const;
const buckets = 10_000;

export const noFlags: Flags = new Map();

// ---- evaluation -------------------------------------------------------------

/** The variant of `name` for this context, or "off". Pure; a missing flag is off. */
export function evaluate(flags: Flags, name: string, context: FlagContext): string {
  const compiled = flags.get(name);
  return compiled === undefined ? off : decide(compiled, context).variant;
}

/** evaluate() for a flag of the file, answering with the outcome (and so its exposure counter). */
export function decide(compiled: Compiled, context: FlagContext): Outcome {
  if (context.urlOverrides.size > 0 && urlOverrideTiers.has(context.tier)) {
    const forced = context.urlOverrides.get(compiled.flag.name);
    if (forced !== undefined) {
      const outcome = overrideOutcome(compiled, forced);
      if (outcome !== undefined) return outcome;
    }
  }
  if (!compiled.enabled) return compiled.offOutcome;
  if (context.isAdmin && compiled.adminOutcome !== undefined) return compiled.adminOutcome;
  const id = compiled.byUser ? context.userId : context.visitorId;
  if (compiled.listsAnyone && isListed(compiled, context))
    return variantOf(compiled, hashId(compiled.seed, id ?? context.visitorId));
  if (id === undefined) return compiled.offOutcome;
  if (compiled.everyone) return compiled.firstOutcome;
  if (compiled.rolloutBelow === 0) return compiled.offOutcome;
  const hash = hashId(compiled.seed, id);
  if (hash % buckets >= compiled.rolloutBelow) return compiled.offOutcome;
  return variantOf(compiled, hash);
}

/** The context's user is in the flag's users, or one of its groups in the flag's groups. */
function isListed(compiled: Compiled, context: FlagContext): boolean {
  return (
    (context.userId !== undefined && compiled.users.has(context.userId)) ||
    (context.groups.length > 0 && inGroups(compiled.flag.groups, context.groups))
  );
}

/** What `?features=name[:variant]` may force: "off", a variant of the flag, or "on" for its first. */
function overrideOutcome(compiled: Compiled, asked: string): Outcome | undefined {
  if (asked === off) return compiled.offOutcome;
  if (asked === on || asked === '') return compiled.outcomes[0];
  return compiled.outcomes.find((outcome) => outcome.variant === asked);
}

function inGroups(flagGroups: readonly string[], groups: readonly string[]): boolean {
  for (const group of groups) if (flagGroups.includes(group)) return true;
  return false;
}

/** The outcome of the variant `hash` falls in. */
function variantOf(compiled: Compiled, hash: number): Outcome {
  if (compiled.oneVariant) return compiled.firstOutcome;
  const bounds = compiled.variantBelow;
  // A second, independent bucket: growing `percent` does not move anyone between variants.
  const bucket = mix(hash ^ 0x9e3779b9) % buckets;
  for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]!) return compiled.outcomes[i]!;
  return compiled.outcomes[bounds.length - 1]!;
}

/** FNV-1a over the characters of `text`, continuing from `state`. */
function fnv(state: number, text: string): number {
  let hash = state;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

/** murmur3's finaliser: FNV-1a alone leaves the low bits of similar ids (1, 2, 3...) correlated. */
function mix(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// A request's id is hashed once per flag, each time from another seed. Reading
// its characters from a typed array takes a third less time than charCodeAt on
// the string (V8 checks the string's kind at every character): the first hash
// of an id keeps its characters here, for the next ones.
let lastId = '';
let idCodes = new Uint16Array(64);

/** A stable unsigned 32-bit hash of `<flag name>:<id>`: fnv(seed, id), mixed. */
function hashId(seed: number, id: string): number {
  const length = id.length;
  let hash = seed;
  if (id === lastId) {
    const codes = idCodes;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ codes[i]!, 0x01000193);
    return mix(hash);
  }
  if (length > idCodes.length) idCodes = new Uint16Array(length);
  const codes = idCodes;
  for (let i = 0; i < length; i++) {
    const code = id.charCodeAt(i);
    codes[i] = code;
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  lastId = id;
  return mix(hash);
}

/** The bucket (0..9999) an id falls in for a flag: what `percent` is compared with. Exported for tests. */
export function bucketOf(name: string, id: string): number {
  return hashId(fnv(0x811c9dc5, `${name}:`), id) % buckets;
}

// ---- the file ---------------------------------------------------------------

/** Every problem of a flags file, each with its line; none means it may ship. */
export function lintFlags(text: string): Problem[] {
  return [...read(text).problems];
}

/** The flags of a file, or its problems (and a one-line summary of them). */
export function parseFlags(text: string): FlagsResult {
  const { flags, problems } = read(text);
  if (problems.length === 0) return { ok: true, flags };
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return { ok: false, problems, error: `line ${first.line}: ${first.message}${more}` };
}

/** The flags as the file says them, in file order (for listing). */
export function flagList(flags: Flags): Flag[] {
  return [...flags.values()].map((compiled) => compiled.flag);
}

/** on, off, or the rollout in short: `40%`, `40% blue/green`. */
export function summary(flag: Flag): string {
  const variants = flag.variants.length > 1 ? ` ${flag.variants.map((variant) => variant.name).join('/')}` : '';
  const rollout = flag.percent === 100 && variants === '' ? 'on' : `${flag.percent}%${variants}`;
  if (!flag.enabled) return rollout === 'on' ? 'off' : `off (${rollout} when on)`;
  return rollout;
}

function read(text: string): { flags: Flags; problems: Problem[] } {
  const lines = new LineCounter();
  const problems: Problem[] = [];
  // Duplicates are found below, with both lines named.
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lines.linePos(offset).line);
  const at = (node: Node | null | undefined | unknown): number => lineOf((node as Node | null | undefined)?.range?.[0]);
  const report = (line: number, message: string): void => void problems.push({ line, message });

  for (const error of document.errors) report(lineOf(error.pos[0]), `not valid YAML: ${error.message.split('\n')[0]}`);
  if (problems.length > 0) return { flags: noFlags, problems };

  const root = document.contents;
  // An empty file is most often one caught half-written: refuse it rather than
  // switch every flag off. `flags: {}` says "none" on purpose.
  if (root === null || (isScalar(root) && root.value === null))
    return { flags: noFlags, problems: [{ line: 1, message: 'the file is empty (write `flags: {}` for no flags)' }] };
  if (!isMap(root))
    return { flags: noFlags, problems: [{ line: at(root), message: 'expected a map with the key "flags"' }] };

  let listed: Node | null | undefined;
  for (const pair of root.items) {
    const key = keyText(pair);
    if (key === 'flags') listed = pair.value as Node | null;
    else report(at(pair.key), `unknown key "${key}" at the top (only "flags")`);
  }
  const flags = new Map<string, Compiled>();
  if (listed === undefined || listed === null || (isScalar(listed) && listed.value === null))
    return { flags, problems };
  if (!isMap(listed)) {
    report(at(listed), '"flags" must be a map of flag name to true, false or settings');
    return { flags: noFlags, problems };
  }
  const firstLine = new Map<string, number>();
  /** outcomes so far: the next flag's first slot */
  let slots = 0;
  for (const pair of listed.items) {
    const name = keyText(pair);
    const line = at(pair.key);
    if (!flagName.test(name)) {
      report(
        line,
        `flag name "${name}" must start with a letter or digit and use only letters, digits, "_", "." or "-" (64 at most)`,
      );
      continue;
    }
    const seen = firstLine.get(name);
    if (seen !== undefined) {
      report(line, `flag "${name}" is listed twice (first on line ${seen})`);
      continue;
    }
    firstLine.set(name, line);
    const flag = readFlag(name, pair.value as Node | null, line, at, report);
    if (!flag) continue;
    flags.set(name, compile(flag, flags.size, slots));
    slots += 1 + flag.variants.length;
  }
  return { flags: problems.length === 0 ? flags : noFlags, problems };
}

type At = (node: unknown) => number;
type Report = (line: number, message: string) => void;

function readFlag(name: string, value: Node | null, line: number, at: At, report: Report): Flag | undefined {
  if (isScalar(value) && typeof value.value === 'boolean') {
    return {
      name,
      enabled: value.value,
      percent: 100,
      variants: [{ name: on, weight: 100 }],
      bucket: 'visitor',
      users: [],
      groups: [],
    };
  }
  if (!isMap(value)) {
    const shown = isScalar(value) ? JSON.stringify(value.value) : isSeq(value) ? 'a list' : 'nothing';
    report(
      value ? at(value) : line,
      `flag "${name}" must be true, false or a map of settings (${flagKeys.join(', ')}), not ${shown}`,
    );
    return undefined;
  }
  const before = { count: 0 };
  const problem: Report = (where, message) => {
    before.count++;
    report(where, `flag "${name}": ${message}`);
  };
  const settings = new Map<string, Pair<unknown, unknown>>();
  for (const pair of (value as YAMLMap<unknown, unknown>).items) {
    const key = keyText(pair);
    if (!(flagKeys as readonly string[]).includes(key))
      problem(at(pair.key), `unknown key "${key}" (known: ${flagKeys.join(', ')})`);
    else if (settings.has(key)) problem(at(pair.key), `"${key}" is given twice`);
    else settings.set(key, pair);
  }
  const node = (key: string): Node | null | undefined => settings.get(key)?.value as Node | null | undefined;
  const lineOf = (key: string): number => at(settings.get(key)?.value ?? settings.get(key)?.key);

  const scalar = (key: string, want: string, ok: (v: unknown) => boolean): unknown => {
    if (!settings.has(key)) return undefined;
    const found = node(key);
    const v = isScalar(found) ? found.value : undefined;
    if (!isScalar(found) || !ok(v)) {
      problem(
        lineOf(key),
        `${key} must be ${want}, not ${isScalar(found) ? JSON.stringify(v) : isSeq(found) ? 'a list' : isMap(found) ? 'a map' : 'nothing'}`,
      );
      return undefined;
    }
    return v;
  };

  const description = scalar('description', 'text', (v) => typeof v === 'string') as string | undefined;
  const enabled = scalar('enabled', 'true or false', (v) => typeof v === 'boolean') as boolean | undefined;
  const percent = scalar('percent', 'a number from 0 to 100', (v) => typeof v === 'number') as number | undefined;
  if (percent !== undefined && !(percent >= 0 && percent <= 100))
    problem(lineOf('percent'), `percent ${percent} is not between 0 and 100`);
  else if (percent !== undefined && !hundredths(percent))
    problem(lineOf('percent'), `percent ${percent} is finer than 0.01`);
  const bucket = scalar('bucket', '"user" or "visitor"', (v) => v === 'user' || v === 'visitor') as
    | 'user'
    | 'visitor'
    | undefined;

  const variants = readVariants(node('variants'), settings.has('variants'), lineOf('variants'), at, problem);
  const users = readList('users', node('users'), settings.has('users'), lineOf('users'), at, problem);
  const groups = readList('groups', node('groups'), settings.has('groups'), lineOf('groups'), at, problem);

  const admin = scalar('admin', 'a variant, "on" or "off"', (v) => typeof v === 'string' || typeof v === 'boolean') as
    | string
    | boolean
    | undefined;
  let adminVariant: string | undefined;
  if (admin !== undefined && variants !== undefined) {
    const asked = admin === true ? on : admin === false ? off : admin;
    const known = variants.map((variant) => variant.name);
    if (asked === off) adminVariant = off;
    else if (asked === on && !settings.has('variants')) adminVariant = on;
    else if (known.includes(asked)) adminVariant = asked;
    else
      problem(
        lineOf('admin'),
        `admin names the variant "${asked}", which the flag does not have (${[...known, off].join(', ')})`,
      );
  }

  if (before.count > 0 || variants === undefined) return undefined;
  return {
    name,
    ...(description !== undefined && { description }),
    enabled: enabled ?? true,
    percent: percent ?? 100,
    variants,
    bucket: bucket ?? 'visitor',
    users: users ?? [],
    groups: groups ?? [],
    ...(adminVariant !== undefined && { admin: adminVariant }),
  };
}

/** The variants (default: the one variant "on"), or undefined when they are wrong. */
function readVariants(
  value: Node | null | undefined,
  given: boolean,
  line: number,
  at: At,
  problem: Report,
): Variant[] | undefined {
  if (!given) return [{ name: on, weight: 100 }];
  if (!isMap(value) || value.items.length === 0) {
    problem(line, 'variants must be a map of variant name to weight, e.g. { blue: 50, green: 50 }');
    return undefined;
  }
  const variants: Variant[] = [];
  let wrong = false;
  for (const pair of value.items) {
    const name = keyText(pair);
    const where = at(pair.key);
    const weight = isScalar(pair.value) ? pair.value.value : undefined;
    if (!variantName.test(name)) {
      problem(
        where,
        `variant name "${name}" must start with a letter or digit and use only letters, digits, "_" or "-"`,
      );
      wrong = true;
    } else if (name === off) {
      problem(where, 'a variant cannot be called "off": that is what ids outside the rollout get');
      wrong = true;
    } else if (variants.some((variant) => variant.name === name)) {
      problem(where, `variant "${name}" is listed twice`);
      wrong = true;
    } else if (typeof weight !== 'number' || !(weight >= 0 && weight <= 100) || !hundredths(weight)) {
      problem(
        where,
        `the weight of variant "${name}" must be a number from 0 to 100 (steps of 0.01), not ${JSON.stringify(weight ?? null)}`,
      );
      wrong = true;
    } else {
      variants.push({ name, weight });
    }
  }
  if (wrong) return undefined;
  const total = variants.reduce((sum, variant) => sum + Math.round(variant.weight * 100), 0) / 100;
  if (total !== 100) {
    problem(line, `the weights of the variants add up to ${total}, not 100`);
    return undefined;
  }
  return variants;
}

function readList(
  key: string,
  value: Node | null | undefined,
  given: boolean,
  line: number,
  at: At,
  problem: Report,
): string[] | undefined {
  if (!given) return undefined;
  if (!isSeq(value)) {
    problem(line, `${key} must be a list, e.g. [a, b]`);
    return undefined;
  }
  const names: string[] = [];
  for (const item of value.items) {
    const v = isScalar(item) ? item.value : undefined;
    // User ids are often numbers; YAML reads `[42]` as one.
    if (typeof v === 'string' && v !== '') names.push(v);
    else if (key === 'users' && typeof v === 'number' && Number.isInteger(v)) names.push(String(v));
    else
      problem(
        at(item) || line,
        `${key} must list ${key === 'users' ? 'user ids' : 'group names'}, not ${JSON.stringify(v ?? null)}`,
      );
  }
  return names;
}

function hundredths(value: number): boolean {
  return Math.abs(value * 100 - Math.round(value * 100)) < 1e-9;
}

/**
 * A key of the file, as the one string V8 keeps for that text among property
 * names, as it keeps the names written in code: a flag looked up or a variant
 * compared by a name from code then matches by pointer, without reading the
 * characters (string comparisons were a visible part of a request's flags).
 */
function keyText(pair: Pair<unknown, unknown>): string {
  const key = pair.key;
  const text = isScalar(key) ? String(key.value) : String(key);
  return Object.keys({ [text]: true })[0]!;
}

/** `firstSlot` for "off", the ones after it for the variants. */
function compile(flag: Flag, index: number, firstSlot: number): Compiled {
  let upTo = 0;
  const variantBelow = flag.variants.map((variant) => (upTo += Math.round(variant.weight * 100)));
  const offOutcome = outcomeOf(flag.name, off, firstSlot);
  const outcomes = flag.variants.map((variant, i) => outcomeOf(flag.name, variant.name, firstSlot + 1 + i));
  return {
    index,
    enabled: flag.enabled,
    adminOutcome:
      flag.admin === undefined
        ? undefined
        : flag.admin === off
          ? offOutcome
          : outcomes.find((each) => each.variant === flag.admin),
    byUser: flag.bucket === 'user',
    listsAnyone: flag.users.length > 0 || flag.groups.length > 0,
    everyone: flag.percent === 100 && flag.variants.length === 1,
    rolloutBelow: Math.round(flag.percent * 100),
    seed: fnv(0x811c9dc5, `${flag.name}:`),
    offOutcome,
    oneVariant: outcomes.length === 1,
    firstOutcome: outcomes[0]!,
    variantBelow,
    outcomes,
    users: new Set(flag.users),
    flag,
  };
}
