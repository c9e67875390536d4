// The scrub transforms: deterministic, consistent across columns and free text, never the real value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { columnTransform, createTransforms, keep } from '../../data/scrub-transforms.ts';
import type { ColumnRule } from '../../data/scrub-rules.ts';

const key = Buffer.from('a2f1c0d9e8b7a6958473625140392817', 'hex');
const names = ['Maria Lopez', 'José García', "Seán O'Brien", 'Min-jun de Vries', 'Anna Smith', 'Min Park'];
const knownNameTokens = new Set(names.flatMap((name) => name.split(/\s+/)));
const t = createTransforms(key, knownNameTokens);

const fake = (transform: keyof typeof t, value: string): string => {
  const out = t[transform](value);
  assert.equal(typeof out, 'string', `${transform} of ${value}`);
  return out as string;
};

describe('the scrub key', () => {
  it('is refused in one line when missing or shorter than 16 bytes', () => {
    for (const bad of [undefined, Buffer.alloc(0), Buffer.alloc(15, 1)]) {
      assert.throws(
        () => createTransforms(bad, new Set()),
        (error: Error) =>
          /the scrub key is missing or shorter than 16 bytes \(got \d+\); give it at least 32 random bytes/.test(
            error.message,
          ) && !error.message.includes('\n'),
      );
    }
    assert.doesNotThrow(() => createTransforms(Buffer.alloc(16, 1), new Set()));
  });

  it('decides every pseudonym: another key, other fakes', () => {
    const other = createTransforms(Buffer.alloc(32, 9), knownNameTokens);
    for (const transform of ['fake-name', 'fake-email', 'fake-address', 'hash'] as const) {
      assert.notEqual(other[transform]('Maria Lopez'), t[transform]('Maria Lopez'), transform);
    }
  });
});

describe('determinism and consistency', () => {
  it('gives the same output for the same input, from any instance with the same key', () => {
    const again = createTransforms(Buffer.from(key), knownNameTokens);
    for (const transform of [
      'fake-name',
      'fake-email',
      'fake-address',
      'fake-phone',
      'fake-ip',
      'date-shift',
      'hash',
    ] as const) {
      const value = transform === 'date-shift' ? '1984-02-29' : 'Maria Lopez <maria@example.com>';
      assert.equal(t[transform](value), again[transform](value), transform);
      assert.equal(t[transform](value), t[transform](value), transform);
    }
  });

  it('maps an email the same in members.email and inside a message body, whatever its case', () => {
    const pseudonym = fake('fake-email', 'maria.lopez.12@gmail.com');
    const body = fake('redact-text', 'Reach me at Maria.Lopez.12@Gmail.com or here.');
    assert.equal(body, `Reach me at ${pseudonym} or here.`);
  });

  it('maps a name token by token the same in members.name and inside text', () => {
    const [first, last] = fake('fake-name', 'Maria Lopez').split(' ');
    assert.equal(
      fake('redact-text', 'Hi Maria Lopez, is it still available?'),
      `Hi ${first} ${last}, is it still available?`,
    );
    assert.equal(fake('redact-text', 'Lopez said: thanks Maria!'), `${last} said: thanks ${first}!`);
    assert.equal(fake('fake-name', 'Lopez Maria'), `${last} ${first}`);
  });

  it('maps a phone number the same in members.phone and inside text, whatever its spacing', () => {
    const pseudonym = fake('fake-phone', '+1 (415) 555-2671');
    assert.equal(
      fake('redact-text', 'Call me on +1 415 555 2671 to sort it out.'),
      `Call me on ${pseudonym} to sort it out.`,
    );
    assert.equal(fake('redact-text', 'Phone:\t+1 (415) 555-2671\n'), `Phone:\t${pseudonym}\n`);
  });

  it('maps an address the same in members.address and orders.shipping_address', () => {
    assert.equal(
      fake('fake-address', '12 Maple Street, Springfield'),
      fake('fake-address', ' 12 maple street,  Springfield'),
    );
  });
});

describe('fake-email', () => {
  it('is u<20 hex>@example.invalid', () => {
    assert.match(fake('fake-email', 'ana@example.com'), /^u[0-9a-f]{20}@example\.invalid$/);
  });

  it('never spells a member name token in its hex, read as words', () => {
    const hexWords = ['de', 'ab', 'be', 'fa', 'ad', 'ed', 'bea', 'dee', 'ada'];
    const scrub = createTransforms(key, new Set(hexWords));
    for (let i = 0; i < 3000; i++) {
      const local = (scrub['fake-email'](`m${i}@example.com`) as string).split('@')[0] ?? '';
      for (const word of local.match(/[a-z]+/g) ?? []) assert.ok(!hexWords.includes(word), `${local} has "${word}"`);
    }
  });

  it('stays unique over 100,000 distinct emails', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(fake('fake-email', `member.${i}@mail${i % 7}.example.com`));
    assert.equal(seen.size, 100_000);
  });
});

describe('fake-name', () => {
  it('keeps the token count and the capitalisation shape', () => {
    const out = fake('fake-name', 'ANNA de Vries');
    const [a, b, c, extra] = out.split(' ');
    assert.equal(extra, undefined);
    assert.match(a ?? '', /^[A-Z]+$/);
    assert.match(b ?? '', /^[a-z]+$/);
    assert.match(c ?? '', /^[A-Z][a-z]+$/);
    assert.equal(fake('fake-name', '  Anna\tSmith '), `  ${fake('fake-name', 'Anna')}\t${fake('fake-name', 'Smith')} `);
  });

  it('folds case, so ANNA and Anna share a pseudonym', () => {
    assert.equal(fake('fake-name', 'ANNA').toLowerCase(), fake('fake-name', 'Anna').toLowerCase());
  });

  it('never gives a known name token, nor its input', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `Name${i}`);
    const tokens = new Set(many);
    const scrub = createTransforms(key, tokens);
    const lower = new Set(many.map((token) => token.toLowerCase()));
    for (const token of many) {
      const out = scrub['fake-name'](token) as string;
      assert.ok(!lower.has(out.toLowerCase()), `${token} -> ${out}`);
    }
  });

  it('builds tokens from syllables, recognisably not ordinary names', () => {
    const ordinary = [
      'James',
      'Mary',
      'John',
      'Linda',
      'Smith',
      'Brown',
      'Taylor',
      'Lee',
      'Anna',
      'Maria',
      'Kim',
      'Sato',
    ];
    for (let i = 0; i < 2000; i++) {
      const out = fake('fake-name', `Person${i}`);
      assert.match(out, /^[A-Z][a-z]{3,}$/, out);
      assert.ok(!ordinary.includes(out), out);
    }
  });

  it('keeps tokens without a letter', () => {
    assert.equal(fake('fake-name', 'Anna & Min').split(' ')[1], '&');
  });
});

describe('fakes are never the real value', () => {
  const inputs = [
    'Maria Lopez',
    'maria@example.com',
    '12 Maple Street, Springfield',
    '+1-555-0100-0000',
    '+1 (415) 555-2671',
    '8.8.8.8',
    '192.0.2.1',
    'Zo',
  ];
  for (const transform of ['fake-name', 'fake-email', 'fake-address', 'fake-phone', 'fake-ip'] as const) {
    it(transform, () => {
      for (const value of inputs) assert.notEqual(t[transform](value), value, `${transform}(${value})`);
      // Nor its own output: a fake fed back in is faked again.
      for (const value of inputs) {
        const once = fake(transform, value);
        assert.notEqual(t[transform](once), once);
      }
    });
  }

  it('fake-phone is in the fictional 555-01xx range', () => {
    for (let i = 0; i < 1000; i++)
      assert.match(fake('fake-phone', `+44 20 7946 ${String(i).padStart(4, '0')}`), /^\+1-555-01\d\d-\d{4}$/);
  });

  it('fake-address reads as an address', () => {
    assert.match(
      fake('fake-address', 'Flat 2, 10 Oak Road, Leeds LS1 4AB'),
      /^\d{1,4} [A-Z][a-z]+ (Street|Lane|Road|Way), [A-Z][a-z]+ville$/,
    );
  });
});

describe('fake-ip', () => {
  it('is in the documentation ranges 192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24', () => {
    const networks = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const ip = fake('fake-ip', `10.${i >> 8}.${i & 255}.1`);
      const match = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.(\d+)$/.exec(ip);
      assert.ok(match, ip);
      const host = Number(match[2]);
      assert.ok(host >= 1 && host <= 254, ip);
      networks.add(match[1] as string);
    }
    assert.equal(networks.size, 3);
    assert.match(fake('fake-ip', '2001:db8::1'), /^(192\.0\.2|198\.51\.100|203\.0\.113)\./);
  });
});

describe('date-shift', () => {
  const days = (from: string, to: string) =>
    (Date.parse(`${to.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from.slice(0, 10)}T00:00:00Z`)) / 86_400_000;

  it('moves dates by 1 to 180 days either way, never 0', () => {
    const shifts = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const date = new Date(Date.UTC(1940, 0, 1) + i * 86_400_000 * 5).toISOString().slice(0, 10);
      const shift = days(date, fake('date-shift', date));
      assert.ok(Number.isInteger(shift) && shift !== 0 && Math.abs(shift) <= 180, `${date}: ${shift}`);
      shifts.add(shift);
    }
    assert.ok(shifts.size > 300, 'uses the whole range');
    assert.ok([...shifts].some((s) => s < 0) && [...shifts].some((s) => s > 0));
  });

  it('keeps the time of day and the offset, in PostgreSQL text format', () => {
    assert.match(fake('date-shift', '2024-03-10 02:30:00+00'), /^\d{4}-\d{2}-\d{2} 02:30:00\+00$/);
    assert.match(fake('date-shift', '2024-03-10 23:59:59.123456+05:30'), /^\d{4}-\d{2}-\d{2} 23:59:59\.123456\+05:30$/);
    assert.match(fake('date-shift', '1999-12-31 00:00:01'), /^\d{4}-\d{2}-\d{2} 00:00:01$/);
    assert.match(fake('date-shift', '1984-02-29'), /^\d{4}-\d{2}-\d{2}$/);
  });

  it('handles the edges PostgreSQL can print', () => {
    assert.equal(fake('date-shift', 'infinity'), 'infinity');
    assert.equal(fake('date-shift', '-infinity'), '-infinity');
    assert.match(fake('date-shift', '0044-03-15 BC'), /^00\d\d-\d{2}-\d{2} BC$/);
    // Early in year 1 AD, a shift back lands in 1 BC (there is no year 0).
    const shifted = Array.from({ length: 20 }, (_, i) =>
      fake('date-shift', `0001-01-01 00:00:${String(i).padStart(2, '0')}`),
    );
    for (const value of shifted) assert.match(value, /^0001-\d{2}-\d{2} 00:00:\d{2}( BC)?$/);
    assert.ok(shifted.some((value) => value.endsWith(' BC')) && shifted.some((value) => !value.endsWith(' BC')));
  });

  it('refuses what is not an ISO date in one line, without quoting the value', () => {
    assert.throws(
      () => t['date-shift']('15/03/1984'),
      (error: Error) =>
        error.message ===
        `date-shift needs PostgreSQL's ISO output, got the form "99/99/9999"; copy with DateStyle ISO`,
    );
  });
});

describe('hash, null and keep', () => {
  it('hash is the hex HMAC, distinct for distinct inputs', () => {
    assert.match(fake('hash', 'a'), /^[0-9a-f]{64}$/);
    assert.notEqual(fake('hash', 'a'), fake('hash', 'b'));
  });

  it('null always gives NULL; keep and NULL inputs pass', () => {
    assert.equal(t.null('anything'), null);
    assert.equal(t.keep('x'), 'x');
    assert.equal(t.keep, keep);
    for (const transform of [
      'fake-name',
      'fake-email',
      'fake-address',
      'fake-phone',
      'fake-ip',
      'date-shift',
      'hash',
      'redact-text',
    ] as const) {
      assert.equal(t[transform](null), null, transform);
    }
  });
});

describe('redact-text', () => {
  it('replaces known name tokens only as whole words, case-sensitively', () => {
    const anna = fake('fake-name', 'Anna');
    assert.equal(
      fake('redact-text', 'Anna, Annabel, anna, ANNA and (Anna).'),
      `${anna}, Annabel, anna, ANNA and (${anna}).`,
    );
    assert.equal(fake('redact-text', 'Smithson Blacksmith'), 'Smithson Blacksmith');
  });

  it('handles names with apostrophes, hyphens and particles', () => {
    const [sean, obrien] = fake('fake-name', "Seán O'Brien").split(' ');
    assert.equal(fake('redact-text', "Thanks Seán O'Brien's shop!"), `Thanks ${sean} ${obrien}'s shop!`);
    const [minjun, de, vries] = fake('fake-name', 'Min-jun de Vries').split(' ');
    assert.equal(
      fake('redact-text', 'Min-jun de Vries; Min-jun, Min-ho'),
      `${minjun} ${de} ${vries}; ${minjun}, ${fake('fake-name', 'Min')}-ho`,
    );
  });

  it('replaces phone numbers but leaves dates, prices and short numbers', () => {
    const text = 'Order 4521 on 2024-01-15 for $20.50, qty 3.';
    assert.equal(fake('redact-text', text), text);
    assert.match(
      fake('redact-text', 'ring 07700 900123 or (020) 7946 0123'),
      /^ring \+1-555-01\d\d-\d{4} or \+1-555-01\d\d-\d{4}$/,
    );
  });

  it('never looks again at what it wrote', () => {
    const tokens = new Set(['example', 'invalid', 'Street']);
    const scrub = createTransforms(key, tokens);
    assert.match(scrub['redact-text']('mail anna@example.com') as string, /^mail u[0-9a-f]{20}@example\.invalid$/);
  });

  it('finds every email of a run, between punctuation, non-breaking spaces and line ends', () => {
    const [a, b, c] = ['a.b@mail.example.com', 'c-d@example.org', 'zoë@exämple.de'].map((e) => fake('fake-email', e));
    assert.equal(
      fake('redact-text', 'mail:a.b@mail.example.com,c-d@example.org;\u00a0zoë@exämple.de\n@ not@'),
      `mail:${a},${b};\u00a0${c}\n@ not@`,
    );
  });

  it('leaves text without personal data untouched, backslashes and newlines included', () => {
    const text = 'Hi \\o/ see C:\\Users\\photos\\a.jpg\r\nThanks';
    assert.equal(fake('redact-text', text), text);
  });

  it('on json and jsonb works inside string literals, so the value stays JSON with its numbers', () => {
    const rule = (type: string): ColumnRule => ({
      table: 'jobs',
      column: 'payload',
      transform: 'redact-text',
      type,
      line: 1,
    });
    const redactJson = columnTransform(rule('jsonb'), t);
    const json =
      '{"to": "maria@example.com", "who": "Maria \\"Lopez\\"", "id": 12345678901, "amount": 1.10, "tags": ["Anna", "ok"]}';
    const out = redactJson(json) as string;
    const parsed = JSON.parse(out) as { to: string; who: string; id: number; tags: string[] };
    assert.equal(parsed.to, fake('fake-email', 'maria@example.com'));
    assert.equal(parsed.who, `${fake('fake-name', 'Maria')} "${fake('fake-name', 'Lopez')}"`);
    assert.match(out, /"id": 12345678901, "amount": 1\.10,/);
    assert.deepEqual(parsed.tags, [fake('fake-name', 'Anna'), 'ok']);
    assert.equal(redactJson('{"file": "team/ada.jpg"}'), '{"file": "team/ada.jpg"}');
    assert.equal(columnTransform(rule('text'), t), t['redact-text']);
    assert.equal(columnTransform({ ...rule('text'), transform: 'keep' }, t), keep);
  });
});

describe('pseudonyms are HMAC-SHA256', () => {
  it('hash equals node:crypto createHmac of the documented message', async () => {
    const { createHmac } = await import('node:crypto');
    const { createTransforms: make } = await import('../../data/scrub-transforms.ts');
    for (const key of [Buffer.alloc(32, 7), Buffer.alloc(100, 3)]) {
      const expected = createHmac('sha256', key)
        .update('hash\0' + '0\0' + 'some value')
        .digest('hex');
      assert.equal(make(key, new Set()).hash('some value'), expected);
    }
  });
});
