// Proves the float64 reference in tests/ref/ against the math itself: central finite
// differences for every derivative/gradient, plus hand-computed values and known properties
// for quantile, ROC AUC, optimizers, normalizers and the stratified split.
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS, LOSSES, actBackwardFromOutput, actDerivative, actForward, adamStep, adamwStep,
  applyMinMax, applyStandard, aucRoc, bceSigmoidGradZ, denseBackward, denseForward, fitMinMax,
  fitStandard, invertMinMax, invertStandard, lossGrad, lossValue, momentumStep, netForward,
  netLossAndGrads, quantile, rowScores, sgdStep, stratifiedSplit, type RefNet,
} from './ref/index.js';
import { fdGrad as fdGradH, randArray, rng } from './ref/fd.js';


// ---- finite differences ----------------------------------------------------------------
const EPS = 1e-6;
const fdGrad = (f: () => number, x: Float64Array) => fdGradH(f, x, EPS);
const RTOL = 1e-6;
const ATOL = 1e-10;

/** Worst violation of |a-b| <= RTOL*max(|a|,|b|) + ATOL, as a ratio (<= 1 passes). */
function worst(analytic: ArrayLike<number>, numeric: ArrayLike<number>, rtol = RTOL): number {
  expect(analytic.length).toBe(numeric.length);
  let w = 0;
  for (let i = 0; i < analytic.length; i++) {
    const a = analytic[i]!, n = numeric[i]!;
    expect(Number.isFinite(a)).toBe(true);
    const tol = rtol * Math.max(Math.abs(a), Math.abs(n)) + ATOL;
    w = Math.max(w, Math.abs(a - n) / tol);
  }
  return w;
}
function expectGradOk(analytic: ArrayLike<number>, numeric: ArrayLike<number>, rtol = RTOL): void {
  expect(worst(analytic, numeric, rtol)).toBeLessThanOrEqual(1);
}
const sum = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]!; return s; };
const hasKink = (act: string): boolean => act === 'relu' || act === 'leakyRelu' || act === 'elu';

describe('finite-difference checker', () => {
  it('rejects a gradient that is off by 0.01%', () => {
    const r = rng(7);
    const p = randArray(r, 20, -2, 2), t = randArray(r, 20, -2, 2);
    const fd = fdGrad(() => lossValue('mse', p, t), p);
    const good = lossGrad('mse', p, t);
    expect(worst(good, fd)).toBeLessThanOrEqual(1);
    const bad = good.map((v) => v * 1.0001);
    expect(worst(bad, fd)).toBeGreaterThan(1);
  });
});

// ---- activations -------------------------------------------------------------------------
describe('activations', () => {
  it('known values', () => {
    expect(actForward('relu', -2)).toBe(0);
    expect(actForward('relu', 3)).toBe(3);
    expect(actForward('leakyRelu', -2)).toBeCloseTo(-0.02, 15);
    expect(actForward('elu', -1)).toBeCloseTo(Math.exp(-1) - 1, 15);
    expect(actForward('sigmoid', 0)).toBe(0.5);
    expect(actForward('sigmoid', -800)).toBeGreaterThanOrEqual(0);
    expect(actForward('sigmoid', 800)).toBe(1);
    expect(actForward('tanh', 0.5)).toBeCloseTo(Math.tanh(0.5), 15);
    expect(actForward('linear', -1.25)).toBe(-1.25);
    expect(() => actForward('gelu', 1)).toThrow();
  });

  it.each(ACTIVATIONS.map((a) => [a]))('%s: derivative matches central differences, from input and from output', (act) => {
    const r = rng(101 + act.length);
    const zs: number[] = [];
    while (zs.length < 200) {
      const z = r(-5, 5);
      if (hasKink(act) && Math.abs(z) <= 1e-3) continue;
      zs.push(z);
    }
    const analyticIn = zs.map((z) => actDerivative(act, z));
    const analyticOut = zs.map((z) => actBackwardFromOutput(act, actForward(act, z)));
    const numeric = zs.map((z) => (actForward(act, z + EPS) - actForward(act, z - EPS)) / (2 * EPS));
    expectGradOk(analyticIn, numeric);
    expectGradOk(analyticOut, numeric, 1e-5);
  });
});

// ---- losses -----------------------------------------------------------------------------
describe('losses', () => {
  it('hand-computed values', () => {
    expect(lossValue('mse', [1, 2], [0, 0])).toBe(2.5);
    expect(lossValue('mae', [1, -2], [0, 0])).toBe(1.5);
    expect(lossValue('bce', [0.5, 0.5], [1, 0])).toBeCloseTo(Math.LN2, 15);
    expect(lossValue('bce', [0], [1])).toBe(100); // log clamped at -100
    expect(lossValue('bce', [1, 0], [1, 0])).toBe(0);
    expect(Array.from(lossGrad('mae', [1, 0, -3], [1, 1, 1]))).toEqual([0, -1 / 3, -1 / 3]);
    expect(Array.from(lossGrad('mse', [1, 0], [0, 0]))).toEqual([1, 0]);
    expect(() => lossValue('mse', [1], [1, 2])).toThrow();
  });

  it.each(LOSSES.map((l) => [l]))('%s: gradient matches central differences', (loss) => {
    const r = rng(202 + loss.length);
    const n = 3 * 7;
    const bce = loss === 'bce';
    const p = randArray(r, n, bce ? 0.05 : -2, bce ? 0.95 : 2);
    const t = randArray(r, n, bce ? 0 : -2, bce ? 1 : 2);
    if (loss === 'mae') for (let i = 0; i < n; i++) expect(Math.abs(p[i]! - t[i]!)).toBeGreaterThan(1e-3);
    const fd = fdGrad(() => lossValue(loss, p, t), p);
    expectGradOk(lossGrad(loss, p, t), fd);
  });

  it('fused sigmoid+bce gradient wrt z matches central differences', () => {
    const r = rng(303);
    const n = 5 * 3;
    const z = randArray(r, n, -3, 3);
    const t = randArray(r, n, 0, 1);
    const pOf = (): number[] => Array.from(z, (v) => actForward('sigmoid', v));
    const fd = fdGrad(() => lossValue('bce', pOf(), t), z);
    expectGradOk(bceSigmoidGradZ(pOf(), t), fd);
    // and it equals the unfused chain dL/dp * p(1-p)
    const p = pOf(), g = lossGrad('bce', p, t);
    expectGradOk(g.map((v, i) => v * actBackwardFromOutput('sigmoid', p[i]!)), bceSigmoidGradZ(p, t), 1e-12);
  });

  it.each(LOSSES.map((l) => [l]))('%s: rowScores are per-row means of the element loss', (loss) => {
    const r = rng(404);
    const rows = 4, cols = 3;
    const p = randArray(r, rows * cols, 0.05, 0.95), t = randArray(r, rows * cols, 0, 1);
    const s = rowScores(loss, p, t, cols);
    expect(s.length).toBe(rows);
    for (let i = 0; i < rows; i++) {
      const want = lossValue(loss, p.subarray(i * cols, (i + 1) * cols), t.subarray(i * cols, (i + 1) * cols));
      expect(s[i]).toBeCloseTo(want, 14);
    }
    expect(sum(s) / rows).toBeCloseTo(lossValue(loss, p, t), 14);
    expect(Array.from(rowScores('mse', [1, 1, 0, 3], [0, 0, 0, 0], 2))).toEqual([1, 4.5]);
  });
});

// ---- dense layer -------------------------------------------------------------------------
describe('dense layer', () => {
  const B = 3, I = 5, O = 7;

  it('forward: hand-computed 1x2 -> 2 case with Keras [I][O] layout', () => {
    // x = [1, 2]; W = [[1, 2], [3, 4]] (row i = input i); b = [0.5, -10]
    const { z, a } = denseForward([1, 2], 1, 2, 2, [1, 2, 3, 4], [0.5, -10], 'relu');
    expect(Array.from(z)).toEqual([7.5, 0]);
    expect(Array.from(a)).toEqual([7.5, 0]);
  });

  it.each(ACTIVATIONS.map((a) => [a]))('%s: backward dX, dW, db match central differences (B=3, I=5, O=7)', (act) => {
    const r = rng(505 + act.length);
    const x = randArray(r, B * I, -1, 1);
    const W = randArray(r, I * O, -1, 1);
    const b = randArray(r, O, -0.5, 0.5);
    const R = randArray(r, B * O, -1, 1); // L = sum(a ⊙ R)  =>  dA = R
    const { z, a } = denseForward(x, B, I, O, W, b, act);
    if (hasKink(act)) for (const v of z) expect(Math.abs(v)).toBeGreaterThan(1e-3);
    const L = (): number => { const out = denseForward(x, B, I, O, W, b, act).a; let s = 0; for (let k = 0; k < out.length; k++) s += out[k]! * R[k]!; return s; };
    const { dX, dW, db, dZ } = denseBackward(x, B, I, O, W, a, R, act);
    expect(dZ.length).toBe(B * O);
    expectGradOk(dX, fdGrad(L, x), 1e-5);
    expectGradOk(dW, fdGrad(L, W), 1e-5);
    expectGradOk(db, fdGrad(L, b), 1e-5);
  });
});

// ---- whole network -----------------------------------------------------------------------
describe('network gradients (3 layers)', () => {
  const cases: Array<[string, string[]]> = [
    ['mse', ['elu', 'tanh', 'linear']],
    ['mse', ['leakyRelu', 'relu', 'sigmoid']],
    ['mae', ['tanh', 'leakyRelu', 'linear']],
    ['bce', ['relu', 'elu', 'sigmoid']], // fused last-layer gradient
  ];
  it.each(cases)('%s with %j: netLossAndGrads matches central differences', (loss, acts) => {
    const r = rng(606 + acts.join().length);
    const sizes = [7, 4, 3, 7], B = 5;
    const params: Float64Array[] = [];
    for (let l = 0; l < 3; l++) {
      params.push(randArray(r, sizes[l]! * sizes[l + 1]!, -0.9, 0.9));
      params.push(randArray(r, sizes[l + 1]!, -0.3, 0.3));
    }
    const net: RefNet = { sizes, acts, params };
    const x = randArray(r, B * 7, -1, 1);
    const target = randArray(r, B * 7, loss === 'bce' ? 0 : -1, 1);
    const outs = netForward(net, x, B);
    expect(outs.map((o) => o.length)).toEqual([B * 4, B * 3, B * 7]);
    if (loss === 'mae') for (let k = 0; k < target.length; k++) expect(Math.abs(outs[2]![k]! - target[k]!)).toBeGreaterThan(1e-4);
    const { loss: value, grads } = netLossAndGrads(net, x, target, B, loss);
    expect(value).toBeCloseTo(lossValue(loss, outs[2]!, target), 14);
    expect(grads.length).toBe(params.length);
    const f = (): number => lossValue(loss, netForward(net, x, B)[2]!, target);
    let nonZero = 0;
    for (let k = 0; k < params.length; k++) {
      expect(grads[k]!.length).toBe(params[k]!.length);
      expectGradOk(grads[k]!, fdGrad(f, params[k]!), 1e-5);
      nonZero += grads[k]!.filter((v) => Math.abs(v) > 1e-6).length;
    }
    expect(nonZero).toBeGreaterThan(params.reduce((s, p) => s + p.length, 0) / 2);
  });
});

// ---- optimizers --------------------------------------------------------------------------
describe('optimizers', () => {
  it('sgd: w - lr*g, inputs untouched', () => {
    const w = new Float64Array([1, -2, 3]), g = new Float64Array([0.5, 0.5, -1]);
    const out = sgdStep(w, g, 0.1);
    expect(Array.from(out)).toEqual([1 - 0.05, -2 - 0.05, 3 + 0.1]);
    expect(Array.from(w)).toEqual([1, -2, 3]);
  });

  it('momentum: constant gradient gives buf_k = g(1-0.9^k)/(1-0.9)', () => {
    let w: Float64Array = new Float64Array([0, 1]);
    let buf: Float64Array = new Float64Array(2);
    const g = [2, -1], lr = 0.01;
    let expected = [0, 1];
    for (let k = 1; k <= 4; k++) {
      ({ w, buf } = momentumStep(w, g, buf, lr, 0.9, k === 1));
      const geo = (1 - 0.9 ** k) / (1 - 0.9);
      expected = expected.map((e, i) => e - lr * g[i]! * geo);
      for (let i = 0; i < 2; i++) {
        expect(buf[i]).toBeCloseTo(g[i]! * geo, 12);
        expect(w[i]).toBeCloseTo(expected[i]!, 12);
      }
    }
  });

  it('adam: first step moves each weight by ~lr*sign(g); constant g keeps doing so', () => {
    const r = rng(707);
    const n = 50, lr = 1e-3;
    let w: Float64Array = randArray(r, n, -1, 1);
    const g = randArray(r, n, -3, 3).map((v) => (Math.abs(v) < 0.01 ? 0.5 : v));
    let m: Float64Array = new Float64Array(n), v: Float64Array = new Float64Array(n);
    const w0 = Float64Array.from(w);
    for (let t = 1; t <= 5; t++) {
      const prev = w;
      ({ w, m, v } = adamStep(w, g, m, v, t, lr));
      for (let i = 0; i < n; i++) {
        const moved = w[i]! - prev[i]!;
        // exact step is -lr*g/(|g| + eps): relative deviation <= eps/|g| <= 1e-6
        expect(Math.abs(moved + lr * Math.sign(g[i]!))).toBeLessThanOrEqual(lr * 2e-6);
      }
    }
    expect(Array.from(w0)).not.toEqual(Array.from(w));
    // a later step after a gradient flip is smaller than lr (m still has old direction)
    const flipped = adamStep(w, g.map((x) => -x), m, v, 6, lr);
    for (let i = 0; i < n; i++) expect(Math.abs(flipped.w[i]! - w[i]!)).toBeLessThan(lr);
  });

  it('adamw: decay w by (1 - lr*wd) before the adam step', () => {
    const w = new Float64Array([2, -4]), g = new Float64Array([1, -1]), lr = 0.01, wd = 0.1;
    const z = new Float64Array(2);
    const out = adamwStep(w, g, z, z, 1, lr, 0.9, 0.999, 1e-8, wd);
    const plain = adamStep(w, g, z, z, 1, lr);
    expect(out.w[0]).toBeCloseTo(2 * (1 - lr * wd) - lr, 9);
    expect(out.w[1]).toBeCloseTo(-4 * (1 - lr * wd) + lr, 9);
    expect(out.w[0]! - plain.w[0]!).toBeCloseTo(-2 * lr * wd, 12);
    expect(Array.from(out.m)).toEqual(Array.from(plain.m));
    expect(Array.from(w)).toEqual([2, -4]);
  });
});

// ---- normalizers -------------------------------------------------------------------------
describe('normalizers', () => {
  // 4 rows x 3 cols; col 2 is constant 0.1 (its float mean is not exactly 0.1)
  const X = [1, 10, 0.1, 2, 10, 0.1, 3, 30, 0.1, 4, 30, 0.1];
  it('standard: population std, constant column -> std 1, invert round-trips', () => {
    const p = fitStandard(X, 4, 3);
    expect(Array.from(p.mean.subarray(0, 2))).toEqual([2.5, 20]);
    expect(p.std[0]).toBeCloseTo(Math.sqrt(1.25), 15); // ddof 0 (ddof 1 would be sqrt(5/3))
    expect(p.std[1]).toBeCloseTo(10, 15);
    expect(p.std[2]).toBe(1);
    const y = applyStandard(X, 4, 3, p);
    expect(y[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 14);
    expect(Math.abs(y[2]!)).toBeLessThan(1e-15);
    const back = invertStandard(y, 4, 3, p);
    for (let i = 0; i < X.length; i++) expect(back[i]).toBeCloseTo(X[i]!, 13);
  });
  it('minmax: range, constant column -> range 1, invert round-trips', () => {
    const p = fitMinMax(X, 4, 3);
    expect(Array.from(p.min)).toEqual([1, 10, 0.1]);
    expect(Array.from(p.range)).toEqual([3, 20, 1]);
    const y = applyMinMax(X, 4, 3, p);
    expect(Array.from(y.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(y.subarray(9, 12))).toEqual([1, 1, 0]);
    const back = invertMinMax(y, 4, 3, p);
    for (let i = 0; i < X.length; i++) expect(back[i]).toBeCloseTo(X[i]!, 14);
  });
});

// ---- metrics -----------------------------------------------------------------------------
describe('quantile (numpy linear)', () => {
  it('hand-computed values on [3, 1, 4, 1, 5] (sorted [1, 1, 3, 4, 5])', () => {
    const v = [3, 1, 4, 1, 5];
    expect(quantile(v, 0)).toBe(1);
    expect(quantile(v, 1)).toBe(5);
    expect(quantile(v, 0.5)).toBe(3);
    expect(quantile(v, 0.25)).toBe(1);
    expect(quantile(v, 0.75)).toBe(4);
    expect(quantile(v, 0.3)).toBeCloseTo(1.4, 14); // pos 1.2 -> 1 + 0.2*(3-1)
    expect(quantile(v, 0.9)).toBeCloseTo(4.6, 14); // pos 3.6 -> 4 + 0.6*(5-4)
    expect(quantile([7], 0.42)).toBe(7);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5, 14);
    expect(Array.from(v)).toEqual([3, 1, 4, 1, 5]); // input not sorted in place
    expect(() => quantile(v, 1.5)).toThrow();
  });
});

describe('aucRoc', () => {
  it('perfect separation = 1, reversed = 0, all tied = 0.5', () => {
    expect(aucRoc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(aucRoc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(aucRoc([3, 3, 3, 3, 3], [0, 1, 0, 1, 1])).toBe(0.5);
    expect(aucRoc([1, 2], [1, 1])).toBeNaN();
  });
  it('hand-computed case with ties', () => {
    // positives {0.35, 0.8, 0.4}, negatives {0.1, 0.4}: pairs won 1+0+1+1+1+0.5 = 4.5 of 6
    expect(aucRoc([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1])).toBeCloseTo(0.75, 15);
  });
  it('equals brute-force pairwise counting on random tied data', () => {
    const r = rng(808);
    const n = 60;
    const scores = Array.from({ length: n }, () => Math.floor(r(0, 8)));
    const labels = Array.from({ length: n }, () => (r() < 0.3 ? 1 : 0));
    let won = 0, pairs = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (labels[i] === 1 && labels[j] === 0) { pairs++; won += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0; }
    }
    expect(pairs).toBeGreaterThan(0);
    expect(aucRoc(scores, labels)).toBeCloseTo(won / pairs, 14);
  });
});

describe('stratifiedSplit', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 === 3 ? 1 : 0)); // 100 ones, 900 zeros
  it('keeps the class ratio and partitions the indices', () => {
    const { train, test } = stratifiedSplit(labels, 0.2, 42);
    expect(test.length).toBe(200);
    expect(train.length).toBe(800);
    expect(test.filter((i) => labels[i] === 1).length).toBe(20);
    expect(train.filter((i) => labels[i] === 1).length).toBe(80);
    const all = [...train, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
  it('is deterministic per seed and differs across seeds', () => {
    const a = stratifiedSplit(labels, 0.2, 42), b = stratifiedSplit(labels, 0.2, 42), c = stratifiedSplit(labels, 0.2, 43);
    expect(a).toEqual(b);
    expect(c.test).not.toEqual(a.test);
    // not just the first indices of each class
    expect(a.test.some((i) => i >= 500)).toBe(true);
  });
});
