// optim.ts: optimizer updates over the flat parameter block, as torch.optim computes them.
// Params w, grads g and the moment buffers m, v share one layout (n floats, n a multiple of 4;
// the padding holds zeros and stays zero), so each update is one flat f32x4 loop.
// Scalars that PyTorch keeps in Python floats (bias corrections, step size) are f64 here too.
// see: PyTorch docs torch.optim.SGD / Adam / AdamW (the "algorithm" boxes) and _single_tensor_adam.

import { pool_adam, pool_update } from './threads';

export const OPT_SGD: i32 = 0;
export const OPT_MOMENTUM: i32 = 1;
export const OPT_ADAM: i32 = 2;
export const OPT_ADAMW: i32 = 3;
export const OPT_COUNT: i32 = 4;

/** w -= lr * (g + wd * w). */
export function sgd_update(w: usize, g: usize, n: i32, lr: f32, wd: f32, pool: bool = true): void {
  // (threaded build: split by ranges across the pool, same bits; see threads.ts)
  if (ASC_FEATURE_THREADS) { if (pool && pool_update(OPT_SGD, w, g, 0, n, lr, 0, wd, false)) return; }
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(wd);
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2;
    const vw = v128.load(w + off);
    let vg = v128.load(g + off);
    if (wd != 0) vg = f32x4.add(vg, f32x4.mul(vwd, vw));
    v128.store(w + off, f32x4.sub(vw, f32x4.mul(vlr, vg)));
  }
}

/** PyTorch SGD with momentum (dampening 0): buf = g on step 1, else mu*buf + g; w -= lr * buf. */
export function momentum_update(w: usize, g: usize, buf: usize, n: i32, lr: f32, mu: f32, wd: f32, first: bool, pool: bool = true): void {
  if (ASC_FEATURE_THREADS) { if (pool && pool_update(OPT_MOMENTUM, w, g, buf, n, lr, mu, wd, first)) return; }
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(mu), vwd = f32x4.splat(wd);
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2;
    const vw = v128.load(w + off);
    let vg = v128.load(g + off);
    if (wd != 0) vg = f32x4.add(vg, f32x4.mul(vwd, vw));
    const vb = first ? vg : f32x4.add(f32x4.mul(vmu, v128.load(buf + off)), vg);
    v128.store(buf + off, vb);
    v128.store(w + off, f32x4.sub(vw, f32x4.mul(vlr, vb)));
  }
}

/**
 * Adam / AdamW step t (t >= 1). b1t = beta1^t, b2t = beta2^t (f64, kept by the caller).
 * decoupled: AdamW (w *= 1 - lr*wd first); otherwise wd is L2 added to the gradient.
 * m = m + (1-b1)(g - m) (torch's lerp_); v = b2 v + (1-b2) g^2; w -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
 */
export function adam_update(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
                            eps: f32, wd: f32, decoupled: bool, b1t: f64, b2t: f64, pool: bool = true): void {
  // (threaded build: split by ranges across the pool, same bits; see threads.ts)
  if (ASC_FEATURE_THREADS) { if (pool && pool_adam(w, g, m, v, n, lr, beta1, beta2, eps, wd, decoupled, b1t, b2t)) return; }
  adam_rows(w, g, m, v, 1, n, n, lr, beta1, beta2, eps, wd, decoupled, b1t, b2t);
}

/**
 * adam_update over `rows` spans of `cols` floats (a multiple of 4), the spans `ld` floats apart; every
 * float gets the same arithmetic as in one pass. Only adam_update calls it, with one row. It was written
 * for a split of Adam by column bands (not kept, docs/benchmark-log.md session 29), and kept in this form
 * because V8 runs it faster: the one-thread Adam phase 767 -> 551 µs a dense784 batch against the loop
 * inline in adam_update, and a one-loop copy of it (adam_update's n floats, no rows) measured 0.96x / 0.97x
 * on 1 / 2 threads (2026-12-03, one process, epochs in turns). Why was not looked into.
 */
export function adam_rows(w: usize, g: usize, m: usize, v: usize, rows: i32, cols: i32, ld: i32, lr: f32, beta1: f32, beta2: f32,
                          eps: f32, wd: f32, decoupled: bool, b1t: f64, b2t: f64): void {
  const stepSize = <f32>(<f64>lr / (1.0 - b1t));
  const bc2sqrt = <f32>Math.sqrt(1.0 - b2t);
  const vb2 = f32x4.splat(beta2);
  const v1b1 = f32x4.splat(<f32>1 - beta1), v1b2 = f32x4.splat(<f32>1 - beta2);
  const vstep = f32x4.splat(stepSize), vbc2 = f32x4.splat(bc2sqrt), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vdecay = f32x4.splat(<f32>1 - lr * wd);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i += 4) {
      const off = (<usize>r * <usize>ld + <usize>i) << 2;
      let vw = v128.load(w + off);
      let vg = v128.load(g + off);
      if (wd != 0) {
        if (decoupled) vw = f32x4.mul(vw, vdecay);
        else vg = f32x4.add(vg, f32x4.mul(vwd, vw));
      }
      const vm0 = v128.load(m + off);
      const vm = f32x4.add(vm0, f32x4.mul(v1b1, f32x4.sub(vg, vm0))); // torch: m.lerp_(g, 1-b1)
      const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + off)), f32x4.mul(f32x4.mul(v1b2, vg), vg));
      v128.store(m + off, vm);
      v128.store(v + off, vv);
      const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc2), veps);
      v128.store(w + off, f32x4.sub(vw, f32x4.mul(vstep, f32x4.div(vm, denom))));
    }
  }
}
