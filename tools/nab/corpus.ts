// corpus.ts: reads ../shared/datasets/nab-corpus (see its README): the 51 series (timestamp, value),
// their labelled windows, the published per-file scores and Numenta HTM's per-row scores; or the same
// from a checkout of NAB itself (loadNabCheckout and the two after it: all of NAB's series).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Window } from './scorer.js';

export const NAB_DIR = new URL('../../../shared/datasets/nab-corpus/', import.meta.url);

export interface Series { name: string; category: string; times: Float64Array; values: Float64Array; windows: Window[] }

/** NAB's zone-less 'YYYY-MM-DD HH:MM:SS' as milliseconds since the epoch, read as UTC. */
export function parseNabTime(s: string): number {
  const t = Date.parse(`${s.trim().replace(' ', 'T')}Z`);
  if (!Number.isFinite(t)) throw new Error(`bad NAB timestamp ${JSON.stringify(s)}`);
  return t;
}

interface Labels { series: Record<string, { rows: number; anomaly_windows: Window[] }> }

export function loadLabels(dir = NAB_DIR): Labels {
  return JSON.parse(readFileSync(new URL('labels.json', dir), 'utf8')) as Labels;
}

/** A NAB file's text (a `timestamp,value` header, then one row per point) as times and values. */
export function parseNabCsv(text: string, name: string): { times: Float64Array; values: Float64Array } {
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as { timestamp: string; value: string }[];
  const times = new Float64Array(rows.length), values = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    times[i] = parseNabTime(r.timestamp);
    values[i] = Number(r.value);
    if (!Number.isFinite(values[i])) throw new Error(`${name}: row ${i + 1} has value ${JSON.stringify(r.value)}`);
  });
  return { times, values };
}

/** All series in labels.json order (sorted by name for a stable table). */
export function loadCorpus(dir = NAB_DIR): Series[] {
  const labels = loadLabels(dir);
  return Object.keys(labels.series).sort().map((name) => {
    const { times, values } = parseNabCsv(gunzipSync(readFileSync(new URL(`${name}.gz`, dir))).toString('utf8'), name);
    const lab = labels.series[name]!;
    if (lab.rows !== values.length) throw new Error(`${name}: ${values.length} rows, labels.json says ${lab.rows}`);
    return { name, category: name.split('/')[0]!, times, values, windows: lab.anomaly_windows };
  });
}

export interface Published { per_file: Record<string, Record<string, Record<string, { score: number; threshold: number }>>> }
export function loadPublished(dir = NAB_DIR): Published {
  return JSON.parse(readFileSync(new URL('published_scores.json', dir), 'utf8')) as Published;
}

export function loadNumentaRowScores(dir = NAB_DIR): Record<string, number[]> {
  return (JSON.parse(gunzipSync(readFileSync(new URL('numenta_rowscores.json.gz', dir))).toString('utf8')) as { scores: Record<string, number[]> }).scores;
}

/**
 * A checkout of NAB itself (github.com/numenta/NAB: `data/<category>/<file>.csv` and
 * `labels/combined_windows.json`, whose windows are [start, end] timestamp pairs), so that the runner can
 * score series outside ../shared's 51, such as the 7 realKnownCause ones, with NAB's own labels. A
 * window's rows are those whose timestamp lies in [start, end], as NAB's labeller marks them.
 */
export function loadNabCheckout(dir: URL): Series[] {
  const file = new URL('labels/combined_windows.json', dir);
  if (!existsSync(file)) throw new Error(`${fileURLToPath(dir)} is not a NAB checkout: ${fileURLToPath(file)} is missing (clone github.com/numenta/NAB there)`);
  const windows = JSON.parse(readFileSync(file, 'utf8')) as Record<string, [string, string][]>;
  return Object.keys(windows).sort().map((name) => {
    const { times, values } = parseNabCsv(readFileSync(new URL(`data/${name}`, dir), 'utf8'), name);
    const rows = windows[name]!.map(([start, end]) => {
      const a = parseNabTime(start), b = parseNabTime(end);
      let s = 0;
      while (s < times.length && times[s]! < a) s++;
      let e = times.length - 1;
      while (e >= 0 && times[e]! > b) e--;
      if (s > e) throw new Error(`${name}: the window ${start} - ${end} holds no row`);
      return { start_row: s, end_row: e };
    });
    return { name, category: name.split('/')[0]!, times, values, windows: rows };
  });
}

/** A CSV's rows as objects, or null when the file is not there. */
function readCsv(file: URL): Record<string, string>[] | null {
  if (!existsSync(file)) return null;
  return parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** The value of the column named `col` (any case) in a CSV row. */
const column = (row: Record<string, string>, col: string): string | undefined => row[Object.keys(row).find((k) => k.trim().toLowerCase() === col) ?? ''];

/**
 * The published detectors' per-file results in a NAB checkout (`results/<detector>/<detector>_<profile>_scores.csv`,
 * read by their File, Threshold and Score columns), in loadPublished()'s shape; a detector or profile whose file
 * is absent is left out.
 */
export function loadCheckoutPublished(dir: URL, detectors: string[], profiles: string[]): Published {
  const per_file: Published['per_file'] = {};
  for (const det of detectors) {
    for (const prof of profiles) {
      for (const row of readCsv(new URL(`results/${det}/${det}_${prof}_scores.csv`, dir)) ?? []) {
        const name = column(row, 'file'), score = Number(column(row, 'score')), threshold = Number(column(row, 'threshold'));
        if (!name || !name.endsWith('.csv') || !Number.isFinite(score)) continue;
        ((per_file[name] ??= {})[det] ??= {})[prof] = { score, threshold };
      }
    }
  }
  return { per_file };
}

/** Numenta HTM's per-row anomaly_score in a NAB checkout (`results/numenta/<category>/numenta_<file>.csv`), or null if any is absent. */
export function loadCheckoutNumentaRows(dir: URL, names: string[]): Record<string, number[]> | null {
  const out: Record<string, number[]> = {};
  for (const name of names) {
    const [cat, file] = name.split('/');
    const rows = readCsv(new URL(`results/numenta/${cat}/numenta_${file}`, dir));
    if (!rows) return null;
    out[name] = rows.map((r) => Number(column(r, 'anomaly_score')));
  }
  return out;
}
