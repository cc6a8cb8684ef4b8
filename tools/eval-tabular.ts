// eval-tabular.ts: AUC-ROC of the autoencoder's defaults on the eight shared ADBench tables, beside
// the published baselines in baselines.json, under two protocols:
//   adbench (first): ADBench's unsupervised protocol. Stratified 70/30 split, fit on the WHOLE 70%
//            (anomalies included, labels unused), score the 30%, AUC-ROC; mean over seeds 1..3.
//   novelty: the same split, but fit on the normal rows of the 70% only (the clean-training setting).
// The model is exactly `Autoencoder.create({ inputDim, normalize: 'standard', seed })` (since round 4 the
// subsample ensemble), `fit(x)`, `score(x)` unless --setting names an experiment below. Every fit's wall
// time is printed. --against SETTING fits a second model per table and seed right after the first (e.g.
// 'ens=0': one autoencoder, the defaults before round 4) and prints its AUC and fit time beside, so the
// two times come from the same run.
// Usage: npm run eval -- [--data dir] [--seeds 3] [--first-seed 1] [--tables vowels,letter] [--protocol both|adbench|novelty]
//        [--max-train N (stratified subsample of larger training splits; default: none)] [--setting name]
//        [--log file (appends one JSON line per table and protocol)] [--against setting] [--threads n|auto]
// Only metrics are computed here; every number the model produces comes from the library.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Autoencoder as SourceAutoencoder, type AutoencoderSpec, type FitOptions } from '../bindings/node.js';
import { aucRoc, stratifiedSplit } from '../tests/ref/metrics.js';
import { TABLES, loadTable, pick, subsample, type Table } from './tables.js';
import { threadsArg } from './args.js';


/**
 * Experiments: `--setting` is 'defaults' (the library's own) or a comma list of key=value pairs that
 * override them: ep (epochs), es (0: no early stopping, else patience), bs (batch size), lr, wd
 * (weightDecay), vs (validationSplit), noise, hid (hidden width: a number or a multiple of d such as
 * 'd' or '0.5d'), lat (latent width, same forms), act (activation), loss, norm (normalize),
 * ens (the spec's ensemble members; 0: `ensemble: false`, one autoencoder, the defaults before round 4)
 * rows (its rows per member, default 512), clean (its cleaning pass, default 0.2; 0: one pass) and dens
 * (its latent density term's reference rows, default 8192; 0: none, the default before round 6): e.g.
 * 'ens=16,ep=50', 'clean=0' or 'dens=0'.
 */
function setting(text: string, d: number): { spec: Partial<AutoencoderSpec>; fit?: FitOptions } {
  if (text === 'defaults') return { spec: {} };
  const kv = Object.fromEntries(text.split(',').map((p) => p.split('=') as [string, string]));
  const width = (v: string) => Math.max(1, Math.round(v.endsWith('d') ? Number(v.slice(0, -1) || 1) * d : Number(v)));
  const spec: Partial<AutoencoderSpec> = {}, fit: FitOptions = {};
  if (kv.hid !== undefined || kv.lat !== undefined) {
    const hid = kv.hid === undefined ? Math.min(128, Math.max(2, d)) : width(kv.hid);
    const lat = kv.lat === undefined ? Math.min(32, Math.max(1, Math.round(d / 2))) : width(kv.lat);
    spec.layers = hid === 0 || kv.hid === '0' ? [lat] : [hid, lat];
  }
  if (kv.ens || kv.clean || kv.dens) spec.ensemble = kv.ens === '0' ? false : { members: Number(kv.ens ?? 16), rows: Number(kv.rows ?? 512), clean: Number(kv.clean ?? 0.2), density: Number(kv.dens ?? 8192) };
  if (kv.act) spec.activation = kv.act as AutoencoderSpec['activation'];
  if (kv.loss) spec.loss = kv.loss as AutoencoderSpec['loss'];
  if (kv.norm) spec.normalize = kv.norm as AutoencoderSpec['normalize'];
  if (kv.ep) fit.epochs = Number(kv.ep);
  if (kv.es) fit.earlyStopping = kv.es === '0' ? false : { patience: Number(kv.es) };
  if (kv.bs) fit.batchSize = Number(kv.bs);
  if (kv.lr) fit.learningRate = Number(kv.lr);
  if (kv.wd) fit.weightDecay = Number(kv.wd);
  if (kv.vs) fit.validationSplit = Number(kv.vs);
  if (kv.noise) fit.noise = Number(kv.noise);
  return { spec, fit };
}

const opts = new Command()
  .option('--data <dir>', 'folder with the tables and baselines.json', new URL('../../shared/datasets/tabular', import.meta.url).pathname)
  .option('--seeds <n>', 'seeds per table', '3')
  .option('--first-seed <n>', 'the first seed (seeds run first-seed, first-seed + 1, ...)', '1')
  .option('--tables <list>', 'comma-separated table names', TABLES.join(','))
  .option('--protocol <p>', 'both | adbench | novelty', 'both')
  .option('--max-train <n>', 'stratified subsample of training splits larger than this (0: none)', '0')
  .option('--setting <text>', "'defaults' or key=value pairs (see setting())", 'defaults')
  .option('--log <file>', 'append a JSON line per table and protocol')
  .option('--against <text>', 'a second setting fitted after each model, its AUC and fit time printed beside (e.g. ens=0)')
  .option('--threads <n|auto>', "each model's threads (the same AUC, bit for bit, on any count; the fit times change)", threadsArg, 1)
  .parse().opts<{ data: string; seeds: string; firstSeed: string; tables: string; protocol: string; maxTrain: string; setting: string; log?: string; against?: string; threads: number | 'auto' }>();

const load = (name: string): Table => loadTable(opts.data, name);
// threads need the built package (its worker module is dist/bindings/thread-worker.js; the sources here run
// through tsx, which the workers do not); one thread runs the sources, as before
const DIST = new URL('../dist/bindings/node.js', import.meta.url);
if (opts.threads !== 1 && !existsSync(DIST)) {
  console.error('eval: --threads needs the built package (dist/): run `npm run build` first');
  process.exit(2);
}
const Autoencoder: typeof SourceAutoencoder = opts.threads === 1 ? SourceAutoencoder : (await import(DIST.href)).Autoencoder;

interface Run { auc: number; ms: number; epochs: number; trainRows: number }
async function run(t: Table, seed: number, protocol: 'adbench' | 'novelty', which = opts.setting): Promise<Run> {
  const { train, test } = stratifiedSplit(t.y, 0.3, seed);
  let fitIds = protocol === 'adbench' ? train : train.filter((i) => t.y[i] === 0);
  const max = Number(opts.maxTrain);
  if (max > 0 && fitIds.length > max) fitIds = subsample(fitIds, t.y, max, seed);
  const s = setting(which, t.cols);
  const ae = await Autoencoder.create({ inputDim: t.cols, normalize: 'standard', seed, ...s.spec }, { threads: opts.threads });
  const xFit = pick(t, fitIds), xTest = pick(t, test);
  const t0 = performance.now();
  const h = s.fit ? await ae.fit(xFit, s.fit) : await ae.fit(xFit);
  const ms = performance.now() - t0;
  const scores = ae.score(xTest);
  ae.dispose();
  return { auc: 100 * aucRoc(scores, test.map((i) => t.y[i]!)), ms, epochs: h.epochs, trainRows: fitIds.length };
}

const baselines = JSON.parse(readFileSync(`${opts.data}/baselines.json`, 'utf8')) as {
  datasets: Record<string, { adbench_aucroc_pct: Record<string, number | null>; pyod_deep_aucroc?: { aucroc: Record<string, number> } }>;
};
const names = opts.tables.split(',');
const seeds = Array.from({ length: Number(opts.seeds) }, (_, i) => i + Number(opts.firstSeed));
const protocols = (opts.protocol === 'both' ? ['adbench', 'novelty'] : [opts.protocol]) as ('adbench' | 'novelty')[];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const f = (v: number | undefined | null, w = 7) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(2)).padStart(w);
const tables = names.map(load);

for (const protocol of protocols) {
  console.log(`\n## ${protocol === 'adbench' ? 'ADBench unsupervised protocol: fit on the whole 70% split, anomalies included' : 'novelty protocol: fit on the normal rows of the 70% split'}`
    + ` (setting '${opts.setting}', seeds ${seeds.join(',')}, AUC-ROC %, mean of seeds${Number(opts.maxTrain) > 0 ? `, training subsampled (stratified) to ${opts.maxTrain} rows` : ''})`);
  const vs = opts.against ? ` '${opts.against}' AUC | its fit ms |` : '';
  console.log(`| table | rows fit | AE | ±sd | PCA | IForest | ECOD | KNN | best of 14 | PyOD AE | AE − IForest | fit ms | epochs |${vs}`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|---|${opts.against ? '---|---|' : ''}`);
  const sums: Record<string, number[]> = { ae: [], PCA: [], IForest: [], ECOD: [], KNN: [], best: [], ms: [], vsAuc: [], vsMs: [] };
  for (const t of tables) {
    const runs: Run[] = [], other: Run[] = [];
    for (const s of seeds) { // one at a time, so the times are honest
      runs.push(await run(t, s, protocol));
      if (opts.against) other.push(await run(t, s, protocol, opts.against));
    }
    const vsAuc = other.length ? mean(other.map((r) => r.auc)) : NaN, vsMs = other.length ? mean(other.map((r) => r.ms)) : NaN;
    const aucs = runs.map((r) => r.auc), auc = mean(aucs);
    const sd = Math.sqrt(mean(aucs.map((a) => (a - auc) ** 2)));
    const b = baselines.datasets[t.name]?.adbench_aucroc_pct ?? {};
    const bestName = Object.entries(b).filter(([, v]) => v !== null).sort((p, q) => q[1]! - p[1]!)[0];
    const pyod = baselines.datasets[t.name]?.pyod_deep_aucroc?.aucroc.AutoEncoder;
    const ms = mean(runs.map((r) => r.ms));
    console.log(`| ${t.name} | ${runs[0]!.trainRows} | ${f(auc)} | ${f(sd, 5)} | ${f(b.PCA)} | ${f(b.IForest)} | ${f(b.ECOD)} | ${f(b.KNN)} | ${f(bestName?.[1])} (${bestName?.[0]}) | ${f(pyod === undefined ? undefined : 100 * pyod)} | ${f(auc - (b.IForest ?? NaN))} | ${ms.toFixed(0)} | ${mean(runs.map((r) => r.epochs)).toFixed(1)} |${opts.against ? ` ${f(vsAuc)} | ${vsMs.toFixed(0)} |` : ''}`);
    sums.ae!.push(auc); sums.ms!.push(ms); sums.vsAuc!.push(vsAuc); sums.vsMs!.push(vsMs);
    for (const k of ['PCA', 'IForest', 'ECOD', 'KNN'] as const) sums[k]!.push(b[k] ?? NaN);
    sums.best!.push(bestName?.[1] ?? NaN);
    if (opts.log) appendFileSync(opts.log, JSON.stringify({ when: new Date().toISOString(), setting: opts.setting, protocol, table: t.name, seeds, aucs, auc, ms: runs.map((r) => r.ms), epochs: runs.map((r) => r.epochs), trainRows: runs[0]!.trainRows, iforest: b.IForest }) + '\n');
  }
  const m = (k: string) => mean(sums[k]!);
  console.log(`| **mean of ${tables.length}** | | **${f(m('ae'))}** | | ${f(m('PCA'))} | ${f(m('IForest'))} | ${f(m('ECOD'))} | ${f(m('KNN'))} | ${f(m('best'))} | | ${f(m('ae') - m('IForest'))} | ${m('ms').toFixed(0)} | |${opts.against ? ` ${f(m('vsAuc'))} | ${m('vsMs').toFixed(0)} |` : ''}`);
  if (opts.against) console.log(`mean fit time: ${m('ms').toFixed(0)} ms ('${opts.setting}') vs ${m('vsMs').toFixed(0)} ms ('${opts.against}'), ratio ${(m('ms') / m('vsMs')).toFixed(2)}`);
}
