// tables.ts: the shared tabular benchmarks (../shared/datasets/tabular: <name>.csv or <name>.csv.gz, the
// label in the last column) for tools/eval-tabular.ts and tools/eval-family.ts, which must cut the same
// splits and subsamples.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { mulberry32 } from '../tests/ref/metrics.js';

/** The eight ADBench tables of ../shared/datasets/tabular, in the order the evaluations print them. */
export const TABLES = ['vowels', 'letter', 'musk', 'aloi', 'campaign', 'magic.gamma', 'shuttle', 'smtp'];

export interface Table { name: string; x: Float64Array; y: Int32Array; rows: number; cols: number }

/** Table `name` from folder `dir`: rows x cols features (float64) and the 0/1 label of each row. */
export function loadTable(dir: string, name: string): Table {
  const path = `${dir}/${name}.csv`;
  let text: Buffer;
  try { text = readFileSync(path); } catch { text = gunzipSync(readFileSync(`${path}.gz`)); }
  const rows = parse(text, { from_line: 2, cast: true }) as unknown as number[][];
  const cols = rows[0]!.length - 1;
  const x = new Float64Array(rows.length * cols), y = new Int32Array(rows.length);
  rows.forEach((r, i) => { for (let c = 0; c < cols; c++) x[i * cols + c] = r[c]!; y[i] = r[cols]!; });
  return { name, x, y, rows: rows.length, cols };
}

/** The rows `ids` of a table, in that order. */
export function pick(t: Table, ids: number[]): Float64Array {
  const out = new Float64Array(ids.length * t.cols);
  ids.forEach((r, j) => out.set(t.x.subarray(r * t.cols, (r + 1) * t.cols), j * t.cols));
  return out;
}

/** A stratified subsample of `ids` of about `n` rows (each class keeps its share), ascending. */
export function subsample(ids: number[], y: Int32Array, n: number, seed: number): number[] {
  const rand = mulberry32(seed ^ 0x5bd1e995);
  const out: number[] = [];
  for (const cls of [0, 1]) {
    const c = ids.filter((i) => y[i] === cls);
    for (let i = c.length - 1; i > 0; i--) { const j = rand() % (i + 1); [c[i], c[j]] = [c[j]!, c[i]!]; }
    out.push(...c.slice(0, Math.round((c.length * n) / ids.length)));
  }
  return out.sort((a, b) => a - b);
}
