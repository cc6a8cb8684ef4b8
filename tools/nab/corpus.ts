// corpus.ts: reads ../shared/datasets/nab-corpus (see its README): the 51 series (timestamp, value),
// their labelled windows, the published per-file scores and Numenta HTM's per-row scores.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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

/** All series in labels.json order (sorted by name for a stable table). */
export function loadCorpus(dir = NAB_DIR): Series[] {
  const labels = loadLabels(dir);
  return Object.keys(labels.series).sort().map((name) => {
    const text = gunzipSync(readFileSync(new URL(`${name}.gz`, dir))).toString('utf8');
    const lines = text.split('\n').filter((l) => l.length > 0).slice(1);
    const times = new Float64Array(lines.length), values = new Float64Array(lines.length);
    lines.forEach((l, i) => {
      const c = l.indexOf(',');
      times[i] = parseNabTime(l.slice(0, c));
      values[i] = Number(l.slice(c + 1));
    });
    const lab = labels.series[name]!;
    if (lab.rows !== lines.length) throw new Error(`${name}: ${lines.length} rows, labels.json says ${lab.rows}`);
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
