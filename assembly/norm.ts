// norm.ts: the input normalizer, fitted in fit() and saved with the model, plus input checks.
// Both modes store a shift A and a scale B per column and apply x' = (x - A) / B:
// standard: A = mean, B = population std (ddof 0, as scikit-learn's StandardScaler), 1 where 0;
// minmax:   A = min,  B = max - min, 1 where 0. Sums run over rows in order, in f64.
// ("0" means below the smallest normal float32, 2^-126: such a scale would make 1/B overflow.)
// Dims: R rows, C columns.

export const NORM_NONE: i32 = 0;
/** Smallest normal float32 (2^-126): a scale is at least this, so 1/scale is finite (the model file's rule). */
export const F32_MIN_NORMAL: f32 = 1.17549435e-38;
export const NORM_STANDARD: i32 = 1;
export const NORM_MINMAX: i32 = 2;

/** Fits A[C], B[C] (f32) from x[R][C]; acc is scratch for 2*C f64. R >= 1. */
export function norm_fit(mode: i32, x: usize, R: i32, C: i32, A: usize, B: usize, acc: usize): void {
  const acc2 = acc + (<usize>C << 3);
  for (let c = 0; c < C; c++) {
    const v0 = <f64>load<f32>(x + (<usize>c << 2));
    store<f64>(acc + (<usize>c << 3), mode == NORM_MINMAX ? v0 : 0);
    store<f64>(acc2 + (<usize>c << 3), mode == NORM_MINMAX ? v0 : 0);
  }
  if (mode == NORM_MINMAX) {
    for (let r = 0; r < R; r++) {
      const row = x + (<usize>(r * C) << 2);
      for (let c = 0; c < C; c++) {
        const v = <f64>load<f32>(row + (<usize>c << 2));
        const pa = acc + (<usize>c << 3), pb = acc2 + (<usize>c << 3);
        if (v < load<f64>(pa)) store<f64>(pa, v);
        if (v > load<f64>(pb)) store<f64>(pb, v);
      }
    }
    for (let c = 0; c < C; c++) {
      const lo = load<f64>(acc + (<usize>c << 3)), range = load<f64>(acc2 + (<usize>c << 3)) - lo;
      store<f32>(A + (<usize>c << 2), <f32>lo);
      const b = <f32>range; // checked after rounding: a tiny range may round to 0 in f32
      store<f32>(B + (<usize>c << 2), b >= F32_MIN_NORMAL && isFinite<f32>(b) ? b : 1);
    }
    return;
  }
  // standard: two passes (mean, then squared deviations), as numerically safe as it is simple
  for (let r = 0; r < R; r++) {
    const row = x + (<usize>(r * C) << 2);
    for (let c = 0; c < C; c++) {
      const p = acc + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(row + (<usize>c << 2)));
    }
  }
  for (let c = 0; c < C; c++) {
    const p = acc + (<usize>c << 3);
    store<f64>(p, load<f64>(p) / <f64>R);
  }
  for (let r = 0; r < R; r++) {
    const row = x + (<usize>(r * C) << 2);
    for (let c = 0; c < C; c++) {
      const d = <f64>load<f32>(row + (<usize>c << 2)) - load<f64>(acc + (<usize>c << 3));
      const p = acc2 + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + d * d);
    }
  }
  for (let c = 0; c < C; c++) {
    const sd = Math.sqrt(load<f64>(acc2 + (<usize>c << 3)) / <f64>R);
    store<f32>(A + (<usize>c << 2), <f32>load<f64>(acc + (<usize>c << 3)));
    const b = <f32>sd; // checked after rounding: a std below 2^-150 rounds to 0 in f32
    store<f32>(B + (<usize>c << 2), b >= F32_MIN_NORMAL && isFinite<f32>(b) ? b : 1);
  }
}

/** x[r][c] = (x[r][c] - A[c]) / B[c], in place. */
export function norm_apply(x: usize, R: i32, C: i32, A: usize, B: usize): void {
  for (let r = 0; r < R; r++) {
    const row = x + (<usize>(r * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      v128.store(row + off, f32x4.div(f32x4.sub(v128.load(row + off), v128.load(A + off)), v128.load(B + off)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(row + off, (load<f32>(row + off) - load<f32>(A + off)) / load<f32>(B + off));
    }
  }
}

/** x[r][c] = x[r][c] * B[c] + A[c], in place: back to the caller's units. */
export function norm_invert(x: usize, R: i32, C: i32, A: usize, B: usize): void {
  for (let r = 0; r < R; r++) {
    const row = x + (<usize>(r * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      v128.store(row + off, f32x4.add(f32x4.mul(v128.load(row + off), v128.load(B + off)), v128.load(A + off)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(row + off, load<f32>(row + off) * load<f32>(B + off) + load<f32>(A + off));
    }
  }
}

/** Index of the first NaN or +-Inf among n floats, or -1. */
export function find_nonfinite(x: usize, n: i32): i32 {
  let i = 0;
  // x - x is 0 for finite x and NaN for NaN and Inf, and NaN != NaN; 16 values per test
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), d = v128.load(p, 48);
    const s = f32x4.add(f32x4.add(f32x4.sub(a, a), f32x4.sub(b, b)), f32x4.add(f32x4.sub(c, c), f32x4.sub(d, d)));
    if (v128.any_true(f32x4.ne(s, s))) break;
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const d = f32x4.sub(v, v);
    if (v128.any_true(f32x4.ne(d, d))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (!isFinite<f32>(v)) return i;
  }
  return -1;
}

/** Index of the first value outside [lo, hi] (NaN included) among n floats, or -1; 16 values per test. */
export function find_outside(x: usize, n: i32, lo: f32, hi: f32): i32 {
  const L = f32x4.splat(lo), H = f32x4.splat(hi);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), d = v128.load(p, 48);
    const ab = v128.and(v128.and(f32x4.ge(a, L), f32x4.le(a, H)), v128.and(f32x4.ge(b, L), f32x4.le(b, H)));
    const cd = v128.and(v128.and(f32x4.ge(c, L), f32x4.le(c, H)), v128.and(f32x4.ge(d, L), f32x4.le(d, H)));
    if (!i32x4.all_true(v128.and(ab, cd))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (!(v >= lo && v <= hi)) return i;
  }
  return -1;
}

/** Index of the first value that is not >= lo (NaN included) among n floats, or -1. */
export function find_below(x: usize, n: i32, lo: f32): i32 {
  for (let i = 0; i < n; i++) {
    if (!(load<f32>(x + (<usize>i << 2)) >= lo)) return i;
  }
  return -1;
}
