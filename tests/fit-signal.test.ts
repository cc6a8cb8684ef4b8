// fit-signal.test.ts: fit(x, { signal }) with an AbortController's signal. Aborted before the call, during an
// onEpoch, from a timer while the epochs run, or in an ensemble's second pass, fit() rejects with the signal's
// reason (as fetch() does) and the model is as it was before the call: the oracle is a twin created with the same
// seed and fitted the same way up to then, whose save() bytes it must equal, and which it must still train like.

import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, type AutoencoderSpec } from 'autoencoder';
import { expectTwinFits, rejected } from './helpers.js';
import { make, type Spec } from './threads-pool.js';

const SPEC: AutoencoderSpec = { inputDim: 10, layers: [8, 3], seed: 11, ensemble: false };
const rows = (n: number, seed: number) => Float32Array.from({ length: n * 10 }, (_, i) => Math.sin(i * 0.29 + seed) + 0.1 * Math.cos(i * seed));
const FIT = { epochs: 3, batchSize: 16, validationSplit: 0 } as const;

describe('fit() with an AbortSignal', () => {
  it('an aborted signal: rejects with its reason before anything changes (the normalizer included)', async () => {
    const x = rows(64, 1);
    const ae = await Autoencoder.create(SPEC), twin = await Autoencoder.create(SPEC);
    const e = await rejected(() => ae.fit(x, { ...FIT, signal: AbortSignal.abort() }));
    expect(e).toBeInstanceOf(DOMException);
    expect((e as DOMException).name).toBe('AbortError');
    // as fetch() does, the signal is looked at before the data (options are checked first)
    const nan = x.slice();
    nan[5] = Number.NaN;
    expect(((await rejected(() => ae.fit(nan, { ...FIT, signal: AbortSignal.abort() }))) as DOMException).name).toBe('AbortError');
    expect(await rejected(() => ae.fit(x, { ...FIT, epochs: 0, signal: AbortSignal.abort() }))).toBeInstanceOf(AutoencoderError);
    const ens = await Autoencoder.create({ inputDim: 10, seed: 1 });
    expect(await rejected(() => ens.fit(x, { validationSplit: 0.2, signal: AbortSignal.abort() }))).toBeInstanceOf(AutoencoderError);
    ens.dispose();
    expect(ae.normalizerFitted).toBe(twin.normalizerFitted);
    expect(ae.save()).toEqual(twin.save());
    // and it trains as the twin does afterwards
    await expectTwinFits(ae, twin, x, FIT);
    ae.dispose();
    twin.dispose();
  });

  it('aborted in an onEpoch: rejects with the reason given, the weights as they were before fit()', async () => {
    const x = rows(96, 2);
    const ae = await Autoencoder.create(SPEC), twin = await Autoencoder.create(SPEC);
    await ae.fit(x, FIT);
    await twin.fit(x, FIT);
    const ac = new AbortController(), why = new Error('the user pressed stop');
    const seen: number[] = [];
    const e = await rejected(() => ae.fit(x, { ...FIT, epochs: 10, signal: ac.signal, onEpoch: ({ epoch }) => { seen.push(epoch); if (epoch === 2) ac.abort(why); } }));
    expect(e).toBe(why);
    expect(seen).toEqual([1, 2]);
    expect(ae.save()).toEqual(twin.save());
    ac.abort();   // (a second abort changes nothing)
    await expectTwinFits(ae, twin, x, FIT);
    ae.dispose();
    twin.dispose();
  });

  it("aborted in the last epoch's onEpoch: still rejects, and the model is as it was", async () => {
    const x = rows(64, 6);
    const ae = await Autoencoder.create(SPEC), twin = await Autoencoder.create(SPEC);
    const ac = new AbortController();
    const e = await rejected(() => ae.fit(x, { ...FIT, signal: ac.signal, onEpoch: ({ epoch }) => { if (epoch === FIT.epochs) ac.abort(); } }));
    expect((e as DOMException).name).toBe('AbortError');
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });

  it('any fit that fails (here its onEpoch throws) leaves the random streams as they were: the next fit is a twin\'s', async () => {
    const x = rows(96, 7);
    const spec: AutoencoderSpec = {
      inputShape: [10], seed: 11,
      encoder: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 3 }],
      decoder: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 10 }],
    };
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    const boom = new Error('boom');
    const e = await rejected(() => ae.fit(x, { ...FIT, noise: 0.1, onEpoch: ({ epoch }) => { if (epoch === 2) throw boom; } }));
    expect(e).toBe(boom);
    expect(ae.save()).toEqual(twin.save());
    // shuffling, dropout and noise draw from their streams where the twin's do
    await expectTwinFits(ae, twin, x, { ...FIT, noise: 0.1 });
    ae.dispose();
    twin.dispose();
  });

  it('aborted from a timer while the epochs run (fit() yields to the event loop between them)', async () => {
    const x = rows(2000, 3);
    const spec: AutoencoderSpec = { ...SPEC, layers: [64, 32, 4] };
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    let epochs = 0;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const e = await rejected(() => ae.fit(x, { epochs: 100000, batchSize: 8, signal: ac.signal, onEpoch: () => { epochs++; } }));
    expect((e as DOMException).name).toBe('AbortError');
    expect(epochs).toBeGreaterThan(0);
    expect(epochs).toBeLessThan(100000);
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });

  it('an ensemble aborted in its second (cleaning) pass: as it was before fit()', async () => {
    const x = rows(300, 4);
    const spec: AutoencoderSpec = { inputDim: 10, seed: 5, ensemble: { members: 3, rows: 64, clean: 0.2 } };
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    const ac = new AbortController();
    let calls = 0;
    const e = await rejected(() => ae.fit(x, { epochs: 3, signal: ac.signal, onEpoch: () => { if (++calls === 4) ac.abort(); } }));
    expect((e as DOMException).name).toBe('AbortError');
    expect(calls).toBe(4);
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });

  // (on the built package, as threads.test.ts; every product through the pool)
  it('a model with threads, dense or a conv one in shards, aborted mid-fit: as it was, then the bytes of one thread', async () => {
    const img = (n: number) => Float32Array.from({ length: n * 64 }, (_, i) => 0.5 + 0.45 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
    const cases: [Spec, Float32Array][] = [
      [{ inputShape: [10], seed: 4, encoder: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.25 }, { type: 'dense', units: 3 }], decoder: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 10 }] }, rows(120, 8)],
      [{
        inputShape: [8, 8, 1], loss: 'bce', normalize: 'none', seed: 6,
        encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'maxPool2d', pool: 2 }],
        decoder: [{ type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }],
      }, img(30)],
    ];
    for (const [spec, x] of cases) {
      const ae = await make(spec, 2), one = await make(spec, 1);
      const o = { epochs: 3, batchSize: 8, validationSplit: 0, noise: 0.05 };
      await ae.fit(x, o);
      await one.fit(x, o);
      const ac = new AbortController();
      const e = await rejected(() => ae.fit(x, { ...o, signal: ac.signal, onEpoch: ({ epoch }) => { if (epoch === 2) ac.abort(); } }));
      expect((e as DOMException).name).toBe('AbortError');
      expect(ae.save()).toEqual(one.save());
      await expectTwinFits(ae, one, x, o);
      ae.dispose();
      one.dispose();
    }
  });

  it('a signal that is not an AbortSignal is refused before anything runs', async () => {
    const ae = await Autoencoder.create(SPEC);
    const x = rows(32, 5);
    for (const bad of [{}, 'stop', null, true, { aborted: 'yes' }]) {
      const e = await rejected(() => ae.fit(x, { ...FIT, signal: bad as unknown as AbortSignal }));
      expect(e).toBeInstanceOf(AutoencoderError);
      expect((e as Error).message).toMatch(/^signal must be an AbortSignal \(an AbortController's \.signal\), got /);
    }
    // a never-aborted signal changes nothing: the bytes of a fit without one
    const twin = await Autoencoder.create(SPEC);
    await ae.fit(x, { ...FIT, signal: new AbortController().signal });
    await twin.fit(x, FIT);
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });
});
