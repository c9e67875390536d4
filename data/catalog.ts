// The production schema as its catalog says it is (the scrub rules are checked
// against this, not against what we believe the migrations made), and the order
// in which tables can be loaded so that every foreign key finds its row.
import type pg from 'pg';
import type { ColumnInfo } from './scrub-rules.ts';

/** An SQL identifier, quoted: what the catalog names may hold (quotes, capitals, spaces) stays a name. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

interface ColumnRow {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  comment: string | null;
}

export const personalKinds = ['name', 'email', 'address', 'phone', 'ip', 'date', 'text'] as const;
export type PersonalKind = (typeof personalKinds)[number];

export interface PersonalColumn {
  table: string;
  column: string;
  kind: PersonalKind;
}
interface KeyRow {
  kind: 'p' | 'u' | 'f';
  table: string;
  column: string;
  ref_table: string | null;
  ref_column: string | null;
}

export interface Schema {
  columns: ColumnInfo[];
  /** columns the schema marks `personal:<kind>` in their comment */
  personal: PersonalColumn[];
}

export async function readSchema(client: pg.Client): Promise<Schema> {
  const columns = await client.query<ColumnRow>(`
    SELECT c.table_name AS table, c.column_name AS column, c.udt_name AS type, c.is_nullable = 'YES' AS nullable,
      col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) AS comment
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position`);
  const keys = await client.query<KeyRow>(`
    SELECT con.contype AS kind, rel.relname AS table, att.attname AS column, frel.relname AS ref_table, fatt.attname AS ref_column
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = 'public'
    CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attnum = k.attnum
    LEFT JOIN pg_class frel ON frel.oid = con.confrelid
    LEFT JOIN pg_attribute fatt ON fatt.attrelid = con.confrelid AND fatt.attnum = con.confkey[k.ord]
    WHERE con.contype IN ('p', 'u', 'f')
    UNION ALL
    SELECT 'u', t.relname, a.attname, NULL, NULL
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = 'public'
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
    WHERE i.indisunique AND NOT i.indisprimary`);
  const personal = columns.rows.flatMap((c) => {
    const kind = /^personal:(\w+)/.exec(c.comment ?? '')?.[1];
    if (kind === undefined) return [];
    if (!(personalKinds as readonly string[]).includes(kind))
      throw new Error(`${c.table}.${c.column} is marked personal:${kind}, not one of ${personalKinds.join(', ')}`);
    return [{ table: c.table, column: c.column, kind: kind as PersonalKind }];
  });
  return {
    personal,
    columns: columns.rows.map((c) => {
      const mine = keys.rows.filter((k) => k.table === c.table && k.column === c.column);
      const foreign = mine.find((k) => k.kind === 'f' && k.ref_table && k.ref_column);
      return {
        table: c.table,
        column: c.column,
        type: c.type,
        nullable: c.nullable,
        unique: mine.some((k) => k.kind === 'u' || k.kind === 'p'),
        primaryKey: mine.some((k) => k.kind === 'p'),
        ...(foreign && { references: { table: foreign.ref_table!, column: foreign.ref_column! } }),
      };
    }),
  };
}

/** Tables, referenced ones before those referring to them (self-references aside). */
export function loadOrder(schema: readonly ColumnInfo[]): string[] {
  const tables = [...new Set(schema.map((c) => c.table))].sort();
  const needs = new Map(
    tables.map((t) => [
      t,
      new Set(
        schema.filter((c) => c.table === t && c.references && c.references.table !== t).map((c) => c.references!.table),
      ),
    ]),
  );
  const ordered: string[] = [];
  while (ordered.length < tables.length) {
    const ready = tables.filter((t) => !ordered.includes(t) && [...needs.get(t)!].every((n) => ordered.includes(n)));
    if (ready.length === 0)
      throw new Error(
        `tables reference each other in a cycle: ${tables.filter((t) => !ordered.includes(t)).join(', ')}`,
      );
    ordered.push(...ready);
  }
  return ordered;
}

export function columnsOf(schema: readonly ColumnInfo[], table: string): string[] {
  return schema.filter((c) => c.table === table).map((c) => c.column);
}

/** A table's own key, unique constraint or plain index, as `pg_restore --list` names its entry (without the owner). */
export interface TableEntry {
  table: string;
  /** `CONSTRAINT <schema> <table> <name>` or `INDEX <schema> <name>` */
  entry: string;
}

/** The keys, unique constraints and plain indexes of the public tables: what can be made as soon as a table's rows are in. */
export async function readTableEntries(client: pg.Client): Promise<TableEntry[]> {
  const { rows } = await client.query<TableEntry>(`
    SELECT rel.relname AS table, format('CONSTRAINT %s %s %s', ns.nspname, rel.relname, con.conname) AS entry
      FROM pg_constraint con
      JOIN pg_class rel ON rel.oid = con.conrelid
      JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = 'public'
     WHERE con.contype IN ('p', 'u')
    UNION ALL
    SELECT t.relname, format('INDEX %s %s', ns.nspname, ic.relname)
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace ns ON ns.oid = ic.relnamespace AND ns.nspname = 'public'
     WHERE NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))`);
  return rows;
}

/** A line of a post-data table of contents and the one table whose rows it needs; none: it waits for every table. */
export interface PostDataEntry {
  line: string;
  table: string | undefined;
}

/**
 * The lines of a post-data table of contents (`pg_restore --list`), in its order,
 * each with the table it needs when it is a key or index of that table alone.
 * Foreign keys and anything else (triggers, exclusion constraints...) name none,
 * and so wait for every table (pure).
 */
export function postDataEntries(lines: readonly string[], known: readonly TableEntry[]): PostDataEntry[] {
  return lines.map((line) => {
    // `3232; 2606 16391 CONSTRAINT public members members_pkey shop`: the ids, what it is, its owner.
    const described = line.replace(/^\d+; \d+ \d+ /, '');
    const mine = known.find((each) => described === each.entry || described.startsWith(`${each.entry} `));
    return { line, table: mine?.table };
  });
}
