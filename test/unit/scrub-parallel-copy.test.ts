import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postDataEntries } from '../../data/catalog.ts';
import { splitTable } from '../../data/parallel-copy.ts';
import { partQuery } from '../../data/table-copy.ts';

describe('the parallel copy plan', () => {
  it('cuts a big table into key ranges that cover every key exactly once', () => {
    const parts = splitTable('members', ['id', 'name'], { column: 'id', min: 1, max: 120_001 }, 50_000);
    assert.deepEqual(
      parts.map((p) => p.range && [p.range.from, p.range.to]),
      [
        [1, 50_000],
        [50_001, 100_000],
        [100_001, 120_001],
      ],
    );
  });

  it('keeps a small table, or one without an integer key, whole', () => {
    assert.deepEqual(splitTable('shops', ['id'], { column: 'id', min: 1, max: 100 }, 50_000), [
      { table: 'shops', columns: ['id'] },
    ]);
    assert.deepEqual(splitTable('thumbnails', ['file'], undefined, 50_000), [
      { table: 'thumbnails', columns: ['file'] },
    ]);
  });

  it('reads a part with quoted names and its range', () => {
    assert.equal(
      partQuery({ table: 'orders', columns: ['id', 'buyer_id'], range: { key: 'id', from: 1, to: 10 } }),
      'SELECT "id", "buyer_id" FROM "orders" WHERE "id" BETWEEN 1 AND 10',
    );
    assert.equal(partQuery({ table: 'we"ird', columns: ['a'] }), 'SELECT "a" FROM "we""ird"');
  });

  it("names the table each post-data entry needs: a table's own key or index, none for foreign keys and the unknown", () => {
    const lines = [
      '3232; 2606 16391 CONSTRAINT public members members_pkey shop',
      '3234; 2606 16393 CONSTRAINT public members members_email_key shop',
      '3236; 1259 16420 INDEX public messages_sender_id shop',
      '3245; 2606 16437 FK CONSTRAINT public messages messages_sender_id_fkey shop',
      '3250; 2620 16440 TRIGGER public members audit shop',
      '3251; 1259 16441 INDEX public members_email_lower shop',
    ];
    const known = [
      { table: 'members', entry: 'CONSTRAINT public members members_pkey' },
      { table: 'members', entry: 'CONSTRAINT public members members_email_key' },
      { table: 'messages', entry: 'INDEX public messages_sender_id' },
    ];
    assert.deepEqual(
      postDataEntries(lines, known).map((entry) => entry.table),
      ['members', 'members', 'messages', undefined, undefined, undefined],
      'foreign keys, triggers and indexes it was not told of wait for every table',
    );
  });
});
