// Production-like marketplace data, generated from a seed as COPY TEXT lines.
//
// Every row is a pure function of (seed, members, table, id): its random numbers
// come from a generator seeded from those alone. So nothing is kept in memory
// between rows, a million members cost no more memory than a thousand, and an
// order can look up its buyer's address (or a message its recipient's name) by
// recomputing that member in O(1).
import { encodeField } from './copy-text.ts';
import { mix32 } from './mix32.ts';
import {
  addressFormats,
  cities,
  emailDomains,
  firstNames,
  itemMaterials,
  itemObjects,
  itemStyles,
  itemVariants,
  lastNames,
  messageTemplates,
  phoneFormats,
  shopKinds,
  shopLeads,
  shopMiddles,
  streetNames,
  streetSuffixes,
  type City,
  type Country,
} from './vocabulary.ts';

export type TableName = 'members' | 'shops' | 'items' | 'orders' | 'messages';

/** Tables in foreign-key order: each after the tables it references. */
export const tableOrder: readonly TableName[] = ['members', 'shops', 'items', 'orders', 'messages'];

/** The columns of each table, in the order its COPY lines give them. */
export const tableColumns: Readonly<Record<TableName, readonly string[]>> = {
  members: ['id', 'name', 'email', 'address', 'phone', 'birth_date', 'last_login_ip', 'joined_at'],
  shops: ['id', 'name', 'owner_id'],
  items: ['id', 'shop_id', 'title', 'price_cents'],
  orders: ['id', 'buyer_id', 'item_id', 'quantity', 'total_cents', 'shipping_address', 'ordered_at'],
  messages: ['id', 'sender_id', 'recipient_id', 'body', 'sent_at'],
};

export type Sizes = Record<TableName, number>;

/** Row counts for a number of members; ids of each table run from 1 to its count. */
export function planSizes(members: number): Sizes {
  if (!Number.isInteger(members) || members < 1_000 || members > 1_000_000) {
    throw new Error(`members must be a whole number from 1000 to 1000000, got ${members}`);
  }
  const shops = Math.floor(members / 10);
  return { members, shops, items: members, orders: 2 * members, messages: 2 * members };
}

// Each row draws from its own random stream. A member's fields come from four,
// so that an order can recompute its buyer's address without the name, email,
// birth date and the rest.
type Stream = 'joined' | 'identity' | 'home' | 'member' | 'shops' | 'items' | 'orders' | 'messages';
const streams: readonly Stream[] = ['joined', 'identity', 'home', 'member', 'shops', 'items', 'orders', 'messages'];

export interface Dataset {
  readonly seed: number;
  readonly sizes: Sizes;
  /** per stream, the seed's contribution to each row's random numbers */
  readonly streamKeys: Readonly<Record<Stream, number>>;
  /** shop names: shop id i gets name number (step * (i - 1) + offset) mod shopNameCount */
  readonly shopNameStep: number;
  readonly shopNameOffset: number;
}

export function dataset(seed: number, members: number): Dataset {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`the seed must be a whole number from 0 to 4294967295, got ${seed}`);
  const sizes = planSizes(members);
  const key = (tag: number): number => mix32(mix32(seed) ^ mix32(tag + 0x632be5ab));
  const streamKeys = Object.fromEntries(streams.map((stream, i) => [stream, key(i + 1)])) as Record<Stream, number>;
  const rng = new Rng(key(0));
  // An affine map is a bijection on [0, count) when its step is coprime with the
  // count: distinct shop ids get distinct names, with no set of used names kept.
  let shopNameStep = 1 + rng.below(shopNameCount - 1);
  while (gcd(shopNameStep, shopNameCount) !== 1) shopNameStep = 1 + rng.below(shopNameCount - 1);
  return { seed, sizes, streamKeys, shopNameStep, shopNameOffset: rng.below(shopNameCount) };
}

// ---- Records ------------------------------------------------------------------

export interface Member {
  id: number;
  /** "First Last"; the same name may belong to several members, as in life */
  name: string;
  email: string;
  address: string;
  phone: string;
  /** YYYY-MM-DD */
  birthDate: string;
  lastLoginIp: string | null;
  /** seconds since the Unix epoch */
  joinedAt: number;
}

export interface Shop {
  id: number;
  name: string;
  ownerId: number;
}

export interface Item {
  id: number;
  shopId: number;
  title: string;
  priceCents: number;
}

export interface Order {
  id: number;
  buyerId: number;
  itemId: number;
  quantity: number;
  totalCents: number;
  shippingAddress: string;
  /** seconds since the Unix epoch */
  orderedAt: number;
}

export interface Message {
  id: number;
  senderId: number;
  recipientId: number;
  body: string;
  /** seconds since the Unix epoch */
  sentAt: number;
}

// The data set's "now" is fixed, not the clock's, so a seed always gives the same rows.
const dayMs = 86_400_000;
const dataEnd = Date.UTC(2025, 5, 1) / 1000;
const joinedFrom = Date.UTC(2012, 0, 1) / 1000;
const joinedTo = dataEnd - 30 * 86_400;
const bornFromDay = Date.UTC(1940, 0, 1) / dayMs;
const bornToDay = Date.UTC(2007, 11, 31) / dayMs;
const minimumAgeDays = Math.ceil(16 * 365.25);

export function memberRecord(data: Dataset, id: number): Member {
  checkId(data, 'members', id);
  const { name, email } = identityOf(data, id);
  const { address, phone } = homeOf(data, id);
  const joinedAt = joinedAtOf(data, id);
  const rng = rowRng(data, 'member', id);
  const bornBy = Math.min(bornToDay, Math.floor(joinedAt / 86_400) - minimumAgeDays);
  const birthDate = isoDate(rng.between(bornFromDay, bornBy));
  // Members who signed up and never came back have no login address.
  const lastLoginIp = rng.chance(0.12) ? null : publicIpv4(rng);
  return { id, name, email, address, phone, birthDate, lastLoginIp, joinedAt };
}

export function shopRecord(data: Dataset, id: number): Shop {
  checkId(data, 'shops', id);
  return { id, name: shopName(data, id), ownerId: shopOwner(data, id) };
}

export function itemRecord(data: Dataset, id: number): Item {
  checkId(data, 'items', id);
  const rng = rowRng(data, 'items', id);
  const shopId = 1 + rng.below(data.sizes.shops);
  const object = `${rng.pick(itemMaterials)} ${rng.pick(itemObjects)}`;
  const styled = rng.chance(0.6) ? `${rng.pick(itemStyles)} ${object}` : object;
  const title = rng.chance(0.3) ? `${styled} - ${rng.pick(itemVariants)}` : styled;
  // Log-uniform from $4 to $400: many cheap listings, a few dear ones; prices end as shops like them to.
  const dollars = Math.floor(4 * Math.exp(rng.unit() * Math.log(100)));
  const priceCents = dollars * 100 + rng.pick(priceEndings);
  return { id, shopId, title, priceCents };
}

export function orderRecord(data: Dataset, id: number): Order {
  checkId(data, 'orders', id);
  const rng = rowRng(data, 'orders', id);
  const item = itemRecord(data, 1 + rng.below(data.sizes.items));
  // Sellers do not buy from their own shop.
  const buyerId = memberOtherThan(shopOwner(data, item.shopId), data, rng);
  const quantity = rng.chance(0.8) ? 1 : rng.chance(0.6) ? 2 : rng.between(3, 5);
  // Most parcels go home; the rest are gifts or go to work.
  const shippingAddress = rng.chance(0.8) ? homeOf(data, buyerId).address : addressIn(rng.pick(cities), rng);
  const orderedAt = timeAfter(joinedAtOf(data, buyerId), rng);
  return { id, buyerId, itemId: item.id, quantity, totalCents: item.priceCents * quantity, shippingAddress, orderedAt };
}

export function messageRecord(data: Dataset, id: number): Message {
  checkId(data, 'messages', id);
  const rng = rowRng(data, 'messages', id);
  const item = itemRecord(data, 1 + rng.below(data.sizes.items));
  const sellerId = shopOwner(data, item.shopId);
  const otherId = memberOtherThan(sellerId, data, rng);
  // Most messages are buyers writing to the seller of a listing; the rest are the seller's replies.
  const toSeller = rng.chance(0.6);
  const senderId = toSeller ? otherId : sellerId;
  const recipientId = toSeller ? sellerId : otherId;
  // Only what the template mentions is computed.
  const body = fill(rng.pick(messageBodies), (name) => {
    switch (name) {
      case 'recipient':
        return identityOf(data, recipientId).name;
      case 'item':
        return item.title;
      case 'shop':
        return shopName(data, item.shopId);
      case 'email':
        return identityOf(data, senderId).email;
      case 'phone':
        return homeOf(data, senderId).phone;
      default:
        return unknownPlaceholder(name);
    }
  });
  const sentAt = timeAfter(Math.max(joinedAtOf(data, senderId), joinedAtOf(data, recipientId)), rng);
  return { id, senderId, recipientId, body, sentAt };
}

function identityOf(data: Dataset, id: number): { name: string; email: string } {
  const rng = rowRng(data, 'identity', id);
  const first = rng.below(firstNames.length);
  const last = rng.below(lastNames.length);
  return {
    name: `${firstNames[first]} ${lastNames[last]}`,
    email: `${emailLocalPart(first, last, id, rng)}@${rng.pick(emailDomains)}`,
  };
}

function homeOf(data: Dataset, id: number): { address: string; phone: string } {
  const rng = rowRng(data, 'home', id);
  const city = rng.pick(cities);
  return { address: addressIn(city, rng), phone: phoneIn(city, rng) };
}

function joinedAtOf(data: Dataset, id: number): number {
  // Ids were handed out in sign-up order, so joined_at grows with the id.
  const rng = rowRng(data, 'joined', id);
  return joinedFrom + Math.floor(((id - 1 + rng.unit()) / data.sizes.members) * (joinedTo - joinedFrom));
}

function shopOwner(data: Dataset, id: number): number {
  return 1 + rowRng(data, 'shops', id).below(data.sizes.members);
}

// ---- COPY lines ---------------------------------------------------------------

/** The table's rows as COPY TEXT lines (newline included), id 1 first, one at a time. */
export function* copyLines(data: Dataset, table: TableName): Generator<string, void, undefined> {
  const line = lineOf[table];
  const count = data.sizes[table];
  for (let id = 1; id <= count; id++) yield line(data, id);
}

// Text is escaped (copy-text.ts); numbers, dates, timestamps and IP addresses
// are formatted here and have nothing to escape.
const lineOf: Readonly<Record<TableName, (data: Dataset, id: number) => string>> = {
  members: (data, id) => {
    const m = memberRecord(data, id);
    return `${id}\t${encodeField(m.name)}\t${encodeField(m.email)}\t${encodeField(m.address)}\t${encodeField(m.phone)}\t${m.birthDate}\t${encodeField(m.lastLoginIp)}\t${timestamp(m.joinedAt)}\n`;
  },
  shops: (data, id) => {
    const s = shopRecord(data, id);
    return `${id}\t${encodeField(s.name)}\t${s.ownerId}\n`;
  },
  items: (data, id) => {
    const i = itemRecord(data, id);
    return `${id}\t${i.shopId}\t${encodeField(i.title)}\t${i.priceCents}\n`;
  },
  orders: (data, id) => {
    const o = orderRecord(data, id);
    return `${id}\t${o.buyerId}\t${o.itemId}\t${o.quantity}\t${o.totalCents}\t${encodeField(o.shippingAddress)}\t${timestamp(o.orderedAt)}\n`;
  },
  messages: (data, id) => {
    const m = messageRecord(data, id);
    return `${id}\t${m.senderId}\t${m.recipientId}\t${encodeField(m.body)}\t${timestamp(m.sentAt)}\n`;
  },
};

// ---- Pieces of rows -------------------------------------------------------------

type Template = readonly string[];

/** "a {x} b" as ['a ', 'x', ' b']: literal text at even indexes, placeholder names at odd ones. */
function parseTemplate(text: string): Template {
  return text.split(/\{(\w+)\}/);
}

/** The template with each placeholder replaced by value(name), called in reading order. */
function fill(template: Template, value: (name: string) => string): string {
  let out = template[0] ?? '';
  for (let i = 1; i < template.length; i += 2) out += value(template[i] as string) + (template[i + 1] ?? '');
  return out;
}

function unknownPlaceholder(name: string): never {
  throw new Error(`no value for the placeholder {${name}}`);
}

const byCountry = (
  formats: Readonly<Record<Country, readonly string[]>>,
): Readonly<Record<Country, readonly Template[]>> => ({
  US: formats.US.map(parseTemplate),
  CA: formats.CA.map(parseTemplate),
  GB: formats.GB.map(parseTemplate),
  AU: formats.AU.map(parseTemplate),
});
const addressTemplates = byCountry(addressFormats);
const phoneTemplates = byCountry(phoneFormats);
const messageBodies: readonly Template[] = messageTemplates.map(parseTemplate);

const shopNameCount = shopLeads.length * shopMiddles.length * shopKinds.length;
const priceEndings: readonly number[] = [99, 99, 99, 0, 0, 50, 95];

// Emails use the name without accents or punctuation: "Łukasz O'Brien" writes as lukasz.obrien.
const fold = (name: string): string =>
  name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ł/g, 'l')
    .replace(/ø/g, 'o')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z]/g, '');
const foldedFirst = firstNames.map(fold);
const foldedLast = lastNames.map(fold);

// The id always closes the local part and names have no digits, so the digits
// before the @ are the id: distinct members, distinct emails, whatever the style.
function emailLocalPart(first: number, last: number, id: number, rng: Rng): string {
  const given = foldedFirst[first] as string;
  const family = foldedLast[last] as string;
  switch (rng.below(4)) {
    case 0:
      return `${given}.${family}.${id}`;
    case 1:
      return `${given}${family}${id}`;
    case 2:
      return `${given.charAt(0)}${family}${id}`;
    default:
      return `${given}_${family}_${id}`;
  }
}

function addressIn(city: City, rng: Rng): string {
  const formats = addressTemplates[city.country];
  // Most people live in a house; the second format of each country is a flat.
  const template = (rng.chance(0.75) ? formats[0] : formats[1]) as Template;
  return fill(template, (name) => {
    switch (name) {
      case 'number':
        return String(rng.between(1, rng.chance(0.7) ? 250 : 9999));
      case 'unit':
        return String(rng.between(1, 40));
      case 'street':
        return `${rng.pick(streetNames)} ${rng.pick(streetSuffixes)}`;
      case 'city':
        return city.name;
      case 'region':
        return city.region;
      case 'postcode':
        return randomize(city.postcode, rng);
      default:
        return unknownPlaceholder(name);
    }
  });
}

function phoneIn(city: City, rng: Rng): string {
  const number = fill(rng.pick(phoneTemplates[city.country]), (name) =>
    name === 'area' ? city.area : name === 'local' ? city.local : unknownPlaceholder(name),
  );
  return randomize(number, rng);
}

/** The pattern with each # replaced by a random digit and each @ by a random capital letter. */
function randomize(pattern: string, rng: Rng): string {
  const codes = new Array<number>(pattern.length);
  for (let i = 0; i < pattern.length; i++) {
    const code = pattern.charCodeAt(i);
    codes[i] = code === 35 ? 48 + rng.below(10) : code === 64 ? 65 + rng.below(26) : code;
  }
  return String.fromCharCode(...codes);
}

/** An address that looks like anyone's on the internet: never private, shared, loopback, link-local, multicast or documentation space. */
function publicIpv4(rng: Rng): string {
  for (;;) {
    const a = rng.between(1, 223);
    const b = rng.below(256);
    const c = rng.below(256);
    const special =
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0 && (c === 0 || c === 2)) ||
      (a === 198 && (b === 18 || b === 19)) ||
      (a === 198 && b === 51 && c === 100) ||
      (a === 203 && b === 0 && c === 113);
    if (!special) return `${a}.${b}.${c}.${rng.between(1, 254)}`;
  }
}

function shopName(data: Dataset, id: number): string {
  let n = (data.shopNameStep * (id - 1) + data.shopNameOffset) % shopNameCount;
  const kind = shopKinds[n % shopKinds.length];
  n = Math.floor(n / shopKinds.length);
  const middle = shopMiddles[n % shopMiddles.length];
  const lead = shopLeads[Math.floor(n / shopMiddles.length)];
  return `${lead} ${middle} ${kind}`;
}

/** A member id other than `id`, uniformly. */
function memberOtherThan(id: number, data: Dataset, rng: Rng): number {
  const other = 1 + rng.below(data.sizes.members - 1);
  return other >= id ? other + 1 : other;
}

/** A moment at least a minute after `from` and before the data set's end. */
function timeAfter(from: number, rng: Rng): number {
  return from + 60 + Math.floor(rng.unit() * (dataEnd - from - 60));
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Days since the epoch as YYYY-MM-DD, by Howard Hinnant's civil_from_days: far cheaper per row than a Date. */
function isoDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

/** Seconds since the epoch as a timestamptz literal in UTC. */
function timestamp(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const s = seconds - days * 86_400;
  return `${isoDate(days)} ${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}+00`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

// ---- Random numbers ---------------------------------------------------------------

function rowRng(data: Dataset, stream: Stream, id: number): Rng {
  // Both steps are bijections, so within a stream every id has its own numbers.
  return new Rng(mix32(data.streamKeys[stream] ^ id));
}

function checkId(data: Dataset, table: TableName, id: number): void {
  const count = data.sizes[table];
  if (!Number.isInteger(id) || id < 1 || id > count) throw new Error(`${table} id ${id} is outside 1..${count}`);
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** xoshiro128**: fast, small state, good statistics, and 32-bit integer maths only. */
class Rng {
  a: number;
  b: number;
  c: number;
  d: number;

  constructor(key: number) {
    // splitmix32 spreads one key over the 128-bit state; its four outputs are
    // distinct (a bijection of distinct inputs), so the state is never all zero.
    this.a = mix32((key + 0x9e3779b9) | 0);
    this.b = mix32((key + 0x3c6ef372) | 0);
    this.c = mix32((key + 0xdaa66d2b) | 0);
    this.d = mix32((key + 0x78dde6e4) | 0);
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** In [0, 1). */
  unit(): number {
    return this.next() / 4_294_967_296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.unit() * n);
  }

  /** An integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  chance(probability: number): boolean {
    return this.unit() < probability;
  }

  pick<T>(values: readonly T[]): T {
    return values[this.below(values.length)] as T;
  }
}
