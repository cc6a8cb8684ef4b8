// browser-worker.test.ts: the package in a dedicated Web Worker of a Chromium, Firefox or WebKit page, where a page trains
// without holding its own thread. tests/conformance/web-worker.mjs bundles a page and a module Worker as a web
// app's bundler would and runs, each in a fresh Worker: a dense model and the default ensemble fitted on 1 and
// 2 threads (the Worker starts the pool's Workers itself; it may block in Atomics.wait, which a page may not), a
// fit stopped by a message from the page, and a bad option; then the README's Worker as written there. The oracle
// for the bytes, scores and epochs is the same fit in Node. Firefox (Debian's firefox-esr) and WebKit (Debian's
// epiphany-browser: WebKitGTK) run without a driver: the page runs itself and posts its results
// (tests/conformance/firefox.mjs inFirefox, webkit.mjs inWebKit). WebKitGTK has no SharedArrayBuffer, so there the
// 2-thread fits must be the threads error, and the stop is tried on 1 thread; then again with JavaScriptCore's own
// option for it turned on (JSC_useSharedArrayBuffer=1; Safari has it on isolated pages), where a Worker's threads run
// as in the other browsers. Each browser is skipped where it is not installed.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Autoencoder, randomMatrix } from 'autoencoder';

const HAVE_CHROMIUM = existsSync('/usr/bin/chromium');
const helpers = (path: string) => import(new URL(path, import.meta.url).href);

const NO_SAB = "threads: 2 cannot run here: SharedArrayBuffer is not available in this browser, although the page is cross-origin isolated (WebKitGTK, for one, is built without it). Use threads: 1 (the default), or 'auto' (one thread where threads cannot run)";

interface Fit { spec: object; rows: number; cols: number; dataSeed: number; fit: object }
interface ReadmeRun { epochs: [number, number][]; sha?: string; bytes?: number; error?: string; message?: string }
interface Job {
  result?: { name: string; threads: number; ms?: number; sha?: string; scores?: number[]; epochs?: number; error?: string; afterStop?: number; same?: boolean };
  error?: string;
  name?: string;
  ticks: number;
  pageMs: number;
}

// (firefox.mjs's path of Debian's Firefox, or null; why WebKit cannot run, or null)
const FIREFOX = ((await helpers('./conformance/firefox.mjs')) as { FIREFOX: string | null }).FIREFOX !== null;
const NO_WEBKIT = ((await helpers('./conformance/webkit.mjs')) as { webkitMissing: () => string | null }).webkitMissing();

/** Runs the Web Worker page in `browser` and checks what it posted against the same calls in Node. */
async function check(browser: 'chromium' | 'firefox' | 'webkit', sab = browser !== 'webkit'): Promise<void> {
  const { runtimes } = await helpers('../tools/runtimes.mjs');
  const { runWebWorker, WORKER_FITS, README_FIT } = await helpers('./conformance/web-worker.mjs');
  const { jobs, readme, errors }: { jobs: Job[]; readme: ReadmeRun[]; errors: string[] } = await runWebWorker(runtimes(), browser, { sab: browser === 'webkit' && sab });
  expect(errors, 'the page logged errors').toEqual([]);

  // the oracle: the same fits in Node
  const node: Record<string, { sha: string; scores: number[] }> = {};
  for (const name of ['dense', 'ensemble']) {
    const f: Fit = WORKER_FITS[name];
    const ae = await Autoencoder.create(f.spec as Parameters<typeof Autoencoder.create>[0]);
    const x = await randomMatrix(f.rows, f.cols, { seed: f.dataSeed });
    await ae.fit(x, f.fit);
    node[name] = { sha: createHash('sha256').update(ae.save()).digest('hex'), scores: Array.from(ae.score(x.subarray(0, f.cols * 8))) };
    ae.dispose();
  }

  let fits = jobs.slice(0, 4);
  if (!sab) {
    // no SharedArrayBuffer in WebKitGTK: threads: 2 is the clear error that says so, in the Worker as on the page
    expect(fits.map((j) => j.error ?? `${j.result!.name} ${j.result!.threads}`)).toEqual(['dense 1', 'ensemble 1', NO_SAB, NO_SAB]);
    expect(fits.slice(2).map((j) => j.name)).toEqual(['AutoencoderError', 'AutoencoderError']);
    fits = fits.slice(0, 2);
  } else {
    expect(fits.map((j) => j.error ?? `${j.result!.name} ${j.result!.threads}`)).toEqual(['dense 1', 'ensemble 1', 'dense 2', 'ensemble 2']);
  }
  for (const j of fits) {
    const r = j.result!, line = `${r.name} on ${r.threads} thread(s) in the Worker (${r.ms!.toFixed(0)} ms)`;
    expect(r.sha, `${line}: save() differs from Node's`).toBe(node[r.name]!.sha);
    expect(r.scores, `${line}: score() differs from Node's`).toEqual(node[r.name]!.scores);
    // the page's 10 ms interval kept running while the Worker trained (a held page thread would stop it)
    expect(j.ticks, `${line}: the page's interval ran ${j.ticks} times in ${j.pageMs.toFixed(0)} ms`).toBeGreaterThanOrEqual(Math.floor(j.pageMs / 10 / 3));
  }

  // the page's message reached the Worker in a turn of its fit: AbortError, the model as before fit()
  const stopped = jobs[4]!.result!;
  expect(jobs[4]!.error, jobs[4]!.error).toBeUndefined();
  expect([stopped.name, stopped.threads, stopped.error, stopped.same]).toEqual(['stopped', sab ? 2 : 1, 'AbortError', true]);
  expect(stopped.epochs!, 'the fit was stopped 300 ms in, in its first of 6 epochs (about 1 s each)').toBeLessThan(WORKER_FITS.stopped.fit.epochs);
  expect(stopped.afterStop!, `fit() rejected ${stopped.afterStop} ms after the abort`).toBeGreaterThanOrEqual(0);
  expect(stopped.afterStop!, `fit() rejected ${stopped.afterStop} ms after the abort`).toBeLessThan(200);

  // a bad option: the Worker's AutoencoderError, with its advice, as the page receives it
  expect(jobs[5]!.name).toBe('AutoencoderError');
  expect(jobs[5]!.error).toContain("threads must be an integer from 1 to 256 or 'auto'");

  // the README's Worker, as written there: Node's epochs and bytes for the same rows; a stop behind the rows
  const ae = await Autoencoder.create({ inputDim: README_FIT.cols });
  const epochs: [number, number][] = [];
  await ae.fit(await randomMatrix(README_FIT.rows, README_FIT.cols, { seed: README_FIT.dataSeed }), { onEpoch: (e) => { epochs.push([e.epoch, e.loss]); } });
  const bytes = ae.save();
  ae.dispose();
  expect(readme[0]!.error, readme[0]!.message).toBeUndefined();
  expect(readme[0]!.epochs).toEqual(epochs);
  expect([readme[0]!.bytes, readme[0]!.sha]).toEqual([bytes.length, createHash('sha256').update(bytes).digest('hex')]);
  expect([readme[1]!.error, readme[1]!.epochs.length]).toEqual(['AbortError', 0]);
}

describe('autoencoder in a Web Worker', () => {
  it.skipIf(!HAVE_CHROMIUM)(`Chromium: fits on 1 and 2 threads with Node's bytes, stops at the page's message and posts its errors; so does the README's Worker${HAVE_CHROMIUM ? '' : ' (SKIPPED: /usr/bin/chromium is not installed; apt-get install chromium)'}`, () => check('chromium'), 120_000);
  it.skipIf(!FIREFOX)(`Firefox: the same${FIREFOX ? '' : ' (SKIPPED: /usr/bin/firefox-esr is not installed; apt-get install firefox-esr)'}`, () => check('firefox'), 120_000);
  it.skipIf(NO_WEBKIT !== null)(`WebKit: the same on 1 thread; threads: 2 says the browser has no SharedArrayBuffer${NO_WEBKIT ? ` (SKIPPED: ${NO_WEBKIT})` : ''}`, () => check('webkit'), 120_000);
  it.skipIf(NO_WEBKIT !== null)(`WebKit with JavaScriptCore's SharedArrayBuffer turned on (as Safari has it): the same on 1 and 2 threads${NO_WEBKIT ? ` (SKIPPED: ${NO_WEBKIT})` : ''}`, () => check('webkit', true), 120_000);
});
