// The copy's check of free text: every production email and phone in a bounded
// Bloom filter, every scrubbed message's emails and phones looked up in it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContactCheck, ContactFilter, createContactFilter, filterFailed, filterReady, mergeFinds } from '../../stacks/data/contact-filter.ts';

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

  it('is bounded in size however many values, and at least 8 KB', () => {
    assert.ok(createContactFilter(1e9).buffer.byteLength <= 4 + 4 * 1024 * 1024);
    assert.equal(createContactFilter(0).buffer.byteLength, 4 + 8 * 1024);
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
  for (const value of ['maria@example.com', '+1 (415) 555-2671']) filter.add(value);

  it("finds production's emails and phones in text as written, counted per occurrence; others are not held", () => {
    const check = new ContactCheck(() => filter);
    check.inspect('write to maria@example.com or call +1 (415) 555-2671');
    check.inspect('maria@example.com again, u3f@example.invalid is a fake, so is +1-555-0100-1234');
    check.inspect('nothing here');
    const finds = check.finds();
    assert.equal(finds.rows, 3);
    assert.deepEqual(finds.emails, [['maria@example.com', 2]]);
    assert.deepEqual(finds.phones, [['+1 (415) 555-2671', 1]]);
    assert.equal(finds.unconfirmed, 0);
  });

  it('holds at most 10,000 distinct matches per kind; the rest are counted as unconfirmed', () => {
    const everything = { mayHold: () => true } as unknown as ContactFilter;
    const check = new ContactCheck(() => everything);
    for (let i = 0; i < 10_005; i++) check.inspect(`x${i}@example.com`);
    const finds = check.finds();
    assert.equal(finds.emails.length, 10_000);
    assert.equal(finds.unconfirmed, 5);
  });

  it('merges the finds of two parts, adding the counts and keeping the bound', () => {
    const merged = mergeFinds(
      { rows: 2, emails: [['a@x.org', 1]], phones: [], unconfirmed: 1 },
      { rows: 3, emails: [['a@x.org', 2], ['b@x.org', 1]], phones: [['555 0100', 1]], unconfirmed: 0 },
    );
    assert.deepEqual(merged, { rows: 5, emails: [['a@x.org', 3], ['b@x.org', 1]], phones: [['555 0100', 1]], unconfirmed: 1 });
    const full = { rows: 1, emails: Array.from({ length: 10_000 }, (_, i): [string, number] => [`${i}@x.org`, 1]), phones: [], unconfirmed: 0 };
    assert.equal(mergeFinds(full, { rows: 1, emails: [['new@x.org', 4]], phones: [], unconfirmed: 0 }).unconfirmed, 4);
  });
});
