// optim.ts: optimizer updates over the flat parameter block, as torch.optim computes them.
// Params w, grads g and the moment buffers m, v share one layout (n floats, n a multiple of 4;
// the padding holds zeros and stays zero), so each update is one flat f32x4 loop.
// Each writes the new weights to wo: w itself, or g (train.ts train_epoch: the update's output
// becomes the param block and the old one takes the next gradients). Every float's g and w are
// read before its wo is written, so either gives the same bits.
// Scalars that PyTorch keeps in Python floats (bias corrections, step size) are f64 here too.
// see: PyTorch docs torch.optim.SGD / Adam / AdamW (the "algorithm" boxes) and _single_tensor_adam.

import { pool_adam, pool_update } from './threads';

export const OPT_SGD: i32 = 0;
export const OPT_MOMENTUM: i32 = 1;
export const OPT_ADAM: i32 = 2;
export const OPT_ADAMW: i32 = 3;
export const OPT_COUNT: i32 = 4;

/** wo = w - lr * (g + wd * w). */
export function sgd_update(w: usize, g: usize, n: i32, lr: f32, wd: f32, wo: usize, pool: bool = true): void {
  // (threaded build: split by ranges across the pool, same bits; see threads.ts)
  if (ASC_FEATURE_THREADS) { if (pool && pool_update(OPT_SGD, w, g, 0, n, lr, 0, wd, false, wo)) return; }
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(wd);
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2;
    const vw = v128.load(w + off);
    let vg = v128.load(g + off);
    if (wd != 0) vg = f32x4.add(vg, f32x4.mul(vwd, vw));
    v128.store(wo + off, f32x4.sub(vw, f32x4.mul(vlr, vg)));
  }
}

/** PyTorch SGD with momentum (dampening 0): buf = g on step 1, else mu*buf + g; wo = w - lr * buf. */
export function momentum_update(w: usize, g: usize, buf: usize, n: i32, lr: f32, mu: f32, wd: f32, first: bool, wo: usize, pool: bool = true): void {
  if (ASC_FEATURE_THREADS) { if (pool && pool_update(OPT_MOMENTUM, w, g, buf, n, lr, mu, wd, first, wo)) return; }
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(mu), vwd = f32x4.splat(wd);
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2;
    const vw = v128.load(w + off);
    let vg = v128.load(g + off);
    if (wd != 0) vg = f32x4.add(vg, f32x4.mul(vwd, vw));
    const vb = first ? vg : f32x4.add(f32x4.mul(vmu, v128.load(buf + off)), vg);
    v128.store(buf + off, vb);
    v128.store(wo + off, f32x4.sub(vw, f32x4.mul(vlr, vb)));
  }
}

/**
 * Adam / AdamW step t (t >= 1). b1t = beta1^t, b2t = beta2^t (f64, kept by the caller).
 * decoupled: AdamW (w *= 1 - lr*wd first); otherwise wd is L2 added to the gradient.
 * m = m + (1-b1)(g - m) (torch's lerp_); v = b2 v + (1-b2) g^2; wo = w - (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
 */
export function adam_update(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
                            eps: f32, wd: f32, decoupled: bool, b1t: f64, b2t: f64, wo: usize, pool: bool = true): void {
  // (threaded build: split by ranges across the pool, same bits; see threads.ts)
  if (ASC_FEATURE_THREADS) { if (pool && pool_adam(w, g, m, v, n, lr, beta1, beta2, eps, wd, decoupled, b1t, b2t, wo)) return; }
  if (n <= 0) return;
  const step = <f32>(<f64>lr / (1.0 - b1t)), bc2 = <f32>Math.sqrt(1.0 - b2t);
  if (wd == 0) adam_plain(w, g, m, v, n, step, bc2, beta1, beta2, eps, wo);
  else if (decoupled) adam_decoupled(w, g, m, v, n, step, bc2, beta1, beta2, eps, <f32>1 - lr * wd, wo);
  else adam_l2(w, g, m, v, n, step, bc2, beta1, beta2, eps, wd, wo);
}

// Adam's loop, one function per kind of weight decay (none, L2, AdamW's decoupled), each the same arithmetic as
// one loop with the decay tested inside it, written as a do-while loop whose scalars come in computed.
// V8's TurboFan (Node 20) schedules a value that only a loop uses inside the loop's conditional body: in the
// `for` form (AssemblyScript's `loop { if (i < n) { ...; br } }`) the step size's f64 division, bc2's f64
// square root and the splats ran once per four floats (node --print-wasm-code shows it). The loop before,
// with the decay tested in it, took 535 µs a pass over dense784's 436 K parameters in a microbenchmark, this
// form 322 µs; in training (W2, one thread) the Adam phase fell from about 560 to 330 µs a batch.
const WD_NONE = 0;
const WD_L2 = 1;
const WD_DECOUPLED = 2;
function adam_plain(w: usize, g: usize, m: usize, v: usize, n: i32, step: f32, bc2: f32, beta1: f32, beta2: f32, eps: f32, wo: usize): void {
  adam_loop(WD_NONE, w, g, m, v, n, step, bc2, beta1, beta2, eps, 0, wo);
}
function adam_l2(w: usize, g: usize, m: usize, v: usize, n: i32, step: f32, bc2: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, wo: usize): void {
  adam_loop(WD_L2, w, g, m, v, n, step, bc2, beta1, beta2, eps, wd, wo);
}
function adam_decoupled(w: usize, g: usize, m: usize, v: usize, n: i32, step: f32, bc2: f32, beta1: f32, beta2: f32, eps: f32, decay: f32, wo: usize): void {
  adam_loop(WD_DECOUPLED, w, g, m, v, n, step, bc2, beta1, beta2, eps, decay, wo);
}

/**
 * Adam over n floats (n a multiple of 4, at least 4); `kind` is a constant at each call, so each copy holds one
 * form of the decay; `wd` is the L2 factor, or AdamW's 1 - lr * wd. step = lr / (1 - beta1^t), bc2 = sqrt(1 - beta2^t).
 */
// @ts-ignore: decorator
@inline function adam_loop(kind: i32, w: usize, g: usize, m: usize, v: usize, n: i32, step: f32, bc2: f32,
                           beta1: f32, beta2: f32, eps: f32, wd: f32, wo: usize): void {
  const vb2 = f32x4.splat(beta2), v1b1 = f32x4.splat(<f32>1 - beta1), v1b2 = f32x4.splat(<f32>1 - beta2);
  const vstep = f32x4.splat(step), vbc2 = f32x4.splat(bc2), veps = f32x4.splat(eps), vwd = f32x4.splat(wd);
  let i = 0;
  do {
    const off = <usize>i << 2;
    let vw = v128.load(w + off);
    let vg = v128.load(g + off);
    if (kind == WD_DECOUPLED) vw = f32x4.mul(vw, vwd);
    else if (kind == WD_L2) vg = f32x4.add(vg, f32x4.mul(vwd, vw));
    const vm0 = v128.load(m + off);
    const vm = f32x4.add(vm0, f32x4.mul(v1b1, f32x4.sub(vg, vm0))); // torch: m.lerp_(g, 1-b1)
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + off)), f32x4.mul(f32x4.mul(v1b2, vg), vg));
    v128.store(m + off, vm);
    v128.store(v + off, vv);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc2), veps);
    v128.store(wo + off, f32x4.sub(vw, f32x4.mul(vstep, f32x4.div(vm, denom))));
    i += 4;
  } while (i < n);
}
