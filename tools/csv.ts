// csv.ts: the CLI's file helpers. Reads a CSV of numbers (header detected or forced, columns
// dropped by name or number, every cell checked with its line and column in the message) either
// whole from text (parseNumericCsv) or as a stream of row chunks (readCsvStream), writes CSV text,
// and writes files atomically (a temp file beside the target, then a rename; temp files that a
// killed run left behind are removed by the next write to the same target).
// Errors are CliError: one line for the user, no stack trace.

import { closeSync, createReadStream, createWriteStream, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Papa from 'papaparse';
import { stringify } from 'csv-stringify/sync';
import { F32STR_CHARS } from './f32str.js';

/** A problem with the user's input (files, CSV contents, options): printed as one line. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command line that cannot be right whatever the files hold (flags that conflict, a bad flag value): exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where an input argument was copied (spoolInput): '-' (stdin), or a pipe train reads twice; null until then. */
let spool: { arg: string; path: string } | null = null;

/**
 * Copies an input argument into a temporary file, which that argument (a CSV, a container) then names: '-' is stdin,
 * else a pipe or a device given by its path (/dev/stdin, a named pipe, a process substitution), which train would
 * otherwise read empty the second time (it reads its CSV twice: the line count, then the parse). Returns the
 * function that removes the copy. The copy streams: memory stays flat. From a terminal it says how to end the input.
 */
export async function spoolInput(arg: string): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-stdin-'));
  // removed however the process ends: process.exit() (a closed stdout's EPIPE, an interrupted write), and SIGINT or
  // SIGTERM, whose other listeners (a progress bar, an atomic write) then exit as they would; alone, this one exits
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = (sig: NodeJS.Signals) => {
    onExit();
    if (process.listenerCount(sig) === 1) process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const remove = () => {
    spool = null;
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    onExit();
  };
  try {
    const path = join(dir, 'stdin');
    // (/dev/stdin by its path: stdin itself, which a socket's path cannot open)
    const stdin = arg === '-' || arg === '/dev/stdin';
    if (arg === '-' && process.stdin.isTTY) process.stderr.write('autoencoder: reading stdin from the terminal (- in place of the file); end it with Ctrl-D\n');
    await pipeline(stdin ? process.stdin : createReadStream(arg), createWriteStream(path));
    spool = { arg, path };
  } catch (e) {
    remove();
    throw new CliError(`cannot read ${shown(arg)}: ${describeFsError(e)}`);
  }
  return remove;
}

/** Whether a path names a pipe, a socket or a character device (a stream that can be read once), not a file. */
function isStream(path: string): boolean {
  const st = statOf(path);
  return st !== null && (st.isFIFO() || st.isSocket() || st.isCharacterDevice());
}

/**
 * Runs `fn` with an input argument of '-' read from stdin first (spoolInput), and the copy removed after;
 * `rereads`: a pipe or device given by its path is copied too (for train, which reads its input twice).
 */
export async function withInputArg<T>(arg: string, fn: () => Promise<T>, rereads = false): Promise<T> {
  if (arg !== '-' && !(rereads && isStream(arg))) return fn();
  const remove = await spoolInput(arg);
  try {
    return await fn();
  } finally {
    remove();
  }
}

/** The file to open for an input argument (a CSV, a container): '-' is stdin's copy (spoolInput). */
function inputFile(arg: string): string {
  if (spool !== null && spool.arg === arg) return spool.path;
  if (arg !== '-') return arg;
  throw new CliError("'-' (stdin) is not read here: give the file's path");
}

/** How messages name an input argument: '-' is stdin. */
export function shown(arg: string): string {
  return arg === '-' ? 'stdin' : arg;
}

export interface ReadCsvOptions {
  /** true: the first row is a header; false: it is data; undefined: detect it. */
  header?: boolean;
  /** Columns to drop: header names or 1-based column numbers. */
  exclude?: string[];
  /** Called with the kept column count before any cell is read (to report a wrong width first). */
  checkColumns?: (cols: number, fileCols: number, excluded: number) => void;
}

export interface NumericTable {
  /** Row-major values, rows x cols. */
  data: Float64Array;
  rows: number;
  /** Columns kept (after --exclude). */
  cols: number;
  /** Names of the kept columns (header names, or `column N` without a header). */
  names: string[];
  /** Whether the first row was taken as a header. */
  header: boolean;
  /** Columns in the file, excluded ones included. */
  fileCols: number;
  /** Columns dropped by --exclude, as 1-based numbers. */
  excluded: number[];
  /** Their names (header names, or `column N`). */
  excludedNames: string[];
  /** The 1-based file line of each data row. */
  lines: Int32Array;
  /** The 1-based file column of each kept column. */
  fileColumns: number[];
}

// A plain decimal number: 1, -2.5, .5, 3., 1e-3. Not '', 'NaN', 'Infinity', '0x10' (which Number() takes).
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True when `s` is a plain decimal number (surrounding spaces allowed). */
export function isNumber(s: string): boolean {
  return NUMBER.test(s.trim());
}

/** 10^0 .. 10^22, each exact in a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * Number(s) for a cell `s` that is a plain decimal (NUMBER's form, no spaces) of at most 15 significant digits and
 * a power of ten within ±22 after its point is taken out, else NaN, and the caller takes the general path (NUMBER
 * and Number()). The same double as Number(s): the digits make an integer w < 10^15 < 2^53, exact, and w * 10^p or
 * w / 10^-p, both exact operands, is rounded once to the nearest double, as Number() rounds the decimal (Clinger's
 * fast path). Number() was about 45 ns of the 65 a cell that `score` and `train` spent reading a CSV's numbers;
 * with this, `score` of a 201k x 30 CSV took 0.76 s against 1.20 (tests/cli-text.test.ts checks it against NUMBER
 * and Number()).
 */
export function plainDecimal(s: string): number {
  const n = s.length;
  let i = 0, c = n > 0 ? s.charCodeAt(0) : 0;
  const neg = c === 45;
  if (neg || c === 43) i = 1;
  let w = 0, digits = 0, frac = 0, any = false;
  for (; i < n; i++) { // the integer part; leading zeros are not significant digits
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    any = true;
    if (w !== 0 || c !== 48) { w = w * 10 + (c - 48); digits++; }
  }
  if (i < n && c === 46) { // '.', then the fraction's digits
    for (i++; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      any = true;
      frac++;
      if (w !== 0 || c !== 48) { w = w * 10 + (c - 48); digits++; }
    }
  }
  if (!any) return NaN;
  let e = 0;
  if (i < n) { // 'e' or 'E', a sign, one digit or more
    if (c !== 101 && c !== 69) return NaN;
    i++;
    const eneg = i < n && s.charCodeAt(i) === 45;
    if (i < n && (eneg || s.charCodeAt(i) === 43)) i++;
    const e0 = i;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) return NaN;
      if (e < 1000) e = e * 10 + (c - 48);
    }
    if (i === e0) return NaN;
    if (eneg) e = -e;
  }
  const p = e - frac;
  if (digits > 15 || p > 22 || p < -22) return NaN;
  const v = p >= 0 ? w * POW10[p]! : w / POW10[-p]!;
  return neg ? -v : v;
}

/** A message fragment naming an OS error the way a user would understand it. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a directory';
    case 'ENOTDIR': return 'a parent of it is not a directory';
    case 'ENOSPC': return 'no space left on the device';
    case 'EROFS': return 'the file system is read-only';
    default: return err?.message ?? String(e);
  }
}

/** The bytes of a file, or a CliError saying which file and why. */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    // A plain Uint8Array copy, not the Buffer: Buffer#slice() shares memory, which
    // Autoencoder.load() does not expect (it reads its floats via bytes.slice(...).buffer).
    return new Uint8Array(readFileSync(inputFile(path)));
  } catch (e) {
    throw new CliError(`cannot read ${what} ${shown(path)}: ${describeFsError(e)}`);
  }
}

/** The temp file a write to `path` goes through: `${path}.${pid}.tmp`. */
const tempName = (path: string, pid = process.pid) => `${path}.${pid}.tmp`;

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temp files `${path}.<pid>.tmp` of earlier writes to `path` whose process is gone
 * (killed during the write); those of live processes (a concurrent write) are left alone.
 * Best effort: a folder that can't be listed is skipped.
 */
export function cleanStaleTemps(path: string): string[] {
  const dir = dirname(path), base = basename(path);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const f of names) {
    if (!f.startsWith(`${base}.`) || !f.endsWith('.tmp')) continue;
    const mid = f.slice(base.length + 1, -4);
    if (!/^\d{1,10}$/.test(mid)) continue;
    const pid = Number(mid);
    if (pid === process.pid || pid < 1 || alive(pid)) continue;
    try {
      rmSync(join(dir, f), { force: true });
      removed.push(f);
    } catch { /* someone else's file we can't remove: leave it */ }
  }
  return removed;
}

/** Writes `data` to `path` through `${path}.${pid}.tmp` and a rename: the target is whole or untouched. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  cleanStaleTemps(path);
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${describeFsError(e)}`);
  }
}

/**
 * Fails early, before any work, for an output (`flag`'s path; undefined or '-': stdout) that cannot be written where
 * asked, or that is one of the command's `inputs` ([path, what it is]): see refuseOverwrite.
 */
export function checkOutput(path: string | undefined, flag: string, inputs: [string | undefined, string][]): void {
  if (path === undefined || path === '-') return;
  checkWritable(path, flag);
  refuseOverwrite(path, flag, inputs);
}

/** Throws unless `path` can be written: a name, in a directory that exists, not a directory itself. */
function checkWritable(path: string, flag: string): void {
  if (path === '') throw new CliError(`the path ${flag} gives is empty: give ${flag} a file name${flag === '-o' ? ' (or - for stdout)' : ''}`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new CliError(`cannot write ${path}: the directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`cannot write ${path}: it is a directory`);
}

const statOf = (path: string): Stats | null => {
  try {
    return statSync(path);
  } catch {
    return null;
  }
};

/**
 * Refuses an output that is one of the command's inputs (the same file by its device and inode, so a link or
 * another spelling of the path counts, or the same path when neither exists yet): the output's rename would
 * replace it (a model file overwritten by scores, a CSV by its own scores). `inputs`: [path, what it is], '-'
 * and undefined skipped.
 */
function refuseOverwrite(output: string, flag: string, inputs: [string | undefined, string][]): void {
  const o = statOf(output);
  for (const [path, what] of inputs) {
    if (path === undefined || path === '-') continue;
    const s = statOf(path);
    const same = o && s ? o.dev === s.dev && o.ino === s.ino : !o && !s && resolve(path) === resolve(output);
    if (same) throw new CliError(`${flag} ${output} is ${what}${path === output ? '' : ` (${path})`}: writing there would replace it; give ${flag} another file`);
  }
}

/**
 * Refuses input whose first read (`text`) holds a NUL character, which no CSV text has and a model file (.ae), a
 * container (.aez) or a detector state does: a binary file given where the CSV goes.
 */
function checkText(text: string, file: string): void {
  if (text.includes('\0')) {
    throw new CliError(`${shown(file)} is not a CSV text file: it holds NUL bytes, as a model file (.ae), a compressed container (.aez) or a detector state does; give the path of the CSV of numbers there`);
  }
}

/**
 * A file written piece by piece, atomically: the pieces go to `${path}.${pid}.tmp`, renamed to
 * `path` by commit(); abort() (or an interrupt: SIGINT, SIGTERM) removes the temp file instead.
 */
export class AtomicWriter {
  private fd: number;
  private readonly tmp: string;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.abort();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };

  constructor(readonly path: string) {
    cleanStaleTemps(path);
    this.tmp = tempName(path);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new CliError(`cannot write ${path}: ${describeFsError(e)}`);
    }
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  write(data: string | Uint8Array): void {
    try {
      if (typeof data === 'string') writeSync(this.fd, data);
      else for (let at = 0; at < data.length;) at += writeSync(this.fd, data, at);
    } catch (e) {
      this.abort();
      throw new CliError(`cannot write ${this.path}: ${describeFsError(e)}`);
    }
  }

  commit(): void {
    this.release();
    try {
      renameSync(this.tmp, this.path);
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw new CliError(`cannot write ${this.path}: ${describeFsError(e)}`);
    }
  }

  abort(): void {
    if (this.fd < 0) return;
    this.release();
    rmSync(this.tmp, { force: true });
  }

  private release(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Rows formatted and written at a time, few enough that their strings die young: csv-stringify
 * allocates about 3.5 KB a row of 4 cells, so 512 rows (1.8 MB) outlived V8's first young
 * generation and `encode` of 201k rows promoted 90 MB into the old generation (14 MB at 64 rows),
 * peaking 1.8-3.7x its float32 data above an idle process under Node 22 and later (1.0-1.6x at 64).
 */
export const WRITE_ROWS = 64;

/** CSV text: a header line (unless `header` is null), then one line per row. */
export function toCsv(header: string[] | null, rows: (string | number)[][], delimiter = ','): string {
  return header === null ? stringify(rows, { delimiter }) : stringify(rows, { header: true, columns: header, delimiter });
}

/**
 * Rows whose cells are all number text (f32str's, '0', '1' or '') as CSV lines, each cell joined to the next by
 * `delimiter`: what csv-stringify writes for such rows when the delimiter is one character none of them can
 * hold, since it quotes only a cell holding the delimiter, a quote or a line break (the same bytes in about a
 * sixth of its time: `score` and `encode` write 201k rows of them). null for any other delimiter.
 */
export function numberRowsCsv(rows: string[][], delimiter: string): string | null {
  if (delimiter.length !== 1 || F32STR_CHARS.includes(delimiter)) return null;
  return `${rows.map((r) => r.join(delimiter)).join('\n')}\n`;
}

/** Reads and checks a CSV of numbers; see {@link parseNumericCsv}. */
export function readNumericCsv(path: string, opts: ReadCsvOptions = {}): NumericTable {
  const text = readBytes(path, 'the CSV file');
  return parseNumericCsv(text, path, opts);
}

/** A record's fields and the 1-based file line it starts on. */
export type OnRecord = (fields: string[], line: number) => void;

/**
 * Walks papaparse's records of one parse (a whole text, or one chunk of a stream) in order, calling `onRecord`
 * for each with the line it starts on (`at.line`, advanced past it: one line, plus one for each newline inside
 * its quoted fields). An empty line is skipped (papaparse reads it as one empty field; so, alike, is a line of
 * `""` alone). A quote error stops the walk with a CliError naming the line its record starts on: a quote never closed,
 * or a closing quote followed by something other than a delimiter or the line's end. An error papaparse reports
 * past the records it returns (in a stream's chunk: the unfinished last line, parsed again with the next chunk)
 * is returned, not thrown: the caller throws it should the input end there.
 */
function walkRecords(res: Papa.ParseResult<string[]>, file: string, at: { line: number }, onRecord: OnRecord): CliError | null {
  const data = res.data, err = res.errors.find((e) => e.type === 'Quotes');
  const stop = err?.row ?? -1;
  for (let i = 0; i < data.length; i++) {
    const rec = data[i]!, line = at.line;
    if (i === stop) throw quoteError(err!, file, line);
    at.line++;
    for (const f of rec) for (let k = f.indexOf('\n'); k >= 0; k = f.indexOf('\n', k + 1)) at.line++;
    if (rec.length === 1 && rec[0] === '') continue;
    onRecord(rec, line);
  }
  return err ? quoteError(err, file, at.line) : null;
}

function quoteError(e: Papa.ParseError, file: string, line: number): CliError {
  return new CliError(e.code === 'MissingQuotes'
    ? `${shown(file)} is not valid CSV: the record that starts on line ${line} opens a quoted field that is never closed`
    : `${shown(file)} is not valid CSV: the record that starts on line ${line} has a quoted field whose closing quote is followed by other characters (a quote inside a quoted field is written "")`);
}

const dropBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** The longest record csvRecords reads, in characters. */
const MAX_RECORD = 8 << 20;

/**
 * The bytes a CSV stream reads at a time: papaparse hands over a read's records at once, and 64 KB of them
 * outlived V8's young generation: `score` of 201k x 30 peaked at 94 MB under Node 24 (82-84 with csv-parse's
 * record at a time), 82 MB at 16 KB, which costs `score` about 2% of its time.
 */
export const CSV_READ = 1 << 14;

/**
 * The records of CSV `text`, each with the 1-based line it starts on (see walkRecords). `at` carries the line
 * count from an earlier part of the same input, whose complete lines that was (a BOM is dropped at line 1 only).
 */
export function recordsOf(text: string, file: string, delimiter: string, onRecord: OnRecord, at = { line: 1 }): void {
  if (at.line === 1) checkText(text, file);
  const res = Papa.parse<string[]>(at.line === 1 ? dropBom(text) : text, { delimiter, skipEmptyLines: false });
  const pending = walkRecords(res, file, at, onRecord);
  if (pending) throw pending;
}

/**
 * The records of a CSV stream (`input` gives text: a read stream with encoding 'utf8'), parsed by papaparse chunk
 * by chunk as the stream delivers them, each with the 1-based line it starts on (see walkRecords). Resolves when
 * the input ends; an error onRecord throws, a quote error, or the stream's own error rejects, and the input is
 * destroyed (no more of it is read). A record may hold at most MAX_RECORD characters: papaparse parses an
 * unfinished record again with each chunk, so a quote never closed near the start of a 51 MB file took it 12 s
 * and 550 MB, where the cap stops it at once (a record of numbers is a few KB).
 */
export function csvRecords(input: NodeJS.ReadableStream & { destroy(): void }, file: string, delimiter: string, onRecord: OnRecord): Promise<void> {
  return new Promise((resolve, reject) => {
    const at = { line: 1 };
    let failed: unknown = null, pending: CliError | null = null, received = 0, lastQuote = -1, first: string | undefined;
    // (before papaparse's listener: the counts include the chunk it parses, and the first read is kept for checkText)
    input.on('data', (text: string) => {
      const q = text.lastIndexOf('"');
      if (q >= 0) lastQuote = received + q;
      received += text.length;
      first ??= text;   // ('' once checked)
    });
    Papa.parse<string[]>(input, {
      delimiter,
      skipEmptyLines: false,
      beforeFirstChunk: dropBom,
      chunk: (res, parser) => {
        try {
          if (first !== '') checkText(first ?? '', file);
          first = '';
          pending = walkRecords(res, file, at, onRecord);
          // what is left unparsed is the record that starts at at.line
          if (received - res.meta.cursor > MAX_RECORD) {
            if (pending) throw pending;
            // (a quote in the unparsed rest, or none: a quoted field left open, or a line that never ends)
            throw new CliError(lastQuote >= res.meta.cursor
              ? `${shown(file)} is not valid CSV: the record that starts on line ${at.line} runs on for more than ${MAX_RECORD >> 20} Mi characters: a quoted field in it is likely never closed`
              : `${shown(file)} line ${at.line} runs on for more than ${MAX_RECORD >> 20} Mi characters without a line break (the longest record the CLI reads; a row of numbers is a few KB): put each row on a line of its own`);
          }
        } catch (e) {
          failed = e;
          input.destroy();
          parser.abort();   // (calls complete)
        }
      },
      complete: () => {
        if (failed !== null) reject(failed as Error);
        else if (pending) reject(pending);
        else resolve();
      },
      error: (e: Error) => {
        input.destroy();
        reject(e);
      },
    });
  });
}

/**
 * Parses CSV text into a table of numbers. The first row is a header when `opts.header` says so,
 * or, left undefined, when any of its fields (outside columns excluded by number) is not a number.
 * Empty lines are skipped. Every cell of every data row must be a plain decimal number.
 * @param file the file's name, for messages.
 */
export function parseNumericCsv(text: string | Uint8Array, file: string, opts: ReadCsvOptions = {}): NumericTable {
  const recs: { record: string[]; line: number }[] = [];
  const str = typeof text === 'string' ? text : new TextDecoder().decode(text);
  recordsOf(str, file, ',', (record, line) => { recs.push({ record, line }); });
  if (recs.length === 0) throw new CliError(`${shown(file)} is empty: it needs rows of numbers, one per line, comma-separated`);

  const first = recs[0]!;
  const width = first.record.length;
  for (const r of recs) {
    if (r.record.length !== width) {
      throw new CliError(`${shown(file)} line ${r.line} has ${r.record.length} fields but line ${first.line} has ${width}: every row needs the same number of columns`);
    }
  }

  // Columns excluded by number are known before the header question; names need the header.
  const exclude = (opts.exclude ?? []).map((s) => s.trim()).filter((s) => s !== '');
  const byNumber = (s: string) => /^\d+$/.test(s) ? Number(s) : null;
  let header = opts.header;
  if (header === undefined) {
    const skip = new Set(exclude.map(byNumber).filter((n): n is number => n !== null));
    header = first.record.some((f, c) => !skip.has(c + 1) && !isNumber(f));
  }
  const names = header ? first.record.map((f) => f.trim()) : first.record.map((_, c) => `column ${c + 1}`);

  const drop = new Set<number>();
  for (const tok of exclude) {
    let c = header ? names.indexOf(tok) : -1;
    if (c < 0) {
      const n = byNumber(tok);
      if (n === null) {
        throw new CliError(header
          ? `--exclude: ${shown(file)} has no column named "${tok}"; its columns are ${names.join(', ')} (or give 1-based column numbers)`
          : `--exclude: ${shown(file)} has no header row, so "${tok}" can't name a column: give 1-based column numbers (1 to ${width}), or --header if its first row is a header`);
      }
      if (n < 1 || n > width) throw new CliError(`--exclude: column ${n} is out of range: ${shown(file)} has columns 1 to ${width}`);
      c = n - 1;
    }
    drop.add(c);
  }
  const keep = names.map((_, c) => c).filter((c) => !drop.has(c));
  if (keep.length === 0) throw new CliError(`--exclude drops all ${width} columns of ${shown(file)}: keep at least one`);

  opts.checkColumns?.(keep.length, width, drop.size);
  const body = header ? recs.slice(1) : recs;
  if (body.length === 0) throw new CliError(`${shown(file)} has a header but no data rows`);
  const cols = keep.length;
  const data = new Float64Array(body.length * cols);
  const lines = new Int32Array(body.length);
  body.forEach((r, i) => {
    lines[i] = r.line;
    for (let j = 0; j < cols; j++) {
      const c = keep[j]!;
      const cell = r.record[c]!;
      const where = `${shown(file)} line ${lines[i]}, column ${c + 1}${header ? ` ("${names[c]}")` : ''}`;
      if (cell.trim() === '') throw new CliError(`${where} is empty: fill in or drop rows with missing values, or drop the column with --exclude`);
      if (!isNumber(cell)) {
        const hint = !header && i === 0 ? ' (if this row is a header, pass --header)' : ', or drop the column with --exclude';
        throw new CliError(`${where} is ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}...` : cell)}, not a number: every cell must be a number${hint}`);
      }
      const v = Number(cell);
      if (!Number.isFinite(Math.fround(v))) throw new CliError(`${where} is ${cell.trim()}, outside the float32 range (about ±3.4e38): rescale the column`);
      data[i * cols + j] = v;
    }
  });
  return {
    data, rows: body.length, cols, names: keep.map((c) => names[c]!), header, fileCols: width,
    excluded: [...drop].sort((a, b) => a - b).map((c) => c + 1),
    excludedNames: [...drop].sort((a, b) => a - b).map((c) => names[c]!),
    lines, fileColumns: keep.map((c) => c + 1),
  };
}

/** Where data row `r` (0-based), kept column `c` (0-based) of a table sits in its file, for messages. */
export function cellAt(t: NumericTable, file: string, r: number, c: number): string {
  const line = t.lines[r], col = t.fileColumns[c];
  if (line === undefined || col === undefined) return `row ${r + 1}, column ${c + 1}`;
  return `${shown(file)} line ${line}, column ${col}${t.header ? ` ("${t.names[c]}")` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// streaming: columns chosen from the first record, rows parsed into float32 chunks

/** Cells read as missing values (compared trimmed, case-insensitively), as pandas reads them. */
const MISSING = new Set(['', 'na', 'n/a', 'nan', '-nan', 'null', 'none', '#n/a', '<na>']);
export const MISSING_TEXT = 'empty, NA, N/A, NaN, null, None';

/** True when a cell holds a missing value: empty, NA, NaN, null, ... */
export function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

/** Which columns of a file become what: features (`keep`, in file order), the id, and dropped ones. */
export interface Layout {
  header: boolean;
  /** Every column's name: header names, or `column N` without a header. */
  names: string[];
  width: number;
  /** 0-based file columns fed to the model, in file order. */
  keep: number[];
  /** The 0-based id column, or null. */
  id: number | null;
  /** 0-based file columns dropped (neither kept nor the id). */
  drop: number[];
}

export interface ColumnChoice {
  /** --exclude: names or 1-based numbers. */
  exclude?: string[];
  /** --columns: names or 1-based numbers; all others are dropped. */
  columns?: string[];
  /** --id: a name or a 1-based number. */
  id?: string;
}

const byNumber = (s: string) => (/^\d+$/.test(s) ? Number(s) : null);

/** The 0-based column `tok` names (a header name or a 1-based number), or a CliError for `flag`. */
export function columnIndex(tok: string, names: string[], header: boolean, file: string, flag: string): number {
  const c = header ? names.indexOf(tok) : -1;
  if (c >= 0 && names.lastIndexOf(tok) !== c) {
    const at = columnsNamed(names, tok);
    throw new CliError(`${flag}: ${shown(file)} has the column ${tok} ${at.length} times (columns ${at.join(', ')}), so the name is ambiguous: give column numbers`);
  }
  if (c >= 0) return c;
  const n = byNumber(tok);
  if (n === null) {
    throw new CliError(header
      ? `${flag}: ${shown(file)} has no column named "${tok}"; its columns are ${names.join(', ')} (or give 1-based column numbers)`
      : `${flag}: ${shown(file)} has no header row, so "${tok}" can't name a column: give 1-based column numbers (1 to ${names.length}), or --header if its first row is a header`);
  }
  if (n < 1 || n > names.length) throw new CliError(`${flag}: column ${n} is out of range: ${shown(file)} has columns 1 to ${names.length}`);
  return n - 1;
}

/** The 1-based positions of the columns named `name`. */
export const columnsNamed = (names: string[], name: string): number[] => names.flatMap((n, i) => (n === name ? [i + 1] : []));

/** Refuses a column name that two kept columns share: the model records its columns by name, and could not tell them apart. */
export function refuseTwice(file: string, names: string[], keep: number[]): void {
  const got = keep.map((c) => names[c]!);
  const dup = got.find((n, i) => got.indexOf(n) !== i);
  if (dup === undefined) return;
  const at = keep.filter((c) => names[c] === dup).map((c) => c + 1);
  throw new CliError(`${shown(file)} has the column ${dup} ${at.length} times (columns ${at.join(', ')}): keep one, dropping the others by number with --exclude ${at.slice(1).join(',')}`);
}

/**
 * Whether the first record is a header: `forced` if given, else when any of its fields (outside
 * the columns the choice drops by number) is neither a number nor a missing value.
 */
export function detectHeader(first: string[], forced: boolean | undefined, c: ColumnChoice = {}): boolean {
  if (forced !== undefined) return forced;
  const skip = new Set([...(c.exclude ?? []), ...(c.id === undefined ? [] : [c.id])].map(byNumber).filter((n): n is number => n !== null));
  return first.some((f, i) => !skip.has(i + 1) && !isNumber(f) && !isMissing(f));
}

/** Applies --exclude / --columns / --id to a file's columns. */
export function chooseColumns(file: string, names: string[], header: boolean, c: ColumnChoice): Layout {
  const width = names.length;
  const exclude = (c.exclude ?? []).map((s) => s.trim()).filter((s) => s !== '');
  const include = c.columns?.map((s) => s.trim()).filter((s) => s !== '');
  if (include !== undefined && exclude.length > 0) {
    throw new UsageError('--columns and --exclude cannot be used together: --columns lists the columns to keep, --exclude the ones to drop; pass one of them');
  }
  const id = c.id === undefined ? null : columnIndex(c.id.trim(), names, header, file, '--id');
  let keep: number[];
  if (include !== undefined) {
    if (include.length === 0) throw new UsageError('--columns is empty: list the columns to keep, comma-separated');
    const want = new Set(include.map((t) => columnIndex(t, names, header, file, '--columns')));
    if (id !== null && want.has(id)) throw new CliError(`--columns includes the --id column ${names[id]}: an id is passed through, not fed to the model; leave it out of --columns`);
    keep = names.map((_, i) => i).filter((i) => want.has(i));
  } else {
    const drop = new Set(exclude.map((t) => columnIndex(t, names, header, file, '--exclude')));
    keep = names.map((_, i) => i).filter((i) => !drop.has(i) && i !== id);
  }
  if (keep.length === 0) throw new CliError(`no columns of ${shown(file)} are left to use (it has ${width}): keep at least one`);
  const kept = new Set(keep);
  return { header, names, width, keep, id, drop: names.map((_, i) => i).filter((i) => !kept.has(i) && i !== id) };
}

export interface StreamOptions {
  delimiter?: string;
  /** error (default): a missing value is an error naming its line and column; drop: skip the row. */
  missing?: 'error' | 'drop';
  /** Called with the count of bytes read so far and the file size (for a progress bar). */
  onBytes?: (read: number, size: number) => void;
}

/** Rows of a chunk: `data` is rows x keep.length floats; the arrays are reused after onChunk resolves. */
export interface Chunk {
  data: Float32Array;
  rows: number;
  /** The 1-based file line of each row. */
  lines: Int32Array;
  /** The id column's text per row, with --id. */
  ids: string[] | null;
}

export interface StreamResult {
  layout: Layout;
  /** Rows read (dropped ones not counted). */
  rows: number;
  /** Rows dropped for missing values (--missing drop) and the file line of the first. */
  dropped: number;
  firstDroppedLine: number;
}

/**
 * An upper bound of the records in a file: its line count, a line ending at a LF, a CRLF or a CR alone (papaparse
 * takes a file whose first line ends in a CR alone as CR-separated; read through one reused buffer, nothing kept).
 */
export function countLines(path: string): number {
  let n = 1;
  let fd = -1;
  try {
    fd = openSync(inputFile(path), 'r');
    const b = Buffer.allocUnsafe(1 << 20);
    let crLast = false; // the previous read ended in a CR (a LF first in this one ends the same line)
    for (let got = readSync(fd, b, 0, b.length, null); got > 0; got = readSync(fd, b, 0, b.length, null)) {
      for (let i = b.indexOf(10); i >= 0 && i < got; i = b.indexOf(10, i + 1)) n++;
      // a CR not followed by a LF
      for (let i = b.indexOf(13); i >= 0 && i < got; i = b.indexOf(13, i + 1)) if (i + 1 < got && b[i + 1] !== 10) n++;
      if (crLast && b[0] !== 10) n++;
      crLast = b[got - 1] === 13;
    }
    if (crLast) n++;
  } catch (e) {
    throw new CliError(`cannot read the CSV file ${shown(path)}: ${describeFsError(e)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return n;
}

/**
 * Streams a CSV of numbers: the first record (and `layoutOf`, which decides the header and the
 * columns from it) fixes the columns; then every data row's kept cells are checked and parsed into
 * float32 chunks of `chunkRows` rows, handed to `onChunk` (the last one may be shorter). Ragged
 * rows, non-numbers and (unless --missing drop) missing values are CliErrors naming line and column.
 * The work happens as papaparse hands over each chunk's records (csvRecords): no record is queued
 * in a stream, so the parse garbage dies young and the process's memory stays flat.
 */
export async function readCsvStream(
  path: string,
  o: StreamOptions,
  layoutOf: (first: string[]) => Layout,
  chunkRows: number,
  onChunk: (c: Chunk) => void,
): Promise<StreamResult> {
  let fd: number;
  let size = 0;
  try {
    fd = openSync(inputFile(path), 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    }
    size = st.size;
  } catch (e) {
    throw new CliError(`cannot read the CSV file ${shown(path)}: ${describeFsError(e)}`);
  }

  const drop = o.missing === 'drop';
  let layout: Layout | null = null;
  let firstRecord: string[] | null = null, firstLine = 0;
  let cols = 0, rows = 0, total = 0, dropped = 0, firstDroppedLine = 0;
  let data = new Float32Array(0), lines = new Int32Array(0), ids: string[] | null = null;
  let keep: number[] = [];
  const flush = () => {
    if (rows === 0) return;
    onChunk({ data: rows === chunkRows ? data : data.subarray(0, rows * cols), rows, lines: lines.subarray(0, rows), ids: ids && ids.slice(0, rows) });
    total += rows;
    rows = 0;
  };
  const onRecord = (record: string[], line: number): void => {
    if (layout === null) {
      firstRecord = record;
      firstLine = line;
      layout = layoutOf(record);
      keep = layout.keep;
      cols = keep.length;
      data = new Float32Array(chunkRows * cols);
      lines = new Int32Array(chunkRows);
      if (layout.id !== null) ids = new Array<string>(chunkRows);
      if (layout.header) return;
    }
    if (record.length !== layout.width) {
      throw new CliError(`${shown(path)} line ${line} has ${record.length} fields but line ${firstLine} has ${layout.width}: every row needs the same number of columns`);
    }
    const base = rows * cols;
    for (let j = 0; j < cols; j++) {
      const c = keep[j]!;
      const cell = record[c]!;
      const fast = plainDecimal(cell); // at most 10^15 * 10^22: within float32's range
      if (fast === fast) {
        data[base + j] = fast;
        continue;
      }
      if (isNumber(cell)) { // more digits, a larger power of ten, or spaces around it
        const f = Math.fround(Number(cell));
        if (!Number.isFinite(f)) {
          throw new CliError(`${where(path, layout, line, c)} is ${cell.trim()}, outside the float32 range (about ±3.4e38): rescale the column`);
        }
        data[base + j] = f;
        continue;
      }
      if (isMissing(cell)) {
        if (drop) {
          if (dropped++ === 0) firstDroppedLine = line;
          return;
        }
        const what = cell.trim() === '' ? 'empty' : JSON.stringify(cell.trim());
        throw new CliError(`${where(path, layout, line, c)} is ${what}, a missing value: fill it in, drop such rows with --missing drop, or drop the column with --exclude`);
      }
      const hint = !layout.header && record === firstRecord ? ' (if this row is a header, pass --header)' : ', or drop the column with --exclude';
      throw new CliError(`${where(path, layout, line, c)} is ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}...` : cell)}, not a number: every cell must be a number${hint}`);
    }
    lines[rows] = line;
    if (ids) ids[rows] = record[layout.id!]!;
    if (++rows === chunkRows) flush();
  };

  // (text, decoded across chunk boundaries; the progress counts the bytes read)
  const input = createReadStream('', { fd, highWaterMark: CSV_READ, encoding: 'utf8' });
  if (o.onBytes) input.on('data', () => o.onBytes!(input.bytesRead, size));
  try {
    await csvRecords(input, path, o.delimiter ?? ',', onRecord);
    flush();
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new CliError(`cannot read the CSV file ${shown(path)}: ${describeFsError(e)}`);
    throw e;
  }
  if (layout === null) throw new CliError(`${shown(path)} is empty: it needs rows of numbers, one per line, comma-separated`);
  if (total === 0) {
    throw new CliError(dropped > 0
      ? `every one of the ${dropped} data rows of ${shown(path)} has a missing value (${MISSING_TEXT}), so --missing drop leaves none: fill them in, or drop the columns that have them with --exclude`
      : `${shown(path)} has a header but no data rows`);
  }
  return { layout: layout as Layout, rows: total, dropped, firstDroppedLine };
}

/** `file line L, column C ("name")`, for messages. */
function where(file: string, l: Layout, line: number, c: number): string {
  return `${shown(file)} line ${line}, column ${c + 1}${l.header ? ` ("${l.names[c]}")` : ''}`;
}
