// shards.mjs: what the create option `shards` costs or buys a conv model's training (README "Threads"): W3's
// convdae (noisy -> clean, Adam, batch 128, 512 rows, from the shared weights) made with each shard count
// on each thread count, all in ONE process, an epoch of each model in turns (reversed every other round), so
// that this VM's phases slow every model alike. Prints each model's rows/s (median over rounds), the median
// of the per-round ratios against the default 4 shards on the same thread count, and each model's save()
// digest: the same for a shard count on any thread count, another for another count.
//   node tools/bench/shards.mjs [--threads 1,2] [--shards 1,4,8,16] [--rounds 9]
// Needs ../shared (the workloads and the weights) and `npm run build`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ROOT, SHARED, fitInTurns, intArg, loadModel, loadWorkloads, median, specOf, w3Epoch } from './common.mjs';

const counts = (min, max) => (v) => {
  const a = v.split(',').map(Number);
  if (!a.length || a.some((n) => !Number.isInteger(n) || n < min || n > max)) throw new InvalidArgumentError(`a comma-separated list of integers from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return a;
};
const opts = new Command('node tools/bench/shards.mjs')
  .description("convdae's training with each shard count (the create option shards) on each thread count, one process, epochs in turns")
  .option('--threads <list>', 'thread counts, comma-separated', counts(1, 256), [1, 2])
  .option('--shards <list>', 'shard counts, comma-separated (4, the default, is always run: the ratios are against it)', counts(1, 16), [1, 4, 8, 16])
  .option('--rounds <n>', 'rounds of one epoch per model', intArg(1), 9)
  .parse()
  .opts();

if (!existsSync(`${SHARED}workloads.json`)) {
  console.error(`shards: ${SHARED}workloads.json is missing: the run needs ../shared/bench (the workloads and weights) beside the repository`);
  process.exit(2);
}
if (!existsSync(`${ROOT}dist/bindings/node.js`)) {
  console.error('shards: dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const { Autoencoder } = await import(`${ROOT}dist/bindings/node.js`);
const W = loadWorkloads();
const { dirty, fit } = w3Epoch(W);
const shardCounts = [...new Set([4, ...opts.shards])].sort((a, b) => a - b);
const models = [];
for (const threads of opts.threads) {
  for (const shards of shardCounts) {
    const ae = await Autoencoder.create(specOf(W, 'convdae'), { threads, shards });
    ae.setWeights(loadModel('convdae').tensors);
    await ae.fit(dirty, fit);   // warm-up epoch
    models.push({ threads, shards, ae, ms: [] });
  }
}
await fitInTurns(models, dirty, fit, opts.rounds);
console.log(`convdae training, ${opts.rounds} rounds of one epoch (512 rows) per model in turns, node ${process.versions.node}`);
for (const m of models) {
  const four = models.find((o) => o.threads === m.threads && o.shards === 4);
  const ratios = m.ms.map((ms, i) => four.ms[i] / ms);
  const digest = createHash('sha256').update(m.ae.save()).digest('hex').slice(0, 16);
  console.log(`  ${String(m.threads).padStart(3)} thread${m.threads > 1 ? 's' : ' '} ${String(m.shards).padStart(2)} shards  ${Math.round(512 / (median(m.ms) / 1000)).toLocaleString('en-US').padStart(6)} rows/s  `
    + `${median(ratios).toFixed(3)}x 4 shards (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})  save() ${digest}`);
  m.ae.dispose();
}
