// winograd.ts: 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3), channels last.
// Each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A, d the 4x4 input patch: 16 products per
// (input, output) channel pair instead of 36, so the conv's product becomes 16 GEMMs of
// [tiles][C] x [C][F] (one per transform point), 2.25x fewer multiply-adds than im2col's. Not
// bit-equal to direct convolution (the transforms round); fixed order, no FMA, so the same bits in
// every runtime. reference: A. Lavin, S. Gray, "Fast Algorithms for Convolutional Neural Networks"
// (CVPR 2016), F(2x2, 3x3) matrices B^T, G, A^T as given there.
// Dims: H/W input, OH/OW output, C input channels, F filters, PT/PL padding before, T tiles per sample.

import { ACT_LINEAR } from './act';
import { GEMM_ACC, GEMM_ZERO, act_rest, f32_gemm, f32_gemm_bt, tile_store } from './gemm';

/** The layers conv.ts sends here: 3x3, stride 1, channel counts in f32x4 lanes, wide enough to pay
 *  for the transforms (O(C + F) per tile against the GEMM's O(C * F)). bindings/wasm.ts mirrors it. */
export function wino_eligible(KH: i32, KW: i32, SH: i32, SW: i32, C: i32, F: i32): bool {
  return KH == 3 && KW == 3 && SH == 1 && SW == 1 && (C & 3) == 0 && (F & 3) == 0 && C >= 8 && F >= 8;
}

/** 2x2 tiles covering an OH x OW grid. */
// @ts-ignore: decorator
@inline function tiles(OH: i32, OW: i32): i32 { return ((OH + 1) >> 1) * ((OW + 1) >> 1); }

/** Floats of patch scratch a conv needs (wasm.ts sizes C_COL with the same formula): V and dV
 *  (16 C F each), then U and M of one sample (16 T (C + F), T the larger of the two grids' tiles). */
export function wino_floats(H: i32, W: i32, OH: i32, OW: i32, C: i32, F: i32): i32 {
  return 32 * C * F + 16 * max(tiles(OH, OW), tiles(H, W)) * (C + F);
}

/** The vector at p when ok, else zeros (a patch read past the input's edge); subpixel.ts reads its tiles so too. */
// @ts-ignore: decorator
@inline export function ldz(p: usize, ok: bool): v128 { return ok ? v128.load(p) : f32x4.splat(0); }

/**
 * V[16][C][F] = G g G^T for each (c, f), g = K[0..3][0..3][c][f] (Keras [kh][kw][in][out]).
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; (g0 + g2) formed once per row/column.
 */
export function wino_kernel(V: usize, K: usize, C: i32, F: i32): void {
  const CF = <usize>(C * F) << 2, half = f32x4.splat(0.5);
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f += 4) {
      const o = <usize>(c * F + f) << 2, k = K + o;
      // along kh (rows of g), for each kw: t[i][kw]
      let t00 = v128.load(k), t01 = v128.load(k + CF), t02 = v128.load(k + 2 * CF);
      let g10 = v128.load(k + 3 * CF), g11 = v128.load(k + 4 * CF), g12 = v128.load(k + 5 * CF);
      let t30 = v128.load(k + 6 * CF), t31 = v128.load(k + 7 * CF), t32 = v128.load(k + 8 * CF);
      const s0 = f32x4.add(t00, t30), s1 = f32x4.add(t01, t31), s2 = f32x4.add(t02, t32);
      const t10 = f32x4.mul(f32x4.add(s0, g10), half), t20 = f32x4.mul(f32x4.sub(s0, g10), half);
      const t11 = f32x4.mul(f32x4.add(s1, g11), half), t21 = f32x4.mul(f32x4.sub(s1, g11), half);
      const t12 = f32x4.mul(f32x4.add(s2, g12), half), t22 = f32x4.mul(f32x4.sub(s2, g12), half);
      // along kw, row by row: V[4i + j]
      const v = V + o;
      wino_krow(v, CF, t00, t01, t02, half);
      wino_krow(v + 4 * CF, CF, t10, t11, t12, half);
      wino_krow(v + 8 * CF, CF, t20, t21, t22, half);
      wino_krow(v + 12 * CF, CF, t30, t31, t32, half);
    }
  }
}

// @ts-ignore: decorator
@inline function wino_krow(v: usize, CF: usize, a: v128, b: v128, c: v128, half: v128): void {
  const s = f32x4.add(a, c);
  v128.store(v, a);
  v128.store(v + CF, f32x4.mul(f32x4.add(s, b), half));
  v128.store(v + 2 * CF, f32x4.mul(f32x4.sub(s, b), half));
  v128.store(v + 3 * CF, c);
}

/**
 * U[16][ld rows][C], rows row0.. for one sample's tiles: B^T d B for each 4x4 patch d of x [H][W][C]
 * (rows 2 th - PT .. +3, columns 2 tw - PL .. +3, zero outside), tiles of a TH x TW grid in row order.
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
 */
function wino_input(U: usize, ld: i32, row0: i32, x: usize, H: i32, W: i32, C: i32, PT: i32, PL: i32, TH: i32, TW: i32): void {
  const cb = <usize>C << 2, rowb = <usize>W * cb, plane = <usize>ld * cb;
  let row = row0;
  for (let th = 0; th < TH; th++) {
    const ih = 2 * th - PT;
    const r0 = ih >= 0 && ih < H, r1 = ih + 1 >= 0 && ih + 1 < H, r2 = ih + 2 >= 0 && ih + 2 < H, r3 = ih + 3 >= 0 && ih + 3 < H;
    for (let tw = 0; tw < TW; tw++) {
      const iw = 2 * tw - PL;
      const c0 = iw >= 0 && iw < W, c1 = iw + 1 >= 0 && iw + 1 < W, c2 = iw + 2 >= 0 && iw + 2 < W, c3 = iw + 3 >= 0 && iw + 3 < W;
      const p = x + <usize>(ih * W + iw) * cb;   // &x[ih][iw] (only dereferenced in bounds)
      const u = U + <usize>row * cb;
      // a tile inside x (most of them) without the 16 bounds tests a vector: the same loads and sums
      if (r0 && r1 && r2 && r3 && c0 && c1 && c2 && c3) wino_in_tile(u, p, cb, rowb, plane, true, true, true, true, true, true, true, true);
      else wino_in_tile(u, p, cb, rowb, plane, r0, r1, r2, r3, c0, c1, c2, c3);
      row++;
    }
  }
}

/** wino_input's one tile: U rows at u (16 planes, plane bytes apart) from x's 4 x 4 pixels at p; r_i / c_j: row i / column j inside x. */
// @ts-ignore: decorator
@inline function wino_in_tile(u: usize, p: usize, cb: usize, rowb: usize, plane: usize, r0: bool, r1: bool, r2: bool, r3: bool,
                              c0: bool, c1: bool, c2: bool, c3: bool): void {
  for (let c: usize = 0; c < cb; c += 16) {
    const q = p + c;
    // along rows: w[i][j] = (B^T d)[i][j], column by column
    let d0 = ldz(q, r0 && c0), d1 = ldz(q + rowb, r1 && c0), d2 = ldz(q + 2 * rowb, r2 && c0), d3 = ldz(q + 3 * rowb, r3 && c0);
    const w00 = f32x4.sub(d0, d2), w10 = f32x4.add(d1, d2), w20 = f32x4.sub(d2, d1), w30 = f32x4.sub(d1, d3);
    d0 = ldz(q + cb, r0 && c1); d1 = ldz(q + rowb + cb, r1 && c1); d2 = ldz(q + 2 * rowb + cb, r2 && c1); d3 = ldz(q + 3 * rowb + cb, r3 && c1);
    const w01 = f32x4.sub(d0, d2), w11 = f32x4.add(d1, d2), w21 = f32x4.sub(d2, d1), w31 = f32x4.sub(d1, d3);
    d0 = ldz(q + 2 * cb, r0 && c2); d1 = ldz(q + rowb + 2 * cb, r1 && c2); d2 = ldz(q + 2 * rowb + 2 * cb, r2 && c2); d3 = ldz(q + 3 * rowb + 2 * cb, r3 && c2);
    const w02 = f32x4.sub(d0, d2), w12 = f32x4.add(d1, d2), w22 = f32x4.sub(d2, d1), w32 = f32x4.sub(d1, d3);
    d0 = ldz(q + 3 * cb, r0 && c3); d1 = ldz(q + rowb + 3 * cb, r1 && c3); d2 = ldz(q + 2 * rowb + 3 * cb, r2 && c3); d3 = ldz(q + 3 * rowb + 3 * cb, r3 && c3);
    const w03 = f32x4.sub(d0, d2), w13 = f32x4.add(d1, d2), w23 = f32x4.sub(d2, d1), w33 = f32x4.sub(d1, d3);
    // along columns: U[4i + j] = (w B)[i][j]
    const o = u + c;
    wino_irow(o, plane, w00, w01, w02, w03);
    wino_irow(o + 4 * plane, plane, w10, w11, w12, w13);
    wino_irow(o + 8 * plane, plane, w20, w21, w22, w23);
    wino_irow(o + 12 * plane, plane, w30, w31, w32, w33);
  }
}

// @ts-ignore: decorator
@inline function wino_irow(o: usize, plane: usize, a: v128, b: v128, c: v128, d: v128): void {
  v128.store(o, f32x4.sub(a, c));
  v128.store(o + plane, f32x4.add(b, c));
  v128.store(o + 2 * plane, f32x4.sub(c, b));
  v128.store(o + 3 * plane, f32x4.sub(b, d));
}

/**
 * y [OH][OW][F] of one sample from M[16][ld rows][F] (rows row0..): A^T m A per tile, A^T =
 * [1 1 1 0; 0 1 -1 -1], then + bias[f] (bias != 0) and the activation; outputs past OH/OW dropped.
 */
function wino_output(y: usize, OH: i32, OW: i32, F: i32, M: usize, ld: i32, row0: i32, bias: usize, act: i32): void {
  const fb = <usize>F << 2, rowb = <usize>OW * fb, plane = <usize>ld * fb;
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  let row = row0;
  for (let th = 0; th < TH; th++) {
    const oh = 2 * th, h1 = oh + 1 < OH;
    for (let tw = 0; tw < TW; tw++) {
      const ow = 2 * tw, w1 = ow + 1 < OW;
      const m = M + <usize>row * fb, p = y + <usize>(oh * OW + ow) * fb;
      for (let f: usize = 0; f < fb; f += 16) {
        const q = m + f;
        // along rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3, for each column j
        let a = v128.load(q), b = v128.load(q + 4 * plane), c = v128.load(q + 8 * plane), d = v128.load(q + 12 * plane);
        const s00 = f32x4.add(f32x4.add(a, b), c), s10 = f32x4.sub(f32x4.sub(b, c), d);
        a = v128.load(q + plane); b = v128.load(q + 5 * plane); c = v128.load(q + 9 * plane); d = v128.load(q + 13 * plane);
        const s01 = f32x4.add(f32x4.add(a, b), c), s11 = f32x4.sub(f32x4.sub(b, c), d);
        a = v128.load(q + 2 * plane); b = v128.load(q + 6 * plane); c = v128.load(q + 10 * plane); d = v128.load(q + 14 * plane);
        const s02 = f32x4.add(f32x4.add(a, b), c), s12 = f32x4.sub(f32x4.sub(b, c), d);
        a = v128.load(q + 3 * plane); b = v128.load(q + 7 * plane); c = v128.load(q + 11 * plane); d = v128.load(q + 15 * plane);
        const s03 = f32x4.add(f32x4.add(a, b), c), s13 = f32x4.sub(f32x4.sub(b, c), d);
        // along columns
        let y00 = f32x4.add(f32x4.add(s00, s01), s02), y01 = f32x4.sub(f32x4.sub(s01, s02), s03);
        let y10 = f32x4.add(f32x4.add(s10, s11), s12), y11 = f32x4.sub(f32x4.sub(s11, s12), s13);
        if (bias != 0) {
          const bv = v128.load(bias + f);
          y00 = f32x4.add(y00, bv); y01 = f32x4.add(y01, bv); y10 = f32x4.add(y10, bv); y11 = f32x4.add(y11, bv);
        }
        const o = p + f;
        v128.store(o, tile_store(act, y00));
        if (w1) v128.store(o + fb, tile_store(act, y01));
        if (h1) {
          v128.store(o + rowb, tile_store(act, y10));
          if (w1) v128.store(o + rowb + fb, tile_store(act, y11));
        }
      }
      row++;
    }
  }
  // the activations a store does not take (all but relu) over the sample's outputs
  act_rest(act, y, OH * OW * F);
}

// a group's U and M stop at 1 MiB (as conv.ts GROUP_FLOATS): still in L2 when the next step reads them
const WINO_GROUP_FLOATS: i32 = 1 << 18;
/** Samples per group: what fits in the scratch after V and dV (fixed floats), at least 1; subpixel.ts groups so too. */
// @ts-ignore: decorator
@inline export function wino_group(R: i32, perSample: i32, fixed: i32, colcap: i32): i32 {
  assert(colcap >= fixed + perSample);   // the scratch holds V and one sample (bindings/wasm.ts sizes it: winogradFloats, subpixelFloats)
  const g = (min(colcap, fixed + WINO_GROUP_FLOATS) - fixed) / max(perSample, 1);
  return g < 1 ? 1 : g > R ? R : g;
}

/**
 * conv forward for R samples: x[R][H][W][C] -> y[R][OH][OW][F] = act(conv(x, K) + b), K [3][3][C][F].
 * col: scratch of colcap >= wino_floats(...) floats: V, then each group's U and M.
 */
export function wino_conv_forward(x: usize, y: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                                  PT: i32, PL: i32, K: usize, b: usize, act: i32, col: usize, colcap: i32): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1, T = TH * TW;
  const V = col, fixed = 32 * C * F;
  wino_kernel(V, K, C, F);
  const G = wino_group(R, 16 * T * (C + F), fixed, colcap);
  const U = col + (<usize>fixed << 2);
  const IN = <usize>(H * W * C) << 2, OUT = <usize>(OH * OW * F) << 2;
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0), rows = g * T;
    const M = U + (<usize>(16 * rows * C) << 2);
    for (let i = 0; i < g; i++) wino_input(U, rows, i * T, x + <usize>(s0 + i) * IN, H, W, C, PT, PL, TH, TW);
    for (let e = 0; e < 16; e++) {
      f32_gemm(rows, F, C, U + (<usize>(e * rows * C) << 2), C, 1, V + (<usize>(e * C * F) << 2), F,
               M + (<usize>(e * rows * F) << 2), F, 0, GEMM_ZERO, ACT_LINEAR);
    }
    for (let i = 0; i < g; i++) wino_output(y + <usize>(s0 + i) * OUT, OH, OW, F, M, rows, i * T, b, act);
  }
}

// G (g flipped in both axes) G^T = Pi (G g G^T) Pi, Pi swapping transform rows 0 and 3: the
// backward-data pass reads V at the mirrored point, transposed in (c, f).
// @ts-ignore: decorator
@inline function mirror(e: i32): i32 {
  const i = e >> 2, j = e & 3;
  return ((i == 0 ? 3 : i == 3 ? 0 : i) << 2) | (j == 0 ? 3 : j == 3 ? 0 : j);
}

/**
 * conv backward for R samples on the Winograd path: d = dLoss/dZ [R][OH][OW][F]. dK [3][3][C][F]
 * and db [F] are written elsewhere (conv.ts); this writes dx [R][H][W][C] (overwrite): the
 * correlation of d with the kernel flipped and transposed, padding 2 - PT, 2 - PL, itself F(2x2, 3x3).
 */
export function wino_conv_backward_data(dx: usize, d: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                                        PT: i32, PL: i32, K: usize, col: usize, colcap: i32): void {
  const TH = (H + 1) >> 1, TW = (W + 1) >> 1, T = TH * TW;
  const V = col, fixed = 32 * C * F;
  wino_kernel(V, K, C, F);
  const G = wino_group(R, 16 * T * (C + F), fixed, colcap);
  const U = col + (<usize>fixed << 2);
  const IN = <usize>(H * W * C) << 2, OUT = <usize>(OH * OW * F) << 2;
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0), rows = g * T;
    const M = U + (<usize>(16 * rows * F) << 2);
    for (let i = 0; i < g; i++) wino_input(U, rows, i * T, d + <usize>(s0 + i) * OUT, OH, OW, F, 2 - PT, 2 - PL, TH, TW);
    for (let e = 0; e < 16; e++) {
      // M[e] = U[e] . V[mirror e]^T: [rows][F] x [F][C]
      f32_gemm_bt(rows, C, F, U + (<usize>(e * rows * F) << 2), F, 1, V + (<usize>(mirror(e) * C * F) << 2), F,
                  M + (<usize>(e * rows * C) << 2), C, 0, GEMM_ZERO, ACT_LINEAR);
    }
    for (let i = 0; i < g; i++) wino_output(dx + <usize>(s0 + i) * IN, H, W, C, M, rows, i * T, 0, ACT_LINEAR);
  }
}

/**
 * dM[16][ld rows][F] (rows row0..) for one sample's tiles: A dY A^T of each 2x2 tile of d [OH][OW][F]
 * (zero past OH/OW): the adjoint of wino_output (A = [1 0; 1 1; 1 -1; 0 -1]).
 */
function wino_dout(dM: usize, ld: i32, row0: i32, d: usize, OH: i32, OW: i32, F: i32): void {
  const fb = <usize>F << 2, rowb = <usize>OW * fb, plane = <usize>ld * fb;
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  let row = row0;
  for (let th = 0; th < TH; th++) {
    const oh = 2 * th, h1 = oh + 1 < OH;
    for (let tw = 0; tw < TW; tw++) {
      const ow = 2 * tw, w1 = ow + 1 < OW;
      const p = d + <usize>(oh * OW + ow) * fb, m = dM + <usize>row * fb;
      for (let f: usize = 0; f < fb; f += 16) {
        const q = p + f;
        const y00 = v128.load(q), y01 = ldz(q + fb, w1), y10 = ldz(q + rowb, h1), y11 = ldz(q + rowb + fb, h1 && w1);
        // along rows (A dY): r[i][b]
        const r00 = y00, r10 = f32x4.add(y00, y10), r20 = f32x4.sub(y00, y10), r30 = f32x4.neg(y10);
        const r01 = y01, r11 = f32x4.add(y01, y11), r21 = f32x4.sub(y01, y11), r31 = f32x4.neg(y11);
        // along columns (. A^T): dM[4i + j]
        const o = m + f;
        wino_drow(o, plane, r00, r01);
        wino_drow(o + 4 * plane, plane, r10, r11);
        wino_drow(o + 8 * plane, plane, r20, r21);
        wino_drow(o + 12 * plane, plane, r30, r31);
      }
      row++;
    }
  }
}

// @ts-ignore: decorator
@inline function wino_drow(o: usize, plane: usize, a: v128, b: v128): void {
  v128.store(o, a);
  v128.store(o + plane, f32x4.add(a, b));
  v128.store(o + 2 * plane, f32x4.sub(a, b));
  v128.store(o + 3 * plane, f32x4.neg(b));
}

/** dK[3][3][C][F] = G^T dV G for each (c, f), dV [16][C][F]: the adjoint of wino_kernel. */
function wino_kernel_grad(dK: usize, dV: usize, C: i32, F: i32): void {
  const CF = <usize>(C * F) << 2, half = f32x4.splat(0.5);
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f += 4) {
      const o = <usize>(c * F + f) << 2, v = dV + o;
      // along i (G^T dV): q[a][j] for a < 3, j < 4
      let s = f32x4.add(v128.load(v + 4 * CF), v128.load(v + 8 * CF)), t = f32x4.sub(v128.load(v + 4 * CF), v128.load(v + 8 * CF));
      const q00 = f32x4.add(v128.load(v), f32x4.mul(s, half)), q10 = f32x4.mul(t, half), q20 = f32x4.add(f32x4.mul(s, half), v128.load(v + 12 * CF));
      s = f32x4.add(v128.load(v + 5 * CF), v128.load(v + 9 * CF)); t = f32x4.sub(v128.load(v + 5 * CF), v128.load(v + 9 * CF));
      const q01 = f32x4.add(v128.load(v + CF), f32x4.mul(s, half)), q11 = f32x4.mul(t, half), q21 = f32x4.add(f32x4.mul(s, half), v128.load(v + 13 * CF));
      s = f32x4.add(v128.load(v + 6 * CF), v128.load(v + 10 * CF)); t = f32x4.sub(v128.load(v + 6 * CF), v128.load(v + 10 * CF));
      const q02 = f32x4.add(v128.load(v + 2 * CF), f32x4.mul(s, half)), q12 = f32x4.mul(t, half), q22 = f32x4.add(f32x4.mul(s, half), v128.load(v + 14 * CF));
      s = f32x4.add(v128.load(v + 7 * CF), v128.load(v + 11 * CF)); t = f32x4.sub(v128.load(v + 7 * CF), v128.load(v + 11 * CF));
      const q03 = f32x4.add(v128.load(v + 3 * CF), f32x4.mul(s, half)), q13 = f32x4.mul(t, half), q23 = f32x4.add(f32x4.mul(s, half), v128.load(v + 15 * CF));
      // along j (. G): dK[a][b]
      const k = dK + o;
      wino_kgrow(k, CF, q00, q01, q02, q03, half);
      wino_kgrow(k + 3 * CF, CF, q10, q11, q12, q13, half);
      wino_kgrow(k + 6 * CF, CF, q20, q21, q22, q23, half);
    }
  }
}

// @ts-ignore: decorator
@inline function wino_kgrow(k: usize, CF: usize, a: v128, b: v128, c: v128, d: v128, half: v128): void {
  const s = f32x4.mul(f32x4.add(b, c), half);
  v128.store(k, f32x4.add(a, s));
  v128.store(k + CF, f32x4.mul(f32x4.sub(b, c), half));
  v128.store(k + 2 * CF, f32x4.add(s, d));
}

/**
 * dK [3][3][C][F] for R samples on the Winograd path, d = dLoss/dZ [R][OH][OW][F], x the forward
 * input: dV[e] (+)= sum over tiles U[e]^T dM[e] (16 GEMMs, tiles in sample order, across groups and
 * calls (acc: a chunk of rows after the last call's) by accumulation: the same sums as one pass),
 * then dK = G^T dV G (overwrite). dV [16][C][F]: the layer's own block (wasm.ts), as it must
 * outlive the other layers' backward between chunks. The exact gradient of
 * wino_conv_forward's kernel (and, in exact arithmetic, of the convolution's).
 */
export function wino_conv_backward_weights(dK: usize, d: usize, x: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                                           PT: i32, PL: i32, col: usize, colcap: i32, dV: usize, acc: bool): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1, T = TH * TW;
  const fixed = 32 * C * F;
  const G = wino_group(R, 16 * T * (C + F), fixed, colcap);
  const U = col + (<usize>fixed << 2);
  const IN = <usize>(H * W * C) << 2, OUT = <usize>(OH * OW * F) << 2;
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0), rows = g * T;
    const dM = U + (<usize>(16 * rows * C) << 2);
    for (let i = 0; i < g; i++) {
      wino_input(U, rows, i * T, x + <usize>(s0 + i) * IN, H, W, C, PT, PL, TH, TW);
      wino_dout(dM, rows, i * T, d + <usize>(s0 + i) * OUT, OH, OW, F);
    }
    for (let e = 0; e < 16; e++) {
      f32_gemm(C, F, rows, U + (<usize>(e * rows * C) << 2), 1, C, dM + (<usize>(e * rows * F) << 2), F,
               dV + (<usize>(e * C * F) << 2), F, 0, s0 == 0 && !acc ? GEMM_ZERO : GEMM_ACC, ACT_LINEAR);
    }
  }
  wino_kernel_grad(dK, dV, C, F);
}
