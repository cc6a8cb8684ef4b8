// End to end on a real public table: ADBench/ODDS "vowels" (12 features, label 1 = anomaly).
// Stratified 70/30 split (tests/ref stratifiedSplit), an autoencoder with every default trained on
// the normal rows of the train split only, the test split scored, AUC-ROC by tests/ref aucRoc.
// Published reference: PyOD's AutoEncoder scores 0.93 on vowels; random scoring is 0.5.
import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { aucRoc, stratifiedSplit } from './ref/index.js';
import { readTabular } from './data.js';

const data = readTabular('vowels.csv'); // tests/fixtures/vowels.csv: in the repository, never skipped

describe('e2e: vowels.csv', () => {
  it('defaults trained on normal rows separate the test split\'s anomalies: AUC-ROC > 0.8', async () => {
    expect(data, 'tests/fixtures/vowels.csv').not.toBeNull();
    const { x, y, cols, rows } = data!;
    expect([rows, cols]).toEqual([1456, 12]);
    const { train, test } = stratifiedSplit(y, 0.3, 42);
    const normal = train.filter((i) => y[i] === 0);
    const testLabels = test.map((i) => y[i]!);
    const pick = (ids: number[]) => {
      const out = new Float64Array(ids.length * cols);
      ids.forEach((r, j) => out.set(x.subarray(r * cols, (r + 1) * cols), j * cols));
      return out;
    };
    const t0 = performance.now();
    const ae = await Autoencoder.create({ inputDim: 12, normalize: 'standard' });
    const history = await ae.fit(pick(normal));
    const scores = ae.score(pick(test));
    const auc = aucRoc(scores, testLabels);
    console.log(`vowels: AUC-ROC ${auc.toFixed(4)} on ${test.length} test rows (${testLabels.filter((l) => l === 1).length} anomalies); `
      + `trained on ${normal.length} normal rows, ${history.epochs} epochs, final loss ${history.loss.at(-1)!.toFixed(4)}, `
      + `${(performance.now() - t0).toFixed(0)} ms`);
    expect(scores.length).toBe(test.length);
    expect(history.loss.every(Number.isFinite)).toBe(true);
    expect(auc).toBeGreaterThan(0.8);

    // a threshold from the normal training rows flags anomalies far more often than normal rows
    ae.calibrate(pick(normal), { quantile: 0.95 });
    const flags = ae.detect(pick(test));
    const rate = (label: number) => {
      const ids = testLabels.flatMap((l, i) => (l === label ? [i] : []));
      return ids.filter((i) => flags[i] === 1).length / ids.length;
    };
    console.log(`vowels: flagged ${(100 * rate(1)).toFixed(1)}% of anomalies, ${(100 * rate(0)).toFixed(1)}% of normal rows`);
    expect(rate(1)).toBeGreaterThan(2 * rate(0));

    // the same run again gives the same scores, bit for bit
    const again = await Autoencoder.create({ inputDim: 12, normalize: 'standard' });
    await again.fit(pick(normal));
    expect(again.score(pick(test))).toEqual(scores);
  }, 20_000);
});
