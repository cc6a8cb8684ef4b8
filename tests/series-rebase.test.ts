// series-rebase.test.ts: a SeriesDetector runs past 2^31 points. Its kernel counts in i32; once a
// detector has counted 2^29 points its counters move back by a multiple of every period they are
// taken modulo (assembly/series.ts REBASE_AT), so the scores go on with the same bits and `count`
// goes on counting. The oracle is the detector itself without the move: a saved state whose counters
// are edited forward by such a multiple (as if it had seen that many more points) must score the
// rest of the series with the same bits as the unedited one, cross 2^29 there, and report a count
// larger by exactly the edit. The fuzz of edited states (tests/fuzz/properties.ts, SeriesDetector
// states) found why this matters: a state claiming 2^31 - 1 points loaded, and its next push() never
// returned (a loop up to the count could not end); such a state is now refused.

import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';
import { S } from '../bindings/wasm.js';
import { fixCrc } from './data.js';
import { SMALL_SERIES as opts, seriesStateBlocks, seriesWithHeader as withHeader } from './model-file.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const REBASE_AT = 2 ** 29;
// the periods of SMALL_SERIES: counts 640, errors 600, alarms 8
const L = 640, LE = 600, K = 8;

function series(n: number): { v: Float64Array; t: Float64Array } {
  const v = Float64Array.from({ length: n }, (_, i) => 10 * Math.sin(i / 7) + ((i * 7919) % 13) / 13 + (i % 331 === 300 ? 40 : 0) + (i === 1000 ? 80 : 0) + (i >= 1800 && i < 1830 ? 15 : 0) + (i === 2200 ? -120 : 0));
  const t = Float64Array.from(v, (_, i) => 1.6e12 + 300000 * i);
  return { v, t };
}

const stateBlocks = (b: Uint8Array) => seriesStateBlocks(b, S);

const header = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + new DataView(b.buffer, b.byteOffset).getUint32(8, true))));

describe('SeriesDetector past 2^31 points', () => {
  it('counters moved back at 2^29 points keep the scores, bit for bit, and count on', async () => {
    const { v, t } = series(2900);
    // (with the shape resolutions: their chain's counters move back too)
    const a = await SeriesDetector.create({ ...opts, shapeResolutions: true });
    a.pushMany(v.subarray(0, 1200), t.subarray(0, 1200));
    const saved = a.save();
    const blocks = stateBlocks(saved);
    // the detector, its coarser resolutions' (blocks of 2 and 4) and its shape resolutions' (the same blocks)
    expect(blocks.length).toBe(5);
    // each detector's counters forward by a multiple of its periods, to just under 2^29 (the coarser
    // ones see a half and a quarter of the points: they get nearer, so that they cross it too)
    const edited = saved.slice();
    const dv = new DataView(edited.buffer);
    const forward: number[] = [];
    blocks.forEach((p, i) => {
      const c = dv.getInt32(p + S.COUNT, true);
      expect(c).toBeGreaterThanOrEqual(opts.history);   // the kept values' oldest position is the count less H: the same in both
      const d = Math.floor((REBASE_AT - [400, 150, 60, 150, 60][i]! - c) / L) * L;
      forward.push(d);
      dv.setInt32(p + S.COUNT, c + d, true);
      dv.setInt32(p + S.NEXT, dv.getInt32(p + S.NEXT, true) + d, true);
      const hot = dv.getInt32(p + S.RAT, true);
      if (hot > 0) dv.setInt32(p + S.RAT, hot + d, true);
      const en = dv.getInt32(p + S.EN, true);
      expect(en).toBeGreaterThanOrEqual(opts.likelihoodHistory);
      dv.setInt32(p + S.EN, en + Math.floor((c + d - en - 1000) / LE) * LE, true);
      const mn = dv.getInt32(p + S.MEMN, true);
      if (mn >= K) dv.setInt32(p + S.MEMN, mn + Math.floor((c + d - mn - 5000) / K) * K, true);
    });
    const b = await SeriesDetector.load(fixCrc(edited));
    expect(b.count - a.count).toBe(forward[0]);
    const sa = a.pushMany(v.subarray(1200, 2600), t.subarray(1200, 2600));
    const sb = b.pushMany(v.subarray(1200, 2600), t.subarray(1200, 2600));
    expect(bits(sb)).toEqual(bits(sa));
    expect(Math.max(...sa)).toBe(1);   // the series has alarms there (the refractory and memory rules take part)
    expect(b.count).toBe(a.count + forward[0]!);
    expect(b.count).toBeGreaterThan(REBASE_AT);
    // every detector of the five moved its counters back, and the file says by how much
    const moved = b.save();
    const h = header(moved);
    expect(h.shift).toBeGreaterThan(0);
    expect(h.child.shift).toBeGreaterThan(0);
    expect(h.child.child.shift).toBeGreaterThan(0);
    expect(h.twin.shift).toBeGreaterThan(0);
    expect(h.twin.child.shift).toBeGreaterThan(0);
    const mdv = new DataView(moved.buffer, moved.byteOffset);
    for (const p of stateBlocks(moved)) expect(mdv.getInt32(p + S.COUNT, true)).toBeLessThan(REBASE_AT);
    expect(h.shift + mdv.getInt32(stateBlocks(moved)[0]! + S.COUNT, true)).toBe(b.count);
    // the two states are the same bytes (weights, optimizer, every ring, each value in its slot) but for
    // the counters, which differ by multiples of the periods they are taken modulo
    const ref = a.save();
    const body = (x: Uint8Array) => x.subarray(12 + new DataView(x.buffer, x.byteOffset).getUint32(8, true), x.length - 4);
    const [ba, bb] = [body(ref), body(moved)];
    expect(bb.length).toBe(ba.length);
    const counters = [S.COUNT, S.NEXT, S.RAT, S.EN, S.MEMN];
    const base = (x: Uint8Array) => 12 + new DataView(x.buffer, x.byteOffset).getUint32(8, true);
    const va = new DataView(ba.buffer, ba.byteOffset), vb = new DataView(bb.buffer, bb.byteOffset);
    const masked = (x: Uint8Array, at: number[]) => { const y = x.slice(); for (const p of at) for (const f of counters) y.fill(0, p + f, p + f + 4); return y; };
    const at = stateBlocks(ref).map((p) => p - base(ref));
    expect(stateBlocks(moved).map((p) => p - base(moved))).toEqual(at);
    expect(masked(bb, at)).toEqual(masked(ba, at));
    for (const p of at) {
      const diff = (f: number) => vb.getInt32(p + f, true) - va.getInt32(p + f, true);
      // (the coarser resolutions' detectors run without the halving rule: their counts' period is H)
      expect(diff(S.COUNT) % (p === at[0] ? L : opts.history)).toBe(0);
      expect(diff(S.NEXT)).toBe(diff(S.COUNT));
      expect(diff(S.EN) % LE).toBe(0);
      expect(diff(S.MEMN) % K).toBe(0);
    }
    // and a detector loaded from it continues as both
    const c = await SeriesDetector.load(moved);
    expect(c.count).toBe(b.count);
    const ta = a.pushMany(v.subarray(2600), t.subarray(2600));
    expect(bits(c.pushMany(v.subarray(2600), t.subarray(2600)))).toEqual(bits(ta));
    expect(c.count).toBe(a.count + forward[0]!);
    for (const d of [a, b, c]) d.dispose();
  });

  it('refuses a state whose counters could not be, and a push past the most a detector can count', async () => {
    const { v, t } = series(700);
    const a = await SeriesDetector.create(opts);
    a.pushMany(v.subarray(0, 600), t.subarray(0, 600));
    const saved = a.save();
    const p = stateBlocks(saved)[0]!;
    const edit = (field: number, value: number) => {
      const e = saved.slice();
      new DataView(e.buffer).setInt32(p + field, value, true);
      return fixCrc(e);
    };
    await expect(SeriesDetector.load(edit(S.COUNT, 2 ** 31 - 1))).rejects.toThrow(/corrupted: its counters are impossible \(count 2147483647/);
    await expect(SeriesDetector.load(edit(S.NEXT, 600 + opts.retrainEvery + 1))).rejects.toThrow(/corrupted: its counters are impossible/);
    await expect(SeriesDetector.load(edit(S.FULL, 2 ** 31 - 1))).rejects.toThrow(/corrupted: its counters are impossible/);
    const h = header(saved);
    await expect(SeriesDetector.load(withHeader(saved, { ...h, shift: -5 }))).rejects.toThrow(/corrupted: its count's shift is -5/);
    await expect(SeriesDetector.load(withHeader(saved, { ...h, shift: 1.5 }))).rejects.toThrow(/corrupted: its count's shift is 1.5/);
    expect((await SeriesDetector.load(saved)).count).toBe(600);

    // periods with no common multiple under 2^26 (two primes): the counters cannot move back, so
    // pushes stop, clearly, before any counter could overflow; the detector stays usable
    const odd = { ...opts, history: 65537, suppress: 65521, resolution: 0 };
    const d = await SeriesDetector.create(odd);
    d.pushMany(v.subarray(0, 40), t.subarray(0, 40));
    const s = d.save();
    const q = (() => {
      const dv = new DataView(s.buffer, s.byteOffset);
      for (let i = 12; i + S.BYTES < s.length; i++) if (dv.getInt32(i + S.H, true) === 65537 && dv.getInt32(i + S.SUP, true) === 65521) return i;
      throw new Error('no state block');
    })();
    const e = s.slice();
    const edv = new DataView(e.buffer);
    const limit = 2 ** 30 - 2, c0 = edv.getInt32(q + S.COUNT, true), shift = limit - 30 - c0;
    edv.setInt32(q + S.COUNT, c0 + shift, true);
    edv.setInt32(q + S.NEXT, edv.getInt32(q + S.NEXT, true) + shift, true);
    const far = await SeriesDetector.load(fixCrc(e));
    expect(far.pushMany(v.subarray(40, 60), t.subarray(40, 60)).length).toBe(20);
    expect(() => far.pushMany(v.subarray(60, 80), t.subarray(60, 80))).toThrow(/has counted 1073741812 points, the most its options allow: .* no common multiple under 2\^26/);
    expect(far.count).toBe(limit - 10);
    expect(far.push(v[60]!, t[60]!)).toBeGreaterThanOrEqual(0);
    for (const x of [a, d, far]) x.dispose();
  });
});

