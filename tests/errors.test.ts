// Every class of bad input: each must throw (or reject with) an AutoencoderError, a plain Error and
// never a WebAssembly.RuntimeError, whose message says what is wrong and what to do, and the
// model must be exactly as before the failed call (same save() bytes, same scores) and usable.
import { describe, expect, it } from 'vitest';
import * as api from 'autoencoder';
import { Autoencoder, AutoencoderError, type FitOptions } from 'autoencoder';
import { flat, lowRank, parseFile, toRows, uniform } from './data.js';
import { caught, rejected, expectMessage } from './helpers.js';

const parseHeaderOf = (ae: Autoencoder) => parseFile(ae.save()).header as { normalizerFitted: boolean };

const D = 5;
const x = Float32Array.from(lowRank(60, D, 1, { scale: 2, offset: 1 }));
const probe = Float32Array.from(lowRank(9, D, 2));


/** A trained, calibrated model and a snapshot of everything observable about it. */
async function trained(spec: Partial<Parameters<typeof Autoencoder.create>[0]> = {}) {
  const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], normalize: 'standard', seed: 3, ...spec });
  await ae.fit(x, { epochs: 3 });
  ae.calibrate(x);
  return ae;
}
function snapshot(ae: Autoencoder) {
  return { bytes: ae.save(), score: ae.score(probe), thr: ae.threshold, weights: flat(ae.getWeights()) };
}
/** The model is as it was and still works. */
function expectUnchanged(ae: Autoencoder, before: ReturnType<typeof snapshot>): void {
  const now = snapshot(ae);
  expect(now.bytes).toEqual(before.bytes);
  expect(now.score).toEqual(before.score);
  expect(now.thr).toBe(before.thr);
  expect(now.weights).toEqual(before.weights);
}

// ---- data shapes ----------------------------------------------------------------------------------

describe('bad data', () => {
  const methods = ['encode', 'reconstruct', 'score', 'calibrate', 'detect'] as const;

  it('a number[][] row of the wrong length names the row and both lengths', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const rows = toRows(probe, D);
    rows[2] = [1, 2, 3, 4, 5, 6];
    for (const m of methods) {
      expectMessage(caught(() => ae[m](rows)), /x row 2 has 6 values but the model expects 5/);
      expectUnchanged(ae, before);
    }
    expectMessage(caught(() => ae.score([[1, 2, 3]])), /x row 0 has 3 values but the model expects 5/);
    expectMessage(await rejected(() => ae.fit(rows)), /x row 2 has 6 values/);
    expectMessage(caught(() => ae.decode([[1, 2, 3]])), /z row 0 has 3 values but the model expects 2/);
    expectUnchanged(ae, before);
  });

  it('a flat typed array whose length is not a multiple of inputDim', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    for (const bad of [new Float32Array(12), new Float64Array(7), new Float32Array(4)]) {
      for (const m of methods) {
        expectMessage(caught(() => ae[m](bad)), new RegExp(`x has ${bad.length} values, not a multiple of the row width 5`), /rows x 5 values, row-major/);
      }
      expectMessage(await rejected(() => ae.fit(bad)), /not a multiple of the row width 5/);
    }
    expectMessage(caught(() => ae.decode(new Float32Array(5))), /z has 5 values, not a multiple of the row width 2/);
    expectUnchanged(ae, before);
  });

  it('NaN anywhere in a Float32Array: the message names its row and column (every position, SIMD body and tail)', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const rows = 7;
    for (let i = 0; i < rows * D; i++) {
      const bad = Float32Array.from(uniform(rows * D, i));
      bad[i] = NaN;
      const [r, c] = [Math.floor(i / D), i % D];
      expectMessage(caught(() => ae.score(bad)), new RegExp(`x has NaN at row ${r}, column ${c}: values must be finite`), /drop or impute/);
    }
    expectUnchanged(ae, before);
  });

  it('Infinity, -Infinity and float32-overflowing values in every input form', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const rows = toRows(probe, D);
    rows[3]![1] = Infinity;
    expectMessage(caught(() => ae.encode(rows)), /x has Infinity at row 3, column 1/);
    const f64 = Float64Array.from(probe);
    f64[4 * D + 4] = -Infinity;
    expectMessage(caught(() => ae.reconstruct(f64)), /x has -Infinity at row 4, column 4/);
    const big = toRows(probe, D);
    big[0]![2] = 1e39; // finite as a JS number, Infinity as float32
    expectMessage(caught(() => ae.score(big)), /x has 1e\+39 at row 0, column 2: values must be finite float32 numbers/);
    const f64big = Float64Array.from(probe);
    f64big[8 * D] = -3e38 * 10;
    expectMessage(caught(() => ae.score(f64big)), /x has -3e\+39 at row 8, column 0/);
    expectMessage(caught(() => ae.decode([[0, NaN]])), /z has NaN at row 0, column 1/);
    const strings = toRows(probe, D) as unknown as string[][];
    strings[1]![3] = 'abc';
    expectMessage(caught(() => ae.score(strings as unknown as number[][])), /x has a string "abc" at row 1, column 3: values must be numbers/);
    const nulls = toRows(probe, D) as unknown as (number | null)[][];
    nulls[2]![0] = null; // a typed-array copy would turn null into 0 silently
    expectMessage(caught(() => ae.score(nulls as number[][])), /x has null at row 2, column 0/);
    expectUnchanged(ae, before);
  });

  it('NaN in fit\'s x or target, and a target of the wrong shape', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const badX = x.slice();
    badX[17 * D + 2] = NaN;
    expectMessage(await rejected(() => ae.fit(badX)), /x has NaN at row 17, column 2/);
    const badT = x.slice();
    badT[33 * D + 0] = NaN;
    expectMessage(await rejected(() => ae.fit(x, { target: badT })), /target has NaN at row 33, column 0/, /drop or impute/);
    expectMessage(await rejected(() => ae.fit(x, { target: x.subarray(0, 10 * D) })), /target has 10 rows but x has 60: pass one target row per input row/);
    expectMessage(await rejected(() => ae.fit(x, { target: toRows(x, D).map((r) => r.slice(1)) })), /target row 0 has 4 values but the model expects 5/);
    expectUnchanged(ae, before);
  });

  it('empty data', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    for (const empty of [[], new Float32Array(0), new Float64Array(0)]) {
      for (const m of methods) expectMessage(caught(() => ae[m](empty)), /x is empty: pass at least one row of 5 values/);
      expectMessage(await rejected(() => ae.fit(empty)), /x is empty/);
    }
    expectMessage(caught(() => ae.decode([])), /z is empty: pass at least one row of 2 values/);
    expectUnchanged(ae, before);
  });

  it('input that is not an array or typed array of rows', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    for (const [bad, got] of [[null, 'null'], [undefined, 'undefined'], ['1,2,3,4,5', 'a string "1,2,3,4,5"'], [42, '42'], [{ length: 5 }, 'an object'], [NaN, 'NaN'], [new Map(), 'a Map']] as const) {
      for (const m of methods) {
        expectMessage(caught(() => ae[m](bad as never)), new RegExp(`x must be a Float32Array, Float64Array or number\\[\\]\\[\\] \\(rows x 5\\), got ${got}`));
      }
      expectMessage(await rejected(() => ae.fit(bad as never)), /x must be a Float32Array, Float64Array or number\[\]\[\]/);
    }
    expectUnchanged(ae, before);
  });

  it('other typed arrays: the hint Float32Array.from(x) where it gives the values (an Int32Array), none for a DataView (it would give an empty array)', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const ints = new Int32Array(10).fill(1), view = new DataView(new ArrayBuffer(40));
    expect(Float32Array.from(ints)).toHaveLength(10);
    expect(Float32Array.from(view as never)).toHaveLength(0);
    for (const m of methods) {
      expectMessage(caught(() => ae[m](ints as never)), /x must be a Float32Array, Float64Array or number\[\]\[\], got an Int32Array: pass Float32Array\.from\(x\)$/);
      expectMessage(caught(() => ae[m](view as never)), /x must be a Float32Array, Float64Array or number\[\]\[\], got a DataView$/);
      expectMessage(caught(() => ae[m]([view] as never)), /x row 0 is a DataView: pass rows as number\[\], Float32Array or Float64Array$/);
    }
    expectMessage(caught(() => ae.setWeights(ae.getWeights().map((w, i) => (i ? w : new DataView(w.buffer))) as never)), /got a DataView$/);
    expectUnchanged(ae, before);
  });

  it('a flat number[] instead of rows says to wrap a single row', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    for (const m of methods) {
      expectMessage(caught(() => ae[m]([1, 2, 3, 4, 5] as never)), /x must be an array of rows \(number\[\]\[\]\); row 0 is a number \(1\)/, /wrap it: \[row\]/);
    }
    expectMessage(caught(() => ae.score([[1, 2, 3, 4, 5], null] as never)), /row 1 is null/);
    expectMessage(await rejected(() => ae.fit([1, 2, 3, 4, 5] as never)), /array of rows/);
    expectUnchanged(ae, before);
  });
});

// ---- spec and options ------------------------------------------------------------------------------

describe('bad spec and options', () => {
  const ACTS = ['linear', 'relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid'];
  const listsAll = (names: string[]) => new RegExp(`use one of ${names.map((n) => `(?=.*\\b${n}\\b)`).join('')}`);

  it('unknown activation / loss / normalize names list the valid ones', async () => {
    for (const key of ['activation', 'latentActivation', 'outputActivation'] as const) {
      const e = await rejected(() => Autoencoder.create({ inputDim: 4, [key]: 'gelu' } as never));
      expectMessage(e, new RegExp(`unknown ${key} "gelu"`), listsAll(ACTS));
    }
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, loss: 'rmse' } as never)), /unknown loss "rmse"/, listsAll(['mse', 'mae', 'bce']));
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, normalize: 'zscore' } as never)), /unknown normalize "zscore"/, listsAll(['none', 'standard', 'minmax']));
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, activation: 'ReLU' } as never)), /unknown activation "ReLU"/);
  });

  it('unknown optimizer names list the valid ones; the model is untouched', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    expectMessage(await rejected(() => ae.fit(x, { optimizer: 'rmsprop' } as never)), /unknown optimizer "rmsprop"/, listsAll(['sgd', 'momentum', 'adam', 'adamw']));
    expectUnchanged(ae, before);
  });

  it('the exported name lists cannot be changed (a pushed name would pass the checks), and defaultLayers() checks its count', async () => {
    const lists = { ACTIVATIONS: ACTS, LOSSES: ['mse', 'mae', 'bce'], NORMALIZERS: ['none', 'standard', 'minmax'], OPTIMIZERS: ['sgd', 'momentum', 'adam', 'adamw'] } as const;
    for (const [name, names] of Object.entries(lists)) {
      const list = api[name as keyof typeof lists] as unknown as string[];
      expect(list).toEqual(names);
      expect(() => list.push('gelu'), name).toThrow(TypeError);
      expect(() => { list[0] = 'gelu'; }, name).toThrow(TypeError);
      expect(list).toEqual(names);
    }
    expect(() => (api.LAYER_TYPES as unknown as string[]).push('lstm')).toThrow(TypeError);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, activation: 'gelu' } as never)), /unknown activation "gelu"/);
    expectMessage(await rejected(() => Autoencoder.create({ inputShape: [4], encoder: [{ type: 'lstm' }] } as never)), /unknown layer type/);
    // the widths the doc comment gives: hidden = d within [2, 128], latent = round(d / 2) within [1, min(hidden, 32)]
    expect([1, 2, 5, 30, 64, 100, 300].map((d) => api.defaultLayers(d))).toEqual([[2, 1], [2, 1], [5, 3], [30, 15], [64, 32], [100, 32], [128, 32]]);
    for (const d of [0, -1, 2.5, NaN, Infinity, '30', null, undefined, 2 ** 21]) {
      expectMessage(caught(() => api.defaultLayers(d as never)), /^defaultLayers\(\) takes the feature count, which must be an integer from 1 to 1048576, got /);
    }
  });

  it('unknown option keys (typos) name the key and list the valid ones', async () => {
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, activaton: 'tanh' } as never)),
      /unknown option "activaton" in Autoencoder\.create\(\): valid options are .*\bactivation\b/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, layer: [2] } as never)), /unknown option "layer"/, /\blayers\b/);
    const ae = await trained();
    const before = snapshot(ae);
    expectMessage(await rejected(() => ae.fit(x, { epoch: 3 } as never)), /unknown option "epoch" in fit\(\): valid options are .*\bepochs\b/);
    expectMessage(await rejected(() => ae.fit(x, { learning_rate: 0.1 } as never)), /unknown option "learning_rate" in fit\(\)/, /learningRate/);
    expectMessage(await rejected(() => ae.fit(x, { earlyStopping: { patiense: 2 } } as never)), /unknown option "patiense" in earlyStopping: valid options are patience, restoreBest, minDelta/);
    expectMessage(caught(() => ae.calibrate(x, { quantle: 0.9 } as never)), /unknown option "quantle" in calibrate\(\): valid options are quantile, contamination, max/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4 }, { module: null } as never)), /unknown option "module" in create\/load options: valid options are wasm/);
    expectUnchanged(ae, before);
  });

  it('out-of-range or non-integer numbers in the spec', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ inputDim: 0 }, /inputDim must be an integer from 1 to \d+, got 0/],
      [{ inputDim: 2.5 }, /inputDim must be an integer from 1 to \d+, got 2\.5/],
      [{}, /inputDim must be an integer from 1 to \d+, got undefined/],
      [{ inputDim: '8' }, /inputDim must be an integer .*got a string "8"/],
      [{ inputDim: 8, layers: [4.5, 2] }, /layers\[0\] must be an integer from 1 to \d+, got 4\.5/],
      [{ inputDim: 8, layers: [4, 0] }, /layers\[1\] must be an integer from 1 to \d+, got 0/],
      [{ inputDim: 8, layers: [] }, /layers must be a non-empty array of encoder widths such as \[16, 8\], got \[\]/],
      [{ inputDim: 8, layers: 4 }, /layers must be a non-empty array/],
      [{ inputDim: 8, seed: -1 }, /seed must be an integer from 0 to 4294967295, got -1/],
      [{ inputDim: 8, seed: 1.5 }, /seed must be an integer/],
    ];
    for (const [spec, re] of cases) expectMessage(await rejected(() => Autoencoder.create(spec as never)), re);
    expectMessage(await rejected(() => Autoencoder.create(null as never)), /Autoencoder\.create\(\) needs a spec object such as \{ inputDim: 30 \}/);
    expectMessage(await rejected(() => Autoencoder.create(30 as never)), /needs a spec object/);
  });

  it('out-of-range or non-integer numbers in fit options; the model is untouched', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const cases: [FitOptions, RegExp][] = [
      [{ epochs: 0 }, /epochs must be an integer from 1 to \d+, got 0/],
      [{ epochs: 2.5 }, /epochs must be an integer .*got 2\.5/],
      [{ batchSize: 0 }, /batchSize must be an integer from 1 to \d+, got 0/],
      [{ batchSize: -8 }, /batchSize must be an integer .*got -8/],
      [{ validationSplit: 1 }, /validationSplit must be a number from 0 to 0\.9, got 1/],
      [{ validationSplit: -0.1 }, /validationSplit must be a number from 0 to 0\.9, got -0\.1/],
      [{ learningRate: -0.001 }, /learningRate must be a number from 0 to \d+, got -0\.001/],
      [{ learningRate: NaN }, /learningRate must be a number .*got NaN/],
      [{ learningRate: '0.1' as never }, /learningRate must be a number .*got a string "0\.1"/],
      [{ noise: -1 }, /noise must be a number from 0 to \d+, got -1/],
      [{ momentum: 1.5 }, /momentum must be a number from 0 to 1, got 1\.5/],
      [{ beta1: 1 }, /beta1 must be a number from 0 to 0\.999999, got 1/],
      [{ earlyStopping: { patience: 0 } }, /earlyStopping\.patience must be an integer from 1 to \d+, got 0/],
      [{ earlyStopping: { minDelta: -1 } }, /earlyStopping\.minDelta must be a number from 0 .*got -1/],
      [{ earlyStopping: true as never }, /earlyStopping must be false or an object such as \{ patience: 5, restoreBest: true \}/],
      [{ onEpoch: 'log' as never }, /onEpoch must be a function/],
    ];
    for (const [opts, re] of cases) {
      expectMessage(await rejected(() => ae.fit(x, opts)), re);
      expectUnchanged(ae, before);
    }
    expectMessage(await rejected(() => ae.fit(x, 5 as never)), /fit\(\) options must be an object such as \{ epochs: 50 \}/);
    expectMessage(await rejected(() => ae.fit(x, null as never)), /fit\(\) options must be an object/);
    expectUnchanged(ae, before);
  });

  it('a huge learningRate is refused up front with its allowed range', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    expectMessage(await rejected(() => ae.fit(x, { learningRate: 1e6, optimizer: 'sgd' })), /learningRate must be a number from 0 to 1000, got 1000000/);
    expectUnchanged(ae, before);
  });

  it('bce with a non-sigmoid output activation', async () => {
    for (const outputActivation of ['linear', 'relu', 'tanh'] as const) {
      expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4, loss: 'bce', outputActivation })),
        new RegExp(`loss 'bce' needs outputActivation 'sigmoid' .*got '${outputActivation}'`));
    }
  });

  it('bce with targets outside [0, 1] names the row, column and value and suggests minmax; nothing changes', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], loss: 'bce', seed: 3 });
    const ok = Float32Array.from(uniform(40 * D, 9));
    await ae.fit(ok, { epochs: 2 });
    const before = snapshot(ae);
    const bad = ok.slice();
    bad[12 * D + 3] = 1.5;
    expectMessage(await rejected(() => ae.fit(bad)), /loss 'bce' needs targets in \[0, 1\], but row 12, column 3 is 1\.5: scale the data to \[0, 1\] \(normalize: 'minmax'\) or use loss 'mse'/);
    const badT = ok.slice();
    badT[5 * D] = -0.25;
    expectMessage(await rejected(() => ae.fit(ok, { target: badT })), /row 5, column 0 is -0\.25/);
    expectUnchanged(ae, before);
  });

  it('bce + standard: targets outside [0, 1] after normalization; the first fit\'s normalizer is rolled back', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], loss: 'bce', normalize: 'standard', seed: 3 });
    const before = ae.save();
    const data = Float32Array.from(uniform(40 * D, 9));
    expectMessage(await rejected(() => ae.fit(data)), /loss 'bce' needs targets in \[0, 1\], but row \d+, column \d+ is -?[\d.]+ after normalization/, /normalize: 'minmax'/);
    expect(ae.save()).toEqual(before); // normalizer unfitted again, weights as created
    expect(parseHeaderOf(ae).normalizerFitted).toBe(false);
  });

  it('bce + minmax (the remedy the message suggests) works with the default validation split, even where validation rows exceed the training range', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], loss: 'bce', normalize: 'minmax', seed: 3 });
    const data = Float32Array.from(uniform(40 * D, 9));
    data[39 * D + 1] = 2; // a validation row far beyond the training rows' max
    const h = await ae.fit(data, { epochs: 2 });
    expect(h.loss.every(Number.isFinite)).toBe(true);
  });

  it('a validationSplit that leaves no training or no validation rows', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    expectMessage(await rejected(() => ae.fit(probe.subarray(0, D))), /validationSplit 0\.1 of 1 rows leaves no training rows: pass more rows or a smaller validationSplit/);
    expectMessage(await rejected(() => ae.fit(probe.subarray(0, 3 * D), { validationSplit: 1e-17 })), /leaves no validation rows: pass more rows or validationSplit: 0/);
    expectUnchanged(ae, before);
    await ae.fit(probe.subarray(0, D), { validationSplit: 0, epochs: 1 }); // one row is fine without a split
  });
});

// ---- calibrate / detect / threshold ----------------------------------------------------------------------

describe('calibrate, detect and threshold misuse', () => {
  it('detect before calibrate says to calibrate first', async () => {
    const ae = await Autoencoder.create({ inputDim: D, seed: 3 });
    await ae.fit(x, { epochs: 1 });
    const bytes = ae.save();
    expectMessage(caught(() => ae.detect(probe)), /no threshold yet: call calibrate\(normalRows\) first, or set model\.threshold/);
    expect(ae.save()).toEqual(bytes);
  });

  it('calibrate with two options, none, or bad values', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    expectMessage(caught(() => ae.calibrate(x, { quantile: 0.9, contamination: 0.1 } as never)), /calibrate\(\) takes one of quantile, contamination or max \(none: quantile 0\.99\), got quantile and contamination/);
    expectMessage(caught(() => ae.calibrate(x, { quantile: 0.9, max: true } as never)), /got quantile and max/);
    // none of the three: the default quantile, as with no options (and as { by } alone)
    const thr0 = ae.threshold;
    expect(ae.calibrate(x, {})).toBe(ae.calibrate(x, { quantile: 0.99 }));
    ae.threshold = thr0;
    expectMessage(caught(() => ae.calibrate(x, { max: false } as never)), /calibrate\(\{ max \}\) takes max: true/);
    expectMessage(caught(() => ae.calibrate(x, { quantile: 1.5 })), /quantile must be a number from 0 to 1, got 1\.5/);
    expectMessage(caught(() => ae.calibrate(x, { contamination: -0.1 })), /contamination must be a number from 0 to 1, got -0\.1/);
    expectMessage(caught(() => ae.calibrate(x, 0.99 as never)), /calibrate\(\) options must be \{ quantile \}, \{ contamination \} or \{ max: true \}/);
    expectMessage(caught(() => ae.calibrate(x, null as never)), /calibrate\(\) options must be/);
    expectMessage(caught(() => { ae.threshold = NaN; }), /threshold \(a float32\) must be a number .*got NaN/);
    expectMessage(caught(() => { ae.threshold = '0.5' as never; }), /threshold \(a float32\) must be a number .*got a string "0\.5"/);
    expectUnchanged(ae, before);
  });
});

// ---- weights ------------------------------------------------------------------------------------------

describe('setWeights misuse leaves the weights unchanged', () => {
  it('wrong count, wrong sizes, non-arrays, NaN / Infinity', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const ws = ae.getWeights(); // [W1 5x4, b1 4, W2 4x2, b2 2, W3 2x4, b3 4, W4 4x5, b4 5]
    expectMessage(caught(() => ae.setWeights(ws.slice(1))), /setWeights\(\) needs 8 arrays \[W1, b1, \.\.\.\] as getWeights\(\) returns, got 7/);
    expectMessage(caught(() => ae.setWeights([...ws, ws[0]!])), /needs 8 arrays .*got 9/);
    expectMessage(caught(() => ae.setWeights('weights' as never)), /needs 8 arrays .*got a string "weights"/);
    const short = ws.map((w) => w.slice());
    short[2] = short[2]!.slice(1);
    expectMessage(caught(() => ae.setWeights(short)), /setWeights\(\): W2 \(index 2\) needs 8 values \(4 x 2, \[in\]\[out\]\), got 7/);
    const longB = ws.map((w) => w.slice());
    longB[7] = new Float32Array(6);
    expectMessage(caught(() => ae.setWeights(longB)), /setWeights\(\): b4 \(index 7\) needs 5 values, got 6/);
    const nul = ws.map((w) => w.slice()) as unknown[];
    nul[0] = null;
    expectMessage(caught(() => ae.setWeights(nul as never)), /W1 \(index 0\) needs 20 values .*got null/);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const withBad = ws.map((w) => w.slice());
      withBad[5]![3] = bad; // b3[3]
      expectMessage(caught(() => ae.setWeights(withBad)), new RegExp(`setWeights\\(\\): b3 \\(getWeights\\(\\)\\[5\\]\\) value 3 is ${bad}: weights must be finite float32 numbers`));
    }
    expectUnchanged(ae, before);
  });
});

// ---- fit lifecycle --------------------------------------------------------------------------------------

describe('fit lifecycle errors', () => {
  it('fit() while another fit() runs on the same model rejects; the running fit is unaffected', async () => {
    const ref = await trained();
    const hRef = await ref.fit(x, { epochs: 4, earlyStopping: false });

    const ae = await trained();
    let second: Error | null = null;
    const h = await ae.fit(x, {
      epochs: 4, earlyStopping: false,
      onEpoch: async ({ epoch }) => { if (epoch === 2) second = await rejected(() => ae.fit(x, { epochs: 1 })); },
    });
    expectMessage(second, /fit\(\) is running: fit\(\) would change the model while it trains; await the running fit\(\) before calling fit\(\) again/);
    expect(h.loss).toEqual(hRef.loss);
    expect(ae.save()).toEqual(ref.save());
  });

  it('two fits started without awaiting: the second rejects, the first completes', async () => {
    const ae = await trained();
    const first = ae.fit(x, { epochs: 3, onEpoch: () => new Promise((r) => setTimeout(r, 1)) });
    const e = await rejected(() => ae.fit(x, { epochs: 1 }));
    expectMessage(e, /fit\(\) is running/);
    expect((await first).epochs).toBe(3);
  });

  it('dispose() from onEpoch: fit rejects saying the model was disposed, and the model stays disposed', async () => {
    const ae = await trained();
    const e = await rejected(() => ae.fit(x, { epochs: 10, onEpoch: ({ epoch }) => { if (epoch === 2) ae.dispose(); } }));
    expectMessage(e, /the model was disposed during fit\(\)/);
    expectMessage(caught(() => ae.score(probe)), /this Autoencoder was disposed: create\(\) or load\(\) a new one/);
    expectMessage(await rejected(() => ae.fit(x)), /disposed/);
  });

  it('an onEpoch that throws: fit rejects with that error and the weights and normalizer are put back', async () => {
    // a first fit: the normalizer it fitted must be rolled back too
    const fresh = await Autoencoder.create({ inputDim: D, layers: [4, 2], normalize: 'standard', seed: 3 });
    const freshBytes = fresh.save();
    const boom = new Error('callback failed');
    const e1 = await rejected(() => fresh.fit(x, { epochs: 5, onEpoch: ({ epoch }) => { if (epoch === 3) throw boom; } }));
    expect(e1).toBe(boom);
    expect(fresh.save()).toEqual(freshBytes);

    const ae = await trained();
    const before = snapshot(ae);
    const e2 = await rejected(() => ae.fit(x, { epochs: 5, onEpoch: async () => { throw new TypeError('async callback failed'); } }));
    expect(e2).toBeInstanceOf(TypeError);
    expect(e2.message).toBe('async callback failed');
    expectUnchanged(ae, before);
    // and the model trains normally afterwards
    const h = await ae.fit(x, { epochs: 2 });
    expect(h.epochs).toBe(2);
  });

  it('divergence (sgd, the largest learningRate, big unnormalized data): a clear "diverged" error, weights put back', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], seed: 3 });
    const huge = Float32Array.from(lowRank(60, D, 5, { scale: 1e4, offset: 1e4 }));
    await ae.fit(huge, { epochs: 1, learningRate: 0 });
    const before = snapshot(ae);
    const e = await rejected(() => ae.fit(huge, { optimizer: 'sgd', learningRate: 1000, epochs: 20 }));
    expectMessage(e, /training diverged at epoch \d+ \(loss (NaN|-?Infinity)\)/, /lower learningRate \(now 1000\)/, /normalize: 'standard'/, /weights are as they were before fit\(\)/);
    expectUnchanged(ae, before);
  });

  it('a validation row far outside the training rows: its own error (not "diverged"), weights put back; without that row it trains', async () => {
    // 59 ordinary rows, then one of 1e20s: the last 10% (6 rows) validate, and under the training rows'
    // standard scaling that row's squared error passes float32's range while the training rows' loss stays small
    const far = Float32Array.from(x);
    far.fill(1e20, 59 * D);
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], normalize: 'standard', seed: 3 });
    await ae.fit(x, { epochs: 1, learningRate: 0 });
    const before = snapshot(ae);
    const e = await rejected(() => ae.fit(far, { epochs: 3, validationSplit: 0.1 }));
    expectMessage(e, /^the validation loss is Infinity at epoch 1, the training rows' [\d.]+: /, /validation: x's last 6 rows/, /validationSplit: 0/, /weights are as they were before fit\(\)/);
    expect((e as Error).message).not.toMatch(/diverged|learningRate/);
    expectUnchanged(ae, before);
    // the remedy the message names: without the far row, the same split trains with finite losses
    const h = await ae.fit(far.subarray(0, 59 * D), { epochs: 3, validationSplit: 0.1 });
    for (const l of [...h.loss, ...h.valLoss]) expect(Number.isFinite(l)).toBe(true);
  });

  it('divergence with a validation split is still "diverged" (the training rows\' loss overflows too)', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], seed: 3 });
    const huge = Float32Array.from(lowRank(60, D, 5, { scale: 1e4, offset: 1e4 }));
    const e = await rejected(() => ae.fit(huge, { optimizer: 'sgd', learningRate: 1000, epochs: 20, validationSplit: 0.2 }));
    expectMessage(e, /training diverged at epoch \d+/, /lower learningRate \(now 1000\)/);
  });

  it('divergence on a first fit also rolls back the normalizer', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], normalize: 'minmax', seed: 3 });
    const bytes = ae.save();
    const e = await rejected(() => ae.fit(x, { optimizer: 'sgd', learningRate: 1000, epochs: 20 }));
    expectMessage(e, /training diverged/, /lower learningRate \(now 1000\); the weights are as they were before fit\(\)$/);
    // (a model that normalizes is not told to normalize)
    expect((e as Error).message).not.toMatch(/normalize the inputs/);
    expect(ae.save()).toEqual(bytes);
  });
});

// ---- the wasm option ------------------------------------------------------------------------------------

describe('the wasm option', () => {
  it('{ wasm: "not a module" } is refused with what to pass', async () => {
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4 }, { wasm: 'not a module' } as never)),
      /the wasm option must be a WebAssembly\.Module \(compile build\/kernels\.wasm with WebAssembly\.compile first\)/);
    const bytes = (await Autoencoder.create({ inputDim: 4 })).save();
    expectMessage(await rejected(() => Autoencoder.load(bytes, { wasm: new Uint8Array(8) } as never)), /the wasm option must be a WebAssembly\.Module/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4 }, 'wasm' as never)), /the second argument must be an options object such as \{ wasm: module \}/);
  });

  it('a WebAssembly.Module that is not kernels.wasm is refused with a clear error', async () => {
    const empty = await WebAssembly.compile(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const e = await rejected(() => Autoencoder.create({ inputDim: 4 }, { wasm: empty }));
    expectMessage(e, /wasm/, /kernels\.wasm/);
  });
});

describe('the minified Node entry (dist/bindings/node.js)', () => {
  it("an uncaught error prints the throw's source line, a short one: the entry keeps its lines under 200 characters", async () => {
    // Node prints the line an uncaught error was thrown on; the entry on one line printed all 124 KB of it
    const { spawnSync } = await import('node:child_process');
    const root = new URL('..', import.meta.url).pathname;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import { Autoencoder } from 'autoencoder'; const ae = await Autoencoder.create({ inputDim: 3 }); ae.score([1, 2, 3]);"],
      { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('AutoencoderError: x must be an array of rows (number[][]); row 0 is a number (1); for a single row, wrap it: [row]');
    expect(r.stderr).toMatch(/dist\/bindings\/node\.js:\d+\n/);
    expect(r.stderr.length, r.stderr.slice(0, 500)).toBeLessThan(3000);
    expect(Math.max(...r.stderr.split('\n').map((l) => l.length))).toBeLessThan(400);
  });

  it('the minified entry keeps the public names: each exported function and class is named as it is exported, and a model passed as data is described by its class', async () => {
    // dist/bindings/node.js is minified without esbuild's keepNames (tools/build.mjs), so bindings/node.ts names
    // its exports itself; an export added without a name there would read as its minified local name
    // (vitest resolves 'autoencoder' to the sources, so the built file is imported by its path)
    const core = await import(new URL('../dist/bindings/node.js', import.meta.url).href) as typeof import('autoencoder');
    const fns = Object.entries(core).filter(([, v]) => typeof v === 'function');
    expect(fns.length).toBeGreaterThanOrEqual(10);
    for (const [name, v] of fns) expect((v as { name: string }).name, name).toBe(name);
    const ae = await core.Autoencoder.create({ inputDim: 3 });
    expect(ae.constructor.name).toBe('Autoencoder');
    // (the built file's own AutoencoderError, not the sources' that expectMessage() knows)
    const e1 = caught(() => ae.score(ae as never));
    expect(e1).toBeInstanceOf(core.AutoencoderError);
    expect((e1 as Error).message).toMatch(/got an Autoencoder$/);
    const lite = await core.AutoencoderLite.load(ae.save());
    const e2 = await rejected(() => ae.fit(lite as never));
    expect(e2).toBeInstanceOf(core.AutoencoderError);
    expect((e2 as Error).message).toMatch(/got an AutoencoderLite$/);
  });
});
