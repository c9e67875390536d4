// The scrub rules: which transform princess applies to each production column.
// They are checked against the live schema before a single row is copied, so a
// rule that would fail the load halfway (NULL into NOT NULL, duplicates into a
// UNIQUE column, a broken join) or leave a column unscrubbed is refused up front.
import { LineCounter, isMap, isNode, isScalar, parseDocument } from 'yaml';

export const transformNames = [
  'keep',
  'null',
  'fake-name',
  'fake-email',
  'fake-address',
  'fake-phone',
  'fake-ip',
  'date-shift',
  'hash',
  'redact-text',
] as const;

export type TransformName = (typeof transformNames)[number];

/** One column of the production schema, as read from its catalog. */
export interface ColumnInfo {
  table: string;
  column: string;
  /** The PostgreSQL type name: udt names (timestamptz, varchar) or SQL names (timestamp with time zone). */
  type: string;
  nullable: boolean;
  /** In a UNIQUE constraint or unique index, alone or with other columns: a transform that merges values breaks either. */
  unique: boolean;
  primaryKey: boolean;
  references?: { table: string; column: string };
}

export interface ColumnRule {
  readonly table: string;
  readonly column: string;
  readonly transform: TransformName;
  /** The column's type from the schema, so the transform can respect it (redact-text on jsonb keeps it JSON). */
  readonly type: string;
  /** Where the rule is written, for messages. */
  readonly line: number;
}

export interface ScrubRules {
  readonly file: string;
  readonly columns: readonly ColumnRule[];
}

/** The families of PostgreSQL types the transforms care about; anything else is 'other'. */
export type TypeFamily = 'text' | 'json' | 'inet' | 'date' | 'timestamp' | 'other';

const families: Readonly<Record<string, TypeFamily>> = {
  text: 'text',
  varchar: 'text',
  'character varying': 'text',
  char: 'text',
  character: 'text',
  bpchar: 'text',
  citext: 'text',
  name: 'text',
  json: 'json',
  jsonb: 'json',
  inet: 'inet',
  date: 'date',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamp',
  'timestamp with time zone': 'timestamp',
};

export function typeFamily(type: string): TypeFamily {
  // Modifiers such as varchar(80) or timestamp(3) with time zone do not change the family.
  const base = type
    .toLowerCase()
    .replace(/\(\s*\d+(\s*,\s*\d+)?\s*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return families[base] ?? 'other';
}

/** The type families each transform's output can be stored in ('any' = every type). */
const fits: Readonly<Record<TransformName, readonly TypeFamily[] | 'any'>> = {
  keep: 'any',
  null: 'any',
  'fake-name': ['text'],
  'fake-email': ['text'],
  'fake-address': ['text'],
  'fake-phone': ['text'],
  'fake-ip': ['inet', 'text'],
  'date-shift': ['date', 'timestamp'],
  hash: ['text'],
  'redact-text': ['text', 'json'],
};

/** The transforms that map distinct values to distinct values (fake-email and hash: 80 and 256 bits of HMAC). */
const injective: ReadonlySet<TransformName> = new Set(['keep', 'hash', 'fake-email']);

const isTransformName = (name: string): name is TransformName => (transformNames as readonly string[]).includes(name);

/**
 * Parses and checks the rules. Throws a one-line error naming file:line, the
 * table.column and what to do, at the first problem.
 */
export function parseScrubRules(text: string, schema: readonly ColumnInfo[], file = 'scrub-rules.yaml'): ScrubRules {
  const lineCounter = new LineCounter();
  // failsafe: every scalar is a string, so `null` is the transform's name and not YAML's null.
  const document = parseDocument(text, { schema: 'failsafe', lineCounter, uniqueKeys: true });
  function lineOf(node: unknown): number {
    return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : 1;
  }
  function fail(line: number, message: string): never {
    throw new Error(`${file}:${line}: ${message}`);
  }

  const syntaxError = document.errors[0];
  if (syntaxError) {
    const what = (syntaxError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    fail(syntaxError.linePos?.[0].line ?? 1, `malformed YAML: ${what}; fix the syntax there`);
  }

  const root = document.contents;
  if (!isMap(root)) fail(lineOf(root), 'expected a mapping with one key, "tables"');
  for (const pair of root.items) {
    if (nameOf(pair.key) !== 'tables')
      fail(lineOf(pair.key), `unexpected key "${nameOf(pair.key)}"; the file has one key, "tables"`);
  }
  const tablesNode = root.items[0]?.value;
  if (!isMap(tablesNode)) fail(lineOf(tablesNode ?? root), '"tables" must map each table name to its columns');

  const schemaTables = new Map<string, Map<string, ColumnInfo>>();
  for (const info of schema) {
    const columns = schemaTables.get(info.table) ?? new Map<string, ColumnInfo>();
    columns.set(info.column, info);
    schemaTables.set(info.table, columns);
  }
  const referencedBy = new Map<string, string>();
  for (const info of schema) {
    if (info.references)
      referencedBy.set(`${info.references.table}.${info.references.column}`, `${info.table}.${info.column}`);
  }

  const rules: ColumnRule[] = [];
  for (const tablePair of tablesNode.items) {
    const table = nameOf(tablePair.key);
    const tableLine = lineOf(tablePair.key);
    const columns = schemaTables.get(table);
    if (!columns)
      fail(
        tableLine,
        `unknown table "${table}" (not in the schema); tables are ${[...schemaTables.keys()].sort().join(', ')}`,
      );
    if (!isMap(tablePair.value)) fail(tableLine, `${table} must map each column name to a transform`);
    for (const columnPair of tablePair.value.items) {
      const column = nameOf(columnPair.key);
      const line = lineOf(columnPair.key);
      const info = columns.get(column);
      if (!info)
        fail(
          line,
          `unknown column "${table}.${column}" (not in the schema); columns of ${table} are ${[...columns.keys()].join(', ')}`,
        );
      const transform = nameOf(columnPair.value);
      if (!isTransformName(transform)) {
        const shown = transform === '' ? 'no transform' : `unknown transform "${transform}"`;
        fail(line, `${table}.${column}: ${shown}; use one of ${transformNames.join(', ')}`);
      }
      const refusal = refuse(info, transform, referencedBy.get(`${table}.${column}`));
      if (refusal) fail(line, `${table}.${column}: ${refusal}`);
      rules.push({ table, column, transform, type: info.type, line });
    }
  }
  return { file, columns: rules };
}

/** A key's or value's text; '' for anything but a scalar (an empty value, a nested mapping). */
function nameOf(node: unknown): string {
  return isScalar(node) ? String(node.value) : '';
}

/** Why `transform` cannot be applied to the column, or undefined when it can. */
function refuse(info: ColumnInfo, transform: TransformName, referencedBy: string | undefined): string | undefined {
  const key = info.primaryKey
    ? 'a primary key'
    : info.references
      ? `a foreign key to ${info.references.table}.${info.references.column}`
      : referencedBy && `a column referenced by ${referencedBy}`;
  if (key && transform !== 'keep') return `"${transform}" on ${key} would break the joins between tables; use keep`;
  if (transform === 'null' && !info.nullable)
    return `"null" on a NOT NULL column would fail the load; pick a transform that gives a value`;
  if (info.unique && !injective.has(transform)) {
    return `"${transform}" can map two values to one, which a UNIQUE column refuses; use keep, hash or fake-email`;
  }
  const allowed = fits[transform];
  if (allowed !== 'any' && !allowed.includes(typeFamily(info.type))) {
    return `"${transform}" gives values a column of type ${info.type} cannot hold; it fits ${allowed.join(' or ')} columns`;
  }
  return undefined;
}

/** "table.column" for every schema column without a rule, in schema order; the rebuild refuses to run unless empty. */
export function unconfiguredColumns(rules: ScrubRules, schema: readonly ColumnInfo[]): string[] {
  const configured = new Set(rules.columns.map((rule) => `${rule.table}.${rule.column}`));
  return schema.map((info) => `${info.table}.${info.column}`).filter((name) => !configured.has(name));
}
