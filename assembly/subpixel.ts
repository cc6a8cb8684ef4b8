// subpixel.ts: strided transposed convolution forward as SH*SW sub-pixel convolutions, channels last.
// The output pixels of one phase (oh % SH, ow % SW) = (a, b) all take the same taps: kh = kh0 + m SH,
// kw = kw0 + n SW, reading x[i + di][j + dj] with di = dh0 - m, dj = dw0 - n (oh = SH i + a). So each
// phase is a small stride-1 conv of x, run as GEMMs straight from a zero-padded copy of x: for a tap
// row m, the taps' pixels x[i + di][j + dj0 .. j + dj0 + Nw) lie side by side, one contiguous A row
// of Nw*C floats (the implicit GEMM: no patch matrix), against the kernel taps stacked in that order.
// Against im2col's GEMM into patches + col2im: no 9 x F patch row per input pixel, no scatter-add.
// Not bit-equal to it: each output sums bias, then its taps (m ascending, then dj ascending), c
// ascending, where col2im added whole tap products onto the bias; fixed order, no FMA, so the same
// bits on every host. Dims as in conv.ts; Ha x Wa a phase's output grid, Hp x Wp the padded input.

import { ACT_LINEAR } from './act';
import { GEMM_ACC, GEMM_BIAS, f32_gemm } from './gemm';

// @ts-ignore: decorator
@inline function cdiv(a: i32, b: i32): i32 { return (a + b - 1) / b; }

/** Floats of scratch the sub-pixel form needs, or -1 where it does not apply (stride 1, or a kernel
 *  narrower than its stride, where a phase has no tap). Kernel taps, the padded input, one phase. */
export function subpixel_floats(H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32, KH: i32, KW: i32,
                                SH: i32, SW: i32, PT: i32, PL: i32): i32 {
  if ((SH == 1 && SW == 1) || KH < SH || KW < SW) return -1;
  const Hp = pad_lo(SH, PT, KH) + H + pad_hi(SH, PT, KH, H, OH), Wp = pad_lo(SW, PL, KW) + W + pad_hi(SW, PL, KW, W, OW);
  return KH * KW * C * F + (Hp + 1) * Wp * C + cdiv(OH, SH) * Wp * F;
}

// taps of phase a along one axis: kh0 = (a + P) mod S, dh0 = (a + P - kh0) / S, count ceil((K - kh0) / S)
// @ts-ignore: decorator
@inline function tap0(a: i32, P: i32, S: i32): i32 { return (a + P) % S; }
// @ts-ignore: decorator
@inline function ntap(a: i32, P: i32, S: i32, K: i32): i32 { return cdiv(K - tap0(a, P, S), S); }
/** Padding before x on one axis: -(the smallest offset d over all phases), at least 0. */
function pad_lo(S: i32, P: i32, K: i32): i32 {
  let lo = 0;
  for (let a = 0; a < S; a++) lo = min(lo, (a + P - tap0(a, P, S)) / S - ntap(a, P, S, K) + 1);
  return -lo;
}
/** Padding after x on one axis: how far the largest offset reads past x's last pixel. */
function pad_hi(S: i32, P: i32, K: i32, N: i32, ON: i32): i32 {
  let hi = 0;
  for (let a = 0; a < S; a++) hi = max(hi, cdiv(ON - a, S) - 1 + (a + P - tap0(a, P, S)) / S - (N - 1));
  return hi;
}

/**
 * y[R][OH*OW*F] = act(convT(x, K) + b), x [R][H*W*C], K [KH*KW*F][C] (Keras [kh][kw][out][in]).
 * scr: subpixel_floats(...) floats. Per phase (a, b), per tap row m: one GEMM of Ha*Wp rows (the
 * padded grid's columns past Wa compute values that are dropped), K = Nw*C, N = F, the first with
 * the bias as init, the rest accumulating, the last applying act; then the phase's pixels go to y.
 */
export function convt_forward_subpixel(x: usize, y: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, F: i32,
                                       KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, K: usize, b: usize, act: i32,
                                       scr: usize): void {
  const PTp = pad_lo(SH, PT, KH), PLp = pad_lo(SW, PL, KW);
  const Hp = PTp + H + pad_hi(SH, PT, KH, H, OH), Wp = PLp + W + pad_hi(SW, PL, KW, W, OW);
  const cb = <usize>C << 2, fb = <usize>F << 2, CF = C * F;
  const kp = scr, xp = kp + (<usize>(KH * KW * CF) << 2), yp = xp + <usize>((Hp + 1) * Wp) * cb;
  // the stacked taps, phase by phase, tap row by tap row, kw descending (dj ascending): B[n C + c][f]
  let q = kp;
  for (let a = 0; a < SH; a++) {
    for (let bb = 0; bb < SW; bb++) {
      const kh0 = tap0(a, PT, SH), kw0 = tap0(bb, PL, SW), Nw = ntap(bb, PL, SW, KW);
      for (let kh = kh0; kh < KH; kh += SH) {
        for (let n = Nw - 1; n >= 0; n--) {
          const src = K + (<usize>((kh * KW + kw0 + n * SW) * CF) << 2);   // [f][c]
          for (let c = 0; c < C; c++) {
            for (let f = 0; f < F; f++) store<f32>(q + (<usize>f << 2), load<f32>(src + (<usize>(f * C + c) << 2)));
            q += fb;
          }
        }
      }
    }
  }
  memory.fill(xp, 0, <usize>((Hp + 1) * Wp) * cb);   // the borders (and one row of slack) stay zero
  for (let s = 0; s < R; s++) {
    const xs = x + <usize>(s * H * W) * cb, ys = y + <usize>(s * OH * OW) * fb;
    for (let ih = 0; ih < H; ih++) memory.copy(xp + <usize>((ih + PTp) * Wp + PLp) * cb, xs + <usize>(ih * W) * cb, <usize>W * cb);
    let kq = kp;
    for (let a = 0; a < SH; a++) {
      const kh0 = tap0(a, PT, SH), Mh = ntap(a, PT, SH, KH), dh0 = (a + PT - kh0) / SH, Ha = cdiv(OH - a, SH);
      for (let bb = 0; bb < SW; bb++) {
        const kw0 = tap0(bb, PL, SW), Nw = ntap(bb, PL, SW, KW), Wa = cdiv(OW - bb, SW);
        const dj0 = (bb + PL - kw0) / SW - Nw + 1;   // the smallest dj of the phase
        const KN = Nw * C;
        for (let m = 0; m < Mh; m++) {
          const a0 = xp + <usize>((dh0 - m + PTp) * Wp + dj0 + PLp) * cb;
          f32_gemm(Ha * Wp, F, KN, a0, C, 1, kq, F, yp, F, b, m == 0 ? GEMM_BIAS : GEMM_ACC, m == Mh - 1 ? act : ACT_LINEAR);
          kq += <usize>(KN * F) << 2;
        }
        // the phase's pixels into y: (SH i + a, SW j + bb) <- yp[i][j], j < Wa
        for (let i = 0; i < Ha; i++) {
          let src = yp + <usize>(i * Wp) * fb, dst = ys + <usize>((SH * i + a) * OW + bb) * fb;
          const step = <usize>SW * fb;
          for (let j = 0; j < Wa; j++) {
            // (a bulk-memory call per pixel costs more than the copy)
            if ((F & 3) == 0) for (let o: usize = 0; o < fb; o += 16) v128.store(dst + o, v128.load(src + o));
            else memory.copy(dst, src, fb);
            src += fb;
            dst += step;
          }
        }
      }
    }
  }
}
