import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitTable } from '../../stacks/data/parallel-copy.ts';
import { partQuery } from '../../stacks/data/table-copy.ts';

describe('the parallel copy plan', () => {
  it('cuts a big table into key ranges that cover every key exactly once', () => {
    const parts = splitTable('members', ['id', 'name'], { column: 'id', min: 1, max: 120_001 }, 50_000);
    assert.deepEqual(parts.map((p) => p.range && [p.range.from, p.range.to]), [[1, 50_000], [50_001, 100_000], [100_001, 120_001]]);
  });

  it('keeps a small table, or one without an integer key, whole', () => {
    assert.deepEqual(splitTable('shops', ['id'], { column: 'id', min: 1, max: 100 }, 50_000), [{ table: 'shops', columns: ['id'] }]);
    assert.deepEqual(splitTable('thumbnails', ['file'], undefined, 50_000), [{ table: 'thumbnails', columns: ['file'] }]);
  });

  it('reads a part with quoted names and its range', () => {
    assert.equal(partQuery({ table: 'orders', columns: ['id', 'buyer_id'], range: { key: 'id', from: 1, to: 10 } }), 'SELECT "id", "buyer_id" FROM "orders" WHERE "id" BETWEEN 1 AND 10');
    assert.equal(partQuery({ table: 'we"ird', columns: ['a'] }), 'SELECT "a" FROM "we""ird"');
  });
});
