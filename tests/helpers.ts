// Shared helpers for the tests that prove the wasm numbers against independent oracles
// (the float64 reference in tests/ref, finite differences, PyTorch's outputs in ../shared).
// Here: a raw Kernel on build/kernels-test.wasm (the shipped kernels plus raw entry points: assembly/abi-test.ts), seeded integer-code input generators, float32
// ulp arithmetic, and tolerance checks that report the worst element, not just "not close".

import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { AutoencoderError, type Autoencoder, type FitOptions, type Matrix } from '../bindings/index.js';
import { instantiateKernel, type Kernel } from '../bindings/wasm.js';
import type { RefNet } from './ref/index.js';
import type { instantiate as instantiateTest } from '../build/kernels-test.js';

export const ROOT = new URL('..', import.meta.url).pathname;

// ---- the module ----------------------------------------------------------------------------
let compiled: Promise<WebAssembly.Module> | null = null;

/** The exports of build/kernels-test.wasm: the shipped ones and the raw kernels only tests call. */
export type TestExports = Awaited<ReturnType<typeof instantiateTest>>;
/** A Kernel on build/kernels-test.wasm (the tests' library loads it too: tests/setup-kernels.ts). */
export type TestKernel = Kernel & { x: TestExports };

/** A fresh raw Kernel (own instance and memory) on build/kernels-test.wasm; no model planned. */
export async function loadKernel(): Promise<TestKernel> {
  compiled ??= WebAssembly.compile(readFileSync(`${ROOT}build/kernels-test.wasm`));
  return instantiateKernel(await compiled) as unknown as TestKernel;
}

/**
 * A module of its own, compiled from build/kernels-test.wasm (which the tests' library runs on): no model has
 * run on it, so no disposed model's instance is kept for it (bindings/wasm.ts retireKernel), and a model
 * created with `{ wasm: ownModule() }` gets a new instance: instantiated, its memory grown from nothing.
 */
export function ownModule(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(`${ROOT}build/kernels-test.wasm`));
}

/** The Kernel a public-API model runs on (the private field `k`). */
export function kernelOf(ae: Autoencoder): TestKernel {
  const k = (ae as unknown as { k: TestKernel | null }).k;
  if (!k) throw new Error('model is disposed');
  return k;
}

/** A kernel export's stand-in: gets the export itself and the call's arguments. */
export type ExportCall = (real: (...a: number[]) => number, a: number[]) => number;
// (dist/'s modules and bindings call an export by a short name: the n-th export of build/kernels.wasm is the n-th of dist's)
let distNames: [string[], string[]] | null = null;
const exportNames = (file: string) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(`${ROOT}${file}`))).map((e) => e.name);

/**
 * Puts `how` in front of the export `name` (its long name; the short one on a model of dist/) of the model's kernel,
 * until the model is disposed: the kernel's exports go back first, since a single-threaded kernel's instance is kept
 * for the next model (bindings/wasm.ts retireKernel); `keep` leaves the stand-in there instead, for that next model.
 */
export function wrapExport(ae: Pick<Autoencoder, 'dispose'>, name: string, how: ExportCall, keep = false): void {
  const k = kernelOf(ae as Autoencoder) as unknown as { x: Record<string, unknown> };
  const own = k.x;
  distNames ??= [exportNames('build/kernels.wasm'), exportNames('dist/build/kernels.wasm')];
  const key = name in own ? name : distNames[1][distNames[0].indexOf(name)]!;
  const real = own[key] as (...a: number[]) => number;
  const x = Object.create(own) as Record<string, unknown>;
  Object.defineProperty(x, key, { value: (...a: number[]) => how(real, a) });
  k.x = x;
  if (keep) return;
  const dispose = ae.dispose.bind(ae);
  ae.dispose = () => { k.x = own; dispose(); };
}

/** What expectTwinFits fits: a model of the sources' bindings or of dist/'s. */
type Fits = { fit(x: Matrix, options: FitOptions): Promise<unknown>; save(): Uint8Array };

/** Fits a model and its twin on the same rows the same way, and expects the same save() bytes (the twin is the oracle). */
export async function expectTwinFits(ae: Fits, twin: Fits, x: Matrix, options: FitOptions): Promise<void> {
  await ae.fit(x, options);
  await twin.fit(x, options);
  expect(ae.save()).toEqual(twin.save());
}

/** Runs fn between k.mark() and k.release(): every alloc inside is freed afterwards. */
export function withIO<T>(k: Kernel, fn: () => T): T {
  const mark = k.mark();
  try {
    return fn();
  } finally {
    k.release(mark);
  }
}

/** Copies values into a fresh region of the kernel's I/O stack (as float32); returns its byte offset. */
export function putF32(k: Kernel, values: ArrayLike<number>, extra = 0): number {
  const p = k.alloc((values.length + extra) * 4);
  const v = k.f32(p, values.length + extra);
  v.fill(0);
  v.set(values);
  return p;
}

/** A copy of n floats at p (views detach when memory grows, so never keep one). */
export function getF32(k: Kernel, p: number, n: number): Float32Array {
  return k.f32(p, n).slice();
}

// ---- seeded generators (integer code only: the same numbers on every host) -------------------
/** xorshift32 stream of uint32 values. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  u32(): number {
    let s = this.s;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.s = s;
    return s;
  }
  /** Uniform in [lo, hi): 24 random bits, so the value is exact before scaling. */
  uniform(lo = 0, hi = 1): number { return lo + (hi - lo) * ((this.u32() >>> 8) / 16777216); }
  /** Integer in [0, n). */
  int(n: number): number { return this.u32() % n; }
  /** Float32Array of n uniform values in [lo, hi). */
  f32(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.uniform(lo, hi);
    return a;
  }
  /** Bytes. */
  bytes(n: number): Uint8Array {
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.u32() & 0xff;
    return a;
  }
}

// ---- float32 arithmetic facts ---------------------------------------------------------------
/** Unit roundoff of float32 (round to nearest): 2^-24. */
export const U32 = 2 ** -24;
/** Smallest positive normal float32. */
export const MIN_NORMAL32 = 2 ** -126;

/** Higham's gamma_n = n u / (1 - n u): bound on the relative error of n float32 roundings in a sum or product chain. */
export function gamma(n: number): number { return (n * U32) / (1 - n * U32); }

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** The float32 bit pattern of x (after rounding x to float32). */
export function bits32(x: number): number {
  f32buf[0] = x;
  return u32buf[0]!;
}

/** Spacing of float32 values at |x| (x rounded to float32 first): ulp(x), 2^-149 for subnormals and zero. */
export function ulp32(x: number): number {
  const e = (bits32(x) >>> 23) & 0xff;
  if (e === 0xff) return Infinity;
  return 2 ** (Math.max(e, 1) - 127 - 23);
}

/** Distance in float32 ulps (count of representable floats between), for finite values of the same sign or zero. */
export function ulpDistance(a: number, b: number): number {
  const ia = ordered(bits32(a)), ib = ordered(bits32(b));
  return Math.abs(ia - ib);
}
function ordered(u: number): number { return u & 0x80000000 ? -(u & 0x7fffffff) : u; }

/** True when the float32 bit patterns are identical (distinguishes -0 from 0, matches NaN payloads). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/** Expects bit-identical float32 arrays; on failure names the first differing index and both values. */
export function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (bits32(actual[i]!) !== bits32(expected[i]!)) {
      expect.fail(`${what}: first difference at [${i}]: ${actual[i]} (0x${bits32(actual[i]!).toString(16)}) vs ${expected[i]} (0x${bits32(expected[i]!).toString(16)})`);
    }
  }
}

// ---- tolerance checks -----------------------------------------------------------------------
export interface Worst { ratio: number; index: number; actual: number; expected: number; tol: number }

/**
 * Checks |actual[i] - expected[i]| <= tol(i) for every i; fails naming the worst element
 * (largest error / tolerance). Returns the worst ratio (<= 1 passes) so callers can log margins.
 */
export function expectWithin(
  actual: ArrayLike<number>, expected: ArrayLike<number>, tol: (i: number) => number, what: string,
): Worst {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let w: Worst = { ratio: 0, index: -1, actual: NaN, expected: NaN, tol: NaN };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!, t = tol(i);
    if (!Number.isFinite(a) && a !== e) {
      expect.fail(`${what}: [${i}] is ${a}, expected ${e}`);
    }
    const err = a === e ? 0 : Math.abs(a - e);
    const r = t > 0 ? err / t : err === 0 ? 0 : Infinity;
    if (r > w.ratio || w.index < 0) w = { ratio: r, index: i, actual: a, expected: e, tol: t };
  }
  if (w.ratio > 1) {
    expect.fail(`${what}: worst at [${w.index}]: got ${w.actual}, expected ${w.expected}, |diff| ${Math.abs(w.actual - w.expected).toExponential(3)} > tol ${w.tol.toExponential(3)} (x${w.ratio.toFixed(2)})`);
  }
  return w;
}

/** |a - e| <= atol + rtol * |e| elementwise. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): Worst {
  return expectWithin(actual, expected, (i) => atol + rtol * Math.abs(expected[i]!), what);
}

/** Largest |v| of an array (0 for empty). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

// ---- sizes ------------------------------------------------------------------------------------
/** Sizes that hit every SIMD tail: f32x4 lanes (n mod 4) and the GEMM's 4-row x 8/4/1-column tiles. */
export const TAIL_SIZES = [1, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31] as const;

// ---- models ----------------------------------------------------------------------------------
/** The layer widths [inputDim, ...layers, ...mirror, inputDim] of a spec, as buildPlan lays them out. */
export function widthsOf(inputDim: number, layers: readonly number[]): number[] {
  return [inputDim, ...layers, ...layers.slice(0, -1).reverse(), inputDim];
}

/** The activation of every layer, as buildPlan assigns them. */
export function actsOf(layers: readonly number[], hidden: string, latent: string, output: string): string[] {
  const n = 2 * layers.length;
  return Array.from({ length: n }, (_, i) => (i === layers.length - 1 ? latent : i === n - 1 ? output : hidden));
}

/** A reference network on the given float32 weights (Keras layout, [W1, b1, ...]), widened to float64. */
export function refNet(sizes: number[], acts: string[], weights: ArrayLike<number>[]): RefNet {
  return { sizes, acts, params: weights.map((w) => Float64Array.from(w)) };
}

// ---- ../shared bench models -----------------------------------------------------------------
export const SHARED_MODELS = `${ROOT}../shared/bench/models/`;
export const HAVE_SHARED = existsSync(`${SHARED_MODELS}tab30.weights.json`);

export interface BenchParam { kind: string; shape: number[]; offset: number }
export interface BenchModel {
  name: string;
  params: BenchParam[];
  n_floats: number;
  reference: { input_shape_nchw: number[]; input: number[]; output: number[] };
  /** The tensors in file order, as float32 (little-endian in the .bin). */
  tensors: Float32Array[];
}

/** Reads <name>.weights.json and .weights.bin from ../shared/bench/models. */
export function loadBenchModel(name: string): BenchModel {
  const meta = JSON.parse(readFileSync(`${SHARED_MODELS}${name}.weights.json`, 'utf8')) as Omit<BenchModel, 'tensors'>;
  const bin = readFileSync(`${SHARED_MODELS}${name}.weights.bin`);
  expect(bin.length, `${name}.weights.bin size`).toBe(meta.n_floats * 4);
  const dv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const tensors = meta.params.map((p) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) t[i] = dv.getFloat32((p.offset + i) * 4, true);
    return t;
  });
  return { ...meta, tensors };
}

// ---- errors -------------------------------------------------------------------------------------

/** What fn threw (it must throw). */
export function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw, it returned normally');
}

/** What the promise made by p rejected with (it must reject). */
export async function rejected(p: () => Promise<unknown>): Promise<Error> {
  try {
    await p();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject, it resolved');
}

/** An AutoencoderError (an Error, not a wasm trap) whose message matches every pattern. */
export function expectMessage(e: unknown, ...patterns: RegExp[]): void {
  expect(e).toBeInstanceOf(Error);
  expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
  expect(e, String(e)).toBeInstanceOf(AutoencoderError);
  expect((e as Error).name).toBe('AutoencoderError');
  for (const p of patterns) expect((e as Error).message).toMatch(p);
}

// ---- finite differences on the wasm model --------------------------------------------------------

/** Mean loss of the wasm model on x against t (x itself when null): ae_eval_loss, float32 forward. */
export function wasmLoss(ae: Autoencoder, x: Float32Array, t: Float32Array | null, rows: number): number {
  const k = kernelOf(ae);
  return withIO(k, () => {
    const xp = putF32(k, x);
    return k.x.ae_eval_loss(k.ctx, xp, t ? putF32(k, t) : xp, rows);
  });
}

/**
 * Central differences of wasmLoss at `picks(tensor)` entries of each weight array, step h (a power of
 * two, so w +- h is exact for |w| < 1); returns them beside the analytic gradients at the same
 * entries. The model's weights are put back afterwards.
 */
export function wasmFiniteDifferences(ae: Autoencoder, w0: Float32Array[], grads: (ArrayLike<number> | null)[], x: Float32Array,
  t: Float32Array | null, rows: number, picks: (len: number) => Set<number>, h = 2 ** -7): { fd: number[]; an: number[] } {
  const fd: number[] = [], an: number[] = [];
  w0.forEach((tensor, ti) => {
    for (const j of picks(tensor.length)) {
      const probe = (delta: number): number => {
        const w = w0.map((a) => a.slice());
        w[ti]![j] = tensor[j]! + delta;
        ae.setWeights(w);
        return wasmLoss(ae, x, t, rows);
      };
      const wp = Math.fround(tensor[j]! + h), wm = Math.fround(tensor[j]! - h);
      fd.push((probe(h) - probe(-h)) / (wp - wm));
      an.push(grads[ti]![j]!);
    }
  });
  ae.setWeights(w0);
  return { fd, an };
}
