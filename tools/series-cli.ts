// series-cli.ts: `autoencoder series data.csv --time timestamp --value value -o scores.csv`, a
// SeriesDetector over one CSV column, in chunks with a progress bar on stderr; writes
// time,value,score. Times: numbers are milliseconds since the epoch; text is an ISO-like date, read
// as UTC when it carries no zone (NAB's 'YYYY-MM-DD HH:MM:SS').

import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { SeriesDetector } from 'autoencoder';
import { CliError, describeFsError, toCsv, writeFileAtomic } from './csv.js';

export interface SeriesCliOptions { time?: string; value: string; output?: string; quiet?: boolean }

function parseTime(s: string, line: number): number {
  const t = s.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return Number(t);
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(t);
  const ms = Date.parse(zoned ? t : `${t.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new CliError(`line ${line}: time ${JSON.stringify(s)} is not a date (use YYYY-MM-DD HH:MM:SS, ISO 8601, or milliseconds since the epoch)`);
  return ms;
}

export async function runSeries(file: string, o: SeriesCliOptions): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${describeFsError(e)}`);
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  if (rows.length === 0) throw new CliError(`${file} has no data rows`);
  const cols = Object.keys(rows[0]!);
  for (const c of [o.value, ...(o.time ? [o.time] : [])]) {
    if (!cols.includes(c)) throw new CliError(`${file} has no column "${c}" (its columns: ${cols.join(', ')})`);
  }
  const values = new Float64Array(rows.length);
  const times = o.time ? new Float64Array(rows.length) : null;
  rows.forEach((r, i) => {
    const v = Number(r[o.value]);
    if (r[o.value] === '' || !Number.isFinite(v)) throw new CliError(`line ${i + 2}: value ${JSON.stringify(r[o.value])} is not a number`);
    values[i] = v;
    if (times) times[i] = parseTime(r[o.time!]!, i + 2);
  });
  const d = await SeriesDetector.create();
  const scores = new Float32Array(rows.length);
  const bar = !o.quiet && process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: 'scoring |{bar}| {value}/{total} points | {eta_formatted} left', barsize: 24, hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(rows.length, 0);
  const CHUNK = 4096;
  try {
    for (let at = 0; at < rows.length; at += CHUNK) {
      const end = Math.min(rows.length, at + CHUNK);
      scores.set(d.pushMany(values.subarray(at, end), times ? times.subarray(at, end) : undefined), at);
      bar?.update(end);
    }
  } finally {
    bar?.stop();
  }
  const header = [...(o.time ? [o.time] : []), o.value, 'score'];
  const csv = toCsv(header, rows.map((r, i) => [...(o.time ? [r[o.time]!] : []), r[o.value]!, scores[i]!]));
  if (o.output) {
    writeFileAtomic(o.output, csv);
    if (!o.quiet) process.stderr.write(`scored ${rows.length} points of ${file} into ${o.output}\n`);
  } else {
    process.stdout.write(csv);
  }
}
