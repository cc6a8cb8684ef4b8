// series-origin.test.ts: SeriesDetector keeps its values less an origin (the first value, in float64)
// in its float32 ring, so a series on a large offset (a counter near 1e12, a timestamp-like gauge)
// keeps its digits. The oracle is invariance: values x on a grid of 1/64 and x + 1e12 (both exact in
// float64, and their distances from the first value exact in float32) must give the same scores, bit
// for bit; kept as plain float32 values, x + 1e12 rounds to multiples of 65,536 and loses the series. Version-7
// state files (saved before the origin, tests/fixtures/make-series-v7.mjs, values near 1000 that are
// not float32 numbers) continue as the code that saved them did (an origin of 0), bit for bit.

import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';
import { S } from '../bindings/wasm.js';
import { continueSeriesFixture, flippedWave } from './data.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('SeriesDetector values origin', () => {
  it('scores a series on an offset of 1e12 (or -1e12) exactly as the series itself, with coarser resolutions, across a save/load', async () => {
    // the smooth-wave case, its values rounded to 1/64 (exact in float64 on 1e12, their distances exact in float32)
    const { v: wave, at, opts } = flippedWave();
    const v = wave.map((x) => Math.round(x * 64) / 64);
    const run = async (offset: number) => {
      const d = await SeriesDetector.create(opts);
      const a = d.pushMany(v.subarray(0, 500).map((x) => x + offset));
      const e = await SeriesDetector.load(d.save());
      const b = e.pushMany(v.subarray(500).map((x) => x + offset));
      d.dispose();
      e.dispose();
      return Float32Array.from([...a, ...b]);
    };
    const base = await run(0);
    // the case is a real one: the flipped point scores, and the scores vary
    expect(Math.max(...base.subarray(at, at + 3))).toBeGreaterThan(0.25);
    expect(new Set(base.subarray(300)).size).toBeGreaterThan(300);
    expect(bits(await run(1e12))).toEqual(bits(base));
    expect(bits(await run(-1e12))).toEqual(bits(base));
  });

  it('a version-7 state file continues exactly as the code that saved it (an origin of 0), also after a save/load in the new format', async () => {
    const r = await continueSeriesFixture(7, 521);
    expect([r.fileVersion, r.savedVersion]).toEqual([7, 12]);
    expect(r.d.options.memory).toBe(8);
    expect(bits(r.scores)).toEqual(bits(r.want));
  });

  it('refuses a value too far from the first for float32 (naming both) or not a float32, and stays usable; refuses a state with no origin after its first point', async () => {
    const d = await SeriesDetector.create({ window: 8, layers: [4, 2], warmup: 16, history: 64, trainWindows: 16, likelihoodHistory: 50, minHistory: 5, suppress: 10, context: 0, resolution: 0 });
    expect(() => d.pushMany([3e38, -3e38])).toThrow(/point 1 \(values\[1\]\) is -3e\+38, farther than the float32 range from the origin \(3e\+38: the first value\)/);
    expect(d.count).toBe(0);
    // a value that is not a float32 at all is told so, not measured from the origin
    expect(() => d.pushMany([Number.NaN])).toThrow(/point 0 \(values\[0\]\) is NaN: every value must be a finite number within the float32 range; drop or fill such points/);
    d.push(3e38);
    expect(() => d.push(-1e38)).toThrow(/point 1 \(values\[0\]\) is -1e\+38, farther than the float32 range from the origin \(3e\+38: the first value\)/);
    d.pushMany(Array.from({ length: 39 }, (_, i) => 3e38 - 1e36 * Math.sin(i / 3)));
    expect(d.count).toBe(40);
    // the state block is the file's last (resolution 0), before the checksum: its origin set to NaN
    const stBytes = S.BYTES + 4 * (64 + 1 + 50 + 10 + 16 + 2 * (3 + 50) + 64 * 9);
    const bad = d.save();
    const dv = new DataView(bad.buffer);
    expect(dv.getFloat64(bad.length - 4 - stBytes + S.ORIGIN, true)).toBe(3e38);
    dv.setFloat64(bad.length - 4 - stBytes + S.ORIGIN, NaN, true);
    dv.setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
    await expect(SeriesDetector.load(bad)).rejects.toThrow(/corrupted: its values' origin is NaN after 40 points \(origin: "first"\)/);
    expect((await SeriesDetector.load(d.save())).count).toBe(40);
  });

  it('refuses a bad origin or contextFit naming the option; a given origin (-0 as 0) survives a save/load', async () => {
    for (const bad of ['last', Number.NaN, Number.POSITIVE_INFINITY, null]) {
      await expect(SeriesDetector.create({ origin: bad as unknown as number })).rejects.toThrow(/origin must be 'first' \(the first value\) or a finite number/);
    }
    await expect(SeriesDetector.create({ contextFit: 'yes' as unknown as boolean })).rejects.toThrow(/contextFit must be true or false, got a string "yes"/);
    const small = { window: 8, layers: [4, 2], warmup: 16, history: 64, trainWindows: 16, likelihoodHistory: 50, minHistory: 5, suppress: 10, context: 0, resolution: 0 };
    for (const origin of [-0, 1e12]) {
      const d = await SeriesDetector.create({ ...small, origin });
      d.pushMany(Array.from({ length: 40 }, (_, i) => 1e12 + Math.round(64 * Math.sin(i))));
      const e = await SeriesDetector.load(d.save());
      expect(e.count).toBe(40);
      expect(Object.is(e.options.origin, origin === 0 ? 0 : origin)).toBe(true);
    }
  });

  it('a day of millions of points with contextFit: false (steps of a microsecond) keeps its context within the kept values, as an untimed series of that span does', async () => {
    // its span (86,400,000,000 points a day) made bins x points per bin overflow 32 bits: the context then read outside the ring, a trap
    const n = 700, opts = { resolution: 0, contextFit: false };
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 9) + (i === 600 ? 5 : 0));
    const t = Float64Array.from(v, (_, i) => 1.6e12 + 0.001 * i);
    const timed = await SeriesDetector.create(opts);
    const s = timed.pushMany(v, t);
    // the documented rule: points per bin round(span / bins), at most (history - window) / bins
    expect(timed.contextPoints).toBe(Math.floor((2048 - 32) / 64) * 64);
    const untimed = await SeriesDetector.create({ ...opts, contextSpan: 1 << 20 });
    expect(bits(s)).toEqual(bits(untimed.pushMany(v)));
    expect(untimed.contextPoints).toBe(timed.contextPoints);
    expect(Math.max(...s)).toBe(1);
  });
});
