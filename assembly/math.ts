// math.ts: exp, tanh and sigmoid written out in f32 so every runtime computes the same bits.
// Each function has an f32x4 form and a scalar form built from the very same IEEE operations
// (add, sub, mul, div, floor, min, max, no FMA), so an element gets the same value whether it
// lands in a SIMD body or in a scalar tail. log is AssemblyScript's own Mathf.log (a musl port
// compiled into the module, never the host's Math). Not here: anything that calls out to JS.

// exp(x): Cody-Waite range reduction x = n*ln2 + r, |r| <= ln2/2, then a degree-6 polynomial.
// see: Cephes expf.c (S. Moshier), coefficients p0..p5; max error about 1 ulp on [-87, 88].
// Input is clamped to [EXP_LO, EXP_HI] so 2^n stays a normal float: no inf, no denormal.
const EXP_HI: f32 = 88.37626;
const EXP_LO: f32 = -87.33654;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

// Rounding to the nearest integer uses the 1.5 * 2^23 trick: y + MAGIC rounds y to an integer
// (ties to even) in the float's low mantissa bits, so n = (y + MAGIC) - MAGIC and the bits of
// y + MAGIC, plus the exponent bias, shifted up by 23 give 2^n (the bits above drop out). The clamp
// is pmin/pmax (a compare and a select, one instruction on x64 and arm64) rather than f32x4.min/max,
// whose NaN and -0 rules cost V8 about 7 instructions each; a NaN input stays NaN in both.
const MAGIC: f32 = 12582912.0;

const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;
const TANH_SMALL: f32 = 0.625;
// the f32x4 constants live in a static table and are read with load32_splat: one broadcast
// load each, where a v128.const costs V8 several instructions to build on every use
const K_TABLE: usize = memory.data<f32>([EXP_LO, EXP_HI, LOG2E, MAGIC, LN2_HI, LN2_LO, P0, P1, P2, P3, P4, P5, T0, T1, T2, T3, T4, TANH_SMALL, 1.0, 2.0]);
// @ts-ignore: decorator
@inline function k_EXP_LO(): v128 { return v128.load32_splat(K_TABLE, 0); }
// @ts-ignore: decorator
@inline function k_EXP_HI(): v128 { return v128.load32_splat(K_TABLE, 4); }
// @ts-ignore: decorator
@inline function k_LOG2E(): v128 { return v128.load32_splat(K_TABLE, 8); }
// @ts-ignore: decorator
@inline function k_MAGIC(): v128 { return v128.load32_splat(K_TABLE, 12); }
// @ts-ignore: decorator
@inline function k_LN2_HI(): v128 { return v128.load32_splat(K_TABLE, 16); }
// @ts-ignore: decorator
@inline function k_LN2_LO(): v128 { return v128.load32_splat(K_TABLE, 20); }
// @ts-ignore: decorator
@inline function k_P0(): v128 { return v128.load32_splat(K_TABLE, 24); }
// @ts-ignore: decorator
@inline function k_P1(): v128 { return v128.load32_splat(K_TABLE, 28); }
// @ts-ignore: decorator
@inline function k_P2(): v128 { return v128.load32_splat(K_TABLE, 32); }
// @ts-ignore: decorator
@inline function k_P3(): v128 { return v128.load32_splat(K_TABLE, 36); }
// @ts-ignore: decorator
@inline function k_P4(): v128 { return v128.load32_splat(K_TABLE, 40); }
// @ts-ignore: decorator
@inline function k_P5(): v128 { return v128.load32_splat(K_TABLE, 44); }
// @ts-ignore: decorator
@inline function k_T0(): v128 { return v128.load32_splat(K_TABLE, 48); }
// @ts-ignore: decorator
@inline function k_T1(): v128 { return v128.load32_splat(K_TABLE, 52); }
// @ts-ignore: decorator
@inline function k_T2(): v128 { return v128.load32_splat(K_TABLE, 56); }
// @ts-ignore: decorator
@inline function k_T3(): v128 { return v128.load32_splat(K_TABLE, 60); }
// @ts-ignore: decorator
@inline function k_T4(): v128 { return v128.load32_splat(K_TABLE, 64); }
// @ts-ignore: decorator
@inline function k_TANH_SMALL(): v128 { return v128.load32_splat(K_TABLE, 68); }
// @ts-ignore: decorator
@inline function k_ONE(): v128 { return v128.load32_splat(K_TABLE, 72); }
// @ts-ignore: decorator
@inline function k_TWO(): v128 { return v128.load32_splat(K_TABLE, 76); }

// @ts-ignore: decorator
@inline export function f32_exp_simd(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, k_EXP_LO()), k_EXP_HI());
  const t = f32x4.add(f32x4.mul(x, k_LOG2E()), k_MAGIC());
  const n = f32x4.sub(t, k_MAGIC());
  let r = f32x4.sub(x, f32x4.mul(n, k_LN2_HI()));
  r = f32x4.sub(r, f32x4.mul(n, k_LN2_LO()));
  let p = k_P0();
  p = f32x4.add(f32x4.mul(p, r), k_P1());
  p = f32x4.add(f32x4.mul(p, r), k_P2());
  p = f32x4.add(f32x4.mul(p, r), k_P3());
  p = f32x4.add(f32x4.mul(p, r), k_P4());
  p = f32x4.add(f32x4.mul(p, r), k_P5());
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  return f32x4.mul(p, i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23));
}

// @ts-ignore: decorator
@inline export function f32_exp_scalar(x: f32): f32 {
  x = x < EXP_LO ? EXP_LO : x;   // pmax, then pmin: the SIMD clamp's select order
  x = EXP_HI < x ? EXP_HI : x;
  const t = x * LOG2E + MAGIC;
  const n = t - MAGIC;
  let r = x - n * LN2_HI;
  r = r - n * LN2_LO;
  let p = P0;
  p = p * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * r * r + r + <f32>1.0;
  return p * reinterpret<f32>((reinterpret<i32>(t) + 127) << 23);
}

// tanh(x): for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (Cephes tanhf.c), else
// sign(x) * (1 - 2 / (exp(2|x|) + 1)). Saturates to +-1 exactly for |x| > 9.

// @ts-ignore: decorator
@inline export function f32_tanh_simd(x: v128): v128 {
  const ax = f32x4.abs(x);
  const isSmall = f32x4.lt(ax, k_TANH_SMALL());
  // the two branches are taken per vector only when its lanes need them (same values either way)
  let big = x;
  if (v128.any_true(v128.not(isSmall))) {
    const e = f32_exp_simd(f32x4.add(ax, ax));
    const one = k_ONE();
    big = f32x4.sub(one, f32x4.div(k_TWO(), f32x4.add(e, one)));
    big = v128.or(big, v128.xor(x, ax));   // the sign bit of x onto |tanh|
    if (!v128.any_true(isSmall)) return big;
  }
  const z = f32x4.mul(x, x);
  let p = k_T0();
  p = f32x4.add(f32x4.mul(p, z), k_T1());
  p = f32x4.add(f32x4.mul(p, z), k_T2());
  p = f32x4.add(f32x4.mul(p, z), k_T3());
  p = f32x4.add(f32x4.mul(p, z), k_T4());
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, big, isSmall);
}

// @ts-ignore: decorator
@inline export function f32_tanh_scalar(x: f32): f32 {
  const ax = abs<f32>(x);
  if (ax < TANH_SMALL) {
    const z = x * x;
    let p = T0;
    p = p * z + T1;
    p = p * z + T2;
    p = p * z + T3;
    p = p * z + T4;
    return p * z * x + x;
  }
  const e = f32_exp_scalar(ax + ax);
  const big = <f32>1.0 - <f32>2.0 / (e + <f32>1.0);
  return x < 0 ? -big : big;
}

// sigmoid(x) = 1 / (1 + exp(-x)); exp is clamped, so the result stays in (0, 1].
// @ts-ignore: decorator
@inline export function f32_sigmoid_simd(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, f32_exp_simd(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline export function f32_sigmoid_scalar(x: f32): f32 {
  return <f32>1.0 / (<f32>1.0 + f32_exp_scalar(-x));
}

// log(x) for x > 0: AssemblyScript's Mathf.log (musl logf.c port, compiled into this module).
// @ts-ignore: decorator
@inline export function f32_log_scalar(x: f32): f32 {
  return Mathf.log(x);
}
