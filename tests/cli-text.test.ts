// The CLI's numbers as text, written and read, against independent oracles:
// - its float32 text (tools/f32str.ts) against the definition: the shortest of toPrecision(6..9) that reads
//   back as the same float32, as String() writes it (the loop the CLI ran per value until session 75); with
//   F32STR_ALL=1, every float32 of its fast range as well;
// - its rows of numbers joined directly (tools/csv.ts numberRowsCsv) against csv-stringify's text for them;
// - its reading of a CSV cell as a number (tools/csv.ts plainDecimal) against Number() and the plain-decimal form.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { f32str } from '../tools/f32str.js';
import { numberRowsCsv, plainDecimal } from '../tools/csv.js';

function definition(v: number): string {
  for (let p = 6; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return String(d);
  }
  return String(v);
}

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
const floatOf = (b: number): number => { bits[0] = b; return asFloat[0]!; };
const bitsOf = (v: number): number => { asFloat[0] = v; return bits[0]!; };

/** Every float32 from `n` below `v` to `n` above it (positive v, bit patterns in order). */
function around(v: number, n: number): number[] {
  const b = bitsOf(Math.fround(v));
  return Array.from({ length: 2 * n + 1 }, (_, i) => floatOf(b - n + i));
}

describe('f32str (the CLI\'s float32 text)', () => {
  it('writes what the definition writes for random float32 bit patterns, every exponent and sign', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => {
      const v = floatOf(b);
      expect(f32str(v)).toBe(definition(v));
    }), { numRuns: 100_000, seed: 75 });
  });

  it('writes what the definition writes for every float32 near the fast range\'s edges and each power of ten in it', () => {
    const edges = [1e-4, 1e6];
    for (let j = -4; j <= 6; j++) edges.push(Number(`1e${j}`), 5 * Number(`1e${j}`), 9.999999 * Number(`1e${j}`));
    let n = 0;
    for (const e of edges) {
      for (const v of around(e, 3000)) {
        for (const s of [v, -v]) {
          const want = definition(s);
          if (f32str(s) !== want) expect(`${s}: ${f32str(s)}`).toBe(`${s}: ${want}`);
          n++;
        }
      }
    }
    expect(n).toBe(edges.length * 6001 * 2);
  });

  it('writes what the definition writes on a stride through the fast range, and for values with few digits', () => {
    const lo = bitsOf(Math.fround(1e-4)) - 5, hi = bitsOf(Math.fround(1e6)) + 5;
    for (let b = lo; b <= hi; b += 4093) {
      const v = floatOf(b);
      if (f32str(v) !== definition(v)) expect(`${v}: ${f32str(v)}`).toBe(`${v}: ${definition(v)}`);
    }
    // short decimals and halves, where a rounding rule or a dropped zero would show
    for (let i = 1; i <= 20000; i++) {
      for (const v of [Math.fround(i / 8), Math.fround(i / 1000), Math.fround(i * 37.5), Math.fround(i / 3), Math.fround(999999.5 - i / 16)]) {
        if (f32str(v) !== definition(v)) expect(`${v}: ${f32str(v)}`).toBe(`${v}: ${definition(v)}`);
      }
    }
  });

  // Every float32 of the fast range, both signs (279 M values; 313 s on the AMD host of session 75): F32STR_ALL=1 npx vitest run tests/cli-text.test.ts
  if (process.env.F32STR_ALL === '1') it('writes what the definition writes for every float32 of the fast range, both signs', () => {
    const lo = bitsOf(Math.fround(1e-4)) - 1, hi = bitsOf(Math.fround(1e6)) + 1;
    let differ = 0, first = '';
    for (let b = lo; b <= hi; b++) {
      const v = floatOf(b);
      for (const s of [v, -v]) {
        if (f32str(s) !== definition(s) && differ++ === 0) first = `${s}: ${f32str(s)} against ${definition(s)}`;
      }
    }
    expect(first).toBe('');
    expect(differ).toBe(0);
  }, 1_800_000);

  it('writes the values a reader knows by sight', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'], [-2.5, '-2.5'], [1, '1'], [100, '100'], [123456.5, '123456.5'], [0.0001, '0.0001'],
      [1 / 3, '0.33333334'], [999999.9, '999999.9'], [1e6, '1000000'], [0, '0'], [-0, '0'],
      [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [1e-7, '1e-7'], [3.4e38, '3.4e+38'],
    ];
    for (const [v, s] of cases) expect(f32str(Math.fround(v))).toBe(s);
  });
});

describe('numberRowsCsv (score and encode rows past the header)', () => {
  const cell = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }).map((b) => f32str(floatOf(b))),
    fc.double({ min: -10, max: 10, noNaN: true }).map((d) => f32str(Math.fround(d))),
    fc.constantFrom('', '0', '1', 'NaN', 'Infinity', '-Infinity', '1e-7', '-3.4e+38'),
  );
  const rows = fc.integer({ min: 1, max: 20 }).chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 30 }));

  it('is csv-stringify\'s text for rows of number cells, whatever one-character delimiter it takes', () => {
    const taken = new Set<string>();
    fc.assert(fc.property(rows, fc.constantFrom(',', ';', '\t', '|', ' ', ':', '/', '#', 'x', 'E', '\u00a7'), (r, d) => {
      const got = numberRowsCsv(r, d);
      if (got === null) return;
      taken.add(d);
      expect(got).toBe(stringify(r, { delimiter: d }));
    }), { numRuns: 3000, seed: 75 });
    expect([...taken].sort()).toEqual([',', ';', '\t', '|', ' ', ':', '/', '#', 'x', 'E', '\u00a7'].sort());
  });

  it("declines a delimiter a number's text can hold, or of more than one character", () => {
    for (const d of ['.', '-', '+', 'e', '1', '0', 'N', 'a', 'I', 'n', 'f', 'i', 't', 'y', ';;', ', ']) {
      expect(numberRowsCsv([['1.5', '-2e-7']], d)).toBeNull();
    }
    // where csv-stringify would quote: '.' inside '1.5', 'e' inside '2e-7'
    expect(stringify([['1.5', '2e-7']], { delimiter: '.' })).not.toBe('1.5.2e-7\n');
    expect(stringify([['1.5', '2e-7']], { delimiter: 'e' })).not.toBe('1.5e2e-7\n');
  });
});

describe('plainDecimal (a CSV cell read as a number by train, score and encode)', () => {
  // the cells the CLI takes as numbers: an optional sign, digits with an optional point (or a point and
  // digits), an optional exponent; Number() is what it reads them as (then rounded to float32)
  const PLAIN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  const check = (cell: string): boolean => {
    const got = plainDecimal(cell);
    if (Number.isNaN(got)) return false;
    expect(PLAIN.test(cell), JSON.stringify(cell)).toBe(true);
    expect(Object.is(got, Number(cell)), `${JSON.stringify(cell)}: ${got} against ${Number(cell)}`).toBe(true);
    return true;
  };
  const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

  it('reads a plain decimal as Number() does, or leaves it to Number(); takes nothing else', () => {
    let fast = 0;
    const decimal = fc.tuple(fc.constantFrom('', '-', '+'), digits(0, 12), fc.constantFrom('', '.'), digits(0, 12),
      fc.constantFrom('', 'e', 'E'), fc.constantFrom('', '-', '+'), digits(0, 3))
      .map(([s, a, p, b, e, es, x]) => `${s}${a}${p}${b}${e ? e + es + x : ''}`);
    const junk = fc.string({ unit: fc.constantFrom(...'0123456789.eE+- xa_'), maxLength: 12 });
    fc.assert(fc.property(fc.oneof(decimal, junk), (cell) => { if (check(cell)) fast++; }), { numRuns: 100_000, seed: 75 });
    expect(fast).toBeGreaterThan(25_000); // about 31,000: the rest have more digits or a larger power, or are not numbers
  });

  it('reads the text of random doubles written every way as Number() does', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 12 }), (d, p, f) => {
      for (const t of [String(d), d.toPrecision(p), d.toFixed(f), d.toExponential(p - 1), String(Math.fround(d))]) check(t);
    }), { numRuns: 50_000, seed: 76 });
  });

  it('takes the cases at its edges as Number() does, and leaves the rest', () => {
    const taken = ['0', '-0', '+0', '00012.5000', '.5', '5.', '-.5e-3', '999999999999999', '9.99999999999999e22', '1e22', '1e-22',
      '123456789012345e-8', '123456789012345e7', '0.0000000000000000000001', '1E5', '3.4e20', '-1.5E+2'];
    for (const t of taken) expect(check(t), t).toBe(true);
    const left = ['', ' 1', '1 ', '.', '-', '+', 'e5', '1e', '1e+', '1.2.3', '0x10', 'Infinity', 'NaN', '1_0', '1234567890123456',
      '1e23', '1e-23', '12345e-27', '1e99999', '--1', '1e5.5', '123456789012345e-37', '0.00000000000000000000001', '3.4e38'];
    for (const t of left) expect(Number.isNaN(plainDecimal(t)), t).toBe(true);
  });
});
