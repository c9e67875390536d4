// Development data generated from a seed name: the same name always gives the
// same shops and items, so every developer's stack shows the same shop.

export interface SeedShop {
  id: number;
  name: string;
}

export interface SeedItem {
  id: number;
  shopId: number;
  title: string;
  priceCents: number;
}

export interface Seed {
  shops: SeedShop[];
  items: SeedItem[];
}

const shopFirst = ['Copper', 'Juniper', 'Harbor', 'Lantern', 'Meadow', 'Granite', 'Saffron', 'Willow'];
const shopSecond = ['Goods', 'Workshop', 'Supply', 'Market', 'Trading Co.', 'Studio'];
const adjectives = [
  'Brass',
  'Linen',
  'Oak',
  'Ceramic',
  'Woollen',
  'Walnut',
  'Enamel',
  'Cork',
  'Slate',
  'Canvas',
  'Glass',
  'Leather',
];
const nouns = [
  'Teapot',
  'Notebook',
  'Lamp',
  'Mug',
  'Scarf',
  'Cutting Board',
  'Planter',
  'Coaster Set',
  'Tote Bag',
  'Candle',
  'Clock',
  'Bowl',
];

/** 32-bit FNV-1a: turns the seed name into the generator's starting state. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, and the same on every platform. */
export function random(seedName: string): () => number {
  let state = hash(seedName);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(values: readonly T[], next: () => number): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function combinations(first: readonly string[], second: readonly string[]): string[] {
  return first.flatMap((a) => second.map((b) => `${a} ${b}`));
}

export function generateSeed(seedName: string, counts = { shops: 4, items: 50 }): Seed {
  const next = random(seedName);
  const shopNames = shuffled(combinations(shopFirst, shopSecond), next).slice(0, counts.shops);
  const titles = shuffled(combinations(adjectives, nouns), next).slice(0, counts.items);
  const shops = shopNames.map((name, i) => ({ id: i + 1, name }));
  const items = titles.map((title, i) => ({
    id: i + 1,
    shopId: 1 + Math.floor(next() * shops.length),
    title,
    // $2.99 to $89.99, in whole dollars and 99 cents, as shops like to price
    priceCents: (2 + Math.floor(next() * 88)) * 100 + 99,
  }));
  return { shops, items };
}
