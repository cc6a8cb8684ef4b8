// codec.ts: the integer core of the learned codec. A uniform quantiser per latent dimension
// (offset = the dimension's minimum, step = range / (S - 1), fitted on the rows being coded; for a code trained with
// a rate term, codec_quantize_int: offset = the rounded minimum, step 1), a
// frequency table per dimension (counted, normalised to a total of M = 2^P, bit-packed for the
// container), and a byte-wise rANS coder over the symbols (Fabian Giesen's ryg_rans, 32-bit state,
// L = 2^23, one byte per renormalisation step). After the quantiser everything is integer-only, so
// every host writes the same bytes; the quantiser rounds in f64, which IEEE makes exact everywhere.
// Also a 64-bit content hash (the model id stamped on containers). Not here: the container layout
// and its checks (bindings/codec.ts). Dims: N rows, W latent width, S = 2^bits symbols, M = 2^P.
// Reference: J. Duda, "Asymmetric numeral systems" (2013); F. Giesen, ryg_rans/rans_byte.h.

import { col_minmax } from './train';

const RANS_L: u32 = 1 << 23;
/** The largest frequency a table may hold is M - M/64: every coded symbol costs at least
 *  -log2(63/64) = 0.0227 bits, so a container's row count is bounded by its payload length. */
const CAP_SHIFT: u32 = 6;
/** 1 / ln 2: log2 as the module's one f64 log (rng.ts uses it) times this, so no second log routine ships. */
const LOG2_E: f64 = 1.4426950408889634;

// @ts-ignore: decorator
@inline function u32at(p: usize, i: i32): u32 { return load<u32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function u32put(p: usize, i: i32, v: u32): void { store<u32>(p + (<usize>i << 2), v); }

/**
 * qp f32[2W] = per dimension offset (the minimum over N rows) then step ((max - min) / (S - 1));
 * sym u16[N][W] = clamp(round((z - offset) / step), 0, S - 1), computed in f64 (step 0: symbol 0).
 * z f32[N][W], finite (the bindings check).
 */
export function codec_quantize(z: usize, N: i32, W: i32, bits: i32, qp: usize, sym: usize): void {
  const top = (1 << bits) - 1;
  // (each dimension's minimum into the offsets, its maximum into the steps' slots, then the step over it)
  col_minmax(z, N, W, qp, qp + (<usize>W << 2));
  for (let d = 0; d < W; d++) {
    const lo = load<f32>(qp + (<usize>d << 2)), at = qp + (<usize>(W + d) << 2);
    store<f32>(at, <f32>((<f64>load<f32>(at) - <f64>lo) / <f64>top));
  }
  codec_quantize_with(z, N, W, bits, qp, sym);
}

/**
 * The integer quantiser of a model trained with a rate term (spec `rate`, its code trained under noise of one unit):
 * qp f32[2W] = per dimension offset (its minimum over N rows rounded to an integer, as codec_quantize_with rounds,
 * floor(v + 1/2) in f64) then step 1. Returns the bits (2 to 16) whose 2^bits symbols cover every dimension's
 * integers from its offset to its rounded maximum, or -1 when one spans more than 2^16 (the caller says so).
 * z f32[N][W], finite (the bindings check).
 */
export function codec_quantize_int(z: usize, N: i32, W: i32, qp: usize): i32 {
  let span: f64 = 1;
  col_minmax(z, N, W, qp, qp + (<usize>W << 2));
  for (let d = 0; d < W; d++) {
    const p = qp + (<usize>d << 2), q = qp + (<usize>(W + d) << 2);
    const a = Math.floor(<f64>load<f32>(p) + 0.5), b = Math.floor(<f64>load<f32>(q) + 0.5);
    store<f32>(p, <f32>a);
    store<f32>(q, 1);
    span = max<f64>(span, b - a + 1);
  }
  if (span > 65536) return -1;
  let bits = 2;
  while (<f64>(1 << bits) < span) bits++;
  return bits;
}

/**
 * sym u16[N][W] from z f32[N][W] with given qp (offset, step per dimension), clamped to [0, S - 1].
 * Returns how many values fell more than a quarter of the quantiser's range outside it (clamped far).
 */
export function codec_quantize_with(z: usize, N: i32, W: i32, bits: i32, qp: usize, sym: usize): i32 {
  const top = <f64>((1 << bits) - 1);
  let far = 0;
  for (let r = 0; r < N; r++) {
    for (let d = 0; d < W; d++) {
      const i = <usize>r * W + d;
      const off = <f64>load<f32>(qp + (<usize>d << 2)), step = <f64>load<f32>(qp + (<usize>(W + d) << 2));
      const v = <f64>load<f32>(z + (i << 2));
      const t = step > 0 ? (v - off) / step : 0;
      if (step > 0 ? t < -0.25 * top || t > 1.25 * top : v != off) far++;
      let q = step > 0 ? Math.floor(t + 0.5) : 0;
      q = q < 0 ? 0 : q > top ? top : q; // NaN -> top: only for hostile qp, never a trap
      store<u16>(sym + (i << 1), <u16><i32>q);
    }
  }
  return far;
}

/** z f32[N][W] = f32(offset + sym * step), the sum and product in f64 (exact in every host). */
export function codec_dequantize(sym: usize, N: i32, W: i32, qp: usize, z: usize): void {
  for (let r = 0; r < N; r++) {
    for (let d = 0; d < W; d++) {
      const i = <usize>r * W + d;
      const off = <f64>load<f32>(qp + (<usize>d << 2)), step = <f64>load<f32>(qp + (<usize>(W + d) << 2));
      store<f32>(z + (i << 2), <f32>(off + <f64>load<u16>(sym + (i << 1)) * step));
    }
  }
}

/** cnt u32[W][S] = occurrences of each symbol per dimension in sym u16[N][W]. */
export function codec_count(sym: usize, N: i32, W: i32, bits: i32, cnt: usize): void {
  const S = 1 << bits;
  memory.fill(cnt, 0, <usize>W * S * 4);
  for (let r = 0; r < N; r++) {
    for (let d = 0; d < W; d++) {
      const s = <i32>load<u16>(sym + ((<usize>r * W + d) << 1));
      const at = d * S + s;
      u32put(cnt, at, u32at(cnt, at) + 1);
    }
  }
}

/**
 * One dimension's counts c[S] (summing to N) normalised into f[S] summing to M = 2^P: every present
 * symbol gets 1 + floor(c * (M - distinct) / N), the remainder goes to the most frequent one, and no
 * frequency exceeds M - M/64 (the excess goes to the runner-up; a constant dimension lends M/64 to a
 * neighbouring symbol). Needs M >= distinct symbols. Returns nothing; f may not alias c.
 */
function normalize(c: usize, S: i32, N: i32, P: i32, f: usize): void {
  const M: u32 = 1 << P;
  let distinct: u32 = 0, top = 0;
  for (let s = 0; s < S; s++) {
    const v = u32at(c, s);
    if (v > 0) distinct++;
    if (v > u32at(c, top)) top = s;
  }
  const avail = <u64>(M - distinct);
  let sum: u32 = 0;
  for (let s = 0; s < S; s++) {
    const v = u32at(c, s);
    const q: u32 = v == 0 ? 0 : 1 + <u32>((<u64>v * avail) / <u64>N);
    u32put(f, s, q);
    sum += q;
  }
  u32put(f, top, u32at(f, top) + (M - sum));
  const cap = M - (M >> CAP_SHIFT);
  const ft = u32at(f, top);
  if (ft <= cap) return;
  let second = -1;
  for (let s = 0; s < S; s++) if (s != top && u32at(f, s) > 0 && (second < 0 || u32at(f, s) > u32at(f, second))) second = s;
  if (second < 0) second = top + 1 < S ? top + 1 : top - 1;
  u32put(f, top, cap);
  u32put(f, second, u32at(f, second) + (ft - cap));
}

// ---- table bits: per dimension k (4 bits), then for each symbol Exp-Golomb-k of its frequency,
// where 0 starts a zero run whose length - 1 follows in Exp-Golomb-0 ----

/** Bits of Exp-Golomb-k of v. */
// @ts-ignore: decorator
@inline function eg_bits(v: u32, k: u32): u32 {
  const nb: u32 = 31 - clz<u32>((v >> k) + 1) + k;
  return 2 * nb - k + 1;
}

/** Bits of one dimension's table f[S] with its best k (0..15): (k << 27) | bits. */
function table_bits(f: usize, S: i32): u32 {
  let best: u32 = 0xffffffff, bestK: u32 = 0;
  for (let k: u32 = 0; k < 16; k++) {
    let bits: u32 = 4;
    for (let s = 0; s < S; s++) {
      const v = u32at(f, s);
      bits += eg_bits(v, k);
      if (v == 0) {
        let e = s + 1;
        while (e < S && u32at(f, e) == 0) e++;
        bits += eg_bits(<u32>(e - s - 1), 0);
        s = e - 1;
      }
    }
    if (bits < best) { best = bits; bestK = k; }
  }
  return (bestK << 27) | best;
}

/**
 * Picks the table precision P (Pmin..16) that minimises table bits plus the payload's estimated
 * bits (sum of c * (P - log2 f), f64, computed in wasm so the choice is the same everywhere), then
 * writes freq u32[W][S] and cum u32[W][S + 1] for it. cnt u32[W][S] from codec_count; tmp u32[S].
 * smooth != 0: add 1 to every count first (cnt changes), for tables that must code unseen symbols.
 * Returns P.
 */
export function codec_tables(cnt: usize, N: i32, W: i32, bits: i32, freq: usize, cum: usize, tmp: usize, smooth: i32): i32 {
  const S = 1 << bits;
  if (smooth) {
    // tables for data not seen yet: every symbol keeps a count of at least 1 (Laplace's rule)
    for (let i = 0; i < W * S; i++) u32put(cnt, i, u32at(cnt, i) + 1);
    N += S;
  }
  let maxDistinct = 1;
  for (let d = 0; d < W; d++) {
    let n = 0;
    for (let s = 0; s < S; s++) if (u32at(cnt, d * S + s) > 0) n++;
    if (n > maxDistinct) maxDistinct = n;
  }
  let pMin = 32 - clz<i32>(maxDistinct); // 2^pMin > maxDistinct
  if (pMin < 8) pMin = 8;
  if (pMin > 16) pMin = 16;
  let bestP = pMin, best = Infinity;
  for (let P = pMin; P <= 16; P++) {
    let cost = 0.0;
    for (let d = 0; d < W; d++) {
      const c = cnt + (<usize>(d * S) << 2);
      normalize(c, S, N, P, tmp);
      cost += <f64>(table_bits(tmp, S) & 0x7ffffff);
      for (let s = 0; s < S; s++) {
        const v = u32at(c, s);
        if (v > 0) cost += <f64>v * (<f64>P - Math.log(<f64>u32at(tmp, s)) * LOG2_E);
      }
    }
    if (cost < best) { best = cost; bestP = P; }
  }
  for (let d = 0; d < W; d++) {
    const f = freq + (<usize>(d * S) << 2);
    normalize(cnt + (<usize>(d * S) << 2), S, N, bestP, f);
  }
  cum_tables(freq, W, S, cum);
  return bestP;
}

/** cum u32[W][S + 1]: running sums of freq u32[W][S] per dimension. */
function cum_tables(freq: usize, W: i32, S: i32, cum: usize): void {
  for (let d = 0; d < W; d++) {
    let acc: u32 = 0;
    for (let s = 0; s < S; s++) {
      u32put(cum, d * (S + 1) + s, acc);
      acc += u32at(freq, d * S + s);
    }
    u32put(cum, d * (S + 1) + S, acc);
  }
}

// LSB-first bit writer / reader over a byte buffer (bounded by len)
let bw_ptr: usize = 0, bw_pos: u32 = 0;

function put_bits(v: u32, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    if ((v >> i) & 1) {
      const p = bw_ptr + <usize>(bw_pos >> 3);
      store<u8>(p, load<u8>(p) | <u8>(<u32>1 << (bw_pos & 7)));
    }
    bw_pos++;
  }
}

function put_eg(v: u32, k: u32): void {
  const u = v + (1 << k);
  const nb: u32 = 31 - clz<u32>(u);
  put_bits(0, nb - k);
  put_bits(1, 1);
  put_bits(u, nb); // the low nb bits (the leading 1 was the terminator)
}

/**
 * Bit-packs freq u32[W][S] into out (zeroed here; dry != 0: only counts). Returns the bytes.
 */
export function codec_write_tables(freq: usize, W: i32, bits: i32, out: usize, dry: i32): i32 {
  const S = 1 << bits;
  let total: u32 = 0;
  for (let d = 0; d < W; d++) total += table_bits(freq + (<usize>(d * S) << 2), S) & 0x7ffffff;
  const bytes = <i32>((total + 7) >> 3);
  if (dry) return bytes;
  memory.fill(out, 0, <usize>bytes);
  bw_ptr = out;
  bw_pos = 0;
  for (let d = 0; d < W; d++) {
    const f = freq + (<usize>(d * S) << 2);
    const k = table_bits(f, S) >> 27;
    put_bits(k, 4);
    for (let s = 0; s < S; s++) {
      const v = u32at(f, s);
      put_eg(v, k);
      if (v == 0) {
        let e = s + 1;
        while (e < S && u32at(f, e) == 0) e++;
        put_eg(<u32>(e - s - 1), 0);
        s = e - 1;
      }
    }
  }
  return bytes;
}

let br_ptr: usize = 0, br_pos: u32 = 0, br_end: u32 = 0;

/** n <= 24 bits, or -1 when the buffer ends first. */
function get_bits(n: u32): i32 {
  if (br_pos + n > br_end) return -1;
  let v: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    v |= <u32>((load<u8>(br_ptr + <usize>(br_pos >> 3)) >> (br_pos & 7)) & 1) << i;
    br_pos++;
  }
  return <i32>v;
}

/** Exp-Golomb-k, or -1 (ends early) / -2 (a prefix longer than 20 zeros: no valid table has one). */
function get_eg(k: u32): i32 {
  let zeros: u32 = 0;
  while (true) {
    const b = get_bits(1);
    if (b < 0) return -1;
    if (b == 1) break;
    if (++zeros > 20) return -2;
  }
  const nb = zeros + k;
  if (nb > 24) return -2;
  const low = get_bits(nb);
  if (low < 0) return -1;
  return <i32>(((<u32>1 << nb) | <u32>low) - (<u32>1 << k));
}

/**
 * Reads W tables of S = 2^bits frequencies from len bytes at inp into freq u32[W][S] and cum
 * u32[W][S + 1], and checks each sums to M = 2^P with every frequency <= M - M/64.
 * Returns 0, or -1 the bytes end early, -2 a malformed code, -3 a zero run past the alphabet,
 * -4 a frequency above the cap, -5 a table whose sum is not M, -6 unused bytes after the tables.
 */
export function codec_read_tables(inp: usize, len: i32, W: i32, bits: i32, P: i32, freq: usize, cum: usize): i32 {
  const S = 1 << bits;
  const M: u32 = 1 << P, cap = M - (M >> CAP_SHIFT);
  br_ptr = inp;
  br_pos = 0;
  br_end = <u32>len << 3;
  for (let d = 0; d < W; d++) {
    const f = freq + (<usize>(d * S) << 2);
    const k = get_bits(4);
    if (k < 0) return -1;
    let sum: u64 = 0;
    for (let s = 0; s < S; s++) {
      const v = get_eg(<u32>k);
      if (v < 0) return v;
      if (<u32>v > cap) return -4;
      u32put(f, s, <u32>v);
      sum += <u64>v;
      if (v == 0) {
        const run = get_eg(0);
        if (run < 0) return run;
        if (s + run >= S) return -3;
        for (let e = 1; e <= run; e++) u32put(f, s + e, 0);
        s += run;
      }
    }
    if (sum != <u64>M) return -5;
  }
  if (((br_pos + 7) >> 3) != <u32>len) return -6;
  cum_tables(freq, W, S, cum);
  return 0;
}

/**
 * rANS-codes sym u16[N][W] (dimension d with table d) backwards into the end of out[cap]; the
 * payload is out[cap - bytes .. cap). cap >= 2 N W + 4 always suffices (P <= 16: at most 2 bytes
 * per symbol). Returns the payload bytes.
 */
export function codec_encode(sym: usize, N: i32, W: i32, bits: i32, P: i32, freq: usize, cum: usize, out: usize, cap: i32): i32 {
  const S = 1 << bits;
  let x: u32 = RANS_L;
  let p = out + <usize>cap;
  const lim: u32 = (RANS_L >> <u32>P) << 8;
  for (let r = N - 1; r >= 0; r--) {
    for (let d = W - 1; d >= 0; d--) {
      const s = <i32>load<u16>(sym + ((<usize>r * W + d) << 1));
      const f = u32at(freq, d * S + s), c = u32at(cum, d * (S + 1) + s);
      const xmax = lim * f;
      while (x >= xmax) {
        p--;
        store<u8>(p, <u8>x);
        x >>= 8;
      }
      x = ((x / f) << <u32>P) + (x % f) + c;
    }
  }
  p -= 4;
  store<u32>(p, x);
  return <i32>(out + <usize>cap - p);
}

/**
 * Decodes N x W symbols from len payload bytes at inp into sym u16[N][W] with the tables.
 * Returns 0, or -7 the payload ends early / its start state is invalid, -8 the payload does not end
 * where the symbols do (the final state must be the coder's initial state, every byte consumed).
 */
export function codec_decode(inp: usize, len: i32, N: i32, W: i32, bits: i32, P: i32, freq: usize, cum: usize, sym: usize): i32 {
  const S = 1 << bits;
  if (len < 4) return -7;
  let x = load<u32>(inp);
  if (x < RANS_L) return -7;
  let pos = 4;
  const mask: u32 = (1 << P) - 1;
  for (let r = 0; r < N; r++) {
    for (let d = 0; d < W; d++) {
      const slot = x & mask;
      const row = cum + (<usize>(d * (S + 1)) << 2);
      // the largest s with cum[s] <= slot (cum[0] = 0 <= slot, cum[S] = M > slot)
      let lo = 0, hi = S;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (u32at(row, mid) <= slot) lo = mid; else hi = mid;
      }
      const f = u32at(freq, d * S + lo);
      x = f * (x >> <u32>P) + slot - u32at(row, lo);
      while (x < RANS_L) {
        if (pos >= len) return -7;
        x = (x << 8) | <u32>load<u8>(inp + <usize>pos);
        pos++;
      }
      store<u16>(sym + ((<usize>r * W + d) << 1), <u16>lo);
    }
  }
  return x == RANS_L && pos == len ? 0 : -8;
}

// ---- content hash: 64-bit, word-wise multiply-rotate (xxHash64's round and avalanche constants) ----

const H1: u64 = 0x9e3779b185ebca87;
const H2: u64 = 0xc2b2ae3d27d4eb4f;

/** state u64 (8 bytes at st) absorbs len bytes at p, then the length; not cryptographic. */
export function hash64_update(st: usize, p: usize, len: i32): void {
  let h = load<u64>(st);
  let i = 0;
  for (; i + 8 <= len; i += 8) h = rotl<u64>(h ^ (load<u64>(p + <usize>i) * H2), 31) * H1;
  let tail: u64 = 0;
  for (let j = 0; i + j < len; j++) tail |= <u64>load<u8>(p + <usize>(i + j)) << (<u64>j << 3);
  h = rotl<u64>(h ^ (tail * H2), 31) * H1;
  h ^= <u64>len;
  h ^= h >> 33; h *= H2; h ^= h >> 29; h *= H1; h ^= h >> 32;
  store<u64>(st, h);
}
