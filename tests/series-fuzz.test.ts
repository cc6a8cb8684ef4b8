// series-fuzz.test.ts: SeriesDetector on series that fast-check builds from pieces real metrics have
// (flat runs, steps, spikes, noise, ramps, on scales from 1e-30 to 1e30 and offsets to 1e15), in calls
// of random lengths, with and without times: every score is a number in [0, 1], and a save/load at a
// random point continues with the same bits as the uninterrupted run. The oracle is the API's contract
// (scores in [0, 1]) and the detector itself run without the interruption. A flat run followed by a
// step once gave a NaN score: the coarser resolution's block score rounded to exactly 1, whose -ln Q
// was taken as infinite and then divided by itself.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const opts = { window: 8, layers: [8, 3], warmup: 32, retrainEvery: 48, history: 256, trainWindows: 64, firstEpochs: 3, epochs: 1, likelihoodHistory: 200, minHistory: 10, suppress: 40, context: 8, contextSpan: 32, memory: 8, resolution: [2, 4] };

type Piece = { kind: 'flat' | 'step' | 'spike' | 'noise' | 'ramp'; len: number; size: number };
const piece = fc.record({
  kind: fc.constantFrom<Piece['kind']>('flat', 'step', 'spike', 'noise', 'ramp'),
  len: fc.integer({ min: 1, max: 200 }),
  size: fc.double({ min: -4, max: 4, noNaN: true }),
});

/** The series the pieces describe: each continues from the level the last left, in units of `scale` on `offset`. */
function build(pieces: Piece[], scale: number, offset: number, seed: number): Float64Array {
  const v: number[] = [];
  let level = 0, s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296 - 0.5; };
  for (const p of pieces) {
    for (let i = 0; i < p.len; i++) {
      if (p.kind === 'step' && i === 0) level += p.size;
      const x = p.kind === 'spike' && i === 0 ? level + 4 * p.size : p.kind === 'noise' ? level + p.size * u() : p.kind === 'ramp' ? level + (p.size * i) / p.len : level;
      v.push(offset + scale * x);
    }
    if (p.kind === 'ramp') level += p.size;
  }
  return Float64Array.from(v);
}

describe('SeriesDetector on generated series', () => {
  it('every score is in [0, 1], and a save/load anywhere continues with the same bits (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(piece, { minLength: 1, maxLength: 12 }),
      fc.constantFrom(1e-30, 1e-6, 1, 1e3, 1e30),
      fc.constantFrom(0, -7, 1e9, 1e15),
      fc.nat(),
      fc.boolean(),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (pieces, scale, offset, seed, timed, at) => {
        const v = build(pieces, scale, offset, seed);
        // values the detector refuses (beyond float32, or that far from the first) are not this test's case
        if (v.some((x) => !(Math.abs(x) <= 3.4e38) || !(Math.abs(x - v[0]!) <= 3.4e38))) return;
        const t = timed ? Float64Array.from(v, (_, i) => 1.6e12 + 300000 * i + (i % 7 === 0 ? 0 : 1000)) : undefined;
        const whole = await SeriesDetector.create(opts);
        const all = t ? whole.pushMany(v, t) : whole.pushMany(v);
        whole.dispose();
        for (let i = 0; i < all.length; i++) if (!(all[i]! >= 0 && all[i]! <= 1)) throw new Error(`score ${all[i]} at point ${i} of ${all.length}`);
        const k = Math.floor(at * v.length);
        const first = await SeriesDetector.create(opts);
        const a = t ? first.pushMany(v.subarray(0, k), t.subarray(0, k)) : first.pushMany(v.subarray(0, k));
        const resumed = await SeriesDetector.load(first.save());
        first.dispose();
        const b = t ? resumed.pushMany(v.subarray(k), t.subarray(k)) : resumed.pushMany(v.subarray(k));
        resumed.dispose();
        expect(bits([...a, ...b])).toEqual(bits(all));
      },
    ), { numRuns: 60, seed: 20261201 });
  });

  it('a flat series that steps scores in [0, 1] at every point with the default options', async () => {
    const d = await SeriesDetector.create();
    const s = d.pushMany(Array.from({ length: 3000 }, (_, i) => (i < 2500 ? 5 : 6)));
    d.dispose();
    expect(s[2500]).toBe(1);
    for (let i = 0; i < s.length; i++) expect(s[i]! >= 0 && s[i]! <= 1, `point ${i}: ${s[i]}`).toBe(true);
  });
});
