// corpus.ts: reads ../shared/datasets/nab-corpus (see its README): the 51 series (timestamp, value),
// their labelled windows, the published per-file scores and Numenta HTM's per-row scores.

import { readFileSync } from 'node:fs';
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
