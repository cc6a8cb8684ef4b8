// csv.ts: the CLI's file helpers. Reads a CSV of numbers (header detected or forced, columns
// dropped by name or number, every cell checked with its line and column in the message), writes
// CSV text, and writes files atomically (a temp file beside the target, then a rename).
// Errors are CliError: one line for the user, no stack trace.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/** A problem with the user's input (files, CSV contents, options): printed as one line. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
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
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${describeFsError(e)}`);
  }
}

/** Writes `data` to `path` through `${path}.${pid}.tmp` and a rename: the target is whole or untouched. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${describeFsError(e)}`);
  }
}

/** CSV text: a header line, then one line per row. */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  return stringify(rows, { header: true, columns: header });
}

/** Reads and checks a CSV of numbers; see {@link parseNumericCsv}. */
export function readNumericCsv(path: string, opts: ReadCsvOptions = {}): NumericTable {
  const text = readBytes(path, 'the CSV file');
  return parseNumericCsv(text, path, opts);
}

interface Rec { record: string[]; info: { lines: number } }

/** The 1-based line a record starts on (csv-parse reports the line it ends on). */
function startLine(r: Rec): number {
  let nl = 0;
  for (const f of r.record) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) nl++;
  return r.info.lines - nl;
}

/**
 * Parses CSV text into a table of numbers. The first row is a header when `opts.header` says so,
 * or, left undefined, when any of its fields (outside columns excluded by number) is not a number.
 * Empty lines are skipped. Every cell of every data row must be a plain decimal number.
 * @param file the file's name, for messages.
 */
export function parseNumericCsv(text: string | Uint8Array, file: string, opts: ReadCsvOptions = {}): NumericTable {
  let recs: Rec[];
  try {
    recs = parse(text, { info: true, bom: true, relax_column_count: true, skip_empty_lines: true }) as unknown as Rec[];
  } catch (e) {
    throw new CliError(`${file} is not valid CSV: ${(e as Error).message}`);
  }
  if (recs.length === 0) throw new CliError(`${file} is empty: it needs rows of numbers, one per line, comma-separated`);

  const first = recs[0]!;
  const width = first.record.length;
  for (const r of recs) {
    if (r.record.length !== width) {
      throw new CliError(`${file} line ${startLine(r)} has ${r.record.length} fields but line ${startLine(first)} has ${width}: every row needs the same number of columns`);
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
          ? `--exclude: ${file} has no column named "${tok}"; its columns are ${names.join(', ')} (or give 1-based column numbers)`
          : `--exclude: ${file} has no header row, so "${tok}" can't name a column: give 1-based column numbers (1 to ${width}), or --header if its first row is a header`);
      }
      if (n < 1 || n > width) throw new CliError(`--exclude: column ${n} is out of range: ${file} has columns 1 to ${width}`);
      c = n - 1;
    }
    drop.add(c);
  }
  const keep = names.map((_, c) => c).filter((c) => !drop.has(c));
  if (keep.length === 0) throw new CliError(`--exclude drops all ${width} columns of ${file}: keep at least one`);

  opts.checkColumns?.(keep.length, width, drop.size);
  const body = header ? recs.slice(1) : recs;
  if (body.length === 0) throw new CliError(`${file} has a header but no data rows`);
  const cols = keep.length;
  const data = new Float64Array(body.length * cols);
  const lines = new Int32Array(body.length);
  body.forEach((r, i) => {
    lines[i] = startLine(r);
    for (let j = 0; j < cols; j++) {
      const c = keep[j]!;
      const cell = r.record[c]!;
      const where = `${file} line ${lines[i]}, column ${c + 1}${header ? ` ("${names[c]}")` : ''}`;
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
  return `${file} line ${line}, column ${col}${t.header ? ` ("${t.names[c]}")` : ''}`;
}
