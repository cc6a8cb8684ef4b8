// arena.ts: the memory plan shared with bindings/wasm.ts. The TypeScript side sizes and places
// every block once (create, load, start of fit) and writes their offsets into a context block;
// kernels only read it. One block per role: params, grads, moments m and v share one layout,
// so the update is one flat loop and save() copies one block. Nothing here allocates.
// The numbers below are the ABI: change them and bump ABI_VERSION (abi.ts) and wasm.ts together
// (tests/layout.test.ts compares every C_/L_/T_/OP_/TERM_/RNG_/NOISE_/SRC_ constant with wasm.ts).

// context block: byte offsets of i32 / f32 / f64 fields (the block is 16-byte aligned)
export const C_NLAYERS = 0;     // i32 layers in the graph
export const C_LOSS = 4;        // i32 LOSS_*
export const C_OPT = 8;         // i32 OPT_*
export const C_CAP = 12;        // i32 rows the activation buffers hold (batch capacity)
export const C_NPARAMS = 16;    // i32 floats in the param block (a multiple of 4)
export const C_PARAMS = 20;     // ptr f32[NPARAMS]
export const C_GRADS = 24;      // ptr f32[NPARAMS]
export const C_M = 28;          // ptr f32[NPARAMS] first moment / momentum buffer
export const C_V = 32;          // ptr f32[NPARAMS] second moment
export const C_LAYERS = 36;     // ptr layer table, NLAYERS * L_BYTES
export const C_INDIM = 40;      // i32 network input width
export const C_OUTDIM = 44;     // i32 network output width
export const C_NORM = 48;       // i32 NORM_*
export const C_NORM_A = 52;     // ptr f32[INDIM] shift (mean or min)
export const C_NORM_B = 56;     // ptr f32[INDIM] scale (std or range)
export const C_SCRATCH = 60;    // ptr f64[max(2 * max(INDIM, channels), a sparse KL tensor's width)]: norm_fit, batchnorm, sparse KL; a shard's: its batchNorm and sparse KL sums
export const C_BATCH_IN = 64;   // ptr f32[CAP * INDIM] gathered batch input
export const C_BATCH_TGT = 68;  // ptr f32[CAP * OUTDIM] gathered batch target
export const C_DELTA0 = 72;     // ptr f32[CAP * MAXWIDTH] gradient ping
export const C_DELTA1 = 76;     // ptr f32[CAP * MAXWIDTH] gradient pong
export const C_WT = 80;         // ptr f32[KC * F] a few-filter conv kernel, transposed (the only transposed copy)
export const C_STEP = 84;       // i32 optimizer steps taken
export const C_LATENT = 88;     // i32 index of the bottleneck layer (encode stops after it)
export const C_COL = 92;        // ptr f32 scratch: one sample's im2col patches (conv layers)
export const C_LR = 96;         // f32 learning rate
export const C_BETA1 = 100;     // f32 Adam beta1
export const C_BETA2 = 104;     // f32 Adam beta2
export const C_EPS = 108;       // f32 Adam epsilon
export const C_WD = 112;        // f32 weight decay (L2 for sgd/momentum/adam, decoupled for adamw)
export const C_MOMENTUM = 116;  // f32 momentum
export const C_B1T = 120;       // f64 beta1^step
export const C_B2T = 128;       // f64 beta2^step
export const C_DRAW = 136;      // a stream (16 bytes, as at C_RNG) that one training node draws from: its purpose's stream at the node's
                                // first draw for these rows (train.ts draws_at); the kernels' own
export const C_NOISE = 152;     // f32 noise amount in training (denoising): gaussian std, mask / salt-and-pepper fraction; 0 = none
export const C_COLCAP = 156;    // i32 floats the patch scratch at C_COL holds (>= one sample's patches)
export const C_PACK = 160;      // ptr the dense weights in 32-column strips for one-row inference (see gemm.ts f32_gemv_packed)
export const C_PACK_OK = 164;   // i32 -1 while C_PACK matches the params; n >= 0: stale, n one-row calls since the change (init, update, JS writes set 0)
export const C_KD = 176;        // ptr an ensemble's density block's k-d index (density.ts; derived, not saved), 0: none, the plain search (so
                                // the field needs no new ABI version: a module or bindings without it search every reference, with the same bits)
export const C_SCRATCHCAP = 180; // i32 bytes the block at C_SCRATCH holds (wasm.ts layoutModel, shardPlan); only the test build reads
                                // it (scratch(): each use checked), so the field needs no new ABI version
export const C_TPART = 184;     // f64[MAX_TERMS] each term's raw sum over the current batch's rows so far (train.ts terms_forward: carried
                                // across a batch's chunks; a shard's, added in shard order by net_grads), unweighted; the kernels' own
export const C_DRAW_ROW = 248;  // i32 the batch row of the first of the rows a training forward runs (a chunk's, a shard's); the kernels' own
export const C_DRAW_N = 252;    // i32 the batch's rows (train.ts draws_at); the kernels' own
export const C_RNG = 256;       // RNG_STREAMS streams of 16 bytes: u64 key, u64 counter (rng.ts), one per purpose
export const C_NTERMS = 336;    // i32 loss terms in the term table
export const C_NOISE_KIND = 340; // i32 NOISE_*
export const C_NOISE_LO = 344;  // f32 gaussian clip low (lo > hi: no clip)
export const C_NOISE_HI = 348;  // f32 gaussian clip high
export const C_TERMSUM = 352;   // f64[MAX_TERMS] each term's sum over the batches of the current call (weighted)
export const C_TERMS = 416;     // MAX_TERMS entries of T_BYTES: the loss terms
export const C_COND = 544;      // ptr f32[rows * CONDDIM] the condition of the current rows (0 = none)
export const C_CONDDIM = 548;   // i32 condition width (conditional VAE), 0 = none
export const C_BATCH_COND = 552; // ptr f32[CAP * CONDDIM] gathered batch condition
export const C_NOISE_MIN = 556; // ptr f32[INDIM] per-feature training minimum (salt-and-pepper)
export const C_NOISE_MAX = 560; // ptr f32[INDIM] per-feature training maximum
export const C_COND_BASE = 564; // ptr f32[n * CONDDIM] the condition rows of the whole call (0 = none)
export const C_CSCRATCH = 568; // ptr the contractive penalty's scratch (contractive.ts: rows' blocks, a work block a thread), 0 without one
export const C_CSCRATCHCAP = 572; // i32 bytes the block at C_CSCRATCH holds (wasm.ts layoutActivations); only the test build reads it
export const C_BYTES = 576;

// Data-parallel training (train.ts net_grads): a conv model's batch is cut into shards of rows, a
// number set when the model is made (the create/load option `shards`, SHARDS by default, at most
// SH_MAX; never the thread count); each shard's gradients are summed in a gradient block of its own
// and the blocks then added in shard order, so the bits are the same on 1 thread or many. Each shard
// runs on a context of its own (written by the bindings, wasm.ts syncShards: a copy of the model's
// whose activation and gradient buffers are the shard's rows of the model's, with its own gradient
// block and, with threads, its own scratch), so every kernel runs unchanged. Its loss terms' sums
// are its context's C_TPART, added in shard order too; its dropout and sampling nodes draw what its
// rows draw in one pass (train.ts draws_at).
export const SHARDS = 4;
export const SH_MAX = 16;
export const SH_FIELD = 168;    // the context field (C_*, i32) of the shard block's address, 0: a batch's gradients in one pass
export const SH_N = 0;          // i32 the shard count (1..SH_MAX)
export const SH_CTX = 8;        // ptr[SH_MAX] each shard's context block
export const SH_BYTES = 72;

// An ensemble's lanes (threaded build: ensemble.ts ens_epoch, threads.ts JOB_MEMBERS). With a pool of T
// threads, each member's epoch runs whole on one thread, on the context of that thread's lane: a copy of
// the model's whose batch, activation and gradient-slot buffers are rows t * CAP / T onwards of the
// model's, with a gradient block of its own (written by the bindings, wasm.ts syncLanes). The members'
// shuffles are drawn first, in member order, as one thread draws them, and each member's epoch is then
// the same computation on any lane, so the bits are one thread's.
export const LN_FIELD = 172;    // the context field (C_*, i32) of the lanes block's address, 0: the members train in turn
export const LN_N = 0;          // i32 lanes (one per thread of the pool)
export const LN_STEP = 4;       // i32 the optimizer step after the epoch (the last member's)
export const LN_B1T = 8;        // f64 beta1^step after it
export const LN_B2T = 16;       // f64 beta2^step after it
export const LN_TERMS = 24;     // f64[MAX_TERMS] the last member's term sums
export const LN_RES = 88;       // ptr f64[members] each member's epoch objective
export const LN_CTX = 92;       // ptr[LN_N] each lane's context block

// loss term table entry (the loss is the sum of the terms; see terms.ts)
export const T_KIND = 0;        // i32 TERM_*
export const T_TENSOR = 4;      // i32 node whose output the term reads
export const T_WEIGHT = 8;      // f32 weight
export const T_PARAM = 12;      // f32 kind-specific (sparse KL: rho)
export const T_BYTES = 16;
export const MAX_TERMS = 8;

export const TERM_RECON = 1;    // reconstruction: the loss (C_LOSS) of the output vs the target, per-element mean
export const TERM_L1 = 2;       // weight * sum |z| / R
export const TERM_KLSPARSE = 3; // weight * sum_j KL(rho || mean_r z_rj)
export const TERM_VAEKL = 4;    // weight * (1/R) sum_r KL(N(mu, exp(logVar)) || N(0, 1)); tensor = [mu, logVar] rows
export const TERM_CONTRACTIVE = 5; // weight * (1/R) sum_r ||dz/dx||_F^2 through dense nodes 0..tensor (contractive.ts)
export const TERM_RATE = 6;     // L1's arithmetic (weight * sum |z| / R) under its own name: the code's bits under a unit Laplace prior, weight = rate / (inputDim ln 2)
/** The kinds with L1's arithmetic (weight * sum |z| / R): L1 and the rate term. */
// @ts-ignore: decorator
@inline export function l1_kind(kind: i32): bool { return kind == TERM_L1 || kind == TERM_RATE; }

// rng purposes: one stream each, so a new consumer never shifts another's draws
export const RNG_INIT = 0;
export const RNG_SHUFFLE = 1;
export const RNG_DROPOUT = 2;
export const RNG_NOISE = 3;
export const RNG_SAMPLE = 4;
export const RNG_STREAMS = 5;

export const NOISE_GAUSSIAN = 0;
export const NOISE_MASK = 1;
export const NOISE_SALT_PEPPER = 2;

// layer table entry: byte offsets of i32 fields (f32 where noted). Shapes are per sample,
// channels last; 1-D layers have IH = OH = 1. IN = IH*IW*IC, OUT = OH*OW*OC.
export const L_OP = 0;          // OP_*
export const L_ACT = 4;         // ACT_* applied to the output
export const L_IN = 8;          // input floats per sample
export const L_OUT = 12;        // output floats per sample
export const L_W = 16;          // float offset of the weights in the param block (dense W[I][O], conv K, bn gamma)
export const L_B = 20;          // float offset of the bias (bn beta)
export const L_Y = 24;          // ptr f32[CAP * OUT] this layer's output
export const L_IH = 28;         // input height, width, channels
export const L_IW = 32;
export const L_IC = 36;
export const L_OH = 40;         // output height, width, channels
export const L_OW = 44;
export const L_OC = 48;
export const L_KH = 52;         // kernel / pool height, width
export const L_KW = 56;
export const L_SH = 60;         // strides (upsampling: factors)
export const L_SW = 64;
export const L_PT = 68;         // padding before: top, left
export const L_PL = 72;
export const L_AUX = 76;        // ptr per-element cache: pool argmax i32, dropout mask, bn xhat ([CAP * OUT]); Winograd conv: dV [16][IC][OC]; sub-pixel transposed conv: dV [16][OC][IC]
export const L_AUX2 = 80;       // ptr bn 1/std [OC]
export const L_RATE = 84;       // f32 dropout rate / bn momentum
export const L_EPS = 88;        // f32 bn epsilon
export const L_STATE = 92;      // ptr bn moving mean [OC], then moving variance [OC]
export const L_PACK = 96;       // dense: byte offset of this layer's strips from C_PACK
export const L_SRC0 = 100;      // input tensor: a node index, SRC_INPUT or SRC_COND
export const L_SRC1 = 104;      // second input (concat), or SRC_NONE
export const L_DY = 108;        // ptr f32[CAP * OUT] dLoss/dY of this node (shared by nodes whose gradients are never live together)
export const L_ACC0 = 112;      // i32 1: backward adds into src0's gradient (another consumer wrote it first), 0: overwrites
export const L_ACC1 = 116;      // i32 the same for src1
export const L_BYTES = 128;

export const SRC_INPUT = -1;    // the network input (or, for a run from node l0 > 0, the rows passed in)
export const SRC_COND = -2;     // the condition rows (C_COND)
export const SRC_NONE = -3;

export const OP_DENSE = 1;
export const OP_CONV = 2;
export const OP_CONVT = 3;
export const OP_MAXPOOL = 4;
export const OP_UPSAMPLE = 5;
export const OP_DROPOUT = 6;
export const OP_COPY = 7;
export const OP_BATCHNORM = 8;
export const OP_CONCAT = 9;     // [src0 row, src1 row]
export const OP_SAMPLE = 10;    // src0 rows [mu, logVar] (2 * OUT): training z = mu + exp(logVar / 2) * eps, else mu

// @ts-ignore: decorator
@inline export function ci(ctx: usize, field: usize): i32 { return load<i32>(ctx + field); }
// @ts-ignore: decorator
@inline export function cp(ctx: usize, field: usize): usize { return <usize>load<u32>(ctx + field); }
/**
 * The context's scratch block (C_SCRATCH) for a use of `f64s` f64s: the test build traps unless the block holds them
 * (C_SCRATCHCAP); the release build only reads the pointer.
 */
// @ts-ignore: decorator
@inline export function scratch(ctx: usize, f64s: i32): usize {
  if (!ASC_NO_ASSERT) assert(<usize>f64s << 3 <= <usize>load<u32>(ctx + C_SCRATCHCAP));
  return cp(ctx, C_SCRATCH);
}
// @ts-ignore: decorator
@inline export function cf(ctx: usize, field: usize): f32 { return load<f32>(ctx + field); }
// @ts-ignore: decorator
@inline export function layer(ctx: usize, l: i32): usize { return cp(ctx, C_LAYERS) + <usize>l * L_BYTES; }
// @ts-ignore: decorator
@inline export function li(L: usize, field: usize): i32 { return load<i32>(L + field); }
// @ts-ignore: decorator
@inline export function lp(L: usize, field: usize): usize { return <usize>load<u32>(L + field); }
// @ts-ignore: decorator
@inline export function lf(L: usize, field: usize): f32 { return load<f32>(L + field); }
