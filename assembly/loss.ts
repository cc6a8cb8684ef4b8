// loss.ts: reconstruction losses, their gradients and per-row scores.
// The loss of a batch is the MEAN over all R*C elements (PyTorch reduction='mean'); the score of
// a row is the mean of its C element losses. Row sums run in a fixed order (f32x4 lanes, then
// lanes 0+1+2+3, then the scalar tail), so a row's score is the same in every batch it lands in.
// bce clamps each log at -100 as PyTorch's BCELoss does; after a sigmoid output the gradient is
// taken with respect to the pre-activation, (p - t) / N, which is exact and never divides by ~0.
// Dims: R rows, C columns (output width).

import { f32_log_scalar } from './math';
import { act_backward } from './act';

export const LOSS_MSE: i32 = 0;
export const LOSS_MAE: i32 = 1;
export const LOSS_BCE: i32 = 2;
export const LOSS_COUNT: i32 = 3;

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// (a call, not inlined: four loops take it, and the scoring module then holds its range check once)
function bce_elem(p: f32, t: f32): f32 {
  const lp = max<f32>(f32_log_scalar(p), -100);
  const lq = max<f32>(f32_log_scalar(<f32>1 - p), -100);
  // a target outside [0, 1] (a row scored, or a validation row, beyond 'minmax''s training range; fit() refuses one
  // to train on), where bce's formula falls without bound: the nearest bound's loss plus 100 (the logs' clamp, the
  // steepest slope in t bce has) per unit beyond it, so such a row scores higher the farther out it lies
  return t >= 0 && t <= <f32>1 ? -(t * lp + (<f32>1 - t) * lq) : t > <f32>1 ? (t - <f32>1) * <f32>100 - lp : t * <f32>-100 - lq;
}

/** Sum of element losses of one row of C values. p: prediction, t: target. */
export function loss_row_sum(loss: i32, p: usize, t: usize, C: i32): f32 {
  let acc: f32 = 0;
  let j = 0;
  if (loss == LOSS_BCE) {
    for (; j < C; j++) {
      const off = <usize>j << 2;
      acc += bce_elem(load<f32>(p + off), load<f32>(t + off));
    }
    return acc;
  }
  let vacc = f32x4.splat(0);
  for (; j + 4 <= C; j += 4) {
    const off = <usize>j << 2;
    const d = f32x4.sub(v128.load(p + off), v128.load(t + off));
    vacc = f32x4.add(vacc, loss == LOSS_MSE ? f32x4.mul(d, d) : f32x4.abs(d));
  }
  acc = hsum(vacc);
  for (; j < C; j++) {
    const off = <usize>j << 2;
    const d = load<f32>(p + off) - load<f32>(t + off);
    acc += loss == LOSS_MSE ? d * d : abs<f32>(d);
  }
  return acc;
}

/** One element's loss of prediction a against target b: (a - b)^2, |a - b| or bce (loss_row_sum's terms). */
// @ts-ignore: decorator
@inline function elem_loss(loss: i32, a: f32, b: f32): f32 {
  const d = a - b;
  return loss == LOSS_BCE ? bce_elem(a, b) : loss == LOSS_MSE ? d * d : abs<f32>(d);
}

/**
 * out[i] = the element loss of p[i] against t[i] (loss_row_sum's terms: (p - t)^2, |p - t| or bce) times
 * `scale`, for n elements: explain()'s shares of a row's score (scale 1 / C). out may alias p.
 */
export function loss_terms(loss: i32, p: usize, t: usize, n: i32, scale: f32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, elem_loss(loss, load<f32>(p + o), load<f32>(t + o)) * scale);
  }
}

/**
 * out[i] += element i's negative log-likelihood, for n elements: bce's term, else a unit-variance Gaussian's
 * (1/2 of the element loss, (p - t)^2 with 'mse', plus 1/2 log 2 pi), the terms elbo_rows sums per row.
 */
export function nll_terms_add(loss: i32, p: usize, t: usize, n: i32, half_log_2pi: f32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const e = elem_loss(loss, load<f32>(p + o), load<f32>(t + o));
    store<f32>(out + o, load<f32>(out + o) + (loss == LOSS_BCE ? e : <f32>0.5 * e + half_log_2pi));
  }
}

/** out[r] = mean element loss of row r, for R rows of C columns. */
export function loss_rows(loss: i32, p: usize, t: usize, R: i32, C: i32, out: usize): void {
  const ld = <usize>C << 2;
  const inv = <f32>1 / <f32>C;
  for (let r = 0; r < R; r++) {
    store<f32>(out + (<usize>r << 2), loss_row_sum(loss, p + <usize>r * ld, t + <usize>r * ld, C) * inv);
  }
}

/** total + the sum of all element losses over R rows (f64 across rows, in order). */
export function loss_sum(loss: i32, p: usize, t: usize, R: i32, C: i32, total: f64): f64 {
  const ld = <usize>C << 2;
  for (let r = 0; r < R; r++) {
    total += <f64>loss_row_sum(loss, p + <usize>r * ld, t + <usize>r * ld, C);
  }
  return total;
}

/**
 * d[i] = d loss / d p[i] for n elements of a mean over N (0: n) elements (a chunk of a batch);
 * with `fusedSigmoid` (bce after a sigmoid output) d is the gradient wrt the sigmoid's input
 * instead. d may not alias p or t.
 */
export function loss_backward(loss: i32, d: usize, p: usize, t: usize, n: i32, fusedSigmoid: bool, N: i32 = 0): void {
  const invN = <f32>1 / <f32>(N > 0 ? N : n);
  let i = 0;
  if (loss == LOSS_BCE && !fusedSigmoid) {
    for (; i < n; i++) {
      const off = <usize>i << 2;
      const pv = load<f32>(p + off), tv = load<f32>(t + off);
      store<f32>(d + off, (pv - tv) / max<f32>(pv * (<f32>1 - pv), 1e-12) * invN);
    }
    return;
  }
  const scale = loss == LOSS_MSE ? invN + invN : invN;
  const vscale = f32x4.splat(scale);
  const zero = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    let g = f32x4.sub(v128.load(p + off), v128.load(t + off));
    if (loss == LOSS_MAE) {
      // sign(g): +1, -1, or 0 where g == 0
      g = v128.or(v128.and(f32x4.splat(1), f32x4.gt(g, zero)), v128.and(f32x4.splat(-1), f32x4.lt(g, zero)));
    }
    v128.store(d + off, f32x4.mul(g, vscale));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    let g = load<f32>(p + off) - load<f32>(t + off);
    if (loss == LOSS_MAE) g = g > 0 ? <f32>1 : g < 0 ? <f32>-1 : <f32>0;
    store<f32>(d + off, g * scale);
  }
}

/**
 * Rows [r0, r1) of a chunk's reconstruction term (train.ts terms_forward, the threaded build's JOB_LOSS:
 * a chunk's rows split across threads): each row's loss sum into sums[r] (loss_row_sum, which the
 * caller adds in row order as loss_sum does), the gradient of the mean over N elements into those
 * rows of d (loss_backward), times wgt when it is not 1, then times f'(y) of the output's activation
 * act (act_backward; ACT_LINEAR, or a sigmoid fused into bce: nothing). Every element gets the
 * arithmetic of the one-pass functions (elementwise; their f32x4 and scalar forms agree), so the bits
 * do not depend on the split.
 */
export function loss_part(loss: i32, d: usize, p: usize, t: usize, r0: i32, r1: i32, C: i32, fusedSigmoid: bool, N: i32,
                          wgt: f32, act: i32, sums: usize): void {
  const ld = <usize>C << 2, o = <usize>r0 * ld, n = (r1 - r0) * C;
  for (let r = r0; r < r1; r++) store<f32>(sums + (<usize>r << 2), loss_row_sum(loss, p + <usize>r * ld, t + <usize>r * ld, C));
  loss_backward(loss, d + o, p + o, t + o, n, fusedSigmoid, N);
  loss_weight(d + o, n, wgt);
  if (!fusedSigmoid) act_backward(act, d + o, p + o, n);
}

/** d[i] *= wgt for n floats when the term's weight wgt is not 1 (the gradient of a weighted term). */
export function loss_weight(d: usize, n: i32, wgt: f32): void {
  if (wgt == 1) return;
  const w4 = f32x4.splat(wgt);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), f32x4.mul(v128.load(d + (<usize>i << 2)), w4));
  for (; i < n; i++) store<f32>(d + (<usize>i << 2), load<f32>(d + (<usize>i << 2)) * wgt);
}
