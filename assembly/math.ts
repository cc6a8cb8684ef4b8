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

// @ts-ignore: decorator
@inline export function f32_exp_simd(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(P0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2n);
}

// @ts-ignore: decorator
@inline export function f32_exp_scalar(x: f32): f32 {
  x = min<f32>(max<f32>(x, EXP_LO), EXP_HI);
  const n = floor<f32>(x * LOG2E + <f32>0.5);
  let r = x - n * LN2_HI;
  r = r - n * LN2_LO;
  let p = P0;
  p = p * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * r * r + r + <f32>1.0;
  return p * reinterpret<f32>((<i32>n + 127) << 23);
}

// tanh(x): for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (Cephes tanhf.c), else
// sign(x) * (1 - 2 / (exp(2|x|) + 1)). Saturates to +-1 exactly for |x| > 9.
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;
const TANH_SMALL: f32 = 0.625;

// @ts-ignore: decorator
@inline export function f32_tanh_simd(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(T0);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = f32_exp_simd(f32x4.add(ax, ax));
  const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  // copy the sign of x onto |tanh|
  const signed = v128.or(big, v128.and(x, i32x4.splat(<i32>0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
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
