// series.test.ts: SeriesDetector (bindings/series.ts over assembly/series.ts). push() in a loop and
// pushMany() give the same bits; save/load continues bit for bit; scores are causal (appending
// points never changes earlier scores); bad input is refused with the point named and nothing
// consumed; and the likelihood kernel matches a float64 TS oracle (tail probability by numerical
// integration of the normal density, independent of the kernel's Numerical Recipes erfc).

import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AutoencoderError, SeriesDetector, randomMatrix, type SeriesOptions } from 'autoencoder';
import { crc32 } from 'node:zlib';
import { kernelOf, loadKernel } from './helpers.js';
import { flippedWave, rand, seriesConformanceCase } from './data.js';

// small and fast: trainings every 40 points, a few epochs
const OPTS: SeriesOptions = { window: 8, layers: [6, 2], warmup: 48, retrainEvery: 40, history: 200, trainWindows: 100, firstEpochs: 4, epochs: 2, minHistory: 10, likelihoodHistory: 100, suppress: 20 };

/** A daily-like wave with noise, a level shift and a spike; times every 5 minutes with a gap and repeats. */
function series(n: number): { v: Float64Array; t: Float64Array } {
  const r = rand(7);
  const v = new Float64Array(n), t = new Float64Array(n);
  let time = Date.UTC(2015, 0, 1);
  for (let i = 0; i < n; i++) {
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 48) + r.n() + (i > 300 ? 8 : 0) + (i === 250 ? 40 : 0);
    time += i === 100 ? 3_600_000 : i % 37 === 0 ? 0 : 300_000;
    t[i] = time;
  }
  return { v, t };
}
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('SeriesDetector', () => {
  const { v, t } = series(420);

  it('pushMany equals push in a loop, bit for bit, and scores lie in [0, 1]', async () => {
    const a = await SeriesDetector.create(OPTS), b = await SeriesDetector.create(OPTS);
    const many = a.pushMany(v, t);
    const one = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) one[i] = b.push(v[i]!, t[i]!);
    expect(bits(one)).toEqual(bits(many));
    expect(many.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(many.slice(0, OPTS.warmup! - 1).every((s) => s === 0)).toBe(true);
    // the spike at 250 is the highest score after the warm-up
    const after = Array.from(many).slice(OPTS.warmup!);
    expect(after.indexOf(Math.max(...after)) + OPTS.warmup!).toBe(250);
    expect(Buffer.from(a.save()).equals(Buffer.from(b.save()))).toBe(true);
  });

  it('save/load continues exactly: the scores and the state after it equal an uninterrupted run', async () => {
    const whole = await SeriesDetector.create(OPTS);
    const all = whole.pushMany(v, t);
    for (const cut of [1, 47, 130, 333]) {
      const first = await SeriesDetector.create(OPTS);
      const head = first.pushMany(v.subarray(0, cut), t.subarray(0, cut));
      const resumed = await SeriesDetector.load(first.save());
      const tail = resumed.pushMany(v.subarray(cut), t.subarray(cut));
      expect(bits(head).concat(bits(tail)), `cut at ${cut}`).toEqual(bits(all));
      expect(Buffer.from(resumed.save()).equals(Buffer.from(whole.save()))).toBe(true);
      expect(() => resumed.push(1, t[cut - 1]! - 1)).toThrow(/earlier than the point before it/);
    }
  });

  it('after dispose() every call says so (no call reaches a released model)', async () => {
    const d = await SeriesDetector.create(OPTS);
    d.pushMany(v.subarray(0, 60), t.subarray(0, 60));
    d.dispose();
    for (const call of [() => d.push(1, t[60]!), () => d.pushMany([1], [t[60]!]), () => d.save(), () => d.count, () => d.contextPoints]) {
      expect(call).toThrow(AutoencoderError);
      expect(call).toThrow(/this SeriesDetector was disposed: create\(\) or load\(\) a new one/);
    }
  });

  it('is causal: appending points never changes the scores before them', async () => {
    const a = await SeriesDetector.create(OPTS), b = await SeriesDetector.create(OPTS);
    const short = a.pushMany(v.subarray(0, 260), t.subarray(0, 260));
    const long = b.pushMany(v, t);
    expect(bits(short)).toEqual(bits(long.subarray(0, 260)));
    // without a long context, scores without timestamps are the same (times only order the points)
    const c = await SeriesDetector.create({ ...OPTS, context: 0 }), e = await SeriesDetector.create({ ...OPTS, context: 0 });
    expect(bits(c.pushMany(v))).toEqual(bits(e.pushMany(v, t)));
  });

  it('refuses bad points, naming them, and consumes nothing of a failed call', async () => {
    const d = await SeriesDetector.create(OPTS), ref = await SeriesDetector.create(OPTS);
    d.pushMany(v.subarray(0, 100), t.subarray(0, 100));
    ref.pushMany(v.subarray(0, 100), t.subarray(0, 100));
    const bad = Float64Array.from(v.subarray(100, 110));
    bad[4] = NaN;
    expect(() => d.pushMany(bad, t.subarray(100, 110))).toThrow(/point 104 \(values\[4\]\) is NaN/);
    const back = Float64Array.from(t.subarray(100, 110));
    back[6] = back[5]! - 1000;
    expect(() => d.pushMany(v.subarray(100, 110), back)).toThrow(/point 106 \(times\[6\].*earlier than the point before it/);
    // times beyond the dates JavaScript holds (nanoseconds given as milliseconds) still get a clear error
    // when they go backwards (its message once threw a RangeError from Date)
    const ns = await SeriesDetector.create(OPTS);
    ns.pushMany([1, 2, 3], [1.6e18, 1.6e18 + 3e11, 1.6e18 + 6e11]);
    expect(() => ns.push(4, 1.6e18)).toThrow(new AutoencoderError('point 3 (times[0] = 1600000000000000000, beyond the dates JavaScript can hold (+-8.64e15 ms): are the times in milliseconds?) is earlier than the point before it (1600000600000000000, beyond the dates JavaScript can hold (+-8.64e15 ms): are the times in milliseconds?): times must not go backwards; sort the points by time'));
    expect(ns.push(4, 1.6e18 + 9e11)).toBe(0);
    ns.dispose();
    expect(() => d.push(Infinity, t[100]!)).toThrow(/point 100 .*Infinity/);
    expect(() => d.push(1e39, t[100]!)).toThrow(/float32 range/);
    expect(() => d.push(1)).toThrow(/given timestamps so far/);
    expect(() => d.pushMany([1, 2], [t[100]!])).toThrow(/times has 1 entries but values has 2/);
    expect(() => d.push('3' as unknown as number, 1)).toThrow(AutoencoderError);
    expect(() => d.pushMany([1, , 3] as number[], [1, 2, 3].map((x) => t[100]! + x))).toThrow(/hole at index 1/);
    const untimed = await SeriesDetector.create(OPTS);
    untimed.push(1);
    expect(() => untimed.push(2, 5)).toThrow(/given no timestamps so far/);
    // nothing was consumed: d continues exactly as ref
    expect(bits(d.pushMany(v.subarray(100), t.subarray(100)))).toEqual(bits(ref.pushMany(v.subarray(100), t.subarray(100))));
    await expect(SeriesDetector.create({ window: 1 })).rejects.toThrow(/window must be an integer from 2/);
    await expect(SeriesDetector.create({ windw: 8 } as SeriesOptions)).rejects.toThrow(/unknown option "windw"/);
    await expect(SeriesDetector.create({ relativeError: 1 as unknown as boolean })).rejects.toThrow(/relativeError must be true or false, got 1/);
    await expect(SeriesDetector.create({ window: 32, history: 128, context: 100 })).rejects.toThrow(/context must be an integer from 0 to 96/);
  });

  it('refuses a corrupted, truncated or foreign state file', async () => {
    const d = await SeriesDetector.create(OPTS);
    d.pushMany(v.subarray(0, 200), t.subarray(0, 200));
    const bytes = d.save();
    const flipped = bytes.slice();
    flipped[bytes.length - 40]! ^= 1;
    await expect(SeriesDetector.load(flipped)).rejects.toThrow(/corrupted: its checksum does not match/);
    await expect(SeriesDetector.load(bytes.subarray(0, bytes.length - 9))).rejects.toThrow(/corrupted/);
    await expect(SeriesDetector.load(bytes.subarray(0, 10))).rejects.toThrow(/too short/);
    const foreign = bytes.slice();
    foreign[0] = 0;
    await expect(SeriesDetector.load(foreign)).rejects.toThrow(/not a SeriesDetector state/);
    await expect(SeriesDetector.load([1, 2] as unknown as Uint8Array)).rejects.toThrow(/takes the Uint8Array/);
    // the original still loads and continues
    const ok = await SeriesDetector.load(bytes);
    expect(ok.count).toBe(200);
  });

  it('save() seals the file with the CRC-32 of its bytes (zlib\'s), and save() grows no wasm memory', async () => {
    // each resolution's detector has its own instance: the wasm memories of the whole chain
    const memories = (d: SeriesDetector): number[] => {
      const out: number[] = [];
      for (let n = d as unknown as { ae: Parameters<typeof kernelOf>[0]; child: unknown } | null; n; n = n.child as typeof n) out.push(kernelOf(n.ae).memoryBytes);
      return out;
    };
    const d = await SeriesDetector.create(OPTS);
    d.pushMany(v.subarray(0, 200), t.subarray(0, 200));
    const before = memories(d);
    expect(before.length).toBe(3);
    const bytes = d.save();
    const n = bytes.length;
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(n - 4, true)).toBe(crc32(bytes.subarray(0, n - 4)));
    expect(memories(d)).toEqual(before);
    const loaded = await SeriesDetector.load(bytes);
    const fresh = memories(loaded);
    expect(Buffer.from(loaded.save()).equals(Buffer.from(bytes))).toBe(true);
    expect(memories(loaded)).toEqual(fresh);
    // a bit flipped anywhere in the blocks (the first detector's weights, the middle, the last state) is caught
    const head = 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    for (const at of [head, head + 1000, Math.floor((head + n) / 2), n - 5]) {
      const flipped = bytes.slice();
      flipped[at]! ^= 0x10;
      await expect(SeriesDetector.load(flipped), `byte ${at}`).rejects.toThrow(/corrupted: its checksum does not match/);
    }
  });
});

// ---- the long context: its span from the times, and what it sees ---------------------------------

/** A 'daily' square wave (high from 8:00 to 20:00) with noise, 5-minute steps; day `flat` stays at the night level. */
function days(n: number, flat = -1): { v: Float64Array; t: Float64Array } {
  const r = rand(11);
  const v = new Float64Array(n), t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = (i % 288) / 12;
    v[i] = Math.floor(i / 288) === flat ? 20 + r.n() : (h >= 8 && h < 20 ? 80 : 20) + r.n();
    t[i] = Date.UTC(2015, 0, 1) + i * 300_000;
  }
  return { v, t };
}

describe('SeriesDetector long context', () => {
  it('spans a day from the median warm-up step (a week when a day is under 2 windows; contextSpan untimed; none when the day outnumbers the training windows)', async () => {
    const o: SeriesOptions = { window: 16, layers: [4, 2], warmup: 48, context: 32, contextSpan: 100, history: 2048, firstEpochs: 1, epochs: 1, trainWindows: 1024 };
    const span = async (step: (i: number) => number, opts: SeriesOptions = o) => {
      const d = await SeriesDetector.create(opts);
      const n = 60, vv = new Float64Array(n), tt = new Float64Array(n);
      let time = Date.UTC(2015, 0, 1);
      for (let i = 0; i < n; i++) { time += step(i); tt[i] = time; vv[i] = Math.sin(i); }
      expect(d.contextPoints).toBe(0);
      d.pushMany(vv, tt);
      return d.contextPoints;
    };
    // 5-minute steps with a few gaps and repeats: the median is 5 minutes, a day is 288 points = 32 bins of 9
    expect(await span((i) => (i % 10 === 3 ? 3_600_000 : i % 10 === 7 ? 0 : 300_000))).toBe(288);
    // hourly: a day (24) is under 2 windows (32), so a week, 168 points: bins of round(168 / 32) = 5
    expect(await span(() => 3_600_000)).toBe(160);
    // 1-minute steps: a day of 1440 points outnumbers the 1024 training windows, so no context
    expect(await span(() => 60_000)).toBe(0);
    expect(await span(() => 60_000, { ...o, trainWindows: 1440 })).toBe(1440);
    // with contextFit: false, capped by the kept history: 500 kept values, B C <= 500 - 16, B = 15
    expect(await span(() => 60_000, { ...o, history: 500, contextFit: false })).toBe(480);
    // untimed: contextSpan points, round(100 / 32) = 3 per bin
    const u = await SeriesDetector.create(o);
    u.pushMany(new Float64Array(60).map((_, i) => Math.sin(i)));
    expect(u.contextPoints).toBe(96);
    const none = await SeriesDetector.create({ ...o, context: 0 });
    none.pushMany(new Float64Array(60));
    expect(none.contextPoints).toBe(0);
  });

  it('on minute data (a day longer than the training windows) the default finds a spike inside the range that a day\'s context hides', async () => {
    // five and a half days of a daily sine (amplitude 10, uniform noise of +-0.5) at 1-minute steps; at a
    // trough, 5,400, one point 10 higher (still inside the range)
    const n = 8000, at = 5400;
    let s = 2;
    const r = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
    const v = new Float64Array(n), t = new Float64Array(n);
    for (let i = 0; i < n; i++) { t[i] = 1.6e12 + i * 60000; v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 1440) + (r() - 0.5); }
    v[at] = v[at]! + 10;
    const run = async (o: SeriesOptions) => {
      const d = await SeriesDetector.create(o);
      const sc = d.pushMany(v, t);
      const points = d.contextPoints;
      d.dispose();
      let other = 0;
      for (let i = 1440; i < n; i++) if (Math.abs(i - at) > 2) other = Math.max(other, sc[i]!);
      return { spike: Math.max(...sc.subarray(at, at + 3)), other, points };
    };
    const fit = await run({});
    expect(fit.points).toBe(0);
    expect(fit.spike).toBeGreaterThan(0.5);
    expect(fit.spike).toBeGreaterThan(fit.other + 0.2);
    // with the day's context (1,440 points of 23-point bins) the spike is below the largest score elsewhere
    const day = await run({ contextFit: false });
    expect(day.points).toBe(1472);
    expect(day.spike).toBeLessThan(day.other);
  });

  it('a day without its daytime high (each window of it looks normal) scores above every normal day only with the context', async () => {
    const flat = 7, n = 288 * 8;
    const { v, t } = days(n, flat);
    const o: SeriesOptions = { window: 16, layers: [16, 4], history: 1200, trainWindows: 512, retrainEvery: 288, spatialTolerance: -1, suppress: 0 };
    const top = async (opts: SeriesOptions) => {
      const s = (await SeriesDetector.create(opts)).pushMany(v, t);
      let inFlat = 0, outside = 0;
      // scored from day 3 (after the first context-full trainings) to the end
      for (let i = 3 * 288; i < n; i++) {
        if (Math.floor(i / 288) === flat) inFlat = Math.max(inFlat, s[i]!);
        else outside = Math.max(outside, s[i]!);
      }
      return { inFlat, outside };
    };
    const withCtx = await top({ ...o, context: 32 });
    expect(withCtx.inFlat).toBeGreaterThan(withCtx.outside);
    // a window-only model has seen every window of that day (nights are flat at 20): it misses it
    const without = await top({ ...o, context: 0 });
    expect(without.inFlat).toBeLessThan(without.outside);
  });
});

// ---- the prediction stream (predict: the newest window points hidden from the input) -----------

describe('SeriesDetector prediction stream', () => {
  it('predict: 0 (with twoStepWeight: 0, refractory: 0, origin: 0, contextFit: false, spatialRamp: -1) scores exactly as before the stream existed (the conformance case, golden digest of state version 2)', async () => {
    // tests/conformance/workload.mjs seriesCase, digested by golden.json before the prediction stream
    const { v, t, opts } = await seriesConformanceCase();
    const digest = async (o: SeriesOptions) => {
      const s = (await SeriesDetector.create(o)).pushMany(v, t);
      return createHash('sha256').update(new Uint8Array(s.buffer, s.byteOffset, s.byteLength)).digest('hex');
    };
    expect(await digest({ ...opts, predict: 0, twoStepWeight: 0, refractory: 0, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1 })).toBe('e33298da2ec0f48844047fb9eb81ff628ef094f3f948fb7dda1bd1cd693396b3');
    expect(await digest(opts)).not.toBe('e33298da2ec0f48844047fb9eb81ff628ef094f3f948fb7dda1bd1cd693396b3');
  });

  it('a point off a smooth wave but inside its range is the top score, with the prediction stream (1 or 2 points hidden) and without', async () => {
    // a slow wave with little noise; at 700 one point takes the value of the opposite phase (the
    // range check cannot see it): the score's top after the warm-up lies in the windows holding it.
    // The range check's ramp off: the noise's new highs just beyond the range (734: 0.369) would
    // outrank the flipped point (0.358) on this clean toy; below NAB's threshold both
    const { v, at, opts: o0 } = flippedWave();
    const o = { ...o0, spatialRamp: -1 };
    const top = async (opts: SeriesOptions) => {
      const s = (await SeriesDetector.create(opts)).pushMany(v);
      let best = 300;
      for (let i = 300; i < v.length; i++) if (s[i]! > s[best]!) best = i;
      return best;
    };
    for (const p of [0, 1, 2]) {
      const best = await top({ ...o, predict: p });
      expect(best, `predict ${p}`).toBeGreaterThanOrEqual(at);
      expect(best, `predict ${p}`).toBeLessThan(at + 16);
    }
  });

  it('refuses a prediction that would hide the whole window', async () => {
    await expect(SeriesDetector.create({ window: 8, predict: 8 })).rejects.toThrow(/predict must be an integer from 0 to 7/);
    await expect(SeriesDetector.create({ predictionFloor: 0 })).rejects.toThrow(/predictionFloor must be/);
    await expect(SeriesDetector.create({ predictionAverage: 0 })).rejects.toThrow(/predictionAverage must be an integer from 1/);
  });
});

describe('SeriesDetector conv1d option', () => {
  const { v, t } = series(420);
  const CONV: SeriesOptions = { ...OPTS, context: 8, conv: 4, convKernel: 3 };

  it('push() in a loop equals pushMany(), save/load continues exactly, and the conv model differs from the dense one', async () => {
    const a = await SeriesDetector.create(CONV), b = await SeriesDetector.create(CONV);
    const many = a.pushMany(v, t);
    const one = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) one[i] = b.push(v[i]!, t[i]!);
    expect(bits(one)).toEqual(bits(many));
    expect(many.every((s) => s >= 0 && s <= 1)).toBe(true);
    const first = await SeriesDetector.create(CONV);
    const head = first.pushMany(v.subarray(0, 200), t.subarray(0, 200));
    const resumed = await SeriesDetector.load(first.save());
    expect(resumed.options.conv).toBe(4);
    expect(bits(head).concat(bits(resumed.pushMany(v.subarray(200), t.subarray(200))))).toEqual(bits(many));
    expect(Buffer.from(resumed.save()).equals(Buffer.from(a.save()))).toBe(true);
    const dense = (await SeriesDetector.create({ ...CONV, conv: 0 })).pushMany(v, t);
    expect(bits(dense)).not.toEqual(bits(many));
    // a dense detector's state file names no conv key (its bytes are those of the versions before the option)
    const headerOf = (d: SeriesDetector) => { const b = d.save(); return new TextDecoder().decode(b.subarray(12, 12 + new DataView(b.buffer, b.byteOffset).getUint32(8, true))); };
    expect(headerOf(await SeriesDetector.create(OPTS))).not.toMatch(/conv/);
    expect(headerOf(a)).toMatch(/"conv":4,"convKernel":3,"convStride":2,"convDecoder":false/);
    // the dense default's bytes are untouched by the option's existence: conv 0 is the dense model
    expect(bits(dense)).toEqual(bits((await SeriesDetector.create({ ...OPTS, context: 8 })).pushMany(v, t)));
  });

  it('finds a point off a smooth wave inside its range (the top score) with a conv1d front end of 8 filters, with a dense or a transposed-conv decoder (4 filters miss it)', async () => {
    const r = rand(5), n = 900, at = 700;
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 10 * Math.sin((2 * Math.PI * i) / 60) + 0.2 * r.n();
    w[at] = -w[at]!;
    const o: SeriesOptions = { window: 16, layers: [16, 4], context: 8, contextSpan: 120, warmup: 128, history: 600, trainWindows: 256, suppress: 0, minHistory: 50, conv: 8 };
    for (const convDecoder of [false, true]) {
      const s = (await SeriesDetector.create({ ...o, convDecoder })).pushMany(w);
      let best = 300;
      for (let i = 300; i < n; i++) if (s[i]! > s[best]!) best = i;
      expect(best, `convDecoder ${convDecoder}`).toBeGreaterThanOrEqual(at);
      expect(best, `convDecoder ${convDecoder}`).toBeLessThan(at + 16);
    }
  });

  it('refuses bad conv options with the reason', async () => {
    await expect(SeriesDetector.create({ conv: -1 })).rejects.toThrow(/conv must be an integer from 0 to 256/);
    await expect(SeriesDetector.create({ conv: 4, convKernel: 0 })).rejects.toThrow(/convKernel must be an integer from 1/);
    await expect(SeriesDetector.create({ conv: 4, convStride: 1.5 })).rejects.toThrow(/convStride must be an integer/);
    await expect(SeriesDetector.create({ conv: 4, convDecoder: 1 as unknown as boolean })).rejects.toThrow(/convDecoder must be true or false/);
    await expect(SeriesDetector.create({ conv: 4, convDecoder: true, window: 32, context: 63, convStride: 2 })).rejects.toThrow(/convDecoder needs window \+ context \(95\) to be a multiple of convStride \(2\)/);
  });
});

// ---- the likelihood kernel against a float64 oracle ---------------------------------------------

/** Q(z) by composite Simpson integration of the normal density over [|z|, |z| + 40]. */
function tailOracle(z: number): number {
  const a = Math.abs(z), steps = 40000, h = 40 / steps;
  const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  let s = phi(a) + phi(a + 40);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * phi(a + i * h);
  const q = (s * h) / 3;
  return z >= 0 ? q : 1 - q;
}

describe('series likelihood kernel', () => {
  it('matches -ln Q(z) / (-ln Q(z) + ln 1e5) from a float64 oracle', async () => {
    const k = await loadKernel();
    const r = rand(3);
    let worst = 0;
    for (let c = 0; c < 300; c++) {
      const n = 2 + Math.floor(r.u() * 500);
      const mean = (r.u() - 0.3) * 10, sd = 0.01 + r.u() * 3;
      const s = mean * n, q = (sd * sd + mean * mean) * n;
      const floor = c % 3 === 0 ? 0.5 : 0;
      const a = mean + (r.u() * 16 - 4) * sd;
      const sdUsed = Math.max(sd, floor * Math.abs(mean), 1e-6);
      const z = (a - mean) / sdUsed;
      const L = Math.max(-Math.log(tailOracle(z)), 0);
      const want = L / (L + Math.log(1e5));
      const got = k.x.ae_series_likelihood(a, s, q, n, floor);
      worst = Math.max(worst, Math.abs(got - want));
    }
    // NR erfc: relative error < 1.2e-7 in Q, so < 1.2e-7 in ln Q; float32 exp/log and the result's rounding add a few ulp
    expect(worst).toBeLessThan(2e-6);
    // far tails do not saturate: z = 12 and 14 score differently, both below 1
    const far = [12, 14].map((zz) => k.x.ae_series_likelihood(zz, 0, 2, 2, 0));
    expect(far[0]!).toBeLessThan(far[1]!);
    expect(far[1]!).toBeLessThan(1);
  });
});

describe('SeriesDetector: found by probing (2026-12-07), each refused or mended', () => {
  const caught = async (f: () => unknown): Promise<Error> => {
    try {
      await f();
    } catch (e) {
      return e as Error;
    }
    throw new Error('did not throw');
  };

  it('options: a layers that is not an array, a Map, an option given as undefined (the default, as elsewhere), a default the other options rule out (named as one), a value float32 rounds to 0', async () => {
    for (const layers of [5, true, {}, '32', new Uint8Array([16, 4]), null]) {
      const e = await caught(() => SeriesDetector.create({ layers } as never));
      expect(e, String(layers)).toBeInstanceOf(AutoencoderError);
      expect(e.message).toMatch(/^layers must be an array of 1 to 8 entries such as \[32, 8\], got /);
    }
    expect((await caught(() => SeriesDetector.create(new Map([['window', 16]]) as never))).message).toBe('SeriesDetector.create() options must be a plain object such as { window: 32 }, got a Map');
    const u = await SeriesDetector.create({ ...OPTS, window: undefined, seed: undefined, layers: undefined });
    const d = await SeriesDetector.create({ ...OPTS, window: 32, seed: 1, layers: [32, 8] });
    expect(u.options).toEqual({ ...d.options });
    expect((await caught(() => SeriesDetector.create({ window: 1024 }))).message).toBe('warmup must be an integer from 1024 to 2048, got 128, its default, which the options given rule out: give warmup too');
    expect((await caught(() => SeriesDetector.create({ warmup: 10 }))).message).toBe('warmup must be an integer from 32 to 2048, got 10');
    for (const [key, v] of [['spatialTolerance', -1e-46], ['spatialRampConfirm', 1e-46]] as const) {
      expect((await caught(() => SeriesDetector.create({ [key]: v }))).message).toMatch(new RegExp(`^${key} -?1e-46 is below float32's smallest number`));
    }
    u.dispose();
    d.dispose();
  });

  it('times as a Float32Array are refused (epoch milliseconds lose 131,072 ms in float32); values as one are kept', async () => {
    const d = await SeriesDetector.create(OPTS);
    const e = await caught(() => d.pushMany([1, 2], new Float32Array([1.7e12, 1.7e12 + 60000]) as never));
    expect(e.message).toBe('times must be a number[] or Float64Array, got a Float32Array: a Float32Array rounds epoch milliseconds (to 131,072 ms in 2026)');
    expect(d.count).toBe(0);
    const ref = await SeriesDetector.create(OPTS);
    expect(d.pushMany(new Float32Array([1.5, 2.5]) as never)).toEqual(ref.pushMany([1.5, 2.5]));
  });

  it('a disposed detector refuses pushMany() of no points too', async () => {
    const d = await SeriesDetector.create(OPTS);
    d.dispose();
    expect(() => d.pushMany([])).toThrow('this SeriesDetector was disposed: create() or load() a new one');
  });

  it("load(): the caller's options are not called a corrupted file, a damaged header's options are", async () => {
    const d = await SeriesDetector.create(OPTS);
    d.pushMany([1, 2, 3]);
    const b = d.save();
    expect((await caught(() => SeriesDetector.load(b, { threads: 0 }))).message).toMatch(/^threads must be an integer from 1 to 256/);
    const text = new TextDecoder('latin1').decode(b);
    const at = text.indexOf('"warmup"');
    const bad = b.slice();
    bad.set(new TextEncoder().encode('"wasmup"'), at);
    expect((await caught(() => SeriesDetector.load(bad))).message).toMatch(/^the SeriesDetector state is corrupted: its options are invalid \(unknown option "wasmup"/);
  });

  it('create() out of memory names the options that size the detector, not rows per call', async () => {
    const e = await caught(() => SeriesDetector.create({ window: 1024, warmup: 1024, history: 1 << 20, context: 20000, trainWindows: 1 << 16, resolution: 0 }));
    expect(e.message).toMatch(/^out of memory: this detector needs [\d.]+ MiB of wasm memory, .*; use a smaller history, trainWindows, likelihoodHistory or window$/);
  });

  it('a dense detector keeps its conv options across save() and load(); steps past float32 load (the grid step Infinity, as held)', async () => {
    const d = await SeriesDetector.create({ ...OPTS, convKernel: 7, convStride: 3, convDecoder: true });
    expect((await SeriesDetector.load(d.save())).options).toEqual(d.options);
    const plain = await SeriesDetector.create(OPTS);
    expect(new TextDecoder().decode(plain.save())).not.toMatch(/"conv/);
    const far = await SeriesDetector.create(OPTS);
    const v = Array.from({ length: 60 }, (_, i) => Math.sin(i)), t = v.map((_, i) => i * 1e39);
    far.pushMany(v, t);
    const back = await SeriesDetector.load(far.save());
    const next = [0.5, -0.5, 0.25], nt = [60e39, 61e39, 62e39];
    expect(back.pushMany(next, nt)).toEqual(far.pushMany(next, nt));
  });

  it("values spanning more than float32 under origin 'first': the coarser resolution's refusal names the remedy, and origin: 0 takes them", async () => {
    const v = [0, 3e38, 3e38, 3e38, -3e38, -3e38, -3e38, -3e38];
    const d = await SeriesDetector.create();
    expect((await caught(() => d.pushMany(v))).message).toMatch(/^the mean of a block of 4 points of this call .* create the detector with origin: 0 \(or another number near the values\), or resolution: 0$/);
    expect(d.count).toBe(0);
    const o = await SeriesDetector.create({ origin: 0 });
    expect(Array.from(o.pushMany(v))).toEqual(new Array(8).fill(0));
  });
});
