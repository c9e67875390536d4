// What people say to the deploy bot in #deploy, read as commands, in the style
// of Etsy's PushBot: a word after a dot, sometimes a reason. Pure: the bot reads
// a line here and acts on the store elsewhere; an answer for a line that is not
// a command it knows is decided here too.
import type { Train } from '../deploy/queue.ts';

export type ChatCommand =
  | { kind: 'join'; train: Train }
  | { kind: 'leave' }
  | { kind: 'status' }
  | { kind: 'good' }
  | { kind: 'hold'; reason: string }
  | { kind: 'release' }
  | { kind: 'help' };

/** A command, an answer to a line that tried to be one, or nothing: a line that is not for the bot. */
export type ReadLine = { command: ChatCommand } | { answer: string } | undefined;

/** How a hold's reason is kept: one line, as the store takes it. */
const maxReasonLength = 200;

export const helpLines: readonly string[] = [
  '.join            ride the next code deploy with your checkout (.join config: a config change, alone)',
  '.leave           leave the queue',
  '.status          the groups, who rides, what is deploying, whether it is held',
  '.good            you checked your change on princess: prod may go once every rider said so',
  '.hold REASON     stop the next deploy (also posted in #warroom); .release lets it go',
];

export function readLine(text: string): ReadLine {
  const match = /^\.([a-z]+)(?:\s+(.*))?$/i.exec(text.trim());
  if (!match) return undefined;
  const word = match[1]!.toLowerCase();
  const rest = (match[2] ?? '').trim();
  const bare = (command: ChatCommand): ReadLine =>
    rest === '' ? { command } : { answer: `.${word} takes nothing after it (see .help)` };
  switch (word) {
    case 'join':
      if (rest === '' || rest === 'code') return { command: { kind: 'join', train: 'code' } };
      if (rest === 'config') return { command: { kind: 'join', train: 'config' } };
      return { answer: `.join takes nothing, or "config": not "${printable(rest)}"` };
    case 'leave':
      return bare({ kind: 'leave' });
    case 'status':
      return bare({ kind: 'status' });
    case 'good':
      return bare({ kind: 'good' });
    case 'release':
      return bare({ kind: 'release' });
    case 'help':
      return { command: { kind: 'help' } };
    case 'hold':
      if (rest === '') return { answer: '.hold needs a reason: .hold REASON' };
      if (rest.length > maxReasonLength) return { answer: `a hold's reason is at most ${maxReasonLength} characters` };
      return { command: { kind: 'hold', reason: printable(rest) } };
    default:
      return { answer: `I do not know .${printable(word)}: .help lists what I do` };
  }
}

/** Text as the bot repeats it: control characters (IRC colours, bells) shown as nothing, never sent on. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, '');
}

/** An IRC nick as the server allows it (RFC 2812 letters, digits, specials), without control characters. */
export function validNick(nick: string): boolean {
  return /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/.test(nick);
}

/**
 * A person may say this many commands in a window; beyond it the bot answers
 * once that it stops listening to them, and then nothing until the window ends,
 * so a flood gets one answer and changes nothing.
 */
export interface FloodRule {
  commands: number;
  windowMs: number;
}

export const defaultFloodRule: FloodRule = { commands: 5, windowMs: 10_000 };

export type FloodVerdict = 'go' | 'warn' | 'ignore';

/** Per nick: the times of the commands in the current window, and whether it was warned. */
export type FloodState = Map<string, { times: number[]; warned: boolean }>;

export function floodVerdict(state: FloodState, nick: string, now: number, rule = defaultFloodRule): FloodVerdict {
  const seen = state.get(nick) ?? { times: [], warned: false };
  const times = seen.times.filter((time) => now - time < rule.windowMs);
  if (times.length < rule.commands) {
    state.set(nick, { times: [...times, now], warned: times.length === 0 ? false : seen.warned });
    return 'go';
  }
  state.set(nick, { times, warned: true });
  return seen.warned ? 'ignore' : 'warn';
}
