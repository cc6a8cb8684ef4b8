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

// tanh(x): a rational approximation x P(x^2) / Q(x^2) of degrees 9 / 8, in the form
// (c + c z (A3 + A5 z + A7 z^2 + A9 z^3)) / (1 + B2 z + B4 z^2 + B6 z^3 + B8 z^4), c = x clamped to
// +-CLAMP and z = c^2: 21 operations a vector against the 25 of Eigen's 13 / 6 (the one TF.js and
// ONNX Runtime's MLAS use), which this replaced (2026-12-02: tab30's batch-256 call, 31% of it tanh,
// about a tenth faster). Coefficients fitted here to tanh's relative error on (0, 8] (Lawson's
// iteration, float64: 6.7e-9 at most; tools/tanh-fit.py --fit) and rounded to f32. Evaluated in f32
// as written (no FMA) against float64 tanh on every positive float below 16 (tools/tanh-fit.py): at
// most 6.35 ulp (near 6.29; Eigen's form 6.4); the quotient is x itself below 3.57e-4 (the constant
// terms are exactly 1, so no tiny-input branch is needed), never above 1, and exactly 1 at CLAMP
// (8.0031223), the first float where it reaches 1, so the clamp saturates it. Odd in x to the bit:
// every step is sign-symmetric. A NaN stays NaN (pmax and pmin return their first operand for it).
const T_CLAMP: f32 = 8.003122329711914;
const T_NCLAMP: f32 = -8.003122329711914;
const TA3: f32 = 0.1344679445028305;
const TA5: f32 = 0.0035743124317377806;
const TA7: f32 = 2.1939109501545317e-05;
const TA9: f32 = 1.529243931486235e-08;
const TB2: f32 = 0.4678012430667877;
const TB4: f32 = 0.026174800470471382;
const TB6: f32 = 0.0003415717219468206;
const TB8: f32 = 8.547685865778476e-07;
// The f32x4 constants live in a static table and are read with load32_splat: one broadcast load
// each, where a v128.const costs V8 several instructions to build on every use (measured: tanh
// 25% and sigmoid 30% faster). kv(I_NAME) is the splat of NAME.
const K_TABLE: usize = memory.data<f32>([EXP_LO, EXP_HI, LOG2E, MAGIC, LN2_HI, LN2_LO, P0, P1, P2, P3, P4, P5, T_CLAMP, T_NCLAMP, TA3, TA5, TA7, TA9, TB2, TB4, TB6, TB8, 1.0, reinterpret<f32>(127)]);
const I_EXP_LO = 0;
const I_EXP_HI = 1;
const I_LOG2E = 2;
const I_MAGIC = 3;
const I_LN2_HI = 4;
const I_LN2_LO = 5;
const I_P0 = 6;
const I_P1 = 7;
const I_P2 = 8;
const I_P3 = 9;
const I_P4 = 10;
const I_P5 = 11;
const I_T_CLAMP = 12;
const I_T_NCLAMP = 13;
const I_TA3 = 14;
const I_TA5 = 15;
const I_TA7 = 16;
const I_TA9 = 17;
const I_TB2 = 18;
const I_TB4 = 19;
const I_TB6 = 20;
const I_TB8 = 21;
const I_ONE = 22;
const I_I127 = 23;   // the i32 127 (the exponent bias), stored by its bits
// @ts-ignore: decorator
@inline function kv(i: i32): v128 { return v128.load32_splat(K_TABLE + (<usize>i << 2)); }

// @ts-ignore: decorator
@inline export function f32_exp_simd(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, kv(I_EXP_LO)), kv(I_EXP_HI));
  const t = f32x4.add(f32x4.mul(x, kv(I_LOG2E)), kv(I_MAGIC));
  const n = f32x4.sub(t, kv(I_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(n, kv(I_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, kv(I_LN2_LO)));
  let p = kv(I_P0);
  p = f32x4.add(f32x4.mul(p, r), kv(I_P1));
  p = f32x4.add(f32x4.mul(p, r), kv(I_P2));
  p = f32x4.add(f32x4.mul(p, r), kv(I_P3));
  p = f32x4.add(f32x4.mul(p, r), kv(I_P4));
  p = f32x4.add(f32x4.mul(p, r), kv(I_P5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), kv(I_ONE));
  return f32x4.mul(p, i32x4.shl(i32x4.add(t, kv(I_I127)), 23));
}

// The scalar forms are called, not inlined (the SIMD forms are): they serve tails and per-row
// loops, and inlining copied them into dozens of places, about 1 KB of the module.
export function f32_exp_scalar(x: f32): f32 {
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

// tanh in the four forms below: the same operations in the same order per lane (the constants'
// comment above), so the same bits from each.

// @ts-ignore: decorator
@inline export function f32_tanh_simd(x: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(x, kv(I_T_NCLAMP)), kv(I_T_CLAMP));
  const z = f32x4.mul(c, c);
  let p = kv(I_TA9);
  p = f32x4.add(f32x4.mul(p, z), kv(I_TA7));
  p = f32x4.add(f32x4.mul(p, z), kv(I_TA5));
  p = f32x4.add(f32x4.mul(p, z), kv(I_TA3));
  const n = f32x4.add(c, f32x4.mul(f32x4.mul(c, z), p));
  let q = kv(I_TB8);
  q = f32x4.add(f32x4.mul(q, z), kv(I_TB6));
  q = f32x4.add(f32x4.mul(q, z), kv(I_TB4));
  q = f32x4.add(f32x4.mul(q, z), kv(I_TB2));
  q = f32x4.add(f32x4.mul(q, z), kv(I_ONE));
  return f32x4.div(n, q);
}

/** f32_tanh_simd of the two vectors at p, in place: each constant loaded once for both (the loads,
 *  not the arithmetic, fill the issue slots of one vector's form); the same operations per lane. */
// @ts-ignore: decorator
@inline export function f32_tanh_simd_x2(ptr: usize): void {
  let k = kv(I_T_NCLAMP);
  let cx = f32x4.pmax(v128.load(ptr), k), cy = f32x4.pmax(v128.load(ptr, 16), k);
  k = kv(I_T_CLAMP);
  cx = f32x4.pmin(cx, k); cy = f32x4.pmin(cy, k);
  const zx = f32x4.mul(cx, cx), zy = f32x4.mul(cy, cy);
  k = kv(I_TA9);
  let px = k, py = k;
  k = kv(I_TA7); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_TA5); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_TA3); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  px = f32x4.add(cx, f32x4.mul(f32x4.mul(cx, zx), px)); py = f32x4.add(cy, f32x4.mul(f32x4.mul(cy, zy), py));
  k = kv(I_TB8);
  let qx = k, qy = k;
  k = kv(I_TB6); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  k = kv(I_TB4); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  k = kv(I_TB2); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  k = kv(I_ONE); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  v128.store(ptr, f32x4.div(px, qx));
  v128.store(ptr, f32x4.div(py, qy), 16);
}

/** f32_tanh_simd of the four vectors at p, in place, each constant loaded once for all four. The same
 *  operations per lane. */
// @ts-ignore: decorator
@inline export function f32_tanh_simd_x4(ptr: usize): void {
  let k = kv(I_T_NCLAMP);
  let c0 = f32x4.pmax(v128.load(ptr), k), c1 = f32x4.pmax(v128.load(ptr, 16), k);
  let c2 = f32x4.pmax(v128.load(ptr, 32), k), c3 = f32x4.pmax(v128.load(ptr, 48), k);
  k = kv(I_T_CLAMP);
  c0 = f32x4.pmin(c0, k); c1 = f32x4.pmin(c1, k); c2 = f32x4.pmin(c2, k); c3 = f32x4.pmin(c3, k);
  const z0 = f32x4.mul(c0, c0), z1 = f32x4.mul(c1, c1), z2 = f32x4.mul(c2, c2), z3 = f32x4.mul(c3, c3);
  k = kv(I_TA9);
  let p0 = k, p1 = k, p2 = k, p3 = k;
  k = kv(I_TA7); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_TA5); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_TA3); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  p0 = f32x4.add(c0, f32x4.mul(f32x4.mul(c0, z0), p0)); p1 = f32x4.add(c1, f32x4.mul(f32x4.mul(c1, z1), p1));
  p2 = f32x4.add(c2, f32x4.mul(f32x4.mul(c2, z2), p2)); p3 = f32x4.add(c3, f32x4.mul(f32x4.mul(c3, z3), p3));
  k = kv(I_TB8);
  let q0 = k, q1 = k, q2 = k, q3 = k;
  k = kv(I_TB6); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  k = kv(I_TB4); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  k = kv(I_TB2); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  k = kv(I_ONE); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  v128.store(ptr, f32x4.div(p0, q0));
  v128.store(ptr, f32x4.div(p1, q1), 16);
  v128.store(ptr, f32x4.div(p2, q2), 32);
  v128.store(ptr, f32x4.div(p3, q3), 48);
}

export function f32_tanh_scalar(x: f32): f32 {
  let c = x < T_NCLAMP ? T_NCLAMP : x;   // pmax, then pmin: the SIMD clamp's select order
  c = T_CLAMP < c ? T_CLAMP : c;
  const z = c * c;
  let p = TA9;
  p = p * z + TA7;
  p = p * z + TA5;
  p = p * z + TA3;
  const n = c + c * z * p;
  let q = TB8;
  q = q * z + TB6;
  q = q * z + TB4;
  q = q * z + TB2;
  q = q * z + <f32>1.0;
  return n / q;
}

// sigmoid(x) = 1 / (1 + exp(-x)); exp is clamped, so the result stays in (0, 1].
// @ts-ignore: decorator
@inline export function f32_sigmoid_simd(x: v128): v128 {
  const one = kv(I_ONE);
  return f32x4.div(one, f32x4.add(one, f32_exp_simd(f32x4.neg(x))));
}

/** f32_sigmoid_simd of the two vectors at p, in place: f32_exp_simd's steps for both, each constant
 *  loaded once (as f32_tanh_simd_x2); the same operations per lane, so the same bits. */
// @ts-ignore: decorator
@inline export function f32_sigmoid_simd_x2(ptr: usize): void {
  let x = f32x4.neg(v128.load(ptr)), y = f32x4.neg(v128.load(ptr, 16));
  let k = kv(I_EXP_LO);
  x = f32x4.pmax(x, k); y = f32x4.pmax(y, k);
  k = kv(I_EXP_HI);
  x = f32x4.pmin(x, k); y = f32x4.pmin(y, k);
  k = kv(I_MAGIC);
  const l2e = kv(I_LOG2E);
  const tx = f32x4.add(f32x4.mul(x, l2e), k), ty = f32x4.add(f32x4.mul(y, l2e), k);
  const nx = f32x4.sub(tx, k), ny = f32x4.sub(ty, k);
  k = kv(I_LN2_HI);
  let rx = f32x4.sub(x, f32x4.mul(nx, k)), ry = f32x4.sub(y, f32x4.mul(ny, k));
  k = kv(I_LN2_LO);
  rx = f32x4.sub(rx, f32x4.mul(nx, k)); ry = f32x4.sub(ry, f32x4.mul(ny, k));
  k = kv(I_P0);
  let px = k, py = k;
  k = kv(I_P1); px = f32x4.add(f32x4.mul(px, rx), k); py = f32x4.add(f32x4.mul(py, ry), k);
  k = kv(I_P2); px = f32x4.add(f32x4.mul(px, rx), k); py = f32x4.add(f32x4.mul(py, ry), k);
  k = kv(I_P3); px = f32x4.add(f32x4.mul(px, rx), k); py = f32x4.add(f32x4.mul(py, ry), k);
  k = kv(I_P4); px = f32x4.add(f32x4.mul(px, rx), k); py = f32x4.add(f32x4.mul(py, ry), k);
  k = kv(I_P5); px = f32x4.add(f32x4.mul(px, rx), k); py = f32x4.add(f32x4.mul(py, ry), k);
  const one = kv(I_ONE);
  px = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(px, rx), rx), rx), one);
  py = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(py, ry), ry), ry), one);
  k = kv(I_I127);
  const ex = f32x4.mul(px, i32x4.shl(i32x4.add(tx, k), 23)), ey = f32x4.mul(py, i32x4.shl(i32x4.add(ty, k), 23));
  v128.store(ptr, f32x4.div(one, f32x4.add(one, ex)));
  v128.store(ptr, f32x4.div(one, f32x4.add(one, ey)), 16);
}

export function f32_sigmoid_scalar(x: f32): f32 {
  return <f32>1.0 / (<f32>1.0 + f32_exp_scalar(-x));
}

// log(x) for x > 0: AssemblyScript's Mathf.log (musl logf.c port, compiled into this module).
// Its bits depend on a compiler setting: with shrinkLevel 0 the standard library compiles the
// table-driven logf_lut instead, which can round differently. Every module here is built with
// shrinkLevel 1 (asconfig.json's targets; tests/abi.test.ts holds the tests' module to the release one).
export function f32_log_scalar(x: f32): f32 {
  return Mathf.log(x);
}
