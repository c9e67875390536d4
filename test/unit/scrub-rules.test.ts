// The scrub rules: the shipped file against production's schema, and every refusal in one line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseScrubRules, typeFamily, unconfiguredColumns } from '../../data/scrub-rules.ts';
import type { ColumnInfo } from '../../data/scrub-rules.ts';

/** A column as the catalog describes it (udt type names); not null, not unique, no key unless said. */
function col(table: string, column: string, type: string, more: Partial<ColumnInfo> = {}): ColumnInfo {
  return { table, column, type, nullable: false, unique: false, primaryKey: false, ...more };
}
const pk = { primaryKey: true, unique: true };
const ref = (table: string, column = 'id') => ({ references: { table, column } });

/** Production's schema, from the site's migrations. */
const schema: ColumnInfo[] = [
  col('shops', 'id', 'int4', pk),
  col('shops', 'name', 'text', { unique: true }),
  col('shops', 'owner_id', 'int8', { nullable: true, ...ref('members') }),
  col('items', 'id', 'int4', pk),
  col('items', 'shop_id', 'int4', ref('shops')),
  col('items', 'title', 'text'),
  col('items', 'price_cents', 'int4'),
  col('members', 'id', 'int8', pk),
  col('members', 'name', 'text'),
  col('members', 'email', 'text', { unique: true }),
  col('members', 'address', 'text'),
  col('members', 'phone', 'text'),
  col('members', 'birth_date', 'date'),
  col('members', 'last_login_ip', 'inet', { nullable: true }),
  col('members', 'joined_at', 'timestamptz'),
  col('orders', 'id', 'int8', pk),
  col('orders', 'buyer_id', 'int8', ref('members')),
  col('orders', 'item_id', 'int4', ref('items')),
  col('orders', 'quantity', 'int4'),
  col('orders', 'total_cents', 'int4'),
  col('orders', 'shipping_address', 'text'),
  col('orders', 'ordered_at', 'timestamptz'),
  col('messages', 'id', 'int8', pk),
  col('messages', 'sender_id', 'int8', ref('members')),
  col('messages', 'recipient_id', 'int8', ref('members')),
  col('messages', 'body', 'text'),
  col('messages', 'sent_at', 'timestamptz'),
  col('jobs', 'id', 'int8', pk),
  col('jobs', 'kind', 'text', { unique: true }),
  col('jobs', 'key', 'text', { unique: true }),
  col('jobs', 'payload', 'jsonb'),
  col('jobs', 'state', 'text'),
  col('jobs', 'attempts', 'int4'),
  col('jobs', 'max_attempts', 'int4'),
  col('jobs', 'last_error', 'text', { nullable: true }),
  col('jobs', 'run_after', 'timestamptz'),
  col('jobs', 'created_at', 'timestamptz'),
  col('jobs', 'updated_at', 'timestamptz'),
  col('thumbnails', 'file', 'text', pk),
  col('thumbnails', 'content_type', 'text'),
  col('thumbnails', 'data', 'bytea'),
  col('thumbnails', 'width', 'int4'),
  col('thumbnails', 'height', 'int4'),
  col('thumbnails', 'made_at', 'timestamptz'),
  col('schema_migrations', 'version', 'int4', pk),
  col('schema_migrations', 'name', 'text'),
  col('schema_migrations', 'checksum', 'text'),
  col('schema_migrations', 'applied_at', 'timestamptz'),
];

const shipped = readFileSync(new URL('../../data/scrub-rules.yaml', import.meta.url), 'utf8');

/** A rules file with one table's columns. */
const rulesFor = (table: string, columns: Record<string, string>): string =>
  `tables:\n  ${table}:\n${Object.entries(columns)
    .map(([column, transform]) => `    ${column}: ${transform}\n`)
    .join('')}`;

/** Asserts parsing refuses with one line matching `pattern`. */
function refuses(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseScrubRules(text, schema),
    (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
      return true;
    },
  );
}

describe('the shipped scrub rules', () => {
  it('pass every check and leave no production column unconfigured', () => {
    const rules = parseScrubRules(shipped, schema);
    assert.deepEqual(unconfiguredColumns(rules, schema), []);
    assert.equal(rules.columns.length, schema.length);
  });

  it('fake every personal column of members and the free text', () => {
    const rules = parseScrubRules(shipped, schema);
    const transformOf = (table: string, column: string) =>
      rules.columns.find((r) => r.table === table && r.column === column)?.transform;
    assert.equal(transformOf('members', 'name'), 'fake-name');
    assert.equal(transformOf('members', 'email'), 'fake-email');
    assert.equal(transformOf('members', 'address'), 'fake-address');
    assert.equal(transformOf('members', 'phone'), 'fake-phone');
    assert.equal(transformOf('members', 'birth_date'), 'date-shift');
    assert.equal(transformOf('members', 'last_login_ip'), 'fake-ip');
    assert.equal(transformOf('orders', 'shipping_address'), 'fake-address');
    assert.equal(transformOf('messages', 'body'), 'redact-text');
    assert.notEqual(transformOf('jobs', 'payload'), 'keep');
    assert.notEqual(transformOf('jobs', 'last_error'), 'keep');
  });

  it('carry the line, the column type and the transform of each rule', () => {
    const rules = parseScrubRules(
      'tables:\n  members:\n    id: keep\n\n    last_login_ip: fake-ip\n',
      schema,
      'rules.yaml',
    );
    assert.equal(rules.file, 'rules.yaml');
    assert.deepEqual(rules.columns[1], {
      table: 'members',
      column: 'last_login_ip',
      transform: 'fake-ip',
      type: 'inet',
      line: 5,
    });
  });
});

describe('scrub rules refuse in one line', () => {
  it('malformed YAML, with its line', () => {
    refuses(
      'tables:\n  members:\n    name: keep: hash\n    id: keep\n',
      /^scrub-rules\.yaml:3: malformed YAML: Nested mappings are not allowed in compact mappings; fix the syntax there$/,
    );
    refuses(
      'tables:\n  members:\n\tname: keep\n',
      /^scrub-rules\.yaml:3: malformed YAML: Tabs are not allowed as indentation/,
    );
    refuses(
      'tables:\n  members:\n    name: keep\n   email: keep\n',
      /^scrub-rules\.yaml:4: malformed YAML: All mapping items must start at the same column/,
    );
    refuses(
      'tables:\n  members:\n    name: keep\n    name: hash\n',
      /^scrub-rules\.yaml:4: malformed YAML: Map keys must be unique/,
    );
  });

  it('a file that is not a mapping of tables', () => {
    refuses('- members\n', /:1: expected a mapping with one key, "tables"/);
    refuses('tables:\n  members: {}\ncolumns: {}\n', /:3: unexpected key "columns"/);
    refuses('tables: members\n', /"tables" must map each table name/);
    refuses('tables:\n  members: keep\n', /:2: members must map each column name to a transform/);
  });

  it('an unknown transform, naming the valid ones', () => {
    refuses(
      rulesFor('members', { name: 'fake-nam' }),
      /^scrub-rules\.yaml:3: members\.name: unknown transform "fake-nam"; use one of keep, null, fake-name/,
    );
    refuses(rulesFor('members', { name: '' }), /:3: members\.name: no transform; use one of/);
    refuses(rulesFor('members', { name: '{ a: b }' }), /members\.name: no transform/);
  });

  it('a table or column the schema does not have', () => {
    refuses(
      rulesFor('member', { name: 'keep' }),
      /^scrub-rules\.yaml:2: unknown table "member" \(not in the schema\); tables are items, jobs, members,/,
    );
    refuses(
      rulesFor('members', { mail: 'fake-email' }),
      /^scrub-rules\.yaml:3: unknown column "members\.mail" \(not in the schema\); columns of members are id, name, email/,
    );
  });

  it('anything but keep on primary keys, foreign keys and referenced columns', () => {
    refuses(
      rulesFor('members', { id: 'hash' }),
      /:3: members\.id: "hash" on a primary key would break the joins between tables; use keep/,
    );
    refuses(
      rulesFor('orders', { buyer_id: 'null' }),
      /orders\.buyer_id: "null" on a foreign key to members\.id would break the joins/,
    );
    refuses(rulesFor('thumbnails', { file: 'hash' }), /thumbnails\.file: "hash" on a primary key/);
    const referencedOnly = schema.map((c) =>
      c.table === 'members' && c.column === 'id' ? { ...c, primaryKey: false } : c,
    );
    assert.throws(
      () => parseScrubRules(rulesFor('members', { id: 'hash' }), referencedOnly),
      /members\.id: "hash" on a column referenced by (orders\.buyer_id|shops\.owner_id|messages\.\w+) would break/,
    );
  });

  it('null on a NOT NULL column', () => {
    refuses(
      rulesFor('members', { phone: 'null' }),
      /:3: members\.phone: "null" on a NOT NULL column would fail the load/,
    );
    assert.doesNotThrow(() => parseScrubRules(rulesFor('members', { last_login_ip: 'null' }), schema));
  });

  it('a transform that cannot keep a UNIQUE column unique', () => {
    for (const transform of ['fake-name', 'fake-address', 'fake-phone', 'redact-text', 'date-shift', 'fake-ip']) {
      refuses(
        rulesFor('members', { email: transform }),
        new RegExp(
          `members\\.email: "${transform}" can map two values to one, which a UNIQUE column refuses; use keep, hash or fake-email`,
        ),
      );
    }
    for (const transform of ['keep', 'hash', 'fake-email'])
      assert.doesNotThrow(() => parseScrubRules(rulesFor('members', { email: transform }), schema));
    refuses(rulesFor('jobs', { key: 'redact-text' }), /jobs\.key: "redact-text" can map two values to one/);
  });

  it('a transform whose output the column type cannot hold', () => {
    refuses(
      rulesFor('members', { birth_date: 'fake-ip' }),
      /members\.birth_date: "fake-ip" gives values a column of type date cannot hold; it fits inet or text columns/,
    );
    refuses(
      rulesFor('members', { last_login_ip: 'fake-name' }),
      /members\.last_login_ip: "fake-name" gives values a column of type inet cannot hold; it fits text columns/,
    );
    refuses(
      rulesFor('members', { name: 'date-shift' }),
      /members\.name: "date-shift" gives values a column of type text cannot hold; it fits date or timestamp columns/,
    );
    refuses(
      rulesFor('items', { price_cents: 'hash' }),
      /items\.price_cents: "hash" gives values a column of type int4 cannot hold/,
    );
    refuses(
      rulesFor('thumbnails', { data: 'redact-text' }),
      /thumbnails\.data: "redact-text" gives values a column of type bytea/,
    );
    refuses(
      rulesFor('jobs', { payload: 'hash' }),
      /jobs\.payload: "hash" gives values a column of type jsonb cannot hold/,
    );
    for (const ok of [
      rulesFor('members', { last_login_ip: 'fake-ip' }),
      rulesFor('members', { phone: 'fake-ip' }),
      rulesFor('jobs', { payload: 'redact-text' }),
      rulesFor('orders', { ordered_at: 'date-shift' }),
    ]) {
      assert.doesNotThrow(() => parseScrubRules(ok, schema), ok);
    }
  });

  it('naming the file it was given', () => {
    assert.throws(
      () => parseScrubRules(rulesFor('members', { id: 'hash' }), schema, '/srv/rules.yaml'),
      (error: Error) => error.message.startsWith('/srv/rules.yaml:3: members.id: '),
    );
  });
});

describe('type families', () => {
  it('read both catalog spellings and ignore modifiers', () => {
    assert.equal(typeFamily('varchar'), 'text');
    assert.equal(typeFamily('character varying(80)'), 'text');
    assert.equal(typeFamily('bpchar'), 'text');
    assert.equal(typeFamily('timestamp(3) with time zone'), 'timestamp');
    assert.equal(typeFamily('timestamptz'), 'timestamp');
    assert.equal(typeFamily('TIMESTAMP WITHOUT TIME ZONE'), 'timestamp');
    assert.equal(typeFamily('jsonb'), 'json');
    assert.equal(typeFamily('_text'), 'other', 'arrays are not text');
    assert.equal(typeFamily('int8'), 'other');
  });
});

describe('unconfigured columns', () => {
  it('are every schema column without a rule, as table.column, in schema order', () => {
    const rules = parseScrubRules(
      rulesFor('members', {
        id: 'keep',
        name: 'fake-name',
        email: 'fake-email',
        address: 'fake-address',
        phone: 'fake-phone',
        birth_date: 'date-shift',
        last_login_ip: 'fake-ip',
        joined_at: 'keep',
      }),
      schema,
    );
    const missing = unconfiguredColumns(rules, schema);
    assert.equal(missing.length, schema.length - 8);
    assert.deepEqual(missing.slice(0, 4), ['shops.id', 'shops.name', 'shops.owner_id', 'items.id']);
    assert.ok(!missing.some((name) => name.startsWith('members.')));
  });

  it('include a column added to the schema after the rules were written', () => {
    const rules = parseScrubRules(shipped, schema);
    const grown = [...schema, col('members', 'passport_number', 'text', { nullable: true })];
    assert.deepEqual(unconfiguredColumns(rules, grown), ['members.passport_number']);
  });
});
