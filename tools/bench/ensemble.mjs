// ensemble.mjs: the default model, the one `Autoencoder.create({ inputDim, normalize: 'standard' })` builds (the
// subsample ensemble of 16 members with its latent density term: assembly/ensemble.ts, density.ts), fitted and
// scored with 1 thread and with --threads, and with 1 thread on another build (--old <dist dir>), in ONE process
// with the calls alternated, so that a busy machine slows every side alike. Per side: fit() of the training rows
// (--fits times, alternated), then per round score() of all of them, of 256-row batches and of single rows; the
// medians over rounds.
// Every side must give the same score bits (the threaded split and the density search's four-rows-at-a-time form
// are exact); a side that does not is reported, and the script exits 1.
// Data: seeded, either uniform [0, 1) columns or a 4-factor manifold with a little noise (a tabular set's
// structure: the nearest codes are closer, so more of the search's steps end after half the dimensions).
//   node tools/bench/ensemble.mjs [--rows 20000] [--cols 30] [--data manifold|uniform] [--threads 2]
//        [--old <dist dir>] [--rounds 7] [--fits 1] [--quick] [--json]     (needs `npm run build`)
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ROOT, intArg, median, printColumns, uniform } from './common.mjs';

const opts = new Command('node tools/bench/ensemble.mjs')
  .description("the default model (subsample ensemble + density term): fit and score with 1 and N threads, and against another build, calls alternated in one process")
  .option('--rows <n>', 'training rows (also the rows scored at once)', intArg(1), 20000)
  .option('--cols <n>', 'columns', intArg(1), 30)
  .addOption(new Option('--data <kind>', 'the rows: a 4-factor manifold with noise, or uniform columns').choices(['manifold', 'uniform']).default('manifold'))
  .option('--threads <n>', 'threads of the threaded side (1: no threaded side)', intArg(1), 2)
  .option('--old <dir>', "another build's dist/ (e.g. a copy of dist/ before a change), timed on 1 thread beside this one")
  .option('--rounds <n>', 'alternated rounds of the score() calls', intArg(1), 7)
  .option('--fits <n>', 'fit() calls per side, alternated (the median is printed; each refits the same model)', intArg(1), 1)
  .option('--quick', 'smoke-run sizes (figures not meaningful)')
  .option('--json', 'print the results as one JSON line instead of the table')
  .parse()
  .opts();
const QUICK = opts.quick === true;
const N = QUICK ? 600 : opts.rows, D = opts.cols, ROUNDS = QUICK ? 1 : opts.rounds;
const ONES = QUICK ? 8 : 200, BATCHES = Math.max(1, Math.min(10, Math.floor(N / 256)));
const dist = `${ROOT}dist`;
for (const dir of [dist, opts.old].filter(Boolean)) {
  if (!existsSync(`${dir}/bindings/node.js`)) throw new Error(`${dir}/bindings/node.js is missing: run \`npm run build\` (or give --old a built dist/)`);
}

/** The rows: uniform, or f . W + noise with 4 factors f (one of them a product, so the manifold is curved). */
function rows() {
  if (opts.data === 'uniform') return uniform(N, D, 7, 0);
  const f = uniform(N, 4, 7, 1), w = uniform(4, D, 7, 2), e = uniform(N, D, 7, 3), x = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    const fi = [f[i * 4], f[i * 4 + 1], f[i * 4 + 2], f[i * 4 + 2] * f[i * 4 + 3]];
    for (let j = 0; j < D; j++) {
      let v = 0.05 * (e[i * D + j] - 0.5);
      for (let k = 0; k < 4; k++) v += fi[k] * w[k * D + j];
      x[i * D + j] = v;
    }
  }
  return x;
}

const x = rows();
const sides = [];
for (const [label, dir, threads] of [['this build', dist, 1], ...(opts.threads > 1 ? [[`this build, ${opts.threads} threads`, dist, opts.threads]] : []), ...(opts.old ? [['--old', opts.old, 1]] : [])]) {
  const { Autoencoder } = await import(`${dir}/bindings/node.js`);
  const ae = await Autoencoder.create({ inputDim: D, normalize: 'standard', seed: 1 }, { threads });
  sides.push({ label, threads, ae, fits: [], all: [], b256: [], one: [] });
}
for (let f = 0; f < (QUICK ? 1 : opts.fits); f++) {
  for (const s of f % 2 ? [...sides].reverse() : sides) {
    const t0 = performance.now();
    await s.ae.fit(x);
    s.fits.push(performance.now() - t0);
  }
}
for (const s of sides) s.fit = median(s.fits);
const want = sides[0].ae.score(x);
const bits = sides.map((s) => { const got = s.ae.score(x); return got.every((v, i) => Object.is(v, want[i])); });
for (let r = 0; r < ROUNDS; r++) {
  for (const s of r % 2 ? [...sides].reverse() : sides) {
    let t0 = performance.now();
    s.ae.score(x);
    s.all.push(performance.now() - t0);
    t0 = performance.now();
    for (let b = 0; b < BATCHES; b++) s.ae.score(x.subarray(b * 256 * D, (b + 1) * 256 * D));
    s.b256.push((performance.now() - t0) / BATCHES);
    t0 = performance.now();
    for (let i = 0; i < ONES; i++) s.ae.score(x.subarray(i * D, (i + 1) * D));
    s.one.push((performance.now() - t0) / ONES * 1000);
  }
}
const bytes = sides[0].ae.save().length, s0fits = sides[0].fits.length;
if (opts.json) {
  console.log(JSON.stringify({
    rows: N, cols: D, data: opts.data, rounds: ROUNDS, fileBytes: bytes,
    sides: sides.map((s, i) => ({ label: s.label, threads: s.threads, fitMs: s.fit, scoreAllMs: median(s.all), score256Ms: median(s.b256), score1Us: median(s.one), sameBits: bits[i] })),
  }));
} else {
  console.log(`the default model on ${N} rows x ${D} columns (${opts.data}), model file ${(bytes / 1e6).toFixed(2)} MB; medians of ${s0fits} fit() and ${ROUNDS} score() rounds, alternated`);
  printColumns([
  ['side', 'fit ms', `score ${N} rows ms`, 'score 256 rows ms', 'score 1 row µs', 'score bits'],
    ...sides.map((s, i) => [s.label, s.fit.toFixed(0), median(s.all).toFixed(1), median(s.b256).toFixed(2), median(s.one).toFixed(1), bits[i] ? 'same' : 'OTHER']),
  ]);
}
for (const s of sides) s.ae.dispose();
if (!bits.every(Boolean)) {
  console.error('a side scored other bits than this build on 1 thread');
  process.exitCode = 1;
}
