// series.ts: streaming anomaly scoring of one time series with the model's autoencoder, whole
// calls in wasm: each point goes into a ring of recent values, the autoencoder reconstructs the
// window ending at it (values standardised by the normaliser frozen at the last training; with
// S_MASK = P > 0 its newest P points hidden from the input, so their error is a prediction error),
// its reconstruction error (and the prediction error, and with S_QW > 0 the newest point's error
// when P + 1 points are hidden: a prediction one step further ahead) goes through an anomaly
// likelihood like HTM's (a short moving average of errors, its tail probability under the mean and
// spread of recent averages; the -ln Q of the streams averaged with weights, log-scaled to [0, 1]),
// and at a fixed cadence the autoencoder is retrained on the windows of the recent history. A memory
// of alarms (S_MEMK > 0, `remember`) halves a score whose window repeats a remembered alarm's; two
// rules then thin out repeated alarms: a score that is no new high over the last S_SUP points is
// halved, and (S_RSPAN > 0) so is one within S_RSPAN points of a hot score that does not beat it by
// S_RMARGIN. Last, a value just beyond the range seen (by less than the range check's tolerance)
// scores at least the range check's ramp (S_SRAMP), after those rules and feeding none of them; once
// the model scores, only where the model finds the point unusual too (S_SRCONF).
// Not here: argument checks (bindings/series.ts validates before calling), time handling.
// Dims: W window, H history (values kept), N training windows, LS short average, LL likelihood history,
// P hidden points, PLS short average of the prediction errors.

import { C_NLAYERS, ci } from './arena';
import { f32_exp_scalar, f32_log_scalar } from './math';
import { infer, train_epoch } from './train';

// state block: byte offsets (f64 fields, then i32/f32), then the rings; the scratch after it is not state.
// bindings/wasm.ts S writes the same offsets; tests/layout.test.ts holds the two equal.
export const S_MEAN = 0;       // f64 normaliser shift, frozen at the last training
export const S_STD = 8;        // f64 normaliser scale
export const S_MIN = 16;       // f64 smallest value seen (less the origin, as the ring keeps it)
export const S_MAX = 24;       // f64 largest value seen (less the origin)
export const S_ESUM = 32;      // f64 sum of the averaged errors in the likelihood history (ESUM, ESQ, SSUM: the order stream_push reads, as PSUM..., QSUM...)
export const S_ESQ = 40;       // f64 sum of their squares
export const S_SSUM = 48;      // f64 sum of the errors in the short ring
export const S_COUNT = 56;     // i32 points seen
export const S_W = 60;         // i32 window length W
export const S_H = 64;         // i32 values kept H (>= W)
export const S_NTRAIN = 68;    // i32 most windows per training N
export const S_EP0 = 72;       // i32 epochs of the first training
export const S_EP = 76;        // i32 epochs of each retraining
export const S_CAD = 80;       // i32 points between trainings
export const S_WARM = 84;      // i32 points before the first training (scores 0 until then)
export const S_BATCH = 88;     // i32 minibatch rows (<= the model's capacity)
export const S_LS = 92;        // i32 short moving-average length LS
export const S_LL = 96;        // i32 likelihood history length LL
export const S_EN = 100;       // i32 averaged errors recorded so far
export const S_NEXT = 104;     // i32 point count at which the next training runs
export const S_MINHIST = 108;  // i32 averaged errors needed before the likelihood scores (0 until then)
export const S_SPATIAL = 112;  // f32 spatial tolerance: a value beyond [min, max] by this fraction of the range scores 1 (< 0: off)
export const S_ERRMODE = 116;  // i32 0: window mean squared error, 1: last point's squared error, 2: log(1e-4 + window MSE)
export const S_SDFLOOR = 120;  // f32 the likelihood's spread is at least this fraction of |mean| of the history
export const S_SUP = 124;      // i32 K: a score that does not exceed the largest of the K before it is halved (0: off)
export const S_LASTT = 128;    // f64 time of the previous point (timed series)
export const S_CTX = 136;      // i32 context bins C after the window (0: no long context)
export const S_CB = 140;       // i32 points per context bin B (0 until the first training decides it; -1: the context left out, its bins 0)
export const S_DEFSPAN = 144;  // i32 points the context spans when no period is known (untimed series)
export const S_TIMED = 148;    // i32 1 once points came with times
export const S_FULL = 152;     // i32 points after which the long context first holds only seen points (B C); the training there is a first one
export const S_BASE = 160;     // f64 mean error of the last training's windows (subtracted when S_REL)
export const S_REL = 168;      // i32 1: errors are relative to the last training's mean error
export const S_MASK = 172;     // i32 P: the newest P window points are hidden from the model's input (each replaced by the point before them), so their error is a prediction error; 0: none (reconstruction only)
export const S_PSUM = 176;     // f64 sum of the averaged prediction errors in their likelihood history
export const S_PSQ = 184;      // f64 sum of their squares
export const S_PSSUM = 192;    // f64 sum of the prediction errors in their short ring
export const S_PLS = 200;      // i32 short moving-average length of the prediction errors PLS
export const S_PFLOOR = 204;   // f32 the prediction error is ln(this + the hidden points' mean squared error)
export const S_QSUM = 208;     // f64 sum of the averaged two-step errors in their likelihood history
export const S_QSQ = 216;      // f64 sum of their squares
export const S_QSSUM = 224;    // f64 sum of the two-step errors in their short ring (PLS long)
export const S_QW = 232;       // f32 weight of the two-step stream in the mean of the -ln Q (0: no such stream; the scores of state version 3)
export const S_RSPAN = 236;    // i32 refractory span R: within R points after a hot score, a score counts half unless it beats that one by S_RMARGIN (0: off; the scores of state version 4)
export const S_RLEVEL = 240;   // f32 a score (before halving) at or above this is hot
export const S_RMARGIN = 244;  // f32 the margin a score must beat the last hot score by to count whole within its span
export const S_RAT = 248;      // i32 count (1-based) of the last hot point (0: none yet)
export const S_RVAL = 252;     // f32 the last hot point's score (before halving)
export const S_MEMK = 256;     // i32 K: alarms remembered (0: no memory; the scores of state version 6)
export const S_MEMN = 260;     // i32 alarms remembered so far (the next goes to slot MEMN % K)
export const S_MTOL = 264;     // f32 a window repeats a remembered alarm when the RMS difference of their unit shapes is below this
export const S_MAMP = 268;     // f32 ... and their sizes (relative to the range seen) are within this ratio
export const S_ORIGIN = 272;   // f64 the values' origin: the ring keeps value - origin (option origin: NaN until the first value with 'first'; 0 for states of version 7 and before)
export const S_CTXFIT = 280;   // i32 1 (contextFit): a timed series' day (or week) longer than the training windows (S_NTRAIN) leaves the long context out (S_CB -1); 0: it never does (states of version 7 and before)
export const S_SRAMP = 284;    // f32 r: a value beyond [min, max] by less than the spatial tolerance scores at least r + (1 - r) (its excess / the tolerance), after the halving rules (< 0: off, the scores of state version 8)
export const S_SRCONF = 288;   // f32 p: once the model scores (its likelihood history holds minHistory errors), the ramp counts only where the model's combined likelihood L is at least -ln p (its tail probability at most p); 0: always (the scores of state version 9)
export const S_DEMEAN = 292;   // i32 1: each window's W standardised values less their mean, and the context bins less the same (the window's shape without its level: the shape resolutions' detectors; 0 for states of version 10 and before)
export const S_FILL = 296;     // i32 G (fillGaps): after the warm-up, a gap of k grid steps (2 <= k <= G + 1) gets its k - 1 missing points (series_fill); 0: none (states of version 11 and before)
export const S_STEPF = 300;    // f32 the grid step in ms for S_FILL: the median of the warm-up's steps, set when the warm-up ends (0 before it, or untimed; -1: a median of 0, no grid)
export const S_BYTES = 304;     // (a multiple of 16)

// @ts-ignore: decorator
@inline function si(st: usize, f: usize): i32 { return load<i32>(st + f); }
// @ts-ignore: decorator
@inline function sd(st: usize, f: usize): f64 { return load<f64>(st + f); }

/**
 * Where the rings start (bytes from st): values f32[H], errors f32[LS], averages f32[LL], scores f32[K],
 * warm-up steps f32[WARM], then (with P > 0) prediction errors f32[PLS] and their averages f32[LL],
 * then (with QW > 0) two-step errors f32[PLS] and their averages f32[LL], then the remembered alarms
 * f32[K (W + 1)] (K = S_MEMK).
 */
// @ts-ignore: decorator
@inline function vals_at(st: usize): usize { return st + S_BYTES; }
// @ts-ignore: decorator
@inline function errs_at(st: usize): usize { return vals_at(st) + (<usize>si(st, S_H) << 2); }
// @ts-ignore: decorator
@inline function avgs_at(st: usize): usize { return errs_at(st) + (<usize>si(st, S_LS) << 2); }
// @ts-ignore: decorator
@inline function sups_at(st: usize): usize { return avgs_at(st) + (<usize>si(st, S_LL) << 2); }
// @ts-ignore: decorator
@inline function steps_at(st: usize): usize { return sups_at(st) + (<usize>si(st, S_SUP) << 2); }
// @ts-ignore: decorator
@inline function perrs_at(st: usize): usize { return steps_at(st) + (<usize>si(st, S_WARM) << 2); }
// @ts-ignore: decorator
@inline function pavgs_at(st: usize): usize { return perrs_at(st) + (<usize>si(st, S_PLS) << 2); }
// @ts-ignore: decorator
@inline function qerrs_at(st: usize): usize { return si(st, S_MASK) > 0 ? pavgs_at(st) + (<usize>si(st, S_LL) << 2) : perrs_at(st); }
/** The remembered alarms (after the two-step rings): K entries of W + 1 floats, each a size then a unit shape. */
// @ts-ignore: decorator
@inline function mems_at(st: usize): usize { return qerrs_at(st) + (load<f32>(st + S_QW) > 0 ? <usize>(si(st, S_PLS) + si(st, S_LL)) << 2 : 0); }

/**
 * The memory of alarms: the window ending at count c (W values from the ring) as a shape, its values
 * less the mean of its older half, divided by the range seen (hi - lo); its size the largest of those
 * magnitudes, and the shape divided by its size (a unit shape) when that is not 0. A score below 1
 * whose window repeats a remembered alarm (unit shapes within S_MTOL RMS of each other, sizes within
 * a ratio of S_MAMP) counts half: a spike, dip or burst like one that alarmed before is no news (a
 * server's recurring job, a daily surge). Then a score at or above S_RLEVEL (before this halving) is
 * remembered, the oldest of K forgotten. shape: W f32 of scratch. Returns the score.
 */
function remember(st: usize, c: i32, score: f32, ring: usize, H: i32, W: i32, lo: f64, hi: f64, shape: usize): f32 {
  const K = si(st, S_MEMK), n = si(st, S_MEMN), mems = mems_at(st);
  // nothing to compare with and nothing to remember: the window's shape is not needed
  if (n == 0 && score < load<f32>(st + S_RLEVEL)) return score;
  let range = hi - lo;
  if (range <= 0) range = 1;
  // the window's ring positions: from p0, wrapping at H
  const h = W >> 1, p0 = (c - W + 1) % H;
  let base: f64 = 0;
  let p = p0;
  for (let j = 0; j < h; j++) {
    base += <f64>load<f32>(ring + (<usize>p << 2));
    if (++p == H) p = 0;
  }
  base /= <f64>h;
  let size: f64 = 0;
  p = p0;
  for (let j = 0; j < W; j++) {
    const z = (<f64>load<f32>(ring + (<usize>p << 2)) - base) / range;
    if (++p == H) p = 0;
    store<f32>(shape + (<usize>j << 2), <f32>z);
    size = max(size, abs(z));
  }
  if (size > 0) for (let j = 0; j < W; j++) store<f32>(shape + (<usize>j << 2), <f32>(<f64>load<f32>(shape + (<usize>j << 2)) / size));
  const sz = <f32>size, ratio = load<f32>(st + S_MAMP), tol = <f64>load<f32>(st + S_MTOL);
  let out = score;
  if (score < 1) {
    for (let k = 0; k < min(n, K); k++) {
      const e = mems + (<usize>(k * (W + 1)) << 2);
      const a = load<f32>(e);
      if (sz > a * ratio || a > sz * ratio) continue;
      let d: f64 = 0;
      for (let j = 0; j < W; j++) {
        const x = <f64>load<f32>(shape + (<usize>j << 2)) - <f64>load<f32>(e + (<usize>(j + 1) << 2));
        d += x * x;
      }
      if (d < tol * tol * <f64>W) {
        out = score * 0.5;
        break;
      }
    }
  }
  if (score >= load<f32>(st + S_RLEVEL)) {
    const e = mems + (<usize>((n % K) * (W + 1)) << 2);
    store<f32>(e, sz);
    memory.copy(e + 4, shape, <usize>W << 2);
    store<i32>(st + S_MEMN, n + 1);
  }
  return out;
}

/**
 * Counters are i32: once a detector has counted REBASE_AT points its counters move back by D, a
 * multiple of every period the count is taken modulo (the value ring H, the suppression ring K, the
 * next resolution's block F), so a detector runs forever with the same bits (the bindings add D to
 * the `count` they report, and keep it in the state file's header). Likewise the recorded errors
 * (modulo LS, LL and PLS) and the remembered alarms (modulo MEMK). It does nothing when those periods
 * have no common multiple of at most REBASE_PERIOD, or when a hot point D back still holds a
 * refractory span: the counts then grow on until the bindings refuse the push (REBASE_LIMIT there).
 */
export const REBASE_AT: i32 = 1 << 29;
const REBASE_TO: i32 = 1 << 28;
const REBASE_PERIOD: i64 = 1 << 26;

function gcd64(a: i64, b: i64): i64 {
  while (b != 0) { const t = a % b; a = b; b = t; }
  return a;
}
// @ts-ignore: decorator
@inline function lcm64(a: i64, b: i64): i64 { return a / gcd64(a, b) * b; }

/** Moves the counters of a detector that has counted REBASE_AT points back (see REBASE_AT); F: its next resolution's block (1: none). */
function rebase(st: usize, F: i32): void {
  const c = si(st, S_COUNT);
  let L = lcm64(<i64>si(st, S_H), <i64>max(1, si(st, S_SUP)));
  L = lcm64(L, <i64>max(1, F));
  const has2 = si(st, S_MASK) > 0 || load<f32>(st + S_QW) > 0;
  const Le = lcm64(lcm64(<i64>si(st, S_LS), <i64>si(st, S_LL)), has2 ? <i64>si(st, S_PLS) : 1);
  if (L > REBASE_PERIOD || Le > REBASE_PERIOD) return;
  const D = <i32>((<i64>(c - REBASE_TO) / L) * L);
  const at = si(st, S_RAT);
  if (at > 0 && at <= D && c + 1 - at <= si(st, S_RSPAN)) return;
  store<i32>(st + S_COUNT, c - D);
  store<i32>(st + S_NEXT, si(st, S_NEXT) - D);
  if (at > 0) store<i32>(st + S_RAT, at > D ? at - D : 0);
  const half = REBASE_TO >> 1;
  const en = si(st, S_EN);
  if (<i64>en > <i64>half + Le) store<i32>(st + S_EN, en - <i32>((<i64>(en - half) / Le) * Le));
  const K = si(st, S_MEMK), mn = si(st, S_MEMN);
  if (K > 0 && mn > half + K) store<i32>(st + S_MEMN, mn - (mn - half) / K * K);
}

/** ms in a day: a timed series' long context spans one day (one week when a day is under 2 windows). */
const DAY_MS: f64 = 86400000;

/**
 * Decides B, the points per context bin, at the first training: the context spans the series' day,
 * P = one day / the median step between the warm-up's points (a week when P < 2W, so hourly data
 * sees its weekly cycle), or DEFSPAN points untimed (or when most steps repeat a time); B = round(span / C),
 * at least 1, and the context fits in the kept values (B C <= H - W). With S_CTXFIT, a day (or week) of
 * more points than the N training windows leaves the context out (B = -1, its bins 0): a retraining
 * would never see every time of day, so the context of the current one is always new to the model
 * (minute data: 1,440 points a day against 1,024 windows; tools/nab/tries.md, round 13).
 */
function choose_bins(st: usize, scratch: usize): void {
  const C = si(st, S_CTX), W = si(st, S_W), H = si(st, S_H), n = si(st, S_WARM) - 1;
  let span = <f64>si(st, S_DEFSPAN);
  if (si(st, S_TIMED) != 0 && n > 0) {
    memory.copy(scratch, steps_at(st), <usize>n << 2);
    const med = <f64>sorted_median(scratch, n);
    if (med > 0) {
      span = DAY_MS / med;
      if (span < <f64>(2 * W)) span *= 7;
      if (si(st, S_CTXFIT) != 0 && span > <f64>si(st, S_NTRAIN)) {
        store<i32>(st + S_CB, -1);
        store<i32>(st + S_FULL, 0);
        return;
      }
    }
  }
  // B = round(span / C), at least 1 and at most (H - W) / C (at least 1), taken in f64: a span of
  // millions of points (a timed series whose steps are microseconds, contextFit false) made B C
  // overflow i32, and the context then read outside the ring (a trap)
  const Bf = max(1.0, Math.round(span / <f64>C)), most = max(1, (H - W) / C);
  const B = Bf > <f64>most ? most : <i32>Bf;
  store<i32>(st + S_CB, B);
  store<i32>(st + S_FULL, B * C);
}

/** The median (the (n >> 1)-th smallest) of n > 0 float32s at buf, sorted in place (insertion sort: a few hundred, once). */
function sorted_median(buf: usize, n: i32): f32 {
  for (let i = 1; i < n; i++) {
    const x = load<f32>(buf + (<usize>i << 2));
    let j = i;
    while (j > 0 && load<f32>(buf + (<usize>(j - 1) << 2)) > x) {
      store<f32>(buf + (<usize>j << 2), load<f32>(buf + (<usize>(j - 1) << 2)));
      j--;
    }
    store<f32>(buf + (<usize>j << 2), x);
  }
  return load<f32>(buf + (<usize>(n >> 1) << 2));
}

/**
 * The points series_push is to score for n timed points vals f64[n], times f64[n]: with S_FILL G > 0, once the
 * warm-up is over, a point that comes k grid steps after the one before it (k = round(its step / the grid step),
 * 2 <= k <= G + 1) is preceded by the k - 1 points missing between them, at the grid's times and linearly
 * interpolated between the two values (the one before as the ring keeps it, value - origin in float32), so a
 * series that skips a few points now and then reaches the model on its grid; longer gaps are left as they are.
 * The grid step is the median of the warm-up's WARM - 1 steps (those choose_bins takes), fixed when the point
 * after them comes: no point before it is filled. Writes the m points to outv f64[m] and outt f64[m] (m <= n (G + 1))
 * and each given point's index among them to at i32[n]; scratch f32[WARM]. Returns m. The state changes only by
 * S_STEPF; series_push then scores the m points. With outv 0 it only counts them (m), and changes nothing.
 */
export function series_fill(st: usize, vals: usize, times: usize, n: i32, outv: usize, outt: usize, at: usize, scratch: usize): i32 {
  const G = si(st, S_FILL), WARM = si(st, S_WARM), H = si(st, S_H);
  const o = origin_of(st, vals, n);
  let c = si(st, S_COUNT);
  let step = <f64>load<f32>(st + S_STEPF);
  // the point before: its time, and its value as the ring keeps it
  let pt = sd(st, S_LASTT);
  let pv: f64 = c > 0 ? <f64>load<f32>(vals_at(st) + (<usize>((c - 1) % H) << 2)) : 0;
  // the warm-up's steps: the ring's so far, then this call's (until the grid step is fixed)
  if (step == 0) memory.copy(scratch, steps_at(st), <usize>min(max(c - 1, 0), WARM - 1) << 2);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = load<f64>(vals + (<usize>i << 3)), t = load<f64>(times + (<usize>i << 3));
    const v = <f64>(<f32>(x - o));
    if (c >= WARM && step == 0 && G > 0) {
      // (a median of 0, from repeated times, is stored as -1: no grid, never filled)
      step = <f64>sorted_median(scratch, WARM - 1);
      if (!(step > 0)) step = -1;
      if (outv != 0) store<f32>(st + S_STEPF, <f32>step);
    }
    if (step > 0 && c >= WARM) {
      const k = Math.round((t - pt) / step);
      if (k >= 2 && k <= <f64>(G + 1)) {
        for (let j = 1; j < <i32>k; j++) {
          if (outv != 0) {
            store<f64>(outv + (<usize>m << 3), o + (pv + (v - pv) * (<f64>j / k)));
            store<f64>(outt + (<usize>m << 3), pt + <f64>j * step);
          }
          m++;
          c++;
        }
      }
    }
    if (c > 0 && c < WARM) store<f32>(scratch + (<usize>(c - 1) << 2), <f32>(t - pt));
    if (outv != 0) {
      store<f64>(outv + (<usize>m << 3), x);
      store<f64>(outt + (<usize>m << 3), t);
      store<i32>(at + (<usize>i << 2), m);
    }
    m++;
    c++;
    pt = t;
    pv = v;
  }
  return m;
}

/** out f32[n] = scores f32[at[i]]: series_push's scores of the given points among the filled ones (series_fill). */
export function series_pick(scores: usize, at: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(scores + (<usize>load<i32>(at + (<usize>i << 2)) << 2)));
}

/**
 * ln Q(z), the log upper-tail probability of the standard normal, Q(z) = erfc(z / sqrt 2) / 2, with
 * erfc from Numerical Recipes (2nd ed., 6.2, erfcc: erfc(x) = t exp(P(t) - x^2), t = 1 / (1 + x / 2),
 * fractional error < 1.2e-7 everywhere). For z >= 0 the log is taken of the product's factors, so
 * it neither underflows nor saturates however far out z is. The polynomial in f64, exp/log in f32.
 */
export function normal_log_tail(z: f64): f64 {
  const x = z * 0.7071067811865476;
  const ax = abs(x);
  const t = 1.0 / (1.0 + 0.5 * ax);
  const p = -ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  if (x >= 0) return <f64>f32_log_scalar(<f32>(0.5 * t)) + p;
  return <f64>f32_log_scalar(<f32>(1.0 - 0.5 * t * <f64>f32_exp_scalar(<f32>p)));
}

/** ln(1e5): the score is 0.5 where the tail probability is 1e-5 (HTM's log likelihood is 0.5 there too). */
const HALF_AT: f64 = 11.512925464970229;

/**
 * The calibrated score of an averaged error `a` against a history with sum `s`, sum of squares `q`
 * over `n` values: z = (a - mean) / max(std, floor |mean|, 1e-6), L = -ln Q(z), score L / (L + ln 1e5)
 * in [0, 1): a monotone map of the tail probability, like HTM's log likelihood, without its
 * saturation at Q = 1e-10 (ties at the top would blind a threshold).
 */
export function series_likelihood(a: f64, s: f64, q: f64, n: i32, floor: f64): f32 {
  return score_of(log_likelihood(a, s, q, n, floor));
}

/** L = max(-ln Q(z), 0) of series_likelihood, before its map to [0, 1). */
function log_likelihood(a: f64, s: f64, q: f64, n: i32, floor: f64): f64 {
  const mean = s / <f64>n;
  const v = max(q / <f64>n - mean * mean, 0.0);
  const sd = max(max(sqrt(v), floor * abs(mean)), 1e-6);
  return max(-normal_log_tail((a - mean) / sd), 0.0);
}

/** L / (L + ln 1e5) in [0, 1); 1 for an infinite L (a coarser resolution's score of 1, series_push). */
// @ts-ignore: decorator
@inline function score_of(L: f64): f32 { return L < Infinity ? <f32>(L / (L + HALF_AT)) : 1; }

/**
 * Scalar check over n f64 values (and times when hasTime): -1 if fine, else 2i (value i, or its
 * distance from the origin (the first value when origin is NaN), not a finite float32) or 2i+1 (time
 * i not finite or before the previous).
 */
export function series_check(vals: usize, times: usize, n: i32, hasTime: i32, last: f64, origin: f64): i32 {
  let prev = last;
  const o = isNaN(origin) && n > 0 ? load<f64>(vals) : origin;
  for (let i = 0; i < n; i++) {
    const v = load<f64>(vals + (<usize>i << 3));
    if (!(abs(v) <= 3.4028234663852886e38) || !(abs(v - o) <= 3.4028234663852886e38)) return 2 * i;
    if (hasTime != 0) {
      const t = load<f64>(times + (<usize>i << 3));
      if (!(t >= prev) || !isFinite(t)) return 2 * i + 1;
      prev = t;
    }
  }
  return -1;
}

/**
 * Standardises the W values ending at count c (exclusive) into dst, clamped to +-1e6, then C context
 * bins after them: the means of B consecutive values over the B C points ending at c, standardised
 * the same way; values no longer kept (or before the first) leave a bin's mean to the others, an
 * empty bin is 0 (the normaliser's mean).
 */
function window_into(st: usize, c: i32, dst: usize, sums: usize = 0, p0: i32 = 0): void {
  const W = si(st, S_W), H = si(st, S_H), C = si(st, S_CTX), B = si(st, S_CB);
  const mean = sd(st, S_MEAN), inv = 1.0 / sd(st, S_STD);
  const vals = vals_at(st);
  for (let j = 0; j < W; j++) {
    const v = <f64>load<f32>(vals + (<usize>((c - W + j) % H) << 2));
    store<f32>(dst + (<usize>j << 2), <f32>min(max((v - mean) * inv, -1e6), 1e6));
  }
  // S_DEMEAN: the window less its own mean (summed in order, in f32), the context bins less the same below (a context
  // left out, B < 0, stays 0: it carries no level to take off)
  let wm: f32 = 0;
  if (si(st, S_DEMEAN) != 0) {
    for (let j = 0; j < W; j++) wm += load<f32>(dst + (<usize>j << 2));
    wm /= <f32>W;
    for (let j = 0; j < W; j++) store<f32>(dst + (<usize>j << 2), load<f32>(dst + (<usize>j << 2)) - wm);
  }
  if (C == 0) return;
  if (B < 0) {
    memory.fill(dst + (<usize>W << 2), 0, <usize>C << 2);
    return;
  }
  const lo = max(0, si(st, S_COUNT) - H);
  const start = c - B * C;
  for (let k = 0; k < C; k++) {
    const p = start + k * B;
    // sums != 0: bin_sums' sum for the bin starting at p (the same additions in the same order)
    const s = sums != 0 ? load<f64>(sums + (<usize>(p - p0) << 3)) : bin_sum(vals, H, max(p, lo), p + B);
    const m = p + B - max(p, lo);
    const z = m <= 0 ? 0.0 : (s / <f64>m - mean) * inv;
    store<f32>(dst + (<usize>(W + k) << 2), <f32>min(max(z, -1e6), 1e6) - wm);
  }
}

/** The kept values of ring positions [j0, j1) summed in f64 from 0, in order (0 when j0 >= j1). */
// @ts-ignore: decorator
@inline function bin_sum(vals: usize, H: i32, j0: i32, j1: i32): f64 {
  let s: f64 = 0;
  for (let j = j0; j < j1; j++) s += <f64>load<f32>(vals + (<usize>(j % H) << 2));
  return s;
}

/**
 * sums[i] (f64) = the context bin sum window_into computes for a bin starting at position p0 + i, for
 * i < n: a retraining's windows are consecutive, so their bins (B points, starting B apart) start at
 * every position of one range, and each sum is made once instead of once per window that holds it.
 */
function bin_sums(st: usize, p0: i32, n: i32, sums: usize): void {
  const H = si(st, S_H), B = si(st, S_CB), lo = max(0, si(st, S_COUNT) - H), vals = vals_at(st);
  for (let i = 0; i < n; i++) {
    const p = p0 + i;
    store<f64>(sums + (<usize>i << 3), bin_sum(vals, H, max(p, lo), p + B));
  }
}

/**
 * Copies a D-value input into dst with the newest P window points (ending at WIN - 1) replaced by the
 * one before them. The last context bin still holds them (1/B of its mean): hiding them there too
 * scored NAB 67.7 against 68.0 (mean of seeds 1-3), 61.6 against 62.8 low FP (tools/nab/tries.md).
 */
function mask_into(st: usize, src: usize, dst: usize, D: i32, P: i32): void {
  memory.copy(dst, src, <usize>D << 2);
  const WIN = si(st, S_W);
  const keep = load<f32>(src + (<usize>(WIN - 1 - P) << 2));
  for (let j = WIN - P; j < WIN; j++) store<f32>(dst + (<usize>j << 2), keep);
}

/**
 * The prediction error: ln(floor + mean squared error of the P newest window points, ending at WIN - 1)
 * of the reconstruction y of x. With P = S_MASK hidden points, the prediction stream's; with P = 1
 * and the reconstruction of x with its newest S_MASK + 1 points hidden, the two-step stream's (the
 * error of a prediction one point further ahead: with S_MASK = 1, of the newest point from the
 * points before the one before it).
 */
function prediction_error(st: usize, x: usize, y: usize, P: i32): f64 {
  const WIN = si(st, S_W);
  let err: f64 = 0;
  for (let j = WIN - P; j < WIN; j++) {
    const d = <f64>load<f32>(y + (<usize>j << 2)) - <f64>load<f32>(x + (<usize>j << 2));
    err += d * d;
  }
  return <f64>f32_log_scalar(<f32>(err / <f64>P + <f64>load<f32>(st + S_PFLOOR)));
}

/**
 * Pushes one error through a likelihood stream: its short moving average (ring `errs` of `LS`,
 * running sum at f + 16; the first LS - 1 average fewer), that average's calibrated score under the
 * history of averages before it (ring `avgs` of `LL` right after `errs`, sums at f, f + 8; 0
 * before `minHistory`), then the average joins the history. f is S_ESUM, S_PSUM or S_QSUM (each
 * stream's three f64 sums in that order). `e` is the count of errors recorded before this one.
 * Returns the average's L = -ln Q (log_likelihood), 0 before `minHistory` averages.
 */
function stream_push(st: usize, err: f64, e: i32, errs: usize, LS: i32, f: usize, floor: f64): f64 {
  const fs = f, fq = f + 8, fsum = f + 16, avgs = errs + (<usize>LS << 2);
  const LL = si(st, S_LL);
  const k = e % LS;
  let ssum = sd(st, fsum);
  if (e >= LS) ssum -= <f64>load<f32>(errs + (<usize>k << 2));
  const ef = <f32>err;
  store<f32>(errs + (<usize>k << 2), ef);
  ssum += <f64>ef;
  store<f64>(st + fsum, ssum);
  const avg = <f32>(ssum / <f64>min(e + 1, LS));
  const have = min(e, LL);
  let L: f64 = 0;
  if (have >= si(st, S_MINHIST)) L = log_likelihood(<f64>avg, sd(st, fs), sd(st, fq), have, floor);
  const slot = avgs + (<usize>(e % LL) << 2);
  let es = sd(st, fs), eq = sd(st, fq);
  if (e >= LL) {
    const old = <f64>load<f32>(slot);
    es -= old;
    eq -= old * old;
  }
  store<f32>(slot, avg);
  es += <f64>avg;
  eq += <f64>avg * <f64>avg;
  store<f64>(st + fs, es);
  store<f64>(st + fq, eq);
  return L;
}

/**
 * The means of the F-point blocks that end within the next n points (vals f64[n], not pushed yet): a
 * block ends at count c when (c + 1) % F == 0, and its points before this call come from the value
 * ring (F <= H). Values as the ring keeps them (float32, less the origin; the origin added back to the
 * mean), so the means do not depend on how the points were split into calls. out f64[m] for the m such
 * blocks; returns m.
 */
export function series_blocks(st: usize, vals: usize, n: i32, F: i32, out: usize): i32 {
  const c0 = si(st, S_COUNT), H = si(st, S_H), ring = vals_at(st);
  const o = origin_of(st, vals, n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const c = c0 + i;
    if ((c + 1) % F != 0) continue;
    let s: f64 = 0;
    for (let j = c - F + 1; j <= c; j++) {
      s += j >= c0 ? <f64>(<f32>(load<f64>(vals + (<usize>(j - c0) << 3)) - o)) : <f64>load<f32>(ring + (<usize>(j % H) << 2));
    }
    store<f64>(out + (<usize>m << 3), s / <f64>F + o);
    m++;
  }
  return m;
}

/** The values' origin: the state's, or when it has none yet (origin 'first', NaN) the first of these n values (f64). */
// @ts-ignore: decorator
@inline function origin_of(st: usize, vals: usize, n: i32): f64 {
  const o = sd(st, S_ORIGIN);
  return isNaN(o) && n > 0 ? load<f64>(vals) : o;
}

/** The error of a reconstruction y of x (D values; the newest point at WIN - 1) under the state's error mode. */
function window_error(st: usize, x: usize, y: usize, D: i32, WIN: i32): f64 {
  const mode = si(st, S_ERRMODE);
  let err: f64 = 0;
  if (mode == 1) {
    const d = <f64>load<f32>(y + (<usize>(WIN - 1) << 2)) - <f64>load<f32>(x + (<usize>(WIN - 1) << 2));
    return d * d;
  }
  for (let j = 0; j < D; j++) {
    const d = <f64>load<f32>(y + (<usize>j << 2)) - <f64>load<f32>(x + (<usize>j << 2));
    err += d * d;
  }
  err /= <f64>D;
  if (mode == 2) err = <f64>f32_log_scalar(<f32>(err + 1e-4));
  return err;
}

/** (Re)trains on the windows of the kept history: refits the normaliser, then epochs over at most N windows. */
function series_train(ctx: usize, st: usize, scratch: usize, first: bool): void {
  const c = si(st, S_COUNT), W = si(st, S_W), H = si(st, S_H);
  if (si(st, S_CTX) > 0 && si(st, S_CB) == 0) choose_bins(st, scratch);
  const D = W + si(st, S_CTX);
  const kept = min(c, H);
  const vals = vals_at(st);
  // normaliser: mean and std of the kept values (std floored so a flat series stays finite)
  let s: f64 = 0, q: f64 = 0;
  for (let i = c - kept; i < c; i++) s += <f64>load<f32>(vals + (<usize>(i % H) << 2));
  const mean = s / <f64>kept;
  for (let i = c - kept; i < c; i++) {
    const d = <f64>load<f32>(vals + (<usize>(i % H) << 2)) - mean;
    q += d * d;
  }
  const std = max(sqrt(q / <f64>kept), max(1e-4 * abs(mean), 1e-8));
  store<f64>(st + S_MEAN, mean);
  store<f64>(st + S_STD, std);
  const m = min(kept - W + 1, si(st, S_NTRAIN));
  // inputs xin (the windows with their newest P points hidden, when P > 0) and targets x (the windows)
  const masked = si(st, S_MASK) > 0;
  const x = scratch, perm = scratch + (<usize>(m * D) << 2);
  // after perm: y's rows (the mean-error pass), then xin (masked), then the bin sums
  const after_y = perm + (<usize>(m + SCRATCH_YROWS * D + 8) << 2);
  const xin = masked ? after_y : x;
  // the context bins' sums for every start the m windows use (window c - m + 1's first bin to window
  // c's last), 8-byte aligned
  const C = si(st, S_CB) > 0 ? si(st, S_CTX) : 0, BC = si(st, S_CB) * C;
  const sums = ((masked ? xin + (<usize>(m * D) << 2) : after_y) + 7) & ~7;
  const p0 = c - m + 1 - BC;
  if (C > 0) bin_sums(st, p0, m + BC - si(st, S_CB), sums);
  for (let r = 0; r < m; r++) {
    window_into(st, c - m + 1 + r, x + (<usize>(r * D) << 2), C > 0 ? sums : 0, p0);
    if (masked) mask_into(st, x + (<usize>(r * D) << 2), xin + (<usize>(r * D) << 2), D, si(st, S_MASK));
    store<i32>(perm + (<usize>r << 2), r);
  }
  const epochs = first ? si(st, S_EP0) : si(st, S_EP);
  for (let e = 0; e < epochs; e++) train_epoch(ctx, xin, x, m, perm, 1, si(st, S_BATCH));
  if (si(st, S_REL) == 0) return;
  // the trained model's mean error over its own windows: the level later errors are measured from
  // (SCRATCH_YROWS rows per inference call: the products' 4-row tiles, where one-row calls took 4% of a
  // corpus run; every row is computed on its own either way, so the errors and their sum order are the same)
  const y = perm + (<usize>m << 2), last = ci(ctx, C_NLAYERS) - 1;
  let s2: f64 = 0;
  for (let r0 = 0; r0 < m; r0 += SCRATCH_YROWS) {
    const R = min(SCRATCH_YROWS, m - r0);
    infer(ctx, xin + (<usize>(r0 * D) << 2), R, 0, last, y, 0);
    for (let r = 0; r < R; r++) s2 += window_error(st, x + (<usize>((r0 + r) * D) << 2), y + (<usize>(r * D) << 2), D, W);
  }
  store<f64>(st + S_BASE, s2 / <f64>m);
}
/** Rows of reconstructions series_train's mean-error pass holds at once (the scratch has SCRATCH_YROWS D floats
 *  for them; bindings/wasm.ts SCRATCH mirrors it, tests/layout.test.ts holds the two equal). */
export const SCRATCH_YROWS = 32;

/**
 * Scores n points: vals f64[n] in (times f64[n], or 0 untimed), out f32[n] scores in [0, 1]. Each
 * point's score depends only on it and the points before it (trainings run before the point that
 * triggers them is scored, on windows that end at it at the latest). With P > 0 hidden points the
 * score combines two likelihoods of one reconstruction: of the window's error and of the hidden
 * points' prediction error, averaged as -ln of their tail probabilities (the geometric mean of the two
 * probabilities); with QW > 0 the two-step error's likelihood joins the mean with weight QW (the
 * others 1). With agg != 0 (f32, a second resolution's scores: another detector's score_of(L) over
 * the series' F-point block means, one per block ending in these n points, in order: what
 * series_blocks listed) a point that ends a block (count c with (c + 1) % F == 0) takes the larger of
 * its own L and that score's L; with agg2 != 0 too (the shape resolutions' scores of the same blocks), the larger
 * of its own L and the two scores' L. scratch: max(N D + N + SCRATCH_YROWS D + 8 (+ N D with P > 0) + 2 (N + H) + 2, 3 D + 16,
 * WARM) floats with D = W + C, free between calls.
 */
export function series_push(ctx: usize, st: usize, vals: usize, times: usize, n: i32, out: usize, scratch: usize, agg: usize, agg2: usize, F: i32): void {
  const W = si(st, S_W) + si(st, S_CTX), H = si(st, S_H), LS = si(st, S_LS);
  const WIN = si(st, S_W);
  const ring = vals_at(st), errs = errs_at(st);
  const last = ci(ctx, C_NLAYERS) - 1;
  const tol = <f64>load<f32>(st + S_SPATIAL), r0 = <f64>load<f32>(st + S_SRAMP);
  const floor = <f64>load<f32>(st + S_SDFLOOR);
  // the ramp's confirmation: the model's L at least -ln p (p 0: none)
  const pconf = load<f32>(st + S_SRCONF);
  const Lconf: f64 = pconf > 0 ? -<f64>f32_log_scalar(pconf) : 0;
  // kept values are value - origin, so a large offset loses no digits
  const origin = origin_of(st, vals, n);
  store<f64>(st + S_ORIGIN, origin);
  for (let i = 0; i < n; i++) {
    const v = load<f64>(vals + (<usize>i << 3)) - origin;
    if (si(st, S_COUNT) >= REBASE_AT) rebase(st, F);
    const c = si(st, S_COUNT);
    // this point's block score, when it ends a block (taken here: warm-up points end blocks too)
    let a: f64 = 0;
    if (agg != 0 && (c + 1) % F == 0) {
      a = <f64>load<f32>(agg);
      agg += 4;
      // the shape resolutions' score of the same block: the larger of the two (score_of is increasing in L)
      if (agg2 != 0) {
        a = max(a, <f64>load<f32>(agg2));
        agg2 += 4;
      }
    }
    store<f32>(ring + (<usize>(c % H) << 2), <f32>v);
    store<i32>(st + S_COUNT, c + 1);
    // the warm-up's steps between times (the context's span is chosen from their median)
    if (times != 0) {
      const t = load<f64>(times + (<usize>i << 3));
      if (c > 0 && c < si(st, S_WARM)) store<f32>(steps_at(st) + (<usize>(c - 1) << 2), <f32>(t - sd(st, S_LASTT)));
      store<f64>(st + S_LASTT, t);
      store<i32>(st + S_TIMED, 1);
    }
    // the spatial check against the range seen before this point
    let spatial = false;
    let ramp: f32 = 0;
    const lo = sd(st, S_MIN), hi = sd(st, S_MAX);
    if (c >= si(st, S_WARM) && tol >= 0) {
      const span = hi - lo;
      if (span > 0) {
        if (v > hi + tol * span || v < lo - tol * span) spatial = true;
        else if (r0 >= 0 && (v > hi || v < lo)) ramp = <f32>(r0 + (1.0 - r0) * (max(v - hi, lo - v) / span) / tol);
      }
    }
    const fv = <f64>(<f32>v);
    if (c == 0 || fv < lo) store<f64>(st + S_MIN, fv);
    if (c == 0 || fv > hi) store<f64>(st + S_MAX, fv);
    if (c + 1 < si(st, S_WARM)) {
      store<f32>(out + (<usize>i << 2), 0);
      continue;
    }
    if (c + 1 >= si(st, S_NEXT)) {
      series_train(ctx, st, scratch, c + 1 == si(st, S_WARM) || c + 1 == si(st, S_FULL));
      // the next training: after the cadence, or sooner when the long context first fills
      const full = si(st, S_FULL);
      store<i32>(st + S_NEXT, c + 1 < full ? min(full, c + 1 + si(st, S_CAD)) : c + 1 + si(st, S_CAD));
    }
    // the likelihood starts once the long context holds only seen points: errors of windows whose
    // context was partly unseen are not comparable with the later ones, so they stay out of its history
    let score: f32 = 0;
    let Lp: f64 = 0;
    let has = false;
    let scoring = false;
    if (c + 1 >= si(st, S_FULL)) {
      // the reconstruction error of the window ending at this point
      const masked = si(st, S_MASK) > 0;
      const x = scratch, y = scratch + (<usize>(W + 4) << 2), xin = scratch + (<usize>(2 * W + 8) << 2);
      window_into(st, c + 1, x);
      if (masked) mask_into(st, x, xin, W, si(st, S_MASK));
      infer(ctx, masked ? xin : x, 1, 0, last, y, 0);
      let err = window_error(st, x, y, W, WIN);
      if (si(st, S_REL) != 0) err -= sd(st, S_BASE);
      // each error's likelihood under the history of its short averages before it
      const e = si(st, S_EN);
      // the model scores once its likelihood history holds minHistory errors (as stream_push)
      scoring = min(e, si(st, S_LL)) >= si(st, S_MINHIST);
      let L = stream_push(st, err, e, errs, LS, S_ESUM, floor);
      // the weighted mean of the streams' -ln Q (1 each; the two-step one qw, 0: none): with hidden
      // points and qw = 0 the mean of the two (the geometric mean of the two tail probabilities)
      const qw = <f64>load<f32>(st + S_QW);
      let wsum: f64 = 1;
      if (masked) {
        L += stream_push(st, prediction_error(st, x, y, si(st, S_MASK)), e, perrs_at(st), si(st, S_PLS), S_PSUM, floor);
        wsum += 1;
      }
      if (qw > 0) {
        // the two-step error: x with its newest P + 1 points hidden, reconstructed into y (done with it)
        mask_into(st, x, xin, W, si(st, S_MASK) + 1);
        infer(ctx, xin, 1, 0, last, y, 0);
        L += qw * stream_push(st, prediction_error(st, x, y, 1), e, qerrs_at(st), si(st, S_PLS), S_QSUM, floor);
        wsum += qw;
      }
      Lp = L / wsum;
      has = true;
      store<i32>(st + S_EN, e + 1);
    }
    // a second resolution: the block's L when it is larger (a block score of 1, an L beyond float32's
    // resolution there, is an infinite L: a score of 1)
    if (a > 0) {
      Lp = max(Lp, a < 1 ? HALF_AT * a / (1.0 - a) : Infinity);
      has = true;
    }
    if (has) score = score_of(Lp);
    // the ramp's confirmation: once the model scores, a value just beyond the range counts only where
    // the model finds the point unusual too (a weak range signal two detectors agree on)
    if (ramp > 0 && pconf > 0 && scoring && Lp < Lconf) ramp = 0;
    if (spatial) score = 1;
    // the memory of alarms (scratch is free here: this point's windows are done with)
    if (si(st, S_MEMK) > 0 && score > 0) score = remember(st, c, score, ring, H, WIN, sd(st, S_MIN), sd(st, S_MAX), scratch);
    const raw = score;
    // one alarm per episode: a score that is no new high over the last K points counts half
    const K = si(st, S_SUP);
    if (K > 0) {
      const sups = sups_at(st);
      let top: f32 = 0;
      const p = c + 1 - si(st, S_WARM);
      for (let j = 0; j < min(p, K); j++) top = max(top, load<f32>(sups + (<usize>j << 2)));
      store<f32>(sups + (<usize>(p % K) << 2), score);
      if (score <= top) score *= 0.5;
    }
    // refractory: within R points after a hot score (at or above the level), a score below 1 counts
    // half unless it beats that hot score by the margin (a run of slowly rising false alarms is one
    // alarm; a range-check 1 or a steep rise still counts)
    const R = si(st, S_RSPAN);
    if (R > 0) {
      const at = si(st, S_RAT);
      if (at > 0 && c + 1 - at <= R && score < 1 && !(<f64>raw > <f64>load<f32>(st + S_RVAL) + <f64>load<f32>(st + S_RMARGIN))) score = raw * 0.5;
      if (raw >= load<f32>(st + S_RLEVEL)) {
        store<i32>(st + S_RAT, c + 1);
        store<f32>(st + S_RVAL, raw);
      }
    }
    // the range check's ramp (a value just beyond the range seen), after the halving rules: not halved, and not a hot score for them
    if (ramp > score) score = ramp;
    store<f32>(out + (<usize>i << 2), score);
  }
}
