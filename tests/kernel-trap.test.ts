// kernel-trap.test.ts: an Autoencoder call that fails inside the kernels (a wasm trap, made here by pointing the model's
// weights outside the wasm memory, a stand-in for a kernel bug). The engine's RuntimeError must come out as an
// AutoencoderError that names the call and says what became of the model, and the model must be as it was: once the
// pointer is mended, its scores and save() bytes equal a twin's that never failed (the oracle). setWeights() fails
// after the new weights are in place (in the overflow bound), so it must put the old ones back; a model with threads
// closes its pool and goes on with one thread, with the bytes of one.

import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, SeriesDetector, addNoise, randomMatrix, type AutoencoderSpec } from 'autoencoder';
import { Autoencoder as BuiltAutoencoder, AutoencoderError as BuiltError } from '../dist/bindings/node.js';
import { caught, expectTwinFits, kernelOf, rejected, wrapExport } from './helpers.js';
import { make, poolOf } from './threads-pool.js';
import { C } from '../bindings/wasm.js';

const SPEC: AutoencoderSpec = { inputDim: 12, layers: [8, 3], seed: 7, ensemble: false };
const FIT = { epochs: 2, batchSize: 16, shuffle: false } as const;
const rows = (n: number, seed: number) => Float32Array.from({ length: n * 12 }, (_, i) => Math.sin(i * 0.37 + seed) * Math.cos(i * 0.11 * seed));
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Points `ae`'s weights outside the wasm memory (the next kernel call that reads them traps); returns the undo. */
function breakModel(ae: Autoencoder | BuiltAutoencoder): () => void {
  const k = kernelOf(ae as Autoencoder);
  const p = k.getI32(k.ctx + C.PARAMS);
  k.setI32(k.ctx + C.PARAMS, 0x7ffffff0);
  return () => k.setI32(k.ctx + C.PARAMS, p);
}

const failed = (call: string, after: string, why = 'memory access out of bounds') =>
  new RegExp(`^${call.replace(/[()]/g, '\\$&')} failed inside the kernels \\(${why}\\): ${after}; this is a bug of the package, please report it$`);

describe('an Autoencoder call that fails inside the kernels', () => {
  it('says so with an AutoencoderError naming the call, and the model is as it was', async () => {
    const x = rows(64, 1), probe = rows(10, 2);
    const ae = await Autoencoder.create(SPEC), twin = await Autoencoder.create(SPEC);
    await ae.fit(x, FIT);
    await twin.fit(x, FIT);
    ae.threshold = 0.5;
    twin.threshold = 0.5;
    const undo = breakModel(ae);
    const calls: [string, () => unknown][] = [
      ['score()', () => ae.score(probe)],
      ['calibrate()', () => ae.calibrate(probe)],
      ['detect()', () => ae.detect(probe)],
      ['encode()', () => ae.encode(probe)],
      ['reconstruct()', () => ae.reconstruct(probe)],
      ['compress()', () => ae.compress(probe)],
    ];
    for (const [call, fn] of calls) {
      const e = caught(fn);
      expect(e, call).toBeInstanceOf(AutoencoderError);
      expect(e.message, call).toMatch(failed(call, 'the model is as it was'));
    }
    expect(ae.threshold).toBe(0.5);
    undo();
    // the oracle: the twin that never failed
    expect(bits(ae.score(probe))).toEqual(bits(twin.score(probe)));
    expect(ae.calibrate(probe)).toBe(twin.calibrate(probe));
    expect(ae.save()).toEqual(twin.save());
    // and it trains on as the twin does
    await expectTwinFits(ae, twin, x, FIT);
    ae.dispose();
    twin.dispose();
  });

  it('setWeights() that fails after the new weights are in place puts the old ones back', async () => {
    const ae = await Autoencoder.create(SPEC), twin = await Autoencoder.create(SPEC);
    const other = (await Autoencoder.create({ ...SPEC, seed: 8 })).getWeights();
    const undo = breakModel(ae);
    const e = caught(() => ae.setWeights(other));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect(e.message).toMatch(failed('setWeights()', 'the model is as it was'));
    undo();
    expect(ae.getWeights()).toEqual(twin.getWeights());
    expect(ae.save()).toEqual(twin.save());
    const probe = rows(10, 3);
    expect(bits(ae.score(probe))).toEqual(bits(twin.score(probe)));
    // mended, the same call goes through
    ae.setWeights(other);
    expect(ae.getWeights()).toEqual(other);
    ae.dispose();
    twin.dispose();
  });

  it('fit() that fails says the weights are as they were before it', async () => {
    const x = rows(64, 4);
    const ae = await Autoencoder.create(SPEC), twin = await Autoencoder.create(SPEC);
    await ae.fit(x, FIT);
    await twin.fit(x, FIT);
    const undo = breakModel(ae);
    const e = await rejected(() => ae.fit(x, FIT));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect(e.message).toMatch(failed('fit()', 'the weights are as they were before it'));
    undo();
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });

  // (on the built package, as threads.test.ts: the pool module is loaded next to dist's index.js; its threaded kernels
  // with their assert()s live, so the bad pointer may meet an assert first: either trap will do)
  it('a model with threads closes its pool and goes on with one thread, with the bytes of one', async () => {
    const x = rows(256, 5), probe = rows(300, 6);
    const spec = { inputDim: 12, layers: [64, 4], seed: 9, ensemble: false as const };
    const ae = await make(spec, 2), one = await make(spec, 1);
    await ae.fit(x, FIT);
    await one.fit(x, FIT);
    const pool = poolOf(ae)!;
    expect(pool.debug.live()).toBe(1);
    const undo = breakModel(ae);
    const e = caught(() => ae.score(probe));
    expect(e).toBeInstanceOf(BuiltError);
    expect(e.message).toMatch(failed('score()', 'the model is as it was, and it now runs on one thread', '[^)]+'));
    expect(poolOf(ae)).toBeNull();
    undo();
    expect(bits(ae.score(probe))).toEqual(bits(one.score(probe)));
    await ae.fit(x, FIT);
    await one.fit(x, FIT);
    expect(ae.save()).toEqual(one.save());
    // no thread is left running
    for (let i = 0; i < 100 && pool.debug.live() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pool.debug.live()).toBe(0);
    ae.dispose();
    one.dispose();
  });
});

// Calls whose kernels a bad pointer cannot reach first (JavaScript copies the data in or out before the kernel reads
// it, or the call makes an instance of its own): the trap is a kernel export made to throw the engine's RuntimeError
// once (what a trap throws), on the model's own kernel, or on an instance a disposed model left for reuse, which the
// next instance made (the call's own, or the model it builds) is taken from.

/** Makes the kernel's export `name` throw a RuntimeError at its next call, once (the stand-in stays for the instance's next model). */
function failOnce(ae: Autoencoder, name: string): void {
  let armed = true;
  wrapExport(ae, name, (real, a) => {
    if (armed) { armed = false; throw new WebAssembly.RuntimeError('unreachable'); }
    return real(...a);
  }, true);
}

/** Leaves an instance whose export `name` fails once for the next one made (a disposed model's is kept for reuse). */
async function failNext(name: string): Promise<void> {
  const ae = await Autoencoder.create(SPEC);
  failOnce(ae, name);
  ae.dispose();
}

describe('calls on an instance of their own', () => {
  it('randomMatrix() and addNoise(): an AutoencoderError, and the next call draws what it would have', async () => {
    const want = await randomMatrix(5, 4, { seed: 2 });
    await failNext('ae_rng_fill');
    const e = await rejected(() => randomMatrix(5, 4, { seed: 2 }));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect(e.message).toMatch(failed('randomMatrix()', 'nothing was changed', 'unreachable'));
    expect(await randomMatrix(5, 4, { seed: 2 })).toEqual(want);
    const noisy = await addNoise(want, { std: 0.1, seed: 4 });
    await failNext('ae_add_noise');
    const e2 = await rejected(() => addNoise(want, { std: 0.1, seed: 4 }));
    expect(e2.message).toMatch(failed('addNoise()', 'nothing was changed', 'unreachable'));
    expect(await addNoise(want, { std: 0.1, seed: 4 })).toEqual(noisy);
  });

  it("SeriesDetector.load(): a failure in the model it builds is create()'s error, not an invalid option", async () => {
    const d = await SeriesDetector.create({ window: 16, warmup: 48, seed: 3 });
    const bytes = d.save();
    await failNext('ae_init_params');
    const e = await rejected(() => SeriesDetector.load(bytes));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect(e.message).toMatch(failed('create()', 'no model was made', 'unreachable'));
    const back = await SeriesDetector.load(bytes);
    expect(back.save()).toEqual(bytes);
    back.dispose();
    d.dispose();
  });
});

// A SeriesDetector's save() and load() seal and check the state with the CRC-32 kernel: on the detector's own kernel
// for save(), and for load() on the instance the loaded detector is built on.
describe('a SeriesDetector whose CRC-32 kernel fails', () => {
  const OPTS = { window: 16, warmup: 48, seed: 3 } as const;
  const series = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i / 5) + 0.05 * Math.cos(i * 1.7));
  const failCrc = (d: SeriesDetector) => failOnce((d as unknown as { ae: Autoencoder }).ae, 'ae_crc32_update');

  it('save(): an AutoencoderError, and the detector is as a twin that never failed', async () => {
    const d = await SeriesDetector.create(OPTS), twin = await SeriesDetector.create(OPTS);
    expect(d.pushMany(series.subarray(0, 120))).toEqual(twin.pushMany(series.subarray(0, 120)));
    failCrc(d);
    const e = caught(() => d.save());
    expect(e).toBeInstanceOf(AutoencoderError);
    expect(e.message).toMatch(failed('SeriesDetector save()', 'the detector is as it was', 'unreachable'));
    expect(d.save()).toEqual(twin.save());
    expect(d.pushMany(series.subarray(120))).toEqual(twin.pushMany(series.subarray(120)));
    d.dispose();
    twin.dispose();
  });

  it('load(): an AutoencoderError, nothing is loaded, and the next load gives the saved detector', async () => {
    const src = await SeriesDetector.create(OPTS);
    src.pushMany(series.subarray(0, 120));
    const bytes = src.save();
    // (its instance, with the failing export, goes to the next detector made: the one load() makes)
    const spare = await SeriesDetector.create(OPTS);
    failCrc(spare);
    spare.dispose();
    const e = await rejected(() => SeriesDetector.load(bytes));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect(e.message).toMatch(failed('SeriesDetector.load()', 'nothing was loaded', 'unreachable'));
    const back = await SeriesDetector.load(bytes);
    expect(back.save()).toEqual(bytes);
    expect(back.pushMany(series.subarray(120))).toEqual(src.pushMany(series.subarray(120)));
    back.dispose();
    src.dispose();
  });
});
