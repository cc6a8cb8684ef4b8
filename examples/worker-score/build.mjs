// build.mjs: bundles the worker-score example into dist/examples/worker-score/:
//   worker.js      the Worker (esbuild, as wrangler bundles it: conditions workerd > worker > browser,
//                  so 'autoencoder' is this package's "workerd" entry, dist/bindings/worker.js)
//   kernels.wasm   copied, not inlined: Workers get wasm only as a compiled module (config.capnp)
//   model.ae       copied, a data module (made by make-model.mjs when missing or unreadable)
//   config.capnp   the workerd config naming those three
// Usage: node examples/worker-score/build.mjs [--model] [--outdir dir]   (needs `npm run build` first)
//   --model retrains model.ae first; --outdir builds elsewhere (tests build into a temp dir)
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { WORKER_BUILD } from '../../tools/bundle-options.mjs';

const here = new URL('.', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;

/** Builds the example; returns { outdir, ms }. Throws if the package's dist/ is missing. */
export async function buildWorkerScore({ retrain = false, outdir = `${root}dist/examples/worker-score` } = {}) {
  const t0 = performance.now();
  if (!existsSync(`${root}dist/bindings/worker.js`)) throw new Error('dist/bindings/worker.js is missing: run `npm run build` (node tools/build.mjs) first');
  const model = `${here}model.ae`;
  let make = retrain || !existsSync(model);
  if (!make) {
    // a model file from another format version (or a damaged one) would only fail inside the Worker
    const { Autoencoder, AutoencoderError } = await import('autoencoder');
    try {
      (await Autoencoder.load(readFileSync(model))).dispose();
    } catch (e) {
      if (!(e instanceof AutoencoderError)) throw e;
      console.error(`build: ${model} does not load (${e.message}); making it again`);
      make = true;
    }
  }
  if (make) await (await import('./make-model.mjs')).makeModel(model);

  mkdirSync(outdir, { recursive: true });   // the four files are overwritten; nothing else there is touched
  const { metafile } = await build({
    ...WORKER_BUILD,
    entryPoints: [`${here}worker.ts`],
    outdir,
    loader: { '.wasm': 'copy', '.ae': 'copy' },
    tsconfigRaw: undefined,
    tsconfig: `${here}tsconfig.json`,
  });
  const inputs = Object.keys(metafile.inputs);
  if (!inputs.some((i) => i.endsWith('dist/bindings/worker.js'))) {
    throw new Error(`'autoencoder' did not resolve to dist/bindings/worker.js (inputs: ${inputs.join(', ')})`);
  }
  copyFileSync(`${here}config.capnp`, `${outdir}/config.capnp`);
  for (const f of ['worker.js', 'kernels.wasm', 'model.ae']) if (!existsSync(`${outdir}/${f}`)) throw new Error(`build: ${outdir}/${f} was not written`);
  const ms = Math.round(performance.now() - t0);
  console.error(`worker-score: built ${outdir}/{worker.js,kernels.wasm,model.ae,config.capnp} in ${ms} ms`);
  return { outdir, ms };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--outdir');
  await buildWorkerScore({ retrain: process.argv.includes('--model'), ...(i > 0 ? { outdir: resolve(process.argv[i + 1]) } : {}) });
}
