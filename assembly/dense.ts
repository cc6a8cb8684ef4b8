// dense.ts: the dense (fully connected) layer, forward and backward, per batch of rows: Y = f(X.W + b)
// on the last axis, W [I][O] (Keras's kernel layout), b [O]. Every product is gemm.ts's, so every
// output sums its init, then k = 0..K-1 in order (the scalar kernel's bits), whichever path runs.
// Dims: rows R (samples times positions: a dense layer on [..., I] maps the last axis), I inputs, O outputs.

import { ACT_LINEAR, ACT_TANH, act_forward } from './act';
import { GEMM_ACC, GEMM_BIAS, GEMM_ZERO, f32_colsum, f32_gemm, f32_gemm_bt, f32_gemv_packed } from './gemm';
import { pool_colsum, pool_colsum_taken, pool_hold, pool_release } from './threads';

/**
 * y[R][O] = f(x[R][I] . w + b): the bias fused into the product's init and f into its store. packed:
 * the one-row copy of w in 32-column strips (gemm.ts pack_strips32), or 0; used when R == 1.
 */
export function dense_forward(x: usize, y: usize, R: i32, I: i32, O: i32, w: usize, b: usize, act: i32, packed: usize): void {
  if (R == 1 && packed != 0) {
    // one row: the weights read front to back in 32-column strips
    f32_gemv_packed(O, I, x, packed, y, b, act);
  } else if (act == ACT_TANH) {
    // tanh in its own inline pass (act_forward) rather than a call per vector in the tile store:
    // the same function on the same floats, so the same bits
    f32_gemm(R, O, I, x, I, 1, w, O, y, O, b, GEMM_BIAS, ACT_LINEAR);
    act_forward(act, y, R * O);
  } else f32_gemm(R, O, I, x, I, 1, w, O, y, O, b, GEMM_BIAS, act);
}

/**
 * From d = dLoss/dZ [R][O] (the activation's gradient already taken) and the layer's input x:
 * dw = x^T . d (x read transposed through strides), db = d's column sums (acc: both added to what is
 * there, a later chunk of rows), and dx = d . w^T when dx != 0 (overwritten).
 */
export function dense_backward(dx: usize, dw: usize, db: usize, d: usize, x: usize, R: i32, I: i32, O: i32, w: usize, acc: bool): void {
  // (threaded build: dw's and dx's products, independent, go through the pool as one job, the dw
  // product's units summing their strips' columns of d into db too: pool_colsum)
  if (ASC_FEATURE_THREADS) { pool_hold(); pool_colsum(db, acc); }
  f32_gemm(I, O, R, x, 1, I, d, O, dw, O, 0, acc ? GEMM_ACC : GEMM_ZERO, ACT_LINEAR);
  if (!ASC_FEATURE_THREADS || !pool_colsum_taken()) f32_colsum(db, d, R, O, acc);
  if (dx != 0) f32_gemm_bt(R, I, O, d, O, 1, w, O, dx, I, 0, GEMM_ZERO, ACT_LINEAR);
  if (ASC_FEATURE_THREADS) pool_release();
}
