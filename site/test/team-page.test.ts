import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTeamPage } from '../team-page.ts';
import { parseTeam } from '../team.ts';

const members = parseTeam(`
- name: Ada <b>O'Neill</b>
  role: Founder & buyer
  photo: ada.jpg
- name: Grace
  role: Workshop lead
  photo: grace photo.png
`);

test('parseTeam reads name, role and photo of each member', () => {
  assert.deepEqual(members, [
    { name: "Ada <b>O'Neill</b>", role: 'Founder & buyer', photo: 'ada.jpg' },
    { name: 'Grace', role: 'Workshop lead', photo: 'grace photo.png' },
  ]);
});

test('parseTeam: an empty file is an empty team', () => {
  assert.deepEqual(parseTeam(''), []);
});

test('parseTeam refuses a missing field, a non-list and a photo outside photos/', () => {
  assert.throws(() => parseTeam('- name: A\n  role: B\n'), /member 1 needs a photo/);
  assert.throws(() => parseTeam('name: A\n'), /must be a list/);
  assert.throws(() => parseTeam('- name: A\n  role: B\n  photo: ../secret.jpg\n'), /must be a file name/);
  assert.throws(() => parseTeam('- name: A\n  role: B\n  photo: 42\n'), /needs a photo/);
});

const page = renderTeamPage({ shopName: 'Shop & Co', servedBy: 'web-1', members, thumbnails: new Set(['ada.jpg']) });

test('the team page escapes names and roles', () => {
  assert.match(page, /<strong class="name">Ada &lt;b&gt;O&#39;Neill&lt;\/b&gt;<\/strong>/);
  assert.match(page, /Founder &amp; buyer/);
  assert.doesNotMatch(page, /<b>O'Neill/);
  assert.match(page, /<title>Team - Shop &amp; Co<\/title>/);
});

test('each member has a photo, and a thumbnail once it exists', () => {
  assert.match(page, /<img class="photo" src="\/team\/photos\/ada.jpg" alt="Ada &lt;b&gt;O&#39;Neill&lt;\/b&gt;"/);
  assert.match(page, /<img class="thumb" src="\/team\/thumbs\/ada.jpg"/);
  // file names are URL-encoded in links
  assert.match(page, /src="\/team\/photos\/grace%20photo.png"/);
  assert.doesNotMatch(page, /\/team\/thumbs\/grace/);
  assert.match(page, /thumbnail on its way/);
});

test('a team of no one says so', () => {
  const empty = renderTeamPage({ shopName: 'S', servedBy: 'h', members: [], thumbnails: new Set() });
  assert.match(empty, /No one yet/);
});

test('a member named like a script is shown as text, never run', () => {
  const [hire] = parseTeam(
    `- name: "<script>alert('x')</script>"\n  role: <img src=x onerror=alert(1)>\n  photo: script-alert-x-script.jpg\n`,
  );
  const shown = renderTeamPage({ shopName: 'S', servedBy: 'h', members: [hire!], thumbnails: new Set() });
  assert.match(shown, /<strong class="name">&lt;script&gt;alert\(&#39;x&#39;\)&lt;\/script&gt;<\/strong>/);
  assert.match(shown, /alt="&lt;script&gt;alert\(&#39;x&#39;\)&lt;\/script&gt;"/);
  assert.match(shown, /<span class="role">&lt;img src=x onerror=alert\(1\)&gt;<\/span>/);
  assert.doesNotMatch(shown, /<script>|<img src=x/);
});
