// nab-checkout.test.ts: `npm run nab -- --nab <dir>` reads a checkout of NAB itself (data/<category>/<file>.csv,
// labels/combined_windows.json with [start, end] timestamps, results/), so that series outside ../shared's 51
// (the realKnownCause ones) can be scored. A checkout is built here in NAB's layout from ../shared's corpus:
// its windows as NAB writes them (timestamps with microseconds), the published results as per-detector CSVs
// and Numenta HTM's rows as per-series CSVs. The oracle is ../shared's own labels.json (each window's rows,
// found when the corpus was cut) and the runner's output on ../shared's copy of the same series.
// Needs ../shared/datasets/nab-corpus.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveShared } from './data.js';
import { loadCheckoutNumentaRows, loadCheckoutPublished, loadCorpus, loadLabels, loadNabCheckout, loadNumentaRowScores, loadPublished, NAB_DIR } from '../tools/nab/corpus.js';
import { PROFILES } from '../tools/nab/scorer.js';

const ROOT = new URL('..', import.meta.url).pathname;
const ok = haveShared('NAB checkout check', 'datasets/nab-corpus/labels.json', 'datasets/nab-corpus/numenta_rowscores.json.gz', 'datasets/nab-corpus/published_scores.json');
const DETECTORS = ['ARTime', 'contextOSE', 'numenta', 'knncad'];
let dir = '';

/** ../shared's corpus written out as a NAB checkout in `dir`. */
function writeCheckout(): void {
  const labels = loadLabels(), pub = loadPublished(), htm = loadNumentaRowScores();
  const windows: Record<string, [string, string][]> = {};
  for (const [name, lab] of Object.entries(labels.series)) {
    const text = gunzipSync(readFileSync(new URL(`${name}.gz`, NAB_DIR))).toString('utf8');
    mkdirSync(join(dir, 'data', name.split('/')[0]!), { recursive: true });
    // NAB's files end lines with CRLF in places; ../shared normalised them to LF
    writeFileSync(join(dir, 'data', name), name.includes('Tweets') ? text.replace(/\n/g, '\r\n') : text);
    const w = (lab as unknown as { anomaly_windows: { start: string; end: string }[] }).anomaly_windows;
    windows[name] = w.map((x) => [`${x.start}.000000`, `${x.end}.000000`]);
    const [cat, file] = name.split('/');
    mkdirSync(join(dir, 'results/numenta', cat!), { recursive: true });
    const rows = text.trim().split('\n').slice(1);
    writeFileSync(join(dir, 'results/numenta', cat!, `numenta_${file}`), `timestamp,value,anomaly_score,label\n${rows.map((r, i) => `${r},${htm[name]![i]},0`).join('\n')}\n`);
  }
  mkdirSync(join(dir, 'labels'));
  writeFileSync(join(dir, 'labels/combined_windows.json'), JSON.stringify(windows, null, 4));
  for (const det of DETECTORS) {
    mkdirSync(join(dir, 'results', det), { recursive: true });
    for (const p of PROFILES) {
      const rows = Object.keys(labels.series).map((name) => `${det},${name},${pub.per_file[name]![det]![p.name]!.threshold},${pub.per_file[name]![det]![p.name]!.score},0,0,0,0,0`);
      writeFileSync(join(dir, 'results', det, `${det}_${p.name}_scores.csv`), `Detector,File,Threshold,Score,TP,TN,FP,FN,Total_Count\n${rows.join('\n')}\n${det},Totals,,0,0,0,0,0,0\n`);
    }
  }
}

describe.skipIf(!ok)('npm run nab -- --nab <a checkout of NAB>', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'autoencoder-nab-checkout-'));
    writeCheckout();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds every series and every window's rows from NAB's timestamps, as ../shared's labels give them", () => {
    const got = loadNabCheckout(pathToFileURL(`${dir}/`)), want = loadCorpus();
    expect(got.map((s) => s.name)).toEqual(want.map((s) => s.name));
    expect(got.reduce((a, s) => a + s.windows.length, 0)).toBe(97);
    got.forEach((s, i) => {
      expect(s.windows, s.name).toEqual(want[i]!.windows.map((w) => ({ start_row: w.start_row, end_row: w.end_row })));
      expect(s.values).toEqual(want[i]!.values);
      expect(s.times).toEqual(want[i]!.times);
    });
  });

  it("reads the published results and Numenta HTM's rows from results/", () => {
    const names = Object.keys(loadLabels().series), pub = loadPublished(), htm = loadNumentaRowScores();
    const got = loadCheckoutPublished(pathToFileURL(`${dir}/`), [...DETECTORS, 'absentDetector'], PROFILES.map((p) => p.name));
    expect(Object.keys(got.per_file).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(Object.keys(got.per_file[name]!)).toEqual(DETECTORS);
      for (const det of DETECTORS) for (const p of PROFILES) expect(got.per_file[name]![det]![p.name]!.score).toBe(pub.per_file[name]![det]![p.name]!.score);
    }
    expect(loadCheckoutNumentaRows(pathToFileURL(`${dir}/`), names)).toEqual(Object.fromEntries(names.map((n) => [n, htm[n]])));
    expect(loadCheckoutNumentaRows(pathToFileURL(`${dir}/`), ['realKnownCause/absent.csv'])).toBeNull();
  });

  it("scores a checkout's series as it scores ../shared's copy of them, published detectors included", () => {
    const run = (extra: string[], out: string) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'tools/nab/run.ts', '--jobs', '1', '--only', 'realAdExchange/exchange-2', '--json', join(dir, out), ...extra],
        { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, r.stderr).toBe(0);
      return { json: JSON.parse(readFileSync(join(dir, out), 'utf8')), stdout: r.stdout as string };
    };
    const shared = run([], 'shared.json'), checkout = run(['--nab', dir], 'checkout.json');
    for (const k of ['ours', 'table', 'points', 'scoresSha256']) expect(checkout.json[k], k).toEqual(shared.json[k]);
    expect(checkout.json.points).toBeGreaterThan(3000);
    expect(Object.keys(checkout.json.table.realAdExchange)).toEqual(['windows', 'SeriesDetector', ...DETECTORS]);
    for (const det of DETECTORS) expect(checkout.stdout).toContain(`${det} (published thr)`);
    expect(checkout.stdout).toContain('numenta (re-optimised)');
  }, 300_000);

  it('says what is wrong with a directory that is not a NAB checkout', () => {
    expect(() => loadNabCheckout(pathToFileURL(`${tmpdir()}/`))).toThrow(/is not a NAB checkout: .*labels\/combined_windows\.json is missing/);
  });
});
