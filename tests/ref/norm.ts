// Per-column input normalizers for the reference, on row-major [rows][cols] data.
// Standard: (x - mean)/std with the population std (ddof = 0), as in scikit-learn's
// StandardScaler; a constant column gets std 1. MinMax: (x - min)/range, range = max - min,
// a constant column gets range 1 (scikit-learn MinMaxScaler with feature_range (0, 1)).
// invert* undo apply*: x = y*scale + shift. All functions return new Float64Arrays.

export type StandardParams = { mean: Float64Array; std: Float64Array };
export type MinMaxParams = { min: Float64Array; range: Float64Array };

function check(x: ArrayLike<number>, rows: number, cols: number): void {
  if (rows < 1 || cols < 1 || x.length !== rows * cols) throw new Error(`bad shape: ${x.length} != ${rows}*${cols}`);
}

function colMinMax(x: ArrayLike<number>, rows: number, cols: number): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(cols).fill(Infinity);
  const max = new Float64Array(cols).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c]!;
      if (v < min[c]!) min[c] = v;
      if (v > max[c]!) max[c] = v;
    }
  }
  return { min, max };
}

/** Two-pass mean / population std. std is set to 1 when the column is constant (max == min). */
export function fitStandard(x: ArrayLike<number>, rows: number, cols: number): StandardParams {
  check(x, rows, cols);
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += x[r * cols + c]!;
  for (let c = 0; c < cols; c++) mean[c]! /= rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) { const d = x[r * cols + c]! - mean[c]!; std[c]! += d * d; }
  }
  const { min, max } = colMinMax(x, rows, cols);
  for (let c = 0; c < cols; c++) {
    const s = Math.sqrt(std[c]! / rows);
    std[c] = min[c] === max[c] || s === 0 ? 1 : s;
  }
  return { mean, std };
}

export function fitMinMax(x: ArrayLike<number>, rows: number, cols: number): MinMaxParams {
  check(x, rows, cols);
  const { min, max } = colMinMax(x, rows, cols);
  const range = new Float64Array(cols);
  for (let c = 0; c < cols; c++) { const r = max[c]! - min[c]!; range[c] = r === 0 ? 1 : r; }
  return { min, range };
}

function affine(x: ArrayLike<number>, rows: number, cols: number, f: (v: number, c: number) => number): Float64Array {
  check(x, rows, cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = f(x[r * cols + c]!, c);
  return out;
}

export function applyStandard(x: ArrayLike<number>, rows: number, cols: number, p: StandardParams): Float64Array {
  return affine(x, rows, cols, (v, c) => (v - p.mean[c]!) / p.std[c]!);
}
export function invertStandard(y: ArrayLike<number>, rows: number, cols: number, p: StandardParams): Float64Array {
  return affine(y, rows, cols, (v, c) => v * p.std[c]! + p.mean[c]!);
}
export function applyMinMax(x: ArrayLike<number>, rows: number, cols: number, p: MinMaxParams): Float64Array {
  return affine(x, rows, cols, (v, c) => (v - p.min[c]!) / p.range[c]!);
}
export function invertMinMax(y: ArrayLike<number>, rows: number, cols: number, p: MinMaxParams): Float64Array {
  return affine(y, rows, cols, (v, c) => v * p.range[c]! + p.min[c]!);
}
