// cli-fuzz.test.ts: the CLI's `train`, `score`, `encode`, `reconstruct`, `explain` and `decode` on CSV files that fast-check writes, each a
// header and rows of numbers in the forms CSV files carry (signs, exponents, leading dots, quotes, padding),
// with CRLF or LF line ends, a BOM, blank lines and a missing last newline, and at most one defect: an empty
// or NA cell, text, a number beyond float32, a row one field short or long, an unclosed quote, a quote inside
// an unquoted cell or a closing quote with more after it; train's header may quote a name that spans two lines;
// with --missing drop half the time, where an empty or NA cell drops its row instead (one output row fewer). The oracle
// is the generator's own record of what it wrote: a file without a defect gives exit 0 and one output row a
// data row (the model file for train); a file with one gives exit 1 and one line on stderr, `autoencoder: `
// and the physical line the defect is on (counting the header's lines and blank lines), never a stack trace or
// the CLI's "internal error" (exit 70); for a quote out of place, the line its record starts on (an unclosed
// quote runs on to the next quote or the end of the file). Each case is a process (about 0.2 s): CLI_FUZZ_RUNS=n for more than 40,
// CLI_FUZZ_SEED=s for another draw. `series` (the same reader, its own checks) gets the same treatment on time series files:
// times as NAB writes them, ISO 8601 or epoch milliseconds, and defects of its own (a time that is no date,
// or earlier than the one before); a clean file's scores lie in [0, 1], the API's contract.

import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/tools/cli.js');
const RUNS = Number(process.env.CLI_FUZZ_RUNS ?? 40);
const SEED = Number(process.env.CLI_FUZZ_SEED ?? 20261207);
const COLS = 4;
const HEADER = Array.from({ length: COLS }, (_, j) => `c${j}`);

let dir = '';

/** A number as CSV files write it, and its value (the oracle's, not the CLI's: only its finiteness matters). */
const numberCell = fc.oneof(
  fc.integer({ min: -100000, max: 100000 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => v.toFixed(3)),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => `${m}.5e${e}`),
  fc.integer({ min: 0, max: 999 }).map((v) => `+${v}`),
  fc.integer({ min: 0, max: 999 }).map((v) => `.${v}`),
  fc.integer({ min: -99, max: 99 }).map((v) => `"${v}.25"`),
  fc.integer({ min: -99, max: 99 }).map((v) => ` ${v} `),
);

/** How a file is laid out around its rows: line ends, a BOM, a last newline, blank lines after some rows. */
interface FileLayout { crlf: boolean; bom: boolean; finalNewline: boolean; blankAfter: number[] }
const fileLayout = (maxRow: number) => ({
  crlf: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  blankAfter: fc.array(fc.nat({ max: maxRow }), { maxLength: 3 }),
});

/**
 * The file's text: `header`, then the rows as `l` lays them out; and the 1-based physical line of row `at`: one more
 * than the newlines before it (a quoted header name may hold one).
 */
function assemble(header: string, rows: string[][], l: FileLayout, at: number | null): { text: string; defectLine: number | null } {
  const eol = l.crlf ? '\r\n' : '\n';
  let text = (l.bom ? '\uFEFF' : '') + header;
  let defectLine: number | null = null;
  rows.forEach((r, i) => {
    text += eol;
    if (i === at) defectLine = text.split('\n').length;
    text += r.join(',');
    for (const b of l.blankAfter) if (b === i && i < rows.length - 1) text += eol;
  });
  return { text: text + (l.finalNewline ? eol : ''), defectLine };
}

/** The CSV forms of a quote out of place: inside an unquoted cell, and a closing quote with more after it. */
const QUOTE_DEFECTS = { 'stray-quote': '1"2', 'bad-close': '"12"3' } as const;

type Defect = 'empty' | 'na' | 'text' | 'huge' | 'short' | 'long' | 'quote' | keyof typeof QUOTE_DEFECTS;
interface Doc extends FileLayout {
  rows: string[][];
  defect: { kind: Defect; row: number; col: number } | null;
  command: 'train' | 'score' | 'encode' | 'reconstruct' | 'explain' | 'decode';
  drop: boolean;                         // --missing drop: a row with an empty or NA cell is dropped, not an error
  wrapHeader: boolean;                   // train: the first column's name quoted, with a newline in it
}

const doc: fc.Arbitrary<Doc> = fc.record({
  rows: fc.array(fc.array(numberCell, { minLength: COLS, maxLength: COLS }), { minLength: 4, maxLength: 14 }),
  ...fileLayout(13),
  defect: fc.option(fc.record({
    kind: fc.constantFrom<Defect>('empty', 'na', 'text', 'huge', 'short', 'long', 'quote', 'stray-quote', 'bad-close'),
    row: fc.nat({ max: 13 }),
    col: fc.nat({ max: COLS - 1 }),
  }), { freq: 2 }),
  command: fc.constantFrom<Doc['command']>('train', 'score', 'encode', 'reconstruct', 'explain', 'decode'),
  drop: fc.boolean(),
  wrapHeader: fc.boolean(),
});

/** The file's text and, for a defect, the 1-based physical line it is on. */
function write(d: Doc): { text: string; defectLine: number | null; dataRows: number } {
  // train's exponents stay within +-6: a validation row (the last tenth) far outside the training rows, such as
  // 1e20 among small rows or -14481 where a column held 1.5e-15, 0 and 0, is refused, rightly (its error
  // overflows float32 under the training rows' scaling; tests/errors.test.ts), which this oracle does not model
  // decode reads the model's 2 latent columns, z0 and z1, as encode writes them
  const width = d.command === 'decode' ? 2 : COLS;
  const rows = d.rows.map((r) => (d.command === 'train' ? r.map((c) => c.replace(/e(-?\d+)$/, (_, e: string) => `e${Math.max(-6, Math.min(6, Number(e)))}`)) : r.slice(0, width)));
  const defect = d.defect && { ...d.defect, row: d.defect.row % rows.length, col: d.defect.col % width };
  if (defect) {
    const r = rows[defect.row]!;
    switch (defect.kind) {
      case 'empty': r[defect.col] = ''; break;
      case 'na': r[defect.col] = 'NA'; break;
      case 'text': r[defect.col] = 'x7'; break;
      case 'huge': r[defect.col] = '-4e38'; break;
      case 'short': r.pop(); break;
      case 'long': r.push('1'); break;
      case 'quote': r[defect.col] = '"12'; break;
      default: r[defect.col] = QUOTE_DEFECTS[defect.kind];
    }
  }
  // (score, encode, reconstruct and explain check the header against the model's column names, decode against z0,z1, so only train reads a wrapped one)
  const header = d.command === 'train' && d.wrapHeader ? ['"c0\nunits"', ...HEADER.slice(1)].join(',') : d.command === 'decode' ? 'z0,z1' : HEADER.join(',');
  return { ...assemble(header, rows, d, defect ? defect.row : null), dataRows: rows.length };
}

/**
 * A refused file: exit 1, one line on stderr, `autoencoder: ` and (unless null) the defect's line, no output
 * file (written atomically), and not the CLI's "internal error" (exit 70, a stack trace).
 */
function expectRefused(r: ReturnType<typeof run>, what: string, line: number | null): void {
  expect(r.status, what).toBe(1);
  expect(r.stderr, what).not.toMatch(/internal error/);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines.length, what).toBe(1);
  expect(lines[0]!.startsWith('autoencoder: '), what).toBe(true);
  if (line !== null) expect(lines[0], what).toMatch(new RegExp(`\\bline ${line}\\b`));
  expect(existsSync(join(dir, 'out')), `${what}: an output file after a failure`).toBe(false);
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('the CLI on generated CSV files (fast-check)', () => {
  beforeAll(() => {
    if (!existsSync(CLI) || statSync(CLI).mtimeMs < statSync(join(ROOT, 'tools/cli.ts')).mtimeMs || statSync(CLI).mtimeMs < statSync(join(ROOT, 'tools/csv.ts')).mtimeMs) {
      execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
    }
    dir = mkdtempSync(join(tmpdir(), 'autoencoder-cli-fuzz-'));
    const base = [HEADER.join(','), ...Array.from({ length: 12 }, (_, i) => HEADER.map((_, j) => ((i * 7 + j * 3) % 11) - 5).join(','))].join('\n');
    writeFileSync(join(dir, 'base.csv'), `${base}\n`);
    const r = run('train', 'base.csv', '--epochs', '1', '--layers', '2', '-q', '-o', 'model.ae');
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`train, score, encode, reconstruct, explain and decode: exit 0 with every row, or exit 1 naming the defect's line (${RUNS} files, seed ${SEED})`, () => {
    let clean = 0, defects = 0;
    fc.assert(fc.property(doc, (d) => {
      const { text, defectLine, dataRows } = write(d);
      writeFileSync(join(dir, 'in.csv'), text);
      rmSync(join(dir, 'out'), { force: true });
      const drop = d.drop ? ['--missing', 'drop'] : [];
      const r = d.command === 'train'
        ? run('train', 'in.csv', '--epochs', '1', '--layers', '2', '-q', '-o', 'out', ...drop)
        : run(d.command, 'model.ae', 'in.csv', '-q', '-o', 'out', ...drop);
      const what = `${d.command}${d.drop ? ' --missing drop' : ''} of ${JSON.stringify(text)}: exit ${r.status}, stderr ${JSON.stringify(r.stderr)}`;
      const dropped = d.drop && defectLine !== null && (d.defect!.kind === 'empty' || d.defect!.kind === 'na');
      if (defectLine === null || dropped) {
        clean++;
        expect(r.status, what).toBe(0);
        if (d.command === 'train') {
          expect(statSync(join(dir, 'out')).size, what).toBeGreaterThan(0);
        } else {
          const out = readFileSync(join(dir, 'out'), 'utf8').split('\n').filter((l) => l !== '');
          // score: score,flag (a finite score, a 0/1 flag); encode: z0,z1 (the model's 2 latent values);
          // reconstruct, explain and decode: the model's 4 columns under the training file's names
          const names = { score: ['score', 'flag'], encode: ['z0', 'z1'], reconstruct: HEADER, explain: HEADER, decode: HEADER }[d.command];
          expect(out[0], what).toBe(names.join(','));
          expect(out.length, what).toBe(1 + dataRows - (dropped ? 1 : 0));
          for (const l of out.slice(1)) {
            const cells = l.split(',');
            expect(cells.length, what).toBe(names.length);
            if (d.command === 'score') {
              // a score is >= 0, +Infinity where the row's error overflows float32 (the API's contract: the
              // numbers reach 9.5e30), never NaN; such a row is flagged
              const v = Number(cells[0]);
              expect(v >= 0, what).toBe(true);
              expect(['0', '1'], what).toContain(cells[1]);
              if (v === Infinity) expect(cells[1], what).toBe('1');
            } else if (d.command === 'explain') {
              // a share is an element's squared error / 4: never NaN, +Infinity where it overflows float32 (9.5e30 inputs)
              for (const c of cells) expect(Number(c) >= 0, what).toBe(true);
            } else {
              // 4 inputs (or 2 codes) of at most 9.5e30 through this model's small weights stay within float32
              for (const c of cells) expect(Number.isFinite(Number(c)), what).toBe(true);
            }
          }
        }
      } else {
        defects++;
        expectRefused(r, what, defectLine);
      }
    }), { numRuns: RUNS, seed: SEED });
    console.log(`cli-fuzz: ${clean} clean files, ${defects} with a defect`);
    expect(clean).toBeGreaterThan(0);
    expect(defects).toBeGreaterThan(0);
  }, 600_000);

  it(`series: exit 0 with a score in [0, 1] a point, or exit 1 naming the defect's line (${RUNS} files, seed ${SEED})`, () => {
    let clean = 0, defects = 0;
    fc.assert(fc.property(series, (d) => {
      const { text, defectLine, points } = writeSeries(d);
      writeFileSync(join(dir, 'series.csv'), text);
      rmSync(join(dir, 'out'), { force: true });
      const r = run('series', 'series.csv', '--time', 'timestamp', '--value', 'value', '-q', '-o', 'out', '--options', '{"resolution": 0}');
      const what = `series of ${JSON.stringify(text.slice(0, 400))}...: exit ${r.status}, stderr ${JSON.stringify(r.stderr)}`;
      if (defectLine === null) {
        clean++;
        expect(r.status, what).toBe(0);
        const out = readFileSync(join(dir, 'out'), 'utf8').split('\n').filter((l) => l !== '');
        expect(out[0], what).toBe('timestamp,value,score');
        expect(out.length, what).toBe(1 + points);
        for (const l of out.slice(1)) {
          const v = Number(l.split(',')[2]);
          expect(v >= 0 && v <= 1, `${what}: ${l}`).toBe(true);
        }
      } else {
        defects++;
        expectRefused(r, what, defectLine);
      }
    }), { numRuns: RUNS, seed: SEED });
    console.log(`cli-fuzz series: ${clean} clean files, ${defects} with a defect`);
    expect(clean).toBeGreaterThan(0);
    expect(defects).toBeGreaterThan(0);
  }, 600_000);
});

type SeriesDefect = 'value-text' | 'value-empty' | 'time-text' | 'backwards' | 'short' | 'long' | 'quote' | keyof typeof QUOTE_DEFECTS;
interface Series extends FileLayout {
  values: string[];
  timeForm: 'nab' | 'iso' | 'ms';
  defect: { kind: SeriesDefect; at: number } | null;
}

const series: fc.Arbitrary<Series> = fc.record({
  values: fc.array(numberCell, { minLength: 1, maxLength: 120 }),
  timeForm: fc.constantFrom<Series['timeForm']>('nab', 'iso', 'ms'),
  ...fileLayout(119),
  defect: fc.option(fc.record({
    kind: fc.constantFrom<SeriesDefect>('value-text', 'value-empty', 'time-text', 'backwards', 'short', 'long', 'quote', 'stray-quote', 'bad-close'),
    at: fc.nat({ max: 119 }),
  }), { freq: 2 }),
});

/** The series file's text (a point a minute from 2024-01-01) and, for a defect, the physical line it is on. */
function writeSeries(d: Series): { text: string; defectLine: number | null; points: number } {
  const t0 = Date.UTC(2024, 0, 1);
  const time = (ms: number) => d.timeForm === 'ms' ? String(ms)
    : d.timeForm === 'iso' ? new Date(ms).toISOString()
    : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const rows = d.values.map((v, i) => [time(t0 + i * 60_000), v]);
  // a backwards time needs a point before it
  const defect = d.defect && !(d.defect.kind === 'backwards' && rows.length < 2) ? { ...d.defect, at: d.defect.at % rows.length } : null;
  if (defect) {
    const r = rows[defect.at]!;
    switch (defect.kind) {
      case 'value-text': r[1] = 'x7'; break;
      case 'value-empty': r[1] = ''; break;
      case 'time-text': r[0] = 'yesterday'; break;
      case 'backwards': defect.at = Math.max(1, defect.at); rows[defect.at]![0] = time(t0 + (defect.at - 1) * 60_000 - 3_600_000); break;
      case 'short': r.pop(); break;
      case 'long': r.push('1'); break;
      case 'quote': r[1] = '"12'; break;
      default: r[1] = QUOTE_DEFECTS[defect.kind];
    }
  }
  return { ...assemble('timestamp,value', rows, d, defect ? defect.at : null), points: rows.length };
}
