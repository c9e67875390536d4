// HTML built with a tagged template that escapes every interpolated value, so
// forgetting to escape is impossible; only other html`` results pass through raw.

const trusted: unique symbol = Symbol('trusted html');

export interface Html {
  readonly [trusted]: string;
}

const replacements: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => replacements[c] ?? c);
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if (isHtml(value)) return value[trusted];
  if (Array.isArray(value)) return value.map(render).join('');
  // Only reachable by a cast; such a value is text like any other.
  return escapeHtml(String(value));
}

function isHtml(value: object): value is Html {
  return trusted in value;
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { [trusted]: out };
}

export function toText(fragment: Html): string {
  return fragment[trusted];
}
