// bound.ts: load()'s and setWeights()'s proof that a model's values stay finite in float32 on every
// row near its data. For all rows x with |x_i| <= B (normalized units), an upper bound on the size of
// each node's outputs, channel by channel (the last axis), from the weights' sizes alone:
//   dense, conv: |b_o| + sum over inputs (every tap, padded or not) of |W| times the input's bound;
//   transposed conv: the same over every tap of the [kh][kw][out][in] kernel;
//   batchNorm (moving statistics): |gamma| (m + |mean|) / sqrt(var + eps) + |beta|;
//   max pool, upsampling, dropout, reshape, the VAE's mean: the input's bound; concat: each part's;
//   relu and leaky relu keep a bound, tanh and sigmoid take 1, elu max(m, 1);
// then the reconstruction error's sum over the output, sum (m + B)^2. A sum is at most the sum of its
// terms' sizes whatever their signs, so the bound holds for every row of the box at once: a huge weight
// behind a unit that some rows leave inactive is seen, which five probe rows can miss (the fuzz's
// 'overflow-probe-misses'). Loose, as it ignores cancellation: a trained model's bounds sit orders of
// magnitude under the limit (tests/bound.test.ts), and one that passes cannot overflow on the box
// (every partial sum and product, Winograd's and the sub-pixel transforms' included, stays within a
// small multiple of its node's bound, and the limit leaves 300x to float32's 3.4e38).
// A channel count that does not match between a node and the tensor it reads (a reshape) takes the
// largest bound of that tensor for every channel.

import * as A from './arena';
import { ci, cp, layer, lf, li, lp } from './arena';
import { ACT_ELU, ACT_SIGMOID, ACT_TANH } from './act';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Floats of node l's bound vector: its channel count (the last axis). */
// @ts-ignore: decorator
@inline function chans(ctx: usize, l: i32): i32 { return li(layer(ctx, l), A.L_OC); }

/** Where node l's bounds start in m (after those of nodes 0..l-1). */
export function node_off(ctx: usize, l: i32): i32 {
  let o = 0;
  for (let i = 0; i < l; i++) o += chans(ctx, i);
  return o;
}

/** v[0..n) = the bounds of tensor src read as n channels: B for the input and the condition. */
function in_vec(ctx: usize, m: usize, src: i32, n: i32, v: usize, B: f32): void {
  if (src < 0) {
    for (let i = 0; i < n; i++) store<f32>(at(v, i), B);
    return;
  }
  const c = chans(ctx, src), p = at(m, node_off(ctx, src));
  if (c == n) { memory.copy(v, p, <usize>n << 2); return; }
  let mx: f32 = 0;
  for (let i = 0; i < c; i++) mx = max(mx, load<f32>(at(p, i)));
  for (let i = 0; i < n; i++) store<f32>(at(v, i), mx);
}

/**
 * y[o] += sum_r |w[r][O]| v[r % C] for r < Rn: a dense layer's (Rn = C) or a conv's (Rn = taps * C) bound.
 * Four rows a pass over y, each y[o] still summed row after row (the same bits as one row a pass): load()
 * runs this once per model in a fresh module, as V8's baseline code, where y's loads and stores cost more
 * than the products (dense784's bound 1.0 -> 0.5 ms there).
 */
function abs_rows(y: usize, w: usize, Rn: i32, O: i32, v: usize, C: i32): void {
  const O4 = O & ~3, rowBytes = <usize>O << 2;
  let r = 0;
  for (; r + 4 <= Rn; r += 4) {
    const t0 = load<f32>(at(v, r % C)), t1 = load<f32>(at(v, (r + 1) % C));
    const t2 = load<f32>(at(v, (r + 2) % C)), t3 = load<f32>(at(v, (r + 3) % C));
    const s0 = f32x4.splat(t0), s1 = f32x4.splat(t1), s2 = f32x4.splat(t2), s3 = f32x4.splat(t3);
    const w0 = w + <usize>r * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
    let o = 0;
    for (; o < O4; o += 4) {
      const q = <usize>o << 2;
      let a = v128.load(y + q);
      a = f32x4.add(a, f32x4.mul(f32x4.abs(v128.load(w0 + q)), s0));
      a = f32x4.add(a, f32x4.mul(f32x4.abs(v128.load(w1 + q)), s1));
      a = f32x4.add(a, f32x4.mul(f32x4.abs(v128.load(w2 + q)), s2));
      a = f32x4.add(a, f32x4.mul(f32x4.abs(v128.load(w3 + q)), s3));
      v128.store(y + q, a);
    }
    for (; o < O; o++) {
      const q = <usize>o << 2;
      let a = load<f32>(y + q);
      a += abs<f32>(load<f32>(w0 + q)) * t0;
      a += abs<f32>(load<f32>(w1 + q)) * t1;
      a += abs<f32>(load<f32>(w2 + q)) * t2;
      a += abs<f32>(load<f32>(w3 + q)) * t3;
      store<f32>(y + q, a);
    }
  }
  for (; r < Rn; r++) {
    const s = load<f32>(at(v, r % C)), row = w + <usize>r * rowBytes;
    const sv = f32x4.splat(s);
    let o = 0;
    for (; o < O4; o += 4) v128.store(at(y, o), f32x4.add(v128.load(at(y, o)), f32x4.mul(f32x4.abs(v128.load(at(row, o))), sv)));
    for (; o < O; o++) store<f32>(at(y, o), load<f32>(at(y, o)) + abs<f32>(load<f32>(at(row, o))) * s);
  }
}

/**
 * The bounds of every node of the model whose params the context points at, for rows within +-B,
 * into m (f32, the nodes' channel counts summed) with scratch v (f32, the largest node input width).
 * Returns -1 when every node's bound before its activation and the error's sum are at most lim; else
 * the first node past it (the node count: the error), its bound stored at m[0].
 */
export function net_bound(ctx: usize, B: f32, lim: f32, m: usize, v: usize): i32 {
  const params = cp(ctx, A.C_PARAMS), n = ci(ctx, A.C_NLAYERS);
  let off = 0;
  for (let l = 0; l < n; l++) {
    const L = layer(ctx, l);
    const op = li(L, A.L_OP), act = li(L, A.L_ACT), IN = li(L, A.L_IN), OUT = li(L, A.L_OUT);
    const IC = li(L, A.L_IC), OC = li(L, A.L_OC), src0 = li(L, A.L_SRC0);
    const y = at(m, off), w = at(params, li(L, A.L_W)), b = at(params, li(L, A.L_B));
    if (op == A.OP_DENSE || op == A.OP_CONV || op == A.OP_CONVT) {
      in_vec(ctx, m, src0, IC, v, B);
      for (let o = 0; o < OC; o++) store<f32>(at(y, o), abs<f32>(load<f32>(at(b, o))));
      const taps = op == A.OP_DENSE ? 1 : li(L, A.L_KH) * li(L, A.L_KW);
      if (op != A.OP_CONVT) abs_rows(y, w, taps * IC, OC, v, IC);
      else {
        // K [taps][OC][IC]: row (tap, o) adds sum_c |K| v[c] to output channel o
        for (let r = 0; r < taps * OC; r++) {
          const row = w + (<usize>(r * IC) << 2);
          let s: f32 = 0;
          for (let c = 0; c < IC; c++) s += abs<f32>(load<f32>(at(row, c))) * load<f32>(at(v, c));
          const o = at(y, r % OC);
          store<f32>(o, load<f32>(o) + s);
        }
      }
    } else if (op == A.OP_BATCHNORM) {
      in_vec(ctx, m, src0, IC, v, B);
      const st = lp(L, A.L_STATE), eps = lf(L, A.L_EPS);
      for (let c = 0; c < OC; c++) {
        const is = <f32>1 / Mathf.sqrt(load<f32>(at(st, OC + c)) + eps);
        store<f32>(at(y, c), abs<f32>(load<f32>(at(w, c))) * ((load<f32>(at(v, c)) + abs<f32>(load<f32>(at(st, c)))) * is) + abs<f32>(load<f32>(at(b, c))));
      }
    } else if (op == A.OP_CONCAT) {
      in_vec(ctx, m, src0, IC, y, B);
      in_vec(ctx, m, li(L, A.L_SRC1), IN - IC, at(y, IC), B);
    } else if (op == A.OP_SAMPLE) {
      // outside training z = mu, the first half of each [mu, logVar] row
      in_vec(ctx, m, src0, IN, v, B);
      memory.copy(y, v, <usize>OUT << 2);
    } else {
      // max pool, upsampling (channels kept), dropout outside training, reshape
      in_vec(ctx, m, src0, OC, y, B);
    }
    for (let c = 0; c < OC; c++) {
      const s = load<f32>(at(y, c));
      if (!(s <= lim)) { store<f32>(m, s); return l; }   // (NaN too: a batchNorm's 1/sqrt(0))
    }
    if (act == ACT_TANH || act == ACT_SIGMOID) for (let c = 0; c < OC; c++) store<f32>(at(y, c), 1);
    else if (act == ACT_ELU) for (let c = 0; c < OC; c++) store<f32>(at(y, c), max<f32>(load<f32>(at(y, c)), 1));
    off += OC;
  }
  // the reconstruction error: sum over the C outputs of (|y| + |x|)^2, in float64
  const C = ci(ctx, A.C_OUTDIM);
  in_vec(ctx, m, n - 1, C, v, B);
  let e: f64 = 0;
  for (let j = 0; j < C; j++) {
    const d = <f64>load<f32>(at(v, j)) + <f64>B;
    e += d * d;
  }
  if (!(e <= <f64>lim)) { store<f32>(m, <f32>e); return n; }
  return -1;
}
