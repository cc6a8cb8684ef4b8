// series-cli.ts: `autoencoder series data.csv --time timestamp --value value -o scores.csv`, a
// SeriesDetector over one CSV column, in chunks with a progress bar on stderr; writes
// time,value,score (and alarm, with --threshold). Times: numbers are milliseconds since the epoch;
// text is an ISO-like date, read as UTC when it carries no zone (NAB's 'YYYY-MM-DD HH:MM:SS').
// --state keeps the detector between runs: read when the file exists (the CSV then holds the points
// after the last run's), written (atomically) when every point was scored, so a failed run leaves it as it was.
// --options gives a new detector's options (JSON); with a saved state they must agree with its own.

import { existsSync, readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { AutoencoderError, SeriesDetector, type SeriesOptions } from 'autoencoder';
import { CliError, describeFsError, toCsv, writeFileAtomic } from './csv.js';

export interface SeriesCliOptions { time?: string; value: string; output?: string; quiet?: boolean; state?: string; options?: string; threshold?: string }

/** --options: a JSON object (the library checks its keys and values). */
function parseOptions(text: string | undefined): SeriesOptions | undefined {
  if (text === undefined) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--options is not JSON (${(e as Error).message}): give an object such as '{"warmup": 256}'`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new CliError(`--options must be a JSON object such as '{"warmup": 256}', not ${text}`);
  return o as SeriesOptions;
}

/** The detector: loaded from --state when that file exists (its options must agree with --options), else new. */
async function detector(o: SeriesCliOptions, opts: SeriesOptions | undefined): Promise<SeriesDetector> {
  if (o.state === undefined || !existsSync(o.state)) return SeriesDetector.create(opts);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(o.state);
  } catch (e) {
    throw new CliError(`cannot read ${o.state}: ${describeFsError(e)}`);
  }
  let d: SeriesDetector;
  try {
    d = await SeriesDetector.load(bytes);
  } catch (e) {
    if (e instanceof AutoencoderError) throw new CliError(`${o.state} is not a detector state this version can continue: ${e.message} (delete it to start a new detector)`);
    throw e;
  }
  const saved = d.options as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(opts ?? {})) {
    if (k in saved && JSON.stringify(saved[k]) !== JSON.stringify(v)) {
      d.dispose();
      throw new CliError(`--options gives ${k}: ${JSON.stringify(v)}, but the detector in ${o.state} was made with ${k}: ${JSON.stringify(saved[k])}: a saved detector keeps its options (drop the option, or delete ${o.state} to start a new detector)`);
    }
  }
  return d;
}

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
  let threshold: number | undefined;
  if (o.threshold !== undefined) {
    threshold = Number(o.threshold);
    if (o.threshold.trim() === '' || !(threshold >= 0 && threshold <= 1)) throw new CliError(`--threshold ${JSON.stringify(o.threshold)} is not a number in [0, 1] (scores are in [0, 1]; NAB's 51 series were scored best near 0.4)`);
  }
  const d = await detector(o, parseOptions(o.options));
  const before = d.count;
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
  } catch (e) {
    // the library names the point by the detector's count; say which line of the file it is
    if (e instanceof AutoencoderError) {
      const m = /^point (\d+)/.exec(e.message);
      throw new CliError(`${file}${m ? ` line ${Number(m[1]) - before + 2}` : ''}: ${e.message}${o.state ? ` (${o.state} is left as it was)` : ''}`);
    }
    throw e;
  } finally {
    bar?.stop();
  }
  const header = [...(o.time ? [o.time] : []), o.value, 'score', ...(threshold !== undefined ? ['alarm'] : [])];
  const csv = toCsv(header, rows.map((r, i) => [...(o.time ? [r[o.time]!] : []), r[o.value]!, scores[i]!, ...(threshold !== undefined ? [scores[i]! >= threshold ? 1 : 0] : [])]));
  if (o.state !== undefined) writeFileAtomic(o.state, d.save());
  d.dispose();
  if (o.output) {
    writeFileAtomic(o.output, csv);
    if (!o.quiet) process.stderr.write(`scored ${rows.length} points of ${file} into ${o.output}\n`);
  } else {
    process.stdout.write(csv);
  }
}
