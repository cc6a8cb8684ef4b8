// nab-pool.test.ts: tools/nab/pool.ts (npm run nab --jobs) runs each series on a worker thread with its
// own detector; the scores must be those of SeriesDetector.pushMany() on the main thread, in series
// order, whatever the number of workers.

import { describe, expect, it } from 'vitest';
import { SeriesDetector } from 'autoencoder';
import { scoreSeries, type PoolSeries } from '../tools/nab/pool.js';
import { Rng } from './helpers.js';

function series(k: number, n: number): PoolSeries {
  const rng = new Rng(100 + k);
  const values = new Float64Array(n), times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = Date.UTC(2026, 0, 1) + i * 300_000 * (k + 1);
    values[i] = 10 * Math.sin((2 * Math.PI * i) / (24 + 8 * k)) + rng.uniform(-1, 1) + (i === n - 100 ? 25 : 0);
  }
  return { name: `s${k}`, values, times };
}

describe('NAB worker pool', () => {
  it('gives the bits of pushMany() on the main thread, in series order, on 1 and 3 workers', async () => {
    const all = [series(0, 1500), series(1, 900), series(2, 1200), series(3, 600)];
    const options = { retrainEvery: 200, firstEpochs: 5, epochs: 2 };
    const want: Float32Array[] = [];
    for (const s of all) {
      const d = await SeriesDetector.create(options);
      want.push(d.pushMany(s.values, s.times));
      d.dispose();
    }
    expect(Math.max(...want[0]!)).toBeGreaterThan(0);   // past the warm-up: real scores to compare
    for (const jobs of [1, 3]) {
      const r = await scoreSeries(all, options, jobs);
      expect(r.scores.length).toBe(all.length);
      r.scores.forEach((sc, i) => expect(Buffer.from(sc.buffer, sc.byteOffset, sc.byteLength).equals(Buffer.from(want[i]!.buffer, want[i]!.byteOffset, want[i]!.byteLength)), `jobs ${jobs}, series ${i}`).toBe(true));
      expect(r.pushMs).toBeGreaterThan(0);
    }
  }, 60_000);
});
