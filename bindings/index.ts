// index.ts: the public API. TypeScript does shapes, names and bookkeeping; every number is
// computed in the wasm module (bindings/wasm.ts is the only door to it). Each method validates
// before it crosses, stages its data in the model's I/O stack, and commits only on success, so a
// failed call leaves the model as it was. The core imports nothing from `node:`; runtime entries
// (node.ts, ...) only say where the compiled module comes from.

import { AutoencoderError, checkKeys, checkName, checkNumber } from './errors.js';
import { checkEnvelope, checkVersion, fileBytes, headerJson, parseHeader, writeHeader } from './format.js';
import {
  buildPlan, latentShape, resolveFit, resolveSpec, type AutoencoderSpec, type EpochInfo, type FitOptions, type Matrix, type ModelSpec, type ResolvedSpec,
} from './spec.js';
import { ABI_VERSION, FLAG_DENORM_OUT, FLAG_NORM_IN, Kernel, OPT_IDS, instantiateKernel, layerSizes } from './wasm.js';

export { AutoencoderError } from './errors.js';
export { ACTIVATIONS, LOSSES, NORMALIZERS, OPTIMIZERS, defaultLayers } from './spec.js';
export { LAYER_TYPES } from './graph.js';
export type { LayerSpec, LayerType } from './graph.js';
export type {
  Activation, AutoencoderSpec, EarlyStopping, EpochInfo, FitOptions, Loss, Matrix, ModelSpec, Normalize, Optimizer, ResolvedSpec,
} from './spec.js';

/** Where the compiled kernels come from, for runtimes the package can't guess. */
export interface CreateOptions {
  /** A compiled kernels.wasm (`WebAssembly.compile(bytes)`, or a Worker's `.wasm` import). */
  wasm?: WebAssembly.Module;
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
}

/** How `calibrate()` picks the threshold from the scores of (normal) rows. */
export type CalibrateOptions = { quantile: number } | { contamination: number } | { max: true };

type Loader = () => Promise<WebAssembly.Module>;
let loader: Loader | null = null;
let cachedModule: Promise<WebAssembly.Module> | null = null;

/** Runtime entries call this once with a function that compiles kernels.wasm; it runs lazily, once. */
export function setWasmLoader(load: Loader): void {
  loader = load;
  cachedModule = null;
}

function moduleFor(opts?: CreateOptions): Promise<WebAssembly.Module> {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new AutoencoderError('the second argument must be an options object such as { wasm: module }');
  }
  if (opts) checkKeys('create/load options', opts, ['wasm']);
  if (opts?.wasm !== undefined) return Promise.resolve(opts.wasm);
  if (!loader) {
    throw new AutoencoderError("no wasm module: import 'autoencoder' through a runtime entry (Node, Deno, Bun, browser, workerd) or pass { wasm: WebAssembly.Module } as the second argument");
  }
  if (!cachedModule) {
    cachedModule = loader().catch((e: unknown) => {
      cachedModule = null;
      throw e;
    });
  }
  return cachedModule;
}

/**
 * A rows x cols Float32Array drawn from the package's own seeded PRNG (xoshiro128** in wasm), so the
 * same seed gives the same bits in every runtime: uniform [0, 1) or standard normal.
 * Useful for synthetic data, noise for denoising, and reproducible tests.
 */
export async function randomMatrix(rows: number, cols: number, options: { seed?: number; distribution?: 'uniform' | 'normal' } & CreateOptions = {}): Promise<Float32Array> {
  checkKeys('randomMatrix()', options, ['seed', 'distribution', 'wasm']);
  checkNumber('rows', rows, 1, 1 << 28, true);
  checkNumber('cols', cols, 1, 1 << 28, true);
  if (rows * cols > 1 << 28) throw new AutoencoderError(`randomMatrix(): ${rows} x ${cols} is too many values (at most 2^28)`);
  const seed = checkNumber('seed', options.seed ?? 1, 0, 0xffffffff, true);
  const dist = checkName('distribution', options.distribution ?? 'uniform', ['uniform', 'normal'] as const);
  const k = await instantiateKernel(await moduleFor(options.wasm ? { wasm: options.wasm } : undefined));
  const p = k.alloc(rows * cols * 4);
  k.x.ae_seed(k.ctx, seed);
  k.x.ae_rng_fill(k.ctx, p, rows * cols, dist === 'normal' ? 1 : 0);
  return k.f32(p, rows * cols).slice();
}

/**
 * A noisy copy of `x`: x + std * N(0, 1), clipped to `clip` ([lo, hi]) when given, with the noise drawn
 * from the package's seeded wasm PRNG (the same bits in every runtime). For denoising pairs such as
 * Keras's clip(x + 0.4 N(0, 1), 0, 1): `addNoise(x, { std: 0.4, clip: [0, 1], seed: 1 })`.
 */
export async function addNoise(x: Float32Array | Float64Array, options: { std: number; seed?: number; clip?: [number, number] } & CreateOptions): Promise<Float32Array> {
  if (!(x instanceof Float32Array || x instanceof Float64Array) || x.length === 0) {
    throw new AutoencoderError('addNoise() takes a non-empty Float32Array or Float64Array');
  }
  if (options === null || typeof options !== 'object') throw new AutoencoderError('addNoise() needs options such as { std: 0.4 }');
  checkKeys('addNoise()', options, ['std', 'seed', 'clip', 'wasm']);
  const std = checkNumber('std', options.std, 0, 1e30);
  const seed = checkNumber('seed', options.seed ?? 1, 0, 0xffffffff, true);
  let lo = 1, hi = 0;
  if (options.clip !== undefined) {
    if (!Array.isArray(options.clip) || options.clip.length !== 2) throw new AutoencoderError('clip must be [lo, hi], e.g. [0, 1]');
    lo = checkNumber('clip[0]', options.clip[0], -3e38, 3e38);
    hi = checkNumber('clip[1]', options.clip[1], lo, 3e38);
  }
  const k = await instantiateKernel(await moduleFor(options.wasm ? { wasm: options.wasm } : undefined));
  const p = k.alloc(x.length * 4);
  k.f32(p, x.length).set(x);
  k.x.ae_seed(k.ctx, seed);
  k.x.ae_add_noise(k.ctx, p, x.length, std, lo, hi);
  return k.f32(p, x.length).slice();
}

const yieldToHost = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** A dense autoencoder whose training and inference run in SIMD WebAssembly. */
export class Autoencoder {
  private k: Kernel | null;
  private readonly s: ResolvedSpec;
  private thr: number | null = null;
  private normFitted = false;
  private fitting = false;
  private meta: Record<string, unknown> | null = null;
  private readonly latent: number[];

  private constructor(k: Kernel, s: ResolvedSpec) {
    this.k = k;
    this.s = s;
    this.latent = latentShape(s);
    k.planModel(buildPlan(s));
  }

  /**
   * Builds a model with freshly initialised weights (Glorot uniform, zero biases, from `seed`).
   * @throws AutoencoderError on an invalid spec (unknown names list the valid ones).
   */
  static async create(spec: AutoencoderSpec, opts?: CreateOptions): Promise<Autoencoder> {
    const s = resolveSpec(spec);
    const k = await instantiateKernel(await moduleFor(opts));
    const ae = new Autoencoder(k, s);
    k.planTraining();
    k.x.ae_seed(k.ctx, s.seed);
    k.x.ae_init_params(k.ctx);
    return ae;
  }

  /**
   * Rebuilds a model from the bytes `save()` returned.
   * @throws AutoencoderError when the bytes are empty, truncated, corrupted, or from a newer format.
   */
  static async load(bytes: Uint8Array, opts?: CreateOptions): Promise<Autoencoder> {
    checkEnvelope(bytes);
    const k = await instantiateKernel(await moduleFor(opts));
    const mark = k.mark();
    const p = k.alloc(bytes.length);
    k.u8(p, bytes.length).set(bytes);
    const crc = k.x.ae_crc32(p, bytes.length - 4);
    k.u8(p, bytes.length).fill(0); // the arena is planned over this region next, and expects zeros
    k.release(mark);
    const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
    if (crc !== stored) throw new AutoencoderError('the model file is corrupted: its checksum does not match its contents; copy or save it again');
    checkVersion(bytes);
    const h = parseHeader(bytes);
    const ae = new Autoencoder(k, h.spec);
    if (h.params !== k.nParams || h.state !== k.nState) {
      throw new AutoencoderError(`the model file is corrupted: it holds ${h.params} parameters and ${h.state} state values but its spec needs ${k.nParams} and ${k.nState}`);
    }
    const D = h.spec.inputDim;
    // the floats go from the file straight to where they live (byte copies: the file's floats need
    // not be 4-byte aligned), then are checked in place; a failed load discards this kernel whole
    const norm = h.spec.normalize !== 'none';
    const regions: [number, number][] = norm ? [[k.normA, D], [k.normB, D]] : [];
    regions.push([k.params, k.nParams], [k.state, k.nState]);
    let at = h.floatsAt, index = 0;
    for (const [ptr, n] of regions) {
      k.u8(ptr, n * 4).set(bytes.subarray(at, at + n * 4));
      // a matching checksum proves integrity, not sense: refuse values no save() writes
      const bad = n > 0 ? k.x.ae_find_nonfinite(ptr, n) : -1;
      if (bad >= 0) throw new AutoencoderError(`the model file is corrupted: float ${index + bad} of its weights is not a finite number`);
      at += n * 4;
      index += n;
    }
    if (norm && k.f32(k.normB, D).some((v) => !(v > 0))) throw new AutoencoderError('the model file is corrupted: a normalizer scale is not positive');
    k.paramsChanged();
    ae.normFitted = h.normalizerFitted;
    ae.thr = h.threshold;
    ae.meta = h.metadata;
    k.x.ae_seed(k.ctx, h.spec.seed);
    return ae;
  }

  private live(): Kernel {
    if (!this.k) throw new AutoencoderError('this Autoencoder was disposed: create() or load() a new one');
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
  /** Number of trainable parameters. */
  get paramCount(): number { return this.live().nParams; }
  /** True once the normalizer has been fitted (by the first fit(), or loaded). */
  get normalizerFitted(): boolean { return this.normFitted; }
  /** The anomaly threshold on score() (null until calibrate() or a set; stored as float32, as scores are). */
  get threshold(): number | null { return this.thr; }
  set threshold(t: number | null) {
    this.live();
    this.thr = t === null ? null : Math.fround(checkNumber('threshold', t, -Infinity, Infinity));
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
      throw new AutoencoderError(`metadata must be a plain JSON object or null, got ${Array.isArray(m) ? 'an array' : m === null ? 'null' : typeof m}`);
    }
    let text: string;
    try {
      text = JSON.stringify(m, (_key, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) throw new AutoencoderError(`metadata holds ${v}, which JSON cannot carry: use finite numbers or strings`);
        if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new AutoencoderError(`metadata holds a ${typeof v}, which JSON cannot carry`);
        return v;
      });
    } catch (e) {
      if (e instanceof AutoencoderError) throw e;
      throw new AutoencoderError(`metadata cannot be written as JSON (${(e as Error).message}): use plain objects, arrays, strings, finite numbers, booleans and null`);
    }
    if (text.length > 1 << 20) throw new AutoencoderError(`metadata is ${text.length} characters of JSON, more than the 1 MiB limit: keep large data in a file of its own`);
    this.meta = JSON.parse(text) as Record<string, unknown>;
  }

  /**
   * Copies `x` into the model's I/O stack as rows of `cols` floats and checks every value is finite.
   * Call between k.mark() and k.release().
   */
  private put(k: Kernel, x: Matrix, cols: number, what: string): { ptr: number; rows: number } {
    let rows: number;
    let ptr: number;
    if (x instanceof Float32Array || x instanceof Float64Array) {
      if (x.length === 0) throw new AutoencoderError(`${what} is empty: pass at least one row of ${cols} values`);
      if (x.length % cols !== 0) {
        throw new AutoencoderError(`${what} has ${x.length} values, not a multiple of the row width ${cols}: pass rows x ${cols} values, row-major`);
      }
      rows = x.length / cols;
      ptr = k.alloc(x.length * 4);
      k.f32(ptr, x.length).set(x);
    } else if (Array.isArray(x)) {
      if (x.length === 0) throw new AutoencoderError(`${what} is empty: pass at least one row of ${cols} values`);
      rows = x.length;
      x.forEach((row, r) => {
        if (row === null || typeof row !== 'object' || typeof (row as ArrayLike<number>).length !== 'number') {
          throw new AutoencoderError(`${what} must be an array of rows (number[][]); row ${r} is ${typeof row === 'number' ? 'a number' : String(row)} (for a single row, wrap it: [row])`);
        }
        if (row.length !== cols) throw new AutoencoderError(`${what} row ${r} has ${row.length} values but the model expects ${cols}`);
        if (Array.isArray(row)) {
          // plain arrays could hold null, strings or booleans, which a typed-array copy would coerce silently
          const c = row.findIndex((v) => typeof v !== 'number');
          if (c >= 0) throw new AutoencoderError(`${what} has ${JSON.stringify(row[c])} (a ${row[c] === null ? 'null' : typeof row[c]}) at row ${r}, column ${c}: values must be numbers; parse strings with Number() first`);
        }
      });
      ptr = k.alloc(rows * cols * 4);
      const view = k.f32(ptr, rows * cols);
      x.forEach((row, r) => view.set(row, r * cols));
    } else {
      throw new AutoencoderError(`${what} must be a Float32Array, Float64Array or number[][] (rows x ${cols}), got ${x === null ? 'null' : typeof x}`);
    }
    const bad = k.x.ae_find_nonfinite(ptr, rows * cols);
    if (bad >= 0) {
      const r = Math.floor(bad / cols), c = bad % cols;
      const v = x instanceof Float32Array || x instanceof Float64Array ? x[bad] : Number((x as ArrayLike<number>[])[r]![c]);
      throw new AutoencoderError(`${what} has ${v} at row ${r}, column ${c}: values must be finite float32 numbers; drop or impute NaN/Infinity first`);
    }
    return { ptr, rows };
  }

  /** Runs `fn` with the I/O stack released afterwards, whatever happens. */
  private io<T>(fn: (k: Kernel) => T): T {
    const k = this.live();
    const mark = k.mark();
    try {
      return fn(k);
    } finally {
      k.release(mark);
    }
  }

  /**
   * Trains on the rows of `x` (rows x inputDim) and returns the loss history.
   * The first fit also fits the normalizer (on the training rows). If training diverges, the
   * callback throws, or the model is disposed meanwhile, the weights are put back as they were.
   * @throws AutoencoderError on bad shapes, NaN/Infinity, or bad options.
   */
  async fit(x: Matrix, options: FitOptions = {}): Promise<History> {
    const k0 = this.live();
    if (this.fitting) throw new AutoencoderError('fit() is already running on this model: await it before calling fit() again');
    const o = resolveFit(options);
    const D = this.s.inputDim;
    if (!k0.ioBusy) {
      k0.planTraining();
      k0.setCapacity(Math.max(256, o.batchSize));
    } else if (!k0.training || o.batchSize > k0.cap) {
      throw new AutoencoderError('fit() cannot start while another call holds this model\'s memory: await that call first');
    }
    const k = k0;
    const mark = k.mark();
    const [normA, normB] = k.normalizer();
    const normFitted = this.normFitted;
    k.copyParams(k.snapStart, k.params);
    this.fitting = true;
    let committed = false;
    try {
      const { ptr: xp, rows: n } = this.put(k, x, D, 'x');
      let tp = xp;
      if (o.target !== undefined) {
        const t = this.put(k, o.target, D, 'target');
        if (t.rows !== n) throw new AutoencoderError(`target has ${t.rows} rows but x has ${n}: pass one target row per input row`);
        tp = t.ptr;
      }
      const nTrain = o.validationSplit > 0 ? Math.floor(n * (1 - o.validationSplit)) : n;
      const nVal = n - nTrain;
      if (nTrain < 1) throw new AutoencoderError(`validationSplit ${o.validationSplit} of ${n} rows leaves no training rows: pass more rows or a smaller validationSplit`);
      if (o.validationSplit > 0 && nVal < 1) {
        throw new AutoencoderError(`validationSplit ${o.validationSplit} of ${n} rows leaves no validation rows: pass more rows or validationSplit: 0`);
      }
      if (this.s.normalize !== 'none') {
        if (!this.normFitted) {
          k.x.ae_norm_fit(k.ctx, xp, nTrain);
          this.normFitted = true;
        }
        k.x.ae_norm_apply(k.ctx, xp, n);
        if (tp !== xp) k.x.ae_norm_apply(k.ctx, tp, n);
      }
      if (this.s.loss === 'bce') {
        const bad = k.x.ae_find_outside01(tp, nTrain * D);
        if (bad >= 0) {
          throw new AutoencoderError(`loss 'bce' needs targets in [0, 1], but row ${Math.floor(bad / D)}, column ${bad % D} is ${k.f32(tp + bad * 4, 1)[0]}${this.s.normalize === 'none' ? '' : ' after normalization'}: scale the data to [0, 1] (normalize: 'minmax') or use loss 'mse'`);
        }
      }
      const perm = k.alloc(nTrain * 4);
      k.x.ae_perm_init(perm, nTrain);
      k.setOptimizer(OPT_IDS[o.optimizer], o.learningRate, o.beta1, o.beta2, o.epsilon, o.weightDecay, o.momentum, o.noise);
      k.x.ae_optimizer_reset(k.ctx);
      if (o.early?.restoreBest) k.copyParams(k.snapBest, k.params);

      const history: History = { loss: [], valLoss: [], epochs: 0, stoppedEarly: false, bestEpoch: 0 };
      let best = Infinity, wait = 0, lastYield = now();
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        const t0 = now();
        const loss = k.x.ae_train_epoch(k.ctx, xp, tp, nTrain, perm, o.shuffle ? 1 : 0, o.batchSize);
        const valLoss = nVal > 0 ? k.x.ae_eval_loss(k.ctx, xp + nTrain * D * 4, tp + nTrain * D * 4, nVal) : NaN;
        if (!Number.isFinite(loss) || (nVal > 0 && !Number.isFinite(valLoss))) {
          throw new AutoencoderError(`training diverged at epoch ${epoch} (loss ${loss}): lower learningRate (now ${o.learningRate}) or normalize the inputs (normalize: 'standard'); the weights are as they were before fit()`);
        }
        history.loss.push(loss);
        if (nVal > 0) history.valLoss.push(valLoss);
        history.epochs = epoch;
        const monitored = nVal > 0 ? valLoss : loss;
        if (monitored < best - (o.early?.minDelta ?? 0)) {
          best = monitored;
          wait = 0;
          history.bestEpoch = epoch;
          if (o.early?.restoreBest) k.copyParams(k.snapBest, k.params);
        } else {
          wait++;
        }
        const info: EpochInfo = { epoch, loss, valLoss, ms: now() - t0 };
        const verdict = o.onEpoch ? await o.onEpoch(info) : undefined;
        if (this.k !== k) throw new AutoencoderError('the model was disposed during fit()');
        if (verdict === false) { history.stoppedEarly = epoch < o.epochs; break; }
        if (o.early && wait >= o.early.patience && epoch < o.epochs) {
          history.stoppedEarly = true;
          break;
        }
        if (now() - lastYield > 25) { await yieldToHost(); lastYield = now(); }
      }
      if (o.early?.restoreBest && history.bestEpoch !== history.epochs && history.bestEpoch > 0) {
        k.copyParams(k.params, k.snapBest);
      } else {
        history.bestEpoch = history.epochs;
      }
      committed = true;
      return history;
    } finally {
      this.fitting = false;
      k.release(mark);
      if (!committed) {
        // put the model back as it was before this call
        k.copyParams(k.params, k.snapStart);
        k.f32(k.normA, D).set(normA);
        k.f32(k.normB, D).set(normB);
        this.normFitted = normFitted;
      }
    }
  }

  /** Latent codes: Float32Array of rows x latentDim. */
  encode(x: Matrix): Float32Array {
    return this.io((k) => {
      const { ptr, rows } = this.put(k, x, this.s.inputDim, 'x');
      const W = this.latentDim, out = k.alloc(rows * W * 4);
      k.x.ae_infer(k.ctx, ptr, rows, 0, k.plan!.latent, out, FLAG_NORM_IN);
      return k.f32(out, rows * W).slice();
    });
  }

  /** Rows rebuilt from latent codes z (rows x latentDim): Float32Array of rows x inputDim, in input units. */
  decode(z: Matrix): Float32Array {
    return this.io((k) => {
      const { ptr, rows } = this.put(k, z, this.latentDim, 'z');
      const D = this.s.inputDim, out = k.alloc(rows * D * 4);
      k.x.ae_infer(k.ctx, ptr, rows, k.plan!.latent + 1, k.plan!.layers.length - 1, out, FLAG_DENORM_OUT);
      return k.f32(out, rows * D).slice();
    });
  }

  /** decode(encode(x)) in one pass: Float32Array of rows x inputDim, in input units. */
  reconstruct(x: Matrix): Float32Array {
    return this.io((k) => {
      const D = this.s.inputDim;
      const { ptr, rows } = this.put(k, x, D, 'x');
      const out = k.alloc(rows * D * 4);
      k.x.ae_infer(k.ctx, ptr, rows, 0, k.plan!.layers.length - 1, out, FLAG_NORM_IN | FLAG_DENORM_OUT);
      return k.f32(out, rows * D).slice();
    });
  }

  private scoreInto(k: Kernel, x: Matrix): { out: number; rows: number } {
    const { ptr, rows } = this.put(k, x, this.s.inputDim, 'x');
    const out = k.alloc(rows * 4);
    k.x.ae_score(k.ctx, ptr, rows, out);
    return { out, rows };
  }

  /** One reconstruction error per row: the loss's mean over the row, in normalized units. */
  score(x: Matrix): Float32Array {
    return this.io((k) => {
      const { out, rows } = this.scoreInto(k, x);
      return k.f32(out, rows).slice();
    });
  }

  /**
   * Sets the anomaly threshold from the scores of `x` (rows you consider normal) and returns it:
   * a quantile of the scores (default 0.99), 1 - contamination, or their maximum.
   */
  calibrate(x: Matrix, options: CalibrateOptions = { quantile: 0.99 }): number {
    if (options === null || typeof options !== 'object') throw new AutoencoderError('calibrate() options must be { quantile }, { contamination } or { max: true }');
    checkKeys('calibrate()', options, ['quantile', 'contamination', 'max']);
    const keys = Object.keys(options);
    if (keys.length !== 1) throw new AutoencoderError(`calibrate() takes exactly one of quantile, contamination or max, got ${keys.length === 0 ? 'none' : keys.join(' and ')}`);
    let q: number;
    if ('quantile' in options) q = checkNumber('quantile', options.quantile, 0, 1);
    else if ('contamination' in options) q = 1 - checkNumber('contamination', options.contamination, 0, 1);
    else if (options.max === true) q = 1;
    else throw new AutoencoderError('calibrate({ max }) takes max: true');
    const t = this.io((k) => {
      const { out, rows } = this.scoreInto(k, x);
      return k.x.ae_quantile(out, rows, q);
    });
    this.thr = t;
    return t;
  }

  /** 0/1 per row: 1 where score() is above the calibrated threshold. */
  detect(x: Matrix): Uint8Array {
    const thr = this.thr;
    this.live();
    if (thr === null) throw new AutoencoderError('no threshold yet: call calibrate(normalRows) first, or set model.threshold');
    return this.io((k) => {
      const { out, rows } = this.scoreInto(k, x);
      const flags = k.alloc(rows);
      k.x.ae_detect(out, rows, thr, flags);
      return k.u8(flags, rows).slice();
    });
  }

  /** Where each weight array lives, in getWeights() order, and how messages name it. */
  private weightSlots(k: Kernel): { params: boolean; off: number; len: number; name: string; shape: string }[] {
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
   * then bias; batchNorm gamma, beta, moving mean, moving variance.
   */
  getWeights(): Float32Array[] {
    const k = this.live();
    const params = k.paramsView(), state = k.stateView();
    return this.weightSlots(k).map((s) => (s.params ? params : state).slice(s.off, s.off + s.len));
  }

  /** Replaces every weight array (same order and sizes as getWeights()); all or nothing. */
  setWeights(weights: ArrayLike<number>[]): void {
    const k = this.live();
    const slots = this.weightSlots(k);
    if (!Array.isArray(weights) || weights.length !== slots.length) {
      throw new AutoencoderError(`setWeights() needs ${slots.length} arrays [W1, b1, ...] as getWeights() returns, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    weights.forEach((w, i) => {
      const len = w === null || typeof w !== 'object' ? -1 : w.length;
      if (len !== slots[i]!.len) {
        throw new AutoencoderError(`setWeights(): ${slots[i]!.name} (index ${i}) needs ${slots[i]!.len} values${slots[i]!.shape}, got ${len < 0 ? typeof w : len}`);
      }
    });
    this.io((k2) => {
      const total = k2.nParams + k2.nState;
      const p = k2.alloc(total * 4);
      const staged = k2.f32(p, total);
      weights.forEach((w, i) => staged.set(w, (slots[i]!.params ? 0 : k2.nParams) + slots[i]!.off));
      const bad = k2.x.ae_find_nonfinite(p, total);
      if (bad >= 0) throw new AutoencoderError(`setWeights(): value ${bad} of the flattened weights is not a finite number`);
      slots.forEach((slot, i) => {
        if (slot.name.endsWith('moving variance') && Array.from(weights[i]!).some((v) => !(v >= 0))) {
          throw new AutoencoderError(`setWeights(): ${slot.name} (index ${i}) must be >= 0 (it is a variance)`);
        }
      });
      k2.paramsView().set(k2.f32(p, k2.nParams));
      k2.stateView().set(k2.f32(p + k2.nParams * 4, k2.nState));
      k2.paramsChanged();
    });
  }

  /** The whole model (spec, normalizer, threshold, weights) as bytes; same state, same bytes. */
  save(): Uint8Array {
    return this.io((k) => {
      const D = this.s.inputDim;
      const normFloats = this.s.normalize === 'none' ? 0 : 2 * D;
      const json = headerJson({ spec: this.s, threshold: this.thr, normalizerFitted: this.normFitted, params: k.nParams, state: k.nState, metadata: this.meta });
      const total = fileBytes(json.length, normFloats + k.nParams + k.nState);
      const p = k.alloc(total);
      writeHeader(k.u8(p, total), ABI_VERSION, json);
      const floatsAt = p + total - 4 - (normFloats + k.nParams + k.nState) * 4;
      if (normFloats) {
        const [a, b] = k.normalizer();
        k.f32(floatsAt, D).set(a);
        k.f32(floatsAt + D * 4, D).set(b);
      }
      k.f32(floatsAt + normFloats * 4, k.nParams).set(k.paramsView());
      k.f32(floatsAt + (normFloats + k.nParams) * 4, k.nState).set(k.stateView());
      const crc = k.x.ae_crc32(p, total - 4);
      new DataView(k.u8(p, total).buffer).setUint32(p + total - 4, crc, true);
      return k.u8(p, total).slice();
    });
  }

  /** Releases the model's wasm memory; every later call throws. Safe to call twice. */
  dispose(): void {
    this.k = null;
  }
}
