// series-refractory.test.ts: the refractory rule of SeriesDetector (refractory, refractoryLevel,
// refractoryMargin: within the span after a hot score, a score below 1 counts half unless it beats
// that score by the margin). With the rule off the scores are those of the code before it (golden
// digest of that code's conformance case, state version 4); the rule on top of the raw scores
// equals a reference written here; version-4 state files (saved before it,
// tests/fixtures/make-series-v4.mjs) load and continue as that code did, bit for bit; a version-4
// file that claims the new option, or a bad option, is refused clearly.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';
import { continueSeriesFixture, seriesConformanceCase as conformanceCase } from './data.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const sha = (s: Float32Array) => createHash('sha256').update(new Uint8Array(s.buffer, s.byteOffset, s.byteLength)).digest('hex');

/** The one-alarm rule (span K) and the refractory rule (span R, level, margin) applied to raw scores, as assembly/series.ts does. */
function reference(raw: Float32Array, warm: number, K: number, R: number, level: number, margin: number): Float32Array {
  const out = new Float32Array(raw.length);
  const lv = Math.fround(level), mg = Math.fround(margin);
  let hot = -1;
  for (let c = warm - 1; c < raw.length; c++) {
    let top = 0;
    for (let j = Math.max(warm - 1, c - K); j < c; j++) top = Math.max(top, raw[j]!);
    let s = raw[c]! <= top ? Math.fround(raw[c]! * 0.5) : raw[c]!;
    if (R > 0) {
      if (hot >= 0 && c - hot <= R && s < 1 && !(raw[c]! > raw[hot]! + mg)) s = Math.fround(raw[c]! * 0.5);
      if (raw[c]! >= lv) hot = c;
    }
    out[c] = s;
  }
  return out;
}

describe('SeriesDetector refractory rule', () => {
  it('refractory: 0 (with origin: 0, contextFit: false, spatialRamp: -1) scores as the code before the rule (golden.json series/scores of state version 4); so does the default on this case, a lower level does not', async () => {
    const { v, t, opts } = await conformanceCase();
    // the digest tests/conformance/golden.json held for series/scores before round 7 (commit ca8624e)
    const V4 = 'bb4331f6d723dcd25e951d01a26c99c072ee7117faa024c319895e9b51eb23ad';
    expect(sha((await SeriesDetector.create({ ...opts, refractory: 0, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1 })).pushMany(v, t))).toBe(V4);
    const d = await SeriesDetector.create({ ...opts, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1 });
    expect([d.options.refractory, d.options.refractoryLevel, d.options.refractoryMargin]).toEqual([30, 0.4, 0.04]);
    // no score of this case within 30 points after one at 0.4 or more fails to beat it by 0.04 (and is not halved already)
    expect(sha(d.pushMany(v, t))).toBe(V4);
    expect(sha((await SeriesDetector.create({ ...opts, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1, refractoryLevel: 0.2 })).pushMany(v, t))).not.toBe(V4);
  });

  it('on the raw scores (both rules off) the two rules equal the reference, for several spans, levels and margins', async () => {
    // the range check's ramp off: it comes after the rules (tests/series-ramp.test.ts)
    const { v, t, opts: o0 } = await conformanceCase();
    const opts = { ...o0, spatialRamp: -1 };
    const raw = (await SeriesDetector.create({ ...opts, suppress: 0, refractory: 0, memory: 0 })).pushMany(v, t);
    let differs = 0;
    for (const [R, level, margin] of [[30, 0.4, 0.04], [5, 0.2, 0], [100, 0.1, 0.02], [30, 0.3, 0.5]] as const) {
      const s = (await SeriesDetector.create({ ...opts, memory: 0, refractory: R, refractoryLevel: level, refractoryMargin: margin })).pushMany(v, t);
      expect(bits(s), `refractory ${R}, level ${level}, margin ${margin}`).toEqual(bits(reference(raw, opts.warmup!, opts.suppress!, R, level, margin)));
      const off = reference(raw, opts.warmup!, opts.suppress!, 0, 0, 0);
      for (let i = 0; i < s.length; i++) {
        // each score is the one without the rule or its half; a range-check 1 stays
        expect(s[i] === off[i] || s[i] === Math.fround(off[i]! * 0.5)).toBe(true);
        if (off[i] === 1) expect(s[i]).toBe(1);
        if (s[i] !== off[i]) differs++;
      }
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('a version-4 state file loads as refractory: 0 and continues exactly as the code that saved it, also after a save/load in the new format', async () => {
    const r = await continueSeriesFixture(4, 500);
    expect([r.fileVersion, r.savedVersion]).toEqual([4, 12]);
    expect(r.d.options.refractory).toBe(0);
    expect(r.d.options.twoStepWeight).toBe(0.25);
    expect(bits(r.scores)).toEqual(bits(r.want));
  });

  it('refuses a version-4 file that names refractory, and bad options', async () => {
    const d = await SeriesDetector.create({ window: 8, layers: [4, 2], warmup: 16, history: 64, trainWindows: 16, likelihoodHistory: 50, minHistory: 5, suppress: 10, context: 0 });
    d.pushMany(Array.from({ length: 40 }, (_, i) => Math.sin(i / 3)));
    const cur = d.save();
    new DataView(cur.buffer).setUint32(4, 4, true);
    await expect(SeriesDetector.load(cur)).rejects.toThrow(/corrupted: its version-4 header has no options or has refractory/);
    const v13 = d.save();
    new DataView(v13.buffer).setUint32(4, 13, true);
    await expect(SeriesDetector.load(v13)).rejects.toThrow(/format version 13; this package reads versions 3 to 12/);
    await expect(SeriesDetector.create({ refractory: -1 })).rejects.toThrow(/refractory must be/);
    await expect(SeriesDetector.create({ refractory: 1.5 })).rejects.toThrow(/refractory must be/);
    await expect(SeriesDetector.create({ refractoryLevel: 2 })).rejects.toThrow(/refractoryLevel must be/);
    await expect(SeriesDetector.create({ refractoryMargin: Number.NaN })).rejects.toThrow(/refractoryMargin must be/);
  });
});

describe('SeriesDetector second resolution', () => {
  it('push() in a loop equals pushMany(), save/load mid-block continues exactly, and resolution 0 differs from 4', async () => {
    const { v, t, opts } = await conformanceCase();
    const o = { ...opts, warmup: 16, minHistory: 10, resolution: 4 };
    const whole = await SeriesDetector.create(o);
    expect(whole.options.resolution).toBe(4);
    const all = whole.pushMany(v, t);
    const loop = await SeriesDetector.create(o);
    const one = Float32Array.from(v, (x, i) => loop.push(x, t[i]));
    expect(bits(one)).toEqual(bits(all));
    // split inside a block (351 is not a multiple of 4), save, load, continue
    const first = await SeriesDetector.create(o);
    const a = first.pushMany(v.subarray(0, 351), t.subarray(0, 351));
    const resumed = await SeriesDetector.load(first.save());
    const b = resumed.pushMany(v.subarray(351), t.subarray(351));
    expect(bits([...a, ...b])).toEqual(bits(all));
    expect(Buffer.from(resumed.save()).equals(Buffer.from(whole.save()))).toBe(true);
    const off = (await SeriesDetector.create({ ...o, resolution: 0 })).pushMany(v, t);
    expect(bits(off)).not.toEqual(bits(all));
    await expect(SeriesDetector.create({ resolution: 1 })).rejects.toThrow(/resolution 1/);
    await expect(SeriesDetector.create({ resolution: 65 })).rejects.toThrow(/resolution must be/);
  });
});
