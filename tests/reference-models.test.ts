// PyTorch-made models from ../shared/bench/models: their weights loaded through setWeights()
// (Keras layout [in][out], W then b per layer, as the .weights.json lists them) must reproduce the
// `reference` output PyTorch computed for the stored 4-row input. The float64 reference forward on
// the same weights is a second oracle that also vouches for the stored output itself.
// tab30: [30,16,8,16,30], tanh hidden incl. the bottleneck, linear output.
// dense784: [784,256,64,256,784], relu hidden incl. the bottleneck, sigmoid output.

import { describe, expect, it } from 'vitest';
import { Autoencoder, type Activation } from 'autoencoder';
import { netForward, rowScores } from './ref/index.js';
import { actsOf, expectWithin, loadBenchModel, refNet, widthsOf } from './helpers.js';
import { haveShared } from './data.js';

const HAVE_SHARED = haveShared('tests/reference-models.test.ts (PyTorch reference models)',
  ...['tab30', 'dense784'].flatMap((n) => [`bench/models/${n}.weights.json`, `bench/models/${n}.weights.bin`]));

const MODELS: Array<{ name: string; inputDim: number; layers: number[]; hidden: Activation; output: Activation }> = [
  { name: 'tab30', inputDim: 30, layers: [16, 8], hidden: 'tanh', output: 'linear' },
  { name: 'dense784', inputDim: 784, layers: [256, 64], hidden: 'relu', output: 'sigmoid' },
];

describe.each(MODELS)('$name', (m) => {
  const skipMsg = HAVE_SHARED ? '' : ' [skipped: ../shared/bench/models is absent]';

  async function load() {
    const bench = loadBenchModel(m.name);
    const sizes = widthsOf(m.inputDim, m.layers);
    // the file's tensors are exactly our layer list: W [in][out] then b, layer by layer
    expect(bench.params.map((p) => p.shape)).toEqual(sizes.slice(1).flatMap((o, l) => [[sizes[l]!, o], [o]]));
    expect(bench.params.map((p) => p.kind)).toEqual(sizes.slice(1).flatMap(() => ['dense_kernel', 'bias']));
    const ae = await Autoencoder.create({
      inputDim: m.inputDim, layers: m.layers, activation: m.hidden, latentActivation: m.hidden, outputActivation: m.output,
    });
    ae.setWeights(bench.tensors);
    const rows = bench.reference.input_shape_nchw[0]!;
    expect(bench.reference.input_shape_nchw).toEqual([rows, m.inputDim]);
    const input = Float32Array.from(bench.reference.input);
    const torchOut = Float64Array.from(bench.reference.output);
    const ref = netForward(refNet(sizes, actsOf(m.layers, m.hidden, m.hidden, m.output), bench.tensors), input, rows);
    return { ae, rows, input, torchOut, refOut: ref[ref.length - 1]! };
  }

  it.skipIf(!HAVE_SHARED)(`reconstruct(reference input) matches PyTorch's output to 1e-5 absolute${skipMsg}`, async () => {
    const { ae, input, torchOut } = await load();
    const got = ae.reconstruct(input);
    // 1e-5 absolute: the bar ../shared/bench/README.md sets for any runtime loading these weights;
    // outputs are O(1) (tab30 linear, |y| < ~1; dense784 sigmoid in (0,1)), two float32 forwards with
    // different sum orders differ by ~K ulps of O(1) terms, well below it
    expectWithin(got, torchOut, () => 1e-5, `${m.name} vs PyTorch`);
  });

  it.skipIf(!HAVE_SHARED)(`reconstruct and PyTorch's output both match the float64 reference forward${skipMsg}`, async () => {
    const { ae, input, torchOut, refOut } = await load();
    const got = ae.reconstruct(input);
    // the same 1e-5 absolute bar against the exact (float64) forward: the wasm result, and the stored
    // PyTorch output (so the file and the layout we read it in are right too)
    expectWithin(got, refOut, () => 1e-5, `${m.name} wasm vs float64`);
    expectWithin(torchOut, refOut, () => 1e-5, `${m.name} PyTorch vs float64`);
  });

  it.skipIf(!HAVE_SHARED)(`score() is the per-row mse of PyTorch's reconstruction${skipMsg}`, async () => {
    const { ae, input, torchOut, rows } = await load();
    const got = ae.score(input);
    const want = rowScores('mse', torchOut, input, m.inputDim);
    // d(mean (p - x)^2) = mean 2 |p - x| dp with |dp| <= 1e-5 (above), plus float32 summation of
    // the row (gamma_{D+2} relative)
    const tol = (r: number) => {
      let s = 0;
      for (let i = 0; i < m.inputDim; i++) s += 2 * Math.abs(torchOut[r * m.inputDim + i]! - input[r * m.inputDim + i]!) * 1e-5;
      return s / m.inputDim + (m.inputDim + 2) * 2 ** -24 * want[r]!;
    };
    expect(got.length).toBe(rows);
    expectWithin(got, want, tol, `${m.name} scores`);
  });
});
