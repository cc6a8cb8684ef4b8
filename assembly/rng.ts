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
export function cos_turn(u: f64): f64 {
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

// Four normals at once: the same draws, operations and order as four rng_normal calls, two lanes of f64 at a time
// (the draws' squares32 stays scalar: wasm has no 64-bit lane multiply that is cheaper than four scalar ones).

/**
 * The AssemblyScript standard library's Math.log at shrinkLevel 1 (musl's log.c) in two f64 lanes, for x in
 * [2^-32, 1] only (normal, positive, finite: none of its special paths but x = 1, taken by a select): each
 * lane's bits equal the scalar function's.
 */
// @ts-ignore: decorator
@inline export function log_unit2(x: v128): v128 {
  let hx = i64x2.add(i64x2.shr_u(x, 32), i64x2.splat(0x3FF00000 - 0x3FE6A09E));
  const k = i64x2.sub(i64x2.shr_u(hx, 20), i64x2.splat(0x3FF));
  hx = i64x2.add(v128.and(hx, i64x2.splat(0x000FFFFF)), i64x2.splat(0x3FE6A09E));
  const xr = v128.or(i64x2.shl(hx, 32), v128.and(x, i64x2.splat(0xFFFFFFFF)));
  const f = f64x2.sub(xr, f64x2.splat(1.0));
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s), w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(f64x2.splat(reinterpret<f64>(0x3FD999999997FA04)), f64x2.mul(w, f64x2.add(f64x2.splat(reinterpret<f64>(0x3FCC71C51D8E78AF)), f64x2.mul(w, f64x2.splat(reinterpret<f64>(0x3FC39A09D078C69F)))))));
  const t2 = f64x2.mul(z, f64x2.add(f64x2.splat(reinterpret<f64>(0x3FE5555555555593)), f64x2.mul(w, f64x2.add(f64x2.splat(reinterpret<f64>(0x3FD2492494229359)),
    f64x2.mul(w, f64x2.add(f64x2.splat(reinterpret<f64>(0x3FC7466496CB03DE)), f64x2.mul(w, f64x2.splat(reinterpret<f64>(0x3FC2F112DF3E5244)))))))));
  const r = f64x2.add(t2, t1);
  const dk = f64x2.convert_low_i32x4_s(i32x4.shuffle(k, k, 0, 2, 0, 2));
  const ln2hi = f64x2.splat(reinterpret<f64>(0x3FE62E42FEE00000)), ln2lo = f64x2.splat(reinterpret<f64>(0x3DEA39EF35793C76));
  const y = f64x2.add(f64x2.add(f64x2.sub(f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), f64x2.mul(dk, ln2lo)), hfsq), f), f64x2.mul(dk, ln2hi));
  return v128.bitselect(f64x2.splat(0), y, f64x2.eq(x, f64x2.splat(1.0)));   // (log's own case: the general path gives ln 2 at 1)
}

/** k + a2 p, then times a2 for the next step: one step of the nested polynomials (k + a2 (k' + a2 (...))). */
// @ts-ignore: decorator
@inline function hstep(k: f64, a2: v128, p: v128): v128 { return f64x2.mul(a2, f64x2.add(f64x2.splat(k), p)); }

/** cos_turn in two f64 lanes (u in [0, 1)): the same bits per lane. */
// @ts-ignore: decorator
@inline export function cos_turn2(u: v128): v128 {
  const t = f64x2.mul(u, f64x2.splat(4.0));
  const q = f64x2.floor(t);   // (= the scalar's truncation to i32: t >= 0)
  const a = f64x2.mul(f64x2.sub(t, q), f64x2.splat(1.5707963267948966)), a2 = f64x2.mul(a, a);
  // Horner from the inside out: k + a2 * (the rest), as the scalar's nested expression
  let c = f64x2.mul(a2, f64x2.splat(-1.0 / 87178291200));
  c = hstep(1.0 / 479001600, a2, c); c = hstep(-1.0 / 3628800, a2, c); c = hstep(1.0 / 40320, a2, c);
  c = hstep(-1.0 / 720, a2, c); c = hstep(1.0 / 24, a2, c); c = hstep(-1.0 / 2, a2, c);
  c = f64x2.add(f64x2.splat(1.0), c);
  let s = f64x2.mul(a2, f64x2.splat(1.0 / 6227020800));
  s = hstep(-1.0 / 39916800, a2, s); s = hstep(1.0 / 362880, a2, s); s = hstep(-1.0 / 5040, a2, s);
  s = hstep(1.0 / 120, a2, s); s = hstep(-1.0 / 6, a2, s);
  s = f64x2.mul(a, f64x2.add(f64x2.splat(1.0), s));
  return v128.bitselect(c, v128.bitselect(f64x2.neg(s), v128.bitselect(f64x2.neg(c), s, f64x2.eq(q, f64x2.splat(2.0))), f64x2.eq(q, f64x2.splat(1.0))), f64x2.eq(q, f64x2.splat(0.0)));
}

/** Draws ctr, ctr + step, ctr + 2 step, ctr + 3 step under key in four i32 lanes (each squares32, scalar). */
// @ts-ignore: decorator
@inline function squares4(ctr: u64, key: u64, step: u64): v128 {
  let d = i32x4.splat(<i32>squares32(ctr, key));
  d = i32x4.replace_lane(d, 1, <i32>squares32(ctr + step, key));
  d = i32x4.replace_lane(d, 2, <i32>squares32(ctr + 2 * step, key));
  return i32x4.replace_lane(d, 3, <i32>squares32(ctr + 3 * step, key));
}

/** Two normals from u1 in (0, 1] and u2 in [0, 1) (f64x2 each), as f32 in the low two lanes (not inlined: one copy of the code). */
function normal2(u1: v128, u2: v128): v128 {
  return f32x4.demote_f64x2_zero(f64x2.mul(f64x2.sqrt(f64x2.mul(f64x2.splat(-2.0), log_unit2(u1))), cos_turn2(u2)));
}

/** The stream's next four normals (f32x4): bit for bit four rng_normal calls, which take draws 2k and 2k + 1 each. */
export function rng_normal4(state: usize): v128 {
  const ctr = load<u64>(state, 8), key = load<u64>(state);
  store<u64>(state, ctr + 8, 8);
  const ev = squares4(ctr, key, 2), od = squares4(ctr + 1, key, 2);
  const sc = f64x2.splat(2.3283064365386963e-10), one = f64x2.splat(1.0);
  const hiE = i32x4.shuffle(ev, ev, 2, 3, 2, 3), hiO = i32x4.shuffle(od, od, 2, 3, 2, 3);
  const lo = normal2(f64x2.mul(f64x2.add(f64x2.convert_low_i32x4_u(ev), one), sc), f64x2.mul(f64x2.convert_low_i32x4_u(od), sc));
  const hi = normal2(f64x2.mul(f64x2.add(f64x2.convert_low_i32x4_u(hiE), one), sc), f64x2.mul(f64x2.convert_low_i32x4_u(hiO), sc));
  return i32x4.shuffle(lo, hi, 0, 1, 4, 5);
}

/** The stream's next four uniforms (f32x4): bit for bit four rng_uniform calls. */
export function rng_uniform4(state: usize): v128 {
  const ctr = load<u64>(state, 8), key = load<u64>(state);
  store<u64>(state, ctr + 4, 8);
  return f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(squares4(ctr, key, 1), 8)), f32x4.splat(5.9604644775390625e-8));
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
