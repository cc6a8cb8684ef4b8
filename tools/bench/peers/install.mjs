// install.mjs: installs the benchmark peers, pinned, from npm into .runtimes/peers/ (git-ignored with
// .runtimes/), outside package.json and package-lock.json, the way tools/runtimes.mjs installs the
// runtimes. Peers: TensorFlow.js 4.22.0 with its wasm backend (W4 cold start, tools/coldstart.mjs;
// W1-W3 in tools/bench/run.mjs) and onnxruntime-web 1.30.0 (wasm execution provider; W1, W3).
// Each peer installs on its own (one missing peer never blocks the other).
// Usage: node tools/bench/peers/install.mjs [tfjs|ort ...]   (prints the paths as JSON);
//        import { tfjsPeer, ortPeer } from './install.mjs'.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Argument, Command } from 'commander';

/** Every pinned package, by peer. */
export const PEERS = {
  tfjs: { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
  ort: { 'onnxruntime-web': '1.30.0' },
};
export const PINNED = { ...PEERS.tfjs, ...PEERS.ort };
const root = new URL('../../..', import.meta.url).pathname;
export const dir = `${root}.runtimes/peers`;

/** The installed version of package `p` in .runtimes/peers, or null. */
export const installedVersion = (p) => {
  try {
    return JSON.parse(readFileSync(`${dir}/node_modules/${p}/package.json`, 'utf8')).version;
  } catch {
    return null;
  }
};
const installed = (p) => installedVersion(p) === PINNED[p];

/** Installs the packages of `pins` that are missing (npm, at most `timeoutMs`). Rejects on failure or timeout. */
async function ensure(pins, timeoutMs) {
  const missing = Object.keys(pins).filter((p) => !installed(p));
  if (!missing.length) return;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, '{ "private": true }\n');
  // `npm install --no-save` prunes what it is not given: name the other peers already there too
  const keep = Object.keys(PINNED).filter((p) => !(p in pins) && installed(p));
  const specs = [...missing, ...keep].map((p) => `${p}@${PINNED[p]}`);
  console.error(`installing ${missing.map((p) => `${p}@${PINNED[p]}`).join(' ')} into .runtimes/peers/ ...`);
  await new Promise((resolve, reject) => {
    execFile('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--no-package-lock', ...specs],
      { cwd: dir, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        // npm's own reason ("npm error code ENOTFOUND", "... request to <url> failed"), not its boilerplate
        const lines = (stderr || err.message).split('\n').map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim())
          .filter((l) => l && !/complete log|proxy|npm help|^A complete/i.test(l));
        const why = err.killed ? `npm install timed out after ${timeoutMs / 1000} s` : `npm install failed: ${lines.slice(0, 3).join('; ') || `exit ${err.code}`}`;
        reject(new Error(why));
      });
  });
  const still = [...Object.keys(pins), ...keep].filter((p) => !installed(p));
  if (still.length) throw new Error(`npm install finished but ${still.join(', ')} is missing`);
}

/**
 * TensorFlow.js: installs what is missing; returns the packages' directories and the wasm backend's
 * dist/ (where its tfjs-backend-wasm*.wasm files are). Rejects on failure or timeout.
 */
export async function tfjsPeer({ timeoutMs = 90_000 } = {}) {
  await ensure(PEERS.tfjs, timeoutMs);
  return {
    tfjs: `${dir}/node_modules/@tensorflow/tfjs`,
    backendWasm: `${dir}/node_modules/@tensorflow/tfjs-backend-wasm`,
    wasmDir: `${dir}/node_modules/@tensorflow/tfjs-backend-wasm/dist/`,
  };
}

/**
 * onnxruntime-web: installs what is missing; returns its directory and its dist/ (where the
 * ort-wasm-simd-threaded*.wasm files are, for ort.env.wasm.wasmPaths). Rejects on failure or timeout.
 */
export async function ortPeer({ timeoutMs = 90_000 } = {}) {
  await ensure(PEERS.ort, timeoutMs);
  return {
    ort: `${dir}/node_modules/onnxruntime-web`,
    wasmDir: `${dir}/node_modules/onnxruntime-web/dist/`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cli = new Command('node tools/bench/peers/install.mjs')
    .description('installs the benchmark peers, pinned, into .runtimes/peers/ (prints their paths as JSON)')
    .addArgument(new Argument('[peer...]', 'the peers to install').choices(Object.keys(PEERS)).default(Object.keys(PEERS), 'both'))
    .parse();
  const [want] = cli.processedArgs;
  const out = {};
  if (want.includes('tfjs')) out.tfjs = await tfjsPeer();
  if (want.includes('ort')) out.ort = await ortPeer();
  console.log(JSON.stringify(out, null, 2));
}
