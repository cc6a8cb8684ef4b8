// browser-demo.test.ts: the browser-train example (examples/browser-train/) in headless Chromium,
// driven as a person would use it: build the page, serve it on 127.0.0.1, pick vowels.csv in its
// file input, wait for training to finish, download model.ae. Then the same training in Node, in
// this process, and every number the page found compared bit for bit: the parsed data, the loss
// and val-loss per epoch, each row's score, the threshold, the flag count and the model file.
// Leaves a screenshot in examples/out/browser-train.png. Skipped where /usr/bin/chromium is absent.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { readNumericCsv } from '../tools/csv.js';
import { DEMO_QUANTILE, demoFitOptions, demoSpec, parseCsv } from '../examples/browser-train/demo.js';
import type { DemoResult } from '../examples/browser-train/app.js';

const ROOT = new URL('..', import.meta.url).pathname;
const VOWELS = join(ROOT, 'tests/fixtures/vowels.csv');
const SHOT = join(ROOT, 'examples/out/browser-train.png');
const HAVE_CHROMIUM = existsSync('/usr/bin/chromium');

// .mjs helpers without type declarations: imported by URL, typed here as far as this test uses them
interface Page {
  goto(url: string): Promise<unknown>;
  on(event: string, fn: (x: { type?: () => string; text?: () => string; stack?: string }) => void): void;
  setInputFiles(selector: string, file: string): Promise<void>;
  waitForFunction(fn: () => unknown, arg?: unknown, opts?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: () => T): Promise<T>;
  screenshot(opts: { path: string; fullPage: boolean }): Promise<unknown>;
  waitForEvent(event: 'download'): Promise<{ path(): Promise<string>; suggestedFilename(): string }>;
  click(selector: string): Promise<void>;
  textContent(selector: string): Promise<string | null>;
}
const helpers = (path: string) => import(new URL(path, import.meta.url).href);

/** Index and values of the first element where a and b differ as bits (Object.is), or null. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `lengths differ: ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `index ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}

describe('browser-train example in Chromium', () => {
  it.skipIf(!HAVE_CHROMIUM)(`trains vowels.csv on the page with the same bits as Node${HAVE_CHROMIUM ? '' : ' (SKIPPED: /usr/bin/chromium is not installed; apt-get install chromium)'}`, async () => {
    // the page bundles dist/bindings/browser.js (kernels inlined); Node here loads build/kernels.wasm
    if (!existsSync(join(ROOT, 'dist/bindings/browser.js'))) execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
    const b64 = readFileSync(join(ROOT, 'dist/build/kernels.inline.js'), 'utf8').match(/'([0-9A-Za-z+/=]+)'/)![1]!;
    // the inlined module is dist/build/kernels.wasm, which is build/'s with short export names (tools/wasm-names.mjs)
    const { withoutExports } = (await import(pathToFileURL(join(ROOT, 'tools/wasm-names.mjs')).href)) as { withoutExports: (b: Uint8Array) => Uint8Array };
    const inlined = inflateSync(Buffer.from(b64, 'base64'));
    expect(inlined.equals(readFileSync(join(ROOT, 'dist/build/kernels.wasm'))), 'dist/build/kernels.inline.js is not dist/build/kernels.wasm: run npm run build').toBe(true);
    expect(Buffer.from(withoutExports(inlined)).equals(withoutExports(readFileSync(join(ROOT, 'build/kernels.wasm')))), 'dist/ is older than build/kernels.wasm: run npm run build').toBe(true);
    execFileSync(process.execPath, [join(ROOT, 'examples/browser-train/build.mjs')], { cwd: ROOT, stdio: 'pipe' });

    const { runtimes } = await helpers('../tools/runtimes.mjs');
    const { serveDir, launchChromium } = await helpers('./conformance/chromium.mjs');
    const server = await serveDir(join(ROOT, 'dist/examples/browser-train'));
    const browser = await launchChromium(runtimes());
    let demo: DemoResult, pageBytes: Buffer, summary: string | null, topRows: number, inked: { loss: number; scores: number };
    try {
      const page: Page = browser.page;
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
      page.on('console', (m) => { if (m.type?.() === 'error') errors.push(m.text!()); });
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('ready'), null, { timeout: 10_000 });
      await page.setInputFiles('#file', VOWELS);
      await page.waitForFunction(() => window.__demo || window.__demoError, null, { timeout: 30_000 });
      const err = await page.evaluate(() => window.__demoError);
      expect(err, `the page failed: ${err}\n${errors.join('\n')}`).toBeUndefined();
      demo = (await page.evaluate(() => window.__demo))!;
      summary = await page.textContent('#summary');
      topRows = await page.evaluate(() => document.querySelectorAll('#top tr').length);
      // how many pixels of each canvas are not white: both charts must have been drawn
      inked = await page.evaluate(() => {
        const count = (id: string) => {
          const c = document.getElementById(id) as HTMLCanvasElement;
          const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < px.length; i += 4) if (px[i]! < 250 || px[i + 1]! < 250 || px[i + 2]! < 250) n++;
          return n;
        };
        return { loss: count('loss'), scores: count('scores') };
      });
      mkdirSync(join(ROOT, 'examples/out'), { recursive: true });
      await page.screenshot({ path: SHOT, fullPage: true });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toBe('model.ae');
      pageBytes = readFileSync(await download.path());
    } finally {
      await browser.close();
      await server.close();
    }

    // the page's reader agrees with the CLI's (papaparse) on the data
    const cli = readNumericCsv(VOWELS, { exclude: ['label'] });
    expect([demo.rows, demo.cols, demo.labelName]).toEqual([cli.rows, cli.cols, 'label']);
    expect(demo.names).toEqual(cli.names);
    expect(firstDiff(demo.data, cli.data)).toBeNull();
    expect(firstDiff(parseCsv(readFileSync(VOWELS, 'utf8')).data, cli.data)).toBeNull();

    // the same training in Node
    const fit = demoFitOptions(cli.rows);
    expect(demo.fit).toEqual(fit);
    const ae = await Autoencoder.create(demoSpec(cli.cols));
    expect(demo.spec).toEqual(ae.spec);
    const h = await ae.fit(cli.data, fit);
    const scores = ae.score(cli.data);
    const threshold = ae.calibrate(cli.data, { quantile: DEMO_QUANTILE });
    const flagged = ae.detect(cli.data).reduce((a, f) => a + f, 0);
    const bytes = ae.save();

    expect(h.loss.length).toBeGreaterThan(5);
    expect(h.valLoss.length).toBe(h.loss.length);
    expect([demo.epochs, demo.bestEpoch, demo.stoppedEarly]).toEqual([h.epochs, h.bestEpoch, h.stoppedEarly]);
    expect(firstDiff(demo.losses, h.loss), 'loss per epoch').toBeNull();
    expect(firstDiff(demo.valLosses, h.valLoss), 'val loss per epoch').toBeNull();
    expect(firstDiff(demo.scores, scores), 'scores').toBeNull();
    expect(Object.is(demo.threshold, threshold), `threshold ${demo.threshold} vs ${threshold}`).toBe(true);
    expect(demo.flagged).toBe(flagged);
    expect(flagged).toBeGreaterThan(0);
    expect(Buffer.from(bytes).equals(pageBytes), 'model.ae from the page vs save() in Node').toBe(true);

    // what a person reads on the page
    expect(summary).toContain(`threshold  ${threshold} `);
    expect(summary).toContain(`flagged    ${flagged} of ${cli.rows} rows`);
    expect(topRows).toBe(10);
    expect(inked.loss).toBeGreaterThan(2000);
    expect(inked.scores).toBeGreaterThan(2000);
  }, 40_000);
});
