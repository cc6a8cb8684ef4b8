// args.ts: commander parsers of option values shared by the CLI (tools/cli.ts) and the TypeScript tools
// (tools/nab/run.ts, tools/vae-mnist.ts): a bad value is commander's error, naming the option.

import { InvalidArgumentError } from 'commander';

export function intArg(name: string, lo: number, hi = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*[+-]?\d+\s*$/.test(v) || n < lo || n > hi) {
      throw new InvalidArgumentError(`${name} must be an integer from ${lo}${hi === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${hi}`}.`);
    }
    return n;
  };
}

export function numArg(name: string, lo: number, hi: number, loOpen = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (loOpen && n === lo)) {
      const range = Number.isFinite(lo) ? ` ${loOpen ? 'above' : 'from'} ${lo}${Number.isFinite(hi) ? ` ${loOpen ? 'and at most' : 'to'} ${hi}` : ''}` : '';
      throw new InvalidArgumentError(`${name} must be a number${range}.`);
    }
    return n;
  };
}
