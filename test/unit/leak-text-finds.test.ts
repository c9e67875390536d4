// The leak scan's reading of free text: emails, phone-shaped runs and words, and
// the probe queries it looks them up in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findInText, wordSet, type TextFindKind } from '../../data/text-finds.ts';
import { fullValueScanLimit, probes, unchangedChecks } from '../../data/leak-scan.ts';

function finds(text: string, only?: Parameters<typeof findInText>[2]): Record<TextFindKind, string[]> {
  const found: Record<TextFindKind, string[]> = { emails: [], phones: [], names: [] };
  findInText(text, (kind, value) => found[kind].push(value), only);
  return found;
}

describe('findInText', () => {
  it('finds emails and phone numbers as PostgreSQL matched them before, phone numbers by their digits', () => {
    const found = finds('Mail maria.lopez+shop@mail.example.com or call +1 (415) 555-2671, order 12.');
    assert.deepEqual(found.emails, ['maria.lopez+shop@mail.example.com']);
    assert.deepEqual(found.phones, ['14155552671']);
  });

  it('reads words of letters, apostrophes and hyphens in any script', () => {
    assert.deepEqual(finds("Thanks Seán O'Brien, Min-jun and Łukasz! 日本 ok").names, [
      'Thanks',
      'Seán',
      "O'Brien",
      'Min-jun',
      'and',
      'Łukasz',
      '日本',
      'ok',
    ]);
  });

  it('splits words at digits, punctuation, emoji and the ends of the text', () => {
    assert.deepEqual(finds('Maria🙂Lopez2Anna_Smith').names, ['Maria', 'Lopez', 'Anna', 'Smith']);
    assert.deepEqual(finds('').names, []);
    assert.deepEqual(finds('  ').names, []);
    assert.deepEqual(finds('Anna').names, ['Anna']);
  });

  it('keeps letters outside the basic plane whole', () => {
    assert.deepEqual(finds('𝒜nna x').names, ['𝒜nna', 'x']);
    assert.deepEqual(finds('x Ann𝒜').names, ['x', 'Ann𝒜'], 'at the end of the text too');
  });

  it('with a word set, reports only its words (whole words, case as written), emails and phones still all', () => {
    const found = finds(
      'Maria met Mariana and maria; Lopez-Maria? mail a@b.io 555 123 4567',
      wordSet(['Maria', 'Lopez-Maria', '']),
    );
    assert.deepEqual(found.names, ['Maria', 'Lopez-Maria']);
    assert.deepEqual([found.emails, found.phones], [['a@b.io'], ['5551234567']]);
  });

  it('skips the email and phone passes when the text cannot hold one', () => {
    const found = finds('no at sign and no digits here');
    assert.deepEqual([found.emails, found.phones], [[], []]);
  });
});

describe('probes', () => {
  const personal = [
    { table: 'members', column: 'name', kind: 'name' as const },
    { table: 'members', column: 'birth_date', kind: 'date' as const },
    { table: 'orders', column: 'shipping_address', kind: 'address' as const },
    { table: 'messages', column: 'body', kind: 'text' as const },
  ];

  it("holds every value of small tables, row keyed for dates, and the words of production's names", () => {
    const [name, date, address, words, ...rest] = probes(
      personal,
      { members: 'id' },
      { members: 1000, orders: 2000, messages: 5000 },
    );
    assert.equal(rest.length, 0);
    assert.deepEqual(
      [name, date, address, words].map((p) => [p!.source, p!.sample]),
      [
        ['members.name', 1],
        ['members.birth_date', 1],
        ['orders.shipping_address', 1],
        ['name-word', 1],
      ],
    );
    assert.equal(name!.query, `SELECT NULL::text, "name"::text FROM "members" WHERE "name" IS NOT NULL`);
    assert.equal(date!.query, `SELECT "id"::text, "birth_date"::text FROM "members" WHERE "birth_date" IS NOT NULL`);
    assert.equal(
      words!.query,
      undefined,
      "filled from production's name words as the rebuild read them once, not by a query of its own",
    );
    assert.equal(new Set([name, date, address, words].map((p) => p!.table)).size, 4, 'a probe table each');
  });

  it('has no name-word probe without free text to look for name words in', () => {
    const sources = probes(
      personal.filter((c) => c.kind !== 'text'),
      { members: 'id' },
      { members: 1000, orders: 2000 },
    ).map((p) => p.source);
    assert.deepEqual(sources, ['members.name', 'members.birth_date', 'orders.shipping_address']);
  });

  it('samples the values of tables above the limit, the same sample each time, and states the fraction', () => {
    const [, , address] = probes(personal, { members: 'id' }, { members: 1000, orders: fullValueScanLimit * 8 });
    assert.equal(address!.sample, 1 / 8);
    assert.match(address!.query ?? '', /FROM "orders" TABLESAMPLE BERNOULLI \(12\.5000\) REPEATABLE \(7\)/);
  });
});

describe('unchangedChecks', () => {
  it("turns the copy's row-by-row counts into leak checks", () => {
    assert.deepEqual(
      unchangedChecks([
        { table: 'members', rows: 10, unchanged: { email: 3, phone: 0 } },
        { table: 'items', rows: 5, unchanged: {} },
      ]),
      [
        { what: 'members.email (row by row, during the copy)', scanned: 10, sample: 1, hits: 3 },
        { what: 'members.phone (row by row, during the copy)', scanned: 10, sample: 1, hits: 0 },
      ],
    );
  });
});
