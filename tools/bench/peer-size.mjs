// peer-size.mjs: W4 "bundle" for the peers, measured the way tools/size.mjs measures this package:
// esbuild --bundle --minify --format=esm --platform=browser of a minimal scoring script, plus the
// .wasm file the peer loads at run time, each gzip -9 (gzip -9 -n when the binary is there, else
// zlib level 9), summed; 1 KB = 1000 bytes.
//   TF.js-wasm  @tensorflow/tfjs-core + tfjs-layers + tfjs-backend-wasm (the least a Keras-style
//               dense model on the wasm backend needs), + dist/tfjs-backend-wasm-simd.wasm
//   ORT-web     onnxruntime-web/wasm (its wasm-only build), + dist/ort-wasm-simd-threaded.wasm
//   node tools/bench/peer-size.mjs --peers <.runtimes/peers> [--only tfjs|ort]   prints `@@RESULT <json>`
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { build } from 'esbuild';
import { main } from './common.mjs';
import { GZIP, gz } from '../size.mjs';

const opts = new Command('node tools/bench/peer-size.mjs')
  .description("W4 size for the peers: a minimal scoring bundle plus the .wasm it loads, gzip -9; prints `@@RESULT <json>`")
  .requiredOption('--peers <dir>', "the peers' install directory (.runtimes/peers)")
  .addOption(new Option('--only <peer>', 'one peer only (both when not given)').choices(['tfjs', 'ort']))
  .parse()
  .opts();
const peers = opts.peers;
const only = opts.only;
const file = (path) => {
  const b = readFileSync(path);
  return { raw: b.length, gzip: gz(b) };
};

const ENTRIES = {
  tfjs: {
    contents: `
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
export async function scoreRow(modelUrl, row) {
  await tf.setBackend('wasm');
  const model = await tfl.loadLayersModel(modelUrl);
  const x = tf.tensor2d(row, [1, row.length]);
  const y = await model.predict(x).data();
  let s = 0;
  for (let i = 0; i < row.length; i++) s += (y[i] - row[i]) ** 2;
  return s / row.length;
}
`,
    wasm: 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  },
  ort: {
    contents: `
import * as ort from 'onnxruntime-web/wasm';
export async function scoreRow(modelBytes, row) {
  const s = await ort.InferenceSession.create(modelBytes);
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', row, [1, row.length]) });
  const y = out[s.outputNames[0]].data;
  let e = 0;
  for (let i = 0; i < row.length; i++) e += (y[i] - row[i]) ** 2;
  return e / row.length;
}
`,
    wasm: 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
  },
};

main(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-peer-size-'));
  try {
    const out = {};
    for (const [name, e] of Object.entries(ENTRIES)) {
      if (only && only !== name) continue;
      const outfile = join(dir, `${name}.js`);
      await build({
        stdin: { contents: e.contents, resolveDir: peers, sourcefile: `score-${name}.mjs`, loader: 'js' },
        bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', outfile,
        logLevel: 'error', loader: { '.wasm': 'empty' }, external: ['node:*', 'fs', 'path', 'worker_threads', 'crypto', 'os', 'perf_hooks', 'util'],
      });
      const js = file(outfile);
      const wasm = file(join(peers, e.wasm));
      out[name] = { js, wasm, wasmFile: e.wasm.split('/').pop(), raw: js.raw + wasm.raw, gzip: js.gzip + wasm.gzip };
    }
    return { ...out, gzip: GZIP };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
