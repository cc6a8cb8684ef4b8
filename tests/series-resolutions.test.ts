// series-resolutions.test.ts: SeriesDetector's coarser resolutions (`resolution`, a block length or a
// list of them, default [4, 8]). With both halving rules off, a detector's scores equal the join
// computed here from independent single-resolution detectors (resolution 0) run on the series and on
// its block means: a point that ends a block takes the larger of its score and the block's. Version-5
// state files (one coarser resolution, saved before the lists: tests/fixtures/make-series-v5.mjs)
// load and continue as that code did, bit for bit; bad lists and headers are refused clearly.

import { describe, expect, it } from 'vitest';
import { SeriesDetector, type SeriesOptions } from 'autoencoder';
import { continueSeriesFixture, seriesConformanceCase as conformanceCase } from './data.js';
import { seriesWithHeader } from './model-file.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

/**
 * Means of the F-point blocks of v as a detector keeps its values (float32 distances from its origin,
 * the first value, which is added back to the mean) and the times of their last points.
 */
function blockMeans(v: Float64Array, t: Float64Array, F: number): { v: Float64Array; t: Float64Array } {
  const m = Math.floor(v.length / F), o = v[0]!;
  const mv = new Float64Array(m), mt = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = j * F; i < j * F + F; i++) s += Math.fround(v[i]! - o);
    mv[j] = s / F + o;
    mt[j] = t[j * F + F - 1]!;
  }
  return { v: mv, t: mt };
}

/**
 * The scores of a detector with block lengths `lengths` and both halving rules off, from detectors of
 * one resolution: the series' own, and for each length the detector of block means (range check off,
 * as the detector runs its coarser ones), joined from the coarsest up. With `shapes`, a second chain of
 * block-mean detectors with `demean` (the shape resolutions) is joined the same way, and its first level
 * into the series' scores too. Also how many points each join changed (the series' join first).
 */
async function joined(v: Float64Array, t: Float64Array, o: SeriesOptions, lengths: number[], shapes = false): Promise<{ s: Float32Array; changed: number[]; shapeChanged: number[] }> {
  const base = { ...o, suppress: 0, refractory: 0, memory: 0, resolution: 0 };
  const levels: { v: Float64Array; t: Float64Array }[] = [{ v, t }];
  for (let i = 0; i < lengths.length; i++) {
    const prev = levels[i]!;
    levels.push(blockMeans(prev.v, prev.t, lengths[i]! / (i === 0 ? 1 : lengths[i - 1]!)));
  }
  const run = async (i: number, demean: boolean): Promise<Float32Array> => {
    const d = await SeriesDetector.create(i === 0 ? base : { ...base, spatialTolerance: -1, demean });
    const s = d.pushMany(levels[i]!.v, levels[i]!.t);
    d.dispose();
    return s;
  };
  // a point that ends a block of level i + 1 takes the block's score when larger (a range check's 1 stays)
  const join = (own: Float32Array, block: Float32Array, i: number): number => {
    const F = lengths[i]! / (i === 0 ? 1 : lengths[i - 1]!);
    let n = 0;
    for (let j = 0; j < block.length; j++) {
      const c = j * F + F - 1;
      if (block[j]! > own[c]! && own[c]! < 1) { own[c] = block[j]!; n++; }
    }
    return n;
  };
  // one chain's first level, its coarser levels joined into it from the coarsest up
  const chain = async (demean: boolean): Promise<{ s: Float32Array; changed: number[] }> => {
    const sc: Float32Array[] = [];
    for (let i = 1; i < levels.length; i++) sc.push(await run(i, demean));
    const changed: number[] = [];
    for (let i = levels.length - 2; i >= 1; i--) changed.unshift(join(sc[i - 1]!, sc[i]!, i));
    return { s: sc[0]!, changed };
  };
  const s0 = await run(0, false);
  const normal = await chain(false);
  const changed = [join(s0, normal.s, 0), ...normal.changed];
  let shapeChanged: number[] = [];
  if (shapes) {
    const sh = await chain(true);
    shapeChanged = [join(s0, sh.s, 0), ...sh.changed];
  }
  return { s: s0, changed, shapeChanged };
}

describe('SeriesDetector coarser resolutions', () => {
  it('with the halving rules off, resolution 4, [4, 8] and [2, 6] score as the join of single-resolution detectors on the block means', async () => {
    const { v, t, opts } = await conformanceCase();
    const o = { ...opts, warmup: 16, minHistory: 10 };
    for (const lengths of [[4], [4, 8], [2, 6]]) {
      const d = await SeriesDetector.create({ ...o, suppress: 0, refractory: 0, memory: 0, resolution: lengths.length === 1 ? lengths[0]! : lengths, shapeResolutions: false });
      const got = d.pushMany(v, t);
      d.dispose();
      const want = await joined(v, t, o, lengths);
      // every level's join changes some points (the coarser detectors do score)
      for (const n of want.changed) expect(n).toBeGreaterThan(0);
      expect(bits(got)).toEqual(bits(want.s));
    }
  });

  it('with the shape resolutions (shapeResolutions: true), each point that ends a block also takes the block\'s score from a second chain of block-mean detectors with demean', async () => {
    const { v, t, opts } = await conformanceCase();
    const o = { ...opts, warmup: 16, minHistory: 10 };
    for (const lengths of [[4], [4, 8]]) {
      const d = await SeriesDetector.create({ ...o, suppress: 0, refractory: 0, memory: 0, resolution: lengths.length === 1 ? lengths[0]! : lengths, shapeResolutions: true });
      expect(d.options.shapeResolutions).toBe(true);
      const got = d.pushMany(v, t);
      d.dispose();
      const want = await joined(v, t, o, lengths, true);
      // the shape chain's joins change points too, after the other chain's: its scores differ from theirs
      for (const n of want.shapeChanged) expect(n).toBeGreaterThan(0);
      expect(bits(got)).toEqual(bits(want.s));
      const without = await joined(v, t, o, lengths);
      expect(bits(got)).not.toEqual(bits(without.s));
    }
    // demean alone: each window less its mean is another model's input, so other scores (the oracle's shape chain uses it)
    const plain = await SeriesDetector.create({ ...o, resolution: 0 }), dm = await SeriesDetector.create({ ...o, resolution: 0, demean: true });
    expect(bits(dm.pushMany(v, t))).not.toEqual(bits(plain.pushMany(v, t)));
    // with demean the coarser resolutions are demeaned already: no second chain (the same scores and state as without it)
    const both = await SeriesDetector.create({ ...o, demean: true, shapeResolutions: true }), one = await SeriesDetector.create({ ...o, demean: true });
    expect(bits(both.pushMany(v, t))).toEqual(bits(one.pushMany(v, t)));
    const body = (b: Uint8Array) => b.length - 12 - new DataView(b.buffer, b.byteOffset).getUint32(8, true);   // (the headers differ in the option's value)
    expect(body(both.save())).toBe(body(one.save()));
  });

  it('the default is [4, 8]; push() in a loop equals pushMany(); save/load inside a block of 8 continues exactly', async () => {
    const { v, t, opts } = await conformanceCase();
    const o = { ...opts, warmup: 16, minHistory: 10 };
    const whole = await SeriesDetector.create(o);
    expect(whole.options.resolution).toEqual([4, 8]);
    expect([whole.options.shapeResolutions, whole.options.demean]).toEqual([false, false]);
    const all = whole.pushMany(v, t);
    const loop = await SeriesDetector.create(o);
    const one = Float32Array.from(v, (x, i) => loop.push(x, t[i]));
    expect(bits(one)).toEqual(bits(all));
    // 355 ends a block of 4 (356 points) but not of 8
    const first = await SeriesDetector.create(o);
    const a = first.pushMany(v.subarray(0, 356), t.subarray(0, 356));
    const saved = first.save();
    expect(new DataView(saved.buffer).getUint32(4, true)).toBe(12);
    const resumed = await SeriesDetector.load(saved);
    expect(resumed.options.resolution).toEqual([4, 8]);
    const b = resumed.pushMany(v.subarray(356), t.subarray(356));
    expect(bits([...a, ...b])).toEqual(bits(all));
    expect(Buffer.from(resumed.save()).equals(Buffer.from(whole.save()))).toBe(true);
    // each resolution adds to the state: [4, 8] > 4 > none, and the shape resolutions add their own chain
    const sizes = await Promise.all([0, 4, [4, 8]].map(async (resolution) => (await SeriesDetector.create({ ...o, resolution })).save().length));
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    expect(sizes[2]).toBeGreaterThan(sizes[1]!);
    const shapes = await SeriesDetector.create({ ...o, shapeResolutions: true });
    expect(shapes.save().length).toBeGreaterThan(sizes[2]!);
    // (and save/load continues the shape chain exactly too)
    const sa = shapes.pushMany(v.subarray(0, 356), t.subarray(0, 356)), sr = await SeriesDetector.load(shapes.save());
    const sb = sr.pushMany(v.subarray(356), t.subarray(356));
    const shapesWhole = (await SeriesDetector.create({ ...o, shapeResolutions: true })).pushMany(v, t);
    expect(bits([...sa, ...sb])).toEqual(bits(shapesWhole));
    expect(bits(shapesWhole)).not.toEqual(bits(all));
    // without a coarser resolution the option changes nothing
    expect(bits((await SeriesDetector.create({ ...o, resolution: 0, shapeResolutions: true })).pushMany(v, t)))
      .toEqual(bits((await SeriesDetector.create({ ...o, resolution: 0 })).pushMany(v, t)));
    // [4] is 4
    const four = (await SeriesDetector.create({ ...o, resolution: 4 })).pushMany(v, t);
    expect(bits((await SeriesDetector.create({ ...o, resolution: [4] })).pushMany(v, t))).toEqual(bits(four));
    expect(bits((await SeriesDetector.create({ ...o, resolution: [] })).pushMany(v, t))).toEqual(bits((await SeriesDetector.create({ ...o, resolution: 0 })).pushMany(v, t)));
    expect(bits(four)).not.toEqual(bits(all));
  });

  it('a version-10 state file (before the shape resolutions) loads as shapeResolutions: false and continues exactly as the code that saved it', async () => {
    const r = await continueSeriesFixture(10, 502);
    expect([r.fileVersion, r.savedVersion]).toEqual([10, 12]);
    expect([r.d.options.shapeResolutions, r.d.options.demean]).toEqual([false, false]);
    expect(r.d.options.resolution).toEqual([2, 4]);
    expect(bits(r.scores)).toEqual(bits(r.want));
  });

  it('a version-5 state file (one coarser resolution) loads and continues exactly as the code that saved it', async () => {
    const r = await continueSeriesFixture(5, 503);
    expect([r.fileVersion, r.savedVersion]).toEqual([5, 12]);
    expect(r.d.options.resolution).toBe(4);
    expect(r.d.options.memory).toBe(0);
    expect(bits(r.scores)).toEqual(bits(r.want));
  });

  it('refuses bad lists and a header whose resolutions do not match its options', async () => {
    const bad: [unknown, RegExp][] = [
      [1, /resolution 1/], [65, /resolution must be/], [[4, 6], /resolution\[1\] \(6\) must be a multiple of resolution\[0\] \(4\)/],
      [[4, 4], /resolution\[1\] repeats 4/], [[1, 4], /resolution\[0\] must be/], [[2, 4, 8, 16, 32], /resolution must be an array of 0 to 4 entries/],
      [[4, 8.5], /resolution\[1\] must be/], ['4', /resolution must be a block length in points \(0 for none\) or a list/], [[4, 128], /resolution\[1\] must be/],
    ];
    for (const [resolution, re] of bad) await expect(SeriesDetector.create({ resolution } as SeriesOptions)).rejects.toThrow(re);
    const small = { window: 8, layers: [4, 2], warmup: 16, history: 64, trainWindows: 16, likelihoodHistory: 50, minHistory: 5, suppress: 10, context: 0 };
    const d = await SeriesDetector.create(small);
    d.pushMany(Array.from({ length: 40 }, (_, i) => Math.sin(i / 3)));
    const bytes = d.save();
    const hl = new DataView(bytes.buffer).getUint32(8, true);
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hl))) as { options: object; child: { child?: unknown }; twin?: { child?: unknown } };
    expect(head.child.child).toEqual({ timed: false, lastTime: null });
    // a state file rebuilt around another header (its length and checksum made right), the body kept
    const rebuild = (src: Uint8Array, json: string) => seriesWithHeader(src, json);
    const rewrite = (json: string) => rebuild(bytes, json);
    // the rebuild itself is sound: the same header gives the same bytes
    expect(Buffer.from(rewrite(JSON.stringify(head))).equals(Buffer.from(bytes))).toBe(true);
    await expect(SeriesDetector.load(rewrite(JSON.stringify({ ...head, child: { ...head.child, child: { timed: 'yes', lastTime: null } } }))))
      .rejects.toThrow(/corrupted: its resolution 3 \(the detector of block means 2\) has no time mode or last time/);
    await expect(SeriesDetector.load(rewrite(JSON.stringify({ ...head, child: { ...head.child, child: { timed: false, lastTime: null, child: { timed: false, lastTime: null } } } }))))
      .rejects.toThrow(/corrupted: it has more resolutions than its options \(3\)/);
    // the shape resolutions' chain: each of its heads is checked the same way, and must be there
    expect(head.twin).toBeUndefined();
    const ds = await SeriesDetector.create({ ...small, shapeResolutions: true });
    ds.pushMany(Array.from({ length: 40 }, (_, i) => Math.sin(i / 3)));
    const sbytes = ds.save(), shl = new DataView(sbytes.buffer).getUint32(8, true);
    const shead = JSON.parse(new TextDecoder().decode(sbytes.subarray(12, 12 + shl))) as typeof head;
    const twin = shead.twin;
    expect(twin?.child).toEqual({ timed: false, lastTime: null });
    const srewrite = (json: string) => rebuild(sbytes, json);
    expect(Buffer.from(srewrite(JSON.stringify(shead))).equals(Buffer.from(sbytes))).toBe(true);
    await expect(SeriesDetector.load(srewrite(JSON.stringify({ ...shead, twin: { ...twin, child: { timed: 'yes', lastTime: null } } }))))
      .rejects.toThrow(/corrupted: its shape resolution 3 \(the detector of block means 2\) has no time mode or last time/);
    await expect(SeriesDetector.load(srewrite(JSON.stringify({ ...shead, twin: undefined }))))
      .rejects.toThrow(/corrupted: its shape resolution 2 \(the detector of block means 1\) has no time mode or last time/);
    await expect(SeriesDetector.load(srewrite(JSON.stringify({ ...shead, twin: { ...twin, child: { timed: false, lastTime: null, child: { timed: false, lastTime: null } } } }))))
      .rejects.toThrow(/corrupted: it has more shape resolutions than its options \(3\)/);
    // a header whose options turn them off but which still has the chain's blocks: the sizes disagree
    await expect(SeriesDetector.load(srewrite(JSON.stringify({ ...shead, options: { ...shead.options, shapeResolutions: false } }))))
      .rejects.toThrow(/corrupted: it is \d+ bytes but its options need \d+/);
    // and a default header given a twin it has no chain for
    await expect(SeriesDetector.load(rewrite(JSON.stringify({ ...head, twin })))).rejects.toThrow(/corrupted: it has more shape resolutions than its options \(1\)/);
    await expect(SeriesDetector.create({ shapeResolutions: 1 } as unknown as SeriesOptions)).rejects.toThrow(/shapeResolutions must be true or false, got 1/);
    await expect(SeriesDetector.create({ demean: 'yes' } as unknown as SeriesOptions)).rejects.toThrow(/demean must be true or false, got a string/);
    const unknown = bytes.slice();
    new DataView(unknown.buffer).setUint32(4, 13, true);
    await expect(SeriesDetector.load(unknown)).rejects.toThrow(/format version 13; this package reads versions 3 to 12/);
  });
});
