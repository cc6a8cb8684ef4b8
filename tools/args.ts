// args.ts: commander parsers of option values shared by the CLI (tools/cli.ts) and the TypeScript tools
// (tools/nab/run.ts, tools/vae-mnist.ts): a bad value is commander's error, naming the option.

import { InvalidArgumentError } from 'commander';

// A number as people write one on a command line: decimal digits, an optional fraction and exponent
// (1000, 1e3, 0.5, .5, -2, 2.5e-3). Not '', 'Infinity', '0x10' or '1_000', which Number() would also
// read (the first as 0).
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

export function intArg(name: string, lo: number, hi = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!DECIMAL.test(v) || !Number.isInteger(n) || n < lo || n > hi) {
      throw new InvalidArgumentError(`${name} must be an integer from ${lo}${hi === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${hi}`}${DECIMAL.test(v) ? '' : ', written in decimal digits (1000 or 1e3)'}.`);
    }
    return n === 0 ? 0 : n;   // (-0 as 0)
  };
}

export function numArg(name: string, lo: number, hi: number, loOpen = false) {
  return (v: string): number => {
    const n = Number(v);
    if (!DECIMAL.test(v) || !Number.isFinite(n) || n < lo || n > hi || (loOpen && n === lo)) {
      const range = Number.isFinite(lo) ? ` ${loOpen ? 'above' : 'from'} ${lo}${Number.isFinite(hi) ? ` ${loOpen ? 'and at most' : 'to'} ${hi}` : ''}` : '';
      throw new InvalidArgumentError(`${name} must be a number${range}.`);
    }
    return n;
  };
}

/** --threads: a whole number of threads from 1 to 256 (the library's range), or 'auto' for the core count. */
export function threadsArg(v: string): number | 'auto' {
  if (v.trim() === 'auto') return 'auto';
  return intArg('threads', 1, 256)(v);
}
