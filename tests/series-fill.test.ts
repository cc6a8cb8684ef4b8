// series-fill.test.ts: SeriesDetector's `fillGaps` (default 4). Once the warm-up is over, a timed point that comes
// k grid steps after the one before it (the grid step the median of the warm-up's steps, 2 <= k <= fillGaps + 1)
// is preceded by the k - 1 missing points, linearly interpolated. The oracle is written here from that rule: the
// same series filled in TypeScript and pushed to a detector with `fillGaps: 0` gives, at the given points, the
// same scores bit for bit. Series without gaps score as without the option; push(), pushMany() in parts and a
// save/load between them agree; a version-11 state (tests/fixtures/make-series-v11.mjs, a series with gaps saved
// before the option) continues as that code did; bad options and headers are refused clearly.

import { describe, expect, it } from 'vitest';
import { AutoencoderError, SeriesDetector, type SeriesOptions } from 'autoencoder';
import { continueSeriesFixture, seriesConformanceCase } from './data.js';
import { sealCrc, seriesWithHeader } from './model-file.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

/** A noisy 'daily' wave at 10-minute steps with a point in four missing after the first 120. */
function gappy(n = 1500, seed = 99): { v: Float64Array; t: Float64Array } {
  let s = seed;
  const u = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const v: number[] = [], t: number[] = [];
  for (let i = 0; v.length < n; i++) {
    if (i > 120 && u() < 0.25) continue;
    v.push(500 + 30 * Math.sin((2 * Math.PI * i) / 144) + 2 * (u() - 0.5));
    t.push(1420070400000 + i * 600000 + (i % 7 === 3 ? 20000 : 0));   // a little jitter, under half a step
  }
  return { v: Float64Array.from(v), t: Float64Array.from(t) };
}

/**
 * The rule, written from its description: the grid step is the median ((n >> 1)-th smallest, float32) of the first
 * warmup - 1 steps; from the point after the warm-up on, a point k = round(step / grid) grid steps after the one
 * before (2 <= k <= G + 1) is preceded by the points before + (this - before) j / k at its time + j grid, with the
 * values as float32 distances from the first value (the detector's origin). Returns the filled series and where
 * each given point is in it.
 */
function fill(v: Float64Array, t: Float64Array, warmup: number, G: number): { v: Float64Array; t: Float64Array; at: number[] } {
  const steps = Array.from({ length: warmup - 1 }, (_, i) => Math.fround(t[i + 1]! - t[i]!)).sort((a, b) => a - b);
  const grid = steps[(warmup - 1) >> 1]!;
  const o = v[0]!, ov: number[] = [], ot: number[] = [], at: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (ov.length >= warmup && i > 0) {
      const k = Math.round((t[i]! - t[i - 1]!) / grid);
      const a = Math.fround(v[i - 1]! - o), b = Math.fround(v[i]! - o);
      if (k >= 2 && k <= G + 1) for (let j = 1; j < k; j++) { ov.push(o + (a + (b - a) * (j / k))); ot.push(t[i - 1]! + j * grid); }
    }
    at.push(ov.length);
    ov.push(v[i]!);
    ot.push(t[i]!);
  }
  return { v: Float64Array.from(ov), t: Float64Array.from(ot), at };
}

const small: SeriesOptions = { window: 8, layers: [8, 3], warmup: 48, retrainEvery: 64, history: 400, trainWindows: 128, firstEpochs: 5, epochs: 2, likelihoodHistory: 300, minHistory: 20, suppress: 50, context: 16, resolution: [2, 4], memory: 8 };

describe('SeriesDetector fillGaps', () => {
  it('scores a series with gaps as a detector without the option scores the series filled by the rule, bit for bit', async () => {
    const { v, t } = gappy();
    for (const [opts, G] of [[small, 4], [{ ...small, fillGaps: 2 }, 2], [{}, 4]] as [SeriesOptions, number][]) {
      const d = await SeriesDetector.create(opts);
      const got = d.pushMany(v, t);
      const f = fill(v, t, d.options.warmup, G);
      expect(f.v.length).toBeGreaterThan(v.length + 50);
      const ref = await SeriesDetector.create({ ...opts, fillGaps: 0 });
      const all = ref.pushMany(f.v, f.t);
      expect(bits(got)).toEqual(bits(f.at.map((j) => all[j]!)));
      expect(d.count).toBe(v.length);
      expect(ref.count).toBe(f.v.length);
      d.dispose();
      ref.dispose();
    }
  });

  it('changes nothing on a series without gaps, nor on one without times', async () => {
    const c = await seriesConformanceCase();
    const run = async (o: SeriesOptions, times?: Float64Array) => { const d = await SeriesDetector.create(o); const s = d.pushMany(c.v, times); d.dispose(); return s; };
    expect(bits(await run({ ...c.opts, fillGaps: 4 }, c.t))).toEqual(bits(await run({ ...c.opts, fillGaps: 0 }, c.t)));
    const { v } = gappy(800);
    const a = await SeriesDetector.create({ ...small, fillGaps: 4 }), b = await SeriesDetector.create({ ...small, fillGaps: 0 });
    expect(bits(a.pushMany(v))).toEqual(bits(b.pushMany(v)));
    a.dispose();
    b.dispose();
  });

  it('push() one at a time, pushMany() in parts and a save/load between them give the same bits and count', async () => {
    const { v, t } = gappy();
    const whole = await SeriesDetector.create(small);
    const all = whole.pushMany(v, t);
    const one = await SeriesDetector.create(small);
    const a = Float32Array.from(v.subarray(0, 700), (x, i) => one.push(x, t[i]));
    const saved = one.save();
    expect(new DataView(saved.buffer).getUint32(4, true)).toBe(12);
    const again = await SeriesDetector.load(saved);
    expect(again.count).toBe(700);
    const b = again.pushMany(v.subarray(700, 1100), t.subarray(700, 1100));
    const c = again.pushMany(v.subarray(1100), t.subarray(1100));
    expect(bits([...a, ...b, ...c])).toEqual(bits(all));
    expect(again.count).toBe(v.length);
    expect(Buffer.from(again.save()).equals(Buffer.from(whole.save()))).toBe(true);
    for (const d of [whole, one, again]) d.dispose();
  });

  it('a version-11 state file continues exactly as the code that saved it (no filling), also after a save/load in the new format', async () => {
    const r = await continueSeriesFixture(11, 511);
    expect([r.fileVersion, r.savedVersion]).toEqual([11, 12]);
    expect(r.d.options.fillGaps).toBe(0);
    expect(bits(r.scores)).toEqual(bits(r.want));
    r.d.dispose();
  });

  it('refuses bad fillGaps values and bad filled counts or grid steps in a state', async () => {
    for (const bad of [-1, 1.5, 65, '4', null, Number.NaN]) {
      await expect(SeriesDetector.create({ fillGaps: bad as never })).rejects.toThrow(/fillGaps must be an integer from 0 to 64/);
    }
    const { v, t } = gappy(400);
    const d = await SeriesDetector.create(small);
    d.pushMany(v, t);
    const good = d.save();
    const head = JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + new DataView(good.buffer).getUint32(8, true))));
    expect(head.filled).toBeGreaterThan(0);
    const rewrite = (edit: (h: Record<string, unknown>) => void): Uint8Array => {
      const h = structuredClone(head);
      edit(h);
      return seriesWithHeader(good, h);
    };
    await expect(SeriesDetector.load(rewrite((h) => { h.filled = -2; }))).rejects.toThrow(/filled points is -2/);
    await expect(SeriesDetector.load(rewrite((h) => { h.filled = 1e6; }))).rejects.toThrow(/filled points \(1000000\) exceeds its points/);
    await expect(SeriesDetector.load(rewrite((h) => { (h.options as SeriesOptions).fillGaps = 0; }))).rejects.toThrow(AutoencoderError);
    // the grid step (S.STEPF, bytes 300-303 of the finest detector's state block) set to NaN
    const st = stateBlockStart(good);
    const broken = good.slice();
    new DataView(broken.buffer).setFloat32(st + 300, Number.NaN, true);
    await expect(SeriesDetector.load(sealCrc(broken))).rejects.toThrow(/grid step is NaN/);
    // the same state loads
    const ok = await SeriesDetector.load(good);
    expect(ok.count).toBe(400);
    ok.dispose();
    d.dispose();
  });
});


/**
 * Where the finest detector's state block starts: after the header, its training blocks (its weights, two
 * optimizer moments, step, bias corrections, rng streams), which small's model sizes fix. Found here as the
 * offset where the state's window and history fields (S.W at byte 60, S.H at 64) read 8 and 400.
 */
function stateBlockStart(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  for (let p = 12 + dv.getUint32(8, true); p + 68 < bytes.length; p += 4) {
    if (dv.getInt32(p + 60, true) === 8 && dv.getInt32(p + 64, true) === 400 && dv.getInt32(p + 68, true) === 128) return p;
  }
  throw new Error('no state block found');
}
