// density.test.ts: the ensemble's latent density term (spec `ensemble.density`, assembly/density.ts) against
// a float64 oracle written here from the documented definition:
// - the reference: member 0's codes (encode()) of the training rows the ensemble without the term scores at
//   or below sorted[floor(0.8 (n - 1))], every one in row order when there are at most `density`, else
//   `density` of them; read back from the model file (the state's last floats: R, tMed, c, L, then
//   f32[L][Rp], Rp = R rounded up to 4, padded with 1e30);
// - t(row) = the mean Euclidean distance from a row's code to its 5 nearest reference codes (a training
//   row's own code skipped); tMed the median of t over the training rows (all of them: fewer than 4,096),
//   c = IQR of the ensemble score over those rows / IQR of t (numpy 'linear' quantiles);
// - score() with the term minus score() of the same ensemble without it (`density: 0`, the same seed and
//   rows: identical members) = c (t - tMed).
// Then: save/load round trips, a file without the term keeps the pre-term layout, a damaged block is refused.
// The k-d index of the reference codes (density.ts kd_*: a walk that skips the leaves whose box is too far):
// its terms against the search of every reference (the index's state set to 3, unused) and the oracle, on
// codes near a manifold, spread, tied and repeated, and few; fit()'s statistics with and without it.
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError } from 'autoencoder';
import { fixCrc } from './data.js';
import { kernelOf } from './helpers.js';
import { C } from '../bindings/wasm.js';

const D = 5;
/** n rows of D features on a 2-D manifold plus noise, a few far rows mixed in, from a small LCG (test data only). */
function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const r = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const a = r() * 2 - 1, b = r() * 2 - 1, far = i % 25 === 7 ? 3 : 0;
    const row = [a + far, b, a + b, a - 0.5 * b - far, 2 * a * b];
    for (let j = 0; j < D; j++) x[i * D + j] = row[j]! + 0.05 * (r() - 0.5);
  }
  return x;
}
const sorted = (v: ArrayLike<number>) => Float64Array.from(v).sort();
const at = (s: Float64Array, q: number) => { const pos = q * (s.length - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, s.length - 1); return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo); };
const iqr = (v: ArrayLike<number>) => { const s = sorted(v); return at(s, 0.75) - at(s, 0.25); };

/** The density block at the end of a model file's floats: R, tMed, c, L, codes f32[L][Rp]. */
function block(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const floats = (bytes.length - 4 - 24 - dv.getUint32(20, true)) / 4;
  const all = new Float32Array(bytes.slice(bytes.length - 4 - floats * 4, bytes.length - 4).buffer);
  // find the header by its size: 4 + Rp L floats before the end (a fitted block: R, L > 0)
  for (let head = all.length - 4; head >= 0; head--) {
    const R = all[head]!, L = all[head + 3]!, Rp = Math.ceil(R / 4) * 4;
    if (Number.isInteger(R) && R > 0 && Number.isInteger(L) && L > 0 && head + 4 + Rp * L === all.length) {
      return { R, tMed: all[head + 1]!, c: all[head + 2]!, L, Rp, codes: all.subarray(head + 4), head };
    }
  }
  throw new Error('no density block');
}

/** Mean distance to the 5 nearest reference codes (float64), the reference `skip` left out. */
function term(z: ArrayLike<number>, b: ReturnType<typeof block>, skip = -1): number {
  const d: number[] = [];
  for (let a = 0; a < b.R; a++) {
    if (a === skip) continue;
    let s = 0;
    for (let l = 0; l < b.L; l++) s += (z[l]! - b.codes[l * b.Rp + a]!) ** 2;
    d.push(Math.sqrt(s));
  }
  d.sort((p, q) => p - q);
  const k = d.slice(0, 5);
  return k.length ? k.reduce((p, q) => p + q, 0) / k.length : 0;
}

async function pair(x: Float32Array, density?: number, clean?: number) {
  const spec = { inputDim: D, normalize: 'standard' as const, seed: 5 };
  const c = clean === undefined ? {} : { clean };
  const withTerm = await Autoencoder.create(density === undefined && clean === undefined ? spec : { ...spec, ensemble: { ...c, ...(density === undefined ? {} : { density }) } });
  const without = await Autoencoder.create({ ...spec, ensemble: { ...c, density: 0 } });
  await withTerm.fit(x, { epochs: 8 });
  await without.fit(x, { epochs: 8 });
  return { withTerm, without };
}

describe('latent density term', () => {
  const n = 600, x = data(n, 11), test = data(200, 12);

  // clean 0.2 (the default: the cleaning pass refits the normalizer, so fit() puts x in again for the
  // term) and clean 0 (the term reads the training rows fit() already normalized)
  it.each([0.2, 0])('with clean %s, its reference, median and scale match the float64 oracle (the defaults: 0.2)', async (clean) => {
    const { withTerm, without } = await pair(x, undefined, clean === 0.2 ? undefined : clean);
    expect(withTerm.spec.ensemble).toMatchObject({ members: 16, rows: 512, clean, density: 8192 });
    const b = block(withTerm.save());
    // the pool: every row the ensemble without the term scores at or below its order-statistic cut
    const s = without.score(x), cut = sorted(s)[Math.floor(0.8 * (n - 1))]!;
    const pool = [...s.keys()].filter((i) => s[i]! <= cut);
    expect(b.R).toBe(pool.length);
    expect(b.L).toBe(withTerm.latentDim);
    const z = withTerm.encode(x), L = b.L;
    pool.forEach((row, a) => { for (let l = 0; l < L; l++) expect(b.codes[l * b.Rp + a]).toBeCloseTo(z[row * L + l]!, 5); });
    for (let l = 0; l < L; l++) for (let a = b.R; a < b.Rp; a++) expect(b.codes[l * b.Rp + a]).toBe(1e30);
    const own = new Map(pool.map((row, a) => [row, a]));
    const tAll = Array.from({ length: n }, (_, i) => term(z.subarray(i * L, (i + 1) * L), b, own.get(i) ?? -1));
    expect(b.tMed).toBeCloseTo(at(sorted(tAll), 0.5), 5);
    expect(Math.abs(b.c - iqr(s) / iqr(tAll))).toBeLessThan(1e-4 * b.c);
    // score(): the ensemble's score plus c (t - tMed), t from the test rows' codes
    const sd = withTerm.score(test), s0 = without.score(test), zt = withTerm.encode(test);
    for (let i = 0; i < 200; i++) {
      const want = s0[i]! + b.c * (term(zt.subarray(i * L, (i + 1) * L), b) - b.tMed);
      expect(Math.abs(sd[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
    expect(sd.some((v, i) => v !== s0[i])).toBe(true);
    withTerm.dispose(); without.dispose();
  });

  it('draws `density` rows from the pool when it holds more, pads the block to 4, and round-trips the file', async () => {
    const { withTerm, without } = await pair(x, 10);
    const bytes = withTerm.save(), b = block(bytes);
    expect([b.R, b.Rp]).toEqual([10, 12]);
    const s = without.score(x), cut = sorted(s)[Math.floor(0.8 * (n - 1))]!;
    const z = withTerm.encode(x), L = b.L;
    for (let a = 0; a < b.R; a++) {
      // each reference code is the code of some pool row
      const hit = [...s.keys()].find((i) => s[i]! <= cut && [...Array(L).keys()].every((l) => Math.abs(b.codes[l * b.Rp + a]! - z[i * L + l]!) < 1e-5));
      expect(hit).toBeDefined();
    }
    const sd = withTerm.score(test), zt = withTerm.encode(test), s0 = without.score(test);
    for (let i = 0; i < 200; i++) {
      const want = s0[i]! + b.c * (term(zt.subarray(i * L, (i + 1) * L), b) - b.tMed);
      expect(Math.abs(sd[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
    const back = await Autoencoder.load(bytes);
    expect(back.save()).toEqual(bytes);
    expect(back.score(test)).toEqual(sd);
    // one row at a time gives the same scores
    expect(withTerm.score(test.subarray(3 * D, 4 * D))[0]).toBe(sd[3]);
    back.dispose(); withTerm.dispose(); without.dispose();
  });

  it('37 references (one step of thirty-two, then fours, the last padded): score() matches the oracle, and the statistics do', async () => {
    const { withTerm, without } = await pair(x, 37);
    const b = block(withTerm.save());
    expect([b.R, b.Rp]).toEqual([37, 40]);
    const z = withTerm.encode(x), L = b.L;
    // the statistic rows' own codes are skipped: find each reference's training row by its code
    const rowOf = (a: number) => [...Array(n).keys()].find((i) => [...Array(L).keys()].every((l) => b.codes[l * b.Rp + a] === z[i * L + l]));
    const own = new Map([...Array(b.R).keys()].map((a) => [rowOf(a)!, a]));
    const tAll = Array.from({ length: n }, (_, i) => term(z.subarray(i * L, (i + 1) * L), b, own.get(i) ?? -1));
    expect(b.tMed).toBeCloseTo(at(sorted(tAll), 0.5), 5);
    const sd = withTerm.score(test), zt = withTerm.encode(test), s0 = without.score(test);
    for (let i = 0; i < 200; i++) {
      const want = s0[i]! + b.c * (term(zt.subarray(i * L, (i + 1) * L), b) - b.tMed);
      expect(Math.abs(sd[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
    withTerm.dispose(); without.dispose();
  });

  it('codes of 8 dimensions and 317 references, four rows at a time: every row scores as it does alone, bit for bit, and as the oracle says', async () => {
    // (assembly/density.ts: the rows of a chunk four at a time, f32_knn_mean_4x8_simd: 39 steps of eight
    // references, then fours, the last padded; after half the dimensions a step whose references are all
    // past their codes' 5th smallest is left unfinished. The last rows and a row alone one at a time,
    // f32_knn_mean_simd: 9 steps of thirty-two, then fours, each step left the same way.
    // The statistic rows likewise, their own codes skipped)
    const W = 24, rows = 700;
    let st = 99;
    const r = () => { st = (Math.imul(st, 1664525) + 1013904223) >>> 0; return st / 2 ** 32; };
    const wide = (m: number) => {
      const out = new Float32Array(m * W);
      for (let i = 0; i < m; i++) {
        const f = [r(), r(), r() * r(), r() - 0.5];
        for (let j = 0; j < W; j++) out[i * W + j] = f[j % 4]! * (1 + j / W) + f[(j + 1) % 4]! * 0.5 + 0.02 * (r() - 0.5);
      }
      return out;
    };
    const xs = wide(rows), ts = wide(203);
    const spec = { inputDim: W, layers: [16, 8], normalize: 'standard' as const, seed: 7 };
    const withTerm = await Autoencoder.create({ ...spec, ensemble: { members: 2, rows: 300, density: 317 } });
    const without = await Autoencoder.create({ ...spec, ensemble: { members: 2, rows: 300, density: 0 } });
    await withTerm.fit(xs, { epochs: 6 });
    await without.fit(xs, { epochs: 6 });
    const b = block(withTerm.save());
    expect([b.R, b.Rp, b.L]).toEqual([317, 320, 8]);
    const sd = withTerm.score(ts);
    for (let i = 0; i < 203; i++) expect(withTerm.score(ts.subarray(i * W, (i + 1) * W))[0], `row ${i} alone`).toBe(sd[i]);
    // the statistic rows' median: every training row (fewer than 4,096), its own code skipped when it is a reference
    const z = withTerm.encode(xs), L = b.L;
    const rowOf = (a: number) => [...Array(rows).keys()].find((i) => [...Array(L).keys()].every((l) => b.codes[l * b.Rp + a] === z[i * L + l]));
    const own = new Map([...Array(b.R).keys()].map((a) => [rowOf(a)!, a]));
    expect(own.size).toBe(b.R);
    const tAll = Array.from({ length: rows }, (_, i) => term(z.subarray(i * L, (i + 1) * L), b, own.get(i) ?? -1));
    expect(b.tMed).toBeCloseTo(at(sorted(tAll), 0.5), 5);
    const zt = withTerm.encode(ts), s0 = without.score(ts);
    for (let i = 0; i < 203; i++) {
      const want = s0[i]! + b.c * (term(zt.subarray(i * L, (i + 1) * L), b) - b.tMed);
      expect(Math.abs(sd[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
    withTerm.dispose(); without.dispose();
  });

  it('a model without the term saves the pre-term layout; a damaged block is refused', async () => {
    const { withTerm, without } = await pair(x, 10);
    const plain = without.save();
    expect(new TextDecoder().decode(plain)).not.toContain('density');
    const back = await Autoencoder.load(plain);
    expect(back.score(test)).toEqual(without.score(test));
    back.dispose();
    // an unfitted model scores without the term (its block says R = 0)
    const fresh = await Autoencoder.create({ inputDim: D, normalize: 'standard', seed: 5 });
    const f = fresh.save();
    expect(Array.from(new Float32Array(f.slice(f.length - 20, f.length - 4).buffer))).toEqual([0, 0, 0, 0]);
    expect(fresh.score(test).every((v) => Number.isFinite(v))).toBe(true);
    fresh.dispose();
    const bytes = withTerm.save(), b = block(bytes);
    const bad = bytes.slice();
    const dv = new DataView(bad.buffer);
    const headAt = bytes.length - 4 - (4 + b.Rp * b.L) * 4;
    dv.setFloat32(headAt, 7, true);   // says 7 codes (Rp 8), the file holds 12 per dimension
    await expect(Autoencoder.load(fixCrc(bad))).rejects.toThrow(AutoencoderError);
    await expect(Autoencoder.load(fixCrc(bad))).rejects.toThrow(/density block/);
    withTerm.dispose(); without.dispose();
  });

  // the k-d index's state word (assembly/density.ts: 1 walked, 3 built but left unused, 0 stale)
  const kdState = (ae: Autoencoder) => { const k = kernelOf(ae); return k.getI32((k as unknown as { kd: number }).kd); };
  const setKd = (ae: Autoencoder, v: number) => { const k = kernelOf(ae); k.setI32((k as unknown as { kd: number }).kd, v); };
  /** Scores of `rows` (batch and each row alone) walking the index, then searching every reference: the same bits. */
  function walkedEqualsSearched(ae: Autoencoder, rows: Float32Array, width: number, what: string) {
    const state = kdState(ae);
    expect([1, 3], `${what}: the index is built`).toContain(state);
    setKd(ae, 1);
    const walked = ae.score(rows), alone = Array.from({ length: rows.length / width }, (_, i) => ae.score(rows.subarray(i * width, (i + 1) * width))[0]);
    setKd(ae, 3);
    const searched = ae.score(rows);
    setKd(ae, state);
    expect(Buffer.from(walked.buffer).equals(Buffer.from(searched.buffer)), `${what}: walked vs searched, a batch`).toBe(true);
    alone.forEach((v, i) => expect(Object.is(v, searched[i]), `${what}: row ${i} alone`).toBe(true));
    return searched;
  }

  it('the k-d index gives every row the term of the search of all references, bit for bit, and the oracle\'s', async () => {
    // 3,000 rows on the 2-D manifold: about 2,400 references in 75 leaves
    const big = data(3000, 21), rows = new Float32Array([...test, ...x.subarray(0, 40 * D)]);
    // a training row's exact copy, a row far out, and rows on the references' own codes' boxes' edges come with the test rows
    const { withTerm, without } = await pair(big);
    expect(kdState(withTerm), 'the probe walks codes near a manifold').toBe(1);
    const b = block(withTerm.save()), L = b.L;
    const sd = walkedEqualsSearched(withTerm, rows, D, 'manifold'), s0 = without.score(rows), zt = withTerm.encode(rows);
    for (let i = 0; i < rows.length / D; i++) {
      const want = s0[i]! + b.c * (term(zt.subarray(i * L, (i + 1) * L), b) - b.tMed);
      expect(Math.abs(sd[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
    // a far row (its walk visits many leaves) and one past float32's squares (every distance +Inf: no term)
    const far = new Float32Array(D).fill(40), huge = new Float32Array(D).fill(3e30);
    walkedEqualsSearched(withTerm, new Float32Array([...far, ...huge]), D, 'far rows');
    // fit()'s statistic rows (their own codes skipped) through the index give the file of a fit without it
    const noKd = await Autoencoder.create({ inputDim: D, normalize: 'standard', seed: 5 });
    const k = kernelOf(noKd);
    k.setI32(k.ctx + C.KD, 0);   // (no index for this model's fit)
    await noKd.fit(big, { epochs: 8 });
    expect(Buffer.from(noKd.save()).equals(Buffer.from(withTerm.save())), 'fit() with and without the index: the same file').toBe(true);
    // stale after a change of the block: load() (a fresh index), a failed fit (the snapshot restored); built once
    // 256 rows have been scored (the 240 rows, then one row more than 15 times: the plain search until then)
    const back = await Autoencoder.load(withTerm.save());
    expect(kdState(back)).toBe(0);
    expect(back.score(rows)).toEqual(sd);
    expect(kdState(back), '240 rows scored').toBe(0);
    for (let i = 0; i < 16; i++) expect(back.score(rows.subarray(i * D, (i + 1) * D))[0]).toBe(sd[i]);
    expect(kdState(back), '256 rows scored').toBe(1);
    expect(back.score(rows)).toEqual(sd);
    const bad = big.slice(0, 50 * D);
    bad[7] = NaN;
    await expect(withTerm.fit(bad)).rejects.toThrow(AutoencoderError);
    expect(kdState(withTerm), 'the restored block\'s index is stale').toBe(0);
    expect(withTerm.score(rows)).toEqual(sd);
    expect(withTerm.score(big.subarray(0, 16 * D)).length).toBe(16);
    expect(kdState(withTerm)).toBe(1);
    expect(withTerm.score(rows)).toEqual(sd);
    back.dispose(); noKd.dispose(); withTerm.dispose(); without.dispose();
  });

  it.each([
    ['spread through every dimension (uniform rows)', 'uniform'],
    ['tied and repeated codes (7 distinct rows, each 60 times)', 'repeated'],
    ['one partly filled leaf (33 references)', 'few'],
  ])('the k-d index on codes %s: walked and searched alike', async (_, kind) => {
    let st = 5;
    const r = () => { st = (Math.imul(st, 1664525) + 1013904223) >>> 0; return st / 2 ** 32; };
    const n = kind === 'few' ? 60 : 420;
    const xs = new Float32Array(n * D);
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) xs[i * D + j] = kind === 'repeated' ? ((i % 7) * 0.37 + j * 0.11) % 1 : r();
    const ae = await Autoencoder.create({ inputDim: D, normalize: 'standard', seed: 3, ensemble: { members: 3, rows: 200, density: kind === 'few' ? 33 : 8192 } });
    await ae.fit(xs, { epochs: 4 });
    const b = block(ae.save()), L = b.L;
    if (kind === 'few') expect(b.R).toBe(33);
    const ts = new Float32Array(60 * D);
    for (let i = 0; i < ts.length; i++) ts[i] = r() * 1.5 - 0.25;
    ts.set(xs.subarray(0, 20 * D), 20 * D);
    const sd = walkedEqualsSearched(ae, ts, D, kind), zt = ae.encode(ts);
    // against the oracle: the term is what the score holds beyond the members' (score minus the term, from the file's c and tMed)
    const plain = await Autoencoder.create({ inputDim: D, normalize: 'standard', seed: 3, ensemble: { members: 3, rows: 200, density: 0 } });
    await plain.fit(xs, { epochs: 4 });
    const s0 = plain.score(ts);
    for (let i = 0; i < 60; i++) {
      const want = s0[i]! + b.c * (term(zt.subarray(i * L, (i + 1) * L), b) - b.tMed);
      expect(Math.abs(sd[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
    ae.dispose(); plain.dispose();
  });
});
