// errors.ts: the one error type the package throws, and the checks that build its messages.
// A message says what is wrong, what was found against what was expected, and what to do.

/** Thrown for every misuse or bad input; the model is unchanged and usable after it. */
export class AutoencoderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AutoencoderError';
  }
}

/** Throws unless `value` is one of `names`, listing the valid ones. */
export function checkName<T extends string>(what: string, value: unknown, names: readonly T[]): T {
  if (typeof value !== 'string' || !(names as readonly string[]).includes(value)) {
    throw new AutoencoderError(`unknown ${what} ${JSON.stringify(value)}: use one of ${names.join(', ')}`);
  }
  return value as T;
}

/** Throws on keys of `obj` that are not in `known` (catches typos like "activaton"). */
export function checkKeys(where: string, obj: object, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) {
      throw new AutoencoderError(`unknown option "${k}" in ${where}: valid options are ${known.join(', ')}`);
    }
  }
}

/** A finite number in [lo, hi] (integer when `int`), else a clear error. */
export function checkNumber(what: string, value: unknown, lo: number, hi: number, int = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi || (int && !Number.isInteger(value))) {
    const kind = int ? 'an integer' : 'a number';
    throw new AutoencoderError(`${what} must be ${kind} from ${lo} to ${hi}, got ${JSON.stringify(value)}`);
  }
  return value;
}
