// layers.ts: the layers without a GEMM, forward and backward, channels last, per batch of R samples:
// max pooling (argmax saved for backward), nearest upsampling, inverted dropout (mask saved),
// batch normalization over the channel axis (Keras: momentum 0.99, epsilon 1e-3, biased batch
// variance; xhat and 1/std saved), concat on the last axis and the variational sample step. Backward
// overwrites dx (concat and sample take an acc flag to add instead). Flatten and reshape are plain copies.
// Dims: H/W input, OH/OW output, C channels, PH/PW pool or upsampling factors, SH/SW strides.

import { rng_normal, rng_normal4, rng_uniform, rng_uniform4 } from './rng';
import { f32_exp_scalar, f32_exp_simd } from './math';

/**
 * One sample's max pooling, 4 channels at a time (C % 4 == 0): per output, the window's taps inside
 * x in order (rows, then columns), the first greatest winning (best < v takes v); arg (when not 0)
 * gets its index within the sample. The window's bounds are found once per output pixel, not per tap.
 */
function maxpool_sample_simd(xs: usize, y: usize, arg: usize, o: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                             PH: i32, PW: i32, SH: i32, SW: i32, PT: i32, PL: i32): void {
  const lane = i32x4(0, 1, 2, 3);
  for (let oh = 0; oh < OH; oh++) {
    const h0 = max(0, oh * SH - PT), h1 = min(H, oh * SH - PT + PH);
    for (let ow = 0; ow < OW; ow++) {
      const w0 = max(0, ow * SW - PL), w1 = min(W, ow * SW - PL + PW);
      for (let c = 0; c < C; c += 4) {
        let best = f32x4.splat(-Infinity), at = i32x4.splat(-1);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const i = (ih * W + iw) * C + c;
            const v = v128.load(xs + (<usize>i << 2));
            // (the first tap is taken whatever it is, NaN included; later ones when greater)
            const gt = ih == h0 && iw == w0 ? i32x4.splat(-1) : f32x4.gt(v, best);
            best = v128.bitselect(v, best, gt);
            at = v128.bitselect(i32x4.add(i32x4.splat(i), lane), at, gt);
          }
        }
        v128.store(y + (<usize>o << 2), best);
        if (arg != 0) v128.store(arg + (<usize>o << 2), at);
        o += 4;
      }
    }
  }
}

/** maxpool_sample_simd for the common 2x2 pool at stride 2 whose windows all lie inside x: the same
 *  taps in the same order (00, 01, 10, 11), unrolled (3x faster); arg 0: the values only. */
function maxpool_sample_2x2(xs: usize, y: usize, arg: usize, o: i32, W: i32, C: i32, OH: i32, OW: i32): void {
  const lane = i32x4(0, 1, 2, 3), cb = <usize>C << 2, rb = <usize>W * cb;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      const i0 = (2 * oh * W + 2 * ow) * C;
      for (let c = 0; c < C; c += 4) {
        const p = xs + (<usize>(i0 + c) << 2), q = <usize>o << 2;
        const v00 = v128.load(p), v01 = v128.load(p + cb), v10 = v128.load(p + rb), v11 = v128.load(p + rb + cb);
        if (arg == 0) {
          v128.store(y + q, f32x4.pmax(f32x4.pmax(f32x4.pmax(v00, v01), v10), v11));   // pmax(a, b) = a < b ? b : a
        } else {
          const i00 = i32x4.add(i32x4.splat(i0 + c), lane);
          let gt = f32x4.gt(v01, v00);
          let best = v128.bitselect(v01, v00, gt), at = v128.bitselect(i32x4.add(i00, i32x4.splat(C)), i00, gt);
          gt = f32x4.gt(v10, best);
          best = v128.bitselect(v10, best, gt); at = v128.bitselect(i32x4.add(i00, i32x4.splat(W * C)), at, gt);
          gt = f32x4.gt(v11, best);
          best = v128.bitselect(v11, best, gt); at = v128.bitselect(i32x4.add(i00, i32x4.splat(W * C + C)), at, gt);
          v128.store(y + q, best);
          v128.store(arg + q, at);
        }
        o += 4;
      }
    }
  }
}

/** Max pooling; arg[i32, R*OH*OW*C] receives each output's input index within its sample. */
export function maxpool_forward(x: usize, y: usize, arg: usize, R: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                PH: i32, PW: i32, SH: i32, SW: i32, PT: i32, PL: i32, training: bool): void {
  const IN = H * W * C, OUT = OH * OW * C;
  for (let s = 0; s < R; s++) {
    const xs = x + (<usize>(s * IN) << 2);
    let o = s * OUT;
    if ((C & 3) == 0) {
      // (inference keeps no indices: arg 0)
      if (PH == 2 && PW == 2 && SH == 2 && SW == 2 && PT == 0 && PL == 0 && 2 * OH <= H && 2 * OW <= W) {
        maxpool_sample_2x2(xs, y, training ? arg : 0, o, W, C, OH, OW);
      } else maxpool_sample_simd(xs, y, training ? arg : 0, o, H, W, C, OH, OW, PH, PW, SH, SW, PT, PL);
      continue;
    }
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          let best: f32 = -Infinity, at = -1;
          for (let ph = 0; ph < PH; ph++) {
            const ih = oh * SH + ph - PT;
            if (ih < 0 || ih >= H) continue;
            for (let pw = 0; pw < PW; pw++) {
              const iw = ow * SW + pw - PL;
              if (iw < 0 || iw >= W) continue;
              const i = (ih * W + iw) * C + c;
              const v = load<f32>(xs + (<usize>i << 2));
              if (at < 0 || v > best) { best = v; at = i; }
            }
          }
          store<f32>(y + (<usize>o << 2), best);
          store<i32>(arg + (<usize>o << 2), at);
          o++;
        }
      }
    }
  }
}

/** dx = 0, then dx[arg] += d for every pooled output. */
export function maxpool_backward(dx: usize, d: usize, arg: usize, R: i32, IN: i32, OUT: i32): void {
  memory.fill(dx, 0, <usize>(R * IN) << 2);
  for (let s = 0; s < R; s++) {
    const dxs = dx + (<usize>(s * IN) << 2);
    for (let o = s * OUT; o < (s + 1) * OUT; o++) {
      const p = dxs + (<usize>load<i32>(arg + (<usize>o << 2)) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(d + (<usize>o << 2)));
    }
  }
}

/** Nearest upsampling by (PH, PW): y[h][w][c] = x[h / PH][w / PW][c]. */
export function upsample_forward(x: usize, y: usize, R: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32): void {
  const cb = <usize>C << 2, OH = H * PH, OW = W * PW;
  for (let s = 0; s < R; s++) {
    const xs = x + <usize>(s * H * W) * cb;
    let p = y + <usize>(s * OH * OW) * cb;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        memory.copy(p, xs + <usize>((oh / PH) * W + ow / PW) * cb, cb);
        p += cb;
      }
    }
  }
}

/** dx[h][w][c] = sum of d over the PH x PW block it was copied to. */
export function upsample_backward(dx: usize, d: usize, R: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32): void {
  const OH = H * PH, OW = W * PW;
  memory.fill(dx, 0, <usize>(R * H * W * C) << 2);
  for (let s = 0; s < R; s++) {
    const dxs = dx + (<usize>(s * H * W * C) << 2);
    let p = d + (<usize>(s * OH * OW * C) << 2);
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const q = dxs + (<usize>(((oh / PH) * W + ow / PW) * C) << 2);
        for (let c = 0; c < C; c++) {
          const qc = q + (<usize>c << 2);
          store<f32>(qc, load<f32>(qc) + load<f32>(p));
          p += 4;
        }
      }
    }
  }
}

/**
 * Training dropout: mask[i] = 0 with probability rate, else 1 / (1 - rate); y = x * mask. A negative rate is the
 * rate term's quantisation noise instead (spec `rate`; the node after the code): y = x + step (u - 1/2) with step
 * = -rate, u the same uniform draw, and mask[i] = 1, so the backward (dropout_backward) passes the gradient through
 * as the straight-through relaxation of rounding does (Balle et al., "End-to-end optimized image compression", 2017).
 */
export function dropout_forward(x: usize, y: usize, mask: usize, n: i32, rate: f32, rng: usize): void {
  let i = 0;
  if (rate < 0) {
    const step = -rate, half = <f32>0.5;
    // four at a time: rng_uniform4 takes the same draws as rng_uniform's loop below
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(mask + off, f32x4.splat(1));
      v128.store(y + off, f32x4.add(v128.load(x + off), f32x4.mul(f32x4.splat(step), f32x4.sub(rng_uniform4(rng), f32x4.splat(half)))));
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      store<f32>(mask + off, 1);
      store<f32>(y + off, load<f32>(x + off) + step * (rng_uniform(rng) - half));
    }
    return;
  }
  const keep = <f32>1 / (<f32>1 - rate);
  // four at a time: rng_uniform4 takes the same draws as rng_uniform's loop below
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const m = v128.bitselect(f32x4.splat(0), f32x4.splat(keep), f32x4.lt(rng_uniform4(rng), f32x4.splat(rate)));
    v128.store(mask + off, m);
    v128.store(y + off, f32x4.mul(v128.load(x + off), m));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const m = rng_uniform(rng) < rate ? <f32>0 : keep;
    store<f32>(mask + off, m);
    store<f32>(y + off, load<f32>(x + off) * m);
  }
}

/** Dropout's backward: dx = d * mask, the mask dropout_forward saved (0 or 1 / (1 - rate)); dx may alias d. */
export function dropout_backward(dx: usize, d: usize, mask: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dx + off, f32x4.mul(v128.load(d + off), v128.load(mask + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dx + off, load<f32>(d + off) * load<f32>(mask + off));
  }
}

/**
 * Batch normalization over the last axis of N = R*IN/C rows. training: batch mean and biased variance,
 * xhat and inv (1/sqrt(var + eps), [C]) saved, moving stats mm, mv updated with momentum;
 * otherwise the moving statistics. gamma, beta: [C]. acc: scratch for 2*C f64.
 */
export function batchnorm_forward(x: usize, y: usize, N: i32, C: i32, gamma: usize, beta: usize, mm: usize, mv: usize,
                                  xhat: usize, inv: usize, eps: f32, momentum: f32, training: bool, acc: usize): void {
  if (!training) {
    const ev = f32x4.splat(eps), one = f32x4.splat(1);
    for (let r = 0; r < N; r++) {
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const i = (<usize>(r * C + c)) << 2, k = <usize>c << 2;
        const is = f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(mv + k), ev)));
        const xh = f32x4.mul(f32x4.sub(v128.load(x + i), v128.load(mm + k)), is);
        v128.store(y + i, f32x4.add(f32x4.mul(v128.load(gamma + k), xh), v128.load(beta + k)));
      }
      for (; c < C; c++) {
        const i = (<usize>(r * C + c)) << 2, k = <usize>c << 2;
        const is = <f32>1 / Mathf.sqrt(load<f32>(mv + k) + eps);
        store<f32>(y + i, load<f32>(gamma + k) * ((load<f32>(x + i) - load<f32>(mm + k)) * is) + load<f32>(beta + k));
      }
    }
    return;
  }
  // the batch as one part (data-parallel shards take it in parts: train.ts bn_phase)
  const acc2 = acc + (<usize>C << 3);
  bn_part_sum(x, N, C, acc);
  for (let c = 0; c < C; c++) store<f64>(acc + (<usize>c << 3), load<f64>(acc + (<usize>c << 3)) / <f64>N);
  bn_part_sqdev(x, N, C, acc, acc2);
  bn_stats(acc, acc2, N, C, inv, mm, mv, eps, momentum);
  bn_part_apply(x, y, N, C, gamma, beta, xhat, inv, acc);
}

/**
 * Training batchNorm's statistics from the batch's f64 means (mean[c]) and sums of squared deviations (sq[c]) over its
 * N positions: 1/std into inv, the moving statistics, and the f32 means into the low halves of mean's slots.
 */
export function bn_stats(mean: usize, sq: usize, N: i32, C: i32, inv: usize, mm: usize, mv: usize, eps: f32, momentum: f32): void {
  for (let c = 0; c < C; c++) {
    const k = <usize>c << 2;
    const m = <f32>load<f64>(mean + (<usize>c << 3));
    const v = <f32>(load<f64>(sq + (<usize>c << 3)) / <f64>N);
    store<f32>(inv + k, <f32>1 / Mathf.sqrt(v + eps));
    store<f32>(mm + k, load<f32>(mm + k) * momentum + m * (<f32>1 - momentum));
    store<f32>(mv + k, load<f32>(mv + k) * momentum + v * (<f32>1 - momentum));
    store<f32>(mean + (<usize>c << 3), m); // keep the f32 mean in the low half for bn_part_apply
  }
}

/** Training-mode batchnorm backward: dgamma, dbeta [C] (overwrite) and dx = gamma*inv/N (N d - sum d - xhat sum d*xhat). */
export function batchnorm_backward(dx: usize, dgamma: usize, dbeta: usize, d: usize, xhat: usize, inv: usize, gamma: usize,
                                   N: i32, C: i32, acc: usize): void {
  // the batch as one part (data-parallel shards take it in parts: train.ts bn_phase)
  bn_part_back_sums(d, xhat, N, C, acc);
  for (let c = 0; c < C; c++) {
    store<f32>(dbeta + (<usize>c << 2), <f32>load<f64>(acc + (<usize>c << 3)));
    store<f32>(dgamma + (<usize>c << 2), <f32>load<f64>(acc + (<usize>(C + c) << 3)));
  }
  bn_part_back_apply(dx, d, xhat, inv, gamma, N, N, C, acc);
}

// Training batchNorm over a batch taken in data-parallel shards (train.ts bn_phase): each part (a shard's rows) sums
// what batchnorm_forward and batchnorm_backward sum over the batch, the calling thread adds the parts' f64 sums in
// shard order (train.ts bn_reduce), and each part then normalizes or back-propagates its own rows with the batch's
// figures, with batchnorm_forward's and batchnorm_backward's arithmetic.

// Each loop runs the channels in f32x4 or f64x2 lanes and the rest one by one: every lane does the scalar arithmetic of its
// channel (an f64 sum keeps its order over the positions; f32 products and sums are not fused), so the bits are the
// scalar loop's.

/** The f32s in the low halves of the four f64 slots at p (bn_stats's f32 means). */
// @ts-ignore: decorator
@inline function f32_lows(p: usize): v128 {
  return i8x16.shuffle(v128.load(p), v128.load(p, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

/** The four f64s at p, each rounded to f32. */
// @ts-ignore: decorator
@inline function f32_of_f64s(p: usize): v128 {
  return i8x16.shuffle(f32x4.demote_f64x2_zero(v128.load(p)), f32x4.demote_f64x2_zero(v128.load(p, 16)),
                       0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}

/** Two f32s at p as f64s. */
// @ts-ignore: decorator
@inline function f64_pair(p: usize): v128 { return f64x2.promote_low_f32x4(v128.load64_zero(p)); }

/** out[c] = sum of x[r][c] over the part's N positions (f64), C channels (also a sparse KL term's column sums: terms.ts). */
export function bn_part_sum(x: usize, N: i32, C: i32, out: usize): void {
  memory.fill(out, 0, <usize>C << 3);
  for (let r = 0; r < N; r++) {
    const row = x + (<usize>(r * C) << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const p = out + (<usize>c << 3);
      v128.store(p, f64x2.add(v128.load(p), f64_pair(row + (<usize>c << 2))));
    }
    for (; c < C; c++) {
      const p = out + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(row + (<usize>c << 2)));
    }
  }
}

/** out[c] = sum of (x[r][c] - mean[c])^2 over the part's N positions, mean the batch's f64 means. */
export function bn_part_sqdev(x: usize, N: i32, C: i32, mean: usize, out: usize): void {
  memory.fill(out, 0, <usize>C << 3);
  for (let r = 0; r < N; r++) {
    const row = x + (<usize>(r * C) << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const p = out + (<usize>c << 3);
      const dv = f64x2.sub(f64_pair(row + (<usize>c << 2)), v128.load(mean + (<usize>c << 3)));
      v128.store(p, f64x2.add(v128.load(p), f64x2.mul(dv, dv)));
    }
    for (; c < C; c++) {
      const dv = <f64>load<f32>(row + (<usize>c << 2)) - load<f64>(mean + (<usize>c << 3));
      const p = out + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + dv * dv);
    }
  }
}

/** The part's xhat and y = gamma xhat + beta, xhat = (x - mean) inv, mean the batch's f32 means in the low halves of f64 slots. */
export function bn_part_apply(x: usize, y: usize, N: i32, C: i32, gamma: usize, beta: usize, xhat: usize, inv: usize, mean: usize): void {
  for (let r = 0; r < N; r++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const i = (<usize>(r * C + c)) << 2, k = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + i), f32_lows(mean + (<usize>c << 3))), v128.load(inv + k));
      v128.store(xhat + i, xh);
      v128.store(y + i, f32x4.add(f32x4.mul(v128.load(gamma + k), xh), v128.load(beta + k)));
    }
    for (; c < C; c++) {
      const i = (<usize>(r * C + c)) << 2, k = <usize>c << 2;
      const xh = (load<f32>(x + i) - load<f32>(mean + (<usize>c << 3))) * load<f32>(inv + k);
      store<f32>(xhat + i, xh);
      store<f32>(y + i, load<f32>(gamma + k) * xh + load<f32>(beta + k));
    }
  }
}

/** out[c] = sum of d, out[C + c] = sum of d xhat over the part's N positions (f64). */
export function bn_part_back_sums(d: usize, xhat: usize, N: i32, C: i32, out: usize): void {
  const out2 = out + (<usize>C << 3);
  memory.fill(out, 0, <usize>C << 4);
  for (let r = 0; r < N; r++) {
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const i = (<usize>(r * C + c)) << 2;
      const dv = f64_pair(d + i);
      const p = out + (<usize>c << 3), q = out2 + (<usize>c << 3);
      v128.store(p, f64x2.add(v128.load(p), dv));
      v128.store(q, f64x2.add(v128.load(q), f64x2.mul(dv, f64_pair(xhat + i))));
    }
    for (; c < C; c++) {
      const i = (<usize>(r * C + c)) << 2;
      const dv = <f64>load<f32>(d + i);
      const p = out + (<usize>c << 3), q = out2 + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + dv);
      store<f64>(q, load<f64>(q) + dv * <f64>load<f32>(xhat + i));
    }
  }
}

/** The part's dx (N positions) from the batch's sums (sums[c] of d, sums[C + c] of d xhat) over its Nb positions. */
export function bn_part_back_apply(dx: usize, d: usize, xhat: usize, inv: usize, gamma: usize, N: i32, Nb: i32, C: i32, sums: usize): void {
  const n = <f32>Nb, nv = f32x4.splat(n);
  for (let r = 0; r < N; r++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const i = (<usize>(r * C + c)) << 2, k = <usize>c << 2;
      const sd = f32_of_f64s(sums + (<usize>c << 3)), sdx = f32_of_f64s(sums + (<usize>(C + c) << 3));
      const scale = f32x4.div(f32x4.mul(v128.load(gamma + k), v128.load(inv + k)), nv);
      const t = f32x4.sub(f32x4.sub(f32x4.mul(nv, v128.load(d + i)), sd), f32x4.mul(v128.load(xhat + i), sdx));
      v128.store(dx + i, f32x4.mul(scale, t));
    }
    for (; c < C; c++) {
      const i = (<usize>(r * C + c)) << 2, k = <usize>c << 2;
      const sd = <f32>load<f64>(sums + (<usize>c << 3)), sdx = <f32>load<f64>(sums + (<usize>(C + c) << 3));
      const scale = load<f32>(gamma + k) * load<f32>(inv + k) / n;
      store<f32>(dx + i, scale * (n * load<f32>(d + i) - sd - load<f32>(xhat + i) * sdx));
    }
  }
}

/** y[R][A + B] = [a[R][A], b[R][B]] row by row (concat on the last axis). */
export function concat_forward(y: usize, a: usize, A: i32, b: usize, B: i32, R: i32): void {
  const ba = <usize>A << 2, bb = <usize>B << 2;
  for (let r = 0; r < R; r++) {
    const row = y + <usize>r * (ba + bb);
    memory.copy(row, a + <usize>r * ba, ba);
    memory.copy(row + ba, b + <usize>r * bb, bb);
  }
}

/** The halves of d[R][A + B] into da[R][A] and db[R][B]; each skipped when 0, added into when its acc is set, else overwritten. */
export function concat_backward(da: usize, accA: bool, db: usize, accB: bool, d: usize, A: i32, B: i32, R: i32): void {
  for (let r = 0; r < R; r++) {
    const row = d + (<usize>(r * (A + B)) << 2);
    if (da != 0) add_or_copy(da + (<usize>(r * A) << 2), row, A, accA);
    if (db != 0) add_or_copy(db + (<usize>(r * B) << 2), row + (<usize>A << 2), B, accB);
  }
}

/** dst = src, or dst += src when acc, for n floats. */
export function add_or_copy(dst: usize, src: usize, n: i32, acc: bool): void {
  if (!acc) { memory.copy(dst, src, <usize>n << 2); return; }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
  }
}

// mu + exp(logVar / 2) * e for the unit(s) at byte offset o of a row hr = [mu, logVar] of 2L: four units (f32_exp_simd's
// lanes are f32_exp_scalar's, so each lane is the one-unit form's bits) or one
// @ts-ignore: decorator
@inline function reparam4(hr: usize, o: usize, L: i32, e: v128): v128 {
  return f32x4.add(v128.load(hr + o), f32x4.mul(f32_exp_simd(f32x4.mul(f32x4.splat(0.5), v128.load(hr + o + (<usize>L << 2)))), e));
}
// @ts-ignore: decorator
@inline function reparam1(hr: usize, o: usize, L: i32, e: f32): f32 {
  return load<f32>(hr + o) + f32_exp_scalar(<f32>0.5 * load<f32>(hr + o + (<usize>L << 2))) * e;
}

/**
 * The variational sample step: h[R][2L] = [mu, logVar] rows; training: eps[R][L] ~ N(0, 1) from the
 * sampling stream (saved for backward unless eps is 0), z = mu + exp(logVar / 2) * eps; otherwise z = mu.
 * reference: Kingma & Welling, "Auto-Encoding Variational Bayes" (2014), the reparameterisation trick.
 */
export function sample_forward(z: usize, h: usize, eps: usize, R: i32, L: i32, training: bool, rng: usize): void {
  if (!training) {
    for (let r = 0; r < R; r++) memory.copy(z + (<usize>(r * L) << 2), h + (<usize>(r * 2 * L) << 2), <usize>L << 2);
    return;
  }
  for (let r = 0; r < R; r++) {
    const hr = h + (<usize>(r * 2 * L) << 2), zr = z + (<usize>(r * L) << 2), er = eps + (<usize>(r * L) << 2);
    let j = 0;
    // four units at a time: rng_normal4 takes the same draws as four rng_normal calls, f32_exp_simd's lanes are
    // f32_exp_scalar's, and each lane does the scalar loop's operations in its order (so the same bits; the scoring
    // module, which draws only to score by ELBO, keeps the scalar loop alone: asconfig.json AE_SCORE_ONLY)
    for (; !AE_SCORE_ONLY && j + 4 <= L; j += 4) {
      const o = <usize>j << 2;
      const e = rng_normal4(rng);
      if (eps != 0) v128.store(er + o, e);
      v128.store(zr + o, reparam4(hr, o, L, e));
    }
    for (; j < L; j++) {
      const o = <usize>j << 2;
      const e = rng_normal(rng);
      if (eps != 0) store<f32>(er + o, e);
      store<f32>(zr + o, reparam1(hr, o, L, e));
    }
  }
}

/**
 * z[R][L] = mu + exp(logVar / 2) * e for rows h[R][2L] = [mu, logVar], one eps row e[L] for every row (the ELBO
 * score's common draws): each element's operations and order are sample_forward's, so the same bits as drawing
 * e again for each row.
 */
export function sample_common(z: usize, h: usize, e: usize, R: i32, L: i32): void {
  for (let r = 0; r < R; r++) {
    const hr = h + (<usize>(r * 2 * L) << 2), zr = z + (<usize>(r * L) << 2);
    let j = 0;
    for (; !AE_SCORE_ONLY && j + 4 <= L; j += 4) v128.store(zr + (<usize>j << 2), reparam4(hr, <usize>j << 2, L, v128.load(e + (<usize>j << 2))));
    for (; j < L; j++) store<f32>(zr + (<usize>j << 2), reparam1(hr, <usize>j << 2, L, load<f32>(e + (<usize>j << 2))));
  }
}

/** dh[R][2L] (= or += with acc) from dz[R][L]: dmu = dz, dlogVar = dz * eps * exp(logVar / 2) / 2. */
export function sample_backward(dh: usize, acc: bool, d: usize, h: usize, eps: usize, R: i32, L: i32): void {
  const half = f32x4.splat(0.5);
  for (let r = 0; r < R; r++) {
    const hr = h + (<usize>(r * 2 * L) << 2), dhr = dh + (<usize>(r * 2 * L) << 2);
    const dr = d + (<usize>(r * L) << 2), er = eps + (<usize>(r * L) << 2);
    let j = 0;
    // four units at a time, each lane the scalar loop's operations in its order
    for (; j + 4 <= L; j += 4) {
      const o = <usize>j << 2, ol = <usize>(L + j) << 2;
      const g = v128.load(dr + o);
      const gl = f32x4.mul(f32x4.mul(f32x4.mul(g, v128.load(er + o)), half), f32_exp_simd(f32x4.mul(half, v128.load(hr + ol))));
      v128.store(dhr + o, acc ? f32x4.add(v128.load(dhr + o), g) : g);
      v128.store(dhr + ol, acc ? f32x4.add(v128.load(dhr + ol), gl) : gl);
    }
    for (; j < L; j++) {
      const o = <usize>j << 2, ol = <usize>(L + j) << 2;
      const g = load<f32>(dr + o);
      const gl = g * load<f32>(er + o) * <f32>0.5 * f32_exp_scalar(<f32>0.5 * load<f32>(hr + ol));
      store<f32>(dhr + o, acc ? load<f32>(dhr + o) + g : g);
      store<f32>(dhr + ol, acc ? load<f32>(dhr + ol) + gl : gl);
    }
  }
}
