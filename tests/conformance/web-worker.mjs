// web-worker.mjs: the package in a browser's dedicated Web Worker, for tests/browser-worker.test.ts.
// A page that trains keeps its own thread free by training in a Worker: the page posts the rows, the
// Worker fits and posts back. Two bundles, as a web app's bundler makes them (esbuild, platform 'browser',
// so 'autoencoder' is dist/bindings/browser.js with the kernels inlined): the page (app.js) and a module
// Worker (worker.js), served cross-origin isolated (threads) with the pool's files beside them as
// chromium.mjs serves them. In the Worker: a dense model and the default ensemble fitted on 1 and 2
// threads, a fit stopped by the page's message (its AbortController aborted in fit()'s turn), and the
// Worker's errors as the page sees them. The page counts its own frames of work meanwhile. Then the README's Web
// Worker, as written there, fits README_FIT's rows to its end, and again with a stop posted right behind them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onChromiumPage, stageSite } from './chromium.mjs';
import { inFirefox } from './firefox.mjs';
import { inWebKit } from './webkit.mjs';

/** What the Worker fits, and the test in Node. */
export const WORKER_FITS = {
  dense: { spec: { inputDim: 64, layers: [256, 16], seed: 4, ensemble: false }, rows: 32768, cols: 64, dataSeed: 5, fit: { epochs: 2, batchSize: 32 } },
  ensemble: { spec: { inputDim: 8, normalize: 'standard', seed: 3 }, rows: 3000, cols: 8, dataSeed: 6, fit: {} },
  // stopped by the page's message after 300 ms (about a second an epoch)
  stopped: { spec: { inputDim: 64, layers: [256, 16], seed: 4, ensemble: false }, rows: 262144, cols: 64, dataSeed: 5, fit: { epochs: 6, batchSize: 32 } },
};

/** The rows the README's Worker fits (its default ensemble, threads: 'auto'), posted by the page as a Float32Array. */
export const README_FIT = { rows: 2000, cols: 8, dataSeed: 7 };

/** The README's Web Worker: the js block after its "In a browser's Web Worker" paragraph, as a user would copy it. */
export function readmeWorker() {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const at = readme.indexOf("**In a browser's Web Worker.**");
  const block = at < 0 ? null : readme.slice(at).match(/```js\n([\s\S]*?)```/);
  if (!block) throw new Error("README.md has no js block after **In a browser's Web Worker.**");
  return block[1];
}

const WORKER = `
import * as lib from 'autoencoder';
const F = ${JSON.stringify(WORKER_FITS)};
const hex = async (b) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16).padStart(2, '0')).join('');
let stop = null;
async function fitOne(name, threads) {
  const f = F[name];
  const ae = await lib.Autoencoder.create(f.spec, { threads });
  try {
    const x = await lib.randomMatrix(f.rows, f.cols, { seed: f.dataSeed });
    const probe = x.subarray(0, f.cols * 8);
    const t0 = performance.now();
    if (name !== 'stopped') {
      await ae.fit(x, f.fit);
      return { name, threads, ms: performance.now() - t0, sha: await hex(ae.save()), scores: Array.from(ae.score(probe)) };
    }
    const before = await hex(ae.save());
    const ac = new AbortController();
    let epochs = 0, stoppedAt = -1;
    stop = () => { stoppedAt = performance.now(); ac.abort(); };
    postMessage({ started: true });
    let error = 'none: fit() ran to its end';
    try {
      await ae.fit(x, { ...f.fit, signal: ac.signal, onEpoch: () => { epochs++; } });
    } catch (e) {
      error = e.name;
    }
    const ended = performance.now();
    return { name, threads, epochs, error, afterStop: stoppedAt < 0 ? -1 : ended - stoppedAt, same: (await hex(ae.save())) === before };
  } finally {
    ae.dispose();
  }
}
onmessage = async (e) => {
  if (e.data.stop) return stop?.();
  try {
    postMessage({ result: await fitOne(e.data.name, e.data.threads) });
  } catch (err) {
    postMessage({ error: (err && err.message) || String(err), stack: String(err && err.stack), name: err && err.name });
  }
};
`;

const PAGE_ENTRY = `
// one Worker a job; the page's own work meanwhile: a 10 ms interval that counts its runs (not a loop of messages,
// which would take a core from the Worker's threads on a 2-core machine), so a Worker that held the page's thread
// would show as missing ticks
function job(message, stopAfterMs) {
  return new Promise((resolve) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 10);
    const t0 = performance.now();
    const end = (r) => { clearInterval(timer); w.terminate(); resolve({ ...r, ticks, pageMs: performance.now() - t0 }); };
    w.onmessage = (e) => {
      if (e.data.started) { if (stopAfterMs !== undefined) setTimeout(() => w.postMessage({ stop: true }), stopAfterMs); return; }
      end(e.data);
    };
    w.onerror = (e) => end({ error: 'the Worker failed: ' + e.message });
    w.postMessage(message);
  });
}
// (the stopped fit's threads: 1 where the browser has no SharedArrayBuffer, ?stopThreads=1)
const STOP_THREADS = Number(new URLSearchParams(location.search).get('stopThreads') ?? 2);
window.__jobs = async () => {
  const out = [];
  for (const threads of [1, 2]) for (const name of ['dense', 'ensemble']) out.push(await job({ name, threads }));
  out.push(await job({ name: 'stopped', threads: STOP_THREADS }, 300));
  // a bad option: the Worker's AutoencoderError reaches the page as the Worker posts it
  out.push(await job({ name: 'dense', threads: 0 }));
  return out;
};
// the README's Worker: the rows, then (when \`stop\`) a stop right behind them; its messages until the model or an error
window.__readme = (stop) => new Promise(async (resolve) => {
  const { randomMatrix } = await import('autoencoder');
  const R = ${JSON.stringify(README_FIT)};
  const rows = await randomMatrix(R.rows, R.cols, { seed: R.dataSeed });
  const w = new Worker(new URL('./readme-worker.js', import.meta.url), { type: 'module' });
  const epochs = [];
  const hex = async (b) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16).padStart(2, '0')).join('');
  w.onmessage = async ({ data }) => {
    if (data.epoch !== undefined) return epochs.push([data.epoch, data.loss]);
    w.terminate();
    resolve(data.model ? { epochs, sha: await hex(data.model), bytes: data.model.length } : { epochs, error: data.error, message: data.message });
  };
  w.onerror = (e) => { w.terminate(); resolve({ epochs, error: 'the Worker failed: ' + e.message }); };
  w.postMessage({ rows, cols: R.cols }, [rows.buffer]);
  if (stop) w.postMessage({ stop: true });
});
window.__ready = true;
// driven without a protocol (Firefox and WebKit: inFirefox, inWebKit), the page runs both itself and posts what they gave
if (location.hash === '#post') {
  const result = await (async () => {
    try {
      return { jobs: await window.__jobs(), readme: [await window.__readme(false), await window.__readme(true)], errors: [] };
    } catch (e) {
      return { jobs: [], readme: [], errors: [String((e && e.stack) || e)] };
    }
  })();
  await fetch('/__result', { method: 'POST', body: JSON.stringify(result) });
}
`;

/**
 * Runs the page's __jobs() in headless Chromium (or Firefox, WebKit: `browserName` 'firefox', 'webkit'; `sab`: WebKit
 * with JavaScriptCore's SharedArrayBuffer turned on), then the README's Worker twice (to
 * its end, and stopped right away); returns { jobs, readme, errors } (see WORKER and PAGE_ENTRY).
 */
export async function runWebWorker(paths, browserName = 'chromium', { sab = false } = {}) {
  if (browserName === 'chromium' && !paths.chromium) throw new Error('runWebWorker: /usr/bin/chromium is not installed (apt-get install chromium)');
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-web-worker-'));
  try {
    await stageSite(dir, { 'worker.js': WORKER, 'readme-worker.js': readmeWorker(), 'app.js': PAGE_ENTRY },
      '<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>autoencoder in a Web Worker</title></head>\n<body><script type="module" src="./app.js"></script></body></html>\n');
    // (50 s a launch, two launches: within the test's 120 s, each page reports in 2-8 s)
    if (browserName === 'firefox') return await inFirefox(dir, '/index.html#post', { what: 'the Web Worker page', timeoutMs: 50_000, tries: 2 });
    // (WebKitGTK has no SharedArrayBuffer: its 2-thread fits are the threads error, and the stop is tried on 1 thread;
    // with `sab`, JavaScriptCore's option turned on (webkit.mjs SAB_ENV), everything runs as in the other browsers)
    if (browserName === 'webkit') return await inWebKit(dir, `/index.html${sab ? '' : '?stopThreads=1'}#post`, { what: 'the Web Worker page', sab, timeoutMs: 50_000, tries: 2 });
    return await onChromiumPage(paths, dir, async (page, errors) => {
      await page.waitForFunction(() => window.__ready, null, { timeout: 30_000 });
      const jobs = await page.evaluate(() => window.__jobs());
      const readme = [await page.evaluate(() => window.__readme(false)), await page.evaluate(() => window.__readme(true))];
      return { jobs, readme, errors };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { runtimes } = await import(new URL('../../tools/runtimes.mjs', import.meta.url).href);
  console.log(JSON.stringify(await runWebWorker(runtimes(), process.argv[2] ?? 'chromium'), (k, v) => (k === 'scores' ? v.length : v), 1));
}
