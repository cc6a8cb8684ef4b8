// threads.mjs: the threads entry of the bench (issue 15): W2's dense784 training (Adam, batch 64,
// mse, shuffled) with 1 thread and with 2, each in a fresh child process one after the other, and
// the machine's own two-process scaling beside it: the same 1-thread training in two processes at
// once, their summed rows/s over one process's. On a quiet 2-core box that ratio is near 2; when
// other work shares the cores it drops, and the threads figure can be read against it.
// Also checks that the 1- and 2-thread runs' save() bytes are identical (SHA-256).
// Usage: node tools/bench/threads.mjs [--quick] [--threads 2] [--samples 10000] [--epochs 3]
//   (child: --child <threads>); needs `npm run build` first. Prints a table and `@@RESULT <json>`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { ROOT, arg, loadWorkloads, median, uniform } from './common.mjs';

const QUICK = process.argv.includes('--quick');
const W = loadWorkloads(QUICK);
const SAMPLES = Number(arg('--samples') ?? (QUICK ? 1024 : W.W2.n_samples));
const EPOCHS = Number(arg('--epochs') ?? W.W2.timed_epochs);

async function child(threads) {
  const { Autoencoder } = await import(`${ROOT}dist/bindings/node.js`);
  const c = W.W2, sizes = W.models[c.model].sizes;
  const D = sizes[0];
  const ae = await Autoencoder.create({
    inputDim: D, layers: sizes.slice(1, -1), activation: 'relu', outputActivation: 'sigmoid', loss: 'mse', normalize: 'none', seed: W.seed,
  }, { threads });
  const x = uniform(SAMPLES, D, W.seed, 20);
  const ms = [];
  await ae.fit(x, {
    epochs: c.warmup_epochs + EPOCHS, batchSize: c.batch, learningRate: c.optimizer.lr, optimizer: 'adam',
    beta1: c.optimizer.beta1, beta2: c.optimizer.beta2, shuffle: c.shuffle, validationSplit: 0, earlyStopping: false,
    onEpoch: (e) => { ms.push(e.ms); },
  });
  const sha = createHash('sha256').update(ae.save()).digest('hex');
  ae.dispose();
  const timed = ms.slice(c.warmup_epochs);
  console.log(`@@RESULT ${JSON.stringify({ threads, rows_per_s: SAMPLES / (median(timed) / 1000), epoch_ms: timed, sha })}`);
}

function run(threads) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child', String(threads), ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (code !== 0 || !line) reject(new Error(`child (threads ${threads}) exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(9)));
    });
  });
}

if (arg('--child') !== undefined) {
  await child(Number(arg('--child')));
} else {
  const T = Number(arg('--threads') ?? 2);
  const load0 = loadavg()[0];
  const one = await run(1);
  const many = await run(T);
  const pair = await Promise.all([run(1), run(1)]);
  const pairRate = pair[0].rows_per_s + pair[1].rows_per_s;
  const r = {
    samples: SAMPLES, epochs: EPOCHS, batch: W.W2.batch,
    one: one.rows_per_s, threaded: many.rows_per_s, threads: T, speedup: many.rows_per_s / one.rows_per_s,
    two_process_scaling: pairRate / one.rows_per_s, identical: one.sha === many.sha, sha: one.sha.slice(0, 16),
    loadavg_before: load0, loadavg_after: loadavg()[0],
  };
  const f = (v) => v.toFixed(0).padStart(8);
  console.log(`dense784 training, Adam, batch ${r.batch}, ${SAMPLES} rows, median of ${EPOCHS} epochs (rows/s)`);
  console.log(`  1 thread       ${f(r.one)}`);
  console.log(`  ${T} threads      ${f(r.threaded)}   ${r.speedup.toFixed(2)}x   save() bytes ${r.identical ? 'identical' : 'DIFFER'} (sha256 ${r.sha}...)`);
  console.log(`  machine: two 1-thread processes at once ${f(pair[0].rows_per_s)} + ${f(pair[1].rows_per_s)} = ${r.two_process_scaling.toFixed(2)}x one process (load average ${load0.toFixed(2)} before, ${r.loadavg_after.toFixed(2)} after)`);
  console.log(`@@RESULT ${JSON.stringify(r)}`);
  if (!r.identical) process.exitCode = 1;
}
