// Every class of bad layer-graph spec (inputShape / encoder / decoder) and of bad data for a conv
// model: each must throw (or reject with) an AutoencoderError, never a plain Error or a
// WebAssembly.RuntimeError, whose message says what is wrong and what to do; where a model
// exists it must be exactly as before the failed call (same save() bytes, weights, outputs) and
// still usable (a fit afterwards works).

import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, LAYER_TYPES, type AutoencoderSpec, type LayerSpec } from 'autoencoder';
import { Rng } from './helpers.js';
import { withHeader } from './model-file.js';
import { caught, rejected, expectMessage } from './helpers.js';

const createError = (spec: unknown) => rejected(() => Autoencoder.create(spec as AutoencoderSpec));

const CONV: LayerSpec = { type: 'conv2d', filters: 2, kernel: 3, padding: 'same', activation: 'relu' };
const BASE = {
  inputShape: [8, 8, 1],
  encoder: [CONV, { type: 'maxPool2d' }] as LayerSpec[],
  decoder: [{ type: 'upSampling2d' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }] as LayerSpec[],
};
const SEQ = {
  inputShape: [8, 2],
  encoder: [{ type: 'conv1d', filters: 3, kernel: 3, padding: 'same' }] as LayerSpec[],
  decoder: [{ type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }] as LayerSpec[],
};

describe('bad layer specs', () => {
  it('the base specs are valid (so each failure below is the one change)', async () => {
    await Autoencoder.create(BASE);
    await Autoencoder.create(SEQ);
  });

  it('an unknown layer type lists every valid one', async () => {
    const e = await createError({ ...BASE, encoder: [{ type: 'conv3d', filters: 2, kernel: 3 }] });
    expectMessage(e, /unknown layer type in encoder\[0\] "conv3d": use one of /);
    for (const t of LAYER_TYPES) expect(e.message).toMatch(new RegExp(`\\b${t}\\b`));
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'Conv2D', filters: 1, kernel: 3 }] }), /unknown layer type in decoder\[0\] "Conv2D"/);
    expectMessage(await createError({ ...BASE, encoder: [{ filters: 2, kernel: 3 }] }), /unknown layer type in encoder\[0\]/);
    expectMessage(await createError({ ...BASE, encoder: [null] }), /encoder\[0\] must be a layer object such as \{ type: 'dense', units: 8 \}/);
  });

  it('an unknown key in a layer (filter for filters) names the layer and lists the valid keys', async () => {
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'conv2d', filter: 2, kernel: 3 }] }),
      /unknown option "filter" in encoder\[0\] \(conv2d\): valid options are type, filters, kernel, strides, padding, activation/);
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'upSampling2d', factor: 2 }, BASE.decoder[1]] }),
      /unknown option "factor" in decoder\[0\] \(upSampling2d\): valid options are type, size/);
    // pooling has no activation in Keras
    expectMessage(await createError({ ...BASE, encoder: [CONV, { type: 'maxPool2d', activation: 'relu' }] }),
      /unknown option "activation" in encoder\[1\] \(maxPool2d\): valid options are type, pool, strides, padding/);
  });

  it('missing filters, kernel, units, rate, shape', async () => {
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'conv2d', kernel: 3 }] }), /encoder\[0\] \(conv2d\) filters must be an integer from 1 to \d+, got undefined/);
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'conv2dTranspose', filters: 2 }] }), /encoder\[0\] \(conv2dTranspose\) needs a kernel size, e.g. kernel: 3/);
    expectMessage(await createError({ ...SEQ, decoder: [{ type: 'dense' }] }), /decoder\[0\] \(dense\) units must be an integer from 1 to \d+, got undefined/);
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'dropout' }, CONV] }), /encoder\[0\] \(dropout\) rate must be a number from 0 to 0\.999, got undefined/);
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'flatten' }, { type: 'reshape' }] }), /decoder\[1\] \(reshape\) needs shape, e.g. shape: \[7, 7, 32\]/);
  });

  it('bad padding, activation, strides and kernel arity', async () => {
    expectMessage(await createError({ ...BASE, encoder: [{ ...CONV, padding: 'SAME' }] }), /unknown encoder\[0\] \(conv2d\) padding "SAME": use one of valid, same/);
    expectMessage(await createError({ ...BASE, encoder: [CONV, { type: 'maxPool2d', padding: 'full' }] }), /unknown encoder\[1\] \(maxPool2d\) padding "full": use one of valid, same/);
    expectMessage(await createError({ ...BASE, encoder: [{ ...CONV, activation: 'gelu' }] }), /unknown encoder\[0\] \(conv2d\) activation "gelu": use one of linear, relu, leakyRelu, elu, tanh, sigmoid/);
    expectMessage(await createError({ ...BASE, encoder: [{ ...CONV, strides: [1, 1, 1] }] }), /encoder\[0\] \(conv2d\): strides must be a number or 2 numbers, got \[1,1,1\]/);
    expectMessage(await createError({ ...SEQ, encoder: [{ type: 'conv1d', filters: 2, kernel: [3, 3] }] }), /encoder\[0\] \(conv1d\): kernel must be a number, got \[3,3\]/);
    expectMessage(await createError({ ...BASE, encoder: [{ ...CONV, kernel: 0 }] }), /encoder\[0\] \(conv2d\) kernel\[0\] must be an integer from 1/);
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'dropout', rate: 1 }, CONV] }), /dropout\) rate must be a number from 0 to 0\.999, got 1/);
  });

  it('conv2d on a 2-axis input suggests the 1-D layer or a reshape', async () => {
    const e = await createError({ ...SEQ, encoder: [{ type: 'conv2d', filters: 2, kernel: 3 }] });
    expectMessage(e, /\(conv2d\) needs a 3-axis input \[height, width, channels\] but gets \[8, 2\]/, /1d/, /reshape/);
    const e1 = await createError({ ...BASE, encoder: [{ type: 'conv1d', filters: 2, kernel: 3 }] });
    expectMessage(e1, /\(conv1d\) needs a 2-axis input \[length, channels\] but gets \[8, 8, 1\]/, /2d/, /reshape/);
    expectMessage(await createError({ ...SEQ, encoder: [{ type: 'maxPool2d' }] }), /\(maxPool2d\) needs a 3-axis input/);
    expectMessage(await createError({ ...SEQ, encoder: [{ type: 'upSampling2d' }] }), /\(upSampling2d\) needs a 3-axis input/);
  });

  it('a conv on a 1-axis input suggests only a reshape (no 1-D or 2-D conv takes [features])', async () => {
    // bindings/graph.ts planGraph suggests "use the 2d layer" for conv1d on [8] and "the 1d layer"
    // for conv2d on [8]; neither takes a rank-1 input, only a reshape helps
    const e1 = await createError({ inputShape: [8], encoder: [{ type: 'conv1d', filters: 2, kernel: 3 }], decoder: [{ type: 'flatten' }, { type: 'dense', units: 8 }] });
    expectMessage(e1, /\(conv1d\) needs a 2-axis input \[length, channels\] but gets \[8\]/, /reshape/);
    expect(e1.message).not.toMatch(/2d layer/);
    const e2 = await createError({ inputShape: [8], encoder: [{ type: 'conv2d', filters: 2, kernel: 3 }], decoder: [{ type: 'flatten' }, { type: 'dense', units: 8 }] });
    expectMessage(e2, /\(conv2d\) needs a 3-axis input/, /reshape/);
    expect(e2.message).not.toMatch(/1d layer/);
  });

  it('a kernel or pool too large for \'valid\' padding', async () => {
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'conv2d', filters: 2, kernel: 9 }] }),
      /\(conv2d\): kernel \[9, 9\] with padding 'valid' does not fit its input \[8, 8, 1\]: use padding 'same' or a smaller kernel/);
    expectMessage(await createError({ ...SEQ, encoder: [{ type: 'conv1d', filters: 2, kernel: 9 }] }), /\(conv1d\): kernel \[9\] with padding 'valid' does not fit its input \[8, 2\]/);
    expectMessage(await createError({ ...BASE, encoder: [{ type: 'maxPool2d', pool: 9 }] }), /\(maxPool2d\): pool \[9, 9\] does not fit its input \[8, 8, 1\]/);
    // it fits with 'same'
    await Autoencoder.create({ ...BASE, encoder: [{ type: 'conv2d', filters: 2, kernel: 9, padding: 'same' }], decoder: [BASE.decoder[1]!] });
  });

  it('reshape: size mismatch, a -1 that does not divide, two -1', async () => {
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'flatten' }, { type: 'reshape', shape: [7, 7, 1] }] }),
      /\(reshape\): cannot reshape \[32\] \(32 values\) into \[7, 7, 1\]/);
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'flatten' }, { type: 'reshape', shape: [-1, 5] }] }),
      /\(reshape\): cannot reshape \[32\] \(32 values\) into \[-1, 5\]/);
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'flatten' }, { type: 'reshape', shape: [-1, -1, 1] }] }),
      /\(reshape\): at most one -1 in shape \[-1, -1, 1\]/);
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'reshape', shape: [0, 8, 1] }] }), /decoder\[0\] \(reshape\) shape\[0\] must be an integer from 1/);
  });

  it('shape errors name the layer as the spec does (decoder[1]), not by its index in encoder + decoder', async () => {
    // bindings/graph.ts planGraph numbers layers across encoder + decoder ("layer 3 (reshape)"),
    // while the field checks in resolveLayer say "decoder[1]": the user has no "layer 3"
    const e = await createError({ ...BASE, decoder: [{ type: 'flatten' }, { type: 'reshape', shape: [7, 7, 1] }] });
    expectMessage(e, /decoder\[1\] \(reshape\)/);
  });

  it('the decoder must end with inputShape', async () => {
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'upSampling2d' }, { type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }] }),
      /the decoder ends with shape \[8, 8, 2\] but inputShape is \[8, 8, 1\]: an autoencoder must rebuild its input's shape/);
    expectMessage(await createError({ ...BASE, decoder: [BASE.decoder[1]!] }), /the decoder ends with shape \[4, 4, 1\] but inputShape is \[8, 8, 1\]/);
    expectMessage(await createError({ ...BASE, decoder: [{ type: 'flatten' }, { type: 'dense', units: 64 }] }), /the decoder ends with shape \[64\] but inputShape is \[8, 8, 1\]/);
  });

  it('loss bce needs a sigmoid last layer', async () => {
    expectMessage(await createError({ ...BASE, loss: 'bce' }), /loss 'bce' needs the last decoder layer to use activation 'sigmoid', got 'linear'/);
    expectMessage(await createError({ ...BASE, loss: 'bce', decoder: [BASE.decoder[0]!, { ...BASE.decoder[1]!, activation: 'tanh' }] }), /got 'tanh'/);
    await Autoencoder.create({ ...BASE, loss: 'bce', decoder: [BASE.decoder[0]!, { ...BASE.decoder[1]!, activation: 'sigmoid' }] });
  });

  it('dense-shorthand keys (layers, activation, ...) cannot be mixed with inputShape/encoder/decoder', async () => {
    for (const [k, v] of [['layers', [4, 2]], ['activation', 'relu'], ['latentActivation', 'tanh'], ['outputActivation', 'sigmoid']] as const) {
      expectMessage(await createError({ ...BASE, [k]: v }), new RegExp(`"${k}" belongs to the dense shorthand; with inputShape/encoder/decoder give each layer its own activation`));
    }
    // encoder/decoder without inputShape: say what's missing
    expectMessage(await createError({ inputDim: 64, encoder: BASE.encoder, decoder: BASE.decoder }), /inputShape must be \[features\], \[length, channels\] or \[height, width, channels\], got undefined/);
  });

  it('inputDim not matching inputShape; a bad inputShape', async () => {
    expectMessage(await createError({ ...BASE, inputDim: 63 }), /inputDim 63 does not match inputShape \[8, 8, 1\] \(64 values\): leave inputDim out/);
    expect((await Autoencoder.create({ ...BASE, inputDim: 64 })).inputDim).toBe(64);
    expectMessage(await createError({ ...BASE, inputShape: [8, 8, 1, 1] }), /inputShape must be \[features\], \[length, channels\] or \[height, width, channels\], got \[8,8,1,1\]/);
    expectMessage(await createError({ ...BASE, inputShape: [] }), /inputShape must be/);
    expectMessage(await createError({ ...BASE, inputShape: [8, 0, 1] }), /inputShape\[1\] must be an integer from 1/);
    expectMessage(await createError({ ...BASE, inputShape: [8, 8.5, 1] }), /inputShape\[1\] must be an integer/);
  });

  it('empty or missing encoder / decoder', async () => {
    const msg = (n: string) => new RegExp(`${n} must be a non-empty array of layers such as \\[\\{ type: 'conv2d', filters: 16, kernel: 3 \\}\\]`);
    expectMessage(await createError({ ...BASE, encoder: [] }), msg('encoder'));
    expectMessage(await createError({ ...BASE, decoder: [] }), msg('decoder'));
    expectMessage(await createError({ inputShape: BASE.inputShape, encoder: BASE.encoder }), msg('decoder'));
    expectMessage(await createError({ inputShape: BASE.inputShape, decoder: BASE.decoder }), msg('encoder'));
    expectMessage(await createError({ ...BASE, encoder: CONV }), msg('encoder'));
  });
});

// ---- a conv model and bad data: the model is unchanged and usable ---------------------------------

const MODEL = {
  inputShape: [6, 6, 1],
  encoder: [CONV, { type: 'batchNorm' }, { type: 'maxPool2d' }, { type: 'dropout', rate: 0.2 }] as LayerSpec[],
  decoder: [{ type: 'conv2dTranspose', filters: 2, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }] as LayerSpec[],
  seed: 3,
};
const D = 36;
const x = new Rng(1).f32(40 * D, 0, 1);

async function trained(): Promise<Autoencoder> {
  const ae = await Autoencoder.create({ ...MODEL, normalize: 'standard' });
  await ae.fit(x, { epochs: 2, batchSize: 8 });
  ae.calibrate(x);
  return ae;
}
function snapshot(ae: Autoencoder) {
  return { bytes: ae.save(), out: ae.reconstruct(x.subarray(0, 5 * D)), weights: ae.getWeights() };
}
async function expectUnchangedAndUsable(ae: Autoencoder, before: ReturnType<typeof snapshot>): Promise<void> {
  const now = snapshot(ae);
  expect(now.bytes).toEqual(before.bytes);
  expect(now.out).toEqual(before.out);
  expect(now.weights).toEqual(before.weights);
  // still trains (on a copy, so the caller's model stays as it was)
  const copy = await Autoencoder.load(now.bytes);
  const h = await copy.fit(x, { epochs: 1, batchSize: 8 });
  expect(Number.isFinite(h.loss[0])).toBe(true);
}

describe('bad data for a conv model (rows of prod(inputShape) values)', () => {
  const methods = ['encode', 'reconstruct', 'score', 'calibrate', 'detect'] as const;

  it('x whose length is not a multiple of prod(inputShape)', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    for (const bad of [new Float32Array(D - 1), new Float32Array(2 * D + 6), new Float64Array(50)]) {
      for (const m of methods) {
        expectMessage(caught(() => ae[m](bad)), new RegExp(`x has ${bad.length} values, not a multiple of the row width ${D}`), new RegExp(`rows x ${D} values, row-major`));
      }
      expectMessage(await rejected(() => ae.fit(bad)), new RegExp(`not a multiple of the row width ${D}`));
    }
    await expectUnchangedAndUsable(ae, before);
  });

  it('number[][] rows of the wrong length (a row per pixel, or an [H][W] image as rows)', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const image = Array.from({ length: 6 }, (_, i) => Array.from(x.subarray(i * 6, i * 6 + 6)));
    for (const m of methods) expectMessage(caught(() => ae[m](image)), /x row 0 has 6 values but the model expects 36/);
    expectMessage(await rejected(() => ae.fit(image)), /x row 0 has 6 values but the model expects 36/);
    await expectUnchangedAndUsable(ae, before);
  });

  it('decode() takes rows of latentDim = prod(latentShape)', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    expect(ae.latentShape).toEqual([3, 3, 2]);
    expectMessage(caught(() => ae.decode(new Float32Array(27))), /z has 27 values, not a multiple of the row width 18/);
    expectMessage(caught(() => ae.decode([[1, 2, 3]])), /z row 0 has 3 values but the model expects 18/);
    expect(ae.decode(new Float32Array(18)).length).toBe(D);
    await expectUnchangedAndUsable(ae, before);
  });

  it('NaN in x or target, and a target of the wrong shape', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const bad = x.slice();
    bad[7 * D + 13] = NaN;
    expectMessage(await rejected(() => ae.fit(bad)), /x has NaN at row 7, column 13/);
    expectMessage(caught(() => ae.reconstruct(bad)), /x has NaN at row 7, column 13/);
    expectMessage(await rejected(() => ae.fit(x, { target: bad })), /target has NaN at row 7, column 13/);
    expectMessage(await rejected(() => ae.fit(x, { target: x.subarray(0, 10 * D) })), /target has 10 rows but x has 40/);
    await expectUnchangedAndUsable(ae, before);
  });

  it('setWeights() with a wrong array names it with its Keras layout; the weights stay', async () => {
    const ae = await trained();
    const before = snapshot(ae);
    const w = ae.getWeights();
    expect(w.map((a) => a.length)).toEqual([18, 2, 2, 2, 2, 2, 36, 2, 18, 1]);
    const swap = (i: number, a: Float32Array) => w.map((v, j) => (j === i ? a : v));
    expectMessage(caught(() => ae.setWeights(w.slice(1))), /setWeights\(\) needs 10 arrays \[W1, b1, \.\.\.\] as getWeights\(\) returns, got 9/);
    expectMessage(caught(() => ae.setWeights(swap(0, new Float32Array(17)))), /W1 \(index 0\) needs 18 values \(\[3\]\[3\]\[1\]\[2\], \[kh\]\[kw\]\[in\]\[out\]\), got 17/);
    expectMessage(caught(() => ae.setWeights(swap(6, new Float32Array(35)))), /W5 \(index 6\) needs 36 values \(\[3\]\[3\]\[2\]\[2\], \[kh\]\[kw\]\[out\]\[in\]\), got 35/);
    expectMessage(caught(() => ae.setWeights(swap(2, new Float32Array(3)))), /gamma \(index 2\) needs 2 values, got 3/);
    expectMessage(caught(() => ae.setWeights(swap(5, new Float32Array(1)))), /moving variance \(index 5\) needs 2 values, got 1/);
    const nan = w[4]!.slice();
    nan[1] = NaN;
    expectMessage(caught(() => ae.setWeights(swap(4, nan))), /setWeights\(\): layer \d+ moving mean \(getWeights\(\)\[4\]\) value \d+ is NaN: moving statistics must be finite float32 numbers/);
    await expectUnchangedAndUsable(ae, before);
  });

  it('a model file whose spec lost its batchNorm (checksum fixed up) is refused: its state count no longer fits', async () => {
    const ae = await trained();
    const bytes = ae.save();
    let h = { params: 0, state: 0 };
    const out = withHeader<{ spec: { encoder: LayerSpec[] }; params: number; state: number }>(bytes, (hd) => {
      h = hd;
      hd.spec.encoder = hd.spec.encoder.filter((l) => l.type !== 'batchNorm');
    });
    expect(h.state).toBe(4);
    expectMessage(await rejected(() => Autoencoder.load(out)),
      new RegExp(`the model file is corrupted: it holds ${h.params} parameters and 4 state values but its spec needs ${h.params - 4} and 0`));
    // the untouched bytes still load
    expect((await Autoencoder.load(bytes)).save()).toEqual(bytes);
  });
});
