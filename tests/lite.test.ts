// lite.test.ts: AutoencoderLite, the inference-only base class of Autoencoder. A model loaded through it
// gives the bits the full class gives for every inference method (the full class is the oracle: the
// same file loaded the other way), it has no training or codec methods, and a bundle of a script that
// imports it alone leaves training and the codec out (the point of the class: the scoring bundle).
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, randomMatrix } from 'autoencoder';

const ROOT = new URL('..', import.meta.url).pathname;
const bits = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('AutoencoderLite', () => {
  it('loads what Autoencoder saved and gives the same bits for every inference method', async () => {
    const x = await randomMatrix(64, 12, { seed: 3 });
    const ae = await Autoencoder.create({ inputDim: 12, layers: [8, 3], normalize: 'standard', seed: 5 });
    await ae.fit(x, { epochs: 3 });
    ae.calibrate(x, { contamination: 0.1 });
    ae.metadata = { name: 'lite' };
    const file = ae.save();
    const full = await Autoencoder.load(file);
    const lite = await AutoencoderLite.load(file);
    expect(full).toBeInstanceOf(Autoencoder);
    expect(full).toBeInstanceOf(AutoencoderLite);
    expect(lite).toBeInstanceOf(AutoencoderLite);
    expect(lite).not.toBeInstanceOf(Autoencoder);
    expect(bits(lite.score(x))).toBe(bits(full.score(x)));
    expect(bits(lite.detect(x))).toBe(bits(full.detect(x)));
    const z = full.encode(x);
    expect(bits(lite.encode(x))).toBe(bits(z));
    expect(bits(lite.decode(z))).toBe(bits(full.decode(z)));
    expect(bits(lite.reconstruct(x))).toBe(bits(full.reconstruct(x)));
    expect(lite.threshold).toBe(full.threshold);
    expect(lite.metadata).toEqual({ name: 'lite' });
    expect(lite.spec).toEqual(full.spec);
    expect(lite.getWeights().map(bits)).toEqual(full.getWeights().map(bits));
    expect(bits(lite.save())).toBe(bits(file));
    expect(lite.calibrate(x, { quantile: 0.9 })).toBe(full.calibrate(x, { quantile: 0.9 }));
    expect('fit' in lite || 'compress' in lite || 'setWeights' in lite || 'fitCodec' in lite).toBe(false);
    expect(() => lite.score(new Float32Array(5))).toThrow(AutoencoderError);
    expect(lite.score(x).length).toBe(64); // usable after the failed call
    lite.dispose();
    expect(() => lite.score(x)).toThrow(/disposed/);
    for (const m of [ae, full]) m.dispose();
  });

  it('a VAE loaded as AutoencoderLite samples, generates nothing it should not, and scores by ELBO the same', async () => {
    const x = await randomMatrix(48, 10, { seed: 9 });
    const ae = await Autoencoder.create({ inputDim: 10, layers: [8, 2], variational: { beta: 1 }, seed: 2 });
    await ae.fit(x, { epochs: 2 });
    const lite = await AutoencoderLite.load(ae.save());
    expect(bits(lite.sample(4, { seed: 1 }))).toBe(bits(ae.sample(4, { seed: 1 })));
    expect(bits(lite.score(x, { by: 'elbo', samples: 2, seed: 4 }))).toBe(bits(ae.score(x, { by: 'elbo', samples: 2, seed: 4 })));
    const p = lite.posterior(x), q = ae.posterior(x);
    expect(bits(p.mean) + bits(p.logVar)).toBe(bits(q.mean) + bits(q.logVar));
    lite.dispose();
    ae.dispose();
  });

  it('a script that imports it alone bundles without training and the codec', async () => {
    const bundle = async (cls: string) => (await build({
      bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, absWorkingDir: ROOT, tsconfigRaw: {},
      conditions: ['workerd', 'worker', 'browser'], mainFields: ['browser', 'module', 'main'], loader: { '.wasm': 'empty' },
      stdin: { contents: `import { ${cls} } from './bindings/worker.ts'; export const f = async (b) => (await ${cls}.load(b)).score([[1]]);`, resolveDir: ROOT, loader: 'js' },
    })).outputFiles[0]!.text;
    const lite = await bundle('AutoencoderLite');
    const full = await bundle('Autoencoder');
    // messages that only fit() and compressStream() can throw: in the full bundle, not in the lite one
    for (const only of ['await the running fit() before calling fit() again', 'compressStream() takes chunks of rows']) {
      expect(full).toContain(only);
      expect(lite).not.toContain(only);
    }
    // and load()'s own checks are in both
    expect(lite).toContain('its checksum does not match its contents');
  });
});
