// ADBench's unsupervised protocol on two public tables, with nothing but the library's defaults:
// a stratified 70/30 split (tests/ref stratifiedSplit), `create({ inputDim, normalize: 'standard', seed })`
// + `fit(x)` on the WHOLE 70% (its anomalies included, labels unused) + `score(x)` on the 30%, AUC-ROC
// by tests/ref aucRoc, mean over seeds 1, 2, 3. Each mean must reach ADBench's published Isolation
// Forest AUC-ROC for that table (ADBench paper, Table D4, read from ../shared/datasets/tabular/
// baselines.json: an outside number, not one of ours). vowels is in tests/fixtures; letter and the
// baselines are in ../shared, so without it the test skips and says why.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { aucRoc, stratifiedSplit } from './ref/index.js';
import { haveShared, readTabular } from './data.js';

const BASELINES = new URL('../../shared/datasets/tabular/baselines.json', import.meta.url);
const ok = haveShared('ADBench protocol vs Isolation Forest', 'datasets/tabular/baselines.json', 'datasets/tabular/letter.csv');
const iforest = (name: string): number | undefined => (existsSync(BASELINES)
  ? (JSON.parse(readFileSync(BASELINES, 'utf8')) as { datasets: Record<string, { adbench_aucroc_pct?: { IForest?: number } }> })
    .datasets[name]?.adbench_aucroc_pct?.IForest
  : undefined);

async function adbenchAuc(name: string): Promise<number[]> {
  const t = readTabular(`${name}.csv`)!;
  const pick = (ids: number[]) => {
    const out = new Float64Array(ids.length * t.cols);
    ids.forEach((r, j) => out.set(t.x.subarray(r * t.cols, (r + 1) * t.cols), j * t.cols));
    return out;
  };
  const aucs: number[] = [];
  for (const seed of [1, 2, 3]) {
    const { train, test } = stratifiedSplit(t.y, 0.3, seed);
    const ae = await Autoencoder.create({ inputDim: t.cols, normalize: 'standard', seed });
    await ae.fit(pick(train)); // anomalies included: the rows are not filtered by label
    aucs.push(100 * aucRoc(ae.score(pick(test)), test.map((i) => t.y[i]!)));
    ae.dispose();
  }
  return aucs;
}

describe.skipIf(!ok)('ADBench unsupervised protocol, library defaults', () => {
  for (const name of ['vowels', 'letter']) {
    it(`${name}: mean AUC-ROC over 3 seeds >= ADBench's Isolation Forest`, async () => {
      const target = iforest(name);
      if (target === undefined) {
        console.warn(`[skip] ${name}: baselines.json has no ADBench IForest figure`);
        return;
      }
      const aucs = await adbenchAuc(name);
      const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
      console.log(`${name}: ADBench protocol AUC-ROC ${aucs.map((a) => a.toFixed(2)).join(', ')} (mean ${mean.toFixed(2)}); ADBench IForest ${target}`);
      expect(mean).toBeGreaterThanOrEqual(target);
    }, 60_000);
  }
});
