// stats.ts: what scoring needs after the network: the threshold quantile, the 0/1 flags, and
// the CRC-32 that seals a model file. Sorting is an in-place heapsort (O(n log n), no memory
// beyond the array, the same order on every host); the quantile is numpy's default 'linear', its
// order statistics found by selection (O(n) on average, a heapsort's cost at worst).

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

function sift_down(p: usize, root: i32, end: i32): void {
  while (true) {
    let child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && at(p, child + 1) > at(p, child)) child++;
    if (!(at(p, child) > at(p, root))) return;
    const t = at(p, root);
    put(p, root, at(p, child));
    put(p, child, t);
    root = child;
  }
}

/** Sorts n floats ascending in place (no NaN expected). */
export function f32_sort(p: usize, n: i32): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) sift_down(p, i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = at(p, 0);
    put(p, 0, at(p, end));
    put(p, end, t);
    sift_down(p, 0, end);
  }
}

// @ts-ignore: decorator
@inline function swap(p: usize, i: i32, j: i32): void { const t = at(p, i); put(p, i, at(p, j)); put(p, j, t); }

/**
 * Reorders n floats in place so that p[k] is the one a sort puts there, those before it <= it and those
 * after >= it (no NaN expected): Hoare partitions around a median of three, the side that holds k kept,
 * and a heapsort of what is left after 2 log2 n + 4 of them, so that no input costs more than a sort.
 */
function f32_select(p: usize, n: i32, k: i32): void {
  let lo = 0, hi = n - 1, rounds = 2 * (32 - clz(n)) + 4;
  while (hi > lo) {
    if (rounds-- == 0) { f32_sort(p + (<usize>lo << 2), hi - lo + 1); return; }
    const mid = lo + ((hi - lo) >> 1);
    if (at(p, mid) < at(p, lo)) swap(p, mid, lo);
    if (at(p, hi) < at(p, lo)) swap(p, hi, lo);
    if (at(p, hi) < at(p, mid)) swap(p, hi, mid);
    const pivot = at(p, mid);
    let i = lo, j = hi;
    while (i <= j) {
      while (i <= hi && at(p, i) < pivot) i++;
      while (j >= lo && at(p, j) > pivot) j--;
      if (i <= j) { swap(p, i, j); i++; j--; }
    }
    // [lo, j] <= pivot <= [i, hi], and what lies between them equals the pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** a + (b - a) frac; a when both are the same infinity (rows that overflowed): that, not NaN (Inf - Inf). */
// @ts-ignore: decorator
@inline function between(a: f64, b: f64, frac: f64): f32 { return <f32>(b == a && !isFinite<f64>(a) ? a : a + (b - a) * frac); }

/**
 * The q-quantile (0 <= q <= 1) of n >= 1 floats (numpy 'linear'), reordering them in place: the order
 * statistic at floor(q (n - 1)) by selection (f32_select), the next one as the smallest after it. The same
 * two values a sort gives (up to the sign of a zero, which the interpolation below turns into +0 either
 * way), so the same float; the stats of an ensemble's 16 members x 30 columns of 4,096 rows sorted each
 * took a fifth of a default fit (2026-12-03).
 */
export function f32_quantile(p: usize, n: i32, q: f64): f32 {
  const pos = q * <f64>(n - 1);
  const lo = <i32>Math.floor(pos);
  const frac = pos - <f64>lo;
  f32_select(p, n, lo);
  const a = <f64>at(p, lo);
  let b = a;
  if (lo + 1 < n) {
    let m = at(p, lo + 1);
    for (let i = lo + 2; i < n; i++) if (at(p, i) < m) m = at(p, i);
    b = <f64>m;
  }
  return between(a, b, frac);
}

/** The bins of f32_quantile_binned's first step: a float's sign, exponent and 3 leading mantissa bits. */
export const QBINS = 4096;

/** A float's order-preserving key (no NaN): a negative float's bits flipped, another's sign bit set. */
// @ts-ignore: decorator
@inline function fkey(v: f32): u32 { const b = reinterpret<u32>(v); return b ^ (<u32>(<i32>b >> 31) | 0x80000000); }

/**
 * f32_quantile's value (the same two order statistics, so the same float), faster on many spread values, and
 * overwriting them: their keys' top 12 bits counted in hist (u32[QBINS] scratch), from the lowest bin that holds any;
 * then the floats of the bin that holds the order statistic gathered to the front and selected (f32_select), the next
 * one the smallest after it in that bin, or in a higher one (found as the bin's floats are gathered). An ensemble's statistics take a median for each feature of
 * 4,096 squared errors: f32_quantile took about 37 µs for each at D=784 (a fifth of a default fit). With a NaN among
 * them it is f32_quantile itself.
 */
export function f32_quantile_binned(p: usize, n: i32, q: f64, hist: usize): f32 {
  memory.fill(hist, 0, <usize>QBINS << 2);
  let bin: u32 = QBINS;
  for (let i = 0; i < n; i++) {
    const v = at(p, i);
    if (v != v) return f32_quantile(p, n, q);
    const b = fkey(v) >> 20, h = hist + (<usize>b << 2);
    store<u32>(h, load<u32>(h) + 1);
    bin = min(bin, b);
  }
  const pos = q * <f64>(n - 1);
  const lo = <i32>Math.floor(pos);
  const frac = pos - <f64>lo;
  // (the bin of order statistic lo, from the lowest bin that holds any: acc floats lie in the bins below it)
  let acc = 0;
  while (acc + <i32>load<u32>(hist + (<usize>bin << 2)) <= lo) {
    acc += <i32>load<u32>(hist + (<usize>bin << 2));
    bin++;
  }
  let m = 0, next = f32.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = at(p, i), b = fkey(v) >> 20;
    if (b == bin) {
      put(p, m, v);
      m++;
    }
    else if (b > bin && v < next) next = v;
  }
  const k = lo - acc;
  f32_select(p, m, k);
  const a = <f64>at(p, k);
  let b = a;
  if (lo + 1 < n) {
    if (k + 1 < m) {
      let mm = at(p, k + 1);
      for (let i = k + 2; i < m; i++) if (at(p, i) < mm) mm = at(p, i);
      b = <f64>mm;
    } else {
      b = <f64>next;
    }
  }
  return between(a, b, frac);
}

/** flags[i] = scores[i] > threshold ? 1 : 0, for n rows. */
export function detect(scores: usize, n: i32, threshold: f32, flags: usize): void {
  for (let i = 0; i < n; i++) {
    store<u8>(flags + <usize>i, at(scores, i) > threshold ? 1 : 0);
  }
}

// CRC-32 tables for slice-by-8 (Intel's method, as in zlib's crc32_z): T[k][b] is the CRC of
// byte b followed by k zero bytes; then X2N[n] = x^(2^n) mod P (zlib's x2n_table), for joining the CRCs of
// parts. Built on first use in static memory (8 KiB + 128 bytes), read-only after.
// "Built" is read from the table itself (T[0][1] = 0x77073096), not a flag: in the threaded build a
// worker's instantiation re-applies the static data segments (zeros here), and the next call rebuilds.
const CRC_TABLES: usize = memory.data(8 * 256 * 4 + 32 * 4, 16);
const X2N: usize = CRC_TABLES + 8 * 256 * 4;
const CRC_POLY: u32 = 0xedb88320;

function crc_tables(): void {
  for (let b: u32 = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (CRC_POLY & (0 - (c & 1)));
    store<u32>(CRC_TABLES + (<usize>b << 2), c);
  }
  for (let t = 1; t < 8; t++) {
    for (let b = 0; b < 256; b++) {
      const prev = load<u32>(CRC_TABLES + (<usize>((t - 1) * 256 + b) << 2));
      store<u32>(CRC_TABLES + (<usize>(t * 256 + b) << 2), (prev >>> 8) ^ load<u32>(CRC_TABLES + (<usize>(prev & 0xff) << 2)));
    }
  }
  let x: u32 = 1 << 30;   // x^1
  for (let n = 0; n < 32; n++) {
    store<u32>(X2N + (<usize>n << 2), x);
    x = multmodp(x, x);
  }
}

// @ts-ignore: decorator
@inline function T(t: u32, b: u32): u32 { return load<u32>(CRC_TABLES + (<usize>((t << 8) | b) << 2)); }

/** One slice-by-8 step: the register after 8 bytes, lo = their first 4 (xored with the register) and hi the next 4. */
// @ts-ignore: decorator
@inline function slice8(lo: u32, hi: u32): u32 {
  return T(7, lo & 0xff) ^ T(6, (lo >>> 8) & 0xff) ^ T(5, (lo >>> 16) & 0xff) ^ T(4, lo >>> 24)
       ^ T(3, hi & 0xff) ^ T(2, (hi >>> 8) & 0xff) ^ T(1, (hi >>> 16) & 0xff) ^ T(0, hi >>> 24);
}

/** a(x) b(x) mod P, reflected as the CRC holds them (zlib's multmodp); a != 0. */
function multmodp(a: u32, b: u32): u32 {
  let m: u32 = 1 << 31, p: u32 = 0;
  while (true) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ CRC_POLY : b >>> 1;
  }
  return p;
}

/** x^(8 n) mod P: the operator that moves a CRC past n zero bytes (zlib's x2nmodp(n, 3)). */
function bytes_shift(n: u32): u32 {
  let p: u32 = 1 << 31, k = 3;   // x^0
  while (n != 0) {
    if (n & 1) p = multmodp(load<u32>(X2N + (<usize>(k & 31) << 2)), p);
    n >>>= 1;
    k++;
  }
  return p;
}

/** CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) of len bytes: thirds at once (see below), slice-by-8, then byte-wise. */
export function crc32(p: usize, len: i32): u32 { return crc32_update(0, p, len); }

// From this many bytes, three thirds are taken at once, each its own slice-by-8 chain (one chain waits on
// its table loads: the three overlap), and their CRCs joined as zlib's crc32_combine does:
// crc(A B) = crc(A) x^(8 |B|) + crc(B) mod P. The join takes up to about 700 bit steps whatever the length,
// so shorter buffers (headers, the byte-wise tests) keep the one chain. 1.7 MB in 64 KiB calls: 1.2 -> 0.6 ms.
const CRC_PARALLEL_MIN: i32 = 3072;

/**
 * The CRC-32 of (the bytes whose CRC-32 is `prev`) followed by len bytes at p, as zlib's crc32(prev, ...):
 * crc32_update(crc32_update(0, a), b) = crc32(a ++ b), so a file is sealed region by region.
 */
export function crc32_update(prev: u32, p: usize, len: i32): u32 {
  if (load<u32>(CRC_TABLES, 4) != 0x77073096) crc_tables();
  let crc: u32 = ~prev;
  let i = 0;
  if (len >= CRC_PARALLEL_MIN) {
    const third = (len / 3) & ~7;
    const p1 = p + <usize>third, p2 = p1 + <usize>third;
    let c1: u32 = 0xffffffff, c2: u32 = 0xffffffff;   // the inner registers of crc32(0, ...)
    for (; i < third; i += 8) {
      const o = <usize>i;
      crc = slice8(load<u32>(p + o) ^ crc, load<u32>(p + o, 4));
      c1 = slice8(load<u32>(p1 + o) ^ c1, load<u32>(p1 + o, 4));
      c2 = slice8(load<u32>(p2 + o) ^ c2, load<u32>(p2 + o, 4));
    }
    // crc(A B C) from the three: each CRC (outer value, ~register) moved past the next third and added
    const shift = bytes_shift(<u32>third);
    crc = ~(multmodp(shift, multmodp(shift, ~crc) ^ ~c1) ^ ~c2);
    i = 3 * third;
  }
  for (; i + 8 <= len; i += 8) {
    crc = slice8(load<u32>(p + <usize>i) ^ crc, load<u32>(p + <usize>i, 4));
  }
  for (; i < len; i++) crc = (crc >>> 8) ^ T(0, (crc ^ <u32>load<u8>(p + <usize>i)) & 0xff);
  return ~crc;
}
