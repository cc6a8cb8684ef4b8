// install.mjs: installs the benchmark peers, pinned, from npm into .runtimes/peers/ (git-ignored with
// .runtimes/), outside package.json and package-lock.json, the way tools/runtimes.mjs installs the
// runtimes. Today: TensorFlow.js 4.22.0 with its wasm backend (W4 cold start, tools/coldstart.mjs).
// Usage: node tools/bench/peers/install.mjs   (prints the paths as JSON); import { tfjsPeer } from './install.mjs'.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

export const PINNED = { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' };
const root = new URL('../../..', import.meta.url).pathname;
export const dir = `${root}.runtimes/peers`;

const installed = (p) => {
  try {
    return JSON.parse(readFileSync(`${dir}/node_modules/${p}/package.json`, 'utf8')).version === PINNED[p];
  } catch {
    return false;
  }
};

/**
 * Installs what is missing (npm, at most `timeoutMs`); returns the packages' directories and the
 * wasm backend's dist/ (where its tfjs-backend-wasm*.wasm files are). Rejects on failure or timeout.
 */
export async function tfjsPeer({ timeoutMs = 90_000 } = {}) {
  const missing = Object.keys(PINNED).filter((p) => !installed(p));
  if (missing.length) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, '{ "private": true }\n');
    const specs = missing.map((p) => `${p}@${PINNED[p]}`);
    console.error(`installing ${specs.join(' ')} into .runtimes/peers/ ...`);
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
    const still = Object.keys(PINNED).filter((p) => !installed(p));
    if (still.length) throw new Error(`npm install finished but ${still.join(', ')} is missing`);
  }
  return {
    tfjs: `${dir}/node_modules/@tensorflow/tfjs`,
    backendWasm: `${dir}/node_modules/@tensorflow/tfjs-backend-wasm`,
    wasmDir: `${dir}/node_modules/@tensorflow/tfjs-backend-wasm/dist/`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await tfjsPeer(), null, 2));
