// ab-threads.mjs: an A/B of two builds (dist/ dirs) on 2-thread training, in ONE process, epochs in
// turns: W2's dense784 (Adam, batch 64, 10,000 rows), the same trained with gaussian input noise 0.1 (a denoising
// autoencoder: its batches' gathers and noise go through the pool, train.ts noise_part), and W3's convdae (noisy ->
// clean, batch 128, 512 rows), each from the shared weights. ab.mjs times one thread only; a change to the pool (assembly/
// threads.ts) needs both builds' thread pools side by side, since this VM's two vCPUs drift apart and
// together over seconds (session 40: 2 threads 1.32-1.83x one thread within twenty minutes).
// Each round trains one epoch of every model (the OLD and NEW 2-thread models, and OLD's 1-thread one for
// the round's scaling), in turns reversed every other round; prints each model's rows/s (median), the
// median of the per-round ratios NEW/OLD, and the models' save() digests (the same bits, whatever the split).
//   node tools/bench/ab-threads.mjs --old <dist dir> [--new <dist dir>] [--rounds 21] [--threads 2] [--only dense784,dense784-noise,convdae]
// Needs ../shared (the workloads and the weights) and `npm run build`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { SHARED, intArg, listArg, loadModel, loadWorkloads, median, specOf, uniform, w2Fit, w3Epoch } from './common.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODELS = ['dense784', 'dense784-noise', 'convdae'];
const opts = new Command('node tools/bench/ab-threads.mjs')
  .description('an A/B of two builds (dist/ dirs) on 2-thread training in one process, epochs in turns')
  .requiredOption('--old <dir>', "the dist/ of the other build (e.g. a copy of main's dist/)")
  .option('--new <dir>', 'the dist/ of the build under test', `${ROOT}dist`)
  .option('--rounds <n>', 'rounds of one epoch per model', intArg(1), 21)
  .option('--threads <n>', 'threads of the two builds\' models', intArg(2), 2)
  .option('--only <list>', `models, comma-separated (${MODELS.join(',')})`, listArg(MODELS, ''), MODELS)
  .parse()
  .opts();

if (!existsSync(`${SHARED}workloads.json`)) {
  console.error(`ab-threads: ${SHARED}workloads.json is missing: the A/B needs ../shared/bench (the workloads and weights) beside the repository`);
  process.exit(2);
}
for (const dir of [opts.old, opts.new]) {
  if (!existsSync(`${resolve(dir)}/bindings/node.js`)) {
    console.error(`ab-threads: ${dir} is not a built dist/ (no bindings/node.js in it): pass a copy of dist/ made after \`npm run build\``);
    process.exit(2);
  }
}
const W = loadWorkloads();
const w2 = W.W2;
const workloads = {
  dense784: () => {
    const x = uniform(10000, 784, W.seed, 20);
    const fit = { ...w2Fit(W), epochs: 1 };
    return { spec: specOf(W, w2.model), weights: w2.model, rows: 10000, train: (ae) => ae.fit(x, fit) };
  },
  'dense784-noise': () => {
    const x = uniform(10000, 784, W.seed, 20);
    const fit = { ...w2Fit(W), epochs: 1, noise: { gaussian: 0.1 } };
    return { spec: specOf(W, w2.model), weights: w2.model, rows: 10000, train: (ae) => ae.fit(x, fit) };
  },
  convdae: () => {
    const { dirty, fit } = w3Epoch(W);
    return { spec: specOf(W, 'convdae'), weights: 'convdae', rows: 512, train: (ae) => ae.fit(dirty, fit) };
  },
};

for (const name of opts.only) {
  const w = workloads[name]();
  const sides = [];
  for (const [label, dir, threads] of [['OLD', opts.old, opts.threads], ['NEW', opts.new, opts.threads], ['OLD, 1 thread', opts.old, 1]]) {
    const { Autoencoder } = await import(`${resolve(dir)}/bindings/node.js`);
    const ae = await Autoencoder.create(w.spec, { threads });
    ae.setWeights(loadModel(w.weights).tensors);
    await w.train(ae);   // warm-up epoch
    sides.push({ label, ae, ms: [] });
  }
  for (let r = 0; r < opts.rounds; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const t0 = performance.now();
      await w.train(s.ae);
      s.ms.push(performance.now() - t0);
    }
  }
  const [old] = sides;
  console.log(`${name}, ${opts.threads} threads, ${opts.rounds} rounds of one epoch (${w.rows} rows) per model in turns`);
  for (const s of sides) {
    const ratios = s.ms.map((m, i) => old.ms[i] / m);
    const digest = createHash('sha256').update(s.ae.save()).digest('hex').slice(0, 16);
    console.log(`  ${s.label.padEnd(14)} ${Math.round(w.rows / (median(s.ms) / 1000)).toLocaleString('en-US').padStart(7)} rows/s  ${median(ratios).toFixed(3)}x OLD (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})  save() ${digest}`);
    s.ae.dispose();
  }
}
