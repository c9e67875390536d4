// A new hire's entry in site/team/team.yaml, as pure functions over the file's
// text: the name checked, the entry added with the file's comments and layout
// kept, never a second entry for the same person.
import { createHash } from 'node:crypto';
import { isSeq, parseDocument, type Document } from 'yaml';
import { UserError } from '../lib/errors.ts';
import { isPlainFileName } from '../site/safe-path.ts';
import { parseTeam, type Member } from '../site/team.ts';

/** Longest name accepted, in characters: it sits under a 160 px photo on the team page. */
export const maxNameLength = 100;

/** A name or team entry refused; the message is one line. */
export class TeamEntryError extends UserError {}

// C0/C1 controls, line and paragraph separators, and the bidi overrides that can
// make a name display as something else.
const controlCharacters = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/**
 * The name as it will appear: NFC, trimmed, inner runs of spaces made one. HTML
 * characters are fine: the team page escapes every value (site/html.ts).
 */
export function validateName(raw: string): string {
  return validateText('name', raw, 'pass the name you go by, e.g. --name "Ada Lovelace"');
}

function validateText(what: 'name' | 'role', raw: string, fix: string): string {
  if (controlCharacters.test(raw)) {
    throw new TeamEntryError(`the ${what} contains a control character (${describeControl(raw)})`, fix);
  }
  const text = raw.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (text === '') throw new TeamEntryError(raw === '' ? `the ${what} is empty` : `the ${what} is only spaces`, fix);
  const length = [...text].length;
  if (length > maxNameLength) {
    throw new TeamEntryError(
      `the ${what} is ${length} characters long; the limit is ${maxNameLength}, as it is shown under the photo on the team page`,
      `use a shorter form of it`,
    );
  }
  return text;
}

function describeControl(raw: string): string {
  const found = controlCharacters.exec(raw)?.[0] ?? '';
  return `U+${found.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The form two names are compared in: case, spacing and Unicode composition do not tell people apart. */
function nameKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** The members in team.yaml's text, a file the site cannot read being refused in one line. */
function readMembers(text: string): Member[] {
  try {
    return parseTeam(text);
  } catch (error) {
    throw new TeamEntryError(
      `site/team/team.yaml cannot be read: ${(error as Error).message.split('\n')[0]}`,
      'fix the file (see git log -p site/team/team.yaml) and run the command again',
    );
  }
}

/** The member already listed under this name (any case or spacing), if any. */
export function findMember(text: string, name: string): Member | undefined {
  const key = nameKey(name);
  return readMembers(text).find((member) => nameKey(member.name) === key);
}

/** Whether this name is on the team page already: what lets an interrupted onboarding resume. */
export function hasMember(text: string, name: string): boolean {
  return findMember(text, name) !== undefined;
}

export interface NewMember {
  name: string;
  role: string;
  /** file name in site/team/photos/ */
  photo: string;
}

/**
 * team.yaml's text with the member appended, every comment and existing entry
 * left as it was. Refuses a name already present and a photo file another
 * member uses, so nobody is listed twice and no photo is overwritten.
 */
export function addMember(text: string, member: NewMember): string {
  const name = validateName(member.name);
  const role = validateText('role', member.role, 'pass a short role, e.g. --role "Engineer"');
  if (!isPlainFileName(member.photo))
    throw new TeamEntryError(`"${member.photo}" is not a plain file name for site/team/photos/`);
  const existing = findMember(text, name);
  if (existing) {
    throw new TeamEntryError(
      `"${name}" is already on the team page${existing.name === name ? '' : ` (as "${existing.name}")`}`,
      'if that is you, your entry is there already; otherwise add what tells you apart, e.g. a middle initial',
    );
  }
  const photoOwner = readMembers(text).find((m) => m.photo.toLowerCase() === member.photo.toLowerCase());
  if (photoOwner)
    throw new TeamEntryError(
      `the photo file ${member.photo} is already ${photoOwner.name}'s`,
      'choose another file name (photoFileName gives a free one)',
    );

  const document: Document = parseDocument(text);
  const entry = document.createNode({ name, role, photo: member.photo });
  if (isSeq(document.contents)) {
    // An empty `[]` becomes a block list, one entry under another as usual.
    if (document.contents.items.length === 0) document.contents.flow = false;
    document.contents.items.push(entry);
  } else document.contents = document.createNode([entry]);
  const next = document.toString({ lineWidth: 0 });
  // What the site will read back must be exactly what was asked for.
  const added = readMembers(next).at(-1);
  if (added?.name !== name || added.role !== role || added.photo !== member.photo) {
    throw new Error(`team.yaml did not round-trip the entry for "${name}"`);
  }
  return next;
}

/**
 * The file name of a member's photo in site/team/photos/: lower-case ASCII from
 * the name ("Zoë O'Brien" -> zoe-o-brien.jpg), or a short hash of it for a name
 * with no Latin letters; `-2`, `-3`... when another member already has it.
 */
export function photoFileName(name: string, taken: Iterable<string> = []): string {
  const ascii = validateName(name)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  const stem = ascii || `member-${createHash('sha256').update(nameKey(name)).digest('hex').slice(0, 8)}`;
  const used = new Set([...taken].map((file) => file.toLowerCase()));
  for (let n = 1; ; n++) {
    const file = `${stem}${n === 1 ? '' : `-${n}`}.jpg`;
    if (!used.has(file)) return file;
  }
}

/** The photo files team.yaml already uses, for photoFileName's `taken`. */
export function teamPhotoFiles(text: string): string[] {
  return readMembers(text).map((member) => member.photo);
}
