// contractive.ts: the contractive autoencoder's penalty (Rifai et al., "Contractive Auto-Encoders",
// ICML 2011), exact through every dense encoder layer and activation: P = w * (1/R) sum_rows
// ||dz/dx||_F^2, and its exact gradient (second derivatives of the activations included).
// Not a GEMM kernel: per row, scalar loops over the Jacobians, for tabular widths.
// Dims: R rows, D input width, I/O a layer's input/output width, E encoder layers (nodes 0..E-1).
// Per row, forward: J_l = diag(f'(a_l)) M_l, M_l = W_l^T J_{l-1} (J_0 = I), so M_1 = W_1^T.
// Backward: G_E = 2w/R J_E; per layer, ds = rowsum(G_l . M_l), dM = diag(s) G_l, dW += J_{l-1} dM^T,
// G_{l-1} = W dM, da = ds f''(a) + dh_l f'(a), dW += h_{l-1} da, db += da, dh_{l-1} = W da.
// Scratch (C_CSCRATCH): J_1..J_E (D * sum O floats), two G buffers (maxW * D each), dh and da (maxW each).

import * as A from './arena';
import { cp, ci, layer, li, lp } from './arena';
import { d2act_scalar, dact_scalar } from './act';

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function add(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + v); }

/**
 * The penalty over R rows of x (the encoder's input, nodes 0..E-1 run forward already, training),
 * summed over rows and weighted (the epoch divides by its rows); with `grads`, adds its gradient
 * into the grad block (call after backward_nodes, which overwrites it).
 */
export function contractive(ctx: usize, x: usize, R: i32, E: i32, wgt: f32, grads: bool): f64 {
  const params = cp(ctx, A.C_PARAMS), g = cp(ctx, A.C_GRADS), scr = cp(ctx, A.C_CSCRATCH);
  const D = li(layer(ctx, 0), A.L_IN);
  let maxO = 0, maxW = D, jl = 0;
  for (let l = 0; l < E; l++) {
    const O = li(layer(ctx, l), A.L_OUT);
    maxO = max(maxO, O);
    maxW = max(maxW, O);
    jl += O * D;
  }
  const jBase = scr, gA = scr + (<usize>jl << 2), gB = gA + (<usize>(maxW * D) << 2);
  const dh = gB + (<usize>(maxW * D) << 2), da = dh + (<usize>maxW << 2);
  const scale = <f32>2 * wgt / <f32>R;
  let total: f64 = 0;
  for (let r = 0; r < R; r++) {
    // forward: J_l for every encoder layer of this row
    let jPrev: usize = 0, jAt = jBase, I = D;
    for (let l = 0; l < E; l++) {
      const L = layer(ctx, l), O = li(L, A.L_OUT), act = li(L, A.L_ACT);
      const W = params + (<usize>li(L, A.L_W) << 2), y = lp(L, A.L_Y) + (<usize>(r * O) << 2);
      for (let o = 0; o < O; o++) {
        const s = dact_scalar(act, f(y, o));
        for (let d = 0; d < D; d++) {
          let m: f32 = 0;
          if (jPrev == 0) m = f(W, d * O + o);
          else for (let i = 0; i < I; i++) m += f(W, i * O + o) * f(jPrev, i * D + d);
          put(jAt, o * D + d, s * m);
        }
      }
      jPrev = jAt;
      jAt += <usize>(O * D) << 2;
      I = O;
    }
    let pen: f64 = 0;
    const OE = li(layer(ctx, E - 1), A.L_OUT);
    for (let i = 0; i < OE * D; i++) pen += <f64>(f(jPrev, i) * f(jPrev, i));
    total += <f64>wgt * pen;
    if (!grads) continue;
    // backward: G_E = 2w/R J_E, then layer by layer
    let G = gA, Gn = gB;
    for (let i = 0; i < OE * D; i++) put(G, i, scale * f(jPrev, i));
    for (let i = 0; i < maxW; i++) put(dh, i, 0);
    let jOff = jl;
    for (let l = E - 1; l >= 0; l--) {
      const L = layer(ctx, l), O = li(L, A.L_OUT), In = li(L, A.L_IN), act = li(L, A.L_ACT);
      jOff -= O * D;
      const Jp: usize = l == 0 ? 0 : jBase + (<usize>(jOff - In * D) << 2);
      const W = params + (<usize>li(L, A.L_W) << 2), dW = g + (<usize>li(L, A.L_W) << 2), dB = g + (<usize>li(L, A.L_B) << 2);
      const y = lp(L, A.L_Y) + (<usize>(r * O) << 2);
      const hp: usize = l == 0 ? x + (<usize>(r * In) << 2) : lp(layer(ctx, l - 1), A.L_Y) + (<usize>(r * In) << 2);
      for (let o = 0; o < O; o++) {
        const a = f(y, o), s = dact_scalar(act, a);
        // ds = sum_d G[o][d] M[o][d], M recomputed from J_{l-1} (J_l / s would lose M where s underflows)
        let ds: f32 = 0;
        for (let d = 0; d < D; d++) {
          let m: f32 = 0;
          if (Jp == 0) m = f(W, d * O + o);
          else for (let i = 0; i < In; i++) m += f(W, i * O + o) * f(Jp, i * D + d);
          ds += f(G, o * D + d) * m;
          put(G, o * D + d, s * f(G, o * D + d));   // G[o] becomes dM[o]
        }
        put(da, o, ds * d2act_scalar(act, a) + f(dh, o) * s);
      }
      // dW[i][o] += sum_d J_{l-1}[i][d] dM[o][d] + h_{l-1}[i] da[o]; G_{l-1} = W dM; dh_{l-1} = W da
      for (let i = 0; i < In; i++) {
        const hi = f(hp, i);
        let dhi: f32 = 0;
        for (let o = 0; o < O; o++) {
          let acc: f32 = hi * f(da, o);
          if (Jp == 0) acc += f(G, o * D + i);
          else for (let d = 0; d < D; d++) acc += f(Jp, i * D + d) * f(G, o * D + d);
          add(dW, i * O + o, acc);
          dhi += f(W, i * O + o) * f(da, o);
        }
        if (l > 0) {
          for (let d = 0; d < D; d++) {
            let acc: f32 = 0;
            for (let o = 0; o < O; o++) acc += f(W, i * O + o) * f(G, o * D + d);
            put(Gn, i * D + d, acc);
          }
        }
        put(dh, i, dhi);   // read by layer l-1 (after this loop: dh[o] of this layer is no longer needed)
      }
      for (let o = 0; o < O; o++) add(dB, o, f(da, o));
      const t = G; G = Gn; Gn = t;
    }
  }
  return total;
}
