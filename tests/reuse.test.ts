// reuse.test.ts: the instances of disposed models are reused (bindings/wasm.ts retireKernel): a disposed
// single-threaded model's wasm instance is wiped back to its memory as instantiated and given to the next
// model of the same module. The oracle is a module no instance was ever made of (compiled here from the
// same bytes, so it has no spare): every model on a reused instance must give the bits a model on a new
// instance gives, for a dense fit, a conv fit, the default ensemble, the codec and a SeriesDetector. The
// wiped memory is compared with a new instance's own memory, and what must not be reused is not: a model
// disposed while fit() runs, an instance too large to keep (a threaded model's shared memory has no
// module of its own to go back to: bindings/wasm.ts sharedKernel).

import { describe, expect, it } from 'vitest';
import { Autoencoder, SeriesDetector, addNoise, randomMatrix, type AutoencoderSpec } from 'autoencoder';
import { kernelOf, ownModule as newModule } from './helpers.js';
import { rand } from './data.js';


function rows(n: number, d: number, seed: number): Float32Array {
  const r = rand(seed);
  return Float32Array.from({ length: n * d }, () => r.u());
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
/** The instance under a model (its exports object). */
const instanceOf = (ae: Autoencoder) => kernelOf(ae).x;

describe('instances of disposed models are reused', () => {
  it('a reused instance gives a new instance\'s bits: dense, conv, the default ensemble, the codec', async () => {
    const cases: { spec: AutoencoderSpec; x: Float32Array; fit: object; codec?: boolean }[] = [
      { spec: { inputDim: 12, layers: [8, 3], activation: 'tanh', seed: 5 }, x: rows(96, 12, 1), fit: { epochs: 3, batchSize: 16 }, codec: true },
      { spec: { inputShape: [8, 8, 1], encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }], decoder: [{ type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }], seed: 2 }, x: rows(24, 64, 2), fit: { epochs: 2, batchSize: 8 } },
      { spec: { inputDim: 6, normalize: 'standard' }, x: rows(200, 6, 3), fit: { epochs: 2 } },
    ];
    for (const c of cases) {
      const run = async (wasm: WebAssembly.Module | undefined) => {
        const ae = await Autoencoder.create(c.spec, wasm ? { wasm } : undefined);
        await ae.fit(c.x, c.fit);
        const out = { ae, save: ae.save(), scores: ae.score(c.x), packed: c.codec ? ae.compress(c.x.subarray(0, 36)) : null };
        return out;
      };
      const module = newModule();
      const first = await run(module);
      const used = instanceOf(first.ae);
      // the model it replaces has trained, scored and been saved: its memory is far from a new one's
      first.ae.dispose();
      const again = await run(module);
      expect(instanceOf(again.ae), JSON.stringify(c.spec)).toBe(used);
      const oracle = await run(newModule());
      expect(instanceOf(oracle.ae)).not.toBe(used);
      expect(same(again.save, oracle.save), `save() ${JSON.stringify(c.spec)}`).toBe(true);
      expect(same(first.save, oracle.save)).toBe(true);
      expect(Buffer.from(again.scores.buffer).equals(Buffer.from(oracle.scores.buffer))).toBe(true);
      if (c.codec) expect(same(again.packed!, oracle.packed!)).toBe(true);
      again.ae.dispose();
      oracle.ae.dispose();
    }
  });

  it('a SeriesDetector on reused instances (its three resolutions\' among them) scores and saves as on new ones', async () => {
    const r = rand(9);
    const v = Float64Array.from({ length: 700 }, (_, i) => 10 * Math.sin(i / 9) + r.n() + (i === 500 ? 30 : 0));
    const t = Float64Array.from({ length: 700 }, (_, i) => Date.UTC(2016, 0, 1) + i * 300_000 + (i > 300 ? 900_000 : 0));
    const opts = { window: 8, layers: [6, 2], warmup: 64, retrainEvery: 50, history: 300, trainWindows: 120, firstEpochs: 4, epochs: 2, minHistory: 10, likelihoodHistory: 200, suppress: 30 };
    const run = async (wasm: WebAssembly.Module) => {
      const d = await SeriesDetector.create(opts, { wasm });
      const s = d.pushMany(v, t);
      return { d, s, bytes: d.save() };
    };
    const module = newModule();
    const first = await run(module);
    first.d.dispose();
    const again = await run(module);
    const oracle = await run(newModule());
    expect(Buffer.from(again.s.buffer).equals(Buffer.from(oracle.s.buffer))).toBe(true);
    expect(same(again.bytes, oracle.bytes)).toBe(true);
    // load() per request, as the worker example does: each on the instances the one before left
    let bytes: Uint8Array = (await run(newModule())).bytes.slice();
    const whole = (await run(newModule())).d;
    for (let i = 0; i < 4; i++) {
      const d = await SeriesDetector.load(bytes, { wasm: module });
      const u = Float64Array.from({ length: 30 }, (_, j) => 10 * Math.sin((700 + 30 * i + j) / 9));
      const ut = Float64Array.from({ length: 30 }, (_, j) => t[699]! + (30 * i + j + 1) * 300_000);
      const got = d.pushMany(u, ut), want = whole.pushMany(u, ut);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `request ${i}`).toBe(true);
      bytes = d.save();
      d.dispose();
    }
    expect(same(bytes, whole.save())).toBe(true);
  });

  it('randomMatrix() and addNoise() give their instance back, and give a new instance\'s bits on a reused one', async () => {
    const module = newModule();
    const x = rows(50, 7, 6);
    const calls = async (wasm: WebAssembly.Module) => [
      await randomMatrix(40, 9, { seed: 3, distribution: 'normal', wasm }),
      await addNoise(x, { std: 0.3, clip: [0, 1], seed: 4, wasm }),
      await randomMatrix(5, 5, { wasm }),
    ];
    const first = await calls(module);
    // a model of that module now runs on the instance the calls gave back, and the calls again after it
    const ae = await Autoencoder.create({ inputDim: 7, layers: [3], seed: 1 }, { wasm: module });
    await ae.fit(x, { epochs: 1 });
    const fitted = ae.save();
    ae.dispose();
    const again = await calls(module);
    const oracle = await calls(newModule());
    for (let i = 0; i < oracle.length; i++) {
      expect(Buffer.from(first[i]!.buffer).equals(Buffer.from(oracle[i]!.buffer)), `call ${i}`).toBe(true);
      expect(Buffer.from(again[i]!.buffer).equals(Buffer.from(oracle[i]!.buffer)), `call ${i} again`).toBe(true);
    }
    const ref = await Autoencoder.create({ inputDim: 7, layers: [3], seed: 1 }, { wasm: newModule() });
    await ref.fit(x, { epochs: 1 });
    expect(same(fitted, ref.save())).toBe(true);
  });

  it('wipes a disposed model\'s memory back to a new instance\'s: nothing of the model is left in it', async () => {
    const module = newModule();
    const ae = await Autoencoder.create({ inputDim: 10, layers: [6, 2], seed: 3 }, { wasm: module });
    await ae.fit(rows(64, 10, 4), { epochs: 2 });
    const x = instanceOf(ae);
    ae.dispose();
    const mem = new Uint8Array((x.memory as WebAssembly.Memory).buffer);
    const fresh = new Uint8Array((new WebAssembly.Instance(module, {}).exports.memory as WebAssembly.Memory).buffer);
    expect(mem.length).toBeGreaterThan(fresh.length);
    expect(same(mem.subarray(0, fresh.length), fresh)).toBe(true);
    expect(mem.subarray(fresh.length).every((b) => b === 0)).toBe(true);
  });

  it('does not reuse the instance of a model disposed while fit() runs, or one too large to keep', async () => {
    const module = newModule();
    // disposed from onEpoch: fit() holds the kernel across its awaits, so its instance is not taken back
    const a = await Autoencoder.create({ inputDim: 10, layers: [6, 2], seed: 3 }, { wasm: module });
    const held = instanceOf(a);
    await expect(a.fit(rows(64, 10, 4), { epochs: 3, onEpoch: () => { a.dispose(); } })).rejects.toThrow(/disposed during fit/);
    const b = await Autoencoder.create({ inputDim: 10, layers: [6, 2], seed: 3 }, { wasm: module });
    expect(instanceOf(b)).not.toBe(held);
    // a model whose memory is past 4 MiB (dense784 with its training blocks)
    const big = await Autoencoder.create({ inputDim: 784, layers: [256, 64], seed: 1 }, { wasm: module });
    await big.fit(rows(64, 784, 5), { epochs: 1, batchSize: 64 });
    expect(kernelOf(big).memoryBytes).toBeGreaterThan(4 << 20);
    const bigOne = instanceOf(big);
    big.dispose();
    b.dispose();
    const c = await Autoencoder.create({ inputDim: 10, layers: [6, 2], seed: 3 }, { wasm: module });
    const d = await Autoencoder.create({ inputDim: 10, layers: [6, 2], seed: 3 }, { wasm: module });
    expect(instanceOf(c)).not.toBe(bigOne);
    expect(instanceOf(d)).not.toBe(bigOne);
    c.dispose();
    d.dispose();
  });
});
