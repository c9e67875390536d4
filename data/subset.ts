// A referentially consistent sample of princess for a developer's database:
// P% of the members (chosen by a hash of their id, so the same members every
// time), their shops and those shops' items, and only the orders and messages
// whose every reference is inside the sample.

export interface SubsetTable {
  table: string;
  columns: string[];
  /** SELECT producing the table's rows of the sample */
  select: string;
}

export function subsetQueries(percent: number): SubsetTable[] {
  if (!(percent > 0 && percent <= 100)) throw new Error(`--percent must be above 0 and at most 100, got ${percent}`);
  const basisPoints = Math.round(percent * 100);
  const members = `SELECT id FROM members WHERE abs(hashint8(id)) % 10000 < ${basisPoints}`;
  const shops = `SELECT id FROM shops WHERE owner_id IN (${members})`;
  const items = `SELECT id FROM items WHERE shop_id IN (${shops})`;
  const table = (name: string, columns: string[], where: string): SubsetTable => ({
    table: name,
    columns,
    select: `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${name} WHERE ${where}`,
  });
  return [
    table(
      'members',
      ['id', 'name', 'email', 'address', 'phone', 'birth_date', 'last_login_ip', 'joined_at'],
      `id IN (${members})`,
    ),
    table('shops', ['id', 'name', 'owner_id'], `id IN (${shops})`),
    table('items', ['id', 'shop_id', 'title', 'price_cents'], `id IN (${items})`),
    table(
      'orders',
      ['id', 'buyer_id', 'item_id', 'quantity', 'total_cents', 'shipping_address', 'ordered_at'],
      `buyer_id IN (${members}) AND item_id IN (${items})`,
    ),
    table(
      'messages',
      ['id', 'sender_id', 'recipient_id', 'body', 'sent_at'],
      `sender_id IN (${members}) AND recipient_id IN (${members})`,
    ),
  ];
}
