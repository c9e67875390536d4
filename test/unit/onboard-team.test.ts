import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  addMember,
  hasMember,
  maxNameLength,
  photoFileName,
  TeamEntryError,
  teamPhotoFiles,
  validateName,
} from '../../onboard/team-entry.ts';
import { isPlainFileName } from '../../site/safe-path.ts';
import { parseTeam } from '../../site/team.ts';

const team = `# The team page. Each member: name, role, and a photo file in team/photos/.
- name: Ada O'Neill
  role: Founder & buyer # since day one
  photo: ada.jpg
# the workshop
- name: Grace Nakamura
  role: Workshop lead
  photo: grace.png
`;

/** Asserts a one-line TeamEntryError matching `message`. */
function refused(work: () => unknown, message: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof TeamEntryError, `expected a TeamEntryError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('validateName', () => {
  it('trims, makes inner spacing one space, and keeps the name otherwise as given', () => {
    assert.equal(validateName('  Zoë   O\u2019Brien '), 'Zoë O\u2019Brien');
    assert.equal(validateName('Ze\u0301'), 'Z\u00e9'); // composed (NFC)
    assert.equal(validateName('李小龍'), '李小龍');
  });

  it('allows HTML characters: the team page escapes them', () => {
    assert.equal(validateName('<script>alert(1)</script>'), '<script>alert(1)</script>');
    assert.equal(validateName('Tom & "Jerry"'), 'Tom & "Jerry"');
  });

  it('refuses an empty name and a name of only spaces', () => {
    refused(() => validateName(''), /^the name is empty$/);
    refused(() => validateName('     '), /^the name is only spaces$/);
    refused(() => validateName('\u3000 \u00a0'), /^the name is only spaces$/);
  });

  it('refuses a 500-character name, saying what the limit is and why', () => {
    refused(
      () => validateName('a'.repeat(500)),
      /^the name is 500 characters long; the limit is 100, as it is shown under the photo on the team page$/,
    );
    assert.equal(validateName('a'.repeat(maxNameLength)).length, maxNameLength);
    // characters, not UTF-16 units
    assert.equal([...validateName('😀'.repeat(maxNameLength))].length, maxNameLength);
  });

  it('refuses control characters, line breaks and bidi overrides, naming the one found', () => {
    refused(() => validateName('Ada\nLovelace'), /^the name contains a control character \(U\+000A\)$/);
    refused(() => validateName('Ada\0'), /\(U\+0000\)/);
    refused(() => validateName('Ada\u202eecalevoL'), /\(U\+202E\)/);
    refused(() => validateName('Ada\u2028'), /\(U\+2028\)/);
  });
});

describe('addMember', () => {
  const next = addMember(team, { name: '  Linus  Torvalds ', role: 'Engineer', photo: 'linus-torvalds.jpg' });

  it('appends the entry, every comment and existing line kept as it was', () => {
    assert.equal(next, `${team}- name: Linus Torvalds\n  role: Engineer\n  photo: linus-torvalds.jpg\n`);
  });

  it('writes what the site reads back exactly, however odd the name', () => {
    for (const name of [
      '<script>alert("x")</script>',
      "- Zoë: O'Brien #1",
      '&anchor *alias',
      'yes',
      '12',
      '"quoted"',
      'null',
      '  [a, b] ',
    ]) {
      const text = addMember(team, { name, role: 'Engineer', photo: 'x.jpg' });
      assert.deepEqual(parseTeam(text).at(-1), { name: validateName(name), role: 'Engineer', photo: 'x.jpg' }, name);
    }
  });

  it('starts a list in an empty file, a comment-only file and `[]`', () => {
    const entry = { name: 'A', role: 'B', photo: 'a.jpg' };
    for (const text of ['', '# nobody yet\n', '[]\n']) {
      const added = addMember(text, entry);
      assert.deepEqual(parseTeam(added), [entry], JSON.stringify(text));
      assert.match(added, /^- name: A\n  role: B\n  photo: a\.jpg\n$/m);
    }
    assert.match(addMember('# nobody yet\n', entry), /^# nobody yet\n/);
  });

  it('refuses a name already on the team page, in any case or spacing', () => {
    refused(
      () => addMember(team, { name: "Ada O'Neill", role: 'x', photo: 'x.jpg' }),
      /^"Ada O'Neill" is already on the team page$/,
    );
    refused(
      () => addMember(team, { name: "  ada   o'neill ", role: 'x', photo: 'x.jpg' }),
      /^"ada o'neill" is already on the team page \(as "Ada O'Neill"\)$/,
    );
    refused(() => addMember(next, { name: 'LINUS TORVALDS', role: 'x', photo: 'y.jpg' }), /already on the team page/);
  });

  it('never lists the same person twice: adding again is refused, the text unchanged', () => {
    const entry = { name: 'Linus Torvalds', role: 'Engineer', photo: 'linus-torvalds.jpg' };
    assert.throws(() => addMember(next, entry), TeamEntryError);
    assert.equal(parseTeam(next).filter((m) => m.name === 'Linus Torvalds').length, 1);
  });

  it('refuses a photo file another member has, and a file name outside photos/', () => {
    refused(
      () => addMember(team, { name: 'New', role: 'x', photo: 'ADA.jpg' }),
      /^the photo file ADA\.jpg is already Ada O'Neill's$/,
    );
    refused(() => addMember(team, { name: 'New', role: 'x', photo: '../x.jpg' }), /not a plain file name/);
  });

  it('checks the name and the role as validateName does', () => {
    refused(() => addMember(team, { name: ' ', role: 'x', photo: 'x.jpg' }), /^the name is only spaces$/);
    refused(() => addMember(team, { name: 'x'.repeat(500), role: 'x', photo: 'x.jpg' }), /the limit is 100/);
    refused(() => addMember(team, { name: 'New', role: '', photo: 'x.jpg' }), /^the role is empty$/);
  });

  it('refuses to edit a file the site cannot read, in one line', () => {
    refused(
      () => addMember('name: not a list\n', { name: 'A', role: 'B', photo: 'a.jpg' }),
      /^site\/team\/team\.yaml cannot be read: team\.yaml must be a list of members$/,
    );
  });

  it('works on the real team.yaml', () => {
    const real = readFileSync(new URL('../../site/team/team.yaml', import.meta.url), 'utf8');
    const added = addMember(real, {
      name: 'New Hire',
      role: 'Engineer',
      photo: photoFileName('New Hire', teamPhotoFiles(real)),
    });
    assert.ok(added.startsWith(real));
    assert.deepEqual(parseTeam(added).at(-1), { name: 'New Hire', role: 'Engineer', photo: 'new-hire.jpg' });
  });
});

describe('hasMember', () => {
  it('finds a name in any case and spacing, for resuming an interrupted onboarding', () => {
    assert.equal(hasMember(team, 'grace   NAKAMURA'), true);
    assert.equal(hasMember(team, 'Grace'), false);
    assert.equal(hasMember('', 'Grace'), false);
  });
});

describe('photoFileName', () => {
  it('makes a lower-case ASCII .jpg name from the name', () => {
    assert.equal(photoFileName("Zoë O'Brien"), 'zoe-o-brien.jpg');
    assert.equal(photoFileName('  Ada  Lovelace '), 'ada-lovelace.jpg');
    assert.equal(photoFileName('<script>alert(1)</script>'), 'script-alert-1-script.jpg');
    assert.equal(photoFileName('../../etc/passwd'), 'etc-passwd.jpg');
  });

  it('uses a short hash of a name with no Latin letters, the same every time', () => {
    assert.match(photoFileName('李小龍'), /^member-[0-9a-f]{8}\.jpg$/);
    assert.equal(photoFileName('李小龍'), photoFileName(' 李小龍 '));
    assert.notEqual(photoFileName('李小龍'), photoFileName('王小明'));
  });

  it('is unique among the files taken, in any case', () => {
    assert.equal(photoFileName('Ada', ['ADA.jpg']), 'ada-2.jpg');
    assert.equal(photoFileName('Ada', ['ada.jpg', 'ada-2.jpg']), 'ada-3.jpg');
    assert.equal(photoFileName('Grace Nakamura', teamPhotoFiles(team)), 'grace-nakamura.jpg');
  });

  it('is always a plain file name the site will serve', () => {
    for (const name of ['.hidden', 'a/b\\c', '-', 'x'.repeat(100), '😀 Smile', 'Ω']) {
      const file = photoFileName(name);
      assert.ok(
        isPlainFileName(file) && /^[a-z0-9][a-z0-9-]*\.jpg$/.test(file) && file.length <= 64,
        `${name} -> ${file}`,
      );
    }
  });

  it('refuses the names validateName refuses', () => {
    refused(() => photoFileName('   '), /only spaces/);
  });
});
