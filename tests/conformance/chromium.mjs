// chromium.mjs: the conformance workload in headless Chromium (Debian's /usr/bin/chromium), for run.mjs.
// It bundles a page entry that runs runWorkload() with esbuild as a web app's bundler would
// (platform 'browser', so 'autoencoder' resolves by self-reference through the "browser" export
// condition to dist/bindings/browser.js, which inlines the wasm as base64; the metafile is checked),
// serves it with a tiny HTML page from node:http on 127.0.0.1 (a port the kernel picks), drives
// Chromium with playwright-core (a temp profile, never a downloaded browser), reads window.__result
// and closes the browser and the server. Everything lands in a temp dir, removed at the end.
// Also exports serveDir(), which tests/browser-demo.test.ts and the browser-train example use.
import { BROWSER_BUILD } from '../../tools/bundle-options.mjs';
import { createServer } from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;

/** The launch flags verified for Debian's Chromium (../shared/notes/runtimes.md). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.map': 'application/json',
};

/**
 * Serves the files under `dir` on 127.0.0.1 (`/` is index.html), with the content types browsers
 * insist on (application/wasm for compileStreaming). Port 0 lets the kernel pick a free one;
 * `headers` go on every response (ISOLATED: the page is cross-origin isolated, as threads need). With `onPost`, a POST's
 * path and body (text) go to it instead (a page driven without a protocol reports its results so: firefox.mjs).
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function serveDir(dir, port = 0, headers = {}, onPost = null) {
  const root = normalize(dir + sep);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method === 'POST' && onPost) {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      onPost(path, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204, headers).end();
      return;
    }
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    let body;
    try {
      body = await readFile(file); // read first: a 404 must not follow a 200 already sent
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...headers });
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
  return { url, close };
}

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, so wasm threads). */
export const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Launches headless Chromium at `executablePath` with a temp profile (playwright-core at `playwrightCore`).
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close: () => Promise<void> }>}
 */
export async function launchChromium({ playwrightCore, chromium: executablePath }) {
  const { chromium } = await import(playwrightCore);
  const profile = mkdtempSync(join(tmpdir(), 'autoencoder-chromium-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    try {
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  return { context, page, close };
}

/**
 * Serves `site` (with `headers`), opens its index.html in headless Chromium and returns what `fn(page, errors)` returns
 * (`errors`: the page's uncaught errors and console errors so far); closes the browser and the server either way.
 */
export async function onChromiumPage(paths, site, fn, headers = ISOLATED) {
  let server = null, browser = null;
  try {
    server = await serveDir(site, 0, headers);
    browser = await launchChromium(paths);
    const { page } = browser;
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${server.url}/index.html`);
    return await fn(page, errors);
  } finally {
    await browser?.close();
    await server?.close();
  }
}

/** Throws unless esbuild took the package's browser entry (and not the node or worker one). */
export function checkBrowserEntry(metafile) {
  const inputs = Object.keys(metafile.inputs);
  const has = (f) => inputs.some((i) => i.endsWith(f));
  if (!has('dist/bindings/browser.js') || has('dist/bindings/node.js') || has('dist/bindings/worker.js')) {
    throw new Error(`the browser bundle did not resolve 'autoencoder' to dist/bindings/browser.js (inputs: ${inputs.join(', ')}); check the "browser" condition in package.json "exports", and run npm run build`);
  }
}

export { BROWSER_BUILD };

/**
 * Lays out a test site in `dir` as a web app's bundler would: each of `bundles` ({ file: entry source }, resolved from
 * this folder, so 'autoencoder' is the package by self-reference) bundled with esbuild to `dir/file` (each that imports
 * 'autoencoder' must take the package's browser entry), `html` as index.html, and the pool's module and threaded kernels where a bundle's
 * import.meta.url finds them (./threads.js, ./build/kernels-mt.wasm), for threads on a cross-origin isolated page.
 */
export async function stageSite(dir, bundles, html) {
  for (const [file, entry] of Object.entries(bundles)) {
    // (an entry is its source, or { contents, format } for a bundle of another format: 'iife' for a classic script)
    const { contents, format = BROWSER_BUILD.format } = typeof entry === 'string' ? { contents: entry } : entry;
    const { metafile } = await build({ ...BROWSER_BUILD, format, stdin: { contents, resolveDir: here, sourcefile: `${file}.entry.mjs`, loader: 'js' }, outfile: join(dir, file), ...(format === 'iife' ? { logLevel: 'error' } : {}) });
    if (/['"]autoencoder['"]/.test(contents)) checkBrowserEntry(metafile);
  }
  writeFileSync(join(dir, 'index.html'), html);
  const dist = new URL('../../dist/', import.meta.url).pathname;
  cpSync(`${dist}bindings/threads.js`, join(dir, 'threads.js'));
  mkdirSync(join(dir, 'build'), { recursive: true });
  cpSync(`${dist}build/kernels-mt.wasm`, join(dir, 'build/kernels-mt.wasm'));
}

/** A page's __timerTurns() (chromium.mjs's and firefox.mjs's pages): a fit beside a 0 ms interval; see checkTimerTurns. */
export const TIMER_TURNS = `
window.__timerTurns = async () => {
  const ae = await lib.Autoencoder.create({ inputDim: 64, layers: [256, 16], seed: 4, ensemble: false });
  const x = await lib.randomMatrix(65536, 64, { seed: 5 });
  const Channel = globalThis.MessageChannel;
  let turns = 0, ticks = 0;
  const ran = new Set();
  globalThis.MessageChannel = class extends Channel { constructor() { super(); turns++; } };
  const timer = setInterval(() => { ticks++; if (turns > 0) ran.add(turns); }, 0);
  const t0 = performance.now();
  try {
    await ae.fit(x, { epochs: 3, batchSize: 32 });
  } finally {
    clearInterval(timer);
    globalThis.MessageChannel = Channel;
    ae.dispose();
  }
  return { turns, withTimer: ran.size, ticks, ms: performance.now() - t0 };
};
`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>autoencoder conformance</title></head>
<body><pre id="out">running...</pre><script type="module" src="./app.js"></script></body></html>
`;

const ENTRY = `
import * as lib from 'autoencoder';
import { runWorkload } from './workload.mjs';
const out = document.getElementById('out');
// the user agent string says <major>.0.0.0 (UA reduction); client hints have the full version
async function chromeVersion() {
  try {
    const { fullVersionList } = await navigator.userAgentData.getHighEntropyValues(['fullVersionList']);
    const v = fullVersionList.find((b) => /Chrom/.test(b.brand));
    if (v) return v.version;
  } catch {}
  const ua = navigator.userAgent.match(/Chrome\\/([\\d.]+)/);
  return ua ? ua[1] : 'unknown';
}
// A user's click aborts a long fit() (runChromium clicks #stop through the browser's input pipeline): the click's handler
// runs in fit()'s next turn, a call of about 50 ms after the event came (waited: from the event's time stamp; with turns
// between epochs only, up to an epoch of some 1.6 s here); fit() must reject with the AbortError in the epoch in which
// the handler ran, the model as before.
// The host's timers run in each of fit()'s turns (bindings/index.ts yieldToHost: two messages a turn; with one, Chromium
// ran a due timer in every other turn). The turns are counted by the MessageChannels fit() makes, one a turn; the check
// is that a 0 ms interval beside the fit ran in at least 90% of them (about 55-60% with one message a turn).
${TIMER_TURNS}window.__clickFit = async () => {
  const s = (window.__click = { epochs: 0, clickEpochs: -1, clickedAt: -1 });
  const ae = await lib.Autoencoder.create({ inputDim: 64, layers: [256, 16], seed: 4, ensemble: false });
  const x = await lib.randomMatrix(262144, 64, { seed: 5 }), probe = x.subarray(0, 64 * 8);
  const before = ae.score(probe).join();
  const ac = new AbortController();
  const button = document.createElement('button');
  button.id = 'stop';
  button.textContent = 'stop training';
  button.addEventListener('click', (e) => { s.clickedAt = performance.now(); s.clickEpochs = s.epochs; s.sinceEpoch = s.clickedAt - lastEpoch; s.waited = s.clickedAt - e.timeStamp; ac.abort(); });
  document.body.append(button);
  const t0 = performance.now();
  let lastEpoch = t0;
  try {
    await ae.fit(x, { epochs: 20, batchSize: 32, signal: ac.signal, onEpoch: (info) => { s.epochs++; s.epochMs = info.ms; lastEpoch = performance.now(); } });
    s.name = 'none: fit() ran its 20 epochs';
  } catch (e) {
    s.name = e.name;
  }
  s.endedAt = performance.now();
  s.started = s.clickedAt - t0;
  s.same = ae.score(probe).join() === before;
  ae.dispose();
  s.done = true;
};
try {
  const result = { runtime: 'chromium ' + (await chromeVersion()), ...(await runWorkload(lib)) };
  out.textContent = JSON.stringify(result, null, 2);
  window.__result = result;
} catch (e) {
  out.textContent = String((e && e.stack) || e);
  window.__error = String((e && e.stack) || e);
}
`;

/**
 * Starts the page's __clickFit() (a fit of 20 epochs of 262,144 rows), clicks its stop button through Chromium's input
 * pipeline (playwright's click: the mouse events reach the page only when its main thread is free, in one of fit()'s
 * turns), and throws unless the click's handler ran within 120 ms of its event, fit() rejected with the AbortError in the
 * epoch in which it ran, and the model scores as before fit(). Returns what it saw, for run.mjs's line.
 */
async function clickAbort(page) {
  await page.evaluate(() => { window.__clickFit(); });
  await page.waitForFunction(() => document.getElementById('stop'), null, { timeout: 30_000 });
  const t0 = Date.now();
  await page.click('#stop', { timeout: 30_000 });
  const clickMs = Date.now() - t0;
  await page.waitForFunction(() => window.__click?.done, null, { timeout: 120_000 });
  const s = await page.evaluate(() => window.__click);
  if (s.name !== 'AbortError') throw new Error(`click: fit() ended with ${s.name}, not the AbortError of the click`);
  if (s.epochs !== s.clickEpochs) throw new Error(`click: the click came after ${s.clickEpochs} epoch(s), but fit() ended after ${s.epochs}`);
  if (!(s.waited < 120)) throw new Error(`click: its handler ran ${s.waited.toFixed(1)} ms after the event came, not in the turn after fit()'s call of about 50 ms`);
  if (!s.same) throw new Error('click: the aborted fit() left other weights than before it');
  return `a click (playwright, ${clickMs} ms to deliver) ran ${s.started.toFixed(0)} ms into fit(), ${s.sinceEpoch.toFixed(0)} ms into epoch ${s.clickEpochs + 1}, ${s.waited.toFixed(1)} ms after its event's time stamp, and fit() rejected ${(s.endedAt - s.clickedAt).toFixed(1)} ms later in that epoch${s.epochMs ? ` (an epoch ${s.epochMs.toFixed(0)} ms)` : ''}`;
}

/** Runs the page's __timerTurns() and throws unless its 0 ms interval ran in at least 90% of fit()'s turns. */
async function timerTurns(page) {
  return checkTimerTurns(await page.evaluate(() => window.__timerTurns()));
}

/** Throws unless a page's __timerTurns() result shows the interval in at least 90% of fit()'s turns; returns its line. */
export function checkTimerTurns(t) {
  if (!(t.turns >= 10)) throw new Error(`timer turns: fit() took ${t.turns} turns by message in ${t.ms.toFixed(0)} ms; expected one about every 50 ms`);
  if (!(t.withTimer >= 0.9 * t.turns)) throw new Error(`timer turns: a 0 ms interval ran in ${t.withTimer} of fit()'s ${t.turns} turns, not in (nearly) every one`);
  return `a 0 ms interval ran in ${t.withTimer} of fit()'s ${t.turns} turns (${t.ticks} times in ${t.ms.toFixed(0)} ms)`;
}

/** Runs the conformance workload in headless Chromium; returns { runtime, digests, losses } like run-cli.mjs. */
export async function runChromium(paths) {
  if (!paths.chromium) throw new Error('runChromium: /usr/bin/chromium is not installed (apt-get install chromium)');
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-chromium-'));
  try {
    await stageSite(dir, { 'app.js': ENTRY }, PAGE);
    return await onChromiumPage(paths, dir, async (page, errors) => {
      try {
        await page.waitForFunction(() => window.__result || window.__error, null, { timeout: 45_000 });
      } catch (e) {
        throw new Error(`the workload did not finish in Chromium: ${e.message}${errors.length ? `\n${errors.join('\n')}` : ''}`);
      }
      const { result, error } = await page.evaluate(() => ({ result: window.__result, error: window.__error }));
      if (error) throw new Error(`the workload failed in Chromium: ${error}`);
      result.turns += `; ${await clickAbort(page)}; ${await timerTurns(page)}`;
      return result;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { runtimes } = await import(new URL('../../tools/runtimes.mjs', import.meta.url).href);
  const t0 = Date.now();
  const r = await runChromium(runtimes());
  console.error(`${r.runtime}: ${Date.now() - t0} ms`);
  console.log(JSON.stringify(r));
}
