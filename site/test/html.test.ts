import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, toText } from '../html.ts';

test('escapeHtml escapes the five characters that matter', () => {
  assert.equal(
    escapeHtml(`<a href="x">Tom & Jerry's</a>`),
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
  );
  assert.equal(escapeHtml('plain text'), 'plain text');
});

test('html escapes interpolated strings but not the template itself', () => {
  const name = '<script>alert(1)</script>';
  assert.equal(toText(html`<p class="x">${name}</p>`), '<p class="x">&lt;script&gt;alert(1)&lt;/script&gt;</p>');
});

test('html passes nested fragments through once, and joins lists', () => {
  const items = ['a&b', 'c'].map((text) => html`<li>${text}</li>`);
  assert.equal(toText(html`<ul>${items}</ul>`), '<ul><li>a&amp;b</li><li>c</li></ul>');
});

test('html renders numbers, and nothing for null, undefined and booleans', () => {
  assert.equal(toText(html`${1.5}|${null}|${undefined}|${false}|${true}`), '1.5||||');
});

test('an object that merely looks like a fragment is not trusted', () => {
  const sneaky = JSON.parse('{"html": "<b>"}') as unknown as string;
  assert.doesNotMatch(toText(html`${sneaky}`), /<b>/);
});
