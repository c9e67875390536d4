// team/team.yaml: a list of members, each with a name, a role and the file
// name of a photo in team/photos/.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isPlainFileName } from './safe-path.ts';

export interface Member {
  name: string;
  role: string;
  photo: string;
}

/** The members listed in the text of team.yaml; throws naming the first problem. */
export function parseTeam(text: string): Member[] {
  const document: unknown = parse(text);
  if (document === null || document === undefined) return [];
  if (!Array.isArray(document)) throw new Error('team.yaml must be a list of members');
  return document.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw new Error(`team.yaml member ${i + 1} is not a map`);
    const fields = entry as Record<string, unknown>;
    const member = { name: fields.name, role: fields.role, photo: fields.photo };
    for (const [key, value] of Object.entries(member)) {
      if (typeof value !== 'string' || value.trim() === '') throw new Error(`team.yaml member ${i + 1} needs a ${key}`);
    }
    const { name, role, photo } = member as Member;
    if (!isPlainFileName(photo))
      throw new Error(`team.yaml member ${i + 1}: photo "${photo}" must be a file name in team/photos/`);
    return { name, role, photo };
  });
}

/** The team in `teamDir`/team.yaml; no file means no team yet. */
export async function readTeam(teamDir: string): Promise<Member[]> {
  try {
    return parseTeam(await readFile(join(teamDir, 'team.yaml'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
