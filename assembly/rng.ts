// rng.ts: the one seeded PRNG of the module (xoshiro128**), serving weight init, shuffling,
// noise and sampling. Its 16-byte state lives in the model's context block, so a model's
// random stream depends only on its seed and the calls made, never on the host.
// see: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (xoshiro128starstar.c);
// seeding with splitmix32 (Steele, Lea, Flood) so that nearby seeds give unrelated streams.

// @ts-ignore: decorator
@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}

function splitmix32(x: u32): u32 {
  x += 0x9e3779b9;
  x = (x ^ (x >>> 16)) * 0x85ebca6b;
  x = (x ^ (x >>> 13)) * 0xc2b2ae35;
  return x ^ (x >>> 16);
}

/** Seeds the 4-word state at `state` from a 32-bit seed. */
export function rng_seed(state: usize, seed: u32): void {
  let x = seed;
  for (let i = 0; i < 4; i++) {
    x = splitmix32(x + <u32>i * 0x6a09e667);
    store<u32>(state + (<usize>i << 2), x);
  }
  // xoshiro must not start from the all-zero state
  if ((load<u32>(state) | load<u32>(state, 4) | load<u32>(state, 8) | load<u32>(state, 12)) == 0) {
    store<u32>(state, 1);
  }
}

/** Next 32 random bits. */
export function rng_next(state: usize): u32 {
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return result;
}

/** Uniform f32 in [0, 1): the top 24 bits scaled by 2^-24. */
export function rng_uniform(state: usize): f32 {
  return <f32>(rng_next(state) >>> 8) * <f32>5.9604644775390625e-8;
}

/** Uniform integer in [0, n), n >= 1 (Lemire's multiply-shift; bias below 2^-32 * n). */
export function rng_below(state: usize, n: u32): u32 {
  return <u32>((<u64>rng_next(state) * <u64>n) >>> 32);
}

/** Standard normal f32 (Marsaglia polar method; log and sqrt from this module). */
export function rng_normal(state: usize): f32 {
  let u: f64, v: f64, s: f64;
  do {
    u = <f64>rng_next(state) * 2.3283064365386963e-10 * 2.0 - 1.0;
    v = <f64>rng_next(state) * 2.3283064365386963e-10 * 2.0 - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return <f32>(u * Math.sqrt(-2.0 * Math.log(s) / s));
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
