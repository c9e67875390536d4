// The copy's check of free text: every production email, phone and name word in a
// bounded Bloom filter, every scrubbed message's emails, phones and words looked up in it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import {
  ContactCheck,
  ContactFilter,
  createContactFilter,
  filterFailed,
  filterReady,
  mergeFinds,
  type ContactFinds,
} from '../../data/contact-filter.ts';
import { contactChecks } from '../../data/leak-scan.ts';

const emails = Array.from({ length: 100_000 }, (_, i) => `member.${i}@mail${i % 37}.example.com`);

describe('ContactFilter', () => {
  const shared = createContactFilter(emails.length);
  const filter = new ContactFilter(shared);
  for (const email of emails) filter.add(email);

  it('holds every value added', () => {
    assert.equal(emails.filter((email) => !filter.mayHold(email)).length, 0);
  });

  it('holds values never added only by rare chance', () => {
    const others = Array.from({ length: 100_000 }, (_, i) => `someone.${i}@elsewhere.example.org`);
    const chance = others.filter((value) => filter.mayHold(value)).length / others.length;
    assert.ok(chance < 0.005, `chance matches ${chance}`);
  });

  it('is bounded in size however many values, and at least 8 KB (after its state and its 8 KB of first units)', () => {
    assert.ok(createContactFilter(1e9).buffer.byteLength <= 4 + 8 * 1024 + 4 * 1024 * 1024);
    assert.equal(createContactFilter(0).buffer.byteLength, 4 + 8 * 1024 + 8 * 1024);
  });

  it('holds every name word added, looked up inside a text without cutting it out; others only by rare chance', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `Name${i.toString(36)}`);
    const names = new ContactFilter(createContactFilter(words.length));
    for (const word of words) names.addWord(word);
    const text = ` ${words.join(' ')} `;
    let at = 1;
    let missed = 0;
    for (const word of words) {
      if (!names.mayHoldWord(text, at, at + word.length)) missed++;
      at += word.length + 1;
    }
    assert.equal(missed, 0);
    const others = Array.from({ length: 20_000 }, (_, i) => `Other${i}`);
    assert.ok(others.filter((word) => names.mayHoldWord(word, 0, word.length)).length / others.length < 0.005);
    // No name word starts with a lower-case n: such words are passed over by their first unit.
    assert.equal(words.filter((word) => names.mayHoldWord(word.toLowerCase(), 0, word.length)).length, 0);
  });

  it('tells waiting threads whether it was filled', () => {
    const ready = createContactFilter(10);
    new ContactFilter(ready).settle(filterReady);
    assert.equal(new ContactFilter(ready).waitReady(), true);
    const failed = createContactFilter(10);
    new ContactFilter(failed).settle(filterFailed);
    assert.equal(new ContactFilter(failed).waitReady(), false);
  });
});

describe('ContactCheck', () => {
  const shared = createContactFilter(4);
  const filter = new ContactFilter(shared);
  // Phone numbers by their digits, as the fill adds them and the finder gives them.
  for (const value of ['maria@example.com', '14155552671']) filter.add(value);
  for (const word of ['Maria', "O'Brien", 'Jean-Luc']) filter.addWord(word);

  it("finds production's emails as written and phones by their digits, counted per occurrence; others are not held", () => {
    const check = new ContactCheck(() => filter);
    check.inspect('write to maria@example.com or call +1 (415) 555-2671');
    check.inspect(
      'maria@example.com again, u3f@example.invalid is a fake, so is +1-555-0100-1234; +1 415.555.2671 is hers',
    );
    check.inspect('nothing here');
    const finds = check.finds();
    assert.equal(finds.rows, 3);
    assert.deepEqual(finds.emails, [['maria@example.com', 2]]);
    assert.deepEqual(finds.phones, [['14155552671', 2]]);
    assert.deepEqual(finds.unconfirmed, { emails: 0, phones: 0, names: 0 });
  });

  it("finds production's name words as whole words, as written", () => {
    const check = new ContactCheck(() => filter);
    check.inspect("Maria wrote to O'Brien and Jean-Luc.");
    check.inspect('Mariana, maria and Luc are other words; Maria-Luisa is one word');
    check.inspect('(Maria)');
    assert.deepEqual(check.finds().names, [
      ['Maria', 2],
      ["O'Brien", 1],
      ['Jean-Luc', 1],
    ]);
  });

  it('holds at most 10,000 distinct matches per kind; the rest are counted as unconfirmed', () => {
    const everything = { mayHold: () => true, mayHoldWord: () => true } as unknown as ContactFilter;
    const check = new ContactCheck(() => everything);
    // A word of letters of its own per value: i in base 26, a to z.
    const word = (i: number) =>
      `Q${[...i.toString(26)].map((digit) => String.fromCharCode(97 + parseInt(digit, 26))).join('')}`;
    for (let i = 0; i < 10_005; i++) check.inspect(`x${i}@example.com ${word(i)}`);
    const finds = check.finds();
    assert.equal(finds.emails.length, 10_000);
    // Words too: "x", "example" and "com" (held at the first value, then counted), and one new word per value.
    assert.equal(finds.names.length, 10_000);
    assert.deepEqual(finds.names.slice(0, 3), [
      ['x', 10_005],
      ['example', 10_005],
      ['com', 10_005],
    ]);
    assert.deepEqual(finds.unconfirmed, { emails: 5, phones: 0, names: 8 });
  });

  it('merges the finds of two parts, adding the counts and keeping the bound', () => {
    const none = { emails: 0, phones: 0, names: 0 };
    const merged = mergeFinds(
      { rows: 2, emails: [['a@x.org', 1]], phones: [], names: [['Maria', 2]], unconfirmed: { ...none, emails: 1 } },
      {
        rows: 3,
        emails: [
          ['a@x.org', 2],
          ['b@x.org', 1],
        ],
        phones: [['555 0100', 1]],
        names: [['Maria', 1]],
        unconfirmed: none,
      },
    );
    assert.deepEqual(merged, {
      rows: 5,
      emails: [
        ['a@x.org', 3],
        ['b@x.org', 1],
      ],
      phones: [['555 0100', 1]],
      names: [['Maria', 3]],
      unconfirmed: { ...none, emails: 1 },
    });
    const full = {
      rows: 1,
      emails: Array.from({ length: 10_000 }, (_, i): [string, number] => [`${i}@x.org`, 1]),
      phones: [],
      names: [],
      unconfirmed: none,
    };
    assert.deepEqual(
      mergeFinds(full, { rows: 1, emails: [['new@x.org', 4]], phones: [], names: [], unconfirmed: none }).unconfirmed,
      { ...none, emails: 4 },
    );
  });
});

describe('contactChecks', () => {
  const personal = [
    { table: 'members', column: 'name', kind: 'name' as const },
    { table: 'messages', column: 'body', kind: 'text' as const },
  ];
  // Names are confirmed against the words read once; no email or phone column asks prod anything.
  const prod = { query: () => Promise.reject(new Error('prod was asked')) } as unknown as pg.Client;
  const finds = (names: [string, number][], unconfirmed = 0): ContactFinds => ({
    rows: 50,
    emails: [],
    phones: [],
    names,
    unconfirmed: { emails: 0, phones: 0, names: unconfirmed },
  });

  it("counts the words found that are production's name words, by how often, plus what could not be held", async () => {
    const checks = await contactChecks(
      prod,
      personal,
      [
        {
          table: 'messages',
          contacts: {
            body: finds(
              [
                ['Maria', 3],
                ['Lopez', 1],
                ['Kavozel', 5],
              ],
              2,
            ),
          },
        },
      ],
      new Set(['Maria', 'Lopez']),
    );
    assert.deepEqual(
      checks.map((c) => [c.what, c.hits, c.scanned, c.sample]),
      [
        ['messages.body (text: emails, every row, during the copy)', 0, 50, 1],
        ['messages.body (text: phones, every row, during the copy)', 0, 50, 1],
        ['messages.body (text: names, every row, during the copy)', 3 + 1 + 2, 50, 1],
      ],
    );
  });

  it('finds nothing in words that are no name', async () => {
    const [, , names] = await contactChecks(
      prod,
      personal,
      [{ table: 'messages', contacts: { body: finds([['Kavozel', 5]]) } }],
      new Set(['Maria']),
    );
    assert.equal(names!.hits, 0);
  });
});
