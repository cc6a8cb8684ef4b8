// eval-tabular.ts: AUC-ROC of the autoencoder on the shared anomaly tables, to choose defaults on
// evidence. Protocol (novelty setting): stratified 70/30 split, train on the NORMAL rows of the
// train split, score every test row, AUC-ROC against the labels. Several seeds per setting.
// Usage: npx tsx tools/eval-tabular.ts [--data ../shared/datasets/tabular] [--grid] [--seeds 3]
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Command } from 'commander';
import { Autoencoder, type AutoencoderSpec, type FitOptions } from '../bindings/node.js';
import { aucRoc, stratifiedSplit } from '../tests/ref/metrics.js';

const opts = new Command()
  .option('--data <dir>', 'folder with vowels.csv, letter.csv, musk.csv', new URL('../../shared/datasets/tabular', import.meta.url).pathname)
  .option('--grid', 'try a grid of settings instead of the defaults only')
  .option('--layers', 'compare rules for the default layer widths')
  .option('--seeds <n>', 'seeds per setting', '3')
  .parse().opts<{ data: string; grid?: boolean; seeds: string }>();

interface Table { name: string; x: number[][]; y: number[] }
function load(name: string): Table {
  const rows = parse(readFileSync(`${opts.data}/${name}.csv`), { from_line: 2, cast: true }) as unknown as number[][];
  return { name, x: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => r[r.length - 1]!) };
}

async function auc(t: Table, seed: number, spec: Partial<AutoencoderSpec>, fit: FitOptions): Promise<{ auc: number; epochs: number; ms: number }> {
  const { train, test } = stratifiedSplit(t.y, 0.3, seed);
  const normal = train.filter((i) => t.y[i] === 0).map((i) => t.x[i]!);
  const ae = await Autoencoder.create({ inputDim: t.x[0]!.length, normalize: 'standard', seed, ...spec });
  const t0 = performance.now();
  const h = await ae.fit(normal, fit);
  const ms = performance.now() - t0;
  const s = ae.score(test.map((i) => t.x[i]!));
  const result = { auc: aucRoc(s, test.map((i) => t.y[i]!)), epochs: h.epochs, ms };
  ae.dispose();
  return result;
}

const tables = ['vowels', 'letter', 'musk'].map(load);
const seeds = Array.from({ length: Number(opts.seeds) }, (_, i) => i + 1);
type Setting = { label: string; spec: Partial<AutoencoderSpec>; fit: FitOptions };
const settings: Setting[] = [{ label: 'defaults', spec: {}, fit: {} }];
const layerRules: Record<string, (d: number) => number[]> = {
  '[d, d/2]': (d) => [d, Math.max(2, Math.round(d / 2))],
  '[d, d/4]': (d) => [d, Math.max(2, Math.round(d / 4))],
  '[2d, d/2]': (d) => [2 * d, Math.max(2, Math.round(d / 2))],
  '[d/2, d/4, d/8]': (d) => [Math.max(4, Math.round(d / 2)), Math.max(3, Math.round(d / 4)), Math.max(2, Math.round(d / 8))],
  '[min(d,64), min(d/2,32)]': (d) => [Math.min(64, d), Math.max(2, Math.min(32, Math.round(d / 2)))],
  '[min(d,128), min(d/2,32)]': (d) => [Math.min(128, d), Math.max(2, Math.min(32, Math.round(d / 2)))],
};
if (process.argv.includes('--layers')) {
  settings.length = 0;
  for (const label of Object.keys(layerRules)) settings.push({ label, spec: {}, fit: {} });
}
if (opts.grid) {
  for (const activation of ['relu', 'tanh', 'elu'] as const) {
    for (const batchSize of [16, 32, 64]) settings.push({ label: `${activation} batch ${batchSize}`, spec: { activation }, fit: { batchSize } });
  }
  settings.push({ label: 'wide [d, d/2]', spec: {}, fit: {} });
  settings.push({ label: 'no early stop, 100 ep', spec: {}, fit: { earlyStopping: false } });
  settings.push({ label: 'lr 3e-3', spec: {}, fit: { learningRate: 3e-3 } });
  settings.push({ label: 'patience 20, 200 ep', spec: {}, fit: { epochs: 200, earlyStopping: { patience: 20 } } });
}
console.log(`novelty AUC-ROC (mean over seeds ${seeds.join(',')}), train on normal rows of a stratified 70% split`);
for (const st of settings) {
  const cells: string[] = [];
  for (const t of tables) {
    let spec = st.spec;
    if (st.label.startsWith('wide')) { const d = t.x[0]!.length; spec = { layers: [d, Math.max(2, Math.round(d / 2))] }; }
    const rule = layerRules[st.label];
    if (rule) spec = { ...spec, layers: rule(t.x[0]!.length) };
    const r: Awaited<ReturnType<typeof auc>>[] = [];
    for (const s of seeds) r.push(await auc(t, s, spec, st.fit)); // one at a time, so the ms are honest
    const mean = (f: (v: typeof r[0]) => number) => r.reduce((a, v) => a + f(v), 0) / r.length;
    cells.push(`${t.name} ${(100 * mean((v) => v.auc)).toFixed(2)} (${mean((v) => v.epochs).toFixed(0)} ep, ${mean((v) => v.ms).toFixed(0)} ms)`);
  }
  console.log(`${st.label.padEnd(24)} ${cells.join('  ')}`);
}
