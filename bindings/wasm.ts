// wasm.ts: the only file that touches the module's exports and memory.
// One Kernel = one instance = one model's memory. It plans the arena (context block, layer
// table, params/grads/moments, normalizer, activation buffers for a batch capacity), grows
// memory only while planning, and hands out a stack of I/O regions for each call's data.
// Views on memory.buffer are made fresh for every access (growth detaches old ones), and
// everything returned to callers is a copy.

import { instantiate } from '../build/kernels.js';
import { AutoencoderError, describe } from './errors.js';

export type Exports = Awaited<ReturnType<typeof instantiate>>;

/** The export list of assembly/abi.ts; a test compares it with the compiled module. */
export const ABI_EXPORTS = [
  'ae_abi_version', 'ae_heap_base', 'ae_seed', 'ae_init_params', 'ae_optimizer_reset', 'ae_perm_init',
  'ae_train_epoch', 'ae_eval_loss', 'ae_grads', 'ae_infer', 'ae_score', 'ae_norm_fit', 'ae_norm_apply',
  'ae_norm_invert', 'ae_find_nonfinite', 'ae_find_below', 'ae_find_outside01', 'ae_quantile', 'ae_detect', 'ae_crc32', 'ae_crc32_update',
  'ae_rng_fill', 'ae_add_noise', 'ae_gemm', 'ae_gemm_bt', 'ae_gemm_scalar', 'ae_act_forward', 'ae_act_backward', 'ae_loss_rows',
  'ae_loss_backward',
  'ae_codec_quantize', 'ae_codec_quantize_with', 'ae_codec_dequantize', 'ae_codec_count', 'ae_codec_tables', 'ae_codec_write_tables',
  'ae_codec_read_tables', 'ae_codec_encode', 'ae_codec_decode', 'ae_hash64_update',
] as const;
export const ABI_VERSION = 3;

// context block layout (assembly/arena.ts)
const C = {
  NLAYERS: 0, LOSS: 4, OPT: 8, CAP: 12, NPARAMS: 16, PARAMS: 20, GRADS: 24, M: 28, V: 32, LAYERS: 36,
  INDIM: 40, OUTDIM: 44, NORM: 48, NORM_A: 52, NORM_B: 56, SCRATCH: 60, BATCH_IN: 64, BATCH_TGT: 68,
  DELTA0: 72, DELTA1: 76, WT: 80, STEP: 84, LATENT: 88, COL: 92, LR: 96, BETA1: 100, BETA2: 104, EPS: 108, WD: 112,
  MOMENTUM: 116, B1T: 120, B2T: 128, RNG: 136, NOISE: 152, COLCAP: 156, PACK: 160, PACK_OK: 164, BYTES: 256,
} as const;
const L = {
  OP: 0, ACT: 4, IN: 8, OUT: 12, W: 16, B: 20, Y: 24, IH: 28, IW: 32, IC: 36, OH: 40, OW: 44, OC: 48,
  KH: 52, KW: 56, SH: 60, SW: 64, PT: 68, PL: 72, AUX: 76, AUX2: 80, RATE: 84, EPS: 88, STATE: 92, PACK: 96, BYTES: 128,
} as const;
export const OP = { dense: 1, conv: 2, convt: 3, maxpool: 4, upsample: 5, dropout: 6, copy: 7, batchnorm: 8 } as const;

export const ACT_IDS = { linear: 0, relu: 1, leakyRelu: 2, elu: 3, tanh: 4, sigmoid: 5 } as const;
export const LOSS_IDS = { mse: 0, mae: 1, bce: 2 } as const;
export const OPT_IDS = { sgd: 0, momentum: 1, adam: 2, adamw: 3 } as const;
export const NORM_IDS = { none: 0, standard: 1, minmax: 2 } as const;
export const FLAG_NORM_IN = 1;
export const FLAG_DENORM_OUT = 2;

/**
 * One layer of the graph as the kernels see it: `in`/`out` floats per sample, and for layers with
 * geometry the channels-last shapes, kernel, strides and padding (1-D layers have ih = oh = 1).
 * Omitted fields default to a dense layer on a flat vector.
 */
export interface LayerPlan {
  in: number; out: number; act: number;
  op?: number;
  ih?: number; iw?: number; ic?: number; oh?: number; ow?: number; oc?: number;
  kh?: number; kw?: number; sh?: number; sw?: number; pt?: number; pl?: number;
  rate?: number; eps?: number;
}

/** Floats of weights, bias and non-trainable state one layer holds. */
export function layerSizes(l: LayerPlan): { w: number; b: number; state: number } {
  const op = l.op ?? OP.dense;
  const ic = l.ic ?? l.in, oc = l.oc ?? l.out;
  if (op === OP.dense) return { w: ic * oc, b: oc, state: 0 };
  if (op === OP.conv || op === OP.convt) return { w: (l.kh ?? 1) * (l.kw ?? 1) * ic * oc, b: oc, state: 0 };
  if (op === OP.batchnorm) return { w: oc, b: oc, state: 2 * oc };
  return { w: 0, b: 0, state: 0 };
}

/** Everything the arena needs to know about a model. */
export interface NetPlan {
  layers: LayerPlan[];
  latent: number;      // index of the bottleneck layer
  loss: number;
  norm: number;
}

const PAGE = 65536;
const align = (n: number, a = 16) => Math.ceil(n / a) * a;
/** A wasm32 memory addresses at most 65536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 65536 * PAGE;
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Where each fixed block of a model goes from `base` (pure: planModel writes it, need() sizes it). */
function layoutModel(plan: NetPlan, base: number) {
  const sizes = plan.layers.map(layerSizes);
  const nParams = sizes.reduce((a, z) => a + z.w + z.b, 0);
  const nState = sizes.reduce((a, z) => a + z.state, 0);
  const nPadded = align(nParams, 4);
  const D = plan.layers[0]!.in, Dp = align(D, 4);
  const maxC = Math.max(...plan.layers.map((l) => l.oc ?? l.out));
  let p = base;
  const layers = p; p = align(p + plan.layers.length * L.BYTES);
  // params and the bn state sit together, so a snapshot (fit's start, the best epoch) copies both
  const nModel = nPadded + align(nState, 4);
  const params = p; p += nModel * 4;
  const state = params + nPadded * 4;
  const normA = p; p += Dp * 4;
  const normB = p; p += Dp * 4;
  const scratch = p; p += 2 * Math.max(Dp, maxC) * 8;
  const inv = p; p = align(p + plan.layers.reduce((a, l) => a + ((l.op ?? OP.dense) === OP.batchnorm ? align(l.oc!, 4) : 0), 0) * 4);
  // one-row inference reads each dense layer's weights from a copy in 32-column strips (IC x 32
  // floats each, the last zero-padded), packed on first use after the params change
  const pack = p;
  const packOff = plan.layers.map((l) => {
    // (narrow layers keep the 8-column strips: a 32-wide strip would compute mostly padding)
    if ((l.op ?? OP.dense) !== OP.dense || (l.ic ?? l.in) !== l.in || (l.oc ?? l.out) < 64) return -1;
    const at = p - pack;
    p += l.in * Math.ceil((l.oc ?? l.out) / 32) * 32 * 4;
    return at;
  });
  p = align(p);
  return { layers, params, state, normA, normB, scratch, inv, pack, packOff, end: p, nParams, nState, nPadded, nModel };
}

/** Where the activation buffers for `rows` samples go from `base` (pure: setCapacity writes it, need() sizes it). */
function layoutActivations(plan: NetPlan, rows: number, base: number) {
  let p = base;
  const y: number[] = [], aux: number[] = [];
  let maxW = 0, maxWeights = 0, maxCol = 0;
  plan.layers.forEach((l) => {
    const op = l.op ?? OP.dense;
    y.push(p);
    p = align(p + rows * l.out * 4);
    if (op === OP.maxpool || op === OP.dropout || op === OP.batchnorm) {
      aux.push(p);
      p = align(p + rows * l.out * 4);
    } else {
      aux.push(-1);
    }
    maxW = Math.max(maxW, l.in, l.out);
    // K^T scratch: only a conv with fewer than 4 filters transposes its kernel (dense and the
    // other convs read their weights transposed in place)
    if (op === OP.conv && l.oc! < 4) maxWeights = Math.max(maxWeights, layerSizes(l).w);
    const patch = (l.kh ?? 1) * (l.kw ?? 1);
    if (op === OP.conv) maxCol = Math.max(maxCol, (l.oh ?? 1) * (l.ow ?? 1) * patch * l.ic!);
    if (op === OP.convt) maxCol = Math.max(maxCol, (l.ih ?? 1) * (l.iw ?? 1) * patch * l.oc!);
  });
  const D = plan.layers[0]!.in, O = plan.layers[plan.layers.length - 1]!.out;
  const fields: [number, number][] = [];
  const put = (field: number, bytes: number) => { fields.push([field, p]); p = align(p + bytes); };
  put(C.BATCH_IN, rows * D * 4);
  put(C.BATCH_TGT, rows * O * 4);
  put(C.DELTA0, rows * maxW * 4);
  put(C.DELTA1, rows * maxW * 4);
  put(C.WT, maxWeights * 4);
  // patch scratch: at least one sample's patches, up to 1 Mi floats so conv GEMMs span many samples
  const colcap = Math.max(maxCol, Math.min(1 << 20, maxCol * rows));
  put(C.COL, colcap * 4);
  return { y, aux, fields, colcap, end: p };
}

/** Loads the module's exports into a fresh instance. */
export async function instantiateKernel(module: WebAssembly.Module): Promise<Kernel> {
  if (!(module instanceof WebAssembly.Module)) {
    throw new AutoencoderError(`the wasm option must be a WebAssembly.Module (compile build/kernels.wasm with WebAssembly.compile first), got ${describe(module)}`);
  }
  const imports = WebAssembly.Module.imports(module);
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = ['memory', ...ABI_EXPORTS].filter((n) => !names.has(n));
  if (imports.length > 0 || missing.length > 0) {
    throw new AutoencoderError(`the wasm module is not this package's kernels.wasm (${imports.length ? `it imports ${imports[0]!.module}.${imports[0]!.name}` : `it lacks ${missing.slice(0, 3).join(', ')}`}): pass the kernels.wasm shipped with autoencoder`);
  }
  const exports = await instantiate(module, {});
  const version = exports.ae_abi_version();
  if (version !== ABI_VERSION) {
    throw new AutoencoderError(`the wasm module has ABI version ${version} but these bindings need ${ABI_VERSION}: load the kernels.wasm shipped with this package version`);
  }
  return new Kernel(exports);
}

export class Kernel {
  readonly x: Exports;
  private readonly memory: WebAssembly.Memory;
  // arena offsets (bytes)
  ctx = 0;
  params = 0;
  grads = 0;
  trainBase = 0;   // where planTraining() puts the training-only blocks
  training = false;
  snapStart = 0;   // params before the current fit (restored on failure)
  snapBest = 0;    // best params so far (early stopping's restoreBest)
  normA = 0;
  normB = 0;
  scratch = 0;     // a free block between calls (norm_fit and batchnorm use it inside one)
  scratchBytes = 0;
  state = 0;      // non-trainable state block (batchnorm moving statistics)
  nState = 0;
  nParams = 0;     // real floats
  nPadded = 0;     // floats incl. padding to a multiple of 4
  nModel = 0;      // floats of params + state, as snapshots copy them
  cap = 0;
  plan: NetPlan | null = null;
  private actBase = 0;  // start of the capacity-dependent region
  private ioBase = 0;   // start of the per-call stack
  private ioTop = 0;

  constructor(exports: Exports) {
    this.x = exports;
    this.memory = exports.memory;
    this.ctx = align(exports.ae_heap_base());
    // the context block is reserved from the start (the rng lives in it); I/O begins after it
    this.actBase = this.ioBase = this.ioTop = this.ctx + C.BYTES;
  }

  // ---- views (fresh on every call: memory growth detaches old ones) ----
  f32(ptr: number, len: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, len); }
  i32(ptr: number, len: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, len); }
  u8(ptr: number, len: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, len); }
  private dv(): DataView { return new DataView(this.memory.buffer); }
  setI32(off: number, v: number): void { this.dv().setInt32(off, v, true); }
  getI32(off: number): number { return this.dv().getInt32(off, true); }
  setF32(off: number, v: number): void { this.dv().setFloat32(off, v, true); }
  setF64(off: number, v: number): void { this.dv().setFloat64(off, v, true); }

  /** What is growing memory, for the out-of-memory message (data calls alone are told to pass fewer rows). */
  oom: 'model' | 'capacity' | 'data' = 'model';
  /** Bytes of wasm memory in use now. */
  get memoryBytes(): number { return this.memory.buffer.byteLength; }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    let grown = bytes <= WASM_MAX_BYTES;
    if (grown) {
      try {
        this.memory.grow(pages);
      } catch {
        grown = false;
      }
    }
    if (!grown) {
      const limit = bytes > WASM_MAX_BYTES ? `more than the ${mib(WASM_MAX_BYTES)} a wasm32 memory can address` : 'which this runtime refused to allocate (a wasm32 memory addresses at most 4096 MiB; the host may allow less)';
      const fix = this.oom === 'data' ? `the model takes ${mib(this.ioBase)}: pass fewer rows per call`
        : this.oom === 'capacity' ? 'use a smaller batchSize'
        : 'use smaller layers (or fewer filters / a smaller input)';
      throw new AutoencoderError(`out of memory: ${this.oom === 'data' ? 'this call' : 'this model'} needs ${mib(bytes)} of wasm memory, ${limit}; ${fix}`);
    }
  }

  /** Lays out the fixed part of the arena for a model; zeroes it. */
  planModel(plan: NetPlan): void {
    const sizes = plan.layers.map(layerSizes);
    const { layers, params, state, normA, normB, scratch, inv, pack, packOff, end: p, nParams, nState, nPadded, nModel } = layoutModel(plan, this.ctx + C.BYTES);
    const D = plan.layers[0]!.in;
    this.oom = 'model';
    // a fresh instance's memory is zero, and planModel runs once per instance: nothing to clear
    this.ensure(p);
    this.scratch = scratch;
    this.scratchBytes = inv - scratch;
    this.params = params;
    this.trainBase = align(p);
    this.training = false;
    this.state = state;
    this.nState = nState;
    this.normA = normA;
    this.normB = normB;
    this.nParams = nParams;
    this.nPadded = nPadded;
    this.nModel = nModel;
    this.plan = plan;
    const c = this.ctx;
    this.setI32(c + C.NLAYERS, plan.layers.length);
    this.setI32(c + C.LOSS, plan.loss);
    this.setI32(c + C.NPARAMS, nPadded);
    this.setI32(c + C.PARAMS, params);
    this.setI32(c + C.LAYERS, layers);
    this.setI32(c + C.INDIM, D);
    this.setI32(c + C.OUTDIM, plan.layers[plan.layers.length - 1]!.out);
    this.setI32(c + C.NORM, plan.norm);
    this.setI32(c + C.NORM_A, normA);
    this.setI32(c + C.NORM_B, normB);
    this.setI32(c + C.SCRATCH, scratch);
    this.setI32(c + C.LATENT, plan.latent);
    this.setI32(c + C.PACK, pack);
    this.setI32(c + C.PACK_OK, 0);
    let off = 0, st = state, iv = inv;
    plan.layers.forEach((l, i) => {
      const e = layers + i * L.BYTES;
      const z = sizes[i]!;
      const op = l.op ?? OP.dense;
      this.setI32(e + L.OP, op);
      this.setI32(e + L.ACT, l.act);
      this.setI32(e + L.IN, l.in);
      this.setI32(e + L.OUT, l.out);
      this.setI32(e + L.W, off);
      this.setI32(e + L.B, off + z.w);
      this.setI32(e + L.PACK, packOff[i]!);
      off += z.w + z.b;
      const geo: [number, number | undefined, number][] = [
        [L.IH, l.ih, 1], [L.IW, l.iw, 1], [L.IC, l.ic, l.in], [L.OH, l.oh, 1], [L.OW, l.ow, 1], [L.OC, l.oc, l.out],
        [L.KH, l.kh, 1], [L.KW, l.kw, 1], [L.SH, l.sh, 1], [L.SW, l.sw, 1], [L.PT, l.pt, 0], [L.PL, l.pl, 0],
      ];
      for (const [field, v, dflt] of geo) this.setI32(e + field, v ?? dflt);
      this.setF32(e + L.RATE, l.rate ?? 0);
      this.setF32(e + L.EPS, l.eps ?? 0);
      if (op === OP.batchnorm) {
        this.setI32(e + L.STATE, st);
        this.setI32(e + L.AUX2, iv);
        iv = align(iv + l.oc! * 4);
      }
      st += z.state * 4;
    });
    // identity normalizer until one is fitted
    this.f32(normB, D).fill(1);
    this.actBase = this.trainBase;
    this.cap = 0;
    this.setCapacity(256, 'model');
  }

  /**
   * Places the blocks only training needs (gradients, moments, two snapshots: five times the params)
   * before the activation buffers, the first time a model trains; a model loaded to score never pays
   * for them. Call only while no I/O is held (the activation and I/O regions move).
   */
  planTraining(): void {
    if (this.training) return;
    let p = this.trainBase;
    const take = (floats: number) => { const at = p; p += floats * 4; return at; };
    this.grads = take(this.nPadded);
    const m = take(this.nPadded), v = take(this.nPadded);
    this.snapStart = take(this.nModel);
    this.snapBest = take(this.nModel);
    this.oom = 'model';
    this.ensure(p);
    // the I/O region may have used this memory before: moments start at zero (ae_optimizer_reset), the rest is written before it is read
    const c = this.ctx;
    this.setI32(c + C.GRADS, this.grads);
    this.setI32(c + C.M, m);
    this.setI32(c + C.V, v);
    this.training = true;
    this.actBase = align(p);
    const cap = this.cap;
    this.cap = 0;
    this.setCapacity(cap, 'model');
  }

  /** Sizes the activation buffers for `rows` samples per batch/chunk (only ever grows). */
  setCapacity(rows: number, why: 'model' | 'capacity' = 'capacity'): void {
    if (rows <= this.cap) return;
    const a = layoutActivations(this.plan!, rows, this.actBase);
    this.oom = why;
    this.ensure(a.end);
    const c = this.ctx;
    const layers = this.getI32(c + C.LAYERS);
    a.y.forEach((y, i) => {
      this.setI32(layers + i * L.BYTES + L.Y, y);
      if (a.aux[i]! >= 0) this.setI32(layers + i * L.BYTES + L.AUX, a.aux[i]!);
    });
    for (const [field, at] of a.fields) this.setI32(c + field, at);
    this.setI32(c + C.COLCAP, a.colcap);
    this.setI32(c + C.CAP, rows);
    this.cap = rows;
    this.ioBase = this.ioTop = a.end;
  }

  /** Bytes of wasm memory a model needs: its fixed blocks, the training blocks when `training`, activations for `rows`. */
  need(plan: NetPlan, training: boolean, rows: number): number {
    const m = layoutModel(plan, this.ctx + C.BYTES);
    const train = training ? (3 * m.nPadded + 2 * m.nModel) * 4 : 0;
    return layoutActivations(plan, rows, align(m.end) + train).end;
  }

  // ---- the per-call stack: alloc inside mark/release (nested calls from callbacks stack above) ----
  mark(): number { return this.ioTop; }
  release(mark: number): void { this.ioTop = mark; }
  alloc(bytes: number): number {
    const p = this.ioTop;
    this.oom = 'data';
    this.ensure(p + bytes);
    this.ioTop = align(p + bytes);
    return p;
  }
  /** True while some call holds I/O memory (a fit in progress): capacity must not move then. */
  get ioBusy(): boolean { return this.ioTop !== this.ioBase; }

  // ---- param block ----
  paramsView(): Float32Array { return this.f32(this.params, this.nParams); }
  /** Call after writing the param block (load, setWeights, a restored snapshot): the packed copy for
   *  one-row inference is rebuilt on later calls. Reading (getWeights, save) keeps it. */
  paramsChanged(): void { this.setI32(this.ctx + C.PACK_OK, 0); }
  stateView(): Float32Array { return this.f32(this.state, this.nState); }
  copyParams(dst: number, src: number): void {
    if (dst === this.params) this.paramsChanged();
    new Uint8Array(this.memory.buffer).copyWithin(dst, src, src + this.nModel * 4);
  }

  setOptimizer(opt: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, momentum: number, noise: number): void {
    const c = this.ctx;
    this.setI32(c + C.OPT, opt);
    this.setF32(c + C.LR, lr);
    this.setF32(c + C.BETA1, beta1);
    this.setF32(c + C.BETA2, beta2);
    this.setF32(c + C.EPS, eps);
    this.setF32(c + C.WD, wd);
    this.setF32(c + C.MOMENTUM, momentum);
    this.setF32(c + C.NOISE, noise);
    this.setF64(c + C.B1T, 1);
    this.setF64(c + C.B2T, 1);
  }

  /** Copies the normalizer (A then B, D floats each). */
  normalizer(): [Float32Array, Float32Array] {
    const D = this.plan!.layers[0]!.in;
    return [this.f32(this.normA, D).slice(), this.f32(this.normB, D).slice()];
  }
}
