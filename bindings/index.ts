// index.ts: the public API. TypeScript does shapes, names and bookkeeping; every number is
// computed in the wasm module (bindings/wasm.ts is the only door to it). Each method validates
// before it crosses, stages its data in the model's I/O stack, and commits only on success, so a
// failed call leaves the model as it was. The core imports nothing from `node:`; runtime entries
// (node.ts, ...) only say where the compiled module comes from.

import {
  checkCodebook, compressRows, compressStream, decompressFrames, decompressStream, fitCodebook, fromBase64, toBase64, type CodecModel, type CompressOptions, type CompressStreamOptions,
} from './codec.js';
import { AutoencoderError, F32_MAX, checkArray, checkAttached, checkBoolean, checkKeys, checkName, checkNumber, describe, holeIn, trapped } from './errors.js';
import { isPath, nativeCrc32, openModelFile, readWhole, setFileOpener as setOpener, type Crc32, type ModelFile } from './files.js';
import { F32_MIN_NORMAL, FILE_MAX_BYTES, HEADER, META_MAX, checkEnvelope, checkVersion, fileBytes, headerJson, metaBytes, parseHeader, writeHeader, type ModelHeader } from './format.js';
import {
  buildPlan, latentShape, resolveFit, resolveSpec, termName, withDefaultEnsemble, type AutoencoderSpec, type EpochInfo, type FitOptions, type Matrix, type ModelSpec, type ResolvedSpec,
} from './spec.js';
import {
  ABI_VERSION, C, SH, FLAG_DENORM_OUT, FLAG_NORM_IN, Kernel, NOISE, OPT_IDS, RNG, TERM, WASM_MAX_BYTES, copyParams, exposeKernel, homeBlocks, instantiateKernel, layerSizes, mib, valueBound, BOUND_BOX, setNoise, setOptimizer,
  laneCount, planTraining, rowMacs, shardBytes, shardable, statsScratch, sharedKernel, syncLanes, syncShards, termValues, type NetPlan,
  // the door's verbs
  addGaussianNoise, columnMinMax, crc32Update, crc32UpdateBytes, densityFit, elboRows, explainRows, ensembleClean, ensembleDraw, ensembleEpoch, ensembleScore, ensembleStats, evalLoss, fillRandom, findBelow,
  findNonfinite, findOutside, fitNormalizer, flagAbove, identityPerm, infer, initParams, klRows, normalizeRows, quantileOf, resetOptimizer, sampleLatent,
  scoreRows, seedStream, seedStreams, trainEpoch, retireKernel,
} from './wasm.js';

export { AutoencoderError } from './errors.js';
export type { CompressOptions, CompressStreamOptions } from './codec.js';
export { ACTIVATIONS, LOSSES, NORMALIZERS, OPTIMIZERS, defaultLayers } from './spec.js';
export { LAYER_TYPES } from './graph.js';
export { nativeCrc32, setNativeCrc32, type Crc32, type ModelFile } from './files.js';
export type { LayerSpec, LayerType } from './graph.js';
export type {
  Activation, AutoencoderSpec, EarlyStopping, EpochInfo, FitOptions, Loss, Matrix, ModelSpec, NoiseSpec, Normalize, Optimizer, ResolvedSpec, Sparsity,
} from './spec.js';

/** Where the compiled kernels come from, for runtimes the package can't guess. */
export interface CreateOptions {
  /** A compiled kernels.wasm (`WebAssembly.compile(bytes)`, or a Worker's `.wasm` import); with `threads` > 1, kernels-mt.wasm. */
  wasm?: WebAssembly.Module;
  /**
   * Threads for training and inference (default 1: no worker is started). 'auto': the core count, or 1
   * where threads cannot run. Node, Bun, Deno, and cross-origin isolated browser pages; the bytes of
   * every result are those of 1 thread. dispose() ends the workers. README "Threads".
   */
  threads?: number | 'auto';
  /**
   * A conv model's data-parallel shards of each training batch, 1 to 16 (default 4): at most this many threads
   * work on its batches. The bytes of a fit depend on it (a model trained with 8 shards is not the one trained
   * with 4), never on `threads`. load(): the count the file was saved with (4 unless made with another), unless given
   * here. Models that do not train in shards (dense ones, and conv ones with a condition, a contractive term, or
   * batchNorm outside a chain of nodes) ignore it, as AutoencoderLite does (it never trains). README "Threads".
   */
  shards?: number;
}

/** What `fit()` returns. */
export interface History {
  /** Training loss per epoch. */
  loss: number[];
  /** Validation loss per epoch (empty without a validation split). */
  valLoss: number[];
  /** Epochs run. */
  epochs: number;
  /** True when early stopping (or onEpoch returning false) ended training before `epochs`. */
  stoppedEarly: boolean;
  /** 1-based epoch whose weights the model holds at the end (the best one with restoreBest). */
  bestEpoch: number;
  /**
   * Each loss term per epoch as added to the loss (weighted): `reconstruction`, and `kl` (a VAE),
   * `sparsity` (a sparse autoencoder), `contractive`, `rate` (rate · bits / inputDim) where the model has them.
   * Their sum is `loss`.
   */
  terms: Record<string, number[]>;
  /** The same on the validation rows (empty arrays without a validation split). */
  valTerms: Record<string, number[]>;
}

/** What a score is: the reconstruction error, or for a VAE the KL of the posterior or the negative ELBO (nats per row). */
export type ScoreBy = 'reconstruction' | 'kl' | 'elbo';

/** Options of score(), explain() and calibrate(); `by`, `samples`, `seed` for a VAE; `condition` for a conditional VAE (detect() takes that alone: it scores by what calibrate() stored, ae.thresholdBy). */
export interface ScoreOptions {
  /** Default 'reconstruction'. */
  by?: ScoreBy;
  /** 'elbo': draws of z per row averaged (default 1). */
  samples?: number;
  /**
   * 'elbo': the sampling stream's seed (default 0). Draw k takes the stream's normals k·L .. k·L + L − 1 for every row
   * alike, so a row's score is a function of the row, the model, `samples` and `seed`: the same alone as among other rows,
   * in any order.
   */
  seed?: number;
  /** A conditional VAE's condition rows (rows x conditionDim). */
  condition?: Matrix;
}

/**
 * How `calibrate()` picks the threshold from the scores of (normal) rows, and by which score: at most one of quantile,
 * contamination and max (none: quantile 0.99), and score()'s options.
 */
export type CalibrateOptions = ({ quantile?: number; contamination?: never; max?: never } | { contamination: number; quantile?: never; max?: never } | { max: true; quantile?: never; contamination?: never }) & ScoreOptions;

/**
 * `out`: a Float32Array of your own, exactly as long as the result (rows x width), to write the result
 * into instead of a new array; the call returns it. For loops over many batches (a new typed array can
 * cost a tenth to a fifth of a call on a small model, and leaves garbage to collect). Checked before the
 * call computes anything: a wrong type or length is refused and `out` is left as it was; a view of the
 * model's own wasm memory is refused (every call reuses it).
 */
export interface OutOption {
  out?: Float32Array;
}

type Loader = () => Promise<WebAssembly.Module>;
/** Which module a model needs: 'full' (kernels.wasm: everything) or 'score' (kernels-score.wasm: what AutoencoderLite calls). */
export type KernelKind = 'full' | 'score';
// the runtime entries' loaders: 'autoencoder' registers kernels.wasm, 'autoencoder/score' kernels-score.wasm
const loaders: Record<KernelKind, Loader | null> = { full: null, score: null };
const cached: Record<KernelKind, Promise<WebAssembly.Module> | null> = { full: null, score: null };

// the thread pool's module (bindings/threads.ts), imported only for threads > 1: by default through a
// computed specifier (bundlers leave it out); Deno's entry passes a literal import (no --allow-read)
let threadsModule = async () => import(new URL('./threads.js', import.meta.url).href) as Promise<typeof import('./threads.js')>;

/**
 * Runtime entries call this once with a function that compiles kernels.wasm ('full', the default) or, for
 * the 'autoencoder/score' entries, kernels-score.wasm ('score'); it runs lazily, once.
 */
export function setWasmLoader(load: Loader, threads?: typeof threadsModule, kind: KernelKind = 'full'): void {
  loaders[kind] = load;
  cached[kind] = null;
  if (threads) threadsModule = threads;
}

/** The create/load options object and its keys (before any kernel is made, threads or not). */
function checkOptions(opts: CreateOptions | undefined): void {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw new AutoencoderError(`the second argument must be an options object such as { wasm: module }, got ${describe(opts)}`);
  }
  if (opts) checkKeys('create/load options', opts, ['wasm', 'threads', 'shards']);
  // threads: checked here, before any runtime's pool (threads.ts) or its absence (workerd, a Service Worker) is asked,
  // so a bad value is named as such everywhere
  const t = opts?.threads;
  if (t !== undefined && t !== 'auto' && !(typeof t === 'number' && Number.isInteger(t) && t >= 1 && t <= 256)) {
    throw new AutoencoderError(`threads must be an integer from 1 to 256 or 'auto' (the core count), got ${describe(t)}`);
  }
  // shards: checked here for AutoencoderLite too, which never trains and so ignores a good value (shardsOf)
  const s = opts?.shards;
  if (s !== undefined && !(typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= SH.MAX)) {
    throw new AutoencoderError(`shards must be an integer from 1 to ${SH.MAX} (a conv model's data-parallel shards of each training batch; default ${SH.SHARDS}), got ${describe(s)}`);
  }
}

function moduleFor(opts: CreateOptions | undefined, kind: KernelKind): Promise<WebAssembly.Module> {
  if (opts?.wasm !== undefined) return Promise.resolve(opts.wasm);
  // a scoring model takes the scoring module when its entry was imported, else kernels.wasm
  const from: KernelKind = kind === 'score' && loaders.score ? 'score' : 'full';
  const load = loaders[from];
  if (!load) {
    throw new AutoencoderError(loaders.score
      ? "this needs the full kernels (training, the codec, SeriesDetector): 'autoencoder/score' loads only the scoring module, for AutoencoderLite; import from 'autoencoder' instead"
      : "no wasm module: import 'autoencoder' through a runtime entry (Node, Deno, Bun, browser, workerd) or pass { wasm: WebAssembly.Module } as the second argument");
  }
  return (cached[from] ??= load().catch((e: unknown) => {
    cached[from] = null;
    throw e;
  }));
}

// Models alive in this process: created or loaded, minus disposed, minus garbage-collected (each
// holds its own wasm instance and memory, and V8 reserves about 10 GiB of address space for each).
let liveModels = 0;
// (a model with threads gives its pool: collected, its workers are stopped, or they held its shared memory for good)
const collected: FinalizationRegistry<{ close(): void } | null> | null = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<{ close(): void } | null>((pool) => { liveModels--; pool?.close(); })
  : null;

/** True in workerd (Cloudflare Workers): its navigator.userAgent. */
const inWorkerd = () => (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === 'Cloudflare-Workers';

/** A fresh instance of the kernels; a host refusing one (address space exhausted) gets a clear error. */
async function newKernel(opts: CreateOptions | undefined, kind: KernelKind = 'full'): Promise<Kernel> {
  checkOptions(opts);
  // (a browser's Service Worker can start no Worker and may not import() the pool's module: 'auto' is 1 thread there;
  // workerd's global scope is a ServiceWorkerGlobalScope too, and says why below)
  const sw = (globalThis as { ServiceWorkerGlobalScope?: new () => unknown }).ServiceWorkerGlobalScope;
  if (opts?.threads !== undefined && opts.threads !== 1 && typeof sw === 'function' && globalThis instanceof sw && !inWorkerd()) {
    if (opts.threads !== 'auto') throw new AutoencoderError(`threads: ${describe(opts.threads)} cannot run in a Service Worker (it can start no Worker): use threads: 1, or train on the page or in a dedicated Worker`);
  } else if (opts?.threads !== undefined && opts.threads !== 1) {
    // (a runtime that cannot load the pool's module, workerd or a bundle without threads.js: 'auto' is 1 thread)
    const t = await threadsModule().catch((e: Error) => {
      if (opts.threads !== 'auto') throw new AutoencoderError(`threads: ${describe(opts.threads)} needs dist/bindings/threads.js, which did not load here (${e.message}); use threads: 1 (workerd runs one thread)`);
    });
    const k = await t?.threadedKernel(opts, { sharedKernel, AutoencoderError, describe });
    if (k) return k;
  }
  const module = await moduleFor(opts, kind);
  try {
    return await instantiateKernel(module, kind);
  } catch (e) {
    if (e instanceof AutoencoderError || !(e instanceof Error)) throw e;
    throw new AutoencoderError(`cannot create another wasm instance (${e.name}: ${e.message}): ${liveModels} models are live in this process (created or loaded, not yet disposed or garbage-collected), each with its own wasm memory, and the runtime ran out of memory or address space for another: call dispose() on models you no longer use and drop your references to them (memory is released when garbage collection runs)`);
  }
}

/** The floats a plan holds (params, non-trainable state), as the arena and the file count them. */
function planCounts(plan: NetPlan): { params: number; state: number; per: number; rows: number } {
  let params = 0, state = 0;
  for (const l of plan.layers) {
    const z = layerSizes(l);
    params += z.w + z.b;
    state += z.state;
  }
  // an ensemble: every member's params (each padded to 4 floats), then f32[members][D + 2] statistics,
  // then with a density term its block: 4 floats and `rows` (0 to plan.density, rounded up to 4) codes of `per` floats
  const K = plan.members, d = K && plan.density ? plan.layers[plan.latent]!.out : 0;
  return K ? { params: K * Math.ceil(params / 4) * 4, state: state + K * (plan.layers[0]!.in + 2) + (d && 4), per: d, rows: Math.ceil(plan.density! / 4) * 4 } : { params, state, per: 0, rows: 0 };
}

/**
 * The blocks of floats a model file holds, in the file's order: [pointer, floats] (the normalizer's two
 * when it has one). `state`: the file's state floats (the header's count: a density block's codes are
 * counted only once they are in place).
 */
function fileRegions(k: Kernel, spec: ResolvedSpec, state: number): [number, number][] {
  const D = spec.inputDim;
  const regions: [number, number][] = spec.normalize !== 'none' ? [[k.normA, D], [k.normB, D]] : [];
  regions.push([k.params, k.fileParams], [k.state, state]);
  return regions;
}

/**
 * The CRC-32 of a model file from its parts: `head` (the bytes before the floats) through the model's
 * scratch block, then the float blocks in place (fileRegions), in 64 KiB pieces: V8 swaps in the
 * optimised crc32 only between calls (see load(bytes)), or with `native`, a native CRC-32 where the runtime's
 * entry gives one (Node's node:zlib, Bun's Bun.hash: files.ts nativeCrc32), the same number. save() seals with
 * the kernels', load(path) checks with the native one where there is one, so there every file read back
 * crosses the two.
 */
function fileCrc(k: Kernel, head: Uint8Array, regions: [number, number][], native: Crc32 | null = null): number {
  if (native) {
    let c = native(head, 0);
    for (const [ptr, n] of regions) c = native(k.u8(ptr, n * 4), c);
    return c >>> 0;
  }
  let crc = crc32UpdateBytes(k, 0, head);
  for (const [ptr, n] of regions) {
    for (let o = 0; o < n * 4; o += 1 << 16) crc = crc32Update(k, crc, ptr + o, Math.min(1 << 16, n * 4 - o));
  }
  return crc;
}

/** The plan of a parsed model file, checked against the file's counts and the wasm32 memory limit; puts its shard count on k. */
function planFor(k: Kernel, h: ModelHeader): NetPlan {
  const plan = buildPlan(h.spec);
  if (h.shards) k.shards = h.shards;   // (a sharded model saved with a count other than the default)
  const counts = planCounts(plan);
  const codes = h.state - counts.state;   // a density block's codes (0 without one)
  if (h.params !== counts.params || (codes && !(codes > 0 && codes % counts.per === 0 && codes / counts.per <= counts.rows))) {
    throw new AutoencoderError(`the model file is corrupted: it holds ${h.params} parameters and ${h.state} state values but its spec needs ${counts.params} and ${counts.state}`);
  }
  const need = k.need(plan, false, 256);
  if (need > WASM_MAX_BYTES) {
    throw new AutoencoderError(`the model file is corrupted or too large: its spec needs ${mib(need)} of wasm memory, more than the ${mib(WASM_MAX_BYTES)} a wasm32 memory holds`);
  }
  return plan;
}

/** The float32 view of a data matrix the caller passed, or a clear error for other typed arrays. */
function refuseOtherTyped(what: string, x: unknown): void {
  if (ArrayBuffer.isView(x) && !(x instanceof Float32Array || x instanceof Float64Array)) {
    // (Float32Array.from() of a DataView gives an empty array: no hint for one)
    throw new AutoencoderError(`${what} must be a Float32Array, Float64Array or number[][], got ${describe(x)}${x instanceof DataView ? '' : `: pass Float32Array.from(${what})`}`);
  }
}

/**
 * A rows x cols Float32Array drawn from the package's own seeded PRNG (the sampling stream, squares32 in wasm), so the
 * same seed gives the same bits in every runtime: uniform [0, 1) or standard normal.
 * Useful for synthetic data, noise for denoising, and reproducible tests.
 */
export async function randomMatrix(rows: number, cols: number, options: { seed?: number; distribution?: 'uniform' | 'normal' } & CreateOptions = {}): Promise<Float32Array> {
  checkKeys('randomMatrix() options', options, ['seed', 'distribution', 'wasm']);
  checkNumber('rows', rows, 1, 1 << 28, true);
  checkNumber('cols', cols, 1, 1 << 28, true);
  if (rows * cols > 1 << 28) throw new AutoencoderError(`randomMatrix(): ${rows} x ${cols} is too many values (at most 2^28)`);
  const seed = checkNumber('seed', options.seed ?? 1, 0, 0xffffffff, true);
  const dist = checkName('distribution', options.distribution ?? 'uniform', ['uniform', 'normal'] as const);
  return onceOnKernel('randomMatrix()', options.wasm, (k) => {
    const p = k.alloc(rows * cols * 4);
    seedStreams(k, seed);
    fillRandom(k, p, rows * cols, dist === 'normal');
    return k.f32(p, rows * cols).slice();
  });
}

/** fn on an instance of its own (wasm: a caller's module), which then goes to the next call or model, as a disposed model's does (retireKernel). */
async function onceOnKernel<T>(call: string, wasm: WebAssembly.Module | undefined, fn: (k: Kernel) => T): Promise<T> {
  const k = await newKernel(wasm !== undefined ? { wasm } : undefined);
  try {
    return fn(k);
  } catch (e) {
    throw trapped(e, k, call, 'nothing was changed');
  } finally {
    retireKernel(k);
  }
}

/**
 * A noisy copy of `x`: x + std * N(0, 1), clipped to `clip` ([lo, hi]) when given, with the noise drawn
 * from the package's seeded wasm PRNG (the same bits in every runtime). For denoising pairs such as
 * Keras's clip(x + 0.4 N(0, 1), 0, 1): `addNoise(x, { std: 0.4, clip: [0, 1], seed: 1 })`.
 */
export async function addNoise(x: Float32Array | Float64Array, options: { std: number; seed?: number; clip?: [number, number] } & CreateOptions): Promise<Float32Array> {
  checkAttached('x', x);
  if (!(x instanceof Float32Array || x instanceof Float64Array) || x.length === 0) {
    const other = ArrayBuffer.isView(x) && !(x instanceof Float32Array || x instanceof Float64Array || (x as unknown) instanceof DataView);
    throw new AutoencoderError(`addNoise() takes a non-empty Float32Array or Float64Array, got ${describe(x)}${other ? ': pass Float32Array.from(x)' : ''}`);
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new AutoencoderError(`addNoise() needs options such as { std: 0.4 }, got ${describe(options)}`);
  checkKeys('addNoise() options', options, ['std', 'seed', 'clip', 'wasm']);
  const std = checkNumber('std', options.std, 0, 1e30);
  const seed = checkNumber('seed', options.seed ?? 1, 0, 0xffffffff, true);
  let lo = 1, hi = 0;
  if (options.clip !== undefined) {
    checkArray('clip', options.clip, '[0, 1] ([lo, hi])', 2, 2);
    lo = checkNumber('clip[0]', options.clip[0], -3e38, 3e38);
    hi = checkNumber('clip[1] (at least clip[0])', options.clip[1], lo, 3e38);
  }
  return onceOnKernel('addNoise()', options.wasm, (k) => {
    // (read after the kernels' await: x may have been transferred since the call)
    checkAttached('x', x);
    const p = k.alloc(x.length * 4);
    k.f32(p, x.length).set(x);
    const bad = findNonfinite(k, p, x.length);
    if (bad >= 0) {
      throw new AutoencoderError(`addNoise(): x has ${describe(x[bad])} at index ${bad}: values must be finite float32 numbers (at most 3.4028235e38 in magnitude); drop or impute NaN/Infinity first`);
    }
    seedStreams(k, seed);
    addGaussianNoise(k, p, x.length, std, lo, hi);
    return k.f32(p, x.length).slice();
  });
}

/** The error for a call that would change the model while fit() trains it. */
function fitRunning(call: string, fix: string): AutoencoderError {
  return new AutoencoderError(`fit() is running: ${call} would change the model while it trains; ${fix}`);
}

/**
 * Checks a call's `out` option against the n floats (`shape`) its result has, before the call computes
 * anything: undefined (a new array), or a Float32Array of the caller's own of exactly n values.
 */
function checkOut(k: Kernel, call: string, out: unknown, n: number, shape: string): Float32Array | undefined;
function checkOut(k: Kernel, call: string, out: unknown, n: number, shape: string, type: Uint8ArrayConstructor): Uint8Array | undefined;
function checkOut(k: Kernel, call: string, out: unknown, n: number, shape: string, type: Float32ArrayConstructor | Uint8ArrayConstructor = Float32Array): Float32Array | Uint8Array | undefined {
  if (out === undefined) return undefined;
  if (!(out instanceof type)) throw new AutoencoderError(`${call}: out must be a ${type.name} of ${shape} = ${n} values to write the result into, got ${describe(out)}`);
  if (out.length !== n) {
    checkAttached(`${call}: out`, out);
    throw new AutoencoderError(`${call}: out has ${out.length} values but the result has ${shape} = ${n}: pass a ${type.name} of ${n}, or no out for a new array`);
  }
  if (k.holds(out)) throw new AutoencoderError(`${call}: out is a view of the model's own wasm memory, which every call reuses (and memory growth detaches): pass a ${type.name} of your own`);
  return out;
}

/** A call's result, `v` (a view of the model's memory): written into `out` (checked by checkOut) and returned, or copied into a new array. */
function emit<T extends Float32Array | Uint8Array>(v: T, out: T | undefined): T {
  if (out === undefined) return v.slice() as T;
  out.set(v);
  return out;
}

const NO_OPTIONS = Object.freeze({});
const COND_KEYS = ['condition'] as const;
const OUT_KEYS = ['condition', 'out'] as const;
const ENCODE_KEYS = ['condition', 'sample', 'seed', 'out'] as const;
const SCORE_KEYS = ['by', 'samples', 'seed', 'condition'] as const;
const SCORE_OUT_KEYS = [...SCORE_KEYS, 'out'] as const;
const DEFAULT_SCORE = Object.freeze({ by: 'reconstruction' as const, samples: 1, seed: 0 });

/**
 * fn with the model's sampling stream seeded with `seed` (the draws of encode's sample, sample(), generate() and the
 * ELBO score), then the stream put back: a read's draws leave those of the training to come as they were.
 */
function withSampling(k: Kernel, seed: number, fn: () => void): void {
  const at = k.ctx + C.RNG + RNG.sample * 16, keep = k.u8(at, 16).slice();
  seedStream(k, seed, RNG.sample);
  try {
    fn();
  } finally {
    k.u8(at, 16).set(keep);
  }
}

/** Once fit()'s signal is aborted, throws what fit() rejects with: the signal's reason (as fetch() does), else an AutoencoderError. */
function checkAborted(s: AbortSignal | undefined): void {
  // (a reason of null too, as fetch() rejects with it; undefined only from a signal-like object without one)
  if (s?.aborted) throw s.reason !== undefined ? s.reason : new AutoencoderError('fit() was aborted (its signal): the model is as it was before fit()');
}
/**
 * The host's turn (its timers, I/O, an abort, a browser's frames), without a timer's clamp (setTimeout(0) waits 1 ms in
 * Node, 4 ms when nested in a browser): setImmediate where there is one (Node, Bun, Deno), else a message to itself;
 * in workerd a timer, which has no clamp there, while its messages run before any timer (measured: an interval and
 * AbortSignal.timeout() never ran between turns by message, and ran between turns by setTimeout(0), 0.1 ms each).
 */
const yieldToHost = () => new Promise<void>((resolve) => {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (typeof g.setImmediate === 'function') g.setImmediate(resolve);
  else if (typeof MessageChannel === 'function' && !inWorkerd()) {
    // (two messages, the second posted by the first: Chromium queues a timer that fell due during a call behind the
    // message the call's task posted, so with one message the host's timers ran in every other turn (a 0 ms interval
    // beside a fit waited up to 2 calls); the second queues behind them. No timer: a hidden page's are throttled)
    const c = new MessageChannel();
    let n = 0;
    c.port1.onmessage = () => {
      if (++n < 2) return c.port2.postMessage(0);
      c.port1.close();
      resolve();
    };
    c.port2.postMessage(0);
  } else setTimeout(resolve, 0);
});
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/**
 * fit() runs an epoch in calls of whole batches of about SLICE_MS, and gives the host its turn when TURN_MS have passed since
 * its last, or, where the clock could not time the calls since (a coarse clock; Cloudflare's deployed Workers, whose clock
 * moves with I/O only), once they did about TURN_WORK multiply-adds (some 10-20 ms of training on this 2-core VM's core).
 */
const SLICE_MS = 50, TURN_MS = 25, TURN_WORK = 2 ** 28, WARM_PIECE = 2 << 20;

/** The rows of `x` as rows of `cols` floats, its shape and value types checked (not yet its values: putRows()). */
function rowsOf(x: Matrix, cols: number, what: string): number {
  refuseOtherTyped(what, x);
  checkAttached(what, x);
  if (x instanceof Float32Array || x instanceof Float64Array) {
    if (x.length === 0) throw new AutoencoderError(`${what} is empty: pass at least one row of ${cols} values`);
    if (x.length % cols !== 0) {
      throw new AutoencoderError(`${what} has ${x.length} values, not a multiple of the row width ${cols}: pass rows x ${cols} values, row-major`);
    }
    return x.length / cols;
  }
  if (!Array.isArray(x)) throw new AutoencoderError(`${what} must be a Float32Array, Float64Array or number[][] (rows x ${cols}), got ${describe(x)}`);
  if (x.length === 0) throw new AutoencoderError(`${what} is empty: pass at least one row of ${cols} values`);
  const rows = x.length;
  // plain loops, not forEach: a sparse array's holes must be found, not skipped
  for (let r = 0; r < rows; r++) {
    if (!(r in x)) throw new AutoencoderError(`${what} has a hole at row ${r} (a sparse array): pass one array of ${cols} numbers per row`);
    const row: unknown = x[r];
    if (ArrayBuffer.isView(row) && !(row instanceof Float32Array || row instanceof Float64Array)) {
      throw new AutoencoderError(`${what} row ${r} is ${describe(row)}: pass rows as number[], Float32Array or Float64Array${row instanceof DataView ? '' : ' (Float32Array.from(row))'}`);
    }
    if (!(Array.isArray(row) || row instanceof Float32Array || row instanceof Float64Array)) {
      throw new AutoencoderError(`${what} must be an array of rows (number[][]); row ${r} is ${typeof row === 'number' ? `a number (${describe(row)}); for a single row, wrap it: [row]` : describe(row)}`);
    }
    if (row.length !== cols) {
      checkAttached(`${what} row ${r}`, row);
      throw new AutoencoderError(`${what} row ${r} has ${row.length} values but the model expects ${cols}`);
    }
    if (Array.isArray(row)) {
      // plain arrays could hold holes, null, strings or booleans, which a typed-array copy would coerce silently
      for (let c = 0; c < cols; c++) {
        if (!(c in row)) throw new AutoencoderError(`${what} has a hole at row ${r}, column ${c} (a sparse array): every value must be a number`);
        const v: unknown = row[c];
        if (typeof v !== 'number') throw new AutoencoderError(`${what} has ${describe(v)} at row ${r}, column ${c}: values must be numbers; parse strings with Number() first`);
      }
    }
  }
  return rows;
}

/** Copies `x` (checked by rowsOf: `rows` rows of `cols`) to the top of the I/O stack, checks every value is finite, returns where. */
function putRows(k: Kernel, x: Matrix, rows: number, cols: number, what: string): number {
  const ptr = k.alloc(rows * cols * 4);
  const view = k.f32(ptr, rows * cols);
  if (x instanceof Float32Array || x instanceof Float64Array) view.set(x);
  else for (let r = 0; r < rows; r++) view.set((x as ArrayLike<number>[])[r]!, r * cols);
  const bad = findNonfinite(k, ptr, rows * cols);
  if (bad >= 0) {
    const r = Math.floor(bad / cols), c = bad % cols;
    const v = x instanceof Float32Array || x instanceof Float64Array ? x[bad] : Number((x as ArrayLike<number>[])[r]![c]);
    throw new AutoencoderError(`${what} has ${describe(v)} at row ${r}, column ${c}: values must be finite float32 numbers; drop or impute NaN/Infinity first`);
  }
  return ptr;
}

/** load(path), once a runtime entry that reads files set the opener (setFileOpener); null elsewhere. */
let loadPath: ((cls: typeof AutoencoderLite, path: string | URL, opts?: CreateOptions) => Promise<AutoencoderLite>) | null = null;

/**
 * Runtime entries that read files (Node, Bun, Deno) call this once, so that `load()` takes a path and
 * reads the file's floats straight into the model's wasm memory. (load(path)'s code comes with this call:
 * the browser and workerd bundles, which never make it, leave it out.)
 */
export function setFileOpener(open: ((path: string | URL) => ModelFile) | null): void {
  setOpener(open);
  loadPath = open && loadFile;
}

/** What load(path) reaches of a class: its constructor and finishLoad (protected and private). */
type Loading = new (k: Kernel, s: ResolvedSpec, plan: NetPlan) => { finishLoad(k: Kernel, h: ModelHeader & { floatsAt: number }): AutoencoderLite; dispose(): void };

/**
 * load(path): the envelope (magic bytes, length) from the first bytes, as load(bytes) takes it first, so a
 * file that is no model, or is truncated, is refused without reading it whole; then the header, then each
 * block of floats straight into the model's memory (no copy of the file in JS memory: a 1.7 MB model
 * touches 1.7 MB of fresh pages, not 3.4), and the checksum is taken over them in place. Anything else
 * that does not match, from a bad header to a checksum or a value a model cannot hold, is left to
 * load(bytes) on the whole file, whose errors it then gives.
 */
async function loadFile(cls: typeof AutoencoderLite, path: string | URL, opts?: CreateOptions): Promise<AutoencoderLite> {
  const f = openModelFile(path);
  try {
    const env = new Uint8Array(HEADER);
    checkEnvelope(env.subarray(0, f.read(env, 0)), f.size);
    const fast = await loadOpen(cls, f, env, opts).catch(() => null);
    return fast ?? await cls.load(readWhole(f, path), opts);
  } finally {
    f.close();
  }
}

/** load(path)'s fast path, after the envelope `env`: the model, or null where load(bytes) must say what is wrong. */
async function loadOpen(cls: typeof AutoencoderLite, f: ModelFile, env: Uint8Array, opts: CreateOptions | undefined): Promise<AutoencoderLite | null> {
  const total = f.size;   // (the envelope's length: at least HEADER + 4)
  const jsonLen = new DataView(env.buffer).getUint32(20, true);
  if (!(total <= FILE_MAX_BYTES) || HEADER + jsonLen + 4 > total) return null;
  const head = new Uint8Array(HEADER + jsonLen);
  head.set(env);
  if (f.read(head.subarray(HEADER), HEADER) !== jsonLen) return null;
  checkVersion(head);
  const h = parseHeader(head, total);
  const k = await newKernel(opts, cls === AutoencoderLite ? 'score' : 'full');
  let ae: InstanceType<Loading> | null = null;
  try {
    ae = new (cls as unknown as Loading)(k, h.spec, planFor(k, h));
    // the floats read into place, then summed there with the header
    const regions = fileRegions(k, h.spec, h.state);
    let at = h.floatsAt;
    for (const [ptr, n] of regions) {
      if (f.read(k.u8(ptr, n * 4), at) !== n * 4) throw new Error('short read');
      at += n * 4;
    }
    const stored = new Uint8Array(4);
    if (f.read(stored, total - 4) !== 4 || new DataView(stored.buffer).getUint32(0, true) !== fileCrc(k, head, regions, nativeCrc32())) throw new Error('checksum');
    return ae.finishLoad(k, h);
  } catch (e) {
    if (ae) ae.dispose(); else k.pool?.close();
    throw e;
  }
}

/**
 * A loaded model at inference time: score, calibrate, detect, encode, decode, reconstruct, posterior,
 * sample, generate, getWeights, save. {@link Autoencoder} extends it with create(), fit(), setWeights()
 * and the codec. Import this class alone where bundle size matters (a Worker, a page that only scores):
 * a bundler then leaves training and the codec out (see README, "Bundle size").
 */
export class AutoencoderLite {
  protected k: Kernel | null;
  protected readonly s: ResolvedSpec;
  protected thr: number | null = null;
  protected normFitted = false;
  protected fitting = false;
  protected meta: Record<string, unknown> | null = null;
  protected codebook: Uint8Array | null = null;
  protected readonly latent: number[];
  /** What the threshold was calibrated on (score by, and for 'elbo' its draws and seed). */
  protected scoreBy: { by: ScoreBy; samples: number; seed: number } = { by: 'reconstruction', samples: 1, seed: 0 };

  protected constructor(k: Kernel, s: ResolvedSpec, plan: NetPlan) {
    this.k = k;
    this.s = s;
    this.latent = latentShape(s);
    k.planModel(plan);
    exposeKernel(this, () => this.k);
    liveModels++;
    collected?.register(this, k.pool ?? null, this);
  }

  /**
   * Rebuilds a model from the bytes `save()` returned or, in Node, Bun and Deno, from the path (a string
   * or a file: URL) of a file holding them: the file's floats are then read straight into the model's
   * wasm memory, with no copy of the file in JS memory (Deno needs --allow-read for it). The checksum
   * proves the bytes are those save() wrote; the values are then held to the same rule as setWeights()
   * (see {@link Autoencoder.setWeights}). AutoencoderLite keeps the file's codec tables (fitCodec) as they
   * are, for save(); Autoencoder.load() also refuses malformed ones. A path gives the same model and the
   * same errors as the file's bytes.
   * @throws AutoencoderError when the bytes are empty, truncated, corrupted, too large, hold values no
   * model can have, or are from a newer format; when the file cannot be read; when a path is given in a
   * runtime without files (browsers, workerd).
   */
  static async load(source: Uint8Array | string | URL, opts?: CreateOptions): Promise<AutoencoderLite> {
    if (isPath(source)) {
      if (!loadPath) openModelFile(source);   // (throws: no files in this runtime)
      return loadPath!(this, source, opts);
    }
    const bytes = source as Uint8Array;
    checkEnvelope(bytes);
    // AutoencoderLite runs on the scoring module where 'autoencoder/score' provides it; Autoencoder.load() needs the full one
    const k = await newKernel(opts, this === AutoencoderLite ? 'score' : 'full');
    let ae: AutoencoderLite | null = null;
    try {
      // (read after the kernels' await: the bytes may have been transferred, or their resizable buffer shrunk, since the call)
      checkEnvelope(bytes);
      // the checksum: a native CRC-32 where the runtime's entry gives one (Node, Bun), else the kernels' in
      // bounded chunks through a scratch region, not a copy of the whole file. 64 KiB, not larger: a fresh
      // module runs baseline code, and V8 swaps in the optimised crc32 only between calls (cold start of a
      // 1.7 MB model: 24.7-24.8 ms above an empty process against 26.5-27.5 with 1 MiB chunks)
      const body = bytes.length - 4;
      const native = nativeCrc32();
      let crc = 0;
      if (native) crc = native(bytes.subarray(0, body), 0) >>> 0;
      else {
        const mark = k.mark();
        const chunk = Math.min(body, 1 << 16);
        const p = k.alloc(chunk);
        for (let at = 0; at < body; at += chunk) {
          const n = Math.min(chunk, body - at);
          k.u8(p, n).set(bytes.subarray(at, at + n));
          crc = crc32Update(k, crc, p, n);
        }
        k.u8(p, chunk).fill(0); // the arena is planned over this region next, and expects zeros
        k.release(mark);
      }
      const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(body, true);
      if (crc !== stored) throw new AutoencoderError('the model file is corrupted: its checksum does not match its contents; copy or save it again');
      checkVersion(bytes);
      const h = parseHeader(bytes);
      const plan = planFor(k, h);
      ae = new this(k, h.spec, plan);   // Autoencoder.load() makes an Autoencoder
      // the floats go from the file straight to where they live (byte copies: the file's floats need
      // not be 4-byte aligned), then are checked in place
      let at = h.floatsAt;
      for (const [ptr, n] of fileRegions(k, h.spec, h.state)) {
        k.u8(ptr, n * 4).set(bytes.subarray(at, at + n * 4));
        at += n * 4;
      }
      return ae.finishLoad(k, h);
    } catch (e) {
      // a failed load discards this kernel whole, with its worker threads if it has any
      if (ae) ae.dispose(); else k.pool?.close();
      throw trapped(e, null, 'load()', 'nothing was loaded');
    }
  }

  /** The rest of a load whose floats are in place: the values checked, the header's fields taken. */
  private finishLoad(k: Kernel, h: ModelHeader & { floatsAt: number }): this {
    const ae = this;
    const norm = h.spec.normalize !== 'none';
    // a matching checksum proves integrity, not sense: the values must be ones a model can hold
    k.paramsChanged();
    const bad = (k.fileState !== h.state ? 'its density block does not match its size' : null) ?? ae.invalidValue(k, k.params, k.state, norm) ?? ae.overflowBound(k);
    if (bad) {
      ae.dispose();
      throw new AutoencoderError(`the model file is corrupted: ${bad}`);
    }
    ae.normFitted = h.normalizerFitted;
    ae.thr = h.threshold;
    ae.meta = h.metadata;
    if (h.scoreBy) ae.scoreBy = { ...h.scoreBy };
    if (h.codec) {
      const bad = ae.takeCodebook(k, h.codec);
      if (bad !== null) { ae.dispose(); throw new AutoencoderError(`the model file is corrupted: ${bad}`); }
    }
    seedStreams(k, h.spec.seed);
    return ae;
  }

  protected live(): Kernel {
    if (!this.k) throw new AutoencoderError(`this ${'fit' in this ? 'Autoencoder was disposed: create() or' : 'AutoencoderLite was disposed:'} load() a new one`);
    return this.k;
  }

  /** The complete spec, defaults filled in. */
  get spec(): ModelSpec {
    const copy = JSON.parse(JSON.stringify(this.s)) as Partial<ResolvedSpec>;
    // a graph spec carries no dense-shorthand keys, so create(ae.spec) rebuilds the same model
    if (copy.inputShape) for (const k of ['layers', 'activation', 'latentActivation', 'outputActivation'] as const) delete copy[k];
    return copy as ModelSpec;
  }
  /** Features per input row. */
  get inputDim(): number { return this.s.inputDim; }
  /** Width of the latent code that encode() returns. */
  get latentDim(): number { return this.latent.reduce((a, b) => a * b, 1); }
  /** Per-sample shape of the latent code (e.g. [7, 7, 32] after two pools in a conv encoder). */
  get latentShape(): number[] { return [...this.latent]; }
  /** Number of trainable parameters (an ensemble: of one member). */
  get paramCount(): number { return this.live().nParams; }
  /** True once the normalizer has been fitted (by the first fit(), or loaded). */
  get normalizerFitted(): boolean { return this.normFitted; }
  /**
   * The anomaly threshold on score() (null until calibrate() or a set; stored as float32, as scores are,
   * so it must be a number within the float32 range, |t| <= 3.4028235e38).
   */
  get threshold(): number | null { return this.thr; }
  set threshold(t: number | null) {
    this.live();
    // (rounded to float32 first: 3.4028235e38, float32's largest value as C prints it, is taken)
    this.thr = t === null ? null : checkNumber('threshold (a float32)', typeof t === 'number' && Math.abs(Math.fround(t)) <= F32_MAX ? Math.fround(t) : t, -F32_MAX, F32_MAX);
  }

  /**
   * Your own JSON data saved with the model (for example the names of the training columns, as the
   * CLI stores them), or null. A copy: assign a new object to change it. At most 1 MiB as JSON.
   */
  get metadata(): Record<string, unknown> | null {
    this.live();
    return this.meta === null ? null : JSON.parse(JSON.stringify(this.meta));
  }
  set metadata(m: Record<string, unknown> | null) {
    this.live();
    if (m === null) { this.meta = null; return; }
    if (typeof m !== 'object' || Array.isArray(m) || m instanceof ArrayBuffer || ArrayBuffer.isView(m)) {
      throw new AutoencoderError(`metadata must be a plain JSON object or null, got ${describe(m)}`);
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(m, (_key, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) throw new AutoencoderError(`metadata holds ${describe(v)}, which JSON cannot carry: use finite numbers or strings`);
        if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new AutoencoderError(`metadata holds a ${typeof v}, which JSON cannot carry`);
        // (a Map, Set, RegExp or Error: JSON writes {}, and what it holds is lost; a plain object or array is not looked at)
        if (v !== null && typeof v === 'object' && ![Object.prototype, Array.prototype, null].includes(Object.getPrototypeOf(v)) && JSON.stringify(v) === '{}') {
          throw new AutoencoderError(`metadata holds ${describe(v)}, which JSON writes as {}: convert it first`);
        }
        return v;
      });
    } catch (e) {
      if (e instanceof AutoencoderError) throw e;
      throw new AutoencoderError(`metadata cannot be written as JSON (${(e as Error).message}): use plain objects, arrays, strings, finite numbers, booleans and null`);
    }
    // a toJSON() (a Date, a boxed number, a user's class) may turn the object into something else
    const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AutoencoderError(`metadata must be a plain JSON object or null, got ${describe(m)}, which JSON writes as ${text === undefined ? 'nothing' : describe(parsed)}`);
    }
    const size = metaBytes(text);
    if (size > META_MAX) throw new AutoencoderError(`metadata is ${size} bytes of JSON (UTF-8), more than the 1 MiB limit: keep large data in a file of its own`);
    this.meta = parsed as Record<string, unknown>;
  }

  /**
   * Copies `x` into the model's I/O stack as rows of `cols` floats and checks every value is finite.
   * Call between k.mark() and k.release().
   */
  protected put(k: Kernel, x: Matrix, cols: number, what: string): { ptr: number; rows: number } {
    const rows = rowsOf(x, cols, what);
    return { ptr: putRows(k, x, rows, cols, what), rows };
  }

  /**
   * Runs `fn` (the body of `call`, a call that changes nothing of the model but what `fn` puts back itself) with the
   * I/O stack released afterwards, whatever happens; a failure inside the kernels becomes an AutoencoderError.
   */
  protected io<T>(call: string, fn: (k: Kernel) => T): T {
    const k = this.live();
    const mark = k.mark();
    try {
      const r = fn(k);
      k.pool?.check();
      return r;
    } catch (e) {
      throw trapped(e, k, call, 'the model is as it was');
    } finally {
      k.release(mark);
    }
  }

  /** The names of the plan's loss terms, in term order (two sparsity kinds never coexist). */
  protected termNames(k: Kernel): string[] {
    return (k.plan!.terms ?? [{ kind: TERM.recon }]).map((t) => termName(t.kind));
  }

  /** Puts a conditional VAE's condition rows for `rows` rows (or checks that none is given) and points the kernels at them. */
  protected putCondition(k: Kernel, options: { condition?: Matrix } | undefined, rows: number, call: string): void {
    const K = this.s.conditionDim ?? 0;
    const c = options?.condition;
    if (!K) {
      if (c !== undefined) throw new AutoencoderError(`${call}: condition is for a conditional VAE (create with variational and conditionDim); this model takes none`);
      return;
    }
    if (c === undefined) throw new AutoencoderError(`this conditional VAE needs ${call.replace('()', '')}(..., { condition }): rows x ${K} condition values, one row per row`);
    const { ptr, rows: cr } = this.put(k, c, K, 'condition');
    if (cr !== rows) throw new AutoencoderError(`condition has ${cr} rows but ${call} has ${rows} rows of data: pass one condition row per row`);
    k.setCondition(ptr);
  }

  /** Checks a method's options object and its keys. */
  protected static opts<T extends object>(call: string, o: T | undefined, keys: readonly string[]): T {
    if (o === undefined) return NO_OPTIONS as T;   // (no allocation: one-row calls are timed in microseconds)
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new AutoencoderError(`${call} options must be an object such as { ${keys[0]}: ... }, got ${describe(o)}`);
    checkKeys(call, o, keys);
    return o;
  }

  /** Refuses a VAE-only call on another model. */
  protected needVae(call: string): void {
    if (!this.s.variational) throw new AutoencoderError(`${call} needs a variational autoencoder: create with variational: { beta: 1 }`);
  }

  /** Runs `fn` with the condition cleared afterwards (it points into the I/O stack). */
  protected withCond<T>(call: string, fn: (k: Kernel) => T): T {
    // (a model without a condition never sets one: nothing to clear, no extra work per call)
    if (!this.s.conditionDim) return this.io(call, fn);
    return this.io(call, (k) => {
      try { return fn(k); } finally { k.setCondition(0); }
    });
  }

  /**
   * Latent codes: Float32Array of rows x latentDim. A VAE returns the posterior mean, or with
   * `{ sample: true, seed }` a draw z = mean + exp(logVar / 2) · ε (seed default 0). A conditional
   * VAE needs `{ condition }`. An ensemble (spec `ensemble`, the default when create() gets no layers)
   * encodes with member 0 alone (one autoencoder trained on its own 512-row subsample), so its codes
   * are one member's, not an average over the members.
   */
  encode(x: Matrix, options?: { condition?: Matrix; sample?: boolean; seed?: number } & OutOption): Float32Array {
    const o = AutoencoderLite.opts('encode()', options, ENCODE_KEYS);
    const sample = checkBoolean('sample', o.sample ?? false);
    if (sample) this.needVae('encode(x, { sample: true })');
    else if (o.seed !== undefined) throw new AutoencoderError('encode(): seed goes with sample: true (the mean needs no draw)');
    const seed = checkNumber('seed', o.seed ?? 0, 0, 0xffffffff, true);
    return this.withCond('encode()', (k) => {
      const { ptr, rows } = this.put(k, x, this.s.inputDim, 'x');
      this.putCondition(k, o, rows, 'encode()');
      const W = this.latentDim, lat = k.plan!.latent;
      const to = checkOut(k, 'encode()', o.out, rows * W, `rows x latentDim (${rows} x ${W})`);
      if (!sample) {
        const out = k.alloc(rows * W * 4);
        infer(k, ptr, rows, 0, lat, out, FLAG_NORM_IN);
        return emit(k.f32(out, rows * W), to);
      }
      const h = k.alloc(rows * 2 * W * 4), z = k.alloc(rows * W * 4);
      infer(k, ptr, rows, 0, lat - 1, h, FLAG_NORM_IN);
      withSampling(k, seed, () => sampleLatent(k, h, rows, W, z));
      return emit(k.f32(z, rows * W), to);
    });
  }

  /**
   * A VAE's posterior per row: `mean` and `logVar`, each rows x latentDim. A conditional VAE needs
   * `{ condition }`. `{ out: { mean, logVar } }`: two Float32Arrays of your own (rows x latentDim each,
   * not sharing memory) to write them into, checked as {@link OutOption}'s; the call returns that object.
   */
  posterior(x: Matrix, options?: { condition?: Matrix; out?: { mean: Float32Array; logVar: Float32Array } }): { mean: Float32Array; logVar: Float32Array } {
    this.needVae('posterior()');
    const o = AutoencoderLite.opts('posterior()', options, OUT_KEYS);
    return this.withCond('posterior()', (k) => {
      const { ptr, rows } = this.put(k, x, this.s.inputDim, 'x');
      this.putCondition(k, o, rows, 'posterior()');
      const L = this.latentDim, h = k.alloc(rows * 2 * L * 4);
      const shape = `rows x latentDim (${rows} x ${L})`;
      let to: { mean: Float32Array; logVar: Float32Array } | undefined;
      if (o.out !== undefined) {
        const out = o.out as unknown;
        if (out === null || typeof out !== 'object' || !('mean' in out) || !('logVar' in out)) {
          throw new AutoencoderError(`posterior(): out must be an object { mean, logVar } of two Float32Arrays of ${shape} = ${rows * L} values each, got ${describe(out)}`);
        }
        const { mean, logVar } = out as { mean: unknown; logVar: unknown };
        const a = checkOut(k, 'posterior(): out.mean', mean, rows * L, shape)!, b = checkOut(k, 'posterior(): out.logVar', logVar, rows * L, shape)!;
        if (a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
          throw new AutoencoderError('posterior(): out.mean and out.logVar share memory, so one would overwrite the other: pass two separate Float32Arrays');
        }
        to = out as { mean: Float32Array; logVar: Float32Array };
      }
      infer(k, ptr, rows, 0, k.plan!.latent - 1, h, FLAG_NORM_IN);
      const all = k.f32(h, rows * 2 * L);
      const mean = to?.mean ?? new Float32Array(rows * L), logVar = to?.logVar ?? new Float32Array(rows * L);
      // a copy of each half of every row (no arithmetic)
      for (let r = 0; r < rows; r++) {
        mean.set(all.subarray(r * 2 * L, r * 2 * L + L), r * L);
        logVar.set(all.subarray(r * 2 * L + L, (r + 1) * 2 * L), r * L);
      }
      return to ?? { mean, logVar };
    });
  }

  /** Rows rebuilt from latent codes z (rows x latentDim): Float32Array of rows x inputDim, in input units. A conditional VAE needs `{ condition }`. An ensemble (the default when create() gets no layers) decodes with member 0 alone. */
  decode(z: Matrix, options?: { condition?: Matrix } & OutOption): Float32Array {
    const o = AutoencoderLite.opts('decode()', options, OUT_KEYS);
    return this.withCond('decode()', (k) => {
      const { ptr, rows } = this.put(k, z, this.latentDim, 'z');
      this.putCondition(k, o, rows, 'decode()');
      return this.decodeAt(k, ptr, rows, checkOut(k, 'decode()', o.out, rows * this.s.inputDim, `rows x inputDim (${rows} x ${this.s.inputDim})`));
    });
  }

  protected decodeAt(k: Kernel, ptr: number, rows: number, to?: Float32Array): Float32Array {
    const D = this.s.inputDim, out = k.alloc(rows * D * 4);
    infer(k, ptr, rows, k.plan!.latent + 1, k.plan!.layers.length - 1, out, FLAG_DENORM_OUT);
    return emit(k.f32(out, rows * D), to);
  }

  /**
   * `n` rows decoded from draws of the prior N(0, I) (seed default 0): Float32Array of n x inputDim.
   * A VAE only; a conditional VAE uses {@link Autoencoder.generate}.
   */
  sample(n: number, options?: { seed?: number }): Float32Array {
    this.needVae('sample()');
    if (this.s.conditionDim) throw new AutoencoderError('sample() on a conditional VAE is refused: use generate(condition, { seed }), which decodes prior draws for each condition row');
    const o = AutoencoderLite.opts('sample()', options, ['seed']);
    const rows = checkNumber('n', n, 1, 1 << 24, true);
    const seed = checkNumber('seed', o.seed ?? 0, 0, 0xffffffff, true);
    return this.io('sample()', (k) => {
      const z = k.alloc(rows * this.latentDim * 4);
      withSampling(k, seed, () => fillRandom(k, z, rows * this.latentDim, true));
      return this.decodeAt(k, z, rows);
    });
  }

  /** A conditional VAE's rows decoded from prior draws, one per row of `condition` (rows x conditionDim); seed default 0. */
  generate(condition: Matrix, options?: { seed?: number }): Float32Array {
    const K = this.s.conditionDim;
    if (!K) throw new AutoencoderError('generate() needs a conditional VAE (create with variational and conditionDim); a VAE uses sample(n)');
    const o = AutoencoderLite.opts('generate()', options, ['seed']);
    const seed = checkNumber('seed', o.seed ?? 0, 0, 0xffffffff, true);
    return this.withCond('generate()', (k) => {
      const { ptr, rows } = this.put(k, condition, K, 'condition');
      k.setCondition(ptr);
      const z = k.alloc(rows * this.latentDim * 4);
      withSampling(k, seed, () => fillRandom(k, z, rows * this.latentDim, true));
      return this.decodeAt(k, z, rows);
    });
  }

  /** decode(encode(x)) in one pass: Float32Array of rows x inputDim, in input units. A conditional VAE needs `{ condition }`. An ensemble (the default when create() gets no layers) reconstructs with member 0 alone: score() uses every member, so score() is not the error of this reconstruction. */
  reconstruct(x: Matrix, options?: { condition?: Matrix } & OutOption): Float32Array {
    return this.rowsOut('reconstruct()', x, options, OUT_KEYS, (k, ptr, rows, out) => infer(k, ptr, rows, 0, k.plan!.layers.length - 1, out, FLAG_NORM_IN | FLAG_DENORM_OUT));
  }

  /**
   * Each row's score split over its features: Float32Array of rows x inputDim, so that the features a row's
   * anomaly comes from stand out. One autoencoder (a VAE by its reconstruction): feature j's element loss
   * over inputDim, in normalized units ((y_j - x_j)^2 with loss 'mse', |y_j - x_j| with 'mae', the BCE term with
   * 'bce'), so a row's shares sum to its score() by reconstruction (but for float32 rounding). An ensemble (the
   * default model): the sum over its members of (e_j^2 / v_j − median) / (inputDim · IQR), each member's recM
   * term split over the features, so a row's shares sum to its score() less the latent density term, which
   * belongs to no feature (a feature at its typical error has a share near 0, or below).
   * A VAE also explains `{ by: 'elbo', samples, seed }`: feature j's negative log-likelihood in nats ((y_j - x_j)^2 / 2
   * + log(2π) / 2 with 'mse', the BCE term with 'bce'), averaged over the same draws as score() with those options
   * takes, so a row's shares sum to that score less its KL term, which belongs to the latent code. `{ by: 'kl' }`
   * is refused: that score is the KL term alone. A conditional VAE needs `{ condition }`.
   */
  explain(x: Matrix, options?: ScoreOptions & OutOption): Float32Array {
    const o = this.scoreOptions('explain()', options, SCORE_OUT_KEYS);
    if (o.by === 'kl') {
      throw new AutoencoderError("explain() by 'kl': that score is the latent code's KL term, which belongs to no input feature; explain by 'elbo' (its features' part of the negative ELBO) or by 'reconstruction'");
    }
    return this.rowsOut('explain()', x, options, SCORE_OUT_KEYS, (k, ptr, rows, out) => {
      if (o.by === 'elbo') withSampling(k, o.seed, () => elboRows(k, ptr, rows, k.plan!.latent, o.samples, out, true));
      else explainRows(k, ptr, rows, out, this.s.ensemble ? this.s.ensemble.members : 0, k.stats);
    });
  }

  /** A read from rows x inputDim to rows x inputDim (reconstruct, explain): the rows and a conditional VAE's condition staged, `run` fills `out`. */
  private rowsOut(call: string, x: Matrix, options: ({ condition?: Matrix } & OutOption) | undefined, keys: readonly string[], run: (k: Kernel, ptr: number, rows: number, out: number) => void): Float32Array {
    const o = AutoencoderLite.opts(call, options, keys);
    return this.withCond(call, (k) => {
      const D = this.s.inputDim;
      const { ptr, rows } = this.put(k, x, D, 'x');
      this.putCondition(k, o, rows, call);
      const to = checkOut(k, call, o.out, rows * D, `rows x inputDim (${rows} x ${D})`);
      const out = k.alloc(rows * D * 4);
      run(k, ptr, rows, out);
      return emit(k.f32(out, rows * D), to);
    });
  }

  /** Checks score options; `dflt` is what `by` means when omitted. */
  protected scoreOptions(call: string, options: ScoreOptions | undefined, keys: readonly string[] = SCORE_KEYS): { by: ScoreBy; samples: number; seed: number; condition?: Matrix } {
    if (options === undefined) return DEFAULT_SCORE;   // (no allocation on the plain path)
    const dflt = DEFAULT_SCORE;
    const o = AutoencoderLite.opts(call, options, keys);
    const by = checkName('by', o.by ?? dflt.by, ['reconstruction', 'kl', 'elbo'] as const);
    if (by !== 'reconstruction') this.needVae(`${call} by '${by}'`);
    if (by !== 'elbo' && (o.samples !== undefined || o.seed !== undefined)) throw new AutoencoderError(`${call}: samples and seed go with by: 'elbo' (the other scores draw nothing)`);
    const same = o.by === undefined;
    return {
      by, condition: o.condition,
      samples: checkNumber('samples', o.samples ?? (same ? dflt.samples : 1), 1, 1e4, true),
      seed: checkNumber('seed', o.seed ?? (same ? dflt.seed : 0), 0, 0xffffffff, true),
    };
  }

  /** Stages the rows to score (and a conditional VAE's condition): where they are, how many. */
  protected scoreInput(k: Kernel, x: Matrix, o: { by: ScoreBy; condition?: Matrix }, call: string): { ptr: number; rows: number } {
    const staged = this.put(k, x, this.s.inputDim, 'x');
    this.putCondition(k, o, staged.rows, call);
    return staged;
  }

  /** One score per staged row (scoreInput), by `o.by`: where the scores are. */
  protected scoreAt(k: Kernel, ptr: number, rows: number, o: { by: ScoreBy; samples: number; seed: number }): number {
    const out = k.alloc(rows * 4);
    if (o.by === 'reconstruction') {
      if (this.s.ensemble) ensembleScore(k, ptr, rows, out, this.s.ensemble.members, k.stats, k.dens);
      else scoreRows(k, ptr, rows, out);
    }
    else if (o.by === 'kl') {
      const L = this.latentDim, h = k.alloc(rows * 2 * L * 4);
      infer(k, ptr, rows, 0, k.plan!.latent - 1, h, FLAG_NORM_IN);
      klRows(k, h, rows, L, out);
    } else {
      withSampling(k, o.seed, () => elboRows(k, ptr, rows, k.plan!.latent, o.samples, out));
    }
    return out;
  }

  /**
   * One score per row. By default the reconstruction error: the loss's mean over the row, in normalized
   * units (a VAE: of decode(mean), deterministic). A VAE also scores `{ by: 'kl' }` (KL of the posterior
   * from the prior, nats) or `{ by: 'elbo', samples, seed }` (negative ELBO in nats averaged over
   * `samples` draws, default 1, seed default 0; the same draws for every row, so a row scores the same alone or in
   * any batch). A conditional VAE needs `{ condition }`. An ensemble
   * (spec `ensemble`): the sum over its members of (recM − median) / IQR, recM the mean over features of
   * e_j² / v_j (v_j: the member's median e_j² on the training rows / 0.455), median and IQR of recM on
   * those rows; about 0 for a typical training row, larger for rows unlike them.
   */
  score(x: Matrix, options?: ScoreOptions & OutOption): Float32Array {
    const o = this.scoreOptions('score()', options, SCORE_OUT_KEYS);
    return this.withCond('score()', (k) => {
      const { ptr, rows } = this.scoreInput(k, x, o, 'score()');
      const to = checkOut(k, 'score()', options?.out, rows, `one per row (${rows})`);
      return emit(k.f32(this.scoreAt(k, ptr, rows, o), rows), to);
    });
  }

  /**
   * Sets the anomaly threshold from the scores of `x` (rows you consider normal) and returns it:
   * a quantile of the scores (default 0.99), 1 - contamination, or their maximum. `by` (and for
   * 'elbo' `samples`, `seed`) choose the score, stored with the threshold (and in the model file)
   * for detect().
   */
  calibrate(x: Matrix, options: CalibrateOptions = { quantile: 0.99 }): number {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new AutoencoderError(`calibrate() options must be { quantile }, { contamination } or { max: true }, got ${describe(options)}`);
    }
    checkKeys('calibrate()', options, ['quantile', 'contamination', 'max', 'by', 'samples', 'seed', 'condition']);
    const keys = Object.keys(options).filter((key) => ['quantile', 'contamination', 'max'].includes(key));
    if (keys.length > 1) throw new AutoencoderError(`calibrate() takes one of quantile, contamination or max (none: quantile 0.99), got ${keys.join(' and ')}`);
    const sel = options as { quantile?: number; contamination?: number; max?: unknown };
    let q: number;
    if (keys.length === 0) q = 0.99;
    else if ('quantile' in sel) q = checkNumber('quantile', sel.quantile, 0, 1);
    else if ('contamination' in sel) q = 1 - checkNumber('contamination', sel.contamination, 0, 1);
    else if (sel.max === true) q = 1;
    else throw new AutoencoderError(`calibrate({ max }) takes max: true, got ${describe(sel.max)}`);
    const so = { by: options.by, samples: options.samples, seed: options.seed, condition: options.condition };
    for (const key of ['by', 'samples', 'seed', 'condition'] as const) if (so[key] === undefined) delete so[key];
    const o = this.scoreOptions('calibrate()', so);
    const t = this.withCond('calibrate()', (k) => {
      const { ptr, rows } = this.scoreInput(k, x, o, 'calibrate()');
      return quantileOf(k, this.scoreAt(k, ptr, rows, o), rows, q);
    });
    if (!Number.isFinite(t)) {
      // (a normalized model's Infinity scores come from rows far outside the training rows: normalizing is no remedy)
      throw new AutoencoderError(`calibrate(): the threshold would be ${describe(t)} (a${o.by === 'reconstruction' ? ' reconstruction error' : `n ${o.by} score`} overflows float32): ${this.s.normalize === 'none'
        ? "normalize the inputs (normalize: 'standard') or scale them down"
        : `rows of x far outside the training rows score Infinity, and ${q === 1 ? 'the maximum' : `the ${q} quantile`} is among them: leave them out, or pass a larger { contamination }`}; the threshold is unchanged`);
    }
    this.thr = t;
    this.scoreBy = { by: o.by, samples: o.samples, seed: o.seed };
    return t;
  }

  /**
   * What calibrate() stored: the score the threshold applies to, as score()'s options: `{ by: 'reconstruction' }` until a
   * VAE calibrates by 'kl' (`{ by: 'kl' }`) or 'elbo' (`{ by: 'elbo', samples, seed }`). So `score(x, ae.thresholdBy)`
   * gives the scores detect() compares with the threshold (a conditional VAE adds its `condition`).
   */
  get thresholdBy(): { by: ScoreBy; samples?: number; seed?: number } {
    const b = this.scoreBy;
    return b.by === 'elbo' ? { ...b } : { by: b.by };
  }

  /** 0/1 per row: 1 where the score calibrate() chose is above the threshold. A conditional VAE needs `{ condition }`. `{ out }`: a Uint8Array of one byte per row to write the flags into (as {@link OutOption}). */
  detect(x: Matrix, options?: { condition?: Matrix; out?: Uint8Array }): Uint8Array {
    const thr = this.thr;
    this.live();
    const c = AutoencoderLite.opts('detect()', options, OUT_KEYS);
    if (thr === null) throw new AutoencoderError('no threshold yet: call calibrate(normalRows) first, or set model.threshold');
    const o = c.condition === undefined ? this.scoreBy : { ...this.scoreBy, condition: c.condition };
    return this.withCond('detect()', (k) => {
      const { ptr, rows } = this.scoreInput(k, x, o, 'detect()');
      const to = checkOut(k, 'detect()', c.out, rows, `one per row (${rows})`, Uint8Array);
      const flags = k.alloc(rows);
      flagAbove(k, this.scoreAt(k, ptr, rows, o), rows, thr, flags);
      return emit(k.u8(flags, rows), to);
    });
  }

  /**
   * Keeps a loaded file's codec tables (base64), or says why not. This class has no codec: it keeps
   * them as they are, for save() to write back; Autoencoder, which compresses with them, checks them
   * first (so a bundle that only scores leaves their parser out).
   */
  protected takeCodebook(k: Kernel, text: string): string | null {
    const cb = fromBase64(text);
    if (cb === null) return 'its codec tables are not base64';
    this.codebook = cb;
    return null;
  }

  /** Where each weight array lives, in getWeights() order, and how messages name it. */
  protected weightSlots(k: Kernel): { params: boolean; off: number; len: number; name: string; shape: string }[] {
    const slots: { params: boolean; off: number; len: number; name: string; shape: string }[] = [];
    let off = 0, st = 0;
    k.plan!.layers.forEach((l, i) => {
      const z = layerSizes(l);
      const ic = l.ic ?? l.in, oc = l.oc ?? l.out, kh = l.kh ?? 1, kw = l.kw ?? 1;
      if (z.state) {
        slots.push({ params: true, off, len: z.w, name: `layer ${i + 1} gamma`, shape: '' });
        slots.push({ params: true, off: off + z.w, len: z.b, name: `layer ${i + 1} beta`, shape: '' });
        slots.push({ params: false, off: st, len: z.state / 2, name: `layer ${i + 1} moving mean`, shape: '' });
        slots.push({ params: false, off: st + z.state / 2, len: z.state / 2, name: `layer ${i + 1} moving variance`, shape: '' });
        st += z.state;
      } else if (z.w) {
        const dense = l.op === undefined || l.kh === undefined;
        const oneD = (l.ih ?? 1) === 1 && (l.oh ?? 1) === 1 && kh === 1;
        const k = oneD ? `[${kw}]` : `[${kh}][${kw}]`, kn = oneD ? '[k]' : '[kh][kw]';
        const shape = dense ? ` (${ic} x ${oc}, [in][out])` : l.op === 3 ? ` (${k}[${oc}][${ic}], ${kn}[out][in])` : ` (${k}[${ic}][${oc}], ${kn}[in][out])`;
        slots.push({ params: true, off, len: z.w, name: `W${i + 1}`, shape });
        slots.push({ params: true, off: off + z.w, len: z.b, name: `b${i + 1}`, shape: '' });
      }
      off += z.w + z.b;
    });
    return slots;
  }

  /**
   * Copies of every weight array, layer by layer in Keras's order and layouts: dense W [in][out] then b;
   * conv kernel [kh][kw][in][out] (1-D: [k][in][out]) then bias; transposed conv kernel [kh][kw][out][in]
   * then bias; batchNorm gamma, beta, moving mean, moving variance. An ensemble (the default when create()
   * gets no layers): member 0's (the other members and the statistics are in save()'s file only).
   */
  getWeights(): Float32Array[] {
    const k = this.live();
    const params = k.paramsView(), state = k.stateView();
    return this.weightSlots(k).map((s) => (s.params ? params : state).slice(s.off, s.off + s.len));
  }

  /**
   * The second half of the value rule: finite weights whose products overflow float32 (a file edited
   * to hold 1e30, say) make scores Infinity on ordinary rows. Every row within +-8 in normalized units,
   * what the model sees of its own data and more, must provably reconstruct with finite values and error
   * and (an ensemble) score finite with its statistics and density codes: bounds from the values' sizes,
   * in wasm (assembly/bound.ts).
   */
  protected overflowBound(k: Kernel): string | null {
    const K = this.s.ensemble ? this.s.ensemble.members : 1;
    const b = valueBound(k, K);
    if (!b) return null;
    const n = k.plan!.layers.length, v = b.value > 3.4e38 ? 'beyond 3.4e38' : describe(b.value);
    const where = b.member === K ? 'the ensemble\'s score' : b.node === n ? 'the reconstruction error\'s sum' : `layer ${b.node + 1}'s values`;
    const whose = b.member === K ? 'its members\' statistics or density codes overflow' : K > 1 ? `member ${b.member}'s weights overflow` : 'its weights overflow';
    return `${whose} float32: on rows within +-${BOUND_BOX} in normalized units ${where} could reach ${v} (bounded from the values' sizes; a trained model's stay orders of magnitude under float32's 3.4e38)`;
  }

  /**
   * THE rule for the values a model holds, one place for every way in: load() and setWeights() refuse,
   * and fit() treats as divergence, any model in which
   * - a weight, bias, batchNorm gamma/beta or moving statistic is not a finite float32,
   * - a batchNorm moving variance is below 0,
   * - a normalizer shift is not finite, or a normalizer scale is not a normal positive float32
   *   (at least 2^-126 = 1.1754944e-38, so that 1/scale is finite).
   * Checks (in wasm) the params at `params` and the state at `state` laid out as the model's blocks,
   * and the model's normalizer when `norm`; returns what breaks the rule, or null.
   */
  protected invalidValue(k: Kernel, params: number, state: number, norm: boolean): string | null {
    const slots = this.weightSlots(k);
    const at = (ptr: number, i: number) => describe(k.f32(ptr + i * 4, 1)[0]);
    const named = (isParams: boolean, i: number) => {
      const n = slots.findIndex((sl) => sl.params === isParams && i >= sl.off && i < sl.off + sl.len);
      // (an ensemble member's params are padded to 4 floats: a value there belongs to no weight)
      if (n < 0) return `the padding after the ${isParams ? 'weights' : 'state'} (float ${i})`;
      return `${slots[n]!.name} (getWeights()[${n}]) value ${i - slots[n]!.off}`;
    };
    // (an ensemble: every member's params, and its statistics after the state)
    let bad = k.nParams > 0 ? findNonfinite(k, params, k.fileParams) : -1;
    if (bad >= 0) return `${bad < k.nPadded ? '' : `member ${Math.floor(bad / k.nPadded)}: `}${named(true, bad % k.nPadded)} is ${at(params, bad)}: weights must be finite float32 numbers`;
    bad = k.fileState > 0 ? findNonfinite(k, state, k.fileState) : -1;
    if (bad >= 0) return `${bad < k.nState ? named(false, bad) : `ensemble statistic ${bad - k.nState}`} is ${at(state, bad)}: moving statistics must be finite float32 numbers`;
    for (const sl of slots) {
      if (sl.params || !sl.name.endsWith('moving variance')) continue;
      bad = findBelow(k, state + sl.off * 4, sl.len, 0);
      if (bad >= 0) return `${named(false, sl.off + bad)} is ${at(state, sl.off + bad)}: a moving variance must be >= 0`;
    }
    const ens = this.s.ensemble;
    if (ens) {
      // each member's feature scales and IQR (what its scores divide by) > 0, as fit() makes them; the density block's
      // R (codes) an integer up to ens.density, each code the latent width (R = 0: no term), c >= 0
      const D = this.s.inputDim;
      for (let m = 0; m < ens.members * (D + 2); m += D + 2) {
        bad = findBelow(k, k.stats + m * 4, D, 1e-45);
        if (bad < 0 && findBelow(k, k.stats + (m + D + 1) * 4, 1, 1e-45) === 0) bad = D + 1;
        if (bad >= 0) return `ensemble statistic ${m + bad} is ${at(k.stats, m + bad)}: a scale must be > 0`;
      }
      const [R, , c, L] = k.nDens ? k.f32(k.dens, 4) : [0, 0, 0, 0];
      if (!(Number.isInteger(R) && R! >= 0 && R! <= (ens.density ?? 0) && (R === 0 || L === this.latentDim) && c! >= 0)) return 'its density block is malformed';
    }
    if (norm) {
      const D = this.s.inputDim;
      bad = findNonfinite(k, k.normA, D);
      if (bad >= 0) return `normalizer shift ${bad} is ${at(k.normA, bad)}: it must be a finite float32 number`;
      bad = findBelow(k, k.normB, D, F32_MIN_NORMAL);
      if (bad >= 0) return `normalizer scale ${bad} is ${at(k.normB, bad)}: it must be a normal positive float32 (at least 2^-126 = 1.1754944e-38, so that 1/scale is finite)`;
    }
    return null;
  }

  /**
   * The whole model (spec, normalizer, threshold, metadata, weights) as bytes; same state, same bytes.
   * The file is built in a JS Uint8Array straight from the model's memory (no copy inside wasm memory,
   * which does not grow), its CRC-32 computed in wasm region by region.
   * @throws AutoencoderError when the runtime cannot allocate the file's bytes.
   */
  save(): Uint8Array {
    const k = this.live();
    const D = this.s.inputDim;
    const normFloats = this.s.normalize === 'none' ? 0 : 2 * D;
    const scoreBy = this.scoreBy.by === 'reconstruction' ? null : { by: this.scoreBy.by, samples: this.scoreBy.samples, seed: this.scoreBy.seed };
    // (a sharded model's count when not the default: a load() goes on training in it, bit for bit; k.shards is the
    // default for any other model, Autoencoder.create and load)
    const shards = k.shards !== SH.SHARDS ? k.shards : null;
    const json = headerJson({ spec: this.s, threshold: this.thr, normalizerFitted: this.normFitted, params: k.fileParams, state: k.fileState, metadata: this.meta, scoreBy, codec: this.codebook && toBase64(this.codebook), shards });
    const total = fileBytes(json.length, normFloats + k.fileParams + k.fileState);
    let out: Uint8Array;
    try {
      out = new Uint8Array(total);
    } catch (e) {
      throw new AutoencoderError(`save(): the model file needs ${mib(total)}, which this runtime could not allocate as one Uint8Array (${(e as Error).message}); browsers allow about ${mib(FILE_MAX_BYTES)}`);
    }
    writeHeader(out, ABI_VERSION, json);
    const head = total - 4 - (normFloats + k.fileParams + k.fileState) * 4;
    const regions = fileRegions(k, this.s, k.fileState);
    let at = head;
    for (const [ptr, n] of regions) {
      out.set(k.u8(ptr, n * 4), at);
      at += n * 4;
    }
    new DataView(out.buffer).setUint32(total - 4, fileCrc(k, out.subarray(0, head), regions), true);
    return out;
  }

  /**
   * Drops the model's wasm instance; every later method call throws (and reading metadata or paramCount; spec,
   * threshold, thresholdBy and the shape properties still answer). Safe to call twice. A single-threaded
   * model's instance of at most 4 MiB of memory is wiped (its memory as instantiated) and kept for the next
   * model created or loaded, which then skips instantiating and mapping fresh pages (the 8 latest such, 16 MiB
   * in all); any other instance's memory is released when the garbage collector next runs (a model dropped
   * without dispose() is freed then too).
   */
  dispose(): void {
    if (this.k === null) return;
    this.k.pool?.close();
    // (not while fit() runs: it holds the kernel across its awaits, and stops at the next epoch)
    if (!this.fitting) retireKernel(this.k);
    this.k = null;
    liveModels--;
    collected?.unregister(this);
  }
}
/** A dense or convolutional autoencoder (and the family: denoising, sparse, contractive, VAE, CVAE)
 *  whose training and inference run in SIMD WebAssembly: {@link AutoencoderLite} plus create(), fit(),
 *  setWeights() and the codec (compress, decompress, their streams, fitCodec). */
/**
 * Seeds every stream from the spec's seed and draws the initial weights (Glorot uniform, zero biases);
 * an ensemble's members 1.. from the init stream after member 0, statistics 1 (v, median, IQR) until fit().
 */
function initWeights(k: Kernel, s: ResolvedSpec): void {
  seedStreams(k, s.seed);
  initParams(k);
  if (s.ensemble) {
    for (let m = 1; m < s.ensemble.members; m++) {
      k.setI32(k.ctx + C.PARAMS, k.params + m * k.nPadded * 4);
      initParams(k);
    }
    k.setI32(k.ctx + C.PARAMS, k.params);
    k.f32(k.stats, k.nStats).fill(1);
    if (k.nDens) k.f32(k.dens, 4).fill(0);   // no density term until fit()
  }
}

/**
 * The create/load option `shards` (Autoencoder's: AutoencoderLite never trains, so it only checks the value): a conv
 * model's data-parallel shards of each training batch, undefined when absent (create: SH.SHARDS; load: the file's).
 */
function shardsOf(opts: CreateOptions | undefined): number | undefined {
  checkOptions(opts);
  return opts?.shards;
}

export class Autoencoder extends AutoencoderLite {
  /** Set by fit() while the host has its turn in the middle of an epoch: puts the last completed epoch's model in place for a call. */
  private midEpoch: (() => void) | null = null;
  /** A training row's ms in fit()'s last call into wasm that the clock could time (0: none yet), to size the next fit's calls. */
  private rowMs = 0;

  protected override live(): Kernel {
    const k = super.live();
    this.midEpoch?.();
    return k;
  }

  /**
   * Builds a model with freshly initialised weights (Glorot uniform, zero biases, from `seed`).
   *
   * With no architecture (no `layers`, `encoder`, `decoder` or `inputShape`; loss 'mse'; no `variational`,
   * `conditionDim`, `sparsity` or `contractive`) the model is the subsample ensemble: 16 autoencoders of the
   * default layers, each fitted on its own 512 random training rows, then refitted without the 20% of rows
   * they score highest (`ensemble.clean`), scored together (spec `ensemble`;
   * README "Anomaly detection quality"). It is the better anomaly scorer when the training rows may hold
   * anomalies; encode, decode, reconstruct and getWeights act on member 0. `ensemble: false` builds one
   * autoencoder instead (validationSplit, earlyStopping and fit targets need it); a spec that gives `layers`
   * or a graph builds one autoencoder unless it gives `ensemble`.
   * @throws AutoencoderError on an invalid spec (unknown names list the valid ones), or a model too
   * large to train in a wasm32 memory (4 GiB) or to save as one file (2 GiB, browsers' typed-array limit).
   */
  static async create(spec: AutoencoderSpec, opts?: CreateOptions): Promise<Autoencoder> {
    const s = resolveSpec(withDefaultEnsemble(spec));
    const plan = buildPlan(s);
    const { params, state } = planCounts(plan);
    const normFloats = s.normalize === 'none' ? 0 : 2 * s.inputDim;
    const file = fileBytes(headerJson({ spec: s, threshold: null, normalizerFitted: true, params, state, metadata: null }).length, normFloats + params + state);
    const shards = shardsOf(opts) ?? SH.SHARDS;
    const k = await newKernel(opts);
    if (shardable(plan)) k.shards = shards;
    const need = k.need(plan, true, 256) + shardBytes(plan, k);
    if (need > WASM_MAX_BYTES || file > FILE_MAX_BYTES) {
      k.pool?.close();   // (the workers newKernel started: left blocked in their wait, each would hold a thread for good)
      throw new AutoencoderError(`this model is too large: ${params} parameters need ${mib(need)} of wasm memory to train (weights, gradients, two optimizer moments, two snapshots and activations for 256 rows; a wasm32 memory holds at most ${mib(WASM_MAX_BYTES)}) and a ${mib(file)} model file (at most ${mib(FILE_MAX_BYTES)}, the largest typed array browsers allow): use smaller layers (or fewer filters / a smaller input)`);
    }
    const ae = new Autoencoder(k, s, plan);
    try {
      planTraining(k);
      initWeights(k, s);
    } catch (e) {
      ae.dispose();
      throw trapped(e, null, 'create()', 'no model was made');
    }
    return ae;
  }

  /**
   * Trains on the rows of `x` (rows x inputDim) and returns the loss history.
   * The first fit also fits the normalizer (on the training rows). After every epoch every weight and
   * batchNorm statistic is checked: a non-finite one (or a non-finite loss) is divergence. If training
   * diverges, the callback throws, `signal` is aborted (fit() then rejects with its reason) or the model is disposed
   * meanwhile, the model is put back as it was: weights, normalizer and random streams.
   *
   * An ensemble (spec `ensemble`, the default when create() gets no layers) trains each member for `epochs`
   * (default 50) on its own `rows` random training rows, then takes each member's statistics on up to 4,096
   * training rows; validationSplit, earlyStopping and target are refused with an error that says to create
   * the model with `ensemble: false`. batchSize, learningRate, optimizer, weightDecay, noise and onEpoch
   * apply to every member. history.loss is the members' mean loss. With `ensemble.clean` > 0 (the default
   * 0.2) training runs twice: after the first pass the rows the ensemble scores above its (1 - clean)
   * quantile are dropped and the members restart from their initial weights on the rest; onEpoch sees both
   * passes (epochs 1..epochs, twice; false in the first pass ends the fit with the first pass's model), and
   * the returned history is the second pass's. The cleaning pass keeps a second copy of x in wasm memory.
   * With threads, an epoch's members train on the threads at once, and their statistics and scores are split
   * among them: the same bytes.
   *
   * fit() gives the host its turn after a call into wasm once 25 ms have passed since its last (so about every
   * 50 ms): between epochs and inside one, whose batches (an ensemble's members) run in calls of about 50 ms (the same bits as one call), between the calls of an
   * ensemble's statistics (in parts: rows, features) and of its scores of the training rows after a pass, and of its
   * density term (the references' codes, the statistic rows' terms), and in its setup (the blocks it is
   * about to write are zeroed first in pieces of 2 MiB: a first fit's fresh memory). While fit() runs (in such a
   * turn or an async `onEpoch`), calls that read the model (score, encode, decode, reconstruct, detect,
   * calibrate, getWeights, save) see the model of the last completed epoch as onEpoch saw it (inside the
   * first epoch, the model before fit()), exactly a model trained with `epochs` set to that epoch (a file saved
   * then loads; an ensemble's members so far, with the statistics it had as the pass began); setting
   * threshold or metadata is allowed; calls that change the weights (setWeights, another fit) throw
   * "fit() is running". dispose() ends the fit with an error.
   * @throws AutoencoderError on bad shapes, NaN/Infinity, bad options, divergence, or while fit() runs.
   */
  async fit(x: Matrix, options: FitOptions = {}): Promise<History> {
    const k0 = this.live();
    if (this.fitting) throw fitRunning('fit()', 'await the running fit() before calling fit() again');
    const o = resolveFit(options);
    const D = this.s.inputDim;
    const ens = this.s.ensemble;
    // a divergence's error, with its remedies (normalizing only for a model that does not)
    const diverged = (what: string) => new AutoencoderError(`training diverged ${what}: lower learningRate (now ${o.learningRate})${this.s.normalize === 'none' ? " or normalize the inputs (normalize: 'standard')" : ''}; the weights are as they were before fit()`);
    if (ens) {
      // every member trains on its own subsample for `epochs` (default 50): no validation rows, no early stop
      // (shuffle: false too: each member draws its rows, and their order, from its own stream)
      const bad = options.validationSplit ? 'validationSplit' : options.earlyStopping ? 'earlyStopping' : options.target !== undefined ? 'target' : options.shuffle === false ? 'shuffle: false' : null;
      if (bad) throw new AutoencoderError(`fit(): this model is an ensemble (the default when create() gets no layers): each member trains for \`epochs\` on its own random rows, without ${bad}; leave ${bad} out, or create the model with \`ensemble: false\` for one autoencoder that takes it`);
      if (options.epochs === undefined) o.epochs = 50;
      o.validationSplit = 0;
      o.early = null;
    }
    // (the options checked, an aborted signal is looked at before the data, as fetch() does)
    checkAborted(o.signal);
    if (!k0.ioBusy) {
      planTraining(k0);
      // (an ensemble on lanes, one per thread, takes a batch on each: wasm.ts syncLanes)
      k0.setCapacity(Math.max(256, o.batchSize * laneCount(k0)));
      syncShards(k0);
      syncLanes(k0);
    } else if (!k0.training || o.batchSize * laneCount(k0) > k0.cap) {
      throw new AutoencoderError('fit() cannot start while another call holds this model\'s memory: await that call first');
    }
    const k = k0;
    const mark = k.mark();
    const [normA, normB] = k.normalizer();
    const putNormalizer = (n: Float32Array[]) => { k.f32(k.normA, D).set(n[0]!); k.f32(k.normB, D).set(n[1]!); };
    const normFitted = this.normFitted;
    // (the random streams too: after a failed fit the next one draws what it would have drawn without it)
    const streams = k.u8(k.ctx + C.RNG, RNG.streams * 16).slice();
    this.fitting = true;
    // (snapped: the model before fit() is in k.snapStart, for a failure to restore)
    let committed = false, snapped = false;
    try {
      // (an epoch in more than one call keeps the model a pause shows, `done`, and the weights it moves aside, `cut`;
      // the first pass's normalizer, if the second refits it)
      let done = 0, cut = 0, firstNorm: Float32Array[] | null = null, cp = 0;
      // (unclocked: the multiply-adds of the calls since the host's last turn that the clock could not time; macs: about a
      // training row's, its forward pass and the backward pass's two products)
      let lastYield = now(), unclocked = 0;
      const macs = 3 * rowMacs(k.plan!), turnDue = () => now() - lastYield > TURN_MS || unclocked >= TURN_WORK;
      // (the units of `work` multiply-adds each that a call timed by no clock may grow to: TURN_WORK's worth or just past it,
      // so that the host's turn follows each such call; a multiple of mult)
      const unclockedUnits = (work: number, mult: number) => Math.ceil(Math.ceil(TURN_WORK / work) / mult) * mult;
      // (u units rounded down to a multiple of mult, at least `least`)
      const wholeUnits = (u: number, mult: number, least: number) => Math.max(least, u - (u % mult));
      // (last: the model to show, or 0 for the one in place; shown: the normalizer to show with it and whether it counts as
      // fitted, when not the one in place)
      const pause = async (last: number, shown: [Float32Array[], boolean] | null) => {
        let moved = false, norm: Float32Array[] = [], fitted = this.normFitted;
        this.midEpoch = () => {
          if (moved) return;
          moved = true;
          if (last) {
            // (live() runs before a call takes its own memory, so the block outlives the call)
            cut ||= k.alloc(k.nModel * 4);
            copyParams(k, cut, k.params);
            copyParams(k, k.params, last);
          }
          if (!shown) return;
          norm = k.normalizer();
          fitted = this.normFitted;
          putNormalizer(shown[0]);
          this.normFitted = shown[1];
        };
        try {
          await yieldToHost();
        } finally {
          this.midEpoch = null;
          if (moved) {
            if (last) copyParams(k, k.params, cut);
            if (norm.length) putNormalizer(norm);
            this.normFitted = fitted;
          }
        }
        lastYield = now();
        unclocked = 0;
        if (this.k !== k) throw new AutoencoderError('the model was disposed during fit()');
        checkAborted(o.signal);
        k.setCondition(cp);
      };
      // Runs units 0..units-1 (an epoch's batches or an ensemble's members; an ensemble's members' statistics or rows to
      // score after a pass) by run(from, to) in calls of whole units, `size` of them first; then as many as take about
      // SLICE_MS by the last call the clock could time (timed() gets its ms per unit), or, where it could not, 8x the last
      // call's, at most about TURN_WORK multiply-adds (`work` a unit, counted toward the host's next turn); a multiple of
      // `mult`, at least `least`. Between calls the host has its turn when due, in which the model `last` shows (with the
      // normalizer `shown`: pause). Returns the next call's size and the ms the turns took.
      const inCalls = async (units: number, size: number, mult: number, least: number, work: number, run: (from: number, to: number) => void,
        last: number, shown: [Float32Array[], boolean] | null, timed?: (msPerUnit: number) => void) => {
        let paused = 0;
        for (let from = 0; from < units;) {
          const to = Math.min(units, from + size), s0 = now();
          run(from, to);
          const took = now() - s0;
          if (took >= 1) {
            timed?.(took / (to - from));
            size = wholeUnits(Math.min(2 ** 20, Math.floor((SLICE_MS * (to - from)) / took)), mult, least);
          } else {
            unclocked += (to - from) * work;
            size = Math.min((to - from) * 8, unclockedUnits(work, mult));
          }
          from = to;
          if (from < units && turnDue()) {
            const p0 = now();
            await pause(last, shown);
            paused += now() - p0;
          }
        }
        return { size, paused };
      };
      // (the host's turn when due between runs of calls, in which the model `done` shows: an ensemble's statistics and
      // density term after a pass, whose parts may each be one call)
      const between = async () => { if (turnDue()) await pause(done, null); };
      // Fresh memory pages cost this VM about 13 µs each on first touch (2-3 µs in other phases): a first fit's blocks, tens
      // of MB at D=784, held the host up to 250 ms before the first epoch's first call. So a block fit() is about to write
      // whole, or uses as scratch, is zeroed first in pieces of WARM_PIECE bytes (about 6 ms fresh, 0.1 ms touched before),
      // the host having its turn between them when due, in which the model `last` shows (pause).
      const warm = async (ptr: number, bytes: number, last: number, shown: [Float32Array[], boolean] | null) => {
        k.oom = 'data';
        k.ensure(ptr + bytes);
        for (let a = ptr, end = ptr + bytes; a < end; a += WARM_PIECE) {
          k.u8(a, Math.min(WARM_PIECE, end - a)).fill(0);
          if (a + WARM_PIECE < end && turnDue()) await pause(last, shown);
        }
      };
      // (`done`, allocated and warmed when first needed: in an epoch after the first, or as an ensemble's pass ends, where the
      // model in place is the one to show)
      const doneBlock = async () => {
        if (!done) await warm(done = k.alloc(k.nModel * 4), k.nModel * 4, 0, null);
        return done;
      };
      await warm(k.snapStart, k.nModel * 4, 0, null);
      copyParams(k, k.snapStart, k.params);
      snapped = true;
      if (k.nDens) k.f32(k.dens, 1)[0] = 0;   // the density term is rebuilt at the end (a failed fit restores it)
      // (what the host's turns show until the first epoch: the model before fit(), its normalizer too)
      const before: [Float32Array[], boolean] = [[normA, normB], normFitted];
      // (x, target or condition rows put at the top of the I/O stack, which is warmed first)
      // (last, shown: what the warm's turns show, as pause takes them: here the model before fit())
      const putWarm = async (m: Matrix, cols: number, what: string, last = k.snapStart, shown: [Float32Array[], boolean] | null = before) => {
        const rows = rowsOf(m, cols, what);
        await warm(k.mark(), rows * cols * 4, last, shown);
        // (a typed array checked again after the warm's turns, O(1): one transferred or resized meanwhile is refused, not
        // read; a number[][], whose check scans every value, cannot be transferred)
        if (ArrayBuffer.isView(m) && rowsOf(m, cols, what) !== rows) throw new AutoencoderError(`${what} changed size while fit() was reading it: keep it unchanged until fit() settles`);
        return { ptr: putRows(k, m, rows, cols, what), rows };
      };
      const { ptr: xp, rows: n } = await putWarm(x, D, 'x');
      // (the rows in input units, for the cleaning pass: a copy of x's block, taken inside wasm memory before x is normalized,
      // not x checked and marshalled again)
      let xr = 0;
      if (ens && ens.clean > 0) {
        await warm(xr = k.alloc(n * D * 4), n * D * 4, k.snapStart, before);
        k.u8(0, k.memoryBytes).copyWithin(xr, xp, xp + n * D * 4);
      }
      let tp = xp;
      if (o.target !== undefined) {
        const t = await putWarm(o.target, D, 'target');
        if (t.rows !== n) throw new AutoencoderError(`target has ${t.rows} rows but x has ${n}: pass one target row per input row`);
        tp = t.ptr;
      }
      const K = this.s.conditionDim ?? 0;
      if (K) {
        if (o.condition === undefined) throw new AutoencoderError(`this conditional VAE needs fit(x, { condition }): rows x ${K} condition values, one row per row of x`);
        const c = await putWarm(o.condition, K, 'condition');
        if (c.rows !== n) throw new AutoencoderError(`condition has ${c.rows} rows but x has ${n}: pass one condition row per input row`);
        cp = c.ptr;
      } else if (o.condition !== undefined) {
        throw new AutoencoderError('fit(): condition is for a conditional VAE (create with variational and conditionDim); this model takes none');
      }
      // (+1e-9: 100 rows at 0.8 are 20 and 80, though 100 (1 - 0.8) is 19.999999999999996 in doubles)
      const nTrain = o.validationSplit > 0 ? Math.floor(n * (1 - o.validationSplit) + 1e-9) : n;
      const nVal = n - nTrain;
      if (nTrain < 1) throw new AutoencoderError(`validationSplit ${o.validationSplit} of ${n} rows leaves no training rows: pass more rows or a smaller validationSplit`);
      if (o.validationSplit > 0 && nVal < 1) {
        throw new AutoencoderError(`validationSplit ${o.validationSplit} of ${n} rows leaves no validation rows: pass more rows or validationSplit: 0`);
      }
      const fitsNorm = !this.normFitted;
      if (this.s.normalize !== 'none') {
        if (!this.normFitted) {
          fitNormalizer(k, xp, nTrain);
          this.normFitted = true;
        }
        normalizeRows(k, xp, n);
        if (tp !== xp) normalizeRows(k, tp, n);
      }
      if (this.s.loss === 'bce') {
        // (the training rows: a validation row beyond 'minmax''s range is scored as score() scores it, loss.ts bce_elem)
        const bad = findOutside(k, tp, nTrain * D, 0, 1);
        if (bad >= 0) {
          throw new AutoencoderError(`loss 'bce' needs targets in [0, 1], but row ${Math.floor(bad / D)}, column ${bad % D} is ${k.f32(tp + bad * 4, 1)[0]}${this.s.normalize === 'none' ? '' : ' after normalization'}: ${this.s.normalize === 'minmax' ? `'minmax' scales by the range of ${fitsNorm ? "this fit's training rows" : 'the rows of the fit that fitted it'}, and this value lies beyond it: pass targets within that range, or use loss 'mse'` : "scale the data to [0, 1] (normalize: 'minmax') or use loss 'mse'"}`);
        }
      }
      // an ensemble with `clean` trains twice: pass 1 on every row; then the rows it scores above its
      // (1 - clean) quantile are dropped and pass 2 trains fresh members (the seed's initial weights, the
      // normalizer refitted if this fit fitted it) on the rest, exactly as a new model fitted on those rows
      const passes = ens && ens.clean > 0 ? 2 : 1;
      let xt = xp, nt = nTrain, history!: History, halted = false, cleanScores = 0;
      // (the ensemble's scores of n normalized rows at xn into out, in calls of rows)
      // (what the host's turns show from a pass's end on: `done`, the model onEpoch last saw, taken as the pass ended)
      const scoreRows = (xn: number, rows: number, out: number) =>
        inCalls(rows, 16, 1, 1, ens ? (ens.members * macs) / 3 : 0, (a, b) => ensembleScore(k, xn + a * D * 4, b - a, out + a * 4, ens!.members, k.stats, 0, true), done, null);
      for (let pass = 1; pass <= passes && !halted; pass++) {
        if (pass === 2) {
          // (from the first pass's statistics when they kept every row's recM)
          const scores = cleanScores || k.alloc(nTrain * 4);
          if (!cleanScores) await scoreRows(xp, nTrain, scores);
          nt = ensembleClean(k, xr, nTrain, 1 - ens!.clean, scores, k.alloc(nTrain * 4));
          xt = xr;
          initWeights(k, this.s);
          if (this.s.normalize !== 'none') {
            if (fitsNorm) fitNormalizer(k, xr, nt);
            normalizeRows(k, xr, nt);
          }
        }
        // an ensemble: each member's rows (perm i32[members][R]); its moments over every member's slice
        const R = ens ? Math.min(ens.rows, nt) : nt;
        const perm = k.alloc((ens ? ens.members * R : nt) * 4);
        if (ens) {
          const tmp = k.alloc(nt * 4);
          ensembleDraw(k, nt, R, ens.members, perm, tmp);
        } else identityPerm(k, perm, nt);
        setOptimizer(k, OPT_IDS[o.optimizer], o.learningRate, o.beta1, o.beta2, o.epsilon, o.weightDecay, o.momentum, o.noise);
        // salt-and-pepper sets values to each feature's training minimum or maximum (normalized, as x is now)
        let mn = 0, mx = 0;
        if (o.noiseKind === 'saltPepper' && o.noise > 0) {
          mn = k.alloc(D * 4);
          mx = k.alloc(D * 4);
          columnMinMax(k, xt, nt, D, mn, mx);
        }
        setNoise(k, NOISE[o.noiseKind], o.noiseClip[0], o.noiseClip[1], mn, mx);
        const names = this.termNames(k);
        const sumTerms = (v: number[]) => names.reduce((acc, nm, i) => { acc[nm] = (acc[nm] ?? 0) + v[i]!; return acc; }, {} as Record<string, number>);
        resetOptimizer(k);
        // (the members' moments, warmed in pass 1 while the host's turns show the model before fit(); in pass 2 the first
        // pass's last, with its normalizer if this pass refitted it)
        if (ens) for (const at of [C.M, C.V]) await warm(k.getI32(k.ctx + at), k.nBlock * 4, pass === 1 ? k.snapStart : done, pass === 1 ? before : firstNorm && [firstNorm, true]);
        // the lanes take the pass's hyperparameters (each member's epoch reads its step from the model's context)
        if (ens) syncLanes(k);
        if (o.early?.restoreBest) copyParams(k, k.snapBest, k.params);

        history = {
          loss: [], valLoss: [], epochs: 0, stoppedEarly: false, bestEpoch: 0,
          terms: Object.fromEntries(names.map((nm) => [nm, []])), valTerms: Object.fromEntries(names.map((nm) => [nm, []])),
        };
        let best = Infinity, wait = 0;
        // an epoch runs in calls of whole units (`slice` of them, sized to take about SLICE_MS), and the host has its
        // turn between them once TURN_MS have passed since its last: an abort, a timer or a browser's frame waits for
        // a call, not an epoch. A unit is a batch of rows, or an ensemble's member (its whole epoch on its R rows;
        // with threads, as many members as lanes at least). The calls of an epoch give the bits of one call (train.ts
        // train_rows, ensemble.ts ens_epoch); after a pause the condition rows are pointed at again (a conditional
        // VAE's read in it points elsewhere).
        // What the host runs in a pause sees the model of the last completed epoch, as between epochs: the first call
        // that asks for the model in a pause moves the weights trained so far aside (`cut`) and puts that epoch's
        // (`done`, or the model before fit() in the first epoch) in their place; the pause's end puts them back.
        // In the first epoch that is the model before fit(), its normalizer too.
        // (units: the epoch's batches, or the ensemble's members; an even count of batches where it can, since a call of an
        // odd count ends by copying the weights home, train_rows; with lanes, a multiple of them)
        const units = ens ? ens.members : Math.ceil(nt / o.batchSize), unitRows = ens ? R : o.batchSize, L = laneCount(k);
        const [mult, least] = ens ? [L, L] : [2, 1];
        let slice = this.rowMs > 0 ? wholeUnits(Math.min(2 ** 20, Math.floor(SLICE_MS / (this.rowMs * unitRows))), mult, least) : least;
        const keep = ens ? k.alloc(32) : 0;   // (ens_epoch's f64[4] across an epoch's calls)
        for (let epoch = 1; epoch <= o.epochs; epoch++) {
          checkAborted(o.signal);
          const t0 = now();
          k.setCondition(cp);
          let loss = 0;
          // (an epoch of more than one call keeps the model it starts from, for a pause's calls: the model before fit()
          // in the first epoch, its normalizer too; in the second pass's first, the first pass's last epoch's model, kept
          // before its statistics were taken and the weights drawn again, with its normalizer)
          const last = units <= slice ? 0 : epoch === 1 && pass === 1 ? k.snapStart : await doneBlock();
          if (last && epoch > 1) copyParams(k, last, k.params);
          const shown: [Float32Array[], boolean] | null = last === k.snapStart ? before : last && epoch === 1 && firstNorm ? [firstNorm, true] : null;
          const run = ens
            ? (a: number, b: number) => { loss = ensembleEpoch(k, xt, perm, R, ens.members, o.batchSize, a, b, keep); }
            : (a: number, b: number) => { loss = trainEpoch(k, xt, tp, nt, perm, o.shuffle, o.batchSize, a * o.batchSize, Math.min(nt, b * o.batchSize)); };
          const calls = await inCalls(units, slice, mult, least, unitRows * macs, run, last, shown, (msPerUnit) => { this.rowMs = msPerUnit / unitRows; });
          slice = calls.size;
          const terms = ens ? { reconstruction: loss } : sumTerms(termValues(k));
          if (cp) k.setCondition(cp + nt * K * 4);
          const valLoss = nVal > 0 ? evalLoss(k, xt + nt * D * 4, tp + nt * D * 4, nVal) : NaN;
          const valTerms = nVal > 0 ? sumTerms(termValues(k)) : null;
          k.setCondition(0);
          k.pool?.check();
          if (!Number.isFinite(loss) || (nVal > 0 && !Number.isFinite(valLoss))) {
            // the validation loss overflowing while the training rows' loss under the same weights does not is no
            // divergence (a lower learning rate would not mend it): the validation rows lie far outside the training rows
            let trainNow = NaN;
            if (Number.isFinite(loss)) {
              if (cp) k.setCondition(cp);
              trainNow = evalLoss(k, xt, tp, nt);
              k.setCondition(0);
            }
            if (Number.isFinite(trainNow)) {
              throw new AutoencoderError(`the validation loss is ${valLoss} at epoch ${epoch}, the training rows' ${trainNow}: a validation row's error overflows float32, its values far outside the training rows' (validation: x's last ${nVal} row${nVal === 1 ? '' : 's'}); remove such rows, shuffle x, or pass validationSplit: 0; the weights are as they were before fit()`);
            }
            throw diverged(`at epoch ${epoch} (loss ${loss})`);
          }
          // the loss can stay finite while a weight or a batchNorm moving statistic overflows: every
          // value must still be one a model can hold (so the model saves, loads and scores)
          const broken = this.invalidValue(k, k.params, k.state, false);
          if (broken) {
            throw diverged(`at epoch ${epoch} (loss ${loss}, but ${broken})`);
          }
          history.loss.push(loss);
          for (const nm of Object.keys(terms)) history.terms[nm]!.push(terms[nm]!);
          if (nVal > 0) history.valLoss.push(valLoss);
          if (valTerms) for (const nm of Object.keys(valTerms)) history.valTerms[nm]!.push(valTerms[nm]!);
          history.epochs = epoch;
          const monitored = nVal > 0 ? valLoss : loss;
          if (monitored < best - (o.early?.minDelta ?? 0)) {
            best = monitored;
            wait = 0;
            history.bestEpoch = epoch;
            if (o.early?.restoreBest) copyParams(k, k.snapBest, k.params);
          } else {
            wait++;
          }
          // (the epoch's own time, without the host's turns)
          const info: EpochInfo = { epoch, loss, valLoss, ms: now() - t0 - calls.paused };
          const verdict = o.onEpoch ? await o.onEpoch(info) : undefined;
          if (this.k !== k) throw new AutoencoderError('the model was disposed during fit()');
          if (verdict === false) { history.stoppedEarly = epoch < o.epochs; halted = true; break; }
          if (o.early && wait >= o.early.patience && epoch < o.epochs) {
            history.stoppedEarly = true;
            break;
          }
          if (turnDue()) { await yieldToHost(); lastYield = now(); unclocked = 0; }
        }
        checkAborted(o.signal);
        if (ens) {
          // (what the pauses show from here to the next pass's first epoch, or to the end: this pass's last epoch's
          // model, as onEpoch saw it, and its normalizer if the next pass refits it)
          copyParams(k, await doneBlock(), k.params);
          if (pass < passes && fitsNorm && this.s.normalize !== 'none') firstNorm = k.normalizer();
        }
        if (o.early?.restoreBest && history.bestEpoch !== history.epochs && history.bestEpoch > 0) {
          copyParams(k, k.params, k.snapBest);
        } else {
          history.bestEpoch = history.epochs;
        }
        if (ens) {
          // the members' statistics over up to 4,096 of the training rows (normalized, as x is now)
          const S = Math.min(nt, 4096), idx = k.alloc(S * 4);
          ensembleDraw(k, nt, S, 1, idx, k.alloc(nt * 4));
          // (a share of the scratch for each of a call's members, lanes-many at most: the members' statistics are taken on the threads' lanes)
          const lanes = laneCount(k), e = k.alloc(lanes * S * D * 4), tmp = k.alloc(lanes * statsScratch(S) * 4);
          await warm(e, lanes * S * D * 4, 0, null);   // (the model in place is the one onEpoch last saw)
          // (lanes-many members at a time, a member on each lane, each member's statistics in four parts, the first three
          // in calls of rows, features, rows: at D=784 a member's statistics took 70-100 ms as one call)
          // (the first of two passes, its statistic rows every training row in order: each row's recM is kept, and the
          // cleaning pass's scores are made from them, the same floats as running the rows through the members again)
          const rec = pass < passes && S === nTrain ? k.alloc(ens.members * S * 8) : 0;   // (pass 1: nt is nTrain)
          for (let k0 = 0; k0 < ens.members; k0 += lanes) {
            const k1 = Math.min(ens.members, k0 + lanes), part = (p: number) => (a: number, b: number) => ensembleStats(k, xt, S, k.stats, idx, e, tmp, rec, k0, k1, p, a, b);
            await inCalls(S, 64, 1, 1, (k1 - k0) * (macs / 3), part(0), done, null);
            await between();
            await inCalls(D, 16, 1, 1, (k1 - k0) * 16 * S, part(1), done, null);
            await between();
            await inCalls(S, 256, 1, 1, (k1 - k0) * 8 * D, part(2), done, null);
            part(3)(0, 0);
            await between();
          }
          if (rec) ensembleStats(k, xt, S, k.stats, idx, e, cleanScores = k.alloc(S * 4), rec, 0, ens.members, 4, 0, S);
          const broken = this.invalidValue(k, k.params, k.state, false);
          if (broken) throw diverged(`(${broken})`);
        }
      }
      if (ens?.density) {
        // the latent density term (assembly/density.ts): every training row in this fit's final units, which
        // xp already holds unless the cleaning pass refitted the normalizer (then x goes in once more)
        const refitted = passes === 2 && fitsNorm && this.s.normalize !== 'none';
        let xn = xp;
        if (refitted) {
          // (checked again, as the caller may have changed x in the host's turns; its block warmed first, as x's was)
          const again = await putWarm(x, D, 'x', done, null);
          if (again.rows !== n) throw new AutoencoderError(`x changed during fit(): it had ${n} rows as fit() began; leave x as it is until fit() resolves`);
          xn = again.ptr;
          normalizeRows(k, xn, n);
        }
        const S = Math.min(n, 4096), sidx = k.alloc(S * 4), L = this.latentDim;
        ensembleDraw(k, n, S, 1, sidx, k.alloc(n * 4));
        const scores = k.alloc(n * 4);
        await scoreRows(xn, n, scores);
        const tmp = k.alloc(n * 4), ridx = k.alloc(ens.density * 4), z = k.alloc(Math.max(ens.density, S) * L * 4), t = k.alloc(S * 4);
        const part = (p: number, R: number) => (a: number, b: number) => densityFit(k, xn, n, k.dens, R, L, sidx, S, scores, tmp, ridx, z, t, p, a, b);
        // (the reference rows, their codes in calls of rows, the block and its k-d index, the statistic rows' codes and
        // nearest references in calls of whole fours of rows, the term's median and scale: one call of 44-68 ms at D=784
        // before)
        const R = part(0, ens.density)(0, 0), encMacs = macs / 3;   // (a row through the whole member, over the encoder)
        await between();
        await inCalls(R, 64, 1, 1, encMacs, part(1, R), done, null);
        part(2, R)(0, 0);
        await between();
        await inCalls(S, 64, 4, 4, encMacs + R * L, part(3, R), done, null);
        await between();
        part(4, R)(0, 0);
        const broken = this.invalidValue(k, k.params, k.state, false);
        if (broken) throw diverged(`(${broken})`);
      }
      committed = true;
      // (fitCodec()'s tables were fitted on the old code: compress() would clamp the new one to them)
      this.codebook = null;
      return history;
    } catch (e) {
      throw trapped(e, k, 'fit()', 'the weights are as they were before it');
    } finally {
      this.fitting = false;
      k.pool?.settle();
      k.setCondition(0);
      k.release(mark);
      if (!committed) {
        // put the model back as it was before this call
        homeBlocks(k);
        if (snapped) copyParams(k, k.params, k.snapStart);
        k.u8(k.ctx + C.RNG, RNG.streams * 16).set(streams);
        putNormalizer([normA, normB]);
        this.normFitted = normFitted;
      }
    }
  }

  /**
   * Compresses rows into one container: their latent codes, quantised per latent dimension to `bits`
   * (offset and step fitted on these rows) and rANS-coded, stamped with this model's content hash. A model trained
   * with a rate term (spec `rate`) given no bits rounds its code to integers instead (step 1), the quantiser it trained for.
   * @param x rows x inputDim, in input units. @param options.bits 2 to 16 (default 4; a rate model's default: integers).
   * @throws AutoencoderError on bad rows or options, or on a conditional VAE (the codec takes no condition rows; so do decompress(), fitCodec() and the streams).
   */
  compress(x: Matrix, options?: CompressOptions): Uint8Array { return this.io('compress()', (k) => compressRows(this.codecModel(k, 'compress()'), x, options)); }

  /** The codec's view of this model; with `call`, for a public codec call, which a conditional VAE refuses (codecCall). */
  protected codecModel(k: Kernel, call?: string): CodecModel {
    if (call) this.codecCall(call);
    return { k, spec: this.spec, codebook: this.codebook, integer: this.integerCodec, normalized: this.s.normalize !== 'none', inputDim: this.s.inputDim, latentDim: this.latentDim, put: (x, cols, what) => this.put(k, x, cols, what) };
  }

  /** True for a model trained with a rate term (spec `rate`): compress() and fitCodec() without bits round its code to integers. */
  get integerCodec(): boolean {
    return this.s.rate !== undefined;
  }

  /** Keeps a loaded file's codec tables once they parse, and hold only what compress() can use (see AutoencoderLite). */
  protected override takeCodebook(k: Kernel, text: string): string | null {
    return super.takeCodebook(k, text) ?? checkCodebook(this.codecModel(k), this.codebook!);
  }

  /**
   * Rows rebuilt from one container or several concatenated (as compressStream() writes): rows x
   * inputDim in input units, equal to decode() of the dequantised latent codes.
   * @throws AutoencoderError when the bytes are not a container, are truncated or corrupted, or another model wrote them.
   */
  decompress(bytes: Uint8Array): Float32Array { return this.io('decompress()', (k) => decompressFrames(this.codecModel(k, 'decompress()'), bytes)); }

  /** A TransformStream from chunks of rows (Float32Array / Float64Array of whole rows, or number[][]) to containers of `rowsPerFrame` rows (default 1024). */
  compressStream(options?: CompressStreamOptions): TransformStream<Float32Array | Float64Array | number[][], Uint8Array> {
    this.live();
    this.codecCall('compressStream()');
    return compressStream(this, options, (x, what) => this.io('compressStream()', (k) => { this.put(k, x, this.s.inputDim, what); }));
  }

  /** A TransformStream from container bytes (frames back to back, any chunking) to rows x inputDim per frame. */
  decompressStream(): TransformStream<Uint8Array, Float32Array> { this.live(); this.codecCall('decompressStream()'); return decompressStream(this); }

  /**
   * Refuses a codec call on a conditional VAE: no `condition` reaches the codec, so its encoder would read its
   * condition rows from address 0 of the memory, and decompress() would decode without them.
   */
  private codecCall(call: string): void {
    if (this.s.conditionDim) {
      throw new AutoencoderError(`${call} is not available on a conditional VAE: the codec codes rows without the condition rows its encoder and decoder need; use encode(x, { condition }) and decode(z, { condition })`);
    }
  }

  /**
   * Fits the codec's quantiser and frequency tables once on `x` (training rows) at `bits` and keeps them
   * with the model (save() writes them): compress() at those bits then uses them whenever that gives the
   * smaller container (no quantiser or tables stored in it) and no latent value lies outside their range
   * by more than a quarter of it (rows unlike the training rows keep their own). fit() and setWeights() drop them (they
   * were fitted on the old code): call fitCodec() again after training.
   * @param x rows x inputDim. @param options.bits 2 to 16 (default 4; a rate model's default: the integer quantiser). @throws AutoencoderError on bad rows or options.
   */
  fitCodec(x: Matrix, options?: CompressOptions): void { this.codebook = this.io('fitCodec()', (k) => fitCodebook(this.codecModel(k, 'fitCodec()'), x, options)); }

  /**
   * Replaces every weight array (same order and sizes as getWeights()); all or nothing. Each array is a
   * Float32Array, Float64Array or number[]; the values must follow the rule load() applies (finite
   * float32 numbers; batchNorm moving variances >= 0).
   * @throws AutoencoderError on a wrong count, size or type, a value outside the rule, or while fit() runs.
   */
  setWeights(weights: ArrayLike<number>[]): void {
    const k = this.live();
    if (this.fitting) throw fitRunning('setWeights()', 'call it after fit() resolves (return false from onEpoch to stop training early)');
    if (this.s.ensemble) throw new AutoencoderError('setWeights() is not available on an ensemble (its members and their statistics come from fit() or load()); getWeights() reads member 0');
    const slots = this.weightSlots(k);
    if (!Array.isArray(weights) || holeIn(weights) >= 0 || weights.length !== slots.length) {
      throw new AutoencoderError(`setWeights() needs ${slots.length} arrays [W1, b1, ...] as getWeights() returns, got ${Array.isArray(weights) && holeIn(weights) < 0 ? weights.length : describe(weights)}`);
    }
    weights.forEach((w: unknown, i) => {
      const slot = slots[i]!;
      const where = `setWeights(): ${slot.name} (index ${i})`;
      if (!(w instanceof Float32Array || w instanceof Float64Array || Array.isArray(w))) {
        throw new AutoencoderError(`${where} needs ${slot.len} values${slot.shape} in a Float32Array, Float64Array or number[], got ${describe(w)}${ArrayBuffer.isView(w) && !(w instanceof DataView) ? ': pass Float32Array.from(it)' : ''}`);
      }
      checkAttached(where, w);
      if (w.length !== slot.len) throw new AutoencoderError(`${where} needs ${slot.len} values${slot.shape}, got ${w.length}`);
      if (Array.isArray(w)) {
        for (let j = 0; j < w.length; j++) {
          if (!(j in w)) throw new AutoencoderError(`${where} has a hole at index ${j} (a sparse array): every value must be a number`);
          if (typeof w[j] !== 'number') throw new AutoencoderError(`${where} value ${j} is ${describe(w[j])}: values must be numbers`);
        }
      }
    });
    this.io('setWeights()', (k2) => {
      const total = k2.nParams + k2.nState;
      const p = k2.alloc(total * 4);
      const staged = k2.f32(p, total);
      weights.forEach((w, i) => staged.set(w, (slots[i]!.params ? 0 : k2.nParams) + slots[i]!.off));
      const bad = this.invalidValue(k2, p, p + k2.nParams * 4, false);
      if (bad) throw new AutoencoderError(`setWeights(): ${bad}`);
      const old = k2.alloc(total * 4);
      k2.f32(old, k2.nParams).set(k2.paramsView());
      k2.f32(old + k2.nParams * 4, k2.nState).set(k2.stateView());
      k2.paramsView().set(k2.f32(p, k2.nParams));
      k2.stateView().set(k2.f32(p + k2.nParams * 4, k2.nState));
      k2.paramsChanged();
      const putBack = () => {
        k2.paramsView().set(k2.f32(old, k2.nParams));
        k2.stateView().set(k2.f32(old + k2.nParams * 4, k2.nState));
        k2.paramsChanged();
      };
      let overflow: string | null;
      try {
        overflow = this.overflowBound(k2);
      } catch (e) {
        // (a failure inside the kernels: io() says the model is as it was, which it is again)
        putBack();
        throw e;
      }
      if (overflow) {
        putBack();
        throw new AutoencoderError(`setWeights(): ${overflow}; the weights are as they were`);
      }
    });
    // (fitCodec()'s tables were fitted on the old code: compress() would clamp the new one to them)
    this.codebook = null;
  }

  /**
   * The data-parallel shards of each training batch (the create/load option `shards`, or the count its file was saved
   * with) of a conv model that trains in them (conv VAEs, dropout, batchNorm, L1 and sparse KL penalties included); null
   * for a model that trains a batch in one pass (dense ones, and conv ones with a condition or a contractive term).
   */
  get shards(): number | null {
    const k = this.live();
    return shardable(k.plan!) ? k.shards : null;
  }

  /** {@inheritDoc AutoencoderLite.load} */
  static override async load(bytes: Uint8Array | string | URL, opts?: CreateOptions): Promise<Autoencoder> {
    // (the option's count, else the file's: SH.SHARDS unless it was saved from a model made with another)
    const shards = shardsOf(opts);
    const ae = (await super.load(bytes, opts)) as Autoencoder;
    if (shards !== undefined && shardable(ae.k!.plan!)) ae.k!.shards = shards;
    // a conv model or an ensemble with threads: its shard contexts or lanes now (planTraining places them),
    // so that inference splits its rows across the threads from the first call, as after create()
    if (ae.k?.pool && shardBytes(ae.k.plan!, ae.k) > 0) {
      try {
        planTraining(ae.k);
      } catch (e) {
        ae.dispose();   // (a memory too small for them: nothing half-loaded is left)
        throw e;
      }
    }
    return ae;
  }
}

export { SeriesDetector, type SeriesOptions, type SeriesError } from './series.js';
