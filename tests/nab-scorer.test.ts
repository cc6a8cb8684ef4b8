// nab-scorer.test.ts: the port of NAB's scorer (tools/nab/scorer.ts) against NAB's own published
// results: Numenta HTM's per-row scores at its published thresholds reproduce the published raw
// score of every file under every profile, and the corpus-optimised, normalised scores reproduce
// the README's table (73.0 / 66.6 / 76.8). Needs ../shared/datasets/nab-corpus.

import { describe, expect, it } from 'vitest';
import { haveShared } from './data.js';
import { loadLabels, loadNumentaRowScores, loadPublished } from '../tools/nab/corpus.js';
import { PROFILES, countWindows, normalise, optimizeThreshold, probationaryLength, scaledSigmoid, scoreFile } from '../tools/nab/scorer.js';

const ok = haveShared('NAB scorer check', 'datasets/nab-corpus/labels.json', 'datasets/nab-corpus/numenta_rowscores.json.gz', 'datasets/nab-corpus/published_scores.json');

describe('NAB scorer', () => {
  it('scaled sigmoid and probation follow sweeper.py', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 15);
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(0)).toBe(0);
    expect(probationaryLength(1000)).toBe(150);
    expect(probationaryLength(22695)).toBe(750);
  });

  it.skipIf(!ok)('Numenta HTM rows at the published thresholds give the published score of all 153 file-profile pairs', () => {
    const labels = loadLabels(), pub = loadPublished(), rows = loadNumentaRowScores();
    const names = Object.keys(labels.series);
    expect(names.length).toBe(51);
    let pairs = 0;
    for (const p of PROFILES) {
      for (const name of names) {
        const want = pub.per_file[name]!.numenta![p.name]!;
        const got = scoreFile({ name, windows: labels.series[name]!.anomaly_windows, scores: rows[name]! }, want.threshold, p);
        expect(Math.abs(got - want.score), `${p.name} ${name}: ${got} vs ${want.score}`).toBeLessThan(1e-10);
        pairs++;
      }
    }
    expect(pairs).toBe(153);
  });

  it.skipIf(!ok)('one threshold optimised over the 51 files gives the README table for Numenta HTM', () => {
    const labels = loadLabels(), rows = loadNumentaRowScores();
    const files = Object.keys(labels.series).map((name) => ({ name, windows: labels.series[name]!.anomaly_windows, scores: rows[name]! }));
    expect(countWindows(files)).toBe(97);
    const want = { standard: 73.0, reward_low_FP_rate: 66.6, reward_low_FN_rate: 76.8 };
    for (const p of PROFILES) {
      const o = optimizeThreshold(files, p);
      expect(normalise(o.raw, 97, p)).toBeCloseTo(want[p.name], 1);
      // the optimum is a real optimum: the score at that threshold, file by file, sums to it
      const sum = files.reduce((a, f) => a + scoreFile(f, o.threshold, p), 0);
      expect(Math.abs(sum - o.raw)).toBeLessThan(1e-9);
    }
  });
});
