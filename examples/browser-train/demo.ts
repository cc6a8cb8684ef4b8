// demo.ts: what the browser-train page computes, apart from the DOM: its CSV reader and the exact
// spec and fit options it trains with. tests/browser-demo.test.ts imports the same constants to
// train in Node and compare the page's numbers bit for bit.
// The reader is the CLI's rule set without its CSV library (the package's core has no dependencies):
// comma-separated, no quoted commas; a first row with any non-numeric field is a header; a column
// named `label` (any case) is not a feature, its values only color the rows.
import type { AutoencoderSpec, FitOptions } from 'autoencoder';

/** A CSV of numbers, as the page trains on it. */
export interface DemoTable {
  /** Feature values, row-major, rows x cols (the label column left out). */
  data: Float64Array;
  rows: number;
  cols: number;
  /** Feature column names (header names, or `column N` without a header). */
  names: string[];
  /** Whether the first row was taken as a header. */
  header: boolean;
  /** Name of the label column, or null when there is none. */
  labelName: string | null;
  /** Each row's label as written in the file (null without a label column). */
  labels: string[] | null;
  /** The 1-based file line of each data row. */
  lines: number[];
}

/**
 * The spec the page trains: one autoencoder (`ensemble: false`: the page plots a validation loss and
 * stops early, which the default ensemble does not do) with default layers for the width, standardized
 * inputs, seed 1.
 */
export function demoSpec(inputDim: number): AutoencoderSpec {
  return { inputDim, normalize: 'standard', seed: 1, ensemble: false };
}

/** The fit options the page trains with (a 10% validation split when there are rows to spare). */
export function demoFitOptions(rows: number): FitOptions {
  return { epochs: 100, batchSize: 32, validationSplit: rows >= 20 ? 0.1 : 0, earlyStopping: { patience: 10, restoreBest: true } };
}

/** The quantile of the training rows' scores that calibrate() takes as the threshold. */
export const DEMO_QUANTILE = 0.99;

// A plain decimal number, as the CLI accepts (tools/csv.ts): not '', 'NaN', 'Infinity', '0x10'.
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const isNumber = (s: string) => NUMBER.test(s.trim());

/** A field without its surrounding spaces and, if it has them, its surrounding double quotes. */
function field(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"').trim() : t;
}

/**
 * Parses CSV text into a table of numbers; throws an Error naming the line and column of the first
 * bad cell. Empty lines are skipped; every row needs the same number of fields.
 */
export function parseCsv(text: string): DemoTable {
  const recs: { line: number; fields: string[] }[] = [];
  text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/).forEach((l, i) => {
    if (l.trim() !== '') recs.push({ line: i + 1, fields: l.split(',').map(field) });
  });
  if (recs.length === 0) throw new Error('the file is empty: it needs rows of numbers, one per line, comma-separated');
  const first = recs[0]!;
  const width = first.fields.length;
  for (const r of recs) {
    if (r.fields.length !== width) {
      throw new Error(`line ${r.line} has ${r.fields.length} fields but line ${first.line} has ${width}: every row needs the same number of columns`);
    }
  }
  const header = first.fields.some((f) => !isNumber(f));
  const allNames = header ? first.fields : first.fields.map((_, c) => `column ${c + 1}`);
  const labelCol = header ? allNames.findIndex((n) => n.toLowerCase() === 'label') : -1;
  const keep = allNames.map((_, c) => c).filter((c) => c !== labelCol);
  if (keep.length === 0) throw new Error('the only column is the label: there are no features to train on');
  const body = header ? recs.slice(1) : recs;
  if (body.length === 0) throw new Error('the file has a header but no data rows');

  const cols = keep.length;
  const data = new Float64Array(body.length * cols);
  body.forEach((r, i) => {
    for (let j = 0; j < cols; j++) {
      const c = keep[j]!;
      const cell = r.fields[c]!;
      const where = `line ${r.line}, column ${c + 1}${header ? ` ("${allNames[c]}")` : ''}`;
      if (cell === '') throw new Error(`${where} is empty: fill in or drop rows with missing values`);
      if (!isNumber(cell)) throw new Error(`${where} is ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}...` : cell)}, not a number: every feature cell must be a number`);
      const v = Number(cell);
      if (!Number.isFinite(Math.fround(v))) throw new Error(`${where} is ${cell}, outside the float32 range (about ±3.4e38): rescale the column`);
      data[i * cols + j] = v;
    }
  });
  return {
    data, rows: body.length, cols, names: keep.map((c) => allNames[c]!), header,
    labelName: labelCol >= 0 ? allNames[labelCol]! : null,
    labels: labelCol >= 0 ? body.map((r) => r.fields[labelCol]!) : null,
    lines: body.map((r) => r.line),
  };
}

/** The label most rows carry (taken as "normal"), or null without labels. */
export function majorityLabel(labels: string[] | null): string | null {
  if (!labels) return null;
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let best: string | null = null, n = -1;
  for (const [l, c] of counts) if (c > n) { best = l; n = c; }
  return best;
}
