// The production-data generator: deterministic rows whose foreign keys all land,
// written as COPY TEXT that PostgreSQL reads back as the values meant.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeField } from '../../data/copy-text.ts';
import {
  copyLines,
  dataset,
  memberRecord,
  planSizes,
  shopRecord,
  tableColumns,
  tableOrder,
  type Dataset,
  type TableName,
} from '../../data/generate.ts';
import * as vocabulary from '../../data/vocabulary.ts';

type Row = (string | null)[];

const unescapes: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', '\\': '\\' };

/** A COPY TEXT line back to its values (the escapes the generator writes, nothing more). */
function parseLine(line: string): Row {
  assert.ok(line.endsWith('\n'), 'a line ends in a newline');
  const body = line.slice(0, -1);
  assert.ok(!/[\n\r]/.test(body), `a raw line break inside a row: ${JSON.stringify(line)}`);
  return body
    .split('\t')
    .map((field) =>
      field === '\\N'
        ? null
        : field.replace(
            /\\(.)/gs,
            (_, char: string) =>
              unescapes[char] ?? assert.fail(`unexpected escape \\${char} in ${JSON.stringify(line)}`),
          ),
    );
}

function allText(data: Dataset): string {
  return tableOrder.map((table) => [...copyLines(data, table)].join('')).join('');
}

function parsedTables(data: Dataset): Record<TableName, Row[]> {
  const entries = tableOrder.map((table) => [table, [...copyLines(data, table)].map(parseLine)] as const);
  return Object.fromEntries(entries) as Record<TableName, Row[]>;
}

const text = (row: Row, index: number): string => {
  const value = row[index];
  assert.equal(typeof value, 'string');
  return value as string;
};
const int = (row: Row, index: number): number => Number(text(row, index));

const data = dataset(7, 1_000);
const tables = parsedTables(data);
const members = tables.members;

describe('planSizes', () => {
  it('gives about ten listings per shop, two orders and two messages per member', () => {
    assert.deepEqual(planSizes(1_000), { members: 1_000, shops: 100, items: 1_000, orders: 2_000, messages: 2_000 });
    assert.deepEqual(planSizes(1_000_000), {
      members: 1_000_000,
      shops: 100_000,
      items: 1_000_000,
      orders: 2_000_000,
      messages: 2_000_000,
    });
  });

  it('refuses member counts outside 10^3..10^6 in one line', () => {
    for (const bad of [0, -5, 999, 1_000_001, 1500.5, Number.NaN]) {
      assert.throws(
        () => planSizes(bad),
        (e: Error) =>
          /members must be a whole number from 1000 to 1000000/.test(e.message) && !e.message.includes('\n'),
        String(bad),
      );
    }
  });

  it('has a seed refused the same way', () => {
    for (const bad of [-1, 1.5, 2 ** 32]) assert.throws(() => dataset(bad, 1_000), /the seed must be a whole number/);
  });
});

describe('generated rows', () => {
  it('are the same for the same seed, byte for byte, and differ for another seed', () => {
    const once = allText(dataset(7, 1_000));
    assert.ok(Buffer.from(once).equals(Buffer.from(allText(dataset(7, 1_000)))));
    assert.notEqual(once, allText(dataset(8, 1_000)));
  });

  it('come in the planned numbers, ids 1..n, every column filled', () => {
    const sizes = planSizes(1_000);
    for (const table of tableOrder) {
      const rows = tables[table];
      assert.equal(rows.length, sizes[table], table);
      rows.forEach((row, i) => {
        assert.equal(row.length, tableColumns[table].length, `${table} ${i + 1}`);
        assert.equal(int(row, 0), i + 1);
        const nullable = table === 'members' ? [tableColumns.members.indexOf('last_login_ip')] : [];
        row.forEach((value, column) =>
          assert.ok(
            value !== null || nullable.includes(column),
            `${table} ${i + 1} ${tableColumns[table][column]} is null`,
          ),
        );
      });
    }
  });

  it('give every member a unique email under a reserved example domain', () => {
    const emails = members.map((row) => text(row, 2));
    assert.equal(new Set(emails).size, emails.length);
    for (const email of emails) assert.match(email, /^[a-z0-9._]+@([a-z]+\.)*example(\.(com|net|org))?$/);
  });

  it('give shops unique names, even at the largest size', () => {
    assert.equal(new Set(tables.shops.map((row) => text(row, 1))).size, tables.shops.length);
    const largest = dataset(7, 1_000_000);
    const names = new Set<string>();
    for (let id = 1; id <= largest.sizes.shops; id++) names.add(shopRecord(largest, id).name);
    assert.equal(names.size, largest.sizes.shops);
  });

  it('have every foreign key pointing at a row that exists', () => {
    const inRange = (value: number, count: number, what: string) =>
      assert.ok(Number.isInteger(value) && value >= 1 && value <= count, `${what} = ${value}`);
    for (const row of tables.shops) inRange(int(row, 2), members.length, 'shops.owner_id');
    for (const row of tables.items) inRange(int(row, 1), tables.shops.length, 'items.shop_id');
    for (const row of tables.orders) {
      inRange(int(row, 1), members.length, 'orders.buyer_id');
      inRange(int(row, 2), tables.items.length, 'orders.item_id');
    }
    for (const row of tables.messages) {
      inRange(int(row, 1), members.length, 'messages.sender_id');
      inRange(int(row, 2), members.length, 'messages.recipient_id');
      assert.notEqual(int(row, 1), int(row, 2), 'members do not write to themselves');
    }
  });

  it('have orders that add up and come after the buyer joined', () => {
    let home = 0;
    for (const row of tables.orders) {
      const buyer = members[int(row, 1) - 1]!;
      const item = tables.items[int(row, 2) - 1]!;
      assert.ok(int(row, 3) > 0);
      assert.equal(int(row, 4), int(item, 3) * int(row, 3));
      assert.ok(text(row, 6) > text(buyer, 7), `order ${text(row, 0)} before its buyer joined`);
      if (text(row, 5) === text(buyer, 3)) home++;
    }
    assert.ok(
      home > tables.orders.length / 2 && home < tables.orders.length,
      `${home} orders shipped to the buyer's own address`,
    );
  });

  it("have messages that name the recipient exactly, and only ever give the sender's email", () => {
    let withEmail = 0;
    for (const row of tables.messages) {
      const body = text(row, 3);
      const sender = members[int(row, 1) - 1]!;
      const recipient = members[int(row, 2) - 1]!;
      assert.ok(
        body.includes(text(recipient, 1)),
        `message ${text(row, 0)} does not name ${text(recipient, 1)}: ${body}`,
      );
      for (const email of body.match(/[\w.]+@[\w.]+\.example(\.\w+)?/g) ?? []) assert.equal(email, text(sender, 2));
      if (body.includes(text(sender, 2))) withEmail++;
      assert.ok(text(row, 4) > text(sender, 7) && text(row, 4) > text(recipient, 7), 'sent after both joined');
    }
    assert.ok(withEmail > 0 && withEmail < tables.messages.length, `${withEmail} messages give an email`);
  });

  it('give members plausible birth dates, phones and public login addresses', () => {
    let nulls = 0;
    for (const row of members) {
      const born = text(row, 5);
      assert.match(born, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(new Date(`${born}T00:00:00Z`).toISOString().slice(0, 10), born, 'a real calendar date');
      assert.ok(born >= '1940-01-01' && born <= '2007-12-31', born);
      assert.match(text(row, 4), /^[+(\d][\d ()+-]{8,}\d$/);
      const ip = row[6] ?? null;
      if (ip === null) {
        nulls++;
        continue;
      }
      const octets = ip.split('.').map(Number);
      assert.equal(octets.length, 4);
      const [a = -1, b = -1] = octets;
      assert.ok(
        octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255),
        ip,
      );
      const reserved =
        a === 0 ||
        a === 10 ||
        a === 127 ||
        a >= 224 ||
        (a === 172 && b >= 16 && b <= 31) ||
        (a === 192 && b === 168) ||
        (a === 169 && b === 254) ||
        (a === 100 && b >= 64 && b <= 127);
      assert.ok(!reserved, `${ip} is not a public address`);
    }
    assert.ok(nulls > 0 && nulls < members.length / 2, `${nulls} members never logged in`);
  });

  it('are the records memberRecord recomputes for any id', () => {
    for (const id of [1, 2, 500, 1_000]) {
      const member = memberRecord(data, id);
      const row = members[id - 1]!;
      assert.deepEqual(
        [member.name, member.email, member.address, member.phone, member.birthDate, member.lastLoginIp],
        row.slice(1, 7),
      );
      assert.equal(
        new Date(member.joinedAt * 1000).toISOString().replace('T', ' ').replace('.000Z', '+00'),
        text(row, 7),
      );
    }
    assert.throws(() => memberRecord(data, 1_001), /members id 1001 is outside 1\.\.1000/);
    assert.throws(() => memberRecord(data, 0), /outside/);
  });
});

describe('COPY TEXT escaping', () => {
  it('escapes backslash, tab, newline and carriage return, and leaves other text alone', () => {
    assert.equal(encodeField('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
    assert.equal(encodeField('C:\\new\\table'), 'C:\\\\new\\\\table');
    assert.equal(encodeField("María O'Brien, 12 Queen Street"), "María O'Brien, 12 Queen Street");
  });

  it('carries message bodies with line breaks, tabs and backslashes through a round trip', () => {
    const bodies = tables.messages.map((row) => text(row, 3));
    for (const special of ['\n', '\t', '\r\n', '\\'])
      assert.ok(
        bodies.some((body) => body.includes(special)),
        `some body has ${JSON.stringify(special)}`,
      );
  });
});

describe('vocabulary', () => {
  const names = [...vocabulary.firstNames, ...vocabulary.lastNames];

  it('has about 150 first and last names, none twice, none shorter than three letters', () => {
    for (const list of [vocabulary.firstNames, vocabulary.lastNames]) {
      assert.ok(list.length >= 140 && list.length <= 170, `${list.length} names`);
      assert.equal(new Set(list).size, list.length);
    }
    for (const name of names) assert.ok(name.replace(/[^\p{L}]/gu, '').length >= 3, name);
  });

  it('uses no name as a word anywhere else, so a leak scan finds only real leaks', () => {
    const elsewhere = [
      ...vocabulary.cities.map((city) => city.name),
      ...vocabulary.streetNames,
      ...vocabulary.streetSuffixes,
      ...vocabulary.shopLeads,
      ...vocabulary.shopMiddles,
      ...vocabulary.shopKinds,
      ...vocabulary.itemStyles,
      ...vocabulary.itemMaterials,
      ...vocabulary.itemObjects,
      ...vocabulary.itemVariants,
      ...vocabulary.messageTemplates,
    ].join('\n');
    for (const name of names) {
      const word = new RegExp(`(?<!\\p{L})${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\p{L})`, 'u');
      assert.ok(!word.test(elsewhere), `${name} also appears outside the names`);
    }
  });

  it('has message templates that all name the recipient and use only known placeholders', () => {
    for (const template of vocabulary.messageTemplates) {
      assert.ok(template.includes('{recipient}'), template);
      for (const [, name] of template.matchAll(/\{(\w+)\}/g))
        assert.ok(['recipient', 'item', 'shop', 'email', 'phone'].includes(name ?? ''), `{${name}} in ${template}`);
    }
  });

  it('has enough shop name parts for the largest plan', () => {
    const combinations = vocabulary.shopLeads.length * vocabulary.shopMiddles.length * vocabulary.shopKinds.length;
    assert.ok(combinations >= planSizes(1_000_000).shops);
    for (const word of [...vocabulary.shopLeads, ...vocabulary.shopMiddles])
      assert.ok(!word.includes(' '), `${word} must be one word`);
  });
});

describe('generation speed', () => {
  it('is printed for 10^4 members', (t) => {
    const large = dataset(1, 10_000);
    const start = performance.now();
    let rows = 0;
    for (const table of tableOrder) for (const _line of copyLines(large, table)) rows++;
    const seconds = (performance.now() - start) / 1000;
    t.diagnostic(`${rows} rows for 10^4 members in ${seconds.toFixed(2)} s: ${Math.round(rows / seconds)} rows/s`);
  });
});
