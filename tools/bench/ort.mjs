// ort.mjs: the onnxruntime-web 1.30 peer, one workload (and model) per process.
//   node tools/bench/ort.mjs --peers <.runtimes/peers> --workload W1|W3 [--model m] [--quick]
// onnxruntime-web from <peers>/node_modules (tools/bench/peers/install.mjs). In Node its "node"
// export (dist/ort.node.min.mjs) is the wasm build; ort.env.wasm.wasmPaths points at its dist/, so
// it loads ort-wasm-simd-threaded.{mjs,wasm} from node_modules (SIMD; one binary for 1..n threads)
// and ort.env.wasm.numThreads = 1 keeps it on this thread (no worker threads are started).
// Sessions: executionProviders ['wasm'], default graph optimizations, from the shared
// ../shared/bench/models/<name>.onnx (PyTorch export, opset 13; NCHW, PyTorch's alignment for the
// stride-2 transposed convolutions), checked against the shared reference output.
// Per call (W1, W3): new ort.Tensor over the Float32Array, await session.run, output .data (a JS
// copy out of the wasm heap). onnxruntime-web is inference-only: W2 and W3 training are n/a.
// Memory: RSS delta (peak RSS minus RSS before the session is created); its wasm heap is not exposed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { check, loadModel, loadWorkloads, main, maxRss, median, rss, summary, timeBudget, timeCalls, uniform } from './common.mjs';

const opts = new Command('node tools/bench/ort.mjs')
  .description('the onnxruntime-web peer of the benchmark, one workload per process; prints `@@RESULT <json>`')
  .requiredOption('--peers <dir>', 'the peers\' install directory (.runtimes/peers, with node_modules/onnxruntime-web)')
  .addOption(new Option('--workload <w>', 'the workload').choices(['W1', 'W3']).makeOptionMandatory())
  .option('--model <name>', "W1's shared model (dense784 or tab30)")
  .option('--quick', 'smoke-run counts (figures not meaningful)')
  .parse()
  .opts();
const QUICK = opts.quick === true;
const W = loadWorkloads(QUICK);
const workload = opts.workload;
const modelName = opts.model;
const peers = opts.peers;

const require = createRequire(`${peers}/package.json`);
const entry = require.resolve('onnxruntime-web');          // dist/ort.node.min.js (the "node" condition)
const ort = await import(entry.replace(/\.js$/, '.mjs'));  // its ESM twin
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = entry.replace(/[^/]*$/, '');
ort.env.logLevel = 'error';
const versions = () => ({
  'onnxruntime-web': ort.env.versions.web, 'onnxruntime-common': ort.env.versions.common,
  numThreads: ort.env.wasm.numThreads, wasm: 'ort-wasm-simd-threaded.wasm', node: process.version,
});

/** A session for a shared model, checked against the reference output; `run(x, rows)` is one call. */
async function session(name) {
  const shared = loadModel(name);
  const s = await ort.InferenceSession.create(readFileSync(shared.onnx), { executionProviders: ['wasm'] });
  const [input] = s.inputNames, [output] = s.outputNames;
  const rest = shared.refShape.slice(1);
  const run = async (x, rows) => {
    const out = await s.run({ [input]: new ort.Tensor('float32', x, [rows, ...rest]) });
    const y = out[output];
    const data = y.data;
    y.dispose();
    return data;
  };
  const got = await run(shared.refInput, shared.refRows);
  return { run, shared, rest, reference: { ...check(got, shared.refOutput), against: 'output' } };
}

async function w1() {
  const base = rss();
  const { run, rest, reference } = await session(modelName);
  const D = rest[0];
  const row = uniform(1, D, W.seed, 11);
  const batch = uniform(256, D, W.seed, 12);
  const b1 = await timeCalls(() => run(row, 1), W.W1.batch1.warmup_calls, W.W1.batch1.timed_calls);
  const b256 = await timeBudget(() => run(batch, 256), W.W1.batch256);
  return {
    reference,
    batch1: { ...summary(b1), median_us: median(b1) * 1000 },
    batch256: { ...summary(b256), rows_per_s: 256 / (median(b256) / 1000) },
    memory: { rss_delta_bytes: maxRss() - base },
    versions: versions(),
  };
}

async function w3() {
  const c = W.W3;
  const base = rss();
  const { run, rest, reference } = await session(c.model);
  const D = rest.reduce((a, b) => a * b, 1);
  const x = uniform(c.infer.batch, D, W.seed, 30);
  const ms = await timeBudget(() => run(x, c.infer.batch), c.infer);
  return {
    reference,
    infer: { ...summary(ms), rows_per_s: c.infer.batch / (median(ms) / 1000) },
    train: { unsupported: 'onnxruntime-web is inference-only (no training API in the web package)' },
    memory: { rss_delta_bytes: maxRss() - base },
    versions: versions(),
  };
}

main(() => ({ W1: w1, W3: w3 })[workload]?.() ?? Promise.reject(new Error(`ort.mjs: unknown --workload ${workload}`)));
