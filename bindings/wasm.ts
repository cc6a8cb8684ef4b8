// wasm.ts: instantiates the module, owns its memory and is the one door to its exports (hash-wasm's
// WASMInterface): index.ts, codec.ts and series.ts call the kernels through the verbs at the end of this
// file (seedStreams, trainEpoch, infer, ...) with the regions a Kernel hands out; tests/abi.test.ts holds
// them to it. threads.ts, the threaded module's loader, attaches its workers' pool itself.
// One Kernel = one instance = one model's memory. It plans the arena (context block, layer
// table, params/grads/moments, normalizer, activation buffers for a batch capacity), grows
// memory only while planning, and hands out a stack of I/O regions for each call's data.
// Views on memory.buffer are made fresh for every access (growth detaches old ones), and
// everything returned to callers is a copy.

import { instantiate } from '../build/kernels.js';
import { AutoencoderError, describe } from './errors.js';
import type { PoolHandle } from './threads.js';

export type Exports = Awaited<ReturnType<typeof instantiate>>;

/** The export list of assembly/abi.ts (the shipped module); tests/abi.test.ts compares it with the compiled module. */
export const ABI_EXPORTS = [
  'ae_abi_version', 'ae_heap_base', 'ae_seed', 'ae_init_params', 'ae_optimizer_reset', 'ae_perm_init',
  'ae_train_epoch', 'ae_eval_loss', 'ae_infer', 'ae_score', 'ae_explain', 'ae_norm_fit', 'ae_norm_apply',
  'ae_find_nonfinite', 'ae_find_below', 'ae_find_outside', 'ae_quantile', 'ae_detect', 'ae_crc32', 'ae_crc32_update',
  'ae_rng_fill', 'ae_add_noise', 'ae_seed_stream', 'ae_col_minmax', 'ae_vae_kl_rows', 'ae_sample_rows', 'ae_elbo_rows',
  'ae_series_push', 'ae_series_check', 'ae_series_blocks', 'ae_series_fill', 'ae_series_pick',
  'ae_codec_quantize', 'ae_codec_quantize_with', 'ae_codec_quantize_int', 'ae_codec_dequantize', 'ae_codec_count', 'ae_codec_tables', 'ae_codec_write_tables',
  'ae_codec_read_tables', 'ae_codec_encode', 'ae_codec_decode', 'ae_hash64_update',
  'ae_ens_draw', 'ae_ens_epoch', 'ae_ens_stats', 'ae_ens_score', 'ae_ens_clean', 'ae_dens_fit',
  'ae_workspace', 'ae_bound',
] as const;
/** ABI_EXPORTS.length + 1 (memory), a literal: instantiateKernel() checks the count, so the list (1.5 KB of
 *  names, 0.3 KB gzipped) stays out of bundles; tests/abi.test.ts keeps the two equal. A module with more
 *  exports passes the count (build/kernels-test.wasm: these plus the raw kernels tests call). */
export const ABI_EXPORT_COUNT = 52;
/** The scoring module's (assembly/abi-score.ts) export count, memory included; tests/score-module.test.ts checks it. */
export const SCORE_EXPORT_COUNT = 22;
export const ABI_VERSION = 16;

// context block layout (assembly/arena.ts; tests/layout.test.ts checks every number against it)
export const C = {
  NLAYERS: 0, LOSS: 4, OPT: 8, CAP: 12, NPARAMS: 16, PARAMS: 20, GRADS: 24, M: 28, V: 32, LAYERS: 36,
  INDIM: 40, OUTDIM: 44, NORM: 48, NORM_A: 52, NORM_B: 56, SCRATCH: 60, BATCH_IN: 64, BATCH_TGT: 68,
  DELTA0: 72, DELTA1: 76, WT: 80, STEP: 84, LATENT: 88, COL: 92, LR: 96, BETA1: 100, BETA2: 104, EPS: 108, WD: 112,
  MOMENTUM: 116, B1T: 120, B2T: 128, DRAW: 136, NOISE: 152, COLCAP: 156, PACK: 160, PACK_OK: 164, KD: 176, SCRATCHCAP: 180, TPART: 184, DRAW_ROW: 248, DRAW_N: 252,
  RNG: 256, NTERMS: 336, NOISE_KIND: 340, NOISE_LO: 344, NOISE_HI: 348, TERMSUM: 352, TERMS: 416, COND: 544,
  CONDDIM: 548, BATCH_COND: 552, NOISE_MIN: 556, NOISE_MAX: 560, COND_BASE: 564, CSCRATCH: 568, CSCRATCHCAP: 572, BYTES: 576,
} as const;
/**
 * The shard block of data-parallel training (assembly/arena.ts SHARDS, SH_*): the default shard count and the most, the
 * context field of its address, its byte offsets.
 */
export const SH = { SHARDS: 4, MAX: 16, FIELD: 168, N: 0, CTX: 8, BYTES: 72 } as const;
/** The shard block's bytes before its shards' context blocks (SH.BYTES rounded up to 64: syncShards, shardPlan). */
const SH_HEAD = 128;
/** An ensemble's lanes block (assembly/arena.ts LN_*): the context field of its address, its byte offsets (syncLanes). */
export const LN = { FIELD: 172, N: 0, STEP: 4, B1T: 8, B2T: 16, TERMS: 24, RES: 88, CTX: 92 } as const;
export const L = {
  OP: 0, ACT: 4, IN: 8, OUT: 12, W: 16, B: 20, Y: 24, IH: 28, IW: 32, IC: 36, OH: 40, OW: 44, OC: 48,
  KH: 52, KW: 56, SH: 60, SW: 64, PT: 68, PL: 72, AUX: 76, AUX2: 80, RATE: 84, EPS: 88, STATE: 92, PACK: 96,
  SRC0: 100, SRC1: 104, DY: 108, ACC0: 112, ACC1: 116, BYTES: 128,
} as const;
/** Loss term table entry, kinds, rng purposes, noise kinds and tensor ids (assembly/arena.ts). */
export const T = { KIND: 0, TENSOR: 4, WEIGHT: 8, PARAM: 12, BYTES: 16, MAX: 8 } as const;
export const TERM = { recon: 1, l1: 2, klSparse: 3, vaeKl: 4, contractive: 5, rate: 6 } as const;
export const RNG = { init: 0, shuffle: 1, dropout: 2, noise: 3, sample: 4, streams: 5 } as const;
export const NOISE = { gaussian: 0, mask: 1, saltPepper: 2 } as const;
export const SRC = { input: -1, cond: -2, none: -3 } as const;
export const OP = { dense: 1, conv: 2, convt: 3, maxpool: 4, upsample: 5, dropout: 6, copy: 7, batchnorm: 8, concat: 9, sample: 10 } as const;

/**
 * The series state block (assembly/series.ts S_*): byte offsets of its f64/i32/f32 fields, then
 * BYTES, where its rings start (tests/layout.test.ts checks every number against series.ts).
 */
export const S = {
  MEAN: 0, STD: 8, MIN: 16, MAX: 24, ESUM: 32, ESQ: 40, SSUM: 48, COUNT: 56, W: 60, H: 64, NTRAIN: 68, EP0: 72, EP: 76, CAD: 80,
  WARM: 84, BATCH: 88, LS: 92, LL: 96, EN: 100, NEXT: 104, MINHIST: 108, SPATIAL: 112, ERRMODE: 116, SDFLOOR: 120, SUP: 124,
  LASTT: 128, CTX: 136, CB: 140, DEFSPAN: 144, TIMED: 148, FULL: 152, BASE: 160, REL: 168, MASK: 172, PSUM: 176, PSQ: 184,
  PSSUM: 192, PLS: 200, PFLOOR: 204, QSUM: 208, QSQ: 216, QSSUM: 224, QW: 232,
  RSPAN: 236, RLEVEL: 240, RMARGIN: 244, RAT: 248, RVAL: 252, MEMK: 256, MEMN: 260, MTOL: 264, MAMP: 268, ORIGIN: 272, CTXFIT: 280, SRAMP: 284, SRCONF: 288, DEMEAN: 292, FILL: 296, STEPF: 300, BYTES: 304,
} as const;

/** The series scratch (assembly/series.ts SCRATCH_*): rows of reconstructions its mean-error pass holds at once. */
export const SCRATCH = { YROWS: 32 } as const;

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
  /** Input tensors: a node index, SRC.input or SRC.cond (default: the node before, the input for node 0); src1 only for concat. */
  src0?: number; src1?: number;
}

/** One loss term: its kind, the node whose output it reads, its weight and a kind-specific parameter (sparse KL: rho). */
export interface TermPlan { kind: number; tensor: number; weight: number; param?: number }

/** Floats of weights, bias and non-trainable state one layer holds. */
export function layerSizes(l: LayerPlan): { w: number; b: number; state: number } {
  const op = l.op ?? OP.dense;
  const ic = l.ic ?? l.in, oc = l.oc ?? l.out;
  if (op === OP.dense) return { w: ic * oc, b: oc, state: 0 };
  if (op === OP.conv || op === OP.convt) return { w: (l.kh ?? 1) * (l.kw ?? 1) * ic * oc, b: oc, state: 0 };
  if (op === OP.batchnorm) return { w: oc, b: oc, state: 2 * oc };
  return { w: 0, b: 0, state: 0 };
}

/**
 * About the multiply-adds of one row's forward pass through the plan (a product's, else one per output): fit()'s measure
 * of work where the clock cannot time its calls.
 */
export function rowMacs(plan: NetPlan): number {
  return plan.layers.reduce((s, l) => {
    const op = l.op ?? OP.dense, { w } = layerSizes(l);
    if (op === OP.dense) return s + (l.in / (l.ic ?? l.in)) * w;
    if (op === OP.conv) return s + (l.oh ?? 1) * (l.ow ?? 1) * w;
    if (op === OP.convt) return s + (l.ih ?? 1) * (l.iw ?? 1) * w;
    return s + l.out;
  }, 0);
}

/** Everything the arena needs to know about a model. */
export interface NetPlan {
  layers: LayerPlan[];
  latent: number;      // index of the bottleneck layer
  loss: number;
  norm: number;
  /** The loss terms (default: the reconstruction alone, weight 1, on the last node). */
  terms?: TermPlan[];
  /** Width of the condition rows (conditional VAE), default 0. */
  condDim?: number;
  /** An ensemble's member count (assembly/ensemble.ts): the params K times, then f32[K][D + 2] statistics. */
  members?: number;
  /** An ensemble's latent density term (assembly/density.ts): at most this many reference codes, 0 = none. */
  density?: number;
}

/** Width of the network input x (a first concat node joins it with the condition). */
export const inputWidth = (plan: NetPlan) => (plan.layers[0]!.op === OP.concat ? plan.layers[0]!.ic! : plan.layers[0]!.in);

const src0Of = (l: LayerPlan, i: number) => l.src0 ?? (i === 0 ? SRC.input : i - 1);
const srcsOf = (l: LayerPlan, i: number) => [src0Of(l, i), ...(l.src1 === undefined ? [] : [l.src1])];

/**
 * Gradient buffers for backward: node i's dLoss/dY goes to pool slot buf[i], taken when a consumer
 * first writes it (the loss, for the last node) and given back once node i has passed it on, so a
 * chain ping-pongs between two slots. acc[i][k] = 1 when input k's gradient was written by a later
 * node first (fan-out: this node adds). Also refuses a node whose output nothing reads.
 */
export function planGradients(layers: LayerPlan[]): { buf: number[]; slots: number; acc: number[][] } {
  const n = layers.length;
  const buf = new Array<number>(n).fill(-1);
  const free: number[] = [];
  let slots = 0;
  const take = () => (free.length ? free.pop()! : slots++);
  const acc = layers.map(() => [0, 0]);
  const written = new Array<boolean>(n).fill(false);
  buf[n - 1] = take();
  written[n - 1] = true;
  for (let i = n - 1; i >= 0; i--) {
    if (!written[i]) throw new AutoencoderError(`internal: node ${i}'s output is read by no node or term`);
    srcsOf(layers[i]!, i).forEach((s, k) => {
      if (s < 0) return;
      if (s >= i) throw new AutoencoderError(`internal: node ${i} reads node ${s}, which is not before it`);
      if (written[s]) acc[i]![k] = 1;
      else { buf[s] = take(); written[s] = true; }
    });
    free.push(buf[i]!);
  }
  return { buf, slots, acc };
}

/** The bytes of the k-d index of up to Rmax reference codes of width L (assembly/density.ts kd_bytes, KD_LEAF 32). */
export function kdBytes(Rmax: number, L: number): number {
  const NL = Math.ceil(Rmax / 32), Rq = NL * 32;
  return 16 + 4 * L * Rq + 8 * Rq + Math.max(1, 2 * NL - 1) * (8 + 8 * (Math.ceil(L / 4) * 4));
}

const PAGE = 65536;
const align = (n: number, a = 16) => Math.ceil(n / a) * a;
/** A wasm32 memory addresses at most 65536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 65536 * PAGE;
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The widths of `plan`'s sparse KL terms' tensors, in term order (each term's f64 column sums or means: assembly/terms.ts). */
const klWidths = (plan: NetPlan): number[] => (plan.terms ?? []).filter((t) => t.kind === TERM.klSparse).map((t) => plan.layers[t.tensor]!.out);

/** Where each fixed block of a model goes from `base` (pure: planModel writes it, need() sizes it). */
function layoutModel(plan: NetPlan, base: number) {
  const sizes = plan.layers.map(layerSizes);
  const nParams = sizes.reduce((a, z) => a + z.w + z.b, 0);
  const nState = sizes.reduce((a, z) => a + z.state, 0);
  const nPadded = align(nParams, 4);
  const D = inputWidth(plan), Dp = align(D, 4);
  // an ensemble: K members' params back to back (each padded), its statistics after the bn state
  const K = plan.members ?? 0, nBlock = K ? K * nPadded : nPadded, nStats = K * (D + 2);
  // then its density block (assembly/density.ts): R, tMed, c, L and up to `density` (rounded up to 4) codes of width L
  const nDens = K && plan.density ? 4 + align(plan.density, 4) * plan.layers[plan.latent]!.out : 0;
  const maxC = Math.max(...plan.layers.map((l) => l.oc ?? l.out));
  let p = base;
  const layers = p; p = align(p + plan.layers.length * L.BYTES);
  // params and the bn state sit together, so a snapshot (fit's start, the best epoch) copies both
  const nModel = nBlock + align(nState + nStats + nDens, 4);
  const params = p; p += nModel * 4;
  const state = params + nBlock * 4;
  const normA = p; p += Dp * 4;
  const normB = p; p += Dp * 4;
  // (f64: norm_fit's and batchNorm's 2 per column or channel, and a sparse KL term's column means over its tensor's
  // width, which a conv code can make wider than both: assembly/terms.ts term_raw)
  const scratch = p; p += Math.max(2 * Math.max(Dp, maxC), ...klWidths(plan)) * 8;
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
  // an ensemble's density block's k-d index (assembly/density.ts kd_bytes): derived from the block, built in
  // wasm at fit()'s end and once 256 rows are scored after the block changes (paramsChanged), never saved
  const kd = nDens ? p : 0;
  if (kd) p = align(p + kdBytes(plan.density!, plan.layers[plan.latent]!.out));
  return { layers, params, state, normA, normB, scratch, inv, pack, packOff, kd, end: p, nParams, nState, nPadded, nModel, nBlock, nStats, nDens };
}

/**
 * Patch scratch (floats) of a conv layer on assembly/winograd.ts's F(2x2, 3x3) path, 0 for the
 * others: the same test (wino_eligible) and size (wino_floats) as there.
 */
export function winogradFloats(l: LayerPlan): number {
  const C = l.ic!, F = l.oc!;
  if (l.kh !== 3 || l.kw !== 3 || (l.sh ?? 1) !== 1 || (l.sw ?? 1) !== 1 || C % 4 || F % 4 || C < 8 || F < 8) return 0;
  const tiles = (h: number, w: number) => ((h + 1) >> 1) * ((w + 1) >> 1);
  return 32 * C * F + 16 * Math.max(tiles(l.oh!, l.ow!), tiles(l.ih!, l.iw!)) * (C + F);
}

/**
 * Patch scratch (floats) of a transposed conv on assembly/subpixel.ts's path (3x3 stride 2, padding-
 * before 0, channels in f32x4 lanes, >= 8), 0 for the others: the same test (subpixel_eligible) and
 * size (subpixel_floats) as there.
 */
export function subpixelFloats(l: LayerPlan): number {
  const H = l.ih!, W = l.iw!, OH = l.oh!, OW = l.ow!, C = l.ic!, F = l.oc!;
  if (l.kh !== 3 || l.kw !== 3 || l.sh !== 2 || l.sw !== 2 || (l.pt ?? 0) !== 0 || (l.pl ?? 0) !== 0 || (OH !== 2 * H && OH !== 2 * H + 1)
    || (OW !== 2 * W && OW !== 2 * W + 1) || C % 4 || F % 4 || C < 8 || F < 8) return 0;
  const outs = (a: number, O: number) => (a === 0 ? (O + 1) >> 1 : O >> 1);
  const tiles = (a: number, O: number) => (a === 0 ? (outs(0, O) + 1) >> 1 : outs(1, O));
  const points = (a: number) => (a === 0 ? 3 : 1);
  let most = 0;
  for (const a of [0, 1]) for (const b of [0, 1]) most = Math.max(most, points(a) * points(b) * tiles(a, OH) * tiles(b, OW));
  return 16 * C * F + most * (C + F);
}

/** Floats of a layer's own dV block, summed over a batch's chunks: a Winograd conv's [16][C][F]
 *  (assembly/winograd.ts) or a sub-pixel transposed conv's [16][F][C] (assembly/subpixel.ts); else 0. */
export function dvFloats(l: LayerPlan): number {
  const op = l.op ?? OP.dense;
  return (op === OP.conv && winogradFloats(l) > 0) || (op === OP.convt && subpixelFloats(l) > 0) ? 16 * l.ic! * l.oc! : 0;
}

/**
 * True when `plan` trains in data-parallel shards (shardPlan): a conv model without a condition or a contractive term.
 * Dropout and sampling shard too, and so do the statistics over the whole batch: batchNorm's in a chain of nodes (each
 * reading the one before it) and sparse KL's column means, their sums added over the shards between phases.
 */
export function shardable(plan: NetPlan): boolean {
  const ops = plan.layers.map((l) => l.op ?? OP.dense);
  // (dropout and sampling draw the numbers each shard's rows draw in one pass: train.ts draws_at)
  if (!ops.some((op) => op === OP.conv || op === OP.convt)) return false;
  if (ops.includes(OP.batchnorm) && plan.layers.some((l, i) => l.src1 !== undefined || (l.src0 !== undefined && l.src0 !== i - 1))) return false;
  // (the contractive term takes its Jacobians over the batch in one pass)
  return !((plan.condDim ?? 0) > 0 || plan.members || plan.terms?.some((t) => t.kind === TERM.contractive));
}

/**
 * The shard block of a model trained in data-parallel shards (assembly/train.ts net_grads), or null
 * for one pass: a shardable() model. Per shard a context block and layer table (syncShards), per
 * shard after the first a gradient block and, when the model has threads (a shard then runs on
 * whichever thread takes it), its own patch, transposed-kernel and Winograd dV scratch, sized for
 * a chunk of rows (train.ts TRAIN_FLOATS) rather than the batch.
 */
function shardPlan(plan: NetPlan, nPadded: number, threaded: boolean, shards: number) {
  if (!shardable(plan)) return null;
  // the widest activation (a gradient slot's row), one sample's patches (one row's colcap), the transposed kernel (layoutActivations)
  const rowW = Math.max(...plan.layers.map((l) => Math.max(l.in, l.out))), col1 = layoutActivations(plan, 1, 0).colcap;
  const chunk = Math.max(1, Math.floor((1 << 16) / Math.max(...plan.layers.map((l) => l.out))));
  const colcap = threaded ? align(Math.max(col1, Math.min(1 << 20, col1 * chunk)), 16) : 0;
  const wt = threaded ? align(Math.max(...plan.layers.map((l) => (l.op === OP.conv && l.oc! < 4 ? layerSizes(l).w : 0))), 16) : 0;
  const dv = threaded ? plan.layers.reduce((a, l) => a + dvFloats(l), 0) : 0;
  const ctxBytes = align(C.BYTES + plan.layers.length * L.BYTES, 64), each = nPadded + colcap + wt + dv;
  // each shard's sums (its C_SCRATCH): of its batchNorm nodes' channels (train.ts bn_phase: f64[2 C]), then of its
  // sparse KL terms' columns (kl_sums: f64 per value of each term's tensor)
  const bnC = Math.max(0, ...plan.layers.map((l) => ((l.op ?? OP.dense) === OP.batchnorm ? l.oc! : 0)));
  const klW = klWidths(plan).reduce((a, w) => a + w, 0);
  const sumBytes = bnC + klW ? align(16 * bnC + 8 * klW, 64) : 0;
  return { rowW, colcap, wt, dv, ctxBytes, each, sumBytes, shards, bytes: SH_HEAD + shards * ctxBytes + (shards - 1) * each * 4 + shards * sumBytes };
}

/**
 * The lanes block of an ensemble on a pool of `threads` (assembly/ensemble.ts ens_epoch: each member's epoch
 * whole on one thread), or null: the members train in turn. Only for members of dense layers whose loss is
 * the reconstruction alone (no batch statistics, dropout, sampling or condition: nothing an epoch draws but
 * its shuffle, which the lanes take drawn). Per lane a context block and layer table (syncLanes), per lane
 * after the first a gradient block, and each member's epoch objective (f64).
 */
function lanePlan(plan: NetPlan, nPadded: number, threads: number) {
  if (!plan.members || threads < 2 || (plan.condDim ?? 0) > 0 || plan.layers.some((l) => (l.op ?? OP.dense) !== OP.dense)) return null;
  if (plan.terms && (plan.terms.length !== 1 || plan.terms[0]!.kind !== TERM.recon)) return null;
  const ctxBytes = align(C.BYTES + plan.layers.length * L.BYTES, 64), head = align(LN.CTX + 4 * threads, 64);
  return { threads, ctxBytes, head, bytes: head + threads * ctxBytes + (threads - 1) * nPadded * 4 + align(plan.members * 8, 64) };
}

/** Bytes of the shard block (or an ensemble's lanes block) planTraining() places for `plan` on kernel k (0: none). */
export function shardBytes(plan: NetPlan, k: Kernel): number {
  const nPadded = align(plan.layers.map(layerSizes).reduce((a, z) => a + z.w + z.b, 0), 4);
  return (shardPlan(plan, nPadded, !!k.pool, k.shards)?.bytes ?? 0) + (lanePlan(plan, nPadded, k.pool?.threads ?? 1)?.bytes ?? 0);
}

/** The lanes an ensemble's epochs run on (one per thread of its pool), 1 when its members train in turn. */
export function laneCount(k: Kernel): number {
  return k.pool && k.training && k.getI32(k.ctx + LN.FIELD) ? k.pool.threads : 1;
}

/**
 * Writes an ensemble's lane contexts from its own (call after its buffers move: planTraining, fit's
 * capacity; and at the start of each training pass, whose hyperparameters the lanes copy): lane t is a
 * copy whose capacity is CAP / lanes rows, its batch, activation and gradient-slot buffers rows t * that of
 * the model's, its gradient block its own (lane 0: the model's, which no one else uses while lanes run).
 */
export function syncLanes(k: Kernel): void {
  const c = k.ctx, ln = k.getI32(c + LN.FIELD);
  // (a model whose pool failed trains on one thread from then on: the kernel finds no pool and no lane is used)
  if (!ln || !k.pool) return;
  const plan = k.plan!, lp = lanePlan(plan, k.nPadded, k.pool.threads)!, layers = k.getI32(c + C.LAYERS), n = plan.layers.length;
  const cap = Math.floor(k.cap / lp.threads), rowW = Math.max(...plan.layers.map((l) => Math.max(l.in, l.out)));
  const D = inputWidth(plan), O = plan.layers[n - 1]!.out;
  const mem = k.u8(0, k.memoryBytes);
  k.setI32(ln + LN.N, lp.threads);
  k.setI32(ln + LN.RES, ln + lp.head + lp.threads * lp.ctxBytes + (lp.threads - 1) * k.nPadded * 4);
  for (let t = 0; t < lp.threads; t++) {
    const cs = ln + lp.head + t * lp.ctxBytes, ls = align(cs + C.BYTES, 64), row0 = t * cap;
    k.setI32(ln + LN.CTX + 4 * t, cs);
    mem.copyWithin(cs, c, c + C.BYTES);
    mem.copyWithin(ls, layers, layers + n * L.BYTES);
    k.setI32(cs + SH.FIELD, 0);
    k.setI32(cs + LN.FIELD, 0);
    k.setI32(cs + C.PACK_OK, 0);   // (a lane never takes the one-row packed path: its copy of the flag would go stale)
    k.setI32(cs + C.CAP, cap);
    k.setI32(cs + C.LAYERS, ls);
    k.setI32(cs + C.GRADS, t > 0 ? ln + lp.head + lp.threads * lp.ctxBytes + (t - 1) * k.nPadded * 4 : k.grads);
    k.setI32(cs + C.BATCH_IN, k.getI32(c + C.BATCH_IN) + row0 * D * 4);
    k.setI32(cs + C.BATCH_TGT, k.getI32(c + C.BATCH_TGT) + row0 * O * 4);
    k.setI32(cs + C.DELTA0, k.getI32(c + C.DELTA0) + row0 * rowW * 4);
    k.setI32(cs + C.DELTA1, k.getI32(c + C.DELTA1) + row0 * rowW * 4);
    plan.layers.forEach((l, i) => {
      const e = ls + i * L.BYTES;
      k.setI32(e + L.Y, k.getI32(e + L.Y) + row0 * l.out * 4);
      k.setI32(e + L.DY, k.getI32(e + L.DY) + row0 * rowW * 4);
    });
  }
}

/**
 * Writes a sharded model's shard contexts from its own (call after its buffers move: planTraining,
 * fit's capacity): shard s is a copy whose capacity is CAP / S rows (S its shard count, k.shards), its activation, cache and
 * gradient buffers rows s * that of the model's (a node's output and pool cache rows its own width,
 * a gradient slot's and DELTA0's rows the widest), its gradient block its own (shard 0: the model's),
 * and with threads, after shard 0, its own scratch. With threads the shards also split inference
 * (train.ts rows_through).
 */
export function syncShards(k: Kernel): void {
  const c = k.ctx, sh = k.getI32(c + SH.FIELD);
  if (!sh) return;
  const plan = k.plan!, sp = shardPlan(plan, k.nPadded, !!k.pool, k.shards)!, layers = k.getI32(c + C.LAYERS), n = plan.layers.length;
  const S = sp.shards, cap = Math.floor(k.cap / S);
  const mem = k.u8(0, k.memoryBytes);
  k.setI32(sh + SH.N, S);
  for (let s = 0; s < S; s++) {
    const cs = sh + SH_HEAD + s * sp.ctxBytes, ls = align(cs + C.BYTES, 64), row0 = s * cap;
    const own = s > 0 ? sh + SH_HEAD + S * sp.ctxBytes + (s - 1) * sp.each * 4 : 0;
    k.setI32(sh + SH.CTX + 4 * s, cs);
    mem.copyWithin(cs, c, c + C.BYTES);
    mem.copyWithin(ls, layers, layers + n * L.BYTES);
    k.setI32(cs + SH.FIELD, 0);
    k.setI32(cs + C.PACK_OK, 0);   // (a shard never takes the one-row packed path: its copy of the flag would go stale)
    k.setI32(cs + C.CAP, cap);
    k.setI32(cs + C.LAYERS, ls);
    k.setI32(cs + C.GRADS, s > 0 ? own : k.grads);
    k.setI32(cs + C.DELTA0, k.getI32(c + C.DELTA0) + row0 * sp.rowW * 4);
    if (own && k.pool) {
      k.setI32(cs + C.COL, own + k.nPadded * 4);
      k.setI32(cs + C.COLCAP, sp.colcap);
      k.setI32(cs + C.WT, own + (k.nPadded + sp.colcap) * 4);
    }
    if (sp.sumBytes) {
      k.setI32(cs + C.SCRATCH, sh + SH_HEAD + S * sp.ctxBytes + (S - 1) * sp.each * 4 + s * sp.sumBytes);
      k.setI32(cs + C.SCRATCHCAP, sp.sumBytes);
    }
    let dv = own + (k.nPadded + sp.colcap + sp.wt) * 4;
    plan.layers.forEach((l, i) => {
      const e = ls + i * L.BYTES, op = l.op ?? OP.dense;
      k.setI32(e + L.Y, k.getI32(e + L.Y) + row0 * l.out * 4);
      k.setI32(e + L.DY, k.getI32(e + L.DY) + row0 * sp.rowW * 4);
      if (op === OP.maxpool || op === OP.dropout || op === OP.sample || op === OP.batchnorm) k.setI32(e + L.AUX, k.getI32(e + L.AUX) + row0 * l.out * 4);
      if (dvFloats(l) > 0 && own && k.pool) {
        k.setI32(e + L.AUX, dv);
        dv += dvFloats(l) * 4;
      }
    });
  }
}

/** Where the activation buffers for `rows` samples go from `base` (pure: setCapacity writes it, need() sizes it). */
function layoutActivations(plan: NetPlan, rows: number, base: number, lanes = 1) {
  let p = base;
  const y: number[] = [], aux: number[] = [];
  let maxW = 0, maxWeights = 0, maxCol = 0;
  plan.layers.forEach((l) => {
    const op = l.op ?? OP.dense;
    y.push(p);
    p = align(p + rows * l.out * 4);
    // a Winograd conv's or sub-pixel transposed conv's dV, summed over a batch's chunks (dvFloats)
    const dv = dvFloats(l);
    if (dv > 0 || op === OP.maxpool || op === OP.dropout || op === OP.batchnorm || op === OP.sample) {
      aux.push(p);
      p = align(p + (dv > 0 ? dv : rows * l.out) * 4);
    } else {
      aux.push(-1);
    }
    maxW = Math.max(maxW, l.in, l.out);
    // K^T scratch: only a conv with fewer than 4 filters transposes its kernel (dense and the
    // other convs read their weights transposed in place)
    if (op === OP.conv && l.oc! < 4) maxWeights = Math.max(maxWeights, layerSizes(l).w);
    const patch = (l.kh ?? 1) * (l.kw ?? 1);
    if (op === OP.conv) maxCol = Math.max(maxCol, (l.oh ?? 1) * (l.ow ?? 1) * patch * l.ic!, winogradFloats(l));
    if (op === OP.convt) maxCol = Math.max(maxCol, (l.ih ?? 1) * (l.iw ?? 1) * patch * l.oc!, subpixelFloats(l));
  });
  const D = inputWidth(plan), O = plan.layers[plan.layers.length - 1]!.out;
  const fields: [number, number][] = [];
  const put = (field: number, bytes: number) => { fields.push([field, p]); p = align(p + bytes); };
  put(C.BATCH_IN, rows * D * 4);
  put(C.BATCH_TGT, rows * O * 4);
  put(C.BATCH_COND, rows * (plan.condDim ?? 0) * 4);
  // gradients: a pool of slots (planGradients); DELTA0 is the scratch of a node that adds into a
  // gradient another node wrote first, or of a batchNorm on the network input
  const g = planGradients(plan.layers);
  const wantTmp = g.acc.some((a) => a[0] || a[1]) || plan.layers.some((l, i) => l.op === OP.batchnorm && src0Of(l, i) < 0);
  put(C.DELTA0, wantTmp ? rows * maxW * 4 : 0);
  // the contractive penalty's scratch (assembly/contractive.ts): the first layer's W transposed, CAE_ROWS (16) f64
  // penalties, a block for each row of a chunk (chunk_rows: min(rows, 2^21 floats / a block's, 16), at least 2) of the
  // first layer's dM transposed, every layer's da and the row's terms of each layer's dW from the second on (In x O, O
  // rounded up to 16), a work block for each of the `lanes` threads (J_1..J_E, M_2..M_E, two G, dM transposed, dh),
  // then 16 floats that a last sixteen-wide block reads past the end and drops; CSCRATCHCAP its bytes (the test build
  // asserts that the kernel's own count fits). A weight of 0 needs none: contractive.ts computes nothing for it
  const ct = plan.terms?.find((t) => t.kind === TERM.contractive && t.weight !== 0);
  if (ct) {
    const enc = plan.layers.slice(0, ct.tensor + 1), maxO = Math.max(...enc.map((l) => l.out)), sumO = enc.reduce((a, l) => a + l.out, 0);
    const tw = enc.slice(1).reduce((a, l) => a + l.in * Math.ceil(l.out / 16) * 16, 0);
    const row = D * enc[0]!.out + sumO + tw, work = D * (2 * sumO - enc[0]!.out) + 3 * maxO * D + maxO;
    const chunk = Math.min(rows, Math.max(2, Math.min(16, Math.floor(2 ** 21 / row))));
    const bytes = (maxO * D + 2 * 16 + chunk * row + lanes * work + 16) * 4;
    fields.push([C.CSCRATCHCAP, bytes]);
    put(C.CSCRATCH, bytes);
  } else fields.push([C.CSCRATCH, 0], [C.CSCRATCHCAP, 0]);
  const pool: number[] = [];
  for (let k = 0; k < g.slots; k++) { pool.push(p); p = align(p + rows * maxW * 4); }
  fields.push([C.DELTA1, pool[0]!]);
  const dy = g.buf.map((b) => pool[b]!);
  put(C.WT, maxWeights * 4);
  // patch scratch: at least one sample's patches, up to 1 Mi floats so conv GEMMs span many samples
  const colcap = Math.max(maxCol, Math.min(1 << 20, maxCol * rows));
  put(C.COL, colcap * 4);
  return { y, aux, dy, fields, colcap, end: p };
}

/** Each model's kernel, for the package's own modules (series.ts) only: index.ts does not re-export it. */
const kernels = new WeakMap<object, () => Kernel | null>();
/** Internal: lets {@link kernelOf} reach `owner`'s kernel (null once it is disposed) without its private fields. */
export function exposeKernel(owner: object, get: () => Kernel | null): void { kernels.set(owner, get); }
/** Internal: the kernel of a model that called {@link exposeKernel}, or null once it is disposed. */
export function kernelOf(owner: object): Kernel | null { return kernels.get(owner)?.() ?? null; }

/**
 * The blocks a model carries from one training to the next, as [ptr, bytes]: weights (and bn
 * state), Adam's two moments, the optimizer step, the beta powers and every rng stream (key and
 * counter). Needs planTraining(). Trainings saved and restored through them continue bit for bit.
 * (A function, not a Kernel method, so bundles that only score leave it out.)
 */
export function trainingBlocks(k: Kernel): [number, number][] {
  const c = k.ctx;
  return [
    [k.params, k.nModel * 4], [k.getI32(c + C.M), k.nBlock * 4], [k.getI32(c + C.V), k.nBlock * 4],
    [c + C.STEP, 4], [c + C.B1T, C.B2T + 8 - C.B1T], [c + C.RNG, RNG.streams * 16],
  ];
}

/** Loads the module's exports into a fresh instance. */
export async function instantiateKernel(module: WebAssembly.Module, kind: 'full' | 'score' = 'full'): Promise<Kernel> {
  if (!(module instanceof WebAssembly.Module)) {
    throw new AutoencoderError(`the wasm option must be a WebAssembly.Module (compile build/kernels.wasm with WebAssembly.compile first), got ${describe(module)}`);
  }
  const imports = WebAssembly.Module.imports(module);
  const exported = WebAssembly.Module.exports(module);
  const names = new Set(exported.map((e) => e.name));
  // @__KEY__: the name is mangled with the property accesses in dist/ (tools/build.mjs renames the exports to match)
  const ours = imports.length === 0 && names.has('memory') && names.has(/* @__KEY__ */ 'ae_abi_version');
  if (ours && exported.length >= SCORE_EXPORT_COUNT && exported.length < ABI_EXPORT_COUNT && kind === 'full') {
    throw new AutoencoderError('the wasm module is kernels-score.wasm, the scoring module, which only AutoencoderLite can run: training, Autoencoder.load(), the codec and SeriesDetector need kernels.wasm');
  }
  const need = kind === 'full' ? ABI_EXPORT_COUNT : SCORE_EXPORT_COUNT;
  if (!ours || exported.length < need) {
    const why = imports.length ? `it imports ${imports[0]!.module}.${imports[0]!.name}`
      : !names.has('memory') ? `it exports no memory (${exported.length} exports)`
      // (a module with the count but not this version's export names: another build, e.g. build/kernels.wasm's
      // long names where dist/'s bindings call the short ones, or another version of the package)
      : !names.has(/* @__KEY__ */ 'ae_abi_version') ? `its ${exported.length} exports lack this build's ABI version: another build or version`
      : `it has ${exported.length} exports where this package's has at least ${need}`;
    throw new AutoencoderError(`the wasm module is not this package's kernels.wasm (${why}): pass the kernels.wasm shipped with autoencoder`);
  }
  let at = spares.length - 1;
  while (at >= 0 && spares[at]!.module !== module) at--;
  if (at >= 0) {
    const [spare] = spares.splice(at, 1);
    spareBytes -= spare!.bytes;
    return new Kernel(spare!.exports, 0, module);
  }
  const exports = await instantiate(module, {});
  const version = exports.ae_abi_version();
  if (version !== ABI_VERSION) {
    throw new AutoencoderError(`the wasm module has ABI version ${version} but these bindings need ${ABI_VERSION}: load the kernels.wasm shipped with this package version`);
  }
  // (its static data as instantiated, below the heap, where all else is zeros: what a spare is wiped back to)
  if (!firstMemory.has(module)) firstMemory.set(module, new Uint8Array(exports.memory.buffer, 0, exports.ae_heap_base()).slice());
  return new Kernel(exports, 0, module);
}

/**
 * Instances of disposed single-threaded models, wiped back to their memory as instantiated, which the next
 * model of the same module takes instead of a new instance: its pages are already mapped, so a detector loaded
 * and disposed per request (a Worker's) skips most of its page faults. The SPARE_COUNT most recently disposed
 * instances of at most SPARE_ONE bytes each are kept (SPARE_BYTES in all; older ones are dropped for newer). The
 * wasm globals the kernels keep are set before each use (the GEMM workspace by the Kernel, the codec's bit
 * positions by each codec call), so a model on a spare computes as on a new instance, bit for bit.
 */
const spares: { module: WebAssembly.Module; exports: Exports; bytes: number }[] = [];
const firstMemory = new WeakMap<WebAssembly.Module, Uint8Array>();
const SPARE_COUNT = 8, SPARE_ONE = 4 << 20, SPARE_BYTES = 16 << 20;
let spareBytes = 0;

/** Takes the instance of a disposed model back for reuse (wiped first), when it is single-threaded and small enough. */
export function retireKernel(k: Kernel): void {
  const first = k.module && firstMemory.get(k.module);
  const bytes = k.memoryBytes;
  if (!first || k.pool || bytes > SPARE_ONE) return;
  const mem = k.u8(0, bytes);
  mem.fill(0);
  mem.set(first);
  spares.push({ module: k.module!, exports: k.x, bytes });
  spareBytes += bytes;
  while (spares.length > SPARE_COUNT || spareBytes > SPARE_BYTES) spareBytes -= spares.shift()!.bytes;
}

/** A Kernel on a threaded kernels-mt.wasm over a shared memory (bindings/threads.ts). */
export const sharedKernel = async (module: WebAssembly.Module, memory: WebAssembly.Memory, extra: number) => new Kernel(await instantiate(module, { env: { memory } }), extra);

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
  nBlock = 0;      // floats of the param block: nPadded, or an ensemble's members x nPadded
  nStats = 0;      // an ensemble's statistics floats (members x (D + 2)), right after the bn state
  kd = 0;          // its density block's k-d index (assembly/density.ts), 0 without a density block
  nDens = 0;       // its density block's floats at most (4 + rows x latent width), right after the statistics
  cap = 0;
  plan: NetPlan | null = null;
  actBase = 0;  // start of the capacity-dependent region (planTraining() moves it)
  private ioBase = 0;   // start of the per-call stack
  private ioTop = 0;

  /** The main thread's GEMM workspace (assembly/gemm.ts), right after the context block. */
  readonly ws: number;
  /** Where the model's blocks start: after the context block, the workspace and `extra` bytes (a thread pool's block). */
  private readonly base: number;
  /** A threaded model's pool (bindings/threads.ts), else none. */
  declare pool?: PoolHandle | null;
  /** The shards of a sharded (conv) model's training batches (the create/load option `shards`; SH.SHARDS by default). */
  shards: number = SH.SHARDS;

  /** The module it was instantiated from (single-threaded kernels: retireKernel() keeps their instance for reuse). */
  readonly module: WebAssembly.Module | null;

  constructor(exports: Exports, extra = 0, module: WebAssembly.Module | null = null) {
    this.x = exports;
    this.module = module;
    this.memory = exports.memory;
    this.ctx = align(exports.ae_heap_base());
    // the context block and the workspace are reserved from the start (the rng lives in the
    // context); I/O begins after them
    this.ws = align(this.ctx + C.BYTES, 64);
    this.base = this.ws + exports.ae_workspace(this.ws) + extra;
    this.ensure(this.base);
    this.actBase = this.ioBase = this.ioTop = this.base;
  }

  // ---- views (fresh on every call: memory growth detaches old ones) ----
  f32(ptr: number, len: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, len); }
  f64(ptr: number, len: number): Float64Array { return new Float64Array(this.memory.buffer, ptr, len); }
  i32(ptr: number, len: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, len); }
  u8(ptr: number, len: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, len); }
  private dv(): DataView { return new DataView(this.memory.buffer); }
  /** True when `a` is a view of this kernel's memory (the buffer it has now). */
  holds(a: ArrayBufferView): boolean { return a.buffer === this.memory.buffer; }
  setI32(off: number, v: number): void { this.dv().setInt32(off, v, true); }
  getI32(off: number): number { return this.dv().getInt32(off, true); }
  setF32(off: number, v: number): void { this.dv().setFloat32(off, v, true); }
  setF64(off: number, v: number): void { this.dv().setFloat64(off, v, true); }
  getF64(off: number): number { return this.dv().getFloat64(off, true); }

  /** What is growing memory, for the out-of-memory message (data calls alone are told to pass fewer rows). */
  oom: 'model' | 'capacity' | 'data' = 'model';
  /** Bytes of wasm memory in use now. */
  get memoryBytes(): number { return this.memory.buffer.byteLength; }

  /** Grows the memory to `bytes` (internal: Kernel and planTraining()). */
  ensure(bytes: number): void {
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
    const { layers, params, state, normA, normB, scratch, inv, pack, packOff, kd, end: p, nParams, nState, nPadded, nModel, nBlock, nStats, nDens } = layoutModel(plan, this.base);
    const D = inputWidth(plan);
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
    this.nBlock = nBlock;
    this.nStats = nStats;
    this.nDens = nDens;
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
    this.setI32(c + C.SCRATCHCAP, inv - scratch);
    this.setI32(c + C.LATENT, plan.latent);
    this.setI32(c + C.PACK, pack);
    this.setI32(c + C.PACK_OK, 0);
    this.setI32(c + C.KD, kd);
    this.kd = kd;
    this.setI32(c + C.CONDDIM, plan.condDim ?? 0);
    this.setF32(c + C.NOISE_LO, 1);   // no gaussian clip until setNoise says so
    const terms = plan.terms ?? [{ kind: TERM.recon, tensor: plan.layers.length - 1, weight: 1 }];
    if (terms.length > T.MAX) throw new AutoencoderError(`internal: ${terms.length} loss terms, at most ${T.MAX}`);
    this.setI32(c + C.NTERMS, terms.length);
    terms.forEach((t, i) => {
      const e = c + C.TERMS + i * T.BYTES;
      this.setI32(e + T.KIND, t.kind);
      this.setI32(e + T.TENSOR, t.tensor);
      this.setF32(e + T.WEIGHT, t.weight);
      this.setF32(e + T.PARAM, t.param ?? 0);
    });
    const grads = planGradients(plan.layers);
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
      this.setI32(e + L.SRC0, src0Of(l, i));
      this.setI32(e + L.SRC1, l.src1 ?? SRC.none);
      this.setI32(e + L.ACC0, grads.acc[i]![0]!);
      this.setI32(e + L.ACC1, grads.acc[i]![1]!);
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

  /** The threads that may take a contractive model's rows at once: a work block each (layoutActivations). */
  private get lanes(): number { return this.pool?.threads ?? 1; }

  /** Sizes the activation buffers for `rows` samples per batch/chunk (only ever grows). */
  setCapacity(rows: number, why: 'model' | 'capacity' = 'capacity'): void {
    if (rows <= this.cap) return;
    const a = layoutActivations(this.plan!, rows, this.actBase, this.lanes);
    this.oom = why;
    this.ensure(a.end);
    const c = this.ctx;
    const layers = this.getI32(c + C.LAYERS);
    a.y.forEach((y, i) => {
      this.setI32(layers + i * L.BYTES + L.Y, y);
      this.setI32(layers + i * L.BYTES + L.DY, a.dy[i]!);
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
    const m = layoutModel(plan, this.base);
    const train = training ? (m.nPadded + 2 * m.nBlock + 2 * m.nModel) * 4 : 0;
    return layoutActivations(plan, rows, align(m.end) + train, this.lanes).end;
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
  paramsChanged(): void {
    this.setI32(this.ctx + C.PACK_OK, 0);
    if (this.kd) {
      // the density block's k-d index is stale too (rebuilt in wasm once 256 rows are scored: assembly/density.ts kd_ready)
      this.setI32(this.kd, 0);
      this.setI32(this.kd + 12, 0);
    }
  }
  stateView(): Float32Array { return this.f32(this.state, this.nState); }
  /** The floats a model file holds for the params (an ensemble: every member's padded block) and the state (with an ensemble's statistics). */
  get fileParams(): number { return this.plan?.members ? this.nBlock : this.nParams; }
  get fileState(): number {
    if (!this.nDens) return this.nState + this.nStats;
    const d = this.f32(this.dens, 4);
    return this.nState + this.nStats + 4 + align(d[0]!, 4) * d[3]!;
  }
  /** Where an ensemble's density block starts, right after its statistics; 0 when the model has none (ae_ens_score then adds no term). */
  get dens(): number { return this.nDens ? this.stats + this.nStats * 4 : 0; }
  /** Where an ensemble's statistics (f32[members][D + 2]) start: right after the state. */
  get stats(): number { return this.state + this.nState * 4; }

  /** The condition rows of the next calls (ptr into the I/O stack), or 0. */
  setCondition(ptr: number): void {
    this.setI32(this.ctx + C.COND_BASE, ptr);
    this.setI32(this.ctx + C.COND, ptr);
  }

  /** Copies the normalizer (A then B, D floats each). */
  normalizer(): [Float32Array, Float32Array] {
    const D = inputWidth(this.plan!);
    return [this.f32(this.normA, D).slice(), this.f32(this.normB, D).slice()];
  }
}

// Training-only settings of a kernel, as functions rather than Kernel methods: class methods stay in every
// bundle that keeps the class, functions only in bundles that call them (the scoring bundle calls none).

/**
 * Points the context back at the kernel's own param and gradient blocks. train_epoch has each step's
 * update write the new weights over the gradients and trades the two blocks, and trades them back
 * before it returns; a call cut off by a trap can leave them traded.
 */
export function homeBlocks(k: Kernel): void {
  k.setI32(k.ctx + C.PARAMS, k.params);
  k.setI32(k.ctx + C.GRADS, k.grads);
}

/** Copies the model block (params, state and ensemble blocks) from src to dst. */
export function copyParams(k: Kernel, dst: number, src: number): void {
  if (dst === k.params) k.paramsChanged();
  k.u8(0, k.memoryBytes).copyWithin(dst, src, src + k.nModel * 4);
}

/** Each loss term's mean over the rows of the last train_epoch / eval_loss call, in term order. */
export function termValues(k: Kernel): number[] {
  const n = k.getI32(k.ctx + C.NTERMS);
  const dv = new DataView(k.u8(0, k.memoryBytes).buffer);
  return Array.from({ length: n }, (_, t) => dv.getFloat64(k.ctx + C.TERMSUM + 8 * t, true));
}

/** The denoising corruption: kind (NOISE.*), clip [lo, hi] for gaussian (lo > hi: none), per-feature min/max blocks for salt-and-pepper. */
export function setNoise(k: Kernel, kind: number, lo: number, hi: number, min: number, max: number): void {
  const c = k.ctx;
  k.setI32(c + C.NOISE_KIND, kind);
  k.setF32(c + C.NOISE_LO, lo);
  k.setF32(c + C.NOISE_HI, hi);
  k.setI32(c + C.NOISE_MIN, min);
  k.setI32(c + C.NOISE_MAX, max);
}

/** The optimizer and its hyperparameters (OPT_IDS.*), the input noise, and the bias corrections reset (a new fit). */
export function setOptimizer(k: Kernel, opt: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, momentum: number, noise: number): void {
  const c = k.ctx;
  k.setI32(c + C.OPT, opt);
  k.setF32(c + C.LR, lr);
  k.setF32(c + C.BETA1, beta1);
  k.setF32(c + C.BETA2, beta2);
  k.setF32(c + C.EPS, eps);
  k.setF32(c + C.WD, wd);
  k.setF32(c + C.MOMENTUM, momentum);
  k.setF32(c + C.NOISE, noise);
  k.setF64(c + C.B1T, 1);
  k.setF64(c + C.B2T, 1);
}

/**
 * Places the blocks only training needs (gradients, moments, two snapshots: five times the params)
 * before the activation buffers, the first time a model trains; a model loaded to score never pays
 * for them. Call only while no I/O is held (the activation and I/O regions move).
 */
export function planTraining(k: Kernel): void {
  if (k.training) return;
  let p = k.trainBase;
  const take = (floats: number) => { const at = p; p += floats * 4; return at; };
  k.grads = take(k.nPadded);
  const m = take(k.nBlock), v = take(k.nBlock);
  k.snapStart = take(k.nModel);
  k.snapBest = take(k.nModel);
  const sp = shardPlan(k.plan!, k.nPadded, !!k.pool, k.shards);
  const shards = sp ? align(take(sp.bytes / 4 + 16), 64) : 0;   // (64-byte aligned within)
  const lp = lanePlan(k.plan!, k.nPadded, k.pool?.threads ?? 1);
  const lanes = lp ? align(take(lp.bytes / 4 + 16), 64) : 0;
  k.oom = 'model';
  k.ensure(p);
  // the I/O region may have used this memory before: moments start at zero (ae_optimizer_reset), the rest is written before it is read
  const c = k.ctx;
  k.setI32(c + SH.FIELD, shards);
  k.setI32(c + LN.FIELD, lanes);
  k.setI32(c + C.GRADS, k.grads);
  k.setI32(c + C.M, m);
  k.setI32(c + C.V, v);
  k.training = true;
  k.actBase = align(p);
  const cap = k.cap;
  k.cap = 0;
  k.setCapacity(cap, 'model');
  syncShards(k);
  syncLanes(k);
}

// ---- the door: the verbs index.ts, codec.ts and series.ts call the kernels by ----
// Only this file touches the exports (threads.ts, the threaded module's loader, starts its workers' own).
// Verbs are functions rather than Kernel methods so that a bundle keeps only those it calls (the scoring
// bundle: a few). Each hides the context pointer and turns flags into booleans; the rest of the arguments
// are as assembly/abi.ts documents them: pointers are byte addresses in the model's memory (its blocks,
// or regions from Kernel.alloc), counts are elements, `n` rows.

// random streams (assembly/rng.ts)
/** Seeds every random stream of the model from `seed` and rewinds them. */
export const seedStreams = (k: Kernel, seed: number): void => k.x.ae_seed(k.ctx, seed);
/** Seeds and rewinds one stream (RNG.*). */
export const seedStream = (k: Kernel, seed: number, stream: number): void => k.x.ae_seed_stream(k.ctx, seed, stream);
/** n floats at p from the sampling stream: standard normal, else uniform [0, 1). */
export const fillRandom = (k: Kernel, p: number, n: number, normal: boolean): void => k.x.ae_rng_fill(k.ctx, p, n, normal ? 1 : 0);
/** p[i] = clamp(p[i] + std N(0, 1), lo, hi) over n floats from the noise stream (lo > hi: no clamp). */
export const addGaussianNoise = (k: Kernel, p: number, n: number, std: number, lo: number, hi: number): void => k.x.ae_add_noise(k.ctx, p, n, std, lo, hi);

// training
/** Glorot-uniform weights and zero biases where C.PARAMS points (one member of an ensemble at a time), from the init stream. */
export const initParams = (k: Kernel): void => k.x.ae_init_params(k.ctx);
/** Zeroes the optimizer's moments, step count and beta powers (a new fit). */
export const resetOptimizer = (k: Kernel): void => k.x.ae_optimizer_reset(k.ctx);
/** perm i32[n] = 0, 1, ..., n - 1. */
export const identityPerm = (k: Kernel, perm: number, n: number): void => k.x.ae_perm_init(perm, n);
/**
 * The batches starting in rows [from, to) of an epoch over x[n] against targets t[n] (t may be x) in the order perm
 * i32[n], shuffled first (from 0) when asked; from and to multiples of batch, or to = n. The call to n returns the
 * mean element loss (NaN: diverged), the others 0. Called over consecutive ranges, it gives one call's bits.
 */
export const trainEpoch = (k: Kernel, x: number, t: number, n: number, perm: number, shuffle: boolean, batch: number, from = 0, to = n): number =>
  k.x.ae_train_epoch(k.ctx, x, t, n, perm, shuffle ? 1 : 0, batch, from, to);
/** The mean element loss of x[n] against t[n], no training. */
export const evalLoss = (k: Kernel, x: number, t: number, n: number): number => k.x.ae_eval_loss(k.ctx, x, t, n);
/** Fits the normalizer (the mode in the context block) on x[n]. */
export const fitNormalizer = (k: Kernel, x: number, n: number): void => k.x.ae_norm_fit(k.ctx, x, n);
/** Normalizes x[n] (input width) in place. */
export const normalizeRows = (k: Kernel, x: number, n: number): void => k.x.ae_norm_apply(k.ctx, x, n);
/** mn[j], mx[j]: column j's minimum and maximum over x[n][D]. */
export const columnMinMax = (k: Kernel, x: number, n: number, D: number, mn: number, mx: number): void => k.x.ae_col_minmax(x, n, D, mn, mx);

// inference and scores
/** Layers first..last over x[n] into out; flags FLAG_NORM_IN (normalize x in place first) | FLAG_DENORM_OUT. */
export const infer = (k: Kernel, x: number, n: number, first: number, last: number, out: number, flags: number): void =>
  k.x.ae_infer(k.ctx, x, n, first, last, out, flags);
/** out f32[n]: each row's reconstruction error, x normalized in place first. */
export const scoreRows = (k: Kernel, x: number, n: number, out: number): void => k.x.ae_score(k.ctx, x, n, out);
/** out f32[n][D]: each feature's share of each row's reconstruction score, x normalized in place first; members: an ensemble's (0: one model). */
export const explainRows = (k: Kernel, x: number, n: number, out: number, members: number, stats: number): void => k.x.ae_explain(k.ctx, x, n, out, members, stats);
/** out f32[n]: KL(N(mu, exp(logVar)) || N(0, 1)) of rows h[n][2L] = [mu, logVar]. */
export const klRows = (k: Kernel, h: number, n: number, L: number, out: number): void => k.x.ae_vae_kl_rows(h, n, L, out);
/** z[n][L] = mu + exp(logVar / 2) N(0, 1) from the sampling stream, rows h[n][2L]. */
export const sampleLatent = (k: Kernel, h: number, n: number, L: number, z: number): void => k.x.ae_sample_rows(k.ctx, h, n, L, z);
/**
 * out f32[n]: each row's negative ELBO over `draws` samples (x normalized in place first); latent: the sample node.
 * `shares`: out f32[n][D] instead, each feature's negative log-likelihood over the same draws (explain() by 'elbo').
 */
export const elboRows = (k: Kernel, x: number, n: number, latent: number, draws: number, out: number, shares = false): void =>
  k.x.ae_elbo_rows(k.ctx, x, n, latent, draws, out, shares ? 1 : 0);
/** The q-quantile of n floats at p (sorts them in place). */
export const quantileOf = (k: Kernel, p: number, n: number, q: number): number => k.x.ae_quantile(p, n, q);
/** u8 flags[n] = scores[i] > threshold. */
export const flagAbove = (k: Kernel, scores: number, n: number, threshold: number, flags: number): void => k.x.ae_detect(scores, n, threshold, flags);

// checks and checksums
/** The index of the first NaN or infinity among n floats at p, or -1. Scanned in calls of 64 Ki floats:
 *  V8 swaps in a kernel's optimised code between calls, not inside one, so a loaded model's weights (a cold
 *  scan) are not all read by the baseline code (dense784's 436 K weights: 0.9-1.1 -> 0.5-1.0 ms). */
export const findNonfinite = (k: Kernel, p: number, n: number): number => {
  for (let at = 0; at < n; at += SCAN_CHUNK) {
    const bad = k.x.ae_find_nonfinite(p + 4 * at, Math.min(SCAN_CHUNK, n - at));
    if (bad >= 0) return at + bad;
  }
  return -1;
};
const SCAN_CHUNK = 1 << 16;
/** The index of the first value not >= lo (NaN included) among n floats at p, or -1. */
export const findBelow = (k: Kernel, p: number, n: number, lo: number): number => k.x.ae_find_below(p, n, lo);
/** The index of the first value outside [lo, hi] (NaN included) among n floats at p, or -1. */
export const findOutside = (k: Kernel, p: number, n: number, lo: number, hi: number): number => k.x.ae_find_outside(p, n, lo, hi);
/** The box of rows, in normalized units, on which load() and setWeights() prove a model finite (bound.ts). */
export const BOUND_BOX = 8;
/** The largest bound a node's values or the error's sum may have: 300x under float32's 3.4e38. */
const BOUND_LIMIT = 1e36;
/**
 * bound.ts's proof over every row within +-BOUND_BOX of the model (an ensemble: each of its K members,
 * then its score): null when every node's values, the reconstruction error and the score provably stay
 * finite, else the first member and node past the limit (node = the node count: the error's sum; member
 * = K: the ensemble's score) and that bound.
 */
export function valueBound(k: Kernel, K: number): { member: number; node: number; value: number } | null {
  const n = k.plan!.layers.length, b = nodeBounds(k, K, BOUND_LIMIT, false);
  return b.r < 0 ? null : { member: Math.floor(b.r / (n + 1)), node: b.r % (n + 1), value: b.m[0]! };
}
/**
 * ae_bound with any limit (an ensemble's score with its statistics and density block included): its
 * result, and a copy of the bounds' block (every node's channels after its activation, the last
 * member's; with all false only its first float, the failing bound).
 */
export function nodeBounds(k: Kernel, K: number, limit: number, all = true): { r: number; m: Float32Array } {
  const layers = k.plan!.layers, n = layers.length;
  const m = layers.reduce((a, l) => a + (l.oc ?? l.out), 0);
  const v = Math.max(layers[n - 1]!.out, ...layers.map((l) => Math.max(l.ic ?? l.in, l.in)));
  const mark = k.mark();
  try {
    const pm = k.alloc(4 * m), r = k.x.ae_bound(k.ctx, BOUND_BOX, limit, pm, k.alloc(4 * v), K, K > 1 ? k.stats : 0, K > 1 ? k.dens : 0);
    return { r, m: k.f32(pm, all ? m : 1).slice() };
  } finally {
    k.release(mark);
  }
}
/** CRC-32 of len bytes at p. */
export const crc32 = (k: Kernel, p: number, len: number): number => k.x.ae_crc32(p, len);
/** CRC-32 continued over len more bytes at p (prev 0 starts). */
export const crc32Update = (k: Kernel, prev: number, p: number, len: number): number => k.x.ae_crc32_update(prev, p, len);
/** crc32Update over bytes held in JavaScript: they pass through the kernel's free scratch block a part at a time. */
export function crc32UpdateBytes(k: Kernel, prev: number, bytes: Uint8Array): number {
  let crc = prev;
  for (let at = 0; at < bytes.length; at += k.scratchBytes) {
    const n = Math.min(k.scratchBytes, bytes.length - at);
    k.u8(k.scratch, n).set(bytes.subarray(at, at + n));
    crc = crc32Update(k, crc, k.scratch, n);
  }
  return crc;
}
/** The 64-bit hash state at st (8 bytes) absorbs len bytes at p. */
export const hash64Update = (k: Kernel, st: number, p: number, len: number): void => k.x.ae_hash64_update(st, p, len);

// the subsample ensemble (assembly/ensemble.ts, density.ts); K members, statistics f32[K][D + 2] at stats
/** perms i32[K][R]: each member's R training rows of n from the shuffle stream (R >= n: all, no draw); tmp i32[n]. */
export const ensembleDraw = (k: Kernel, n: number, R: number, K: number, perms: number, tmp: number): void => k.x.ae_ens_draw(k.ctx, n, R, K, perms, tmp);
/** Members k0..k1-1 of one epoch of every member on its R rows of x (normalized), in calls in member order that keep (f64[4]) carries; the call that reaches K gives the members' mean objective. */
export const ensembleEpoch = (k: Kernel, x: number, perms: number, R: number, K: number, batch: number, k0: number, k1: number, keep: number): number =>
  k.x.ae_ens_epoch(k.ctx, x, perms, R, K, batch, k0, k1, keep);
/** The floats of an ensemble's statistics' scratch tmp for each member over S rows (assembly/ensemble.ts: STATS_COLS S + QBINS). */
export const statsScratch = (S: number): number => 16 * S + 4096;
/** Part `part` of members k0..k1-1's statistics over the S rows idx i32[S] of x (normalized): 0 rows a..b-1, 1 features a..b-1, 2 rows a..b-1, 3 the rest, in that order; scratch e f32[S][D], tmp f32[statsScratch(S)], one of each per member of k0..k1-1 (at most laneCount), kept between parts; rec f64[K][S] or 0: each row's recM kept, from which part 4 (all members) gives rows a..b-1's ensemble scores into tmp f32[S]. */
export const ensembleStats = (k: Kernel, x: number, S: number, stats: number, idx: number, e: number, tmp: number, rec: number, k0: number, k1: number, part: number, a: number, b: number): void =>
  k.x.ae_ens_stats(k.ctx, x, S, stats, idx, e, tmp, rec, k0, k1, part, a, b);
/** The cleaning pass: the rows of xr whose score (scores f32[n], by ensembleScore) is at most the q-quantile, moved to the front; their count. */
export const ensembleClean = (k: Kernel, xr: number, n: number, q: number, scores: number, tmp: number): number =>
  k.x.ae_ens_clean(k.ctx, xr, n, q, scores, tmp);
/** out f32[n]: the ensemble score of x (normalized in place first unless `normalized`), with the density term of the block at dens (0: none; Kernel.dens). */
export const ensembleScore = (k: Kernel, x: number, n: number, out: number, K: number, stats: number, dens: number, normalized = false): void => k.x.ae_ens_score(k.ctx, x, n, out, K, stats, dens, normalized ? 1 : 0);
/** Part `part` of the latent density block after a fit (assembly/abi.ts ae_dens_fit) from the n rows' ensemble scores (by ensembleScore), in order: 0 returns its reference rows R; 1 (reference rows a..b-1), 2, 3 (statistic rows a..b-1) and 4 take R as Rmax; scratch kept between parts. */
export const densityFit = (k: Kernel, xn: number, n: number, dens: number, Rmax: number, L: number, sidx: number, S: number,
  scores: number, tmp: number, ridx: number, z: number, t: number, part: number, a: number, b: number): number =>
  k.x.ae_dens_fit(k.ctx, xn, n, dens, Rmax, L, sidx, S, scores, tmp, ridx, z, t, part, a, b);

// the streaming series detector (assembly/series.ts; its state block at st, layout S)
/** Scores n points vals f64[n] (times f64[n] or 0) into out f32[n], training as it goes. */
export const seriesPush = (k: Kernel, st: number, vals: number, times: number, n: number, out: number, scratch: number, agg: number, agg2: number, F: number): void =>
  k.x.ae_series_push(k.ctx, st, vals, times, n, out, scratch, agg, agg2, F);
/** The means f64[m] into out of the F-point blocks that end within the next n points; returns m. */
export const seriesBlocks = (k: Kernel, st: number, vals: number, n: number, F: number, out: number): number => k.x.ae_series_blocks(st, vals, n, F, out);
/** The m points to score for n timed points (fillGaps: short gaps' missing grid points before each) into outv f64[m], outt f64[m]; at i32[n] each given point's index among them; returns m. */
export const seriesFill = (k: Kernel, st: number, vals: number, times: number, n: number, outv: number, outt: number, at: number, scratch: number): number =>
  k.x.ae_series_fill(st, vals, times, n, outv, outt, at, scratch);
/** out f32[n] = scores f32[at[i]]. */
export const seriesPick = (k: Kernel, scores: number, at: number, n: number, out: number): void => k.x.ae_series_pick(scores, at, n, out);
/** -1, or 2i when vals[i] is not a finite float32, or 2i + 1 when times[i] (timed) is not finite or before the one before it (last before 0). */
export const seriesCheck = (k: Kernel, vals: number, times: number, n: number, timed: boolean, last: number, origin: number): number =>
  k.x.ae_series_check(vals, times, n, timed ? 1 : 0, last, origin);

// the codec (assembly/codec.ts): N rows, W latent width, S = 2^bits symbols; statuses as codec.ts documents them
/** qp f32[2W] (offsets, steps) fitted on z f32[N][W], and sym u16[N][W] the quantised z. */
export const codecQuantize = (k: Kernel, z: number, N: number, W: number, bits: number, qp: number, sym: number): void => k.x.ae_codec_quantize(z, N, W, bits, qp, sym);
/** The integer quantiser of a rate-trained code over z f32[N][W] into qp f32[2W] (offsets, steps of 1); returns its bits, -1 past 2^16 integers. */
export const codecQuantizeInt = (k: Kernel, z: number, N: number, W: number, qp: number): number => k.x.ae_codec_quantize_int(z, N, W, qp);
/** sym u16[N][W] from z with the given qp; the count clamped by more than a quarter of the range. */
export const codecQuantizeWith = (k: Kernel, z: number, N: number, W: number, bits: number, qp: number, sym: number): number => k.x.ae_codec_quantize_with(z, N, W, bits, qp, sym);
/** z f32[N][W] = offset + sym step per dimension. */
export const codecDequantize = (k: Kernel, sym: number, N: number, W: number, qp: number, z: number): void => k.x.ae_codec_dequantize(sym, N, W, qp, z);
/** cnt u32[W][S]: each dimension's symbol counts. */
export const codecCount = (k: Kernel, sym: number, N: number, W: number, bits: number, cnt: number): void => k.x.ae_codec_count(sym, N, W, bits, cnt);
/** freq u32[W][S] and cum u32[W][S + 1] from cnt at the best precision, returned (tmp u32[S]; smooth: +1 per count). */
export const codecTables = (k: Kernel, cnt: number, N: number, W: number, bits: number, freq: number, cum: number, tmp: number, smooth: boolean): number =>
  k.x.ae_codec_tables(cnt, N, W, bits, freq, cum, tmp, smooth ? 1 : 0);
/** Bit-packs freq into out (dry: only counts); returns the bytes. */
export const codecWriteTables = (k: Kernel, freq: number, W: number, bits: number, out: number, dry: boolean): number => k.x.ae_codec_write_tables(freq, W, bits, out, dry ? 1 : 0);
/** freq and cum from len table bytes at inp; 0 or a negative status. */
export const codecReadTables = (k: Kernel, inp: number, len: number, W: number, bits: number, P: number, freq: number, cum: number): number =>
  k.x.ae_codec_read_tables(inp, len, W, bits, P, freq, cum);
/** The rANS payload of sym at the end of out[cap] (cap >= 2NW + 4); returns its bytes. */
export const codecEncode = (k: Kernel, sym: number, N: number, W: number, bits: number, P: number, freq: number, cum: number, out: number, cap: number): number =>
  k.x.ae_codec_encode(sym, N, W, bits, P, freq, cum, out, cap);
/** sym u16[N][W] from len payload bytes at inp; 0 or a negative status. */
export const codecDecode = (k: Kernel, inp: number, len: number, N: number, W: number, bits: number, P: number, freq: number, cum: number, sym: number): number =>
  k.x.ae_codec_decode(inp, len, N, W, bits, P, freq, cum, sym);
