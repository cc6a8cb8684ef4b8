// qat.ts: quantisation-aware training (fit(x, { quantize: { bits } })). While training, the latent
// the codec will quantise gets additive uniform noise of one quantisation step, U(-step/2, step/2)
// per value, the standard differentiable stand-in for rounding (Balle et al., "End-to-end optimized
// image compression", ICLR 2017). The step mirrors the codec's quantiser (codec.ts: offset = min,
// step = (max - min) / (S - 1) per dimension): here max - min is each dimension's range over the
// previous epoch's batches (during the first epoch, over the batches so far, this one included),
// measured on the clean latent. The noise is added in place to the latent node's output, whose
// activation is linear (the bindings check), so the backward is the identity and needs nothing saved.
// Not here: a rate term. Dims: R rows in the batch, W latent width, S = 2^bits.

import { C_QBITS, C_QRANGE, ci, cp } from './arena';
import { rng_uniform } from './rng';

/**
 * At the start of an epoch: the range to use becomes the one the last epoch measured (once there
 * is one), and the measuring restarts. qr f32[5W] = use lo, use hi, measured lo, measured hi, and a
 * scratch row (qat_forward's steps). A range in use with lo > hi means none yet.
 */
export function qat_epoch_start(ctx: usize, W: i32): void {
  if (ci(ctx, C_QBITS) == 0) return;
  const qr = cp(ctx, C_QRANGE);
  for (let j = 0; j < W; j++) {
    const lo = load<f32>(qr + (<usize>(2 * W + j) << 2)), hi = load<f32>(qr + (<usize>(3 * W + j) << 2));
    if (lo <= hi) {
      store<f32>(qr + (<usize>j << 2), lo);
      store<f32>(qr + (<usize>(W + j) << 2), hi);
    }
    store<f32>(qr + (<usize>(2 * W + j) << 2), Infinity);
    store<f32>(qr + (<usize>(3 * W + j) << 2), -Infinity);
  }
}

/**
 * z f32[R][W], the latent of a training batch, in place: first the measured range takes in the
 * batch's clean values, then z += step_j * (u - 1/2), u ~ U[0, 1) from stream `s`, one draw per
 * value in row-major order, step_j = (hi_j - lo_j) / (S - 1) from the range in use (the measured
 * one while none is in use yet).
 */
export function qat_forward(ctx: usize, z: usize, R: i32, W: i32, s: usize): void {
  const qr = cp(ctx, C_QRANGE);
  const top = <f32>((1 << ci(ctx, C_QBITS)) - 1);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < W; j++) {
      const v = load<f32>(z + (<usize>(r * W + j) << 2));
      const pl = qr + (<usize>(2 * W + j) << 2), ph = qr + (<usize>(3 * W + j) << 2);
      store<f32>(pl, min<f32>(load<f32>(pl), v));
      store<f32>(ph, max<f32>(load<f32>(ph), v));
    }
  }
  for (let j = 0; j < W; j++) {
    const lo = load<f32>(qr + (<usize>j << 2)), hi = load<f32>(qr + (<usize>(W + j) << 2));
    const use = lo <= hi ? j : 2 * W + j;
    const step = (load<f32>(qr + (<usize>(use + W) << 2)) - load<f32>(qr + (<usize>use << 2))) / top;
    // the scratch row: step per dimension, so the draw loop below runs in row-major order
    store<f32>(qr + (<usize>(4 * W + j) << 2), step);
  }
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < W; j++) {
      const p = z + (<usize>(r * W + j) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(qr + (<usize>(4 * W + j) << 2)) * (rng_uniform(s) - <f32>0.5));
    }
  }
}
