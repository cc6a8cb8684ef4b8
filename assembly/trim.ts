// trim.ts: the trimmed loss (fit option `trim`). In every batch the floor(trim * R) rows that fit
// worst (largest row loss) get no gradient, and the kept rows' gradient is scaled by R / kept so it
// is their mean: training on data with anomalies in it, the anomalies stop pulling the weights
// towards themselves. Rows tied with the cutoff are kept. Sorting is the deterministic heap sort of
// stats.ts, so the kept set is the same in every runtime.
// Dims: R rows in the batch, C output columns.

import { loss_row_sum } from './loss';
import { f32_sort } from './stats';

/**
 * Zeroes the gradient rows d[r] of the worst-fitting floor(frac * R) rows and scales the rest by
 * R / kept. p: predictions, t: targets (R x C); tmp: scratch of R floats (not aliasing d, p or t).
 */
export function trim_rows(loss: i32, d: usize, p: usize, t: usize, R: i32, C: i32, frac: f32, tmp: usize): void {
  const k = <i32>Math.floor(<f64>frac * <f64>R);
  if (k <= 0 || k >= R) return;
  const ld = <usize>C << 2;
  for (let r = 0; r < R; r++) store<f32>(tmp + (<usize>r << 2), loss_row_sum(loss, p + <usize>r * ld, t + <usize>r * ld, C));
  f32_sort(tmp, R);
  const cut = load<f32>(tmp + (<usize>(R - k - 1) << 2));
  let kept = 0;
  for (let r = 0; r < R; r++) if (!(loss_row_sum(loss, p + <usize>r * ld, t + <usize>r * ld, C) > cut)) kept++;
  const scale = f32x4.splat(<f32>R / <f32>kept), zero = f32x4.splat(0);
  for (let r = 0; r < R; r++) {
    const drop = loss_row_sum(loss, p + <usize>r * ld, t + <usize>r * ld, C) > cut;
    const row = d + <usize>r * ld;
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const q = row + (<usize>j << 2);
      v128.store(q, drop ? zero : f32x4.mul(v128.load(q), scale));
    }
    for (; j < C; j++) {
      const q = row + (<usize>j << 2);
      store<f32>(q, drop ? <f32>0 : load<f32>(q) * (<f32>R / <f32>kept));
    }
  }
}
