// score-module.test.ts: kernels-score.wasm, the scoring module 'autoencoder/score' loads (assembly/abi-score.ts:
// the exports of abi.ts that AutoencoderLite calls). The oracle is kernels.wasm: the same file loaded by
// AutoencoderLite on each module must give the same bits for every inference method, on every kind of
// model (dense with a normalizer, the default ensemble with its density term, a VAE, a conditional VAE, a
// conv model); whatever needs more than scoring refuses the module with an AutoencoderError.
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, SeriesDetector, randomMatrix, type AutoencoderSpec } from 'autoencoder';
import { ABI_EXPORTS, SCORE_EXPORT_COUNT } from '../bindings/wasm.js';

const ROOT = new URL('..', import.meta.url).pathname;
const bits = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
// assembly/abi-score.ts's list
const SCORE_EXPORTS = ['ae_abi_version', 'ae_heap_base', 'ae_workspace', 'ae_seed', 'ae_seed_stream', 'ae_rng_fill', 'ae_infer', 'ae_score', 'ae_explain',
  'ae_find_nonfinite', 'ae_find_below', 'ae_find_outside', 'ae_quantile', 'ae_detect', 'ae_crc32', 'ae_crc32_update',
  'ae_vae_kl_rows', 'ae_sample_rows', 'ae_elbo_rows', 'ae_ens_score', 'ae_bound'];

let scoreModule: WebAssembly.Module;
let fullModule: WebAssembly.Module;
beforeAll(async () => {
  scoreModule = await WebAssembly.compile(readFileSync(`${ROOT}build/kernels-score.wasm`));
  fullModule = await WebAssembly.compile(readFileSync(`${ROOT}build/kernels.wasm`));
});

describe('kernels-score.wasm', () => {
  it('exports exactly the scoring subset of abi.ts (plus memory), imports nothing, and is well under kernels.wasm gzipped', async () => {
    const ex = WebAssembly.Module.exports(scoreModule);
    expect(ex.filter((e) => e.kind === 'function').map((e) => e.name).sort()).toEqual([...SCORE_EXPORTS].sort());
    expect(ex.filter((e) => e.kind === 'memory').map((e) => e.name)).toEqual(['memory']);
    expect(ex.length).toBe(SCORE_EXPORT_COUNT);
    for (const n of SCORE_EXPORTS) expect(ABI_EXPORTS as readonly string[]).toContain(n);
    expect(WebAssembly.Module.imports(scoreModule)).toEqual([]);
    const { gzipSync } = await import('node:zlib');
    const gz = (f: string) => gzipSync(readFileSync(`${ROOT}build/${f}`), { level: 9 }).length;
    // no training code: 47.6% of kernels.wasm at the module's first commit, about 50% since the sub-pixel
    // transposed conv (forward code, so in both modules: +1.5 KB gzipped in each), about 53% since the density
    // term's four-row search and k-d index (scoring code: +1.7 KB in each); the training code alone is 14.6 KB
    expect(gz('kernels-score.wasm')).toBeLessThan(gz('kernels.wasm') * 0.545);
  });

  const x12 = () => randomMatrix(40, 12, { seed: 3 });
  const cases: { name: string; spec: AutoencoderSpec; cond?: number; image?: boolean }[] = [
    { name: 'dense, standard normalizer', spec: { inputDim: 12, layers: [8, 3], normalize: 'standard', seed: 5 } },
    { name: 'the default ensemble (density term)', spec: { inputDim: 12, seed: 6 } },
    { name: 'VAE', spec: { inputDim: 12, layers: [8, 2], variational: { beta: 1 }, seed: 7 } },
    // a latent of 7: kernels.wasm samples and sums the KL four units at a time, the scoring module one by one (AE_SCORE_ONLY)
    { name: 'VAE, 7 latent units', spec: { inputDim: 12, layers: [9, 7], variational: { beta: 1 }, seed: 10 } },
    { name: 'conditional VAE', spec: { inputDim: 12, layers: [8, 2], variational: { beta: 1 }, conditionDim: 3, seed: 8 }, cond: 3 },
    {
      name: 'conv, bce', image: true,
      spec: {
        inputShape: [8, 8, 1], loss: 'bce', seed: 9,
        encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d', pool: 2 }],
        decoder: [{ type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
          { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }],
      },
    },
  ];
  it.each(cases)('$name: AutoencoderLite on it gives the bits of kernels.wasm for every inference method', async ({ spec, cond, image }) => {
    const x = image ? await randomMatrix(24, 64, { seed: 4 }) : await x12();
    const c = cond ? { condition: await randomMatrix(x.length / (image ? 64 : 12), cond, { seed: 2 }) } : {};
    const ae = await Autoencoder.create(spec);
    await ae.fit(x, { epochs: 2, ...c });
    ae.calibrate(x, { quantile: 0.9, ...c });
    const file = ae.save();
    const a = await AutoencoderLite.load(file, { wasm: fullModule }), b = await AutoencoderLite.load(file, { wasm: scoreModule });
    const same = (f: (m: AutoencoderLite) => Float32Array | Uint8Array) => expect(bits(f(b))).toBe(bits(f(a)));
    same((m) => m.score(x, c));
    same((m) => m.detect(x, c));
    same((m) => m.encode(x, c));
    same((m) => m.decode(m.encode(x, c), c));
    same((m) => m.reconstruct(x, c));
    same((m) => m.explain(x, c));
    same((m) => m.save());
    expect(b.calibrate(x, { contamination: 0.2, ...c })).toBe(a.calibrate(x, { contamination: 0.2, ...c }));
    expect(b.getWeights().map(bits)).toEqual(a.getWeights().map(bits));
    if (spec.variational) {
      same((m) => m.score(x, { by: 'elbo', samples: 2, seed: 4, ...c }));
      same((m) => m.score(x, { by: 'kl', ...c }));
      same((m) => m.explain(x, { by: 'elbo', samples: 2, seed: 4, ...c }));
      same((m) => { const p = m.posterior(x, c); return Float32Array.from([...p.mean, ...p.logVar]); });
      if (cond) same((m) => m.generate(c.condition!, { seed: 1 }));
      else same((m) => m.sample(5, { seed: 1 }));
    }
    expect(() => b.score(new Float32Array(5))).toThrow(AutoencoderError);
    expect(b.score(x, c).length).toBe(a.score(x, c).length); // usable after the failed call
    for (const m of [ae, a, b]) m.dispose();
  });

  it('training, Autoencoder.load() and SeriesDetector refuse it with an error that names the module to use', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [3, 2], seed: 1 });
    const file = ae.save();
    ae.dispose();
    await expect(Autoencoder.create({ inputDim: 4, seed: 1 }, { wasm: scoreModule })).rejects.toThrow(/kernels-score\.wasm, the scoring module.*need kernels\.wasm/);
    await expect(Autoencoder.load(file, { wasm: scoreModule })).rejects.toThrow(/kernels-score\.wasm, the scoring module/);
    await expect(SeriesDetector.create({}, { wasm: scoreModule })).rejects.toThrow(/kernels-score\.wasm, the scoring module/);
  });
});

// dist/bindings/score.js: 'autoencoder/score' as Node resolves it (package.json "exports" ./score, node condition)
const DIST = `${ROOT}dist/bindings/score.js`;
describe.skipIf(!existsSync(DIST))("'autoencoder/score' (dist)", () => {
  it('exports AutoencoderLite (the same class as the main entry) on the scoring module, and refuses training without it', async () => {
    const score = await import(DIST) as typeof import('../bindings/score.js');
    const main = await import(`${ROOT}dist/bindings/node.js`) as typeof import('../bindings/node.js');
    expect(Object.keys(score).sort()).toEqual(['AutoencoderError', 'AutoencoderLite']);
    expect(score.AutoencoderLite).toBe(main.AutoencoderLite);
    const x = await main.randomMatrix(30, 6, { seed: 1 });
    const ae = await main.Autoencoder.create({ inputDim: 6, layers: [4, 2], seed: 2 });
    await ae.fit(x, { epochs: 2 });
    const lite = await score.AutoencoderLite.load(ae.save());
    expect(bits(lite.score(x))).toBe(bits(ae.score(x)));
    // the browser form (the module inlined as deflate base64; only web APIs, which Node has too): the class of
    // the runtime-neutral core, index.js, as the other runtimes' entries share it (Node's entry is its own one file)
    const browser = await import(`${ROOT}dist/bindings/score-browser.js`) as typeof import('../bindings/score-browser.js');
    const neutral = await import(`${ROOT}dist/bindings/index.js`) as typeof import('../bindings/index.js');
    expect(browser.AutoencoderLite).toBe(neutral.AutoencoderLite);
    const inlined = await browser.AutoencoderLite.load(ae.save());
    expect(bits(inlined.score(x))).toBe(bits(ae.score(x)));
    for (const m of [ae, lite, inlined]) m.dispose();
  });
});

// The same entry in workerd: a Worker bundled as wrangler would (the "workerd" condition: score-worker.js,
// kernels-score.wasm copied beside it and listed as a compiled `wasm` module), serving one model's scores
describe.skipIf(!existsSync(DIST))("'autoencoder/score' in workerd", () => {
  it('a Worker that imports it scores with the bits of this process, and its bundle holds neither kernels.wasm nor training', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const { build } = await import('esbuild');
    const load = (p: string) => import(pathToFileURL(join(ROOT, p)).href);
    const { WORKER_BUILD } = (await load('tools/bundle-options.mjs')) as { WORKER_BUILD: Record<string, unknown> };
    const { runtimes } = (await load('tools/runtimes.mjs')) as { runtimes: () => { workerd: string } };
    const { startWorkerd } = (await load('tests/conformance/workerd.mjs')) as { startWorkerd: (o: { workerd: string; config: string }) => Promise<{ url: string; stop: () => Promise<void>; log: () => string }> };
    const x = await randomMatrix(20, 6, { seed: 11 });
    const ae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], normalize: 'standard', seed: 12 });
    await ae.fit(x, { epochs: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'autoencoder-score-worker-'));
    try {
      writeFileSync(join(dir, 'model.ae'), ae.save());
      writeFileSync(join(dir, 'x.bin'), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      // (from stdin, resolved at the repository's root: 'autoencoder/score' by self-reference, as in a user's project)
      const contents = `
import { AutoencoderLite } from 'autoencoder/score';
import model from '${join(dir, 'model.ae')}';
import xs from '${join(dir, 'x.bin')}';
export default { async fetch() {
  const lite = await AutoencoderLite.load(new Uint8Array(model));
  return Response.json(Array.from(lite.score(new Float32Array(xs.slice().buffer))));
} };`;
      const { metafile } = await build({ ...WORKER_BUILD, stdin: { contents, resolveDir: ROOT, sourcefile: 'entry.mjs', loader: 'js' }, entryNames: 'entry', outdir: join(dir, 'out'), absWorkingDir: ROOT, loader: { '.wasm': 'copy', '.ae': 'binary', '.bin': 'binary' } }) as { metafile: { inputs: Record<string, unknown>; outputs: Record<string, unknown> } };
      const inputs = Object.keys(metafile.inputs);
      expect(inputs.some((i) => i.endsWith('dist/bindings/score-worker.js'))).toBe(true);
      expect(Object.keys(metafile.outputs).filter((o) => o.endsWith('.wasm')).map((o) => o.split('/').at(-1))).toEqual(['kernels-score.wasm']);
      // a message only fit() can throw is not in the bundle (the class it imports has no training)
      expect(readFileSync(join(dir, 'out', 'entry.js'), 'utf8')).not.toContain('await the running fit() before calling fit() again');
      writeFileSync(join(dir, 'out', 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "main", worker = .w)], sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")]);
const w :Workerd.Worker = (modules = [(name = "entry.js", esModule = embed "entry.js"), (name = "kernels-score.wasm", wasm = embed "kernels-score.wasm")], compatibilityDate = "2025-09-01");
`);
      const server = await startWorkerd({ workerd: runtimes().workerd, config: join(dir, 'out', 'config.capnp') });
      try {
        const got = await (await fetch(server.url)).json() as number[];
        expect(got).toEqual(Array.from(ae.score(x)));
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      ae.dispose();
    }
  }, 60_000);
});
