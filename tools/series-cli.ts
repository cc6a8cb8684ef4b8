// series-cli.ts: `autoencoder series data.csv --time timestamp --value value -o scores.csv`, a
// SeriesDetector over one CSV column, streamed: the file is parsed as it is read, each chunk of
// points scored in one call and its rows written before the next is parsed (memory stays flat
// whatever the file's length), with a progress bar on stderr; writes time,value,score (and alarm,
// with --threshold; -o atomically, when every point is scored). Times: numbers are milliseconds since the epoch;
// text is an ISO-like date, read as UTC when it carries no zone (NAB's 'YYYY-MM-DD HH:MM:SS').
// --state keeps the detector between runs: read when the file exists (the CSV then holds the points
// after the last run's), written (atomically) when every point was scored, so a failed run leaves it as it was.
// --options gives a new detector's options (JSON); with a saved state they must agree with its own.
// data.csv '-' reads stdin: each batch a pipe delivers is scored and written as it comes.

import { closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import cliProgress from 'cli-progress';
import { AutoencoderError, SeriesDetector, type SeriesOptions } from 'autoencoder';
import { f32str } from './f32str.js';
import { AtomicWriter, CSV_READ, CliError, WRITE_ROWS, checkOutput, countLines, csvRecords, describeFsError, isNumber, recordsOf, toCsv, UsageError, writeFileAtomic } from './csv.js';

export interface SeriesCliOptions { time?: string; value: string; output?: string; quiet?: boolean; state?: string; options?: string; threshold?: string }

/** --options: a JSON object (the library checks its keys and values). */
function parseOptions(text: string | undefined): SeriesOptions | undefined {
  if (text === undefined) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--options is not JSON (${(e as Error).message}): give an object such as '{"warmup": 256}'`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new UsageError(`--options must be a JSON object such as '{"warmup": 256}', not ${text}`);
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
  // (not a state at all: a CSV or a model given as --state, which must not be deleted)
  if (bytes.length < 4 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'AESD') {
    throw new CliError(`${o.state} is not a detector state (series writes one there, starting with AESD): give --state a file of its own, which the first run creates`);
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
    if (!(k in saved)) {
      d.dispose();
      throw new CliError(`unknown option "${k}" in --options: valid options are ${Object.keys(saved).join(', ')}`);
    }
    if (JSON.stringify(saved[k]) !== JSON.stringify(v)) {
      d.dispose();
      throw new CliError(`--options gives ${k}: ${JSON.stringify(v)}, but the detector in ${o.state} was made with ${k}: ${JSON.stringify(saved[k])}: a saved detector keeps its options (drop the option, or delete ${o.state} to start a new detector)`);
    }
  }
  return d;
}

function parseTime(s: string, file: string, line: number): number {
  const t = s.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return Number(t);
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(t);
  const ms = Date.parse(zoned ? t : `${t.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new CliError(`${file} line ${line}: time ${JSON.stringify(s)} is not a date (use YYYY-MM-DD HH:MM:SS, ISO 8601, or milliseconds since the epoch)`);
  return ms;
}

export async function runSeries(file: string, o: SeriesCliOptions): Promise<void> {
  let threshold: number | undefined;
  if (o.threshold !== undefined) {
    threshold = Number(o.threshold);
    // (a decimal number, as the CSV's values: Number() would also read hex, binary and octal)
    if (!isNumber(o.threshold) || !(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold ${JSON.stringify(o.threshold)} is not a number in [0, 1] (scores are in [0, 1]; NAB's 51 series were scored best near 0.4)`);
  }
  const opts = parseOptions(o.options);
  checkOutput(o.output, '-o', [[file, 'the input CSV'], [o.state, 'the --state file']]);
  if (o.state === '-') throw new UsageError('--state takes a file (the detector is read from it and written back), not -');
  checkOutput(o.state, '--state', [[file, 'the input CSV']]);
  // '-': the points come from stdin, as a pipe delivers them (each batch scored and written when it arrives)
  const piped = file === '-';
  const name = piped ? 'stdin' : file;
  let fd = -1;
  if (!piped) {
    try {
      fd = openSync(file, 'r');
      if (fstatSync(fd).isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      }
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${describeFsError(e)}`);
    }
  }
  let d: SeriesDetector;
  try {
    d = await detector(o, opts);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    throw e;
  }
  const before = d.count;
  const out = o.output !== undefined && o.output !== '-' ? new AtomicWriter(o.output) : null;
  const write = (text: string) => (out ? out.write(text) : process.stdout.write(text));
  const bar = !o.quiet && !piped && process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: 'scoring |{bar}| {value}/{total} points | {eta_formatted} left', barsize: 24, hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  // (the bar's total: the file's line count less the header, an upper bound when lines are blank)
  bar?.start(Math.max(0, countLines(file) - 2), 0);

  const CHUNK = 4096;
  const values = new Float64Array(CHUNK), times = o.time ? new Float64Array(CHUNK) : null;
  const lines = new Int32Array(CHUNK);
  const tcells: string[] = new Array<string>(CHUNK), vcells: string[] = new Array<string>(CHUNK);
  let vi = -1, ti = -1, width = 0, n = 0, total = 0;
  const header = [...(o.time ? [o.time] : []), o.value, 'score', ...(threshold !== undefined ? ['alarm'] : [])];
  const flush = () => {
    if (n === 0) return;
    let scores: Float32Array;
    try {
      scores = d.pushMany(values.subarray(0, n), times ? times.subarray(0, n) : undefined);
    } catch (e) {
      // the library names the point by the detector's count; say which line of the file it is
      if (!(e instanceof AutoencoderError)) throw e;
      const m = /^point (\d+)/.exec(e.message);
      const at = m ? Number(m[1]) - before - total : -1;
      throw new CliError(`${name}${at >= 0 && at < n ? ` line ${lines[at]}` : ''}: ${e.message}${o.state ? ` (${o.state} is left as it was)` : ''}`);
    }
    // WRITE_ROWS rows a write, so csv-stringify's strings die young
    for (let i0 = 0; i0 < n; i0 += WRITE_ROWS) {
      const rows: (string | number)[][] = [];
      for (let i = i0; i < Math.min(n, i0 + WRITE_ROWS); i++) {
        // (a score as the other commands write floats: the shortest text that reads back as the same float32)
        const r: (string | number)[] = o.time ? [tcells[i]!, vcells[i]!, f32str(scores[i]!)] : [vcells[i]!, f32str(scores[i]!)];
        if (threshold !== undefined) r.push(scores[i]! >= threshold ? 1 : 0);
        rows.push(r);
      }
      write(toCsv(total === 0 && i0 === 0 ? header : null, rows));
    }
    total += n;
    n = 0;
    bar?.update(total);
  };
  // each record with the line it starts on (csvRecords; lines of blanks alone are skipped here)
  const onRecord = (record: string[], line: number): void => {
    if (record.length === 1 && record[0]!.trim() === '') return;
    if (vi < 0) {
      const names = record.map((c) => c.trim());
      for (const c of [o.value, ...(o.time ? [o.time] : [])]) {
        if (!names.includes(c)) throw new CliError(`${name} has no column "${c}" (its columns: ${names.join(', ')})`);
      }
      vi = names.indexOf(o.value);
      if (o.time) ti = names.indexOf(o.time);
      width = record.length;
      return;
    }
    if (record.length !== width) throw new CliError(`${name} line ${line} has ${record.length} fields but the header has ${width}: every row needs the same columns`);
    const vt = record[vi]!.trim(), v = Number(vt);
    if (!isNumber(vt) || !Number.isFinite(v)) throw new CliError(`${name} line ${line}: value ${JSON.stringify(record[vi])} is not a number`);
    values[n] = v;
    if (times) times[n] = parseTime(record[ti]!, name, line);
    lines[n] = line;
    if (o.time) tcells[n] = record[ti]!.trim();
    vcells[n] = vt;
    if (++n === CHUNK) flush();
  };
  try {
    try {
      if (piped) {
        // from a pipe: the complete lines of each batch as it arrives, scored and written before the
        // next is read (a stream parser keeps a batch's last record until more data comes, which
        // would hold back the newest point of a slow stream); a quoted field cannot span two batches
        const dec = new StringDecoder('utf8');
        const at = { line: 1 };
        let rest = '';
        for await (const b of process.stdin) {
          const text = rest + dec.write(b as Buffer);
          const k = text.lastIndexOf('\n');
          if (k < 0) { rest = text; continue; }
          rest = text.slice(k + 1);
          recordsOf(text.slice(0, k + 1), name, ',', onRecord, at);
          flush();
        }
        rest += dec.end();
        if (rest.trim() !== '') recordsOf(rest, name, ',', onRecord, at);
      } else {
        await csvRecords(createReadStream('', { fd, highWaterMark: CSV_READ, encoding: 'utf8' }), name, ',', onRecord);
      }
    } catch (e) {
      if (e instanceof CliError || e instanceof AutoencoderError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code === 'string') throw new CliError(`cannot read ${name}: ${describeFsError(e)}`);
      throw e;
    }
    flush();
    if (vi < 0) throw new CliError(`${name} is empty: it needs a header line, then one point per line`);
    if (total === 0) throw new CliError(`${name} has no data rows`);
    // the scores first: should the state then fail to write, it is the one before this run, and the
    // same command again gives the same output
    out?.commit();
    if (o.state !== undefined) writeFileAtomic(o.state, d.save());
  } catch (e) {
    out?.abort();
    throw e;
  } finally {
    bar?.stop();
    d.dispose();
  }
  if (out && !o.quiet) process.stderr.write(`scored ${total} points of ${name} into ${o.output}\n`);
}
