// pool-worker.ts: one worker thread of pool.ts; runs each series it is sent and posts its scores back.
import { parentPort } from 'node:worker_threads';
import { runTask, type Task } from './pool.js';

parentPort!.on('message', (t: Task) => {
  runTask(t).then(
    (r) => parentPort!.postMessage(r, [r.scores.buffer as ArrayBuffer]),
    (e: unknown) => parentPort!.postMessage({ i: t.i, scores: new Float32Array(0), ms: 0, error: e instanceof Error ? e.message : String(e) }),
  );
});
