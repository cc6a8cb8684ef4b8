// service-worker.mjs: the package in a browser's Service Worker, for tests/browser-service-worker.test.ts.
// A Service Worker answers a page's requests offline, so a site can score rows beside the page, as a Worker at
// the edge does. A module Service Worker may not use top-level await nor import() (the README: no entry uses
// either unless threads > 1 is asked for). The Service Worker bundles both 'autoencoder/score' (AutoencoderLite,
// the scoring bundle) and 'autoencoder' with esbuild, as a web app's bundler would, and answers:
// POST /sw/score (JSON rows): AutoencoderLite.load() of the worker-score example's model (fetched once), its scores
// and flags; GET /sw/fit: a small model created and fitted there, the sha-256 of its save(), the error of
// asking for 2 threads (a Service Worker cannot start Workers), and the sha-256 of the fit with threads: 'auto'. The page registers it, waits until it
// controls the page, and fetches both.
import { mkdtempSync, readFileSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onChromiumPage, stageSite } from './chromium.mjs';
import { inFirefox } from './firefox.mjs';
import { inWebKit } from './webkit.mjs';

/** The model and rows the Service Worker scores: examples/worker-score's. */
export const SW_MODEL = new URL('../../examples/worker-score/model.ae', import.meta.url).pathname;
export const SW_ROWS = new URL('../../examples/worker-score/samples.json', import.meta.url).pathname;
/** What the Service Worker fits. */
export const SW_FIT = { spec: { inputDim: 8, layers: [6, 3], seed: 11, ensemble: false }, rows: 512, cols: 8, dataSeed: 12, fit: { epochs: 5, batchSize: 32 } };

const SW = `
import { AutoencoderLite } from 'autoencoder/score';
import { Autoencoder, randomMatrix } from 'autoencoder';
const F = ${JSON.stringify(SW_FIT)};
let lite = null;
const hex = async (b) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16).padStart(2, '0')).join('');
const failed = (e) => Response.json({ error: String((e && e.stack) || e), name: e && e.name }, { status: 500 });
async function score(request) {
  try {
    lite ??= await AutoencoderLite.load(new Uint8Array(await (await fetch('./model.ae')).arrayBuffer()));
    const { rows } = await request.json();
    return Response.json({ scores: Array.from(lite.score(rows)), flags: Array.from(lite.detect(rows)) });
  } catch (e) {
    return failed(e);
  }
}
async function fit() {
  try {
    const ae = await Autoencoder.create(F.spec);
    await ae.fit(await randomMatrix(F.rows, F.cols, { seed: F.dataSeed }), F.fit);
    const sha = await hex(ae.save());
    ae.dispose();
    let threads = 'none: create() with threads: 2 resolved';
    try {
      (await Autoencoder.create(F.spec, { threads: 2 })).dispose();
    } catch (e) {
      threads = e.name + ': ' + e.message;
    }
    // threads: 'auto' is one thread here
    const auto = await Autoencoder.create(F.spec, { threads: 'auto' });
    await auto.fit(await randomMatrix(F.rows, F.cols, { seed: F.dataSeed }), F.fit);
    const autoSha = await hex(auto.save());
    auto.dispose();
    return Response.json({ sha, threads, autoSha });
  } catch (e) {
    return failed(e);
  }
}
self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => {
  const { pathname } = new URL(e.request.url);
  if (pathname === '/sw/score') e.respondWith(score(e.request));
  else if (pathname === '/sw/fit') e.respondWith(fit());
});
`;

const PAGE_ENTRY = `
window.__sw = async (rows) => {
  // (Firefox before 147, ESR 140 among them, has no module Service Workers: there the same entry is bundled as a
  // classic script, ?classic)
  const reg = await navigator.serviceWorker.register('./sw.js', { type: location.search === '?classic' ? 'classic' : 'module' });
  if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  const scored = await (await fetch('/sw/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) })).json();
  const fitted = await (await fetch('/sw/fit')).json();
  return { active: reg.active?.state ?? null, scored, fitted };
};
window.__ready = true;
// driven without a protocol (Firefox and WebKit: inFirefox, inWebKit), the page runs itself and posts what it got
if (location.hash === '#post') {
  const rows = await (await fetch('./rows.json')).json();
  const result = await window.__sw(rows).catch((e) => ({ error: String((e && e.message) || e) }));
  await fetch('/__result', { method: 'POST', body: JSON.stringify({ ...result, rows }) });
}
`;

/**
 * Registers the Service Worker in headless Chromium (or Firefox, WebKit: `browserName` 'firefox', 'webkit') and returns
 * what its two routes answered. `form` 'module' registers the ES module esbuild bundled; 'classic' the same entry
 * bundled as an IIFE and registered as a classic script, as a browser without module Service Workers needs.
 */
export async function runServiceWorker(paths, browserName = 'chromium', form = 'module') {
  if (browserName === 'chromium' && !paths.chromium) throw new Error('runServiceWorker: /usr/bin/chromium is not installed (apt-get install chromium)');
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-service-worker-'));
  try {
    await stageSite(dir, { 'sw.js': form === 'classic' ? { contents: SW, format: 'iife' } : SW, 'app.js': PAGE_ENTRY },
      '<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>autoencoder in a Service Worker</title></head>\n<body><script type="module" src="./app.js"></script></body></html>\n');
    copyFileSync(SW_MODEL, join(dir, 'model.ae'));
    const query = form === 'classic' ? '?classic' : '';
    if (browserName === 'firefox' || browserName === 'webkit') {
      writeFileSync(join(dir, 'rows.json'), JSON.stringify(JSON.parse(readFileSync(SW_ROWS, 'utf8')).rows));
      const open = browserName === 'firefox' ? inFirefox : inWebKit;
      // (40 s a launch, two launches: within the test's 90 s, each page reports in 1-2 s)
      return { errors: [], ...(await open(dir, `/index.html${query}#post`, { what: 'the Service Worker page', timeoutMs: 40_000, tries: 2 })) };
    }
    if (form !== 'module') throw new Error('runServiceWorker: Chromium runs the module form only');
    return await onChromiumPage(paths, dir, async (page, errors) => {
      await page.waitForFunction(() => window.__ready, null, { timeout: 30_000 });
      const { rows } = JSON.parse(readFileSync(SW_ROWS, 'utf8'));
      const r = await page.evaluate((rows) => window.__sw(rows), rows);
      return { ...r, rows, errors };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { runtimes } = await import(new URL('../../tools/runtimes.mjs', import.meta.url).href);
  console.log(JSON.stringify(await runServiceWorker(runtimes(), process.argv[2] ?? 'chromium', process.argv[3] ?? 'module'), null, 1));
}
