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

// tanh(x): Eigen's rational approximation x P(x^2) / Q(x^2), degrees 13 / 6, the one TF.js and
// ONNX Runtime's MLAS use (see: Eigen generic_fast_tanh_float). x is clamped to +-7.9053111, where
// the quotient reaches +-1; below |x| = 0.0004 tanh(x) = x to within float precision. Measured
// against float64 tanh on every 7th float in [3e-5, 10]: at most 6.4 ulp (near |x| = 5.77). One
// division and no branch: it replaced Cephes' two-branch form (polynomial below 0.625, then
// 1 - 2 / (exp(2|x|) + 1)), which was within 2 ulp but cost about twice as much per vector.
const RT_CLAMP: f32 = 7.90531110763549805;
const RT_NCLAMP: f32 = -7.90531110763549805;
const RT_TINY: f32 = 0.0004;
// The SIMD forms test the tiny input on z = c * c (already computed) against RT_TINY2 = the float
// product RT_TINY * RT_TINY, saving f32x4.abs (a mask built and applied: 3 instructions in V8): for
// every float c, c * c < RT_TINY2 exactly when |c| < RT_TINY (checked for all 1.0e9 floats in [0, 0.01];
// above that both are false, and c is x wherever either is true), so the same bits as the scalar form.
const RT_TINY2: f32 = reinterpret<f32>(0x342bcc76);   // 1.5999998e-7
const RA1: f32 = 4.89352455891786e-03;
const RA3: f32 = 6.37261928875436e-04;
const RA5: f32 = 1.48572235717979e-05;
const RA7: f32 = 5.12229709037114e-08;
const RA9: f32 = -8.60467152213735e-11;
const RA11: f32 = 2.00018790482477e-13;
const RA13: f32 = -2.76076847742355e-16;
const RB0: f32 = 4.89352518554385e-03;
const RB2: f32 = 2.26843463243900e-03;
const RB4: f32 = 1.18534705686654e-04;
const RB6: f32 = 1.19825839466702e-06;
// The f32x4 constants live in a static table and are read with load32_splat: one broadcast load
// each, where a v128.const costs V8 several instructions to build on every use (measured: tanh
// 25% and sigmoid 30% faster). kv(I_NAME) is the splat of NAME.
const K_TABLE: usize = memory.data<f32>([EXP_LO, EXP_HI, LOG2E, MAGIC, LN2_HI, LN2_LO, P0, P1, P2, P3, P4, P5, RT_CLAMP, RT_NCLAMP, RT_TINY2, RA1, RA3, RA5, RA7, RA9, RA11, RA13, RB0, RB2, RB4, RB6, 1.0, reinterpret<f32>(127)]);
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
const I_RT_CLAMP = 12;
const I_RT_NCLAMP = 13;
const I_RT_TINY2 = 14;
const I_RA1 = 15;
const I_RA3 = 16;
const I_RA5 = 17;
const I_RA7 = 18;
const I_RA9 = 19;
const I_RA11 = 20;
const I_RA13 = 21;
const I_RB0 = 22;
const I_RB2 = 23;
const I_RB4 = 24;
const I_RB6 = 25;
const I_ONE = 26;
const I_I127 = 27;   // the i32 127 (the exponent bias), stored by its bits
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

// tanh(x): for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (Cephes tanhf.c), else
// sign(x) * (1 - 2 / (exp(2|x|) + 1)). Saturates to +-1 exactly for |x| > 9.

// @ts-ignore: decorator
@inline export function f32_tanh_simd(x: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(x, kv(I_RT_NCLAMP)), kv(I_RT_CLAMP));
  const z = f32x4.mul(c, c);
  let p = kv(I_RA13);
  p = f32x4.add(f32x4.mul(p, z), kv(I_RA11));
  p = f32x4.add(f32x4.mul(p, z), kv(I_RA9));
  p = f32x4.add(f32x4.mul(p, z), kv(I_RA7));
  p = f32x4.add(f32x4.mul(p, z), kv(I_RA5));
  p = f32x4.add(f32x4.mul(p, z), kv(I_RA3));
  p = f32x4.add(f32x4.mul(p, z), kv(I_RA1));
  p = f32x4.mul(p, c);
  let q = kv(I_RB6);
  q = f32x4.add(f32x4.mul(q, z), kv(I_RB4));
  q = f32x4.add(f32x4.mul(q, z), kv(I_RB2));
  q = f32x4.add(f32x4.mul(q, z), kv(I_RB0));
  return v128.bitselect(x, f32x4.div(p, q), f32x4.lt(z, kv(I_RT_TINY2)));
}

/** f32_tanh_simd of the two vectors at p, in place: each constant loaded once for both (the loads,
 *  not the arithmetic, fill the issue slots of one vector's form); the same operations per lane. */
// @ts-ignore: decorator
@inline export function f32_tanh_simd_x2(ptr: usize): void {
  const x = v128.load(ptr), y = v128.load(ptr, 16);
  let k = kv(I_RT_NCLAMP);
  let cx = f32x4.pmax(x, k), cy = f32x4.pmax(y, k);
  k = kv(I_RT_CLAMP);
  cx = f32x4.pmin(cx, k); cy = f32x4.pmin(cy, k);
  const zx = f32x4.mul(cx, cx), zy = f32x4.mul(cy, cy);
  k = kv(I_RA13);
  let px = k, py = k;
  k = kv(I_RA11); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_RA9); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_RA7); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_RA5); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_RA3); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  k = kv(I_RA1); px = f32x4.add(f32x4.mul(px, zx), k); py = f32x4.add(f32x4.mul(py, zy), k);
  px = f32x4.mul(px, cx); py = f32x4.mul(py, cy);
  k = kv(I_RB6);
  let qx = k, qy = k;
  k = kv(I_RB4); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  k = kv(I_RB2); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  k = kv(I_RB0); qx = f32x4.add(f32x4.mul(qx, zx), k); qy = f32x4.add(f32x4.mul(qy, zy), k);
  k = kv(I_RT_TINY2);
  v128.store(ptr, v128.bitselect(x, f32x4.div(px, qx), f32x4.lt(zx, k)));
  v128.store(ptr, v128.bitselect(y, f32x4.div(py, qy), f32x4.lt(zy, k)), 16);
}

/** f32_tanh_simd of the four vectors at p, in place, each constant loaded once for all four; x is read
 *  again from p at the end rather than kept, so the 4 x 3 live vectors (c, z, p, then z, p, q) and a
 *  constant fit the SIMD registers. The same operations per lane. */
// @ts-ignore: decorator
@inline export function f32_tanh_simd_x4(ptr: usize): void {
  let k = kv(I_RT_NCLAMP);
  let c0 = f32x4.pmax(v128.load(ptr), k), c1 = f32x4.pmax(v128.load(ptr, 16), k);
  let c2 = f32x4.pmax(v128.load(ptr, 32), k), c3 = f32x4.pmax(v128.load(ptr, 48), k);
  k = kv(I_RT_CLAMP);
  c0 = f32x4.pmin(c0, k); c1 = f32x4.pmin(c1, k); c2 = f32x4.pmin(c2, k); c3 = f32x4.pmin(c3, k);
  const z0 = f32x4.mul(c0, c0), z1 = f32x4.mul(c1, c1), z2 = f32x4.mul(c2, c2), z3 = f32x4.mul(c3, c3);
  k = kv(I_RA13);
  let p0 = k, p1 = k, p2 = k, p3 = k;
  k = kv(I_RA11); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_RA9); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_RA7); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_RA5); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_RA3); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  k = kv(I_RA1); p0 = f32x4.add(f32x4.mul(p0, z0), k); p1 = f32x4.add(f32x4.mul(p1, z1), k); p2 = f32x4.add(f32x4.mul(p2, z2), k); p3 = f32x4.add(f32x4.mul(p3, z3), k);
  p0 = f32x4.mul(p0, c0); p1 = f32x4.mul(p1, c1); p2 = f32x4.mul(p2, c2); p3 = f32x4.mul(p3, c3);
  k = kv(I_RB6);
  let q0 = k, q1 = k, q2 = k, q3 = k;
  k = kv(I_RB4); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  k = kv(I_RB2); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  k = kv(I_RB0); q0 = f32x4.add(f32x4.mul(q0, z0), k); q1 = f32x4.add(f32x4.mul(q1, z1), k); q2 = f32x4.add(f32x4.mul(q2, z2), k); q3 = f32x4.add(f32x4.mul(q3, z3), k);
  k = kv(I_RT_TINY2);
  v128.store(ptr, v128.bitselect(v128.load(ptr), f32x4.div(p0, q0), f32x4.lt(z0, k)));
  v128.store(ptr, v128.bitselect(v128.load(ptr, 16), f32x4.div(p1, q1), f32x4.lt(z1, k)), 16);
  v128.store(ptr, v128.bitselect(v128.load(ptr, 32), f32x4.div(p2, q2), f32x4.lt(z2, k)), 32);
  v128.store(ptr, v128.bitselect(v128.load(ptr, 48), f32x4.div(p3, q3), f32x4.lt(z3, k)), 48);
}

export function f32_tanh_scalar(x: f32): f32 {
  if (abs<f32>(x) < RT_TINY) return x;
  let c = x < RT_NCLAMP ? RT_NCLAMP : x;
  c = RT_CLAMP < c ? RT_CLAMP : c;
  const z = c * c;
  let p = RA13;
  p = p * z + RA11;
  p = p * z + RA9;
  p = p * z + RA7;
  p = p * z + RA5;
  p = p * z + RA3;
  p = p * z + RA1;
  p = p * c;
  let q = RB6;
  q = q * z + RB4;
  q = q * z + RB2;
  q = q * z + RB0;
  return p / q;
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
