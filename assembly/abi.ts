// abi.ts: every export of the shipped module (build/kernels.wasm), each one called by the bindings; the raw
// kernels that only tests and benchmarks call are in abi-test.ts (build/kernels-test.wasm). The bindings (bindings/wasm.ts)
// type this same list and a test compares the two. Only i32/f32/f64 scalars and byte offsets
// into memory cross; calls are per run of batches (about 50 ms of an epoch) or per whole input, never per element. Pointers
// (`ctx`, `x`, ...) are byte offsets planned by the bindings (see arena.ts for the context block).
// Kernels never trap on user data: the bindings validate shapes and values before calling.

import { C_RNG, RNG_NOISE, RNG_SAMPLE, RNG_STREAMS } from './arena';
import { WS_BYTES, set_workspace } from './gemm';
import { find_below, find_nonfinite, find_outside, norm_apply, norm_fit } from './norm';
import { rng_normal, rng_normal4, rng_seed, rng_uniform } from './rng';
import { crc32, crc32_update, detect, f32_quantile } from './stats';
import { C_OUTDIM, C_INDIM, C_NORM, C_NORM_A, C_NORM_B, C_B1T, C_B2T, C_STEP, C_M, C_V, C_NPARAMS, ci, cp, scratch } from './arena';
import { col_minmax, elbo_rows, explain_rows, sample_rows, eval_loss, infer, init_params, score, train_rows } from './train';
import { vae_kl_rows } from './terms';
import { ens_bound, ens_clean, ens_draw, ens_epoch, ens_explain, ens_score, ens_stats } from './ensemble';
import { dens_fit } from './density';
import { series_blocks, series_check, series_fill, series_pick, series_push } from './series';
import { codec_count, codec_decode, codec_dequantize, codec_encode, codec_quantize, codec_quantize_int, codec_quantize_with, codec_read_tables, codec_tables, codec_write_tables, hash64_update } from './codec';

/** ABI version: bumped whenever an export or the context layout changes. */
export function ae_abi_version(): i32 { return 16; }

/** First free byte after the module's static data: the bindings place their arena from here. */
export function ae_heap_base(): usize { return __heap_base; }

/**
 * Points this instance's (this thread's) GEMM scratch at a 64-byte-aligned arena block; returns the bytes it needs
 * there.
 */
export function ae_workspace(p: usize): i32 {
  set_workspace(p);
  return <i32>WS_BYTES;
}

/** Seeds every random stream of the model (one per purpose, arena.ts RNG_*) from a 32-bit seed and rewinds them. */
export function ae_seed(ctx: usize, seed: u32): void {
  for (let p = 0; p < RNG_STREAMS; p++) rng_seed(ctx + C_RNG + (<usize>p << 4), seed, p);
}

/** Seeds and rewinds one stream (purpose: arena.ts RNG_*), e.g. the sampling stream for a seeded draw. */
export function ae_seed_stream(ctx: usize, seed: u32, purpose: i32): void { rng_seed(ctx + C_RNG + (<usize>purpose << 4), seed, purpose); }

/** Glorot-uniform weights, zero biases, drawn from the model's init stream. */
export function ae_init_params(ctx: usize): void { init_params(ctx); }

/** Zeroes the optimizer state (moments, step count, beta powers) before a fit. */
export function ae_optimizer_reset(ctx: usize): void {
  const bytes = <usize>ci(ctx, C_NPARAMS) << 2;
  memory.fill(cp(ctx, C_M), 0, bytes);
  memory.fill(cp(ctx, C_V), 0, bytes);
  store<i32>(ctx + C_STEP, 0);
  store<f64>(ctx + C_B1T, 1.0);
  store<f64>(ctx + C_B2T, 1.0);
}

/** perm[i] = i for i < n. */
export function ae_perm_init(perm: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(perm + (<usize>i << 2), i);
}

/**
 * The batches of one epoch that start in rows [from, to) (from a multiple of batch; to one too, or n): x[n][in],
 * t[n][out] (t may equal x), perm i32[n]. The call from 0 shuffles; the call to n returns the mean element loss
 * (NaN = diverged), the others 0. An epoch in several calls gives the bits of one call (train.ts train_rows).
 */
export function ae_train_epoch(ctx: usize, x: usize, t: usize, n: i32, perm: usize, shuffle: i32, batch: i32, from: i32, to: i32): f64 {
  return train_rows(ctx, x, t, n, perm, shuffle, batch, from, to);
}

/** Mean element loss of x against t over n rows, no training. */
export function ae_eval_loss(ctx: usize, x: usize, t: usize, n: i32): f64 { return eval_loss(ctx, x, t, n); }

/** Layers l0..l1 over n rows of x into out; flags 1: normalize x in place first, 2: de-normalize out. */
export function ae_infer(ctx: usize, x: usize, n: i32, l0: i32, l1: i32, out: usize, flags: i32): void {
  infer(ctx, x, n, l0, l1, out, flags);
}

/** out f32[n]: per-row reconstruction error (x is normalized in place first). */
export function ae_score(ctx: usize, x: usize, n: i32, out: usize): void { score(ctx, x, n, out); }

/**
 * out f32[n][D]: each feature's share of n rows' reconstruction scores, x normalized in place first
 * (explain()): K 0, a single model's element losses / D (train.ts explain_rows); K >= 1, an ensemble of K
 * members with statistics at `stats` (ensemble.ts ens_explain).
 */
export function ae_explain(ctx: usize, x: usize, n: i32, out: usize, K: i32, stats: usize): void {
  if (K > 0) ens_explain(ctx, x, n, out, K, stats); else explain_rows(ctx, x, n, out);
}

/** Fits the normalizer (mode in the context block) on n rows of x. */
export function ae_norm_fit(ctx: usize, x: usize, n: i32): void {
  norm_fit(ci(ctx, C_NORM), x, n, ci(ctx, C_INDIM), cp(ctx, C_NORM_A), cp(ctx, C_NORM_B), scratch(ctx, 2 * ci(ctx, C_INDIM)));
}

/** Normalizes n rows of x (input width) in place. */
export function ae_norm_apply(ctx: usize, x: usize, n: i32): void {
  norm_apply(x, n, ci(ctx, C_INDIM), cp(ctx, C_NORM_A), cp(ctx, C_NORM_B));
}

/** Index of the first NaN/Inf among n floats at x, or -1. */
export function ae_find_nonfinite(x: usize, n: i32): i32 { return find_nonfinite(x, n); }

/** Index of the first value that is not >= lo (NaN included) among n floats at x, or -1. */
export function ae_find_below(x: usize, n: i32, lo: f32): i32 { return find_below(x, n, lo); }

/** Index of the first value outside [lo, hi] (NaN included) among n floats at x, or -1. */
export function ae_find_outside(x: usize, n: i32, lo: f32, hi: f32): i32 { return find_outside(x, n, lo, hi); }

/** q-quantile of n floats at p (sorts them in place). */
export function ae_quantile(p: usize, n: i32, q: f64): f32 { return f32_quantile(p, n, q); }

/** u8 flags[n] = scores[i] > threshold. */
export function ae_detect(scores: usize, n: i32, threshold: f32, flags: usize): void { detect(scores, n, threshold, flags); }

/** CRC-32 of len bytes at p. */
export function ae_crc32(p: usize, len: i32): u32 { return crc32(p, len); }

/** CRC-32 continued over len more bytes at p: ae_crc32_update(ae_crc32(a), b) = CRC-32 of a then b (prev 0 starts). */
export function ae_crc32_update(prev: u32, p: usize, len: i32): u32 { return crc32_update(prev, p, len); }

/** Fills n floats at p from the model's sampling stream: kind 0 uniform [0,1), 1 standard normal. */
export function ae_rng_fill(ctx: usize, p: usize, n: i32, kind: i32): void {
  const rng = ctx + C_RNG + (<usize>RNG_SAMPLE << 4);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), kind == 1 ? rng_normal(rng) : rng_uniform(rng));
}

/** x[i] = clamp(x[i] + std * N(0, 1), lo, hi) for n floats, from the model's noise stream (lo > hi: no clamp). */
export function ae_add_noise(ctx: usize, p: usize, n: i32, std: f32, lo: f32, hi: f32): void {
  const rng = ctx + C_RNG + (<usize>RNG_NOISE << 4);
  let i = 0;
  // four at a time (rng_normal4: the same draws and bits as the loop below)
  for (; i + 4 <= n; i += 4) {
    const q = p + (<usize>i << 2);
    let v = f32x4.add(v128.load(q), f32x4.mul(f32x4.splat(std), rng_normal4(rng)));
    if (lo <= hi) v = f32x4.min(f32x4.max(v, f32x4.splat(lo)), f32x4.splat(hi));
    v128.store(q, v);
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    let v = load<f32>(q) + std * rng_normal(rng);
    if (lo <= hi) v = min<f32>(max<f32>(v, lo), hi);
    store<f32>(q, v);
  }
}

/** mn[j], mx[j] = min, max of column j over n rows of D floats at x (salt-and-pepper noise values). */
export function ae_col_minmax(x: usize, n: i32, D: i32, mn: usize, mx: usize): void { col_minmax(x, n, D, mn, mx); }

/** out[r] = KL(N(mu, exp(logVar)) || N(0, 1)) in nats of n rows of [mu L, logVar L] at h. */
export function ae_vae_kl_rows(h: usize, n: i32, L: i32, out: usize): void { vae_kl_rows(h, n, L, out); }

/** z[n][L] = mu + exp(logVar / 2) * N(0, 1) from the sampling stream, rows h[n][2L] = [mu, logVar]. */
export function ae_sample_rows(ctx: usize, h: usize, n: i32, L: i32, z: usize): void { sample_rows(ctx, h, n, L, z); }

/**
 * out[r] = negative ELBO of row r in nats over `draws` samples of z (x normalized in place first); latent: the sample node.
 * shares != 0: out[r][j] instead, feature j's negative log-likelihood over the same draws (explain() by 'elbo').
 */
export function ae_elbo_rows(ctx: usize, x: usize, n: i32, latent: i32, draws: i32, out: usize, shares: i32): void {
  elbo_rows(ctx, x, n, latent, draws, out, shares != 0);
}

// streaming time series (series.ts; its state block layout S_* is bindings/wasm.ts S, held equal by tests/layout.test.ts)

/** Scores n points vals f64[n] into out f32[n] with the series state at st, training the model in ctx as it goes. */
export function ae_series_push(ctx: usize, st: usize, vals: usize, times: usize, n: i32, out: usize, scratch: usize, agg: usize, agg2: usize, F: i32): void { series_push(ctx, st, vals, times, n, out, scratch, agg, agg2, F); }

/** The means f64[m] into out of the F-point blocks that end within the next n points vals f64[n]; returns m. */
export function ae_series_blocks(st: usize, vals: usize, n: i32, F: i32, out: usize): i32 { return series_blocks(st, vals, n, F, out); }

/** The m points series_push is to score for n timed points (with the state's fillGaps, the missing grid points of short gaps before each), into outv f64[m], outt f64[m], at i32[n] (each given point's index); returns m. */
export function ae_series_fill(st: usize, vals: usize, times: usize, n: i32, outv: usize, outt: usize, at: usize, scratch: usize): i32 { return series_fill(st, vals, times, n, outv, outt, at, scratch); }

/** out f32[n] = scores f32[at[i]] (the given points' scores among series_fill's m). */
export function ae_series_pick(scores: usize, at: usize, n: i32, out: usize): void { series_pick(scores, at, n, out); }

/** -1, or 2i when vals[i] is not a finite float32, or 2i+1 when times[i] is not finite or before the previous (last before 0). */
export function ae_series_check(vals: usize, times: usize, n: i32, hasTime: i32, last: f64, origin: f64): i32 { return series_check(vals, times, n, hasTime, last, origin); }

// the codec (codec.ts): quantiser, frequency tables, rANS; N rows, W latent width, S = 2^bits symbols

/** qp f32[2W] = per-dimension offset then step fitted on z f32[N][W]; sym u16[N][W] the quantised z. */
export function ae_codec_quantize(z: usize, N: i32, W: i32, bits: i32, qp: usize, sym: usize): void { codec_quantize(z, N, W, bits, qp, sym); }

/** sym u16[N][W] from z f32[N][W] with the given qp (clamped to 0..S-1); returns the count clamped by more than a quarter of the range. */
export function ae_codec_quantize_with(z: usize, N: i32, W: i32, bits: i32, qp: usize, sym: usize): i32 { return codec_quantize_with(z, N, W, bits, qp, sym); }

/** qp f32[2W] = the integer quantiser of a rate-trained code (offset: each dimension's rounded minimum; step 1) over z f32[N][W]; returns its bits (2-16), -1 past 2^16 integers. */
export function ae_codec_quantize_int(z: usize, N: i32, W: i32, qp: usize): i32 { return codec_quantize_int(z, N, W, qp); }

/** z f32[N][W] = offset + sym * step per dimension (qp f32[2W]). */
export function ae_codec_dequantize(sym: usize, N: i32, W: i32, qp: usize, z: usize): void { codec_dequantize(sym, N, W, qp, z); }

/** cnt u32[W][S] = per-dimension symbol counts of sym u16[N][W]. */
export function ae_codec_count(sym: usize, N: i32, W: i32, bits: i32, cnt: usize): void { codec_count(sym, N, W, bits, cnt); }

/** freq u32[W][S], cum u32[W][S+1] normalised from cnt at the best precision P (tmp u32[S]; smooth: +1 per count); returns P. */
export function ae_codec_tables(cnt: usize, N: i32, W: i32, bits: i32, freq: usize, cum: usize, tmp: usize, smooth: i32): i32 {
  return codec_tables(cnt, N, W, bits, freq, cum, tmp, smooth);
}

/** Bit-packs freq u32[W][S] into out (dry != 0: only sizes); returns bytes. */
export function ae_codec_write_tables(freq: usize, W: i32, bits: i32, out: usize, dry: i32): i32 { return codec_write_tables(freq, W, bits, out, dry); }

/** freq/cum from len table bytes at inp; returns 0 or a negative status (see codec.ts). */
export function ae_codec_read_tables(inp: usize, len: i32, W: i32, bits: i32, P: i32, freq: usize, cum: usize): i32 { return codec_read_tables(inp, len, W, bits, P, freq, cum); }

/** rANS payload of sym u16[N][W] at the end of out[cap] (cap >= 2NW + 4); returns its bytes. */
export function ae_codec_encode(sym: usize, N: i32, W: i32, bits: i32, P: i32, freq: usize, cum: usize, out: usize, cap: i32): i32 {
  return codec_encode(sym, N, W, bits, P, freq, cum, out, cap);
}

/** sym u16[N][W] from len payload bytes at inp; returns 0 or a negative status (see codec.ts). */
export function ae_codec_decode(inp: usize, len: i32, N: i32, W: i32, bits: i32, P: i32, freq: usize, cum: usize, sym: usize): i32 {
  return codec_decode(inp, len, N, W, bits, P, freq, cum, sym);
}

/** The 64-bit hash state at st (8 bytes) absorbs len bytes at p. */
export function ae_hash64_update(st: usize, p: usize, len: i32): void { hash64_update(st, p, len); }

// the subsample ensemble (ensemble.ts): K members back to back in the param block, statistics f32[K][D + 2]

/** perms i32[K][R]: each member's R training rows of n, drawn from the shuffle stream (R >= n: rows 0..n-1, no draw); tmp i32[n]. */
export function ae_ens_draw(ctx: usize, n: i32, R: i32, K: i32, perms: usize, tmp: usize): void { ens_draw(ctx, n, R, K, perms, tmp); }

/** Members k0..k1-1 of one epoch of every member on its R rows of x (normalized), keep f64[4] carrying the epoch across its calls; the call that reaches K returns the members' mean objective (ensemble.ts ens_epoch). */
export function ae_ens_epoch(ctx: usize, x: usize, perms: usize, R: i32, K: i32, batch: i32, k0: i32, k1: i32, keep: usize): f64 { return ens_epoch(ctx, x, perms, R, K, batch, k0, k1, keep); }

/** Part `part` (0 rows a..b-1, 1 features a..b-1, 2 rows a..b-1, 3 the rest) of members k0..k1-1's statistics over the S rows idx i32[S] of x (normalized); scratch e f32[S][D], tmp f32[16 S + 4096], one of each per member of k0..k1-1, kept between parts; rec f64[K][S] (or 0) keeps each row's recM; part 4: the ensemble scores of rows a..b-1 into tmp f32[S] from rec (ensemble.ts ens_stats, STATS_COLS). */
export function ae_ens_stats(ctx: usize, x: usize, S: i32, stats: usize, idx: usize, e: usize, tmp: usize, rec: usize, k0: i32, k1: i32, part: i32, a: i32, b: i32): void { ens_stats(ctx, x, S, stats, idx, e, tmp, rec, k0, k1, part, a, b); }

/** The cleaning pass: rows of xr whose ensemble score (scores f32[n], by ae_ens_score on the normalized rows) is <= sorted[floor(q (n - 1))], moved to the front; tmp f32[n]; returns their count. */
export function ae_ens_clean(ctx: usize, xr: usize, n: i32, q: f64, scores: usize, tmp: usize): i32 { return ens_clean(ctx, xr, n, q, scores, tmp); }

/** out f32[n]: the ensemble score (x normalized in place first unless `normalized` is 1: rows already in normalized units); dens: the density block (0: the model has none). */
export function ae_ens_score(ctx: usize, x: usize, n: i32, out: usize, K: i32, stats: usize, dens: usize, normalized: i32): void { ens_score(ctx, x, n, out, K, stats, dens, normalized != 0); }

/**
 * Whether the model provably scores every row within +-B (normalized units) with values, errors and
 * (an ensemble of K members with its statistics and density block: 0 none) scores at most lim (bound.ts,
 * ens_bound): -1, or k (nodes + 1) + the first node of member k past it (nodes: the error), or K (nodes + 1)
 * for an ensemble's score; that bound at m[0]. Scratch m: f32 per node channel; v: f32, the widest node input.
 */
export function ae_bound(ctx: usize, B: f32, lim: f32, m: usize, v: usize, K: i32, stats: usize, dens: usize): i32 {
  return ens_bound(ctx, B, lim, m, v, K, stats, dens);
}

/** The latent density term's block (density.ts) after fit, part `part` in order: 0 reference rows drawn from the rows the ensemble scores (scores f32[n], by ae_ens_score) at or below its 80% quantile, returns R; 1 reference rows a..b-1's codes; 2 the block's codes and k-d index; 3 statistic rows a..b-1's codes and term; 4 the term's median and scale over the S rows sidx, the block ready (Rmax: R in parts 1-4). */
export function ae_dens_fit(ctx: usize, xn: usize, n: i32, dens: usize, Rmax: i32, L: i32, sidx: usize, S: i32, scores: usize, tmp: usize, ridx: usize, z: usize, t: usize, part: i32, a: i32, b: i32): i32 {
  return dens_fit(ctx, xn, n, dens, Rmax, L, sidx, S, scores, tmp, ridx, z, t, part, a, b);
}
