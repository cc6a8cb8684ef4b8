// pool.ts: runs SeriesDetector over many series on `jobs` worker threads (tools/nab/pool-worker.ts), one
// whole series per task, the next series to whichever worker is free. Each series gets its own detector
// exactly as in one thread, so the scores are the same bits whatever `jobs` is (tests/nab-pool.test.ts);
// only the wall time changes. Each task's pushMany() time is measured in its worker: their sum is the
// one-core figure, the wall time what the machine took.

import { Worker } from 'node:worker_threads';
import { SeriesDetector, type SeriesOptions } from '../../bindings/node.js';

export interface PoolSeries { name: string; values: Float64Array; times: Float64Array }
export interface PoolResult { scores: Float32Array[]; pushMs: number; wallMs: number }

export interface Task { i: number; options: SeriesOptions; values: Float64Array; times: Float64Array }
export interface Done { i: number; scores: Float32Array; ms: number; error?: string }

/** One series, as a worker (or the main thread with jobs 1) runs it. */
export async function runTask(t: Task): Promise<Done> {
  const d = await SeriesDetector.create(t.options);
  try {
    const t0 = performance.now();
    const scores = d.pushMany(t.values, t.times);
    return { i: t.i, scores, ms: performance.now() - t0 };
  } finally {
    d.dispose();
  }
}

export async function scoreSeries(series: PoolSeries[], options: SeriesOptions, jobs: number): Promise<PoolResult> {
  const t0 = performance.now();
  const scores: Float32Array[] = new Array(series.length);
  let pushMs = 0;
  const task = (i: number): Task => ({ i, options, values: series[i]!.values, times: series[i]!.times });
  if (jobs <= 1) {
    for (let i = 0; i < series.length; i++) {
      const r = await runTask(task(i));
      scores[i] = r.scores;
      pushMs += r.ms;
    }
    return { scores, pushMs, wallMs: performance.now() - t0 };
  }
  let next = 0;
  const workers = Array.from({ length: Math.min(jobs, series.length) }, () =>
    new Worker(new URL('./pool-boot.mjs', import.meta.url)));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      const feed = () => { if (next < series.length) w.postMessage(task(next++)); else resolve(); };
      w.on('message', (r: Done) => {
        if (r.error) { reject(new Error(`${series[r.i]!.name}: ${r.error}`)); return; }
        scores[r.i] = r.scores;
        pushMs += r.ms;
        feed();
      });
      w.on('error', reject);
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`a NAB worker exited with code ${code}`)); });
      feed();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { scores, pushMs, wallMs: performance.now() - t0 };
}
