// stats.ts: what scoring needs after the network: the threshold quantile, the 0/1 flags, and
// the CRC-32 that seals a model file. Sorting is an in-place heapsort (O(n log n), no memory
// beyond the array, the same order on every host); the quantile is numpy's default 'linear'.

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

/** The q-quantile (0 <= q <= 1) of n >= 1 floats, sorting them in place (numpy 'linear'). */
export function f32_quantile(p: usize, n: i32, q: f64): f32 {
  f32_sort(p, n);
  const pos = q * <f64>(n - 1);
  const lo = <i32>Math.floor(pos);
  const hi = lo + 1 < n ? lo + 1 : lo;
  const frac = pos - <f64>lo;
  const a = <f64>at(p, lo), b = <f64>at(p, hi);
  return <f32>(a + (b - a) * frac);
}

/** flags[i] = scores[i] > threshold ? 1 : 0, for n rows. */
export function detect(scores: usize, n: i32, threshold: f32, flags: usize): void {
  for (let i = 0; i < n; i++) {
    store<u8>(flags + <usize>i, at(scores, i) > threshold ? 1 : 0);
  }
}

/** CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) of len bytes; bitwise, no table. */
export function crc32(p: usize, len: i32): u32 {
  let crc: u32 = 0xffffffff;
  for (let i = 0; i < len; i++) {
    crc ^= <u32>load<u8>(p + <usize>i);
    for (let k = 0; k < 8; k++) {
      crc = (crc >>> 1) ^ (0xedb88320 & (0 - (crc & 1)));
    }
  }
  return ~crc;
}
