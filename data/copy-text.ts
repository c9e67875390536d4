// PostgreSQL's COPY TEXT format, one row a line: fields separated by tabs, \N for
// NULL, backslash escapes for the characters that would break the framing. Rows
// are handled as JS strings, so the copy must run with client_encoding UTF8.

/** The fields of one row (without its newline), still escaped. */
export function splitFields(line: string): string[] {
  // Without a backslash every tab separates, and split does it natively.
  if (!line.includes('\\')) return line.split('\t');
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    // An escaped character, a tab included, is data and never a separator.
    if (char === '\\') i++;
    else if (char === '\t') {
      fields.push(line.slice(start, i));
      start = i + 1;
    }
  }
  fields.push(line.slice(start));
  return fields;
}

const simpleEscapes: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
/** An escaped byte (\NNN octal, \xHH hex), or a lone backslash at the end: for the slow path, which decodes bytes together and refuses the lone one. */
const byteEscape = /\\(?:[0-7]|x[0-9a-fA-F]|$)/;
const oneCharacterEscape = /\\([\s\S])/g;
const unescapeOne = (_: string, char: string) => simpleEscapes[char] ?? char;
const octalDigit = /[0-7]/;
const hexDigit = /[0-9a-fA-F]/;

/** One escaped field as its value; null for \N. */
export function decodeField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  // PostgreSQL writes only one-character escapes (\n, \t, \\ ...): those are replaced in one native pass.
  if (!byteEscape.test(field)) return field.replace(oneCharacterEscape, unescapeOne);
  let value = '';
  // \NNN and \xHH are bytes, and consecutive ones may spell one UTF-8 character: collect them, then decode.
  let bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length > 0) value += Buffer.from(bytes).toString('utf8');
    bytes = [];
  };
  for (let i = 0; i < field.length; i++) {
    const char = field[i] as string;
    if (char !== '\\') {
      flushBytes();
      value += char;
      continue;
    }
    const next = field[i + 1];
    if (next === undefined)
      throw new Error('a COPY field ends in a lone backslash: the row is cut short or not COPY TEXT');
    if (octalDigit.test(next)) {
      let digits = next;
      while (digits.length < 3 && octalDigit.test(field[i + 1 + digits.length] ?? ''))
        digits += field[i + 1 + digits.length];
      bytes.push(Number.parseInt(digits, 8) & 0xff);
      i += digits.length;
    } else if (next === 'x' && hexDigit.test(field[i + 2] ?? '')) {
      const digits = hexDigit.test(field[i + 3] ?? '') ? field.slice(i + 2, i + 4) : field.slice(i + 2, i + 3);
      bytes.push(Number.parseInt(digits, 16));
      i += 1 + digits.length;
    } else {
      flushBytes();
      // Any other escaped character stands for itself (\\ included), as PostgreSQL reads it.
      value += simpleEscapes[next] ?? next;
      i++;
    }
  }
  flushBytes();
  return value;
}

const needsEscape = /[\\\t\n\r\b\f\v]/g;
const escapes: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
};

/** A value as one escaped field; \N for null. */
export function encodeField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(needsEscape, (char) => escapes[char] ?? char);
}

/** One row (without its newline) as its values. */
export function decodeRow(line: string): (string | null)[] {
  return splitFields(line).map(decodeField);
}

/** Values as one row, without the newline. */
export function encodeRow(values: readonly (string | null)[]): string {
  return values.map(encodeField).join('\t');
}
