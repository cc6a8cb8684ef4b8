// series-twostep.test.ts: the two-step stream of SeriesDetector (twoStepWeight: the newest point's
// error with predict + 1 points hidden, a third likelihood stream). With the stream off the scores
// are those of the code before it (golden digest of that code's conformance case); version-3 state
// files (saved before it, tests/fixtures/make-series-v3.mjs) load and continue as that code did,
// bit for bit; a version-3 file that claims the new option, or an unknown version, is refused
// clearly; the stream changes the scores and still finds an in-range spike on a smooth wave.

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';
import { ROOT } from './helpers.js';
import { continueSeriesFixture, flippedWave, seriesConformanceCase as conformanceCase } from './data.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const sha = (s: Float32Array) => createHash('sha256').update(new Uint8Array(s.buffer, s.byteOffset, s.byteLength)).digest('hex');


describe('SeriesDetector two-step stream', () => {
  it('twoStepWeight: 0 (with refractory: 0, origin: 0, contextFit: false, spatialRamp: -1) scores as the code before the stream (golden.json series/scores of state version 3); the default differs', async () => {
    const { v, t, opts } = await conformanceCase();
    // the digest tests/conformance/golden.json held for series/scores before round 6 (commit 4d75554)
    const V3 = '54b58dbf8a3c970e9b07581d1ffdbc1c14c1ce7ebfe15a476a6535271fafb5ce';
    expect(sha((await SeriesDetector.create({ ...opts, twoStepWeight: 0, refractory: 0, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1 })).pushMany(v, t))).toBe(V3);
    const d = await SeriesDetector.create(opts);
    expect(d.options.twoStepWeight).toBe(0.25);
    const s = d.pushMany(v, t);
    expect(sha(s)).not.toBe(V3);
  });

  it('a version-3 state file loads and continues exactly as the code that saved it', async () => {
    const fx = JSON.parse(readFileSync(`${ROOT}tests/fixtures/series-v3.json`, 'utf8')) as { values: number[]; times: number[]; scores350: number[] };
    const bytes = new Uint8Array(readFileSync(`${ROOT}tests/fixtures/series-v3.state`));
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(3);
    const d = await SeriesDetector.load(bytes);
    expect(d.options.twoStepWeight).toBe(0);
    expect(d.count).toBe(350);
    const rest = d.pushMany(fx.values.slice(350), fx.times.slice(350));
    expect(bits(rest)).toEqual(bits(fx.scores350));
    expect(d.options.refractory).toBe(0);
    // it saves as the current version (10)
    const again = await SeriesDetector.load(d.save());
    expect(new DataView(again.save().buffer).getUint32(4, true)).toBe(12);
  });

  it('a version-3 state that continues after a save/load in the new format stays bit-identical', async () => {
    const r = await continueSeriesFixture(3, 500);
    expect([r.fileVersion, r.savedVersion]).toEqual([3, 12]);
    expect(r.d.options.memory).toBe(0);
    expect(bits(r.scores)).toEqual(bits(r.want));
  });

  it('refuses a version-3 file that names twoStepWeight, an unknown version, and options it cannot run', async () => {
    const bytes = new Uint8Array(readFileSync(`${ROOT}tests/fixtures/series-v3.state`));
    const unknown = bytes.slice();
    new DataView(unknown.buffer).setUint32(4, 13, true);
    await expect(SeriesDetector.load(unknown)).rejects.toThrow(/format version 13; this package reads versions 3 to 12/);
    // a current file relabelled as version 3: its header names twoStepWeight
    const d = await SeriesDetector.create({ window: 8, layers: [4, 2], warmup: 16, history: 64, trainWindows: 16, likelihoodHistory: 50, minHistory: 5, suppress: 10, context: 0 });
    d.pushMany(Array.from({ length: 40 }, (_, i) => Math.sin(i / 3)));
    const cur = d.save();
    new DataView(cur.buffer).setUint32(4, 3, true);
    await expect(SeriesDetector.load(cur)).rejects.toThrow(/corrupted: its version-3 header has no options or has twoStepWeight/);
    await expect(SeriesDetector.create({ window: 8, predict: 7 })).rejects.toThrow(/twoStepWeight hides predict \+ 1 = 8 of the window's 8 points.*predict <= 6/);
    expect((await SeriesDetector.create({ window: 8, predict: 7, twoStepWeight: 0 })).options.predict).toBe(7);
    await expect(SeriesDetector.create({ twoStepWeight: -1 })).rejects.toThrow(/twoStepWeight must be/);
    await expect(SeriesDetector.create({ twoStepWeight: Number.NaN })).rejects.toThrow(/twoStepWeight must be/);
  });

  it('a point off a smooth wave but inside its range is the top score with the stream alone weighing most', async () => {
    // as series.test.ts's prediction-stream case: at 700 one point takes the opposite phase's value
    // (the range check's ramp off, as there)
    const { v, at, opts: o0 } = flippedWave();
    const o = { ...o0, spatialRamp: -1 };
    for (const w of [0.25, 1000]) {
      // the stream alone: no second resolution (whose own two-step stream at 1000 tops elsewhere on this toy)
      const s = (await SeriesDetector.create({ ...o, twoStepWeight: w, resolution: 0 })).pushMany(v);
      let best = 300;
      for (let i = 300; i < v.length; i++) if (s[i]! > s[best]!) best = i;
      expect(best, `twoStepWeight ${w}`).toBeGreaterThanOrEqual(at);
      expect(best, `twoStepWeight ${w}`).toBeLessThan(at + 16);
    }
  });
});
