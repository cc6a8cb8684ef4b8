// data.ts: shared helpers for the API tests: seeded synthetic data, the float64 reference model
// built from getWeights() (tests/ref), a model-file parser written from the format described in
// bindings/format.ts (independent of its code), the codec container's fields and its range quantiser's oracle, a CRC-32 oracle, tolerance checks and a tiny
// CSV reader for the tables in tests/fixtures (vowels.csv) or ../shared/datasets/tabular (numeric,
// header `f0,...,label`), and haveShared(), the guard of tests whose data only exist in ../shared.

import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { randomMatrix, SeriesDetector, type SeriesOptions } from 'autoencoder';
import { sealCrc } from './model-file.js';
import {
  applyMinMax, applyStandard, fitMinMax, fitStandard, invertMinMax, invertStandard, mulberry32, netForward, rowScores,
  type RefNet,
} from './ref/index.js';

// ---- seeded data ----------------------------------------------------------------------------

/** Uniform [0, 1) and standard normal draws from mulberry32 (integer PRNG from tests/ref). */
export function rand(seed: number): { u: () => number; n: () => number } {
  const next = mulberry32(seed);
  const u = () => next() / 4294967296;
  const n = () => {
    const a = Math.max(u(), 1e-12), b = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  };
  return { u, n };
}

/** tests/conformance/workload.mjs seriesCase's series and options. */
export async function seriesConformanceCase(): Promise<{ v: Float64Array; t: Float64Array; opts: SeriesOptions }> {
  const n = 700;
  const noise = await randomMatrix(n, 1, { seed: 47, distribution: 'normal' });
  const v = new Float64Array(n), t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = ((i % 144) < 72 ? 80 : 20) + noise[i]! + (i === 600 ? 50 : 0);
    t[i] = 1420070400000 + i * 600000;
  }
  return { v, t, opts: { window: 8, layers: [8, 3], warmup: 48, retrainEvery: 64, history: 400, trainWindows: 128, firstEpochs: 5, epochs: 2, likelihoodHistory: 300, minHistory: 20, suppress: 50, context: 16, contextFit: false } };
}

/**
 * An older SeriesDetector state file (tests/fixtures/series-vN.state, see the fixtures' README), loaded
 * and continued: points 350 to split - 1 pushed into the loaded detector, a save() in today's format
 * loaded again, the rest pushed into that. Returns the detector first loaded, the version its file
 * says and the one its save() wrote, and the 350 scores beside those the saving code gave.
 */
export async function continueSeriesFixture(version: number, split: number): Promise<{ d: SeriesDetector; fileVersion: number; savedVersion: number; scores: Float32Array; want: Float32Array }> {
  const fx = JSON.parse(readFileSync(new URL(`fixtures/series-v${version}.json`, import.meta.url), 'utf8')) as { values: number[]; times: number[]; scores350: number[] };
  const bytes = new Uint8Array(readFileSync(new URL(`fixtures/series-v${version}.state`, import.meta.url)));
  const d = await SeriesDetector.load(bytes);
  const loadedCount = d.count;
  const a = d.pushMany(fx.values.slice(350, split), fx.times.slice(350, split));
  const saved = d.save();
  const e = await SeriesDetector.load(saved);
  const b = e.pushMany(fx.values.slice(split), fx.times.slice(split));
  e.dispose();
  expect(loadedCount).toBe(350);
  return {
    d, fileVersion: new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true), savedVersion: new DataView(saved.buffer).getUint32(4, true),
    scores: Float32Array.from([...a, ...b]), want: Float32Array.from(fx.scores350),
  };
}

/**
 * The SeriesDetector tests' smooth-wave case: 900 points of a 60-point sine (amplitude 10, normal noise
 * 0.2 from rand(5)) where point 700 takes the opposite phase's value (inside the range the range check
 * sees), and the detector options that test it (a short window and context, no one-alarm rule).
 */
export function flippedWave(): { v: Float64Array; at: number; opts: { window: number; layers: number[]; context: number; contextSpan: number; warmup: number; history: number; trainWindows: number; suppress: number; minHistory: number } } {
  const r = rand(5), n = 900, at = 700;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 10 * Math.sin((2 * Math.PI * i) / 60) + 0.2 * r.n();
  v[at] = -v[at]!;
  return { v, at, opts: { window: 16, layers: [16, 4], context: 8, contextSpan: 120, warmup: 128, history: 600, trainWindows: 256, suppress: 0, minHistory: 50 } };
}

/**
 * rows x cols data with low-rank structure (rank k latent factors plus small noise), then
 * x * scale + offset: what an autoencoder can learn. Float64 values (not float32-exact).
 */
export function lowRank(rows: number, cols: number, seed: number, opts: { k?: number; scale?: number; offset?: number; noise?: number } = {}): Float64Array {
  const { k = 3, scale = 1, offset = 0, noise = 0.05 } = opts;
  const r = rand(seed);
  const A = Array.from({ length: k * cols }, () => r.n());
  const x = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const z = Array.from({ length: k }, () => r.n());
    for (let c = 0; c < cols; c++) {
      let s = noise * r.n();
      for (let j = 0; j < k; j++) s += z[j]! * A[j * cols + c]!;
      x[i * cols + c] = s * scale + offset;
    }
  }
  return x;
}

/** Uniform [lo, hi) values. */
export function uniform(n: number, seed: number, lo = 0, hi = 1): Float64Array {
  const r = rand(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r.u());
}

/** Row-major flat array -> number[][]. */
export function toRows(x: ArrayLike<number>, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < x.length; i += cols) out.push(Array.from({ length: cols }, (_, c) => x[i + c]!));
  return out;
}

/** Rows [r0, r1) of a row-major array. */
export function rowSlice(x: Float32Array, cols: number, r0: number, r1: number): Float32Array {
  return x.slice(r0 * cols, r1 * cols);
}

// ---- the float64 reference model --------------------------------------------------------------

/** A dense-shorthand spec as model.spec returns it (the dense-only fields are set for dense models). */
export interface SpecLike {
  inputDim: number; layers?: readonly number[]; activation?: string; latentActivation?: string; outputActivation?: string;
  loss: string; normalize: string;
}

/** The mirrored layer graph as the README describes it, with params from getWeights(). */
export function refNet(s: SpecLike, weights: ArrayLike<number>[]): RefNet {
  if (!s.layers || !s.activation || !s.latentActivation || !s.outputActivation) throw new Error('refNet needs a dense-shorthand spec');
  const sizes = [s.inputDim, ...s.layers, ...s.layers.slice(0, -1).reverse(), s.inputDim];
  const L = sizes.length - 1, nEnc = s.layers.length;
  const [out, lat, hid] = [s.outputActivation, s.latentActivation, s.activation];
  const acts = Array.from({ length: L }, (_, l) => (l === L - 1 ? out : l === nEnc - 1 ? lat : hid));
  return { sizes, acts, params: weights.map((w) => Float64Array.from(w)) };
}

/** The first (encoder) or last (decoder) layers of a RefNet. */
export function subNet(net: RefNet, from: number, to: number): RefNet {
  return { sizes: net.sizes.slice(from, to + 1), acts: net.acts.slice(from, to), params: net.params.slice(2 * from, 2 * to) };
}

export type RefNorm =
  | { kind: 'none' }
  | { kind: 'standard'; p: ReturnType<typeof fitStandard> }
  | { kind: 'minmax'; p: ReturnType<typeof fitMinMax> };

/** The normalizer the reference fits on the first `rows` rows of x. */
export function refNormalizer(kind: string, x: ArrayLike<number>, rows: number, cols: number): RefNorm {
  const head = Array.prototype.slice.call(x, 0, rows * cols) as number[];
  if (kind === 'standard') return { kind, p: fitStandard(head, rows, cols) };
  if (kind === 'minmax') return { kind, p: fitMinMax(head, rows, cols) };
  return { kind: 'none' };
}
export function refApply(n: RefNorm, x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (n.kind === 'standard') return applyStandard(x, rows, cols, n.p);
  if (n.kind === 'minmax') return applyMinMax(x, rows, cols, n.p);
  return Float64Array.from(x);
}
export function refInvert(n: RefNorm, y: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (n.kind === 'standard') return invertStandard(y, rows, cols, n.p);
  if (n.kind === 'minmax') return invertMinMax(y, rows, cols, n.p);
  return Float64Array.from(y);
}

/** Reference encode / decode / reconstruct / score for a model's spec and weights. */
export function refModel(s: SpecLike, weights: ArrayLike<number>[], norm: RefNorm) {
  const net = refNet(s, weights);
  const L = net.sizes.length - 1, nEnc = s.layers!.length, D = s.inputDim, W = s.layers![nEnc - 1]!;
  const enc = subNet(net, 0, nEnc), dec = subNet(net, nEnc, L);
  const last = (n: RefNet, x: ArrayLike<number>, rows: number) => netForward(n, x, rows).at(-1)!;
  return {
    encode: (x: ArrayLike<number>) => { const r = x.length / D; return last(enc, refApply(norm, x, r, D), r); },
    decode: (z: ArrayLike<number>) => { const r = z.length / W; return refInvert(norm, last(dec, z, r), r, D); },
    reconstruct: (x: ArrayLike<number>) => { const r = x.length / D; return refInvert(norm, last(net, refApply(norm, x, r, D), r), r, D); },
    score: (x: ArrayLike<number>) => { const r = x.length / D; const xn = refApply(norm, x, r, D); return rowScores(s.loss, last(net, xn, r), xn, D); },
    /** Mean element loss of input x against target t (both in input units), as fit()'s losses. */
    loss: (x: ArrayLike<number>, t: ArrayLike<number>) => {
      const r = x.length / D;
      const sc = rowScores(s.loss, last(net, refApply(norm, x, r, D), r), refApply(norm, t, r, D), D);
      return sc.reduce((a, b) => a + b, 0) / r;
    },
  };
}

// ---- tolerances -------------------------------------------------------------------------------

/**
 * |a - e| <= rtol*|e| + atol elementwise. float32 SIMD vs a float64 scalar reference: the wasm
 * rounds every product and sum to 24 bits (and sums in another order), so errors of a few 1e-7
 * relative per op, growing with depth and width; the defaults leave ~100x headroom for our sizes.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const ratio = Math.abs(a - e) / (rtol * Math.abs(e) + atol);
    if (!(ratio <= worstRatio)) { worstRatio = ratio; worst = i; }
  }
  if (!(worstRatio <= 1)) {
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (error ${worstRatio.toFixed(2)}x the tolerance rtol ${rtol}, atol ${atol})`);
  }
}

/** Flattens getWeights() for bit-exact comparisons. */
export function flat(ws: Float32Array[]): Float32Array {
  const out = new Float32Array(ws.reduce((s, w) => s + w.length, 0));
  let o = 0;
  for (const w of ws) { out.set(w, o); o += w.length; }
  return out;
}

// ---- model file (layout from the bindings/format.ts header comment) ----------------------------

export interface ParsedFile {
  magic: number[]; version: number; abi: number; length: number; jsonLen: number;
  json: string; header: Record<string, unknown>; floats: Float32Array; crc: number;
}

export function parseFile(bytes: Uint8Array): ParsedFile {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = dv.getUint32(20, true);
  const json = new TextDecoder().decode(bytes.subarray(24, 24 + jsonLen));
  const floatBytes = bytes.slice(24 + jsonLen, bytes.length - 4);
  return {
    magic: [...bytes.subarray(0, 8)], version: dv.getUint32(8, true), abi: dv.getUint32(12, true),
    length: dv.getUint32(16, true), jsonLen, json, header: JSON.parse(json) as Record<string, unknown>,
    floats: new Float32Array(floatBytes.buffer, 0, floatBytes.length / 4), crc: dv.getUint32(bytes.length - 4, true),
  };
}

export { crc32, withHeader } from './model-file.js';

// ---- the codec's container and quantiser, from the layout in bindings/codec.ts's header --------------------------

/** A container's fields, read from its layout (independent of bindings/codec.ts's code); the quantiser only when the
 *  container stores it (flags 0; flags 1 names the model's fitCodec() tables instead). */
export function parseContainer(c: Uint8Array) {
  const HEAD = 32;
  const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
  const W = dv.getUint32(20, true), T = dv.getUint32(24, true), B = dv.getUint32(28, true), flags = c[7]!;
  const qp = flags === 0 ? new Float32Array(c.slice(HEAD, HEAD + 8 * W).buffer) : new Float32Array(0);
  return {
    magic: [...c.subarray(0, 4)], version: c[4]!, bits: c[5]!, P: c[6]!, flags, N: dv.getUint32(16, true), W, T, B,
    offset: qp.subarray(0, W), step: qp.subarray(W), length: HEAD + (flags === 0 ? 8 * W : 8) + T + B + 4, crc: dv.getUint32(c.length - 4, true),
  };
}

/** The oracle of compress()'s range quantiser: per dimension min and (max - min) / (2^bits - 1) as float32, symbols in float64. */
export function quantizeRange(z: Float32Array, N: number, W: number, bits: number) {
  const top = 2 ** bits - 1;
  const offset = new Float32Array(W), step = new Float32Array(W);
  for (let d = 0; d < W; d++) {
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < N; r++) { lo = Math.min(lo, z[r * W + d]!); hi = Math.max(hi, z[r * W + d]!); }
    offset[d] = lo;
    step[d] = (hi - lo) / top;
  }
  const sym = new Uint16Array(N * W), zq = new Float32Array(N * W);
  for (let i = 0; i < N * W; i++) {
    const d = i % W;
    const q = step[d]! > 0 ? Math.min(top, Math.max(0, Math.floor((z[i]! - offset[d]!) / step[d]! + 0.5))) : 0;
    sym[i] = q;
    zq[i] = offset[d]! + q * step[d]!;
  }
  return { offset, step, sym, zq };
}

/** A copy of `bytes` with its trailing CRC-32 made right (so only a deliberate edit is wrong). */
export function fixCrc(bytes: Uint8Array): Uint8Array {
  return sealCrc(bytes.slice());
}

// ---- CSV ----------------------------------------------------------------------------------------

/** Small data that ship in this repository (see tests/fixtures/README.md for sources and licences). */
export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const TABULAR = new URL('../../shared/datasets/tabular/', import.meta.url);

/** Numeric CSV with a header whose last column is `label`: features row-major, labels. Looks in
 *  tests/fixtures, then ../shared/datasets/tabular; null when neither has it. */
export function readTabular(name: string): { x: Float64Array; y: Int32Array; cols: number; rows: number } | null {
  const url = [new URL(name, FIXTURES), new URL(name, TABULAR)].find((u) => existsSync(u));
  if (!url) return null;
  const lines = readFileSync(url, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const head = lines[0]!.split(',');
  if (head.at(-1)!.trim() !== 'label') throw new Error(`${name}: last column is ${head.at(-1)}, not label`);
  const cols = head.length - 1, rows = lines.length - 1;
  const x = new Float64Array(rows * cols), y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const f = lines[r + 1]!.split(',').map(Number);
    if (f.length !== cols + 1 || f.some((v) => !Number.isFinite(v))) throw new Error(`${name}: bad line ${r + 2}`);
    for (let c = 0; c < cols; c++) x[r * cols + c] = f[c]!;
    y[r] = f[cols]!;
  }
  return { x, y, cols, rows };
}

// ---- ../shared guards ---------------------------------------------------------------------------

/** The data some tests need live in ../shared beside the repository (the team's checkout), not in
 *  a user's clone. True when every path (relative to ../shared) exists; otherwise prints, once at
 *  collection time, which tests skip and why, so the skip shows in the run's output (a test title
 *  alone is easy to miss), and returns false. */
export function haveShared(what: string, ...paths: string[]): boolean {
  const root = new URL('../../shared/', import.meta.url);
  const absent = paths.filter((p) => !existsSync(new URL(p, root)));
  if (absent.length) console.warn(`[skip] ${what}: ${absent.map((p) => `../shared/${p}`).join(', ')} ${absent.length > 1 ? 'are' : 'is'} absent (the shared data are not checked out beside this repository)`);
  return absent.length === 0;
}
