// tfjs-child.mjs: the TensorFlow.js peer's cold-start child for tools/coldstart.mjs (W4). Run as a
// fresh process: node tools/bench/peers/tfjs-child.mjs <peers dir> <weights.json> <weights.bin> <row.f32>
// Imports @tensorflow/tfjs 4.22 and @tensorflow/tfjs-backend-wasm 4.22 from <peers dir>/node_modules
// (tools/bench/peers/install.mjs), selects the wasm backend (in Node it loads
// dist/tfjs-backend-wasm-simd.wasm: SIMD, and never threads, since WASM_HAS_MULTITHREAD_SUPPORT is
// false under Node), builds the dense784 autoencoder as Keras layers with the given weights (Keras
// layout, float32 LE; the json lists each param's shape and offset in floats), predicts one row and
// prints `score <mse> simd=<bool> threads=<bool>` as soon as the prediction is read back.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// the four paths by position, without commander (the tools' CLI library): this process's startup is
// what W4 times, and importing commander adds ~25 ms to it on this machine (the node child has none)
const [peers, weightsJson, weightsBin, rowFile] = process.argv.slice(2);
const require = createRequire(`${peers}/package.json`);
const tf = require('@tensorflow/tfjs');
const wasmBackend = require('@tensorflow/tfjs-backend-wasm');
// the folder its .wasm files ship in (also its default in Node: the CJS bundle's __dirname)
wasmBackend.setWasmPaths(`${require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]*$/, '')}`);
if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
await tf.ready();

const spec = JSON.parse(readFileSync(weightsJson, 'utf8'));
const b = readFileSync(weightsBin);
const all = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
const r = readFileSync(rowFile);
const row = new Float32Array(r.buffer, r.byteOffset, r.byteLength / 4);

// dense784: [784, 256, 64, 256, 784], relu hidden (incl. the bottleneck), sigmoid output
const kernels = spec.params.filter((p) => p.kind === 'dense_kernel');
const model = tf.sequential({
  layers: kernels.map((p, i) => tf.layers.dense({
    units: p.shape[1],
    activation: i === kernels.length - 1 ? 'sigmoid' : 'relu',
    ...(i === 0 ? { inputShape: [p.shape[0]] } : {}),
  })),
});
model.setWeights(spec.params.map((p) => tf.tensor(all.subarray(p.offset, p.offset + p.shape.reduce((a, c) => a * c, 1)), p.shape)));

const x = tf.tensor2d(row, [1, row.length]);
const y = model.predict(x);
const out = await y.data();
let s = 0;
for (let i = 0; i < row.length; i++) s += (out[i] - row[i]) ** 2;
console.log(`score ${s / row.length} simd=${tf.env().get('WASM_HAS_SIMD_SUPPORT')} threads=${tf.env().get('WASM_HAS_MULTITHREAD_SUPPORT')} backend=${tf.getBackend()}`);
