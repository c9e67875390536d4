// Options that several commands share, each checked where commander reads it, so
// that a bad value is one line naming the option before any work starts.
import { Option } from 'commander';
import { UserError } from '../lib/errors.ts';

/** A whole number option within bounds: one line naming the option otherwise. */
export function wholeNumber(
  option: string,
  min: number,
  max: number,
  unit = 'a whole number',
): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max)
      throw new UserError(`${option} must be ${unit} from ${min} to ${max}, got "${raw}"`);
    return value;
  };
}

/** --user: an empty or blank name is a mistake, never "the default user". */
export function userOption(description: string): Option {
  return new Option('--user <name>', description).argParser((value: string) => {
    if (value.trim() === '')
      throw new UserError('--user is empty', 'give a user name, or leave --user out to be yourself');
    return value;
  });
}
