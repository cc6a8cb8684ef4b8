// browser-service-worker.test.ts: the package in a Service Worker of a Chromium, Firefox or WebKit page (a site
// scoring rows offline, beside its page). tests/conformance/service-worker.mjs bundles a Service Worker that imports
// both 'autoencoder/score' and 'autoencoder' (a module Service Worker refuses top-level await and import(), which the
// entries must not use), registers it, and fetches its two routes. The oracle is the same calls in Node: the
// worker-score example's model's scores and flags for its sample rows, and a small fit's save() bytes. Each browser
// registers it as an ES module; Firefox before 147 (ESR 140 among them) has no module Service Workers (one that reads
// import.meta fails to evaluate), so Firefox also runs the README's recipe for those: the same entry bundled as an
// IIFE and registered as a classic script. Firefox and WebKit run without a driver: the page runs itself and posts
// what it got (firefox.mjs inFirefox, webkit.mjs inWebKit). Each browser is skipped where it is not installed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderLite, randomMatrix } from 'autoencoder';

const HAVE_CHROMIUM = existsSync('/usr/bin/chromium');
const helpers = (path: string) => import(new URL(path, import.meta.url).href);

interface SwRun {
  active: string | null;
  scored: { scores?: number[]; flags?: number[]; error?: string };
  fitted: { sha?: string; threads?: string; autoSha?: string; error?: string };
  rows: number[][];
  errors: string[];
}

// (firefox.mjs's path of Debian's Firefox, or null, and its version; why WebKit cannot run, or null)
const { FIREFOX, firefoxVersion } = (await helpers('./conformance/firefox.mjs')) as { FIREFOX: string | null; firefoxVersion: () => string };
const HAVE_FIREFOX = FIREFOX !== null;
const FIREFOX_MAJOR = HAVE_FIREFOX ? parseInt(firefoxVersion(), 10) : 0;
const NO_WEBKIT = ((await helpers('./conformance/webkit.mjs')) as { webkitMissing: () => string | null }).webkitMissing();

/** Registers the Service Worker in `browser` and checks its answers against the same calls in Node. */
async function check(browser: 'chromium' | 'firefox' | 'webkit', form: 'module' | 'classic' = 'module'): Promise<void> {
  const { runtimes } = await helpers('../tools/runtimes.mjs');
  const { runServiceWorker, SW_MODEL, SW_FIT } = await helpers('./conformance/service-worker.mjs');
  const r: SwRun = await runServiceWorker(runtimes(), browser, form);
  expect(r.errors, 'the page logged errors').toEqual([]);
  expect(r.active).toBe('activated');
  expect(r.scored.error, r.scored.error).toBeUndefined();
  expect(r.fitted.error, r.fitted.error).toBeUndefined();

  // the oracle: the same calls in Node
  const lite = await AutoencoderLite.load(readFileSync(SW_MODEL));
  expect(r.scored.scores).toEqual(Array.from(lite.score(r.rows)));
  expect(r.scored.flags).toEqual(Array.from(lite.detect(r.rows)));
  expect(r.scored.flags).toContain(1); // the sample's third row is an anomaly: a threshold was applied
  const ae = await Autoencoder.create(SW_FIT.spec);
  await ae.fit(await randomMatrix(SW_FIT.rows, SW_FIT.cols, { seed: SW_FIT.dataSeed }), SW_FIT.fit);
  const sha = createHash('sha256').update(ae.save()).digest('hex');
  ae.dispose();
  expect([r.fitted.sha, r.fitted.autoSha]).toEqual([sha, sha]);
  expect(r.fitted.threads).toBe('AutoencoderError: threads: 2 cannot run in a Service Worker (it can start no Worker): use threads: 1, or train on the page or in a dedicated Worker');
}

describe('autoencoder in a Service Worker', () => {
  it.skipIf(!HAVE_CHROMIUM)(`Chromium (a module Service Worker): scores with the scoring bundle and fits with the full one as Node does; threads: 2 is a clear error there, 'auto' one thread${HAVE_CHROMIUM ? '' : ' (SKIPPED: /usr/bin/chromium is not installed; apt-get install chromium)'}`, () => check('chromium'), 90_000);
  const noFirefox = ' (SKIPPED: /usr/bin/firefox-esr is not installed; apt-get install firefox-esr)';
  it.skipIf(FIREFOX_MAJOR < 147)(`Firefox (a module Service Worker, Firefox 147 and later): the same${!HAVE_FIREFOX ? noFirefox : FIREFOX_MAJOR < 147 ? ` (SKIPPED: Firefox ${FIREFOX_MAJOR} has no module Service Workers; the classic form below is tested)` : ''}`, () => check('firefox'), 90_000);
  it.skipIf(!HAVE_FIREFOX)(`Firefox (a classic Service Worker, the same entry bundled as an IIFE: the README's form for Firefox before 147): the same${HAVE_FIREFOX ? '' : noFirefox}`, () => check('firefox', 'classic'), 90_000);
  it.skipIf(NO_WEBKIT !== null)(`WebKit (a module Service Worker): the same${NO_WEBKIT ? ` (SKIPPED: ${NO_WEBKIT})` : ''}`, () => check('webkit'), 90_000);
});
