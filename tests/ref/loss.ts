// Reconstruction losses for the float64 reference: value, gradient d loss / d pred,
// per-row scores, and the fused sigmoid+BCE gradient wrt the pre-sigmoid input.
// Every loss is a MEAN over all N = pred.length elements (reduction='mean'), following
// the PyTorch docs for torch.nn.MSELoss, L1Loss and BCELoss (logs clamped to >= -100,
// backward denominator clamped to >= 1e-12 as in ATen's binary_cross_entropy_backward).

export const LOSSES = ['mse', 'mae', 'bce'] as const;
export type Loss = (typeof LOSSES)[number];

export const BCE_LOG_CLAMP = -100;
export const BCE_GRAD_EPS = 1e-12;

function checkLen(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  if (pred.length !== target.length) throw new Error(`length mismatch: ${pred.length} vs ${target.length}`);
  if (pred.length === 0) throw new Error('empty input');
  return pred.length;
}

/** Loss of one element (before averaging). */
export function elementLoss(name: Loss | string, p: number, t: number): number {
  switch (name) {
    case 'mse': { const d = p - t; return d * d; }
    case 'mae': return Math.abs(p - t);
    case 'bce': {
      // PyTorch: (t-1)*max(log1p(-p), -100) - t*max(log(p), -100)
      const lp = Math.max(Math.log(p), BCE_LOG_CLAMP);
      const l1p = Math.max(Math.log1p(-p), BCE_LOG_CLAMP);
      // a target outside [0, 1] (a scored row beyond minmax's range): the nearest bound's loss, plus 100 per unit beyond
      // it (the package's rule: PyTorch's formula falls without bound there)
      if (t > 1) return -lp + 100 * (t - 1);
      if (t < 0) return -l1p - 100 * t;
      return -(t * lp + (1 - t) * l1p);
    }
    default: throw new Error(`unknown loss: ${name}`);
  }
}

export function lossValue(name: Loss | string, pred: ArrayLike<number>, target: ArrayLike<number>): number {
  const n = checkLen(pred, target);
  let s = 0;
  for (let i = 0; i < n; i++) s += elementLoss(name, pred[i]!, target[i]!);
  return s / n;
}

/** d lossValue / d pred, already divided by N. mae uses sign(0) = 0. */
export function lossGrad(name: Loss | string, pred: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const n = checkLen(pred, target);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = pred[i]!, t = target[i]!, d = p - t;
    switch (name) {
      case 'mse': g[i] = (2 * d) / n; break;
      case 'mae': g[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) / n; break;
      case 'bce': g[i] = d / Math.max(p * (1 - p), BCE_GRAD_EPS) / n; break;
      default: throw new Error(`unknown loss: ${name}`);
    }
  }
  return g;
}

/** Per-row mean of the element loss: one anomaly score per row of a [rows][cols] batch. */
export function rowScores(name: Loss | string, pred: ArrayLike<number>, target: ArrayLike<number>, cols: number): Float64Array {
  const n = checkLen(pred, target);
  if (!(cols > 0) || n % cols !== 0) throw new Error(`length ${n} is not a multiple of cols ${cols}`);
  const rows = n / cols;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += elementLoss(name, pred[r * cols + c]!, target[r * cols + c]!);
    out[r] = s / cols;
  }
  return out;
}

/**
 * Fused gradient of mean BCE wrt z when pred = sigmoid(z): (p - t) / N.
 * Exact derivative of the unclamped loss (the clamps only matter when p hits 0 or 1).
 */
export function bceSigmoidGradZ(pred: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const n = checkLen(pred, target);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = (pred[i]! - target[i]!) / n;
  return g;
}
