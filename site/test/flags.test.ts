import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOn, parseFlags } from '../flags.ts';

function flagsOf(text: string) {
  const result = parseFlags(text);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.flags;
}

test('flags: a map of name to true or false', () => {
  assert.deepEqual(flagsOf('flags:\n  sale_banner: true\n  new-checkout: false\n'), { sale_banner: true, 'new-checkout': false });
  assert.deepEqual(flagsOf('flags: { a: true }'), { a: true });
});

test('a flag that is not listed is off, and so is one listed as false', () => {
  const flags = flagsOf('flags:\n  on_one: true\n  off_one: false\n');
  assert.equal(isOn(flags, 'on_one'), true);
  assert.equal(isOn(flags, 'off_one'), false);
  assert.equal(isOn(flags, 'missing'), false);
  // names that exist on every object are not flags
  assert.equal(isOn(flags, 'constructor'), false);
  assert.equal(isOn(flags, 'toString'), false);
});

test('no flags at all, said on purpose', () => {
  assert.deepEqual(flagsOf('flags: {}'), {});
  assert.deepEqual(flagsOf('flags:\n'), {});
});

test('refused: an empty file, bad YAML, other shapes and values that are not booleans', () => {
  const errorOf = (text: string) => {
    const result = parseFlags(text);
    assert.equal(result.ok, false, text);
    return result.ok ? '' : result.error;
  };
  assert.match(errorOf(''), /empty/);
  assert.match(errorOf('flags: [a'), /not valid YAML/);
  assert.match(errorOf('- a\n- b\n'), /map with the key "flags"/);
  assert.match(errorOf('flag:\n  a: true\n'), /unknown key "flag"/);
  assert.match(errorOf('flags: [a, b]'), /must be a map/);
  assert.match(errorOf('flags:\n  a: on\n'), /flag "a" must be true or false, not "on"/);
  assert.match(errorOf('flags:\n  a: 1\n'), /not 1/);
  assert.match(errorOf('flags:\n  "bad name": true\n'), /flag name "bad name"/);
  assert.match(errorOf('flags:\n  a: true\n  a: false\n'), /not valid YAML/);
});
