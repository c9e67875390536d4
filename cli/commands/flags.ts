// `devenv flags lint|list|show|set`: the flags file of this checkout
// (site/flags.yaml), which the config train ships. Lint is the site's own
// (site/flags.ts), so what passes here is what the site loads. `set` edits the
// file through yaml's Document API (comments and order stay), shows the change
// as a diff, and refuses any edit that would fail lint, leaving the file as it was.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { isMap, isScalar, parseDocument, type Document, type YAMLMap } from 'yaml';
import { flagList, lintFlags, parseFlags, summary, type Flag, type Problem } from '../../site/flags.ts';
import { UserError } from '../../lib/errors.ts';
import { projectRoot } from '../../lib/paths.ts';
import { writeFileAtomic } from '../../lib/files.ts';

export const defaultFlagsFile = join(projectRoot, 'site', 'flags.yaml');

export interface FlagsFileOptions {
  /** @default site/flags.yaml of this checkout */
  file?: string;
}

// ---- lint -------------------------------------------------------------------

export interface LintResult {
  file: string;
  ok: boolean;
  flags: number;
  problems: Problem[];
}

export async function flagsLint(options: FlagsFileOptions = {}): Promise<LintResult> {
  const file = options.file ?? defaultFlagsFile;
  const text = await readText(file);
  const problems = lintFlags(text);
  const parsed = parseFlags(text);
  return { file: shown(file), ok: problems.length === 0, flags: parsed.ok ? parsed.flags.size : 0, problems };
}

export function lintText(result: LintResult): string {
  if (result.ok) return `${result.file}: no problems (${result.flags} flag${result.flags === 1 ? '' : 's'})`;
  const lines = result.problems.map((problem) => `${result.file}:${problem.line}: ${problem.message}`);
  return [
    ...lines,
    `${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}: this file cannot ship until they are fixed`,
  ].join('\n');
}

// ---- list and show ----------------------------------------------------------

export interface FlagRow extends Flag {
  /** on, off, or the rollout in short */
  summary: string;
}

export interface ListResult {
  file: string;
  flags: FlagRow[];
}

export async function flagsList(options: FlagsFileOptions = {}): Promise<ListResult> {
  const file = options.file ?? defaultFlagsFile;
  return { file: shown(file), flags: flagList(await loadFlags(file)).map(row) };
}

export function listText(result: ListResult): string {
  if (result.flags.length === 0) return `${result.file}: no flags (a flag not listed is off)`;
  const width = Math.max(...result.flags.map((flag) => flag.name.length));
  const summaryWidth = Math.max(...result.flags.map((flag) => describe(flag).length));
  return result.flags
    .map((flag) =>
      `${flag.name.padEnd(width)}  ${describe(flag).padEnd(summaryWidth)}  ${flag.description ?? ''}`.trimEnd(),
    )
    .join('\n');
}

export async function flagsShow(name: string, options: FlagsFileOptions = {}): Promise<FlagRow> {
  const file = options.file ?? defaultFlagsFile;
  const flag = flagList(await loadFlags(file)).find((f) => f.name === name);
  if (!flag)
    throw new UserError(
      `no flag "${name}" in ${shown(file)}: it is off for everyone`,
      `add it with \`devenv flags set ${name} --on\` (or --percent P)`,
    );
  return row(flag);
}

export function showText(flag: FlagRow): string {
  const lines = [
    `${flag.name}: ${flag.summary}`,
    ...(flag.description !== undefined ? [`  description: ${flag.description}`] : []),
    `  enabled: ${flag.enabled}`,
    `  percent: ${flag.percent}`,
    `  variants: ${flag.variants.map((variant) => `${variant.name}=${variant.weight}`).join(', ')}`,
    `  bucket: ${flag.bucket}`,
    `  users: ${flag.users.join(', ') || '(none)'}`,
    `  groups: ${flag.groups.join(', ') || '(none)'}`,
    `  staff see: ${flag.admin ?? 'as anyone'}`,
  ];
  return lines.join('\n');
}

function row(flag: Flag): FlagRow {
  return { ...flag, summary: summary(flag) };
}

/** The summary and what else decides who gets the flag, in one line. */
function describe(flag: FlagRow): string {
  const extra = [
    flag.bucket === 'user' && 'by user',
    flag.users.length > 0 && `users: ${flag.users.join(',')}`,
    flag.groups.length > 0 && `groups: ${flag.groups.join(',')}`,
    flag.admin !== undefined && `staff: ${flag.admin}`,
  ].filter((part) => part !== false);
  return [flag.summary, ...extra].join(', ');
}

// ---- set --------------------------------------------------------------------

export interface FlagChange {
  enabled?: boolean;
  percent?: number;
  /** in order: the first is what "on" forces */
  variants?: [string, number][];
  users?: string[];
  groups?: string[];
}

export interface SetResult {
  file: string;
  name: string;
  changed: boolean;
  diff: string;
  flag: FlagRow;
}

export async function flagsSet(name: string, change: FlagChange, options: FlagsFileOptions = {}): Promise<SetResult> {
  const file = options.file ?? defaultFlagsFile;
  if (Object.keys(change).length === 0)
    throw new UserError(
      'nothing to set',
      'say what: --on, --off, --percent P, --variants a=50,b=50, --users a,b or --groups g',
    );
  const before = await readText(file);
  const problems = lintFlags(before);
  if (problems.length > 0) {
    throw new UserError(
      `${shown(file)} has problems already (line ${problems[0]!.line}: ${problems[0]!.message})`,
      'fix them first; `devenv flags lint` lists them all',
    );
  }
  const after = applyFlagChange(before, name, change);
  const refused = lintFlags(after)[0];
  if (refused) throw new UserError(`refused: ${refused.message}; ${shown(file)} is unchanged`);
  const parsed = parseFlags(after);
  const flag = parsed.ok ? flagList(parsed.flags).find((f) => f.name === name) : undefined;
  if (!flag) throw new Error(`flag ${name} missing after an edit that passed lint`);
  if (after !== before) {
    await writeFileAtomic(file, after);
  }
  return {
    file: shown(file),
    name,
    changed: after !== before,
    diff: unifiedDiff(before, after, shown(file)),
    flag: row(flag),
  };
}

export function setText(result: SetResult): string {
  if (!result.changed) return `${result.name} is already ${describe(result.flag)}; ${result.file} unchanged`;
  return `${result.diff}\n${result.name}: ${describe(result.flag)}. Ship it with \`devenv deploy --config\`.`;
}

/** The file's text with one flag changed (or added at the end), comments and order kept. Pure. */
export function applyFlagChange(text: string, name: string, change: FlagChange): string {
  const document = parseDocument(text);
  const flags = flagsMapOf(document);
  const current = flags.get(name, true);
  const onlyOnOff = Object.keys(change).every((key) => key === 'enabled');

  if (onlyOnOff && change.enabled !== undefined && (current === undefined || isScalar(current))) {
    // The shorthand stays shorthand: `name: true|false`.
    if (isScalar(current)) current.value = change.enabled;
    else flags.set(name, change.enabled);
  } else {
    let settings: YAMLMap;
    if (isMap(current)) {
      settings = current;
    } else {
      settings = document.createNode({}) as YAMLMap;
      // `name: false` becoming settings stays off until someone says --on.
      if (isScalar(current) && current.value === false && change.enabled === undefined) settings.set('enabled', false);
      flags.set(name, settings);
    }
    if (change.enabled !== undefined) settings.set('enabled', change.enabled);
    if (change.percent !== undefined) settings.set('percent', change.percent);
    if (change.variants !== undefined)
      settings.set('variants', document.createNode(Object.fromEntries(change.variants), { flow: true }));
    if (change.users !== undefined) settings.set('users', document.createNode(change.users, { flow: true }));
    if (change.groups !== undefined) settings.set('groups', document.createNode(change.groups, { flow: true }));
  }
  return keepUntouchedLines(text, document.toString({ lineWidth: 0 }));
}

/**
 * yaml re-renders the whole document, normalising the spaces around comments and
 * flow collections; lines that differ only so keep their original text, so the
 * diff shows what was changed and nothing else.
 */
function keepUntouchedLines(before: string, after: string): string {
  const spaces = (line: string) =>
    line
      .replace(/\s+/g, ' ')
      .replace(/([[{]) | ([\]}])/g, '$1$2')
      .trimEnd();
  return diffLines(linesOf(before), linesOf(after), (a, b) => spaces(a) === spaces(b))
    .filter((line) => line.kind !== '-')
    .map((line) => line.text)
    .join('\n')
    .concat(after.endsWith('\n') ? '\n' : '');
}

interface DiffLine {
  kind: ' ' | '-' | '+';
  /** the old line for ' ' and '-', the new one for '+' */
  text: string;
  aLine: number;
  bLine: number;
}

/** Line by line, by longest common subsequence (flags files are small). */
function diffLines(a: readonly string[], b: readonly string[], same: (x: string, y: string) => boolean): DiffLine[] {
  const common: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] = same(a[i]!, b[j]!)
        ? common[i + 1]![j + 1]! + 1
        : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && same(a[i]!, b[j]!))
      lines.push({ kind: ' ', text: a[i]!, aLine: i++, bLine: j++ });
    // Removed lines before added ones, as git shows them.
    else if (i < a.length && (j >= b.length || common[i + 1]![j]! >= common[i]![j + 1]!))
      lines.push({ kind: '-', text: a[i]!, aLine: i++, bLine: j });
    else lines.push({ kind: '+', text: b[j]!, aLine: i, bLine: j++ });
  }
  return lines;
}

function linesOf(text: string): string[] {
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

function flagsMapOf(document: Document): YAMLMap {
  const found = document.get('flags', true);
  if (isMap(found)) {
    // `flags: {}` grows into a block, one flag a line.
    if (found.items.length === 0) found.flow = false;
    return found;
  }
  const created = document.createNode({}) as YAMLMap;
  document.set('flags', created);
  return created;
}

/** A unified diff of two texts, 2 lines of context: what `git diff` would show. */
export function unifiedDiff(before: string, after: string, label: string): string {
  const lines = diffLines(linesOf(before), linesOf(after), (x, y) => x === y);
  const context = 2;
  const changed = lines.map((line, index) => (line.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return '';
  const [from, to] = isAbsolute(label) ? [label, label] : [`a/${label}`, `b/${label}`];
  const hunks: string[] = [`--- ${from}`, `+++ ${to}`];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * context + 1) end++;
    const slice = lines.slice(
      Math.max(0, changed[start]! - context),
      Math.min(lines.length, changed[end]! + context + 1),
    );
    const aCount = slice.filter((line) => line.kind !== '+').length;
    const bCount = slice.filter((line) => line.kind !== '-').length;
    hunks.push(
      `@@ -${slice[0]!.aLine + 1},${aCount} +${slice[0]!.bLine + 1},${bCount} @@`,
      ...slice.map((line) => `${line.kind}${line.text}`),
    );
    start = end + 1;
  }
  return hunks.join('\n');
}

// ---- the file ---------------------------------------------------------------

async function loadFlags(file: string) {
  const parsed = parseFlags(await readText(file));
  if (!parsed.ok)
    throw new UserError(`${shown(file)} has problems (${parsed.error})`, '`devenv flags lint` lists them all');
  return parsed.flags;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(
        `no flags file at ${shown(file)}`,
        'pass the right one, or run from a checkout of the project',
      );
    throw error;
  }
}

/** The repo's file by its path in the repo; any other as given. */
function shown(file: string): string {
  const inRepo = relative(projectRoot, file);
  return inRepo.startsWith('..') ? file : inRepo;
}

// ---- options of the command line --------------------------------------------

/** `a=50,b=50` into ordered variants. */
export function parseVariantsOption(text: string): [string, number][] {
  return text.split(',').map((part) => {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(part);
    const weight = Number(match?.[2]);
    if (!match || !Number.isFinite(weight))
      throw new UserError(`--variants wants name=weight pairs like blue=50,green=50, got "${text}"`);
    return [match[1]!, weight];
  });
}

export function parseListOption(option: string, text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0 && text.trim() !== '')
    throw new UserError(`${option} wants names separated by commas, got "${text}"`);
  return names;
}

export function parsePercentOption(text: string): number {
  const percent = Number(text);
  if (text.trim() === '' || !Number.isFinite(percent))
    throw new UserError(`--percent wants a number from 0 to 100, got "${text}"`);
  return percent;
}
