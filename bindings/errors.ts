// errors.ts: the one error type the package throws, and the checks that build its messages.
// A message says what is wrong, what was found against what was expected, and what to do.

/** Thrown for every misuse or bad input, and for a failure inside the kernels (a bug); the model is unchanged and usable after it (a SeriesDetector whose call failed inside the kernels says its state is lost instead). */
export class AutoencoderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AutoencoderError';
  }
}

const article = (name: string) => (/^([AEIO]|U(?!int))/i.test(name) ? 'an' : 'a'); // a Uint8Array, an Int32Array

/**
 * What a value is, for messages: "NaN", "Infinity", "-0.5", "a string \"yes\"", "null", "undefined",
 * "an Int32Array", "an array with a hole at index 2", "an array of 3 values", "an object", "a function".
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'string': return `a string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case 'boolean': return `the boolean ${value}`;
    case 'bigint': return `a bigint ${value}n`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
  }
  if (Array.isArray(value)) {
    const hole = holeIn(value);
    if (hole >= 0) return `an array with a hole at index ${hole}`;
    return value.length === 0 ? 'an empty array' : `an array of ${value.length} value${value.length === 1 ? '' : 's'}`;
  }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name || 'typed array';
    return `${article(name)} ${name}`;
  }
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const name = proto === null || proto === Object.prototype ? '' : proto.constructor?.name ?? '';
  return name ? `${article(name)} ${name}` : 'an object';
}

/**
 * Throws when `v` (`what`) is a typed array that reads as 0 values because its buffer was detached (transferred by
 * postMessage or structuredClone with a transfer list, or by ArrayBuffer.prototype.transfer) or, resizable, shrunk
 * below the view (out of bounds): unchecked it would be refused as empty, or pushed as no points. Such a view's
 * slice() throws a TypeError in every runtime (the spec's ValidateTypedArray), an empty one's does not. A call reads
 * its arguments when it runs, an async one (fit(), load(bytes), addNoise()) after its first await, so the buffer must
 * stay until it settles (`until`: a stream's chunk, until the stream has read it). Not a DataView (refused by type
 * where it reaches this; its byteLength throws once detached).
 */
export function checkAttached(what: string, v: unknown, until = 'the call that reads it is done (an async call: settled)'): void {
  if (!ArrayBuffer.isView(v) || v instanceof DataView || v.byteLength) return;
  try {
    (v as Uint8Array).slice(0, 0);
  } catch {
    throw new AutoencoderError(`${what} is ${describe(v)} whose buffer was transferred (detached) or shrunk below it: keep its buffer, whole, until ${until}, or pass a copy`);
  }
}

/** Index of the first hole of a sparse array (`[1, , 3]`), or -1. */
export function holeIn(a: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) if (!(i in a)) return i;
  return -1;
}

/** Throws unless `value` is one of `names`, listing the valid ones. */
export function checkName<T extends string>(what: string, value: unknown, names: readonly T[]): T {
  if (typeof value !== 'string' || !(names as readonly string[]).includes(value)) {
    const got = typeof value === 'string' ? JSON.stringify(value) : describe(value);
    throw new AutoencoderError(`unknown ${what} ${got}: use one of ${names.join(', ')}`);
  }
  return value as T;
}

/** Throws unless `obj` is a plain options object; then on keys that are not in `known` (catches typos like "activaton"). */
export function checkKeys(where: string, obj: unknown, known: readonly string[]): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || ArrayBuffer.isView(obj)) {
    throw new AutoencoderError(`${where} takes an options object (valid options: ${known.join(', ')}), got ${describe(obj)}`);
  }
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
    throw new AutoencoderError(`${what} must be ${kind} from ${lo} to ${hi}, got ${describe(value)}`);
  }
  return value;
}

/** true or false, else a clear error (a string "no" is truthy: never coerce). */
export function checkBoolean(what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new AutoencoderError(`${what} must be true or false, got ${describe(value)}`);
  return value;
}

/** A dense array (no holes) of `lo`..`hi` entries, else a clear error naming what was found. */
export function checkArray(what: string, value: unknown, example: string, lo = 1, hi = Infinity): unknown[] {
  if (!Array.isArray(value) || holeIn(value) >= 0 || value.length < lo || value.length > hi) {
    const size = hi === Infinity ? (lo > 0 ? 'a non-empty array' : 'an array') : lo === hi ? `an array of ${lo}` : `an array of ${lo} to ${hi} entries`;
    throw new AutoencoderError(`${what} must be ${size} such as ${example}, got ${describe(value)}`);
  }
  return value;
}

/** The largest finite float32 (values are stored as float32: a larger number becomes Infinity). */
export const F32_MAX = 3.4028234663852886e38;

/**
 * A failure inside the kernels (a wasm trap: a bug of the package, since bad input is refused before the kernels run)
 * as an AutoencoderError that names the call and says what became of the model; any other error as it is. A model
 * with threads closes its pool (its workers may have been inside the failed call's job) and goes on with one thread.
 */
export function trapped(e: unknown, k: { pool?: { close(): void } | null } | null, call: string, after: string): unknown {
  if (!(e instanceof WebAssembly.RuntimeError)) return e;
  let more = '';
  if (k?.pool) {
    k.pool.close();
    k.pool = null;
    more = ', and it now runs on one thread';
  }
  return new AutoencoderError(`${call} failed inside the kernels (${e.message}): ${after}${more}; this is a bug of the package, please report it`);
}
