// contractive.ts: the contractive autoencoder's penalty (Rifai et al., "Contractive Auto-Encoders",
// ICML 2011), exact through every dense encoder layer and activation: P = w * (1/R) sum_rows
// ||dz/dx||_F^2, and its exact gradient (second derivatives of the activations included).
// Not a GEMM kernel: per row, loops over the Jacobians, for tabular widths.
// Dims: R rows, D input width, I/O a layer's input/output width, E encoder layers (nodes 0..E-1).
// Per row, forward: J_l = diag(f'(a_l)) M_l, M_l = W_l^T J_{l-1} (J_0 = I), so M_1 = W_1^T.
// Backward: G_E = 2w/R J_E; per layer, ds = rowsum(G_l . M_l), dM = diag(s) G_l, dW += J_{l-1} dM^T,
// G_{l-1} = W dM, da = ds f''(a) + dh_l f'(a), dW += h_{l-1} da, db += da, dh_{l-1} = W da.
// Scratch (C_CSCRATCH): J_1..J_E (D * sum O floats), M_2..M_E (the same but the first layer's: its M is W^T), two G
// buffers (maxW * D each), dh and da (maxW each), dM transposed (maxW * D), the first layer's W transposed (maxW * D). The loops over d (or over o, for dW) run four in f32x4 lanes, each lane doing the scalar
// loop's operations in its order (no fused multiply-add in wasm's SIMD): the bits of the scalar loops.

import * as A from './arena';
import { cp, ci, layer, li, lp } from './arena';
import { ws_scratch } from './gemm';
import { pool_cae } from './threads';
import { d2act_scalar, dact_scalar } from './act';

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function add(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + v); }

// The scratch's blocks (C_CSCRATCH) for E encoder layers of input width D: J_1..J_E, M_2..M_E (m_at), then G, Gn
// (maxW x D each), dh, da (maxW each), T (dM transposed) and WT (the first layer's W transposed; maxW x D each):
// cs_at's `which`.
const CS_G = 0, CS_GN = 1, CS_DH = 2, CS_DA = 3, CS_T = 4, CS_WT = 5;
function cs_at(ctx: usize, E: i32, D: i32, which: i32): usize {
  const maxW = max_width(ctx, E, D), big = <usize>(maxW * D) << 2, small = <usize>maxW << 2;
  let p = cp(ctx, A.C_CSCRATCH) + (<usize>(2 * j_at(ctx, E, D) - j_at(ctx, 1, D)) << 2);
  if (which > CS_G) p += big;
  if (which > CS_GN) p += big;
  if (which > CS_DH) p += small;
  if (which > CS_DA) p += small;
  if (which > CS_T) p += big;
  return p;
}
// @ts-ignore: decorator
@inline function max_width(ctx: usize, E: i32, D: i32): i32 {
  let w = D;
  for (let l = 0; l < E; l++) w = max(w, li(layer(ctx, l), A.L_OUT));
  return w;
}
/**
 * Layer l's M_{l+1} = W^T J_{l-1} (l >= 1; O x D), kept by its forward for its backward (which recomputed it before:
 * a quarter of a row's multiply-adds): after J_1..J_E, in their order without the first layer's.
 */
// @ts-ignore: decorator
@inline function m_at(ctx: usize, E: i32, l: i32, D: i32): usize {
  return cp(ctx, A.C_CSCRATCH) + (<usize>(j_at(ctx, E, D) + j_at(ctx, l, D) - j_at(ctx, 1, D)) << 2);
}

/** Floats of J_1..J_{l} (the Jacobians of the layers before layer l): where J_{l+1}, layer l's, starts. */
function j_at(ctx: usize, l: i32, D: i32): i32 {
  let n = 0;
  for (let k = 0; k < l; k++) n += li(layer(ctx, k), A.L_OUT) * D;
  return n;
}

// A row's phases (cae_phase): layer l's Jacobian rows o0..o1-1 (forward); its rows o0..o1-1 of ds, dM (over G in
// place) and da (backward, first); dM's columns d0..d1-1 into T, transposed (then); its input rows i0..i1-1 of dW, dh
// and G_{l-1} (backward, last).
// With threads each phase splits its range through the pool (threads.ts JOB_CAE): every element is computed as on one
// thread, so the bits do not depend on the split.
export const CAE_FWD = 0;
export const CAE_BACK_O = 1;
export const CAE_BACK_I = 2;
export const CAE_TRANS = 3;

/**
 * The penalty over R rows of x (the encoder's input, nodes 0..E-1 run forward already, training),
 * summed over rows and weighted (the epoch divides by its rows); with `grads`, adds its gradient
 * into the grad block (call after backward_nodes, which overwrites it).
 */
export function contractive(ctx: usize, x: usize, R: i32, E: i32, wgt: f32, grads: bool): f64 {
  const g = cp(ctx, A.C_GRADS), scr = cp(ctx, A.C_CSCRATCH);
  const D = li(layer(ctx, 0), A.L_IN), maxW = max_width(ctx, E, D);
  const gA = cs_at(ctx, E, D, CS_G), gB = cs_at(ctx, E, D, CS_GN), dh = cs_at(ctx, E, D, CS_DH), da = cs_at(ctx, E, D, CS_DA);
  const scale = <f32>2 * wgt / <f32>R;
  // the first layer's weights transposed (WT): J_1 = diag(f') W^T row by row, and its M in the backward
  const L0 = layer(ctx, 0), O0 = li(L0, A.L_OUT), W0 = cp(ctx, A.C_PARAMS) + (<usize>li(L0, A.L_W) << 2);
  const WT = cs_at(ctx, E, D, CS_WT);
  for (let d = 0; d < D; d++) for (let o = 0; o < O0; o++) put(WT, o * D + d, f(W0, d * O0 + o));
  let total: f64 = 0;
  for (let r = 0; r < R; r++) {
    // forward: J_l for every encoder layer of this row
    for (let l = 0; l < E; l++) cae_run(ctx, x, E, r, l, CAE_FWD, 0, 0, li(layer(ctx, l), A.L_OUT));
    const jE = scr + (<usize>j_at(ctx, E - 1, D) << 2);
    let pen: f64 = 0;
    const OE = li(layer(ctx, E - 1), A.L_OUT);
    for (let i = 0; i < OE * D; i++) pen += <f64>(f(jE, i) * f(jE, i));
    total += <f64>wgt * pen;
    if (!grads) continue;
    // backward: G_E = 2w/R J_E, then layer by layer
    let G = gA, Gn = gB;
    for (let i = 0; i < OE * D; i++) put(G, i, scale * f(jE, i));
    for (let i = 0; i < maxW; i++) put(dh, i, 0);
    for (let l = E - 1; l >= 0; l--) {
      const L = layer(ctx, l), O = li(L, A.L_OUT), dB = g + (<usize>li(L, A.L_B) << 2);
      cae_run(ctx, x, E, r, l, CAE_BACK_O, G, Gn, O);
      cae_run(ctx, x, E, r, l, CAE_TRANS, G, Gn, li(layer(ctx, 0), A.L_IN));
      cae_run(ctx, x, E, r, l, CAE_BACK_I, G, Gn, li(L, A.L_IN));
      for (let o = 0; o < O; o++) add(dB, o, f(da, o));
      const t = G; G = Gn; Gn = t;
    }
  }
  return total;
}

/** Phase `phase` of row r, layer l, over its whole range 0..n-1: through the pool where it takes it, else here. */
function cae_run(ctx: usize, x: usize, E: i32, r: i32, l: i32, phase: i32, G: usize, Gn: usize, n: i32): void {
  if (ASC_FEATURE_THREADS && pool_cae(ctx, x, E, r, l, phase, G, Gn, n, cae_cost(ctx, E, l, phase))) return;
  cae_phase(ctx, x, E, r, l, phase, G, Gn, 0, n);
}

/** About the multiply-adds of a phase of layer l (its pool threshold): J_{l-1}'s rows times the layer's O x D. */
function cae_cost(ctx: usize, E: i32, l: i32, phase: i32): i64 {
  const L = layer(ctx, l), D = <i64>li(layer(ctx, 0), A.L_IN);
  return (l == 0 || phase == CAE_TRANS ? 1 : <i64>li(L, A.L_IN)) * <i64>li(L, A.L_OUT) * D * (phase == CAE_BACK_I && l > 0 ? 2 : 1);
}

/** Rows a..b-1 (o; i for CAE_BACK_I, d for CAE_TRANS) of phase `phase` of row r, layer l of E encoder layers (any thread; see CAE_FWD). */
export function cae_phase(ctx: usize, x: usize, E: i32, r: i32, l: i32, phase: i32, G: usize, Gn: usize, a: i32, b: i32): void {
  const scr = cp(ctx, A.C_CSCRATCH), params = cp(ctx, A.C_PARAMS), g = cp(ctx, A.C_GRADS);
  const D = li(layer(ctx, 0), A.L_IN);
  const L = layer(ctx, l), O = li(L, A.L_OUT), In = li(L, A.L_IN), act = li(L, A.L_ACT);
  const dh = cs_at(ctx, E, D, CS_DH), da = cs_at(ctx, E, D, CS_DA), T = cs_at(ctx, E, D, CS_T), WT = cs_at(ctx, E, D, CS_WT);
  const tmp = ws_scratch();
  // J_{l-1} (0 for the first layer: J_0 = I) and J_l
  const Jp: usize = l == 0 ? 0 : scr + (<usize>j_at(ctx, l - 1, D) << 2), J = scr + (<usize>j_at(ctx, l, D) << 2);
  const W = params + (<usize>li(L, A.L_W) << 2), y = lp(L, A.L_Y) + (<usize>(r * O) << 2);
  const M: usize = l == 0 ? 0 : m_at(ctx, E, l, D);
  if (phase == CAE_FWD) {
    for (let o = a; o < b; o++) {
      const s = dact_scalar(act, f(y, o));
      if (Jp == 0) {
        // J_1[o] = s W^T[o] (WT: the first layer's weights transposed, contractive())
        let d = 0;
        for (; d + 4 <= D; d += 4) v128.store(J + (<usize>(o * D + d) << 2), f32x4.mul(f32x4.splat(s), v128.load(WT + (<usize>(o * D + d) << 2))));
        for (; d < D; d++) put(J, o * D + d, s * f(WT, o * D + d));
        continue;
      }
      // M[o] kept (its backward reads it), J[o] = s M[o]
      let d = 0;
      for (; d + 16 <= D; d += 16) {
        const at = M + (<usize>(o * D + d) << 2);
        m16(W, O, o, Jp, In, D, d, at);
        for (let k = 0; k < 64; k += 16) v128.store(J + (<usize>(o * D + d) << 2) + k, f32x4.mul(f32x4.splat(s), v128.load(at + k)));
      }
      for (; d + 4 <= D; d += 4) {
        const m = m4(W, O, o, Jp, In, D, d);
        v128.store(M + (<usize>(o * D + d) << 2), m);
        v128.store(J + (<usize>(o * D + d) << 2), f32x4.mul(f32x4.splat(s), m));
      }
      for (; d < D; d++) {
        const m = m1(W, O, o, Jp, In, D, d);
        put(M, o * D + d, m);
        put(J, o * D + d, s * m);
      }
    }
    return;
  }
  if (phase == CAE_BACK_O) {
    for (let o = a; o < b; o++) {
      const av = f(y, o), s = dact_scalar(act, av);
      // ds = sum_d G[o][d] M[o][d], M as the forward kept it (J_l / s would lose M where s underflows; M_1 = W^T); G[o]
      // becomes dM[o] = s G[o]. Four d at a time, the products added to ds one by one in d's order
      const Mo = Jp == 0 ? WT : M;
      let ds: f32 = 0, d = 0;
      for (; d + 4 <= D; d += 4) ds = ds_add(ds, G + (<usize>(o * D + d) << 2), v128.load(Mo + (<usize>(o * D + d) << 2)), s);
      for (; d < D; d++) {
        const m: f32 = f(Mo, o * D + d);
        ds += f(G, o * D + d) * m;
        put(G, o * D + d, s * f(G, o * D + d));
      }
      put(da, o, ds * d2act_scalar(act, av) + f(dh, o) * s);
    }
    return;
  }
  if (phase == CAE_TRANS) {
    // dM transposed (T[d][o]), so that four o of dW's rows are one load; by rows d of T, so that no two threads write
    // one cache line of it (by o they did: 1.5x slower on two threads than on one)
    for (let d = a; d < b; d++) for (let o = 0; o < O; o++) put(T, d * O + o, f(G, o * D + d));
    return;
  }
  // dW[i][o] += h_{l-1}[i] da[o] + sum_d J_{l-1}[i][d] dM[o][d] (in d's order, four o in lanes); G_{l-1} = W dM
  // (four d in lanes, each summing over o in order); dh_{l-1} = W da
  const dW = g + (<usize>li(L, A.L_W) << 2);
  const hp: usize = l == 0 ? x + (<usize>(r * In) << 2) : lp(layer(ctx, l - 1), A.L_Y) + (<usize>(r * In) << 2);
  for (let i = a; i < b; i++) {
    const hi = f(hp, i);
    let o = 0;
    if (Jp != 0) for (; o + 16 <= O; o += 16) {
      for (let k = 0; k < 16; k += 4) v128.store(tmp + (<usize>k << 2), f32x4.mul(f32x4.splat(hi), v128.load(da + (<usize>(o + k) << 2))));
      sum16(Jp + (<usize>(i * D) << 2), 4, T + (<usize>o << 2), O << 2, D, tmp);
      const at = dW + (<usize>(i * O + o) << 2);
      for (let k = 0; k < 64; k += 16) v128.store(at + k, f32x4.add(v128.load(at + k), v128.load(tmp + k)));
    }
    for (; o + 4 <= O; o += 4) {
      let acc = f32x4.mul(f32x4.splat(hi), v128.load(da + (<usize>o << 2)));
      if (Jp == 0) acc = f32x4.add(acc, v128.load(T + (<usize>(i * O + o) << 2)));
      else for (let d = 0; d < D; d++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(f(Jp, i * D + d)), v128.load(T + (<usize>(d * O + o) << 2))));
      const at = dW + (<usize>(i * O + o) << 2);
      v128.store(at, f32x4.add(v128.load(at), acc));
    }
    for (; o < O; o++) {
      let acc: f32 = hi * f(da, o);
      if (Jp == 0) acc += f(T, i * O + o);
      else for (let d = 0; d < D; d++) acc += f(Jp, i * D + d) * f(T, d * O + o);
      add(dW, i * O + o, acc);
    }
    // (the first layer's dh would feed no layer: not computed)
    if (l > 0) {
      let dhi: f32 = 0;
      for (let o = 0; o < O; o++) dhi += f(W, i * O + o) * f(da, o);
      put(dh, i, dhi);   // read by layer l-1's CAE_BACK_O (this layer's dh[o] was read by its own, before this phase)
      let d = 0;
      for (; d + 16 <= D; d += 16) {
        const at = Gn + (<usize>(i * D + d) << 2);
        zero16(at);
        sum16(W + (<usize>(i * O) << 2), 4, G + (<usize>d << 2), D << 2, O, at);
      }
      for (; d + 4 <= D; d += 4) {
        let acc = f32x4.splat(0);
        for (let o = 0; o < O; o++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(f(W, i * O + o)), v128.load(G + (<usize>(o * D + d) << 2))));
        v128.store(Gn + (<usize>(i * D + d) << 2), acc);
      }
      for (; d < D; d++) {
        let acc: f32 = 0;
        for (let o = 0; o < O; o++) acc += f(W, i * O + o) * f(G, o * D + d);
        put(Gn, i * D + d, acc);
      }
    }
  }
}

/** M[o][d] = sum_i W[i][o] J[i][d] over i = 0..I-1 in order, from 0 (W: I x O, J: I x D). */
function m1(W: usize, O: i32, o: i32, J: usize, I: i32, D: i32, d: i32): f32 {
  let m: f32 = 0;
  for (let i = 0; i < I; i++) m += f(W, i * O + o) * f(J, i * D + d);
  return m;
}

/** M[o][d..d+15] as m1 computes each, into out f32[16]. */
function m16(W: usize, O: i32, o: i32, J: usize, I: i32, D: i32, d: i32, out: usize): void {
  zero16(out);
  sum16(W + (<usize>o << 2), O << 2, J + (<usize>d << 2), D << 2, I, out);
}

/** out[0..15] = 0 (four stores: a memory.fill of 64 bytes is a call into the engine, about 10% of a row here). */
// @ts-ignore: decorator
@inline function zero16(out: usize): void {
  const z = f32x4.splat(0);
  v128.store(out, z);
  v128.store(out, z, 16);
  v128.store(out, z, 32);
  v128.store(out, z, 48);
}

/**
 * out[k] += sum over j = 0..n-1, in order, of a[j] b[j][k] for k = 0..15 (a's floats sa bytes apart, b's rows sb bytes
 * apart): sixteen sums in four f32x4 accumulators, one splat of a[j] for all, each lane the scalar `out += a * b` in
 * order (from out's value: 0, or the first term of a sum that starts elsewhere).
 */
// @ts-ignore: decorator
@inline function sum16(a: usize, sa: i32, b: usize, sb: i32, n: i32, out: usize): void {
  let a0 = v128.load(out), a1 = v128.load(out, 16), a2 = v128.load(out, 32), a3 = v128.load(out, 48);
  for (const end = a + <usize>(n * sa); a != end; a += <usize>sa, b += <usize>sb) {
    const w = f32x4.splat(load<f32>(a));
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(b)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(b, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w, v128.load(b, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w, v128.load(b, 48)));
  }
  v128.store(out, a0);
  v128.store(out, a1, 16);
  v128.store(out, a2, 32);
  v128.store(out, a3, 48);
}

/** ds plus G[o][d..d+3] m[d..d+3] (four products added one by one in d's order), and G[o][d..d+3] scaled by s: dM. */
// @ts-ignore: decorator
@inline function ds_add(ds: f32, at: usize, m: v128, s: f32): f32 {
  const g4 = v128.load(at), p = f32x4.mul(g4, m);
  ds += f32x4.extract_lane(p, 0);
  ds += f32x4.extract_lane(p, 1);
  ds += f32x4.extract_lane(p, 2);
  ds += f32x4.extract_lane(p, 3);
  v128.store(at, f32x4.mul(f32x4.splat(s), g4));
  return ds;
}

/** M[o][d..d+3] as m1 computes each, in four lanes. */
function m4(W: usize, O: i32, o: i32, J: usize, I: i32, D: i32, d: i32): v128 {
  let m = f32x4.splat(0);
  for (let i = 0; i < I; i++) m = f32x4.add(m, f32x4.mul(f32x4.splat(f(W, i * O + o)), v128.load(J + (<usize>(i * D + d) << 2))));
  return m;
}
