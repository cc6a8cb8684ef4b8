// subpixel.ts: 3x3 stride-2 transposed convolutions (Keras alignment, padding-before 0: 'same',
// OH = 2H, and 'valid', OH = 2H + 1) by their sub-pixel phases, each through Winograd's F(2, 2).
// Output row 2m (even) sums two taps, x[m] K[0] + x[m - 1] K[2]; row 2m + 1 (odd) one, x[m] K[1];
// the same along columns. So the output splits into 4 phases (even/odd row by even/odd column),
// each a small stride-1 convolution of x: 2x2 taps (ee), 2x1 (eo), 1x2 (oe), 1x1 (oo). Along a
// 2-tap axis, 2 outputs y0 = d0 h0 + d1 h1, y1 = d1 h0 + d2 h1 (d = x[m0 - 1], x[m0], x[m0 + 1],
// h0 = K[2], h1 = K[0]) take 3 products: (d0 - d1) h0, d1 (h0 + h1), (d2 - d1) h1, then
// y0 = m0 + m1, y1 = m1 + m2 (Winograd F(2, 2)). Per 4 output pixels (one of each phase) that is
// 9 / 4 + 3 / 2 + 3 / 2 + 1 = 6.25 products per (input, output) channel pair where the direct form
// (a product per tap, then a gather) takes 9: 1.44x fewer multiply-adds, as 16 GEMMs of
// [tiles][C] x [C][F] (one per transform point of each phase). Not bit-equal to the direct form
// (the transforms round); fixed order, no FMA, so the same bits in every runtime.
// Dims: H/W input, OH/OW output, C input channels, F filters; x [H][W][C], y [OH][OW][F], channels
// last; K [3][3][F][C] (Keras [kh][kw][out][in]).

import { GEMM_ACC, GEMM_ZERO, act_rest, f32_gemm, f32_gemm_bt, tile_store } from './gemm';
import { ACT_LINEAR } from './act';
import { ldz, wino_group } from './winograd';

/** The transposed convs conv.ts sends here (bindings/wasm.ts mirrors it in subpixelFloats). */
export function subpixel_eligible(KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, H: i32, W: i32,
                                  OH: i32, OW: i32, C: i32, F: i32): bool {
  return KH == 3 && KW == 3 && SH == 2 && SW == 2 && PT == 0 && PL == 0 && (OH == 2 * H || OH == 2 * H + 1)
    && (OW == 2 * W || OW == 2 * W + 1) && (C & 3) == 0 && (F & 3) == 0 && C >= 8 && F >= 8;
}

// per axis, parity a (0: even outputs, 2 taps; 1: odd outputs, 1 tap): phase outputs, tiles, transform points
// @ts-ignore: decorator
@inline function outs(a: i32, O: i32): i32 { return a == 0 ? (O + 1) >> 1 : O >> 1; }
// @ts-ignore: decorator
@inline function tiles(a: i32, O: i32): i32 { return a == 0 ? (outs(0, O) + 1) >> 1 : outs(1, O); }
// @ts-ignore: decorator
@inline function points(a: i32): i32 { return a == 0 ? 3 : 1; }

/** Floats of scratch a layer needs: the 4 phases' V (16 C F), then one sample's U and M of the largest phase. */
export function subpixel_floats(OH: i32, OW: i32, C: i32, F: i32): i32 {
  let most = 0;
  for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) most = max(most, points(a) * points(b) * tiles(a, OH) * tiles(b, OW));
  return 16 * C * F + most * (C + F);
}

/** Whether transform point p of an axis of parity a takes kernel tap k: a 2-tap axis (h0 = tap 2, h1 = tap 0) has points h0, h0 + h1, h1; a 1-tap axis tap 1. */
// @ts-ignore: decorator
@inline function takes(a: i32, p: i32, k: i32): bool { return a == 1 ? k == 1 : (k == 2 && p <= 1) || (k == 0 && p >= 1); }

/**
 * V[p][F][C] of phase (a, b): per transform point p (row point * columns' points + column point), the
 * sum of the taps it takes (1, 2 or 4), kh then kw descending, from 0. A tap's [F][C] block is
 * contiguous in K, as a point's in V, so each point is one pass over F C floats. (Training calls this
 * per chunk of rows: a pass per tap, not a tap test per vector, made it about 10x cheaper.)
 */
function sp_kernel(V: usize, K: usize, C: i32, F: i32, a: i32, b: i32): void {
  const n = <usize>(F * C) << 2;   // bytes of one tap's block
  const pw = points(b), P = points(a) * pw;
  for (let e = 0; e < P; e++) {
    const pi = e / pw, pj = e % pw;
    let nt = 0, o0: usize = 0, o1: usize = 0, o2: usize = 0, o3: usize = 0;
    for (let kh = 2; kh >= 0; kh--) {
      if (!takes(a, pi, kh)) continue;
      for (let kw = 2; kw >= 0; kw--) {
        if (!takes(b, pj, kw)) continue;
        const o = K + <usize>(3 * kh + kw) * n;
        if (nt == 0) o0 = o; else if (nt == 1) o1 = o; else if (nt == 2) o2 = o; else o3 = o;
        nt++;
      }
    }
    sum_blocks(V + <usize>e * n, n, nt, o0, o1, o2, o3);
  }
}

/** out = 0 + block o0 (+ o1, or + o1 + o2 + o3), nt (1, 2 or 4) blocks of n bytes, in that order. */
function sum_blocks(out: usize, n: usize, nt: i32, o0: usize, o1: usize, o2: usize, o3: usize): void {
  const zero = f32x4.splat(0);
  if (nt == 1) {
    for (let i: usize = 0; i < n; i += 16) v128.store(out + i, f32x4.add(zero, v128.load(o0 + i)));
  } else if (nt == 2) {
    for (let i: usize = 0; i < n; i += 16) v128.store(out + i, f32x4.add(f32x4.add(zero, v128.load(o0 + i)), v128.load(o1 + i)));
  } else {
    for (let i: usize = 0; i < n; i += 16) {
      const v = f32x4.add(f32x4.add(f32x4.add(zero, v128.load(o0 + i)), v128.load(o1 + i)), v128.load(o2 + i));
      v128.store(out + i, f32x4.add(v, v128.load(o3 + i)));
    }
  }
}

/**
 * U[P][ld rows][C], rows row0.. for one sample: phase (a, b)'s input transform of each tile of x
 * (a 2-tap axis: d0 - d1, d1, d2 - d1 of d = x[m0 - 1 .. m0 + 1], m0 = 2 t; a 1-tap axis: x[t]),
 * zero outside x, tiles in row order. adjoint: x += the transform's adjoint of U instead (U then
 * dLoss/dU, x dx): along a 2-tap axis dd0 = du0, dd1 = du1 - du0 - du2, dd2 = du2, rows first, then
 * columns, each tile adding into the pixels it read (none outside x).
 */
function sp_input(U: usize, ld: i32, row0: i32, x: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, a: i32, b: i32, adjoint: bool): void {
  const cb = <usize>C << 2, rowb = <usize>W * cb, plane = <usize>ld * cb;
  const TH = tiles(a, OH), TW = tiles(b, OW);
  let row = row0;
  for (let th = 0; th < TH; th++) {
    // the input rows of this tile: 3 (2-tap axis) from 2 th - 1, or 1 (1-tap) at th
    const r0 = a == 0 ? 2 * th - 1 : th;
    const ok0 = a == 0 ? r0 >= 0 : true, ok1 = a == 0 ? r0 + 1 < H : true, ok2 = a == 0 && r0 + 2 < H;
    for (let tw = 0; tw < TW; tw++) {
      const q0 = b == 0 ? 2 * tw - 1 : tw;
      const c0 = b == 0 ? q0 >= 0 : true, c1 = b == 0 ? q0 + 1 < W : true, c2 = b == 0 && q0 + 2 < W;
      const p0 = x + <usize>r0 * rowb + <usize>q0 * cb, u = U + <usize>row * cb;
      // one loop per kind of phase and direction (the branches taken once per tile, not per vector)
      if (a == 0 && b == 0) {
        const p1 = p0 + rowb, p2 = p1 + rowb;
        if (!adjoint) {
          // each input row along the columns (d0 - d1, d1, d2 - d1), then the rows likewise
          for (let c: usize = 0; c < cb; c += 16) {
            const x00 = ldz(p0 + c, ok0 && c0), x01 = ldz(p0 + cb + c, ok0 && c1), x02 = ldz(p0 + 2 * cb + c, ok0 && c2);
            const x10 = ldz(p1 + c, ok1 && c0), x11 = ldz(p1 + cb + c, ok1 && c1), x12 = ldz(p1 + 2 * cb + c, ok1 && c2);
            const x20 = ldz(p2 + c, ok2 && c0), x21 = ldz(p2 + cb + c, ok2 && c1), x22 = ldz(p2 + 2 * cb + c, ok2 && c2);
            const t00 = f32x4.sub(x00, x01), t02 = f32x4.sub(x02, x01);
            const t10 = f32x4.sub(x10, x11), t12 = f32x4.sub(x12, x11);
            const t20 = f32x4.sub(x20, x21), t22 = f32x4.sub(x22, x21);
            const v = u + c;
            v128.store(v, f32x4.sub(t00, t10)); v128.store(v + plane, f32x4.sub(x01, x11)); v128.store(v + 2 * plane, f32x4.sub(t02, t12));
            v128.store(v + 3 * plane, t10); v128.store(v + 4 * plane, x11); v128.store(v + 5 * plane, t12);
            v128.store(v + 6 * plane, f32x4.sub(t20, t10)); v128.store(v + 7 * plane, f32x4.sub(x21, x11)); v128.store(v + 8 * plane, f32x4.sub(t22, t12));
          }
        } else {
          for (let c: usize = 0; c < cb; c += 16) {
            const v = u + c;
            const u00 = v128.load(v), u01 = v128.load(v + plane), u02 = v128.load(v + 2 * plane);
            const u10 = v128.load(v + 3 * plane), u11 = v128.load(v + 4 * plane), u12 = v128.load(v + 5 * plane);
            const u20 = v128.load(v + 6 * plane), u21 = v128.load(v + 7 * plane), u22 = v128.load(v + 8 * plane);
            // rows (the row point i): g[r][j]
            const g10 = f32x4.sub(f32x4.sub(u10, u00), u20), g11 = f32x4.sub(f32x4.sub(u11, u01), u21), g12 = f32x4.sub(f32x4.sub(u12, u02), u22);
            // columns, each input row r from g[r][0..2]
            sp_addrow(p0 + c, cb, u00, u01, u02, ok0, c0, c1, c2);
            sp_addrow(p1 + c, cb, g10, g11, g12, ok1, c0, c1, c2);
            sp_addrow(p2 + c, cb, u20, u21, u22, ok2, c0, c1, c2);
          }
        }
      } else if (a != b) {
        // one 2-tap axis: along the rows (a = 0) or the columns (b = 0)
        const step = a == 0 ? rowb : cb;
        const v0 = a == 0 ? ok0 : c0, v1 = a == 0 ? ok1 : c1, v2 = a == 0 ? ok2 : c2;
        if (!adjoint) {
          for (let c: usize = 0; c < cb; c += 16) {
            const d0 = ldz(p0 + c, v0), d1 = ldz(p0 + step + c, v1), d2 = ldz(p0 + 2 * step + c, v2);
            v128.store(u + c, f32x4.sub(d0, d1)); v128.store(u + plane + c, d1); v128.store(u + 2 * plane + c, f32x4.sub(d2, d1));
          }
        } else {
          for (let c: usize = 0; c < cb; c += 16) {
            const v = u + c, p = p0 + c;
            const du0 = v128.load(v), du1 = v128.load(v + plane), du2 = v128.load(v + 2 * plane);
            if (v0) v128.store(p, f32x4.add(v128.load(p), du0));
            if (v1) v128.store(p + step, f32x4.add(v128.load(p + step), f32x4.sub(f32x4.sub(du1, du0), du2)));
            if (v2) v128.store(p + 2 * step, f32x4.add(v128.load(p + 2 * step), du2));
          }
        }
      } else if (!adjoint) {
        for (let c: usize = 0; c < cb; c += 16) v128.store(u + c, v128.load(p0 + c));
      } else {
        for (let c: usize = 0; c < cb; c += 16) v128.store(p0 + c, f32x4.add(v128.load(p0 + c), v128.load(u + c)));
      }
      row++;
    }
  }
}

/** One input row's 3 pixels (cb bytes apart) += the column adjoint of g0, g1, g2, where the row (ok) and each column are inside x. */
// @ts-ignore: decorator
@inline function sp_addrow(p: usize, cb: usize, g0: v128, g1: v128, g2: v128, ok: bool, c0: bool, c1: bool, c2: bool): void {
  if (!ok) return;
  if (c0) v128.store(p, f32x4.add(v128.load(p), g0));
  if (c1) v128.store(p + cb, f32x4.add(v128.load(p + cb), f32x4.sub(f32x4.sub(g1, g0), g2)));
  if (c2) v128.store(p + 2 * cb, f32x4.add(v128.load(p + 2 * cb), g2));
}

/**
 * Phase (a, b)'s outputs of one sample from M[P][ld rows][F] (rows row0..): along a 2-tap axis
 * y0 = m0 + m1, y1 = m1 + m2 (rows first, then columns), then + bias and the activation, stored at
 * y's pixels (2 m + a, 2 n + b); a tile's second output past the phase's last is not stored.
 * adjoint: M = the adjoint of that of y instead (y then dLoss/dZ, M dM; bias and act unused): along a
 * 2-tap axis dm0 = dy0, dm1 = dy0 + dy1, dm2 = dy1, dy1 zero past the phase's last output.
 */
function sp_output(y: usize, OH: i32, OW: i32, F: i32, M: usize, ld: i32, row0: i32, a: i32, b: i32, bias: usize, act: i32, adjoint: bool): void {
  const fb = <usize>F << 2, plane = <usize>ld * fb, rowb = <usize>OW * fb;
  const TH = tiles(a, OH), TW = tiles(b, OW), NH = outs(a, OH), NW = outs(b, OW);
  let row = row0;
  for (let th = 0; th < TH; th++) {
    const m0 = a == 0 ? 2 * th : th, h1 = a == 0 && m0 + 1 < NH;
    for (let tw = 0; tw < TW; tw++) {
      const n0 = b == 0 ? 2 * tw : tw, w1 = b == 0 && n0 + 1 < NW;
      const q = M + <usize>row * fb, o = y + <usize>((2 * m0 + a) * OW + 2 * n0 + b) * fb;
      // one loop per kind of phase and direction (the branches taken once per tile, not per vector)
      if (a == 0 && b == 0) {
        if (!adjoint) {
          for (let f: usize = 0; f < fb; f += 16) {
            // rows: s[i][j] over the 3 x 3 points, then columns
            const p = q + f, bv = v128.load(bias + f);
            const r0 = v128.load(p), r1 = v128.load(p + plane), r2 = v128.load(p + 2 * plane);
            const r3 = v128.load(p + 3 * plane), r4 = v128.load(p + 4 * plane), r5 = v128.load(p + 5 * plane);
            const r6 = v128.load(p + 6 * plane), r7 = v128.load(p + 7 * plane), r8 = v128.load(p + 8 * plane);
            const s00 = f32x4.add(r0, r3), s01 = f32x4.add(r1, r4), s02 = f32x4.add(r2, r5);
            const s10 = f32x4.add(r3, r6), s11 = f32x4.add(r4, r7), s12 = f32x4.add(r5, r8);
            v128.store(o + f, tile_store(act, f32x4.add(f32x4.add(s00, s01), bv)));
            if (w1) v128.store(o + 2 * fb + f, tile_store(act, f32x4.add(f32x4.add(s01, s02), bv)));
            if (h1) {
              v128.store(o + 2 * rowb + f, tile_store(act, f32x4.add(f32x4.add(s10, s11), bv)));
              if (w1) v128.store(o + 2 * rowb + 2 * fb + f, tile_store(act, f32x4.add(f32x4.add(s11, s12), bv)));
            }
          }
        } else {
          for (let f: usize = 0; f < fb; f += 16) {
            const p = o + f;
            const y00 = v128.load(p), y01 = ldz(p + 2 * fb, w1), y10 = ldz(p + 2 * rowb, h1), y11 = ldz(p + 2 * rowb + 2 * fb, h1 && w1);
            // rows: r[i][j], i the row point, then columns
            const r10 = f32x4.add(y00, y10), r11 = f32x4.add(y01, y11);
            const m = q + f;
            sp_drow(m, plane, y00, y01);
            sp_drow(m + 3 * plane, plane, r10, r11);
            sp_drow(m + 6 * plane, plane, y10, y11);
          }
        }
      } else if (a != b) {
        // one 2-tap axis: the second output 2 rows (a = 0) or 2 columns (b = 0) on
        const step: usize = a == 0 ? rowb << 1 : fb << 1, two = a == 0 ? h1 : w1;
        if (!adjoint) {
          for (let f: usize = 0; f < fb; f += 16) {
            const p = q + f, bv = v128.load(bias + f);
            const r0 = v128.load(p), r1 = v128.load(p + plane), r2 = v128.load(p + 2 * plane);
            v128.store(o + f, tile_store(act, f32x4.add(f32x4.add(r0, r1), bv)));
            if (two) v128.store(o + step + f, tile_store(act, f32x4.add(f32x4.add(r1, r2), bv)));
          }
        } else {
          for (let f: usize = 0; f < fb; f += 16) sp_drow(q + f, plane, v128.load(o + f), ldz(o + step + f, two));
        }
      } else if (!adjoint) {
        for (let f: usize = 0; f < fb; f += 16) v128.store(o + f, tile_store(act, f32x4.add(v128.load(q + f), v128.load(bias + f))));
      } else {
        for (let f: usize = 0; f < fb; f += 16) v128.store(q + f, v128.load(o + f));
      }
      row++;
    }
  }
}

/** The 3 points of a 2-tap axis from its 2 outputs' gradients: d0, d0 + d1, d1. */
// @ts-ignore: decorator
@inline function sp_drow(o: usize, plane: usize, d0: v128, d1: v128): void {
  v128.store(o, d0);
  v128.store(o + plane, f32x4.add(d0, d1));
  v128.store(o + 2 * plane, d1);
}

/**
 * Transposed conv forward for R samples on the sub-pixel path: x[R][H][W][C] -> y[R][OH][OW][F] =
 * act(convT(x, K) + b). col: scratch of colcap >= subpixel_floats(...) floats: the phases' V, then
 * each group's U and M.
 */
export function subpixel_convt_forward(x: usize, y: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                                       K: usize, b: usize, act: i32, col: usize, colcap: i32): void {
  const fixed = 16 * C * F;
  const IN = <usize>(H * W * C) << 2, OUT = <usize>(OH * OW * F) << 2;
  let V = col;
  for (let a = 0; a < 2; a++) {
    for (let bb = 0; bb < 2; bb++) {
      const P = points(a) * points(bb), T = tiles(a, OH) * tiles(bb, OW);
      sp_kernel(V, K, C, F, a, bb);
      const per = P * T * (C + F);
      // a group's U and M stop at 1 MiB, as a Winograd conv's: still in L2 when the next step reads them
      const G = wino_group(R, per, fixed, colcap);
      const U = col + (<usize>fixed << 2);
      for (let s0 = 0; s0 < R; s0 += G) {
        const g = min(G, R - s0), rows = g * T;
        const M = U + (<usize>(P * rows * C) << 2);
        for (let i = 0; i < g; i++) sp_input(U, rows, i * T, x + <usize>(s0 + i) * IN, H, W, C, OH, OW, a, bb, false);
        for (let e = 0; e < P; e++) {
          f32_gemm_bt(rows, F, C, U + (<usize>(e * rows * C) << 2), C, 1, V + (<usize>(e * F * C) << 2), C,
                      M + (<usize>(e * rows * F) << 2), F, 0, GEMM_ZERO, ACT_LINEAR);
        }
        for (let i = 0; i < g; i++) sp_output(y + <usize>(s0 + i) * OUT, OH, OW, F, M, rows, i * T, a, bb, b, act, false);
      }
      V += <usize>(P * F * C) << 2;
    }
  }
  // the activations a store does not take (all but relu), once every phase is written
  act_rest(act, y, R * OH * OW * F);
}

/**
 * The taps of phase (a, b) in dK [3][3][F][C] (overwrite) from its dV[P][F][C]: the adjoint of
 * sp_kernel, each tap the sum of the points that take it (1, 2 or 4), in point order, from 0.
 */
function sp_kernel_grad(dK: usize, dV: usize, C: i32, F: i32, a: i32, b: i32): void {
  const n = <usize>(F * C) << 2;
  const pw = points(b), P = points(a) * pw;
  for (let kh = 0; kh < 3; kh++) {
    if ((kh == 1) != (a == 1)) continue;
    for (let kw = 0; kw < 3; kw++) {
      if ((kw == 1) != (b == 1)) continue;
      let nt = 0, o0: usize = 0, o1: usize = 0, o2: usize = 0, o3: usize = 0;
      for (let e = 0; e < P; e++) {
        if (!takes(a, e / pw, kh) || !takes(b, e % pw, kw)) continue;
        const o = dV + <usize>e * n;
        if (nt == 0) o0 = o; else if (nt == 1) o1 = o; else if (nt == 2) o2 = o; else o3 = o;
        nt++;
      }
      sum_blocks(dK + <usize>(3 * kh + kw) * n, n, nt, o0, o1, o2, o3);
    }
  }
}

/**
 * Transposed conv backward for R samples on the sub-pixel path, d = dLoss/dZ [R][OH][OW][F], x the
 * forward input: per group of samples and phase, U (x's input transform) and dM (d's output
 * adjoint); dV[e] (+)= dM[e]^T U[e] (tiles in sample order, across groups and calls (acc) by
 * accumulation: the same sums as one pass); when dx != 0, dU[e] = dM[e] V[e] (over U[e], done with)
 * and dx = the input transform's adjoint of dU (overwrite). Then dK = sp_kernel's adjoint of dV
 * (overwrite). dV [16][F][C]: the layer's own block (bindings/wasm.ts), as it must outlive the other
 * layers' backward between chunks. The exact gradients of subpixel_convt_forward (and, in exact
 * arithmetic, of the transposed convolution's), 6.25 products per 4 output pixels each where the
 * patch products take 9. db is written by the caller.
 */
export function subpixel_convt_backward(dx: usize, dK: usize, d: usize, x: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                        F: i32, K: usize, col: usize, colcap: i32, dV: usize, acc: bool): void {
  const fixed = 16 * C * F;
  const IN = <usize>(H * W * C) << 2, OUT = <usize>(OH * OW * F) << 2;
  let most = 0;
  for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) most = max(most, points(a) * points(b) * tiles(a, OH) * tiles(b, OW));
  const G = wino_group(R, most * (C + F), fixed, colcap);
  if (dx != 0) {
    let V = col;
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) {
        sp_kernel(V, K, C, F, a, b);
        V += <usize>(points(a) * points(b) * F * C) << 2;
      }
    }
  }
  const U = col + (<usize>fixed << 2);
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0);
    if (dx != 0) memory.fill(dx + <usize>s0 * IN, 0, <usize>g * IN);
    let V = col, dW = dV;
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) {
        const P = points(a) * points(b), T = tiles(a, OH) * tiles(b, OW), rows = g * T;
        const dM = U + (<usize>(P * rows * C) << 2);
        for (let i = 0; i < g; i++) {
          sp_input(U, rows, i * T, x + <usize>(s0 + i) * IN, H, W, C, OH, OW, a, b, false);
          sp_output(d + <usize>(s0 + i) * OUT, OH, OW, F, dM, rows, i * T, a, b, 0, ACT_LINEAR, true);
        }
        for (let e = 0; e < P; e++) {
          const Ue = U + (<usize>(e * rows * C) << 2), dMe = dM + (<usize>(e * rows * F) << 2);
          f32_gemm(F, C, rows, dMe, 1, F, Ue, C, dW + (<usize>(e * F * C) << 2), C, 0, s0 == 0 && !acc ? GEMM_ZERO : GEMM_ACC, ACT_LINEAR);
          if (dx != 0) f32_gemm(rows, C, F, dMe, F, 1, V + (<usize>(e * F * C) << 2), C, Ue, C, 0, GEMM_ZERO, ACT_LINEAR);
        }
        if (dx != 0) for (let i = 0; i < g; i++) sp_input(U, rows, i * T, dx + <usize>(s0 + i) * IN, H, W, C, OH, OW, a, b, true);
        V += <usize>(P * F * C) << 2;
        dW += <usize>(P * F * C) << 2;
      }
    }
  }
  let dW = dV;
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      sp_kernel_grad(dK, dW, C, F, a, b);
      dW += <usize>(points(a) * points(b) * F * C) << 2;
    }
  }
}
