// read-draws.test.ts: a VAE's reads that draw (encode with sample: true, sample(), generate(), the ELBO score through
// score, calibrate and detect) seed the model's sampling stream with their own seed, which its training's draws
// (the reparameterisation) also come from. They must put the stream back, so that reading a model, between fits or
// inside an onEpoch (a VAE demo drawing samples each epoch), does not change what it trains to. The oracle is a twin
// created and fitted the same way that never read; and each read's own draws must not depend on what came before.

import { describe, expect, it } from 'vitest';
import { Autoencoder, type AutoencoderSpec } from 'autoencoder';
import { expectTwinFits } from './helpers.js';

const rows = (n: number, d: number, seed: number) => Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.31 + seed) * Math.cos(i * 0.07));
const FIT = { epochs: 2, batchSize: 16, validationSplit: 0 } as const;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe("a VAE's reads that draw leave its training's draws as they were", () => {
  it('between fits and inside an onEpoch (VAE)', async () => {
    const spec: AutoencoderSpec = { inputDim: 8, layers: [6, 2], variational: {}, seed: 3, ensemble: false };
    const x = rows(64, 8, 1);
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    await expectTwinFits(ae, twin, x, FIT);
    const first = ae.sample(3, { seed: 5 });
    ae.encode(x, { sample: true, seed: 2 });
    ae.score(x, { by: 'elbo', samples: 2, seed: 1 });
    // (calibrate() stores its threshold and score in the file: the twin calibrates alike)
    ae.calibrate(x, { quantile: 0.9, by: 'elbo', seed: 4 });
    twin.calibrate(x, { quantile: 0.9, by: 'elbo', seed: 4 });
    ae.detect(x);
    // a read's draws are its seed's, whatever was drawn before
    expect(bits(ae.sample(3, { seed: 5 }))).toEqual(bits(first));
    await expectTwinFits(ae, twin, x, FIT);
    // reading inside an onEpoch, as a demo drawing samples each epoch does
    await ae.fit(x, { ...FIT, epochs: 3, onEpoch: () => { ae.sample(2, { seed: 9 }); ae.score(x, { by: 'elbo' }); } });
    await twin.fit(x, { ...FIT, epochs: 3 });
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });

  it('a conditional VAE: generate() between fits', async () => {
    const spec: AutoencoderSpec = { inputDim: 8, layers: [6, 2], variational: {}, conditionDim: 2, seed: 4, ensemble: false };
    const x = rows(48, 8, 2), c = rows(48, 2, 3);
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    await expectTwinFits(ae, twin, x, { ...FIT, condition: c });
    ae.generate(c.subarray(0, 6), { seed: 7 });
    await expectTwinFits(ae, twin, x, { ...FIT, condition: c });
    ae.dispose();
    twin.dispose();
  });
});
