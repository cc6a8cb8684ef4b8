// series-memory.test.ts: the memory of alarms of SeriesDetector (memory, memoryTolerance,
// memoryAmplitude: a score below 1 whose window repeats the shape and size of a remembered alarm
// counts half, before the halving rules). With memory: 0 the scores are those of the code before it
// (the golden digest of that code's conformance case, state version 6); the memory on top of the
// scores without it equals a reference written here from the option docs; version-6 state files
// (saved before it, tests/fixtures/make-series-v6.mjs) load as memory: 0 and continue as that code
// did, bit for bit; a version-6 file that claims the option, or a bad option, is refused clearly.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';
import { S } from '../bindings/wasm.js';
import { continueSeriesFixture, seriesConformanceCase as conformanceCase } from './data.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const sha = (s: Float32Array) => createHash('sha256').update(new Uint8Array(s.buffer, s.byteOffset, s.byteLength)).digest('hex');
const f = Math.fround;

/**
 * The memory applied to scores computed without it (and without the halving rules), from the option
 * docs: the window of the last W values (as float32) less the mean of its older half, over the range
 * seen (this point included); its size the largest magnitude, the unit shape that divided by the
 * size; a score in (0, 1) whose window is within `tol` RMS of a remembered unit shape, sizes within
 * the ratio `amp`, counts half; a score at or above `level` (before that) is remembered, K at most.
 */
function reference(raw: Float32Array, vals: Float64Array, W: number, K: number, tol: number, amp: number, level: number): { out: Float32Array; halved: number } {
  const out = raw.slice();
  const bank: { size: number; shape: Float32Array }[] = [];
  const x = Float32Array.from(vals);
  let lo = Infinity, hi = -Infinity, halved = 0;
  for (let c = 0; c < raw.length; c++) {
    lo = Math.min(lo, x[c]!);
    hi = Math.max(hi, x[c]!);
    const r = raw[c]!;
    if (!(r > 0)) continue;
    const range = hi - lo > 0 ? hi - lo : 1;
    let base = 0;
    for (let j = 0; j < W >> 1; j++) base += x[c - W + 1 + j]!;
    base /= W >> 1;
    const z = Float32Array.from({ length: W }, (_, j) => (x[c - W + 1 + j]! - base) / range);
    const size = Math.max(...Array.from({ length: W }, (_, j) => Math.abs((x[c - W + 1 + j]! - base) / range)));
    const shape = size > 0 ? z.map((v) => v / size) : z;
    const sz = f(size);
    if (r < 1) {
      for (const m of bank) {
        if (sz > f(m.size * f(amp)) || m.size > f(sz * f(amp))) continue;
        let d = 0;
        for (let j = 0; j < W; j++) d += (shape[j]! - m.shape[j]!) ** 2;
        if (d < f(tol) * f(tol) * W) {
          out[c] = f(r * 0.5);
          halved++;
          break;
        }
      }
    }
    if (r >= f(level)) {
      if (bank.length === K) bank.shift();
      bank.push({ size: sz, shape });
    }
  }
  return { out, halved };
}

/** A 'daily' sine (288 points of 5 minutes) with noise, a like spike every day from point 700 and a dip every other day from 900. */
function spikyWave(): { v: Float64Array; t: Float64Array } {
  const n = 1800;
  let s = 4242;
  const u = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const v = new Float64Array(n), t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = 50 + 30 * Math.sin((2 * Math.PI * i) / 288) + 2 * (u() - 0.5) + (i >= 700 && i % 288 === 200 ? 40 : 0) + (i >= 900 && i % 576 === 100 ? -20 : 0);
    t[i] = 1420070400000 + i * 300000;
  }
  return { v, t };
}

describe('SeriesDetector memory of alarms', () => {
  it('memory: 0 (with origin: 0, contextFit: false, spatialRamp: -1) scores as the code before it (golden.json series/scores of state version 6), the default differs here', async () => {
    const { v, t, opts } = await conformanceCase();
    // the digest tests/conformance/golden.json held for series/scores before round 12 (commit ed642ce)
    const V6 = 'd5a082d93d4ab9991baf2485b4ba09bfa2763f7b4b85c6605ef2c8cfe6306590';
    const off = await SeriesDetector.create({ ...opts, memory: 0, origin: 0, contextFit: false, spatialRamp: -1 });
    expect(sha(off.pushMany(v, t))).toBe(V6);
    const d = await SeriesDetector.create(opts);
    expect([d.options.memory, d.options.memoryTolerance, d.options.memoryAmplitude]).toEqual([64, 0.35, 1.2]);
    expect(sha(d.pushMany(v, t))).not.toBe(V6);
  });

  it('on the scores without it (halving rules off) the memory equals the reference, for several sizes, tolerances, ratios and levels', async () => {
    const { v, t } = spikyWave();
    // the range check's ramp off: it comes after the rules (tests/series-ramp.test.ts)
    const o = { resolution: 0, suppress: 0, refractory: 0, spatialRamp: -1 };
    const raw = (await SeriesDetector.create({ ...o, memory: 0 })).pushMany(v, t);
    const halved: number[] = [];
    for (const [K, tol, amp, level] of [[64, 0.35, 1.2, 0.4], [64, 0.35, 1.2, 0.1], [2, 0.8, 3, 0.05], [1, 2, 100, 0.02], [16, 0.05, 1.01, 0.1]] as const) {
      const s = (await SeriesDetector.create({ ...o, memory: K, memoryTolerance: tol, memoryAmplitude: amp, refractoryLevel: level })).pushMany(v, t);
      const ref = reference(raw, v, 32, K, tol, amp, level);
      expect(bits(s), `memory ${K}, tolerance ${tol}, amplitude ${amp}, level ${level}`).toEqual(bits(ref.out));
      halved.push(ref.halved);
      // every score is the one without the memory or its half; a range-check 1 stays
      for (let i = 0; i < s.length; i++) {
        expect(s[i] === raw[i] || s[i] === f(raw[i]! * 0.5)).toBe(true);
        if (raw[i] === 1) expect(s[i]).toBe(1);
      }
    }
    // the case exercises the rule: some scores halved in each setting, not all of them where the tolerance is tight
    for (const h of halved) expect(h).toBeGreaterThan(0);
    expect(halved[4]).toBeLessThan(halved[2]!);
  });

  it('push() in a loop equals pushMany(), and save/load in the middle continues exactly', async () => {
    const { v, t } = spikyWave();
    const o = { window: 16, layers: [8, 3], history: 600, trainWindows: 128, firstEpochs: 5, epochs: 2, likelihoodHistory: 600, minHistory: 20, context: 16, resolution: 0, refractoryLevel: 0.1, memory: 4 };
    const whole = await SeriesDetector.create(o);
    const all = whole.pushMany(v, t);
    const first = await SeriesDetector.create(o);
    const a = Float32Array.from(v.subarray(0, 1201), (x, i) => first.push(x, t[i]));
    const resumed = await SeriesDetector.load(first.save());
    const b = resumed.pushMany(v.subarray(1201), t.subarray(1201));
    expect(bits([...a, ...b])).toEqual(bits(all));
    expect(Buffer.from(resumed.save()).equals(Buffer.from(whole.save()))).toBe(true);
  });

  it('a version-6 state file loads as memory: 0 and continues exactly as the code that saved it, also after a save/load in the new format', async () => {
    const r = await continueSeriesFixture(6, 503);
    expect([r.fileVersion, r.savedVersion]).toEqual([6, 12]);
    expect(r.d.options.memory).toBe(0);
    expect(r.d.options.resolution).toEqual([2, 4]);
    expect(bits(r.scores)).toEqual(bits(r.want));
  });

  it('refuses a version-6 file that names memory, a state whose memory count is impossible, and bad options', async () => {
    const small = { window: 8, layers: [4, 2], warmup: 16, history: 64, trainWindows: 16, likelihoodHistory: 50, minHistory: 5, suppress: 10, context: 0, resolution: 0 };
    const d = await SeriesDetector.create(small);
    d.pushMany(Array.from({ length: 40 }, (_, i) => Math.sin(i / 3)));
    const cur = d.save();
    new DataView(cur.buffer).setUint32(4, 6, true);
    await expect(SeriesDetector.load(cur)).rejects.toThrow(/corrupted: its version-6 header has no options or has memory/);
    // the state block is the file's last (resolution 0), before the checksum; its length from the ring
    // layout of assembly/series.ts (values, errors, averages, scores, warm-up steps, the two prediction
    // streams' rings, then 64 remembered alarms of window + 1 floats)
    const stBytes = S.BYTES + 4 * (64 + 1 + 50 + 10 + 16 + 2 * (3 + 50) + 64 * 9);
    for (const memn of [-1, 41]) {
      const bad = d.save();
      const dv = new DataView(bad.buffer);
      dv.setInt32(bad.length - 4 - stBytes + S.MEMN, memn, true);
      dv.setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
      await expect(SeriesDetector.load(bad), `memory count ${memn}`).rejects.toThrow(/corrupted: its counters are impossible/);
    }
    expect((await SeriesDetector.load(d.save())).count).toBe(40);
    await expect(SeriesDetector.create({ memory: -1 })).rejects.toThrow(/memory must be/);
    await expect(SeriesDetector.create({ memory: 1.5 })).rejects.toThrow(/memory must be/);
    await expect(SeriesDetector.create({ memory: 5000 })).rejects.toThrow(/memory must be/);
    await expect(SeriesDetector.create({ memoryTolerance: -0.1 })).rejects.toThrow(/memoryTolerance must be/);
    await expect(SeriesDetector.create({ memoryAmplitude: 0.5 })).rejects.toThrow(/memoryAmplitude must be/);
    await expect(SeriesDetector.create({ memoryAmplitude: Number.NaN })).rejects.toThrow(/memoryAmplitude must be/);
    // the detector that refused nothing still works
    expect(d.push(0.5)).toBeGreaterThanOrEqual(0);
  });
});
