// conv.ts: 2-D convolution and transposed convolution, forward and backward, channels last.
// 1-D layers are these with height 1. Each sample goes through im2col + the core GEMM
// (col[OH*OW][KH*KW*C] . K[KH*KW*C][F], Keras's kernel layout read as a matrix), so the scratch
// is one sample's patch matrix, never a batch's. Transposed convolution is the adjoint: GEMM into
// patches, then col2im scatter-adds them into the output. Keras alignment: 'same' puts the
// extra padding row/column at the end (pad_top = floor(pad_total / 2)), as TensorFlow does.
// Dims: H/W input, OH/OW output, C input channels, F filters, KH/KW kernel, SH/SW strides,
// PT/PL padding before (top/left).

import { ACT_LINEAR, ACT_RELU, act_forward } from './act';
import { GEMM_ACC, GEMM_BIAS, GEMM_ZERO, act_rest, f32_colsum, f32_gemm, f32_gemm_bt, f32_transpose, tile_store } from './gemm';
import { wino_conv_backward_data, wino_conv_backward_weights, wino_conv_forward, wino_eligible } from './winograd';
import { subpixel_convt_backward, subpixel_convt_forward, subpixel_eligible, subpixel_floats } from './subpixel';

/**
 * Patches of one sample: col[(oh*OW + ow)][(kh*KW + kw)*C + c] = x[oh*SH + kh - PT][ow*SW + kw - PL][c],
 * zero outside x. x: [H][W][C]; col: [OH*OW][KH*KW*C].
 */
export function im2col(x: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                       OH: i32, OW: i32, col: usize): void {
  const cb = <usize>C << 2;
  let p = col;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH + kh - PT;
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * SW + kw - PL;
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
            const src = x + <usize>(ih * W + iw) * cb;
            if (C == 1) store<f32>(p, load<f32>(src));
            else if ((C & 3) == 0) {
              // channel vectors copied inline: a bulk-memory call per patch element costs more than the copy
              for (let o: usize = 0; o < cb; o += 16) v128.store(p + o, v128.load(src + o));
            } else memory.copy(p, src, cb);
          } else if ((C & 3) == 0) {
            for (let o: usize = 0; o < cb; o += 16) v128.store(p + o, f32x4.splat(0));
          } else {
            memory.fill(p, 0, cb);
          }
          p += cb;
        }
      }
    }
  }
}

/** The adjoint of im2col: x[ih][iw][c] += col[...] for every patch element (x is not cleared). */
export function col2im(col: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                       OH: i32, OW: i32, x: usize): void {
  const cb = <usize>C << 2;
  let p = col;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH + kh - PT;
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * SW + kw - PL;
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
            const dst = x + <usize>(ih * W + iw) * cb;
            let c = 0;
            for (; c + 4 <= C; c += 4) {
              const off = <usize>c << 2;
              v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(p + off)));
            }
            for (; c < C; c++) {
              const off = <usize>c << 2;
              store<f32>(dst + off, load<f32>(dst + off) + load<f32>(p + off));
            }
          }
          p += cb;
        }
      }
    }
  }
}

/**
 * A transposed conv's output for one sample: y[oh][ow][f] = act(b[f] + the taps of col that land on
 * pixel (oh, ow)), where col[ih][iw][kh][kw][f] is the product X.W^T over the H x W input pixels and
 * tap (kh, kw) of input pixel (ih, iw) lands on (ih SH + kh - PT, iw SW + kw - PL). Each output pixel
 * gathers its taps in ascending (ih, iw) order, the order in which col2im's scatter added them onto
 * the bias, so the sums are the same; but y is written once, activation included, where the scatter
 * filled it with the bias, read and wrote it back once per tap, then passed over it again for the
 * activation.
 */
function convt_gather(col: usize, H: i32, W: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                      OH: i32, OW: i32, b: usize, y: usize, act: i32): void {
  const fb = <usize>F << 2, taps = KH * KW;
  let yp = y;
  for (let oh = 0; oh < OH; oh++) {
    // input rows reaching row oh: 0 <= kh = oh + PT - ih SH < KH, 0 <= ih < H
    const top = oh + PT, lo = top - KH + 1;
    const ih0 = lo <= 0 ? 0 : (lo + SH - 1) / SH, ih1 = top < 0 ? -1 : min(H - 1, top / SH);
    for (let ow = 0; ow < OW; ow++) {
      const left = ow + PL, wlo = left - KW + 1;
      const iw0 = wlo <= 0 ? 0 : (wlo + SW - 1) / SW, iw1 = left < 0 ? -1 : min(W - 1, left / SW);
      let c: usize = 0;
      for (; c + 128 <= fb; c += 128) {
        // 32 channels in registers, the taps added in order
        const bp = b + c;
        let v0 = v128.load(bp), v1 = v128.load(bp, 16), v2 = v128.load(bp, 32), v3 = v128.load(bp, 48);
        let v4 = v128.load(bp, 64), v5 = v128.load(bp, 80), v6 = v128.load(bp, 96), v7 = v128.load(bp, 112);
        for (let ih = ih0; ih <= ih1; ih++) {
          const kh = top - ih * SH;
          for (let iw = iw0; iw <= iw1; iw++) {
            const p = col + <usize>((ih * W + iw) * taps + kh * KW + left - iw * SW) * fb + c;
            v0 = f32x4.add(v0, v128.load(p)); v1 = f32x4.add(v1, v128.load(p, 16));
            v2 = f32x4.add(v2, v128.load(p, 32)); v3 = f32x4.add(v3, v128.load(p, 48));
            v4 = f32x4.add(v4, v128.load(p, 64)); v5 = f32x4.add(v5, v128.load(p, 80));
            v6 = f32x4.add(v6, v128.load(p, 96)); v7 = f32x4.add(v7, v128.load(p, 112));
          }
        }
        const o = yp + c;
        v128.store(o, tile_store(act, v0)); v128.store(o, tile_store(act, v1), 16);
        v128.store(o, tile_store(act, v2), 32); v128.store(o, tile_store(act, v3), 48);
        v128.store(o, tile_store(act, v4), 64); v128.store(o, tile_store(act, v5), 80);
        v128.store(o, tile_store(act, v6), 96); v128.store(o, tile_store(act, v7), 112);
      }
      for (; c + 16 <= fb; c += 16) {
        let v = v128.load(b + c);
        for (let ih = ih0; ih <= ih1; ih++) {
          const kh = top - ih * SH;
          for (let iw = iw0; iw <= iw1; iw++) v = f32x4.add(v, v128.load(col + <usize>((ih * W + iw) * taps + kh * KW + left - iw * SW) * fb + c));
        }
        v128.store(yp + c, tile_store(act, v));
      }
      for (; c < fb; c += 4) {
        let v = load<f32>(b + c);
        for (let ih = ih0; ih <= ih1; ih++) {
          const kh = top - ih * SH;
          for (let iw = iw0; iw <= iw1; iw++) v += load<f32>(col + <usize>((ih * W + iw) * taps + kh * KW + left - iw * SW) * fb + c);
        }
        store<f32>(yp + c, act == ACT_RELU ? max<f32>(v, 0) : v);
      }
      yp += fb;
    }
  }
  // the activations a store does not take (all but relu) over the outputs
  act_rest(act, y, OH * OW * F);
}

/**
 * y[r][f] = act(b[f] + dot(a[r][0..K), kt[f][0..K))) for R rows and F < 4 outputs: a conv with 1-3
 * filters is a matrix-vector product, which the GEMM tiles (8 or 4 columns wide) would run scalar.
 * kt: the kernel transposed, [F][K], so both operands are contiguous; lanes sum k mod 4, then
 * (l0 + l1) + (l2 + l3), then the tail.
 */
function f32_gemv_rows(R: i32, F: i32, K: i32, a: usize, kt: usize, b: usize, y: usize, act: i32): void {
  const K4 = K & ~3;
  for (let r = 0; r < R; r++) {
    const ar = a + (<usize>(r * K) << 2);
    for (let f = 0; f < F; f++) {
      const w = kt + (<usize>(f * K) << 2);
      let vacc = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        vacc = f32x4.add(vacc, f32x4.mul(v128.load(ar + (<usize>k << 2)), v128.load(w + (<usize>k << 2))));
      }
      let acc = (f32x4.extract_lane(vacc, 0) + f32x4.extract_lane(vacc, 1)) + (f32x4.extract_lane(vacc, 2) + f32x4.extract_lane(vacc, 3));
      for (let k = K4; k < K; k++) acc += load<f32>(ar + (<usize>k << 2)) * load<f32>(w + (<usize>k << 2));
      store<f32>(y + (<usize>(r * F + f) << 2), acc + load<f32>(b + (<usize>f << 2)));
    }
  }
  act_forward(act, y, R * F);
}

/**
 * Direct conv for F < 4 filters and C % 4 == 0 channels: each output is F dot products of the
 * in-bounds patch (channel vectors) with K^T rows, with no patch matrix at all (for 1 filter on 32
 * channels the patches would be 288 floats per pixel). kt: K^T [F][KH*KW*C]. Lanes sum c mod 4 over
 * the in-bounds taps (kh, kw in order, then c), then (l0 + l1) + (l2 + l3), then the bias.
 * A pixel's sum is one chain of dependent adds, so pixels go through several at a time: interior ones
 * six a pass, the rest (the edges and what the sixes leave) up to four a pass with their out-of-bounds
 * taps masked.
 */
function conv_direct_fewf(xs: usize, ys: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                          KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, kt: usize, b: usize): void {
  const KC = KH * KW * C;
  const cb = <usize>C << 2, run = <usize>KW * cb;   // a kernel row's taps: KW pixels of x side by side, as in kt
  const step = <usize>SW * cb, fb = <usize>F << 2;
  // columns whose taps are all inside the row: ow*SW - PL >= 0 and ow*SW - PL + KW - 1 < W
  const owLo = min(OW, (PL + SW - 1) / SW), owHi = max(owLo, min(OW, (W - KW + PL) / SW + 1));
  // the interior columns in blocks of six, from owLo; the others (left edge, what the sixes leave, right edge)
  const six = (owHi - owLo) / 6, rest0 = owLo + 6 * six;
  const others = owLo + (OW - rest0);
  for (let oh = 0; oh < OH; oh++) {
    const yrow = ys + <usize>(oh * OW) * fb;
    for (let f = 0; f < F; f++) {
      const wf = kt + (<usize>(f * KC) << 2), bf = load<f32>(b + (<usize>f << 2));
      for (let blk = 0; blk < six; blk++) {
        const ow = owLo + 6 * blk;
        // six interior pixels: six independent sums (each in the one-pixel order). Six, not eight: V8
        // loads a pass's pixel vectors before its products, and eight sums, eight pixel vectors and the
        // kernel's took more than its 15 SIMD registers (a sum spilled to the stack, a store and a load
        // in every pass of its chain; convdae inference 1.026x with six). A kernel row's KW taps are
        // contiguous in x and in kt, so they are one loop.
        let v0 = f32x4.splat(0), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
        let v4 = f32x4.splat(0), v5 = f32x4.splat(0);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh - PT;
          if (ih < 0 || ih >= H) continue;
          const x0 = xs + <usize>(ih * W + ow * SW - PL) * cb, wp = wf + <usize>(kh * KW) * cb;
          if (step == 128) {
            // (32 channels at stride 1, or 16 at stride 2: the pixels at constant offsets, so V8 adds no
            // address per load; convdae's last layer 1.015-1.023x, measured with tools/bench/ab.mjs)
            for (let c: usize = 0; c < run; c += 16) {
              const w = v128.load(wp + c), p = x0 + c;
              v0 = f32x4.add(v0, f32x4.mul(v128.load(p), w));
              v1 = f32x4.add(v1, f32x4.mul(v128.load(p, 128), w));
              v2 = f32x4.add(v2, f32x4.mul(v128.load(p, 256), w));
              v3 = f32x4.add(v3, f32x4.mul(v128.load(p, 384), w));
              v4 = f32x4.add(v4, f32x4.mul(v128.load(p, 512), w));
              v5 = f32x4.add(v5, f32x4.mul(v128.load(p, 640), w));
            }
            continue;
          }
          const x3 = x0 + 3 * step;
          for (let c: usize = 0; c < run; c += 16) {
            const w = v128.load(wp + c);
            v0 = f32x4.add(v0, f32x4.mul(v128.load(x0 + c), w));
            v1 = f32x4.add(v1, f32x4.mul(v128.load(x0 + step + c), w));
            v2 = f32x4.add(v2, f32x4.mul(v128.load(x0 + 2 * step + c), w));
            v3 = f32x4.add(v3, f32x4.mul(v128.load(x3 + c), w));
            v4 = f32x4.add(v4, f32x4.mul(v128.load(x3 + step + c), w));
            v5 = f32x4.add(v5, f32x4.mul(v128.load(x3 + 2 * step + c), w));
          }
        }
        const y0 = yrow + <usize>ow * fb + (<usize>f << 2);
        store<f32>(y0, hsum(v0) + bf);
        store<f32>(y0 + fb, hsum(v1) + bf);
        store<f32>(y0 + 2 * fb, hsum(v2) + bf);
        store<f32>(y0 + 3 * fb, hsum(v3) + bf);
        store<f32>(y0 + 4 * fb, hsum(v4) + bf);
        store<f32>(y0 + 5 * fb, hsum(v5) + bf);
      }
      // the other pixels four a pass (a row of convdae's 28 has six of them: 0 and 25-27 here, where one
      // at a time each took as long as a pass of six). A tap outside the row adds (its product AND a zero
      // mask) = +0 to its pixel's sum, which leaves the sum's bits as skipping the tap does: a sum that
      // starts at +0 is never -0, and x + +0 = x for every other x. Its load reads the pixel's own column.
      for (let o = 0; o < others; o += 4) {
        const n = min(4, others - o);
        // pixel j of this pass: the j-th of the left edge's columns, then of those from rest0 on
        const ow0 = col_at(o, owLo, rest0), ow1 = col_at(min(o + 1, others - 1), owLo, rest0);
        const ow2 = col_at(min(o + 2, others - 1), owLo, rest0), ow3 = col_at(min(o + 3, others - 1), owLo, rest0);
        let v0 = f32x4.splat(0), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh - PT;
          if (ih < 0 || ih >= H) continue;
          const xr = xs + <usize>(ih * W) * cb;
          for (let kw = 0; kw < KW; kw++) {
            const i0 = ow0 * SW + kw - PL, i1 = ow1 * SW + kw - PL, i2 = ow2 * SW + kw - PL, i3 = ow3 * SW + kw - PL;
            const m0 = i32x4.splat(tap_in(i0, W)), m1 = i32x4.splat(tap_in(i1, W)), m2 = i32x4.splat(tap_in(i2, W)), m3 = i32x4.splat(tap_in(i3, W));
            const p0 = xr + <usize>clamp_col(i0, W) * cb, p1 = xr + <usize>clamp_col(i1, W) * cb;
            const p2 = xr + <usize>clamp_col(i2, W) * cb, p3 = xr + <usize>clamp_col(i3, W) * cb;
            const wp = wf + <usize>(kh * KW + kw) * cb;
            for (let c: usize = 0; c < cb; c += 16) {
              const w = v128.load(wp + c);
              v0 = f32x4.add(v0, v128.and(f32x4.mul(v128.load(p0 + c), w), m0));
              v1 = f32x4.add(v1, v128.and(f32x4.mul(v128.load(p1 + c), w), m1));
              v2 = f32x4.add(v2, v128.and(f32x4.mul(v128.load(p2 + c), w), m2));
              v3 = f32x4.add(v3, v128.and(f32x4.mul(v128.load(p3 + c), w), m3));
            }
          }
        }
        // (a pass of fewer than four repeats its last pixel, which stores the same value again)
        const y = yrow + (<usize>f << 2);
        store<f32>(y + <usize>ow0 * fb, hsum(v0) + bf);
        if (n > 1) store<f32>(y + <usize>ow1 * fb, hsum(v1) + bf);
        if (n > 2) store<f32>(y + <usize>ow2 * fb, hsum(v2) + bf);
        if (n > 3) store<f32>(y + <usize>ow3 * fb, hsum(v3) + bf);
      }
    }
  }
}

/** The j-th column conv_direct_fewf leaves to its masked passes: those below owLo, then those from rest0 on. */
// @ts-ignore: decorator
@inline function col_at(j: i32, owLo: i32, rest0: i32): i32 { return j < owLo ? j : rest0 + j - owLo; }
/** -1 (all ones) when input column i is inside the row, else 0. */
// @ts-ignore: decorator
@inline function tap_in(i: i32, W: i32): i32 { return <u32>i < <u32>W ? -1 : 0; }
/** Input column i held inside the row (a masked tap's load reads a real pixel). */
// @ts-ignore: decorator
@inline function clamp_col(i: i32, W: i32): i32 { return i < 0 ? 0 : i >= W ? W - 1 : i; }

/**
 * Direct conv for one input channel and F a multiple of 32 (a first layer on images or series):
 * each pixel's F outputs in registers, 32 at a time, each tap's input value splat across them.
 * The sum order is the im2col GEMM's (bias, then taps kh, kw in order; a padding tap, a zero
 * product there, is skipped here), without the patch matrix: with one channel im2col writes 9
 * scalars per pixel to feed a K = 9 product, and costs more than the product.
 */
function conv_direct_c1(xs: usize, ys: usize, H: i32, W: i32, OH: i32, OW: i32, F: i32,
                        KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, K: usize, b: usize, act: i32): void {
  const fb = <usize>F << 2;
  // columns whose taps are all inside the row (stride 1): ow - PL >= 0 and ow - PL + KW - 1 < W
  const owLo = SW == 1 ? min(OW, PL) : OW, owHi = SW == 1 ? max(owLo, min(OW, W - KW + PL + 1)) : OW;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      const yp = ys + <usize>(oh * OW + ow) * fb;
      if (ow >= owLo && ow + 2 <= owHi) {
        // two interior pixels at once, 16 filters a pass: 8 sums, each tap's 4 kernel vectors read
        // once for both (each sum in the one-pixel order: bias, then the taps kh, kw)
        for (let f: usize = 0; f < fb; f += 64) {
          const bp = b + f;
          let a0 = v128.load(bp), a1 = v128.load(bp, 16), a2 = v128.load(bp, 32), a3 = v128.load(bp, 48);
          let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * SH + kh - PT;
            if (ih < 0 || ih >= H) continue;
            let xp = xs + (<usize>(ih * W + ow - PL) << 2), kp = K + <usize>(kh * KW) * fb + f;
            for (let kw = 0; kw < KW; kw++) {
              const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp, 4);
              const k0 = v128.load(kp), k1 = v128.load(kp, 16), k2 = v128.load(kp, 32), k3 = v128.load(kp, 48);
              a0 = f32x4.add(a0, f32x4.mul(x0, k0)); b0 = f32x4.add(b0, f32x4.mul(x1, k0));
              a1 = f32x4.add(a1, f32x4.mul(x0, k1)); b1 = f32x4.add(b1, f32x4.mul(x1, k1));
              a2 = f32x4.add(a2, f32x4.mul(x0, k2)); b2 = f32x4.add(b2, f32x4.mul(x1, k2));
              a3 = f32x4.add(a3, f32x4.mul(x0, k3)); b3 = f32x4.add(b3, f32x4.mul(x1, k3));
              xp += 4;
              kp += fb;
            }
          }
          const o = yp + f, o1 = o + fb;
          v128.store(o, tile_store(act, a0)); v128.store(o, tile_store(act, a1), 16);
          v128.store(o, tile_store(act, a2), 32); v128.store(o, tile_store(act, a3), 48);
          v128.store(o1, tile_store(act, b0)); v128.store(o1, tile_store(act, b1), 16);
          v128.store(o1, tile_store(act, b2), 32); v128.store(o1, tile_store(act, b3), 48);
        }
        ow++;
        continue;
      }
      for (let f: usize = 0; f < fb; f += 128) {
        const bp = b + f;
        let v0 = v128.load(bp), v1 = v128.load(bp, 16), v2 = v128.load(bp, 32), v3 = v128.load(bp, 48);
        let v4 = v128.load(bp, 64), v5 = v128.load(bp, 80), v6 = v128.load(bp, 96), v7 = v128.load(bp, 112);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh - PT;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW + kw - PL;
            if (iw < 0 || iw >= W) continue;
            const xv = v128.load32_splat(xs + (<usize>(ih * W + iw) << 2));
            const kp = K + <usize>(kh * KW + kw) * fb + f;
            v0 = f32x4.add(v0, f32x4.mul(xv, v128.load(kp)));
            v1 = f32x4.add(v1, f32x4.mul(xv, v128.load(kp, 16)));
            v2 = f32x4.add(v2, f32x4.mul(xv, v128.load(kp, 32)));
            v3 = f32x4.add(v3, f32x4.mul(xv, v128.load(kp, 48)));
            v4 = f32x4.add(v4, f32x4.mul(xv, v128.load(kp, 64)));
            v5 = f32x4.add(v5, f32x4.mul(xv, v128.load(kp, 80)));
            v6 = f32x4.add(v6, f32x4.mul(xv, v128.load(kp, 96)));
            v7 = f32x4.add(v7, f32x4.mul(xv, v128.load(kp, 112)));
          }
        }
        const o = yp + f;
        v128.store(o, tile_store(act, v0)); v128.store(o, tile_store(act, v1), 16);
        v128.store(o, tile_store(act, v2), 32); v128.store(o, tile_store(act, v3), 48);
        v128.store(o, tile_store(act, v4), 64); v128.store(o, tile_store(act, v5), 80);
        v128.store(o, tile_store(act, v6), 96); v128.store(o, tile_store(act, v7), 112);
      }
    }
  }
  // the activations a store does not take (all but relu) over the sample's outputs
  act_rest(act, ys, OH * OW * F);
}

/** (l0 + l1) + (l2 + l3) */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// Groups of samples stop at 1 MiB of patches (the scratch may hold 4): a patch matrix that still sits
// in L2 when the GEMM reads it is worth more than fewer, longer GEMMs. Every product sums its
// samples in order, ACC from one group to the next, so the bits do not depend on the group size.
const GROUP_FLOATS: i32 = 1 << 18;
/** Samples per im2col + GEMM group: as many as fit in the patch scratch (colcap floats), at least 1. */
// @ts-ignore: decorator
@inline function group(R: i32, perSample: i32, colcap: i32): i32 {
  assert(colcap >= perSample);   // the scratch holds one sample's patches (bindings/wasm.ts layoutActivations)
  const g = min(colcap, GROUP_FLOATS) / max(perSample, 1);
  return g < 1 ? 1 : g > R ? R : g;
}

/**
 * conv forward for R samples: x[R][H*W*C] -> y[R][OH*OW*F] = act(conv(x, K) + b).
 * K: [KH*KW*C][F] (Keras [kh][kw][in][out]); kt: scratch for K^T (F < 4); col: patch scratch of colcap floats. Samples go through
 * in groups (their patch rows stacked), so one GEMM covers many samples.
 */
export function conv_forward(x: usize, y: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                             KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, K: usize, b: usize, act: i32,
                             kt: usize, col: usize, colcap: i32): void {
  const KC = KH * KW * C, P = OH * OW, IN = H * W * C;
  if (KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0) {
    f32_gemm(R * P, F, KC, x, KC, 1, K, F, y, F, b, GEMM_BIAS, act); // pointwise: no patches needed
    return;
  }
  if (wino_eligible(KH, KW, SH, SW, C, F)) {
    wino_conv_forward(x, y, R, H, W, C, OH, OW, F, PT, PL, K, b, act, col, colcap);
    return;
  }
  const G = group(R, P * KC, colcap);
  if (F < 4) f32_transpose(kt, K, KC, F);
  if (C == 1 && (F & 31) == 0) {
    for (let s = 0; s < R; s++) {
      conv_direct_c1(x + (<usize>(s * IN) << 2), y + (<usize>(s * P * F) << 2), H, W, OH, OW, F, KH, KW, SH, SW, PT, PL, K, b, act);
    }
    return;
  }
  if (F < 4 && (C & 3) == 0) {
    for (let s = 0; s < R; s++) {
      conv_direct_fewf(x + (<usize>(s * IN) << 2), y + (<usize>(s * P * F) << 2), H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, kt, b);
    }
    act_forward(act, y, R * P * F);
    return;
  }
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0);
    for (let i = 0; i < g; i++) {
      im2col(x + (<usize>((s0 + i) * IN) << 2), H, W, C, KH, KW, SH, SW, PT, PL, OH, OW, col + (<usize>(i * P * KC) << 2));
    }
    const yg = y + (<usize>(s0 * P * F) << 2);
    if (F < 4) f32_gemv_rows(g * P, F, KC, col, kt, b, yg, act);
    else f32_gemm(g * P, F, KC, col, KC, 1, K, F, yg, F, b, GEMM_BIAS, act);
  }
}

/** The first output column whose tap kw lands inside the input row (ow SW + kw - PL >= 0). */
// @ts-ignore: decorator
@inline function tap_ow_lo(kw: i32, PL: i32, SW: i32): i32 { return kw >= PL ? 0 : (PL - kw + SW - 1) / SW; }
/** One past the last output column whose tap kw lands inside the input row (ow SW + kw - PL < W), at most OW. */
// @ts-ignore: decorator
@inline function tap_ow_hi(kw: i32, PL: i32, SW: i32, W: i32, OW: i32): i32 { return min(OW, W - 1 - kw + PL < 0 ? 0 : (W - 1 - kw + PL) / SW + 1); }

/**
 * conv_dk_1ch's taps kw and kw + 1 of kernel row kh for one sample, one input channel (C = 1): the two taps
 * read the same output pixel's d vectors and neighbouring x scalars, so a pass takes 16 filters of both (8
 * sums) with 4 vector loads and 2 splats, where one tap's 32 filters a pass (8 sums, 8 vector loads)
 * spilled a sum in V8 (15 SIMD registers). Each sum keeps conv_dk_1ch's order: over the output pixels in
 * row order, from the value in dK. A pixel that only one of the taps reaches (at the row's edges) goes
 * through that tap's own loop, in its place in the order. out: dK's row of tap kw (kw + 1's follows,
 * F floats on); nb64: the filters' bytes taken here, a multiple of 64.
 */
function dk_pair(out: usize, nb64: usize, xs: usize, ds: usize, H: i32, W: i32, OH: i32, OW: i32, F: i32,
                 kh: i32, kw: i32, SH: i32, SW: i32, PT: i32, PL: i32): void {
  const nb = <usize>F << 2, out1 = out + nb;
  const lo0 = tap_ow_lo(kw, PL, SW), hi0 = tap_ow_hi(kw, PL, SW, W, OW);
  const lo1 = tap_ow_lo(kw + 1, PL, SW), hi1 = tap_ow_hi(kw + 1, PL, SW, W, OW);
  // tap kw + 1 alone on [lo1, e1), both on [lo0, hi1), tap kw alone on [s0, hi0) (lo1 <= lo0, hi1 <= hi0)
  const e1 = min(lo0, hi1), s0 = max(lo0, hi1);
  const sstep: usize = <usize>SW << 2;
  for (let n: usize = 0; n < nb64; n += 64) {
    let a0 = v128.load(out + n), a1 = v128.load(out + n, 16), a2 = v128.load(out + n, 32), a3 = v128.load(out + n, 48);
    let b0 = v128.load(out1 + n), b1 = v128.load(out1 + n, 16), b2 = v128.load(out1 + n, 32), b3 = v128.load(out1 + n, 48);
    for (let oh = 0; oh < OH; oh++) {
      const ih = oh * SH + kh - PT;
      if (ih < 0 || ih >= H) continue;
      // tap kw's x at output column 0 (tap kw + 1's is the next float), and the row's d
      const xr = xs + (<usize>(ih * W + kw - PL) << 2), dr = ds + <usize>(oh * OW) * nb + n;
      let sp = xr + <usize>lo1 * sstep, vp = dr + <usize>lo1 * nb;
      for (let ow = lo1; ow < e1; ow++) {
        const s1 = v128.load32_splat(sp, 4);
        b0 = f32x4.add(b0, f32x4.mul(s1, v128.load(vp)));
        b1 = f32x4.add(b1, f32x4.mul(s1, v128.load(vp, 16)));
        b2 = f32x4.add(b2, f32x4.mul(s1, v128.load(vp, 32)));
        b3 = f32x4.add(b3, f32x4.mul(s1, v128.load(vp, 48)));
        sp += sstep;
        vp += nb;
      }
      sp = xr + <usize>lo0 * sstep; vp = dr + <usize>lo0 * nb;
      for (let ow = lo0; ow < hi1; ow++) {
        const s = v128.load32_splat(sp), s1 = v128.load32_splat(sp, 4);
        const d0 = v128.load(vp), d1 = v128.load(vp, 16), d2 = v128.load(vp, 32), d3 = v128.load(vp, 48);
        a0 = f32x4.add(a0, f32x4.mul(s, d0)); b0 = f32x4.add(b0, f32x4.mul(s1, d0));
        a1 = f32x4.add(a1, f32x4.mul(s, d1)); b1 = f32x4.add(b1, f32x4.mul(s1, d1));
        a2 = f32x4.add(a2, f32x4.mul(s, d2)); b2 = f32x4.add(b2, f32x4.mul(s1, d2));
        a3 = f32x4.add(a3, f32x4.mul(s, d3)); b3 = f32x4.add(b3, f32x4.mul(s1, d3));
        sp += sstep;
        vp += nb;
      }
      sp = xr + <usize>s0 * sstep; vp = dr + <usize>s0 * nb;
      for (let ow = s0; ow < hi0; ow++) {
        const s = v128.load32_splat(sp);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(vp)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(vp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(vp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(vp, 48)));
        sp += sstep;
        vp += nb;
      }
    }
    v128.store(out + n, a0); v128.store(out + n, a1, 16); v128.store(out + n, a2, 32); v128.store(out + n, a3, 48);
    v128.store(out1 + n, b0); v128.store(out1 + n, b1, 16); v128.store(out1 + n, b2, 32); v128.store(out1 + n, b3, 48);
  }
}

/**
 * conv_dk_1ch's kernel row kh for one filter (F = 1), three taps wide at stride 1, one sample: tap kw sums
 * d[ow] x[ow + kw - PL] over the output columns, so input column q feeds the three taps at once (with
 * d[q + PL], d[q + PL - 1] and d[q + PL - 2]). A pass walks q with 8 channels of each tap (6 sums, 2 vector
 * loads, 3 splats), where a tap's 32 channels a pass spilled a sum in V8. Each sum keeps conv_dk_1ch's
 * order (q and ow rise together), from the value in dK; the columns that only some taps reach (the row's
 * edges) go through those taps' own loops, before and after. out: dK's row of tap (kh, 0), taps 1 and 2
 * C floats apart; nb32: the channels' bytes taken here, a multiple of 32.
 */
function dk_row3(out: usize, nb32: usize, xs: usize, ds: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                 kh: i32, SH: i32, PT: i32, PL: i32): void {
  const nb = <usize>C << 2;
  // tap k's input columns [qa_k, qb_k) (its output columns, shifted by k - PL)
  const qa0 = tap_ow_lo(0, PL, 1) - PL, qa1 = tap_ow_lo(1, PL, 1) + 1 - PL, qa2 = tap_ow_lo(2, PL, 1) + 2 - PL;
  const qb0 = max(qa0, tap_ow_hi(0, PL, 1, W, OW) - PL), qb1 = max(qa1, tap_ow_hi(1, PL, 1, W, OW) + 1 - PL);
  const qb2 = max(qa2, tap_ow_hi(2, PL, 1, W, OW) + 2 - PL);
  // all three on [Q0, Q1) when it is not empty; tap k alone on [qa_k, pe_k) and [ss_k, qb_k)
  const Q0 = max(qa0, max(qa1, qa2)), Q1 = min(qb0, min(qb1, qb2)), mid = Q0 < Q1;
  const pe0 = mid ? Q0 : qb0, pe1 = mid ? Q0 : qb1, pe2 = mid ? Q0 : qb2;
  const ss0 = mid ? Q1 : qb0, ss1 = mid ? Q1 : qb1, ss2 = mid ? Q1 : qb2;
  for (let n: usize = 0; n < nb32; n += 32) {
    const o0 = out + n, o1 = o0 + nb, o2 = o1 + nb;
    let a0 = v128.load(o0), a1 = v128.load(o0, 16), b0 = v128.load(o1), b1 = v128.load(o1, 16);
    let c0 = v128.load(o2), c1 = v128.load(o2, 16);
    for (let oh = 0; oh < OH; oh++) {
      const ih = oh * SH + kh - PT;
      if (ih < 0 || ih >= H) continue;
      // x at column q: xr + q nb; tap k's d at column q: dq + 4 q + 4 (2 - k)
      const xr = xs + <usize>(ih * W) * nb + n, dq = ds + (<usize>(oh * OW + PL - 2) << 2);
      // part 0: each tap's columns before the three-tap run, then the run; part 1: each tap's columns after it
      for (let part = 0; part < 2; part++) {
        const l0 = part == 0 ? qa0 : ss0, h0 = part == 0 ? pe0 : qb0, l1 = part == 0 ? qa1 : ss1, h1 = part == 0 ? pe1 : qb1;
        const l2 = part == 0 ? qa2 : ss2, h2 = part == 0 ? pe2 : qb2;
        for (let q = l0; q < h0; q++) {
          const s = v128.load32_splat(dq + (<usize>q << 2), 8), xp = xr + <usize>q * nb;
          a0 = f32x4.add(a0, f32x4.mul(s, v128.load(xp))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(xp, 16)));
        }
        for (let q = l1; q < h1; q++) {
          const s = v128.load32_splat(dq + (<usize>q << 2), 4), xp = xr + <usize>q * nb;
          b0 = f32x4.add(b0, f32x4.mul(s, v128.load(xp))); b1 = f32x4.add(b1, f32x4.mul(s, v128.load(xp, 16)));
        }
        for (let q = l2; q < h2; q++) {
          const s = v128.load32_splat(dq + (<usize>q << 2)), xp = xr + <usize>q * nb;
          c0 = f32x4.add(c0, f32x4.mul(s, v128.load(xp))); c1 = f32x4.add(c1, f32x4.mul(s, v128.load(xp, 16)));
        }
        if (part == 1 || !mid) continue;
        let dp = dq + (<usize>Q0 << 2), xp = xr + <usize>Q0 * nb;
        for (let q = Q0; q < Q1; q++) {
          const x0 = v128.load(xp), x1 = v128.load(xp, 16);
          const s0 = v128.load32_splat(dp, 8), s1 = v128.load32_splat(dp, 4), s2 = v128.load32_splat(dp);
          a0 = f32x4.add(a0, f32x4.mul(s0, x0)); a1 = f32x4.add(a1, f32x4.mul(s0, x1));
          b0 = f32x4.add(b0, f32x4.mul(s1, x0)); b1 = f32x4.add(b1, f32x4.mul(s1, x1));
          c0 = f32x4.add(c0, f32x4.mul(s2, x0)); c1 = f32x4.add(c1, f32x4.mul(s2, x1));
          dp += 4;
          xp += nb;
        }
      }
    }
    v128.store(o0, a0); v128.store(o0, a1, 16); v128.store(o1, b0); v128.store(o1, b1, 16);
    v128.store(o2, c0); v128.store(o2, c1, 16);
  }
}

/**
 * dK of a conv with one channel on one side, without patches: F == 1 (vectors from x, C wide,
 * scalars from d) or C == 1 (vectors from d, F wide, scalars from x); N = that width, % 4 == 0.
 * dK[tap][n] = sum over samples, then output pixels in order, of scalar * vector (taps whose input
 * is padding skipped): the im2col GEMM's order.
 * dK layout [KH*KW][N] is Keras's [kh][kw][in][out] for either case.
 */
function conv_dk_1ch(dK: usize, d: usize, x: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                     KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, acc: bool): void {
  const vecX = F == 1, N = vecX ? C : F, nb = <usize>N << 2;
  assert((N & 3) == 0 && (F == 1 || C == 1));
  const IN = H * W * C, OUT = OH * OW * F;
  if (!acc) memory.fill(dK, 0, <usize>(KH * KW) * nb);
  // one input channel: taps kw and kw + 1 of a kernel row in pairs over the first nb64 bytes of filters
  // (dk_pair), the rest (an odd last tap, the filters past nb64) below
  const nb64: usize = vecX ? 0 : nb & ~(<usize>63), pairs = nb64 > 0 ? KW >> 1 : 0;
  // one filter, 3 taps wide at stride 1: a kernel row's three taps at once over the first nb32 bytes of
  // channels (dk_row3), the channels past nb32 below
  const nb32: usize = vecX && KW == 3 && SW == 1 ? nb & ~(<usize>31) : 0;
  // samples outermost, each tap's sums carried in dK from one sample to the next (an f32 store and
  // reload is exact): one sample's data stays in cache across the taps, the batch's would not
  for (let s = 0; s < R; s++) {
    const xs = x + (<usize>(s * IN) << 2), ds = d + (<usize>(s * OUT) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let q = 0; q < pairs; q++) dk_pair(dK + <usize>(kh * KW + 2 * q) * nb, nb64, xs, ds, H, W, OH, OW, F, kh, 2 * q, SH, SW, PT, PL);
      if (nb32 > 0) dk_row3(dK + <usize>(kh * KW) * nb, nb32, xs, ds, H, W, C, OH, OW, kh, SH, PT, PL);
      for (let kw = 0; kw < KW; kw++) {
        const owLo = tap_ow_lo(kw, PL, SW), owHi = tap_ow_hi(kw, PL, SW, W, OW);
        const out = dK + <usize>(kh * KW + kw) * nb;
        for (let n: usize = kw < 2 * pairs ? nb64 : nb32; n < nb; n += 128) {
          const wide = n + 128 <= nb;   // 32 lanes per pass (8 independent sums), else 4
          const o = out + n;
          let v0 = v128.load(o), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
          let v4 = f32x4.splat(0), v5 = f32x4.splat(0), v6 = f32x4.splat(0), v7 = f32x4.splat(0);
          if (wide) {
            v1 = v128.load(o, 16); v2 = v128.load(o, 32); v3 = v128.load(o, 48);
            v4 = v128.load(o, 64); v5 = v128.load(o, 80); v6 = v128.load(o, 96); v7 = v128.load(o, 112);
          }
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH + kh - PT;
            if (ih < 0 || ih >= H) continue;
            // scalar and vector pointers at ow = owLo, and their steps per ow
            const pi = ih * W + owLo * SW + kw - PL, po = oh * OW + owLo;
            let sp = vecX ? ds + (<usize>po << 2) : xs + (<usize>pi << 2);
            let vp = (vecX ? xs + <usize>pi * nb : ds + <usize>po * nb) + n;
            const sstep: usize = vecX ? 4 : <usize>SW << 2, vstep = vecX ? <usize>SW * nb : nb;
            if (wide) {
              for (let ow = owLo; ow < owHi; ow++) {
                const sv = v128.load32_splat(sp);
                v0 = f32x4.add(v0, f32x4.mul(sv, v128.load(vp)));
                v1 = f32x4.add(v1, f32x4.mul(sv, v128.load(vp, 16)));
                v2 = f32x4.add(v2, f32x4.mul(sv, v128.load(vp, 32)));
                v3 = f32x4.add(v3, f32x4.mul(sv, v128.load(vp, 48)));
                v4 = f32x4.add(v4, f32x4.mul(sv, v128.load(vp, 64)));
                v5 = f32x4.add(v5, f32x4.mul(sv, v128.load(vp, 80)));
                v6 = f32x4.add(v6, f32x4.mul(sv, v128.load(vp, 96)));
                v7 = f32x4.add(v7, f32x4.mul(sv, v128.load(vp, 112)));
                sp += sstep;
                vp += vstep;
              }
            } else {
              for (let ow = owLo; ow < owHi; ow++) {
                v0 = f32x4.add(v0, f32x4.mul(v128.load32_splat(sp), v128.load(vp)));
                sp += sstep;
                vp += vstep;
              }
            }
          }
          v128.store(o, v0);
          if (!wide) { n -= 112; continue; }
          v128.store(o, v1, 16); v128.store(o, v2, 32); v128.store(o, v3, 48);
          v128.store(o, v4, 64); v128.store(o, v5, 80); v128.store(o, v6, 96); v128.store(o, v7, 112);
        }
      }
    }
  }
}

/**
 * dx of a conv with one filter (F == 1, C % 4 == 0) without patches: dx[ih][iw][c] = sum over taps
 * (kh, kw in order) of d[oh][ow] * K[kh][kw][c], oh = (ih + PT - kh) / SH where that is a whole
 * in-range index (likewise ow); overwrites dx [R][H][W][C].
 */
function conv_dx_f1(dx: usize, d: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                    KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, K: usize): void {
  const cb = <usize>C << 2;
  // input columns whose taps all land inside d's row (stride 1, C % 16 == 0): iw + PL - (KW - 1) >= 0
  // and iw + PL < OW; pairs of them go together
  const pairs = SH == 1 && SW == 1 && (C & 15) == 0;
  const iwLo = pairs ? max(0, KW - 1 - PL) : W, iwHi = pairs ? min(W, OW - PL) : W;
  for (let s = 0; s < R; s++) {
    const ds = d + (<usize>(s * OH * OW) << 2);
    let p = dx + <usize>(s * H * W) * cb;
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        if (iw >= iwLo && iw + 2 <= iwHi) {
          // two pixels at once, 16 channels a pass: 8 sums, each tap's 4 kernel vectors read once for
          // both (each sum in the one-pixel order: the taps kh, kw, from 0)
          for (let c: usize = 0; c < cb; c += 64) {
            let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
            let b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (let kh = 0; kh < KH; kh++) {
              const oh = ih + PT - kh;
              if (oh < 0 || oh >= OH) continue;
              let dp = ds + (<usize>(oh * OW + iw + PL) << 2), kp = K + <usize>(kh * KW) * cb + c;
              for (let kw = 0; kw < KW; kw++) {
                const s0 = v128.load32_splat(dp), s1 = v128.load32_splat(dp, 4);
                const k0 = v128.load(kp), k1 = v128.load(kp, 16), k2 = v128.load(kp, 32), k3 = v128.load(kp, 48);
                a0 = f32x4.add(a0, f32x4.mul(s0, k0)); b0 = f32x4.add(b0, f32x4.mul(s1, k0));
                a1 = f32x4.add(a1, f32x4.mul(s0, k1)); b1 = f32x4.add(b1, f32x4.mul(s1, k1));
                a2 = f32x4.add(a2, f32x4.mul(s0, k2)); b2 = f32x4.add(b2, f32x4.mul(s1, k2));
                a3 = f32x4.add(a3, f32x4.mul(s0, k3)); b3 = f32x4.add(b3, f32x4.mul(s1, k3));
                dp -= 4;
                kp += cb;
              }
            }
            const o = p + c, o1 = o + cb;
            v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48);
            v128.store(o1, b0); v128.store(o1, b1, 16); v128.store(o1, b2, 32); v128.store(o1, b3, 48);
          }
          p += cb << 1;
          iw++;
          continue;
        }
        for (let c: usize = 0; c < cb; c += 128) {
          const wide = c + 128 <= cb;   // 32 channels per pass (8 independent sums), else 4
          let v0 = f32x4.splat(0), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
          let v4 = f32x4.splat(0), v5 = f32x4.splat(0), v6 = f32x4.splat(0), v7 = f32x4.splat(0);
          for (let kh = 0; kh < KH; kh++) {
            const th = ih + PT - kh, oh = SH == 1 ? th : th / SH;   // (no integer division at stride 1)
            if (th < 0 || oh * SH != th || oh >= OH) continue;
            for (let kw = 0; kw < KW; kw++) {
              const tw = iw + PL - kw, ow = SW == 1 ? tw : tw / SW;
              if (tw < 0 || ow * SW != tw || ow >= OW) continue;
              const sv = v128.load32_splat(ds + (<usize>(oh * OW + ow) << 2));
              const kp = K + <usize>(kh * KW + kw) * cb + c;
              v0 = f32x4.add(v0, f32x4.mul(sv, v128.load(kp)));
              if (wide) {
                v1 = f32x4.add(v1, f32x4.mul(sv, v128.load(kp, 16)));
                v2 = f32x4.add(v2, f32x4.mul(sv, v128.load(kp, 32)));
                v3 = f32x4.add(v3, f32x4.mul(sv, v128.load(kp, 48)));
                v4 = f32x4.add(v4, f32x4.mul(sv, v128.load(kp, 64)));
                v5 = f32x4.add(v5, f32x4.mul(sv, v128.load(kp, 80)));
                v6 = f32x4.add(v6, f32x4.mul(sv, v128.load(kp, 96)));
                v7 = f32x4.add(v7, f32x4.mul(sv, v128.load(kp, 112)));
              }
            }
          }
          const o = p + c;
          v128.store(o, v0);
          if (!wide) { c -= 112; continue; }
          v128.store(o, v1, 16); v128.store(o, v2, 32); v128.store(o, v3, 48);
          v128.store(o, v4, 64); v128.store(o, v5, 80); v128.store(o, v6, 96); v128.store(o, v7, 112);
        }
        p += cb;
      }
    }
  }
}

/**
 * conv backward for R samples, d = dLoss/dZ [R][OH*OW*F] (activation already undone).
 * Writes dK [KC][F] and db [F] (overwrite; acc: add, the samples following the last call's) and,
 * when dx != 0, dx [R][H*W*C]. col: patch scratch of colcap floats. dcol = dZ . K^T reads K
 * transposed in place (f32_gemm_bt). dV: see wino_conv_backward_weights.
 */
export function conv_backward(dx: usize, dK: usize, db: usize, d: usize, x: usize, R: i32, H: i32, W: i32, C: i32,
                              OH: i32, OW: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                              K: usize, col: usize, colcap: i32, acc: bool, dV: usize): void {
  const KC = KH * KW * C, P = OH * OW, IN = H * W * C;
  f32_colsum(db, d, R * P, F, acc);
  if (wino_eligible(KH, KW, SH, SW, C, F)) {
    wino_conv_backward_weights(dK, d, x, R, H, W, C, OH, OW, F, PT, PL, col, colcap, dV, acc);
    if (dx != 0) wino_conv_backward_data(dx, d, R, H, W, C, OH, OW, F, PT, PL, K, col, colcap);
    return;
  }
  // one channel on a side (a first or last layer): no patch matrix, whose rows would be 9 scalars
  // or K x C floats per pixel for a product of one row or column
  if ((F == 1 && (C & 3) == 0) || (C == 1 && (F & 3) == 0)) {
    conv_dk_1ch(dK, d, x, R, H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, acc);
    if (dx == 0) return;
    if (F == 1) {
      conv_dx_f1(dx, d, R, H, W, C, OH, OW, KH, KW, SH, SW, PT, PL, K);
      return;
    }
  }
  const oneCh = (F == 1 && (C & 3) == 0) || (C == 1 && (F & 3) == 0);
  const G = group(R, P * KC, colcap);
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0);
    const dg = d + (<usize>(s0 * P * F) << 2);
    if (!oneCh) {   // (dK is done when oneCh)
      for (let i = 0; i < g; i++) {
        im2col(x + (<usize>((s0 + i) * IN) << 2), H, W, C, KH, KW, SH, SW, PT, PL, OH, OW, col + (<usize>(i * P * KC) << 2));
      }
      // dK (+)= col^T . dZ: A read transposed through strides; the same sum order as sample by sample.
      // One filter: dK^T = dZ^T . col instead, one row of KC wide tiles rather than KC scalar columns.
      if (F == 1) f32_gemm(1, KC, g * P, dg, 0, 1, col, KC, dK, KC, 0, s0 == 0 && !acc ? GEMM_ZERO : GEMM_ACC, ACT_LINEAR);
      else f32_gemm(KC, F, g * P, col, 1, KC, dg, F, dK, F, 0, s0 == 0 && !acc ? GEMM_ZERO : GEMM_ACC, ACT_LINEAR);
    }
    if (dx == 0) continue;
    // dcol = dZ . K^T, then scatter back onto each sample's input grid
    f32_gemm_bt(g * P, KC, F, dg, F, 1, K, F, col, KC, 0, GEMM_ZERO, ACT_LINEAR);
    const dxg = dx + (<usize>(s0 * IN) << 2);
    memory.fill(dxg, 0, <usize>(g * IN) << 2);
    for (let i = 0; i < g; i++) {
      col2im(col + (<usize>(i * P * KC) << 2), H, W, C, KH, KW, SH, SW, PT, PL, OH, OW, dxg + (<usize>(i * IN) << 2));
    }
  }
}

/**
 * Transposed conv forward for R samples: x[R][H*W*C] -> y[R][OH*OW*F]. K: [KH*KW*F][C] (Keras
 * [kh][kw][out][in]), read transposed in place (f32_gemm_bt); col: patch scratch of colcap floats. PT/PL are
 * the padding of the forward conv that maps y's grid onto x's.
 */
export function convt_forward(x: usize, y: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                              KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, K: usize, b: usize, act: i32,
                              col: usize, colcap: i32): void {
  // 3x3 stride 2 with channels in f32x4 lanes: by its sub-pixel phases (subpixel.ts), when the scratch
  // holds them (bindings/wasm.ts sizes it so: subpixelFloats)
  if (subpixel_eligible(KH, KW, SH, SW, PT, PL, H, W, OH, OW, C, F) && colcap >= subpixel_floats(OH, OW, C, F)) {
    subpixel_convt_forward(x, y, R, H, W, C, OH, OW, F, K, b, act, col, colcap);
    return;
  }
  const KF = KH * KW * F, P = OH * OW, IN = H * W * C, HW = H * W;
  const G = group(R, HW * KF, colcap);
  // the taps of each input pixel (a product), then each output pixel gathers its own, bias and
  // activation included (convt_gather)
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0);
    f32_gemm_bt(g * HW, KF, C, x + (<usize>(s0 * IN) << 2), C, 1, K, C, col, KF, 0, GEMM_ZERO, ACT_LINEAR);
    for (let i = 0; i < g; i++) {
      convt_gather(col + (<usize>(i * HW * KF) << 2), H, W, F, KH, KW, SH, SW, PT, PL, OH, OW, b, y + (<usize>((s0 + i) * P * F) << 2), act);
    }
  }
}

/**
 * Transposed conv backward: d = dLoss/dZ [R][OH*OW*F]. Writes dK [KF][C], db [F] (overwrite;
 * acc: add), and dx [R][H*W*C] when dx != 0. dV: the sub-pixel path's [16][F][C] (subpixel.ts), 0 for none.
 */
export function convt_backward(dx: usize, dK: usize, db: usize, d: usize, x: usize, R: i32, H: i32, W: i32, C: i32,
                               OH: i32, OW: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                               K: usize, col: usize, colcap: i32, acc: bool, dV: usize): void {
  const KF = KH * KW * F, P = OH * OW, IN = H * W * C, HW = H * W;
  f32_colsum(db, d, R * P, F, acc);
  // the forward's sub-pixel phases, adjoint (bindings/wasm.ts gives such a layer its dV block)
  if (dV != 0 && subpixel_eligible(KH, KW, SH, SW, PT, PL, H, W, OH, OW, C, F) && colcap >= subpixel_floats(OH, OW, C, F)) {
    subpixel_convt_backward(dx, dK, d, x, R, H, W, C, OH, OW, F, K, col, colcap, dV, acc);
    return;
  }
  const G = group(R, HW * KF, colcap);
  for (let s0 = 0; s0 < R; s0 += G) {
    const g = min(G, R - s0);
    // the forward conv's patches of dZ, on x's grid
    for (let i = 0; i < g; i++) {
      im2col(d + (<usize>((s0 + i) * P * F) << 2), OH, OW, F, KH, KW, SH, SW, PT, PL, H, W, col + (<usize>(i * HW * KF) << 2));
    }
    const xg = x + (<usize>(s0 * IN) << 2);
    f32_gemm(KF, C, g * HW, col, 1, KF, xg, C, dK, C, 0, s0 == 0 && !acc ? GEMM_ZERO : GEMM_ACC, ACT_LINEAR);
    if (dx != 0) f32_gemm(g * HW, C, KF, col, KF, 1, K, C, dx + (<usize>(s0 * IN) << 2), C, 0, GEMM_ZERO, ACT_LINEAR);
  }
}
