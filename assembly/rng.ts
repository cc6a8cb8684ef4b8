// rng.ts: counter-based random streams, one per purpose (init, shuffle, dropout, noise, sampling;
// arena.ts RNG_*). Draw i of a stream is squares32(i, key) with key = a hash of (model seed,
// purpose): a function of seed, purpose and index only, so a new consumer never shifts another
// purpose's draws, and a later split of a batch over threads can draw the same numbers by index.
// A stream is 16 bytes in the model's context block: u64 key, u64 counter (draws taken).
// see: B. Widynski, "Squares: a fast counter-based RNG" (arXiv:2004.06278), squares32;
// key derivation with splitmix64 (Steele, Lea, Flood), forced odd as squares asks.

// @ts-ignore: decorator
@inline function rotr32(x: u64): u64 { return (x >>> 32) | (x << 32); }

/** Widynski's squares32: 32 random bits from counter `ctr` under `key` (four rounds of squaring). */
export function squares32(ctr: u64, key: u64): u32 {
  let x = ctr * key;
  const y = x, z = y + key;
  x = rotr32(x * x + y);
  x = rotr32(x * x + z);
  x = rotr32(x * x + y);
  return <u32>((x * x + z) >>> 32);
}

function splitmix64(x: u64): u64 {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >>> 27)) * 0x94d049bb133111eb;
  return x ^ (x >>> 31);
}

/** Seeds the stream at `state` for (seed, purpose) and rewinds it to draw 0. */
export function rng_seed(state: usize, seed: u32, purpose: i32): void {
  store<u64>(state, splitmix64(splitmix64(<u64>seed) ^ (<u64>(purpose + 1) << 32)) | 1);
  store<u64>(state, 0, 8);
}

/** Next 32 random bits (the stream's draw at its counter, which then advances). */
export function rng_next(state: usize): u32 {
  const ctr = load<u64>(state, 8);
  store<u64>(state, ctr + 1, 8);
  return squares32(ctr, load<u64>(state));
}

/** Uniform f32 in [0, 1): the top 24 bits scaled by 2^-24. */
export function rng_uniform(state: usize): f32 {
  return <f32>(rng_next(state) >>> 8) * <f32>5.9604644775390625e-8;
}

/** Uniform integer in [0, n), n >= 1 (Lemire's multiply-shift; bias below 2^-32 * n). */
export function rng_below(state: usize, n: u32): u32 {
  return <u32>((<u64>rng_next(state) * <u64>n) >>> 32);
}

/**
 * cos(2 pi u) for u in [0, 1): quarter turn q and a Taylor polynomial of cos / sin on [0, pi/2]
 * (degree 14 / 13, error below 1e-9), plain f64 multiply-adds: the same bits everywhere, and none
 * of the general cos's argument reduction tables in the module.
 */
function cos_turn(u: f64): f64 {
  const t = u * 4.0;
  const q = <i32>t;
  const a = (t - <f64>q) * 1.5707963267948966, a2 = a * a;
  const c = 1.0 + a2 * (-1.0 / 2 + a2 * (1.0 / 24 + a2 * (-1.0 / 720 + a2 * (1.0 / 40320 + a2 * (-1.0 / 3628800 + a2 * (1.0 / 479001600 + a2 * (-1.0 / 87178291200)))))));
  const s = a * (1.0 + a2 * (-1.0 / 6 + a2 * (1.0 / 120 + a2 * (-1.0 / 5040 + a2 * (1.0 / 362880 + a2 * (-1.0 / 39916800 + a2 * (1.0 / 6227020800)))))));
  return q == 0 ? c : q == 1 ? -s : q == 2 ? -c : s;
}

/**
 * Standard normal f32 from exactly two draws (Box-Muller, cosine branch), so normal k of a stream
 * is draws 2k and 2k+1. u1 in (0, 1] keeps the log finite. log: AssemblyScript's own f64 software
 * implementation (a musl port; at shrinkLevel 0 it would be the table-driven log_lut, other bits: every
 * module is built at 1, see math.ts f32_log_scalar), sqrt the wasm instruction, cos cos_turn: the same
 * bits everywhere.
 */
export function rng_normal(state: usize): f32 {
  const u1 = (<f64>rng_next(state) + 1.0) * 2.3283064365386963e-10;
  const u2 = <f64>rng_next(state) * 2.3283064365386963e-10;
  return <f32>(Math.sqrt(-2.0 * Math.log(u1)) * cos_turn(u2));
}

/** Fisher-Yates shuffle of n i32 indices at `idx`. */
export function rng_shuffle(state: usize, idx: usize, n: i32): void {
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>rng_below(state, <u32>(i + 1));
    const a = load<i32>(idx + (<usize>i << 2));
    store<i32>(idx + (<usize>i << 2), load<i32>(idx + (<usize>j << 2)));
    store<i32>(idx + (<usize>j << 2), a);
  }
}
