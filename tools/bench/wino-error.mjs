// wino-error.mjs: the float32 error of Winograd F(2x2, 3x3) and F(4x4, 3x3) (several interpolation points)
// against a float64 direct 3x3 'same' convolution, 14 x 14 x 32 -> 32 (convdae's middle layer), relative to
// the output's largest magnitude; every operation rounded to float32 (Math.fround), the channel sums in order,
// as the kernels do. A model of the arithmetic, not of the kernels' code: it tells whether larger tiles can
// stay inside the conv tests' 2e-6 of the output's scale (docs/benchmark-log.md, session 39: they cannot, or
// barely). F(4x4, 3x3)'s matrices come from the points by Toom-Cook (A^T and G from the points, B^T solved
// from the bilinear identity); Lavin's (0, +-1, +-2) reproduce his published matrices' error exactly.
//   node tools/bench/wino-error.mjs
const f = Math.fround;
let seed = 12345; const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32 * 2 - 1; };
const H = 14, W = 14, C = 32, F = 32;
const x = Float64Array.from({ length: H * W * C }, () => f(rnd()));
const sc = Math.sqrt(6 / (9 * C + 9 * F));
const K = Float64Array.from({ length: 9 * C * F }, () => f(rnd() * sc)); // [kh][kw][c][f]
// direct float64, same padding
const ref = new Float64Array(H * W * F);
for (let oh = 0; oh < H; oh++) for (let ow = 0; ow < W; ow++) for (let o = 0; o < F; o++) {
  let s = 0;
  for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) { const ih = oh + kh - 1, iw = ow + kw - 1; if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
    for (let c = 0; c < C; c++) s += x[(ih * W + iw) * C + c] * K[((kh * 3 + kw) * C + c) * F + o]; }
  ref[(oh * W + ow) * F + o] = s;
}
function wino(m, BT, G, AT) {
  const n = m + 2; // tile input size
  const out = new Float64Array(H * W * F);
  // V[e][c][f]
  const V = new Float64Array(n * n * C * F);
  for (let c = 0; c < C; c++) for (let o = 0; o < F; o++) {
    const g = [0,1,2].map(i => [0,1,2].map(j => K[((i * 3 + j) * C + c) * F + o]));
    const Gg = G.map(r => [0,1,2].map(j => f(f(f(r[0] * g[0][j]) + f(r[1] * g[1][j])) + f(r[2] * g[2][j]))));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[((i * n + j) * C + c) * F + o] = f(f(f(Gg[i][0] * G[j][0]) + f(Gg[i][1] * G[j][1])) + f(Gg[i][2] * G[j][2]));
  }
  const sum = (terms) => terms.reduce((a, t) => f(a + t), 0);
  for (let th = 0; th * m < H; th++) for (let tw = 0; tw * m < W; tw++) {
    const U = new Float64Array(n * n * C);
    for (let c = 0; c < C; c++) {
      const d = [...Array(n)].map((_, i) => [...Array(n)].map((_, j) => { const ih = th * m + i - 1, iw = tw * m + j - 1; return ih < 0 || iw < 0 || ih >= H || iw >= W ? 0 : x[(ih * W + iw) * C + c]; }));
      const Bd = BT.map(r => [...Array(n)].map((_, j) => sum(r.map((b, k) => b ? f(b * d[k][j]) : 0))));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) U[(i * n + j) * C + c] = sum(BT[j].map((b, k) => b ? f(Bd[i][k] * b) : 0));
    }
    for (let o = 0; o < F; o++) {
      const M = [...Array(n)].map((_, i) => [...Array(n)].map((_, j) => { let s = 0; for (let c = 0; c < C; c++) s = f(s + f(U[(i * n + j) * C + c] * V[((i * n + j) * C + c) * F + o])); return s; }));
      const AM = AT.map(r => [...Array(n)].map((_, j) => sum(r.map((a, k) => a ? f(a * M[k][j]) : 0))));
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) { const oh = th * m + i, ow = tw * m + j; if (oh >= H || ow >= W) continue;
        out[(oh * W + ow) * F + o] = sum(AT[j].map((a, k) => a ? f(AM[i][k] * a) : 0)); }
    }
  }
  return out;
}
const F2 = wino(2, [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], [[1,0,0],[.5,.5,.5],[.5,-.5,.5],[0,0,1]], [[1,1,1,0],[0,1,-1,-1]]);
const s6 = f(1/6), s24 = f(1/24), s12 = f(1/12);
const F4 = wino(4, [[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]],
  [[.25,0,0],[-s6,-s6,-s6],[-s6,s6,-s6],[s24,s12,s6],[s24,-s12,s6],[0,0,1]], [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]);
// direct f32 im2col order
const D32 = new Float64Array(H * W * F);
for (let oh = 0; oh < H; oh++) for (let ow = 0; ow < W; ow++) for (let o = 0; o < F; o++) { let s = 0;
  for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) { const ih = oh + kh - 1, iw = ow + kw - 1; if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
    for (let c = 0; c < C; c++) s = f(s + f(x[(ih * W + iw) * C + c] * K[((kh * 3 + kw) * C + c) * F + o])); }
  D32[(oh * W + ow) * F + o] = s; }
const mx = Math.max(...ref.map(Math.abs));
const err = (a) => Math.max(...a.map((v, i) => Math.abs(v - ref[i]))) / mx;
console.log('max|ref|', mx.toFixed(3), 'direct f32', err(D32).toExponential(2), 'F(2,3)', err(F2).toExponential(2), 'F(4,3)', err(F4).toExponential(2));

// Toom-Cook F(4,3) from points P (and infinity): AT, G from the points, BT solved from the bilinear identity
function toom(P) {
  const m = 4, r = 3, n = m + r - 1; // 6
  const AT = [...Array(m)].map((_, i) => [...P.map(p => p ** i), i === m - 1 ? 1 : 0]);
  const G = [...P.map((p, j) => { const N = P.reduce((a, q, l) => l === j ? a : a * (p - q), 1); return [0,1,2].map(k => p ** k / N); }), [0, 0, 1]];
  // unknown BT[j][l]; equations sum_j AT[i][j] G[j][k] BT[j][l] = [l == i + k]; for fixed l: n unknowns BT[.][l], m*r equations
  const BT = [...Array(n)].map(() => new Array(n).fill(0));
  for (let l = 0; l < n; l++) {
    const rows = [], rhs = [];
    for (let i = 0; i < m; i++) for (let k = 0; k < r; k++) { rows.push([...Array(n)].map((_, j) => AT[i][j] * G[j][k])); rhs.push(l === i + k ? 1 : 0); }
    // normal equations
    const A = [...Array(n)].map((_, a) => [...Array(n)].map((_, b) => rows.reduce((s, row) => s + row[a] * row[b], 0)));
    const bb = [...Array(n)].map((_, a) => rows.reduce((s, row, q) => s + row[a] * rhs[q], 0));
    // gauss
    for (let c = 0; c < n; c++) { let p = c; for (let q = c + 1; q < n; q++) if (Math.abs(A[q][c]) > Math.abs(A[p][c])) p = q; [A[c], A[p]] = [A[p], A[c]]; [bb[c], bb[p]] = [bb[p], bb[c]];
      for (let q = 0; q < n; q++) if (q !== c) { const t = A[q][c] / A[c][c]; for (let z = c; z < n; z++) A[q][z] -= t * A[c][z]; bb[q] -= t * bb[c]; } }
    for (let j = 0; j < n; j++) BT[j][l] = bb[j] / A[j][j];
    const res = Math.max(...rows.map((row, q) => Math.abs(row.reduce((s, v, j) => s + v * BT[j][l], 0) - rhs[q])));
    if (res > 1e-9) console.log('residual', l, res);
  }
  const fr = (M) => M.map(r => r.map(v => f(Math.round(v * 1e9) / 1e9)));
  return [fr(BT), fr(G), fr(AT)];
}
for (const P of [[0, 1, -1, 2, -2], [0, 1, -1, 0.5, -0.5], [0, 1, -1, 0.5, -2], [0, 1, -1, 2, -0.5]]) {
  const [BT, G, AT] = toom(P);
  console.log(JSON.stringify(P), 'F(4,3)', err(wino(4, BT, G, AT)).toExponential(2));
}
