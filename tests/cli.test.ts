// cli.test.ts: the `autoencoder` command, run as users run it (node dist/tools/cli.js, a child
// process, in a temp directory), checked against the API used directly in this process.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, SeriesDetector } from 'autoencoder';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/tools/cli.js');
const VOWELS = join(ROOT, 'tests/fixtures/vowels.csv');

/** The newest modification time of the files dist/tools/cli.js is built from. */
function newestSource(): number {
  let t = 0;
  for (const dir of ['tools', 'bindings', 'assembly']) {
    for (const f of readdirSync(join(ROOT, dir))) {
      if (/\.(ts|mjs)$/.test(f)) t = Math.max(t, statSync(join(ROOT, dir, f)).mtimeMs);
    }
  }
  return t;
}

let dir = '';

beforeAll(() => {
  const built = [CLI, join(ROOT, 'dist/bindings/node.js'), join(ROOT, 'dist/build/kernels.wasm')];
  if (built.some((f) => !existsSync(f)) || statSync(CLI).mtimeMs < newestSource()) {
    execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
  dir = mkdtempSync(join(tmpdir(), 'autoencoder-cli-'));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run { code: number | null; stdout: string; stderr: string }

function cli(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and expects success. */
function ok(...args: string[]): Run {
  const r = cli(...args);
  expect(r.stderr, `autoencoder ${args.join(' ')}`).not.toMatch(/autoencoder: /);
  expect(r.code, `autoencoder ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** Runs the CLI and expects a one-line user error: no stack trace. */
function fails(...args: string[]): string {
  const r = cli(...args);
  expect(r.code, `autoencoder ${args.join(' ')} should fail`).not.toBe(0);
  expect(r.code).toBeLessThan(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^autoencoder: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

const path = (name: string) => join(dir, name);
const write = (name: string, text: string) => writeFileSync(path(name), text);
const bytesOf = (name: string) => new Uint8Array(readFileSync(path(name)));
const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
/** A model file's bytes with its metadata (the CLI's record of the CSV's columns) taken out. */
async function modelOnly(name: string): Promise<Uint8Array> {
  const ae = await Autoencoder.load(bytesOf(name));
  ae.metadata = null;
  return ae.save();
}

/** Parses the CLI's CSV output (plain numbers, no quoting) independently of the CLI's CSV libraries. */
function readCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.trimEnd().split('\n');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

// 6 correlated features (3 latent factors + noise), 200 rows; seeded, so every run is the same.
function dataset(n = 200, seed = 7): number[][] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const a = rnd(), b = rnd(), c = rnd();
    rows.push([a, a + b, 10 * b, 100 * (a - c), c + 0.1 * rnd(), 5 + a * b + 0.05 * rnd()].map((v) => Number(v.toFixed(6))));
  }
  return rows;
}

const DATA = dataset();
const HEADER = 'f0,f1,f2,f3,f4,f5';
const csvText = (rows: (number | string)[][], header?: string) => (header ? `${header}\n` : '') + rows.map((r) => r.join(',')).join('\n') + '\n';
const TRAIN = ['--layers', '4,2', '--epochs', '15', '--seed', '3', '--quiet'];

describe('autoencoder CLI', () => {
  beforeAll(() => {
    write('data.csv', csvText(DATA, HEADER));
    write('nohead.csv', csvText(DATA));
    // an id column first and a text label last: both must be excluded
    write('labelled.csv', csvText(DATA.map((r, i) => [i + 1, ...r, i % 10 === 0 ? 'odd' : 'normal']), `id,${HEADER},label`));
  });

  it('trains on a CSV with a header, atomically, and prints a summary', () => {
    const r = ok('train', 'data.csv', ...TRAIN, '-o', 'model.ae');
    expect(r.stdout).toMatch(/epochs\s+\d+ of 15/);
    expect(r.stdout).toMatch(/loss\s+[\d.e-]+, val loss [\d.e-]+/);
    expect(r.stdout).toMatch(/threshold\s+[\d.e-]+ \(the 0\.99 quantile/);
    expect(r.stdout).toMatch(/time\s+[\d.]+ s/);
    expect(r.stdout).toMatch(/saved\s+model\.ae \(\d+ bytes\)/);
    expect(r.stderr).toBe(''); // --quiet
    expect(existsSync(path('model.ae'))).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('prints one progress line per epoch on stderr when it is not a terminal', () => {
    const r = ok('train', 'data.csv', '--layers', '4,2', '--epochs', '3', '--patience', '0', '-o', 'progress.ae');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^epoch 3\/3 +loss [\d.e-]+ +val loss [\d.e-]+/);
  });

  it('detects a missing header: the same rows without one train the same model', async () => {
    ok('train', 'nohead.csv', ...TRAIN, '-o', 'nohead.ae');
    expect(await modelOnly('nohead.ae')).toEqual(await modelOnly('model.ae'));
    // the metadata records the column names, or their count without a header
    expect((await Autoencoder.load(bytesOf('model.ae'))).metadata).toEqual({ columns: HEADER.split(','), excluded: [], id: null, fileColumns: 6 });
    expect((await Autoencoder.load(bytesOf('nohead.ae'))).metadata).toEqual({ columns: 6, excluded: [], id: null, fileColumns: 6 });
    // forcing --header on a headerless file loses a row, so the model differs
    ok('train', 'nohead.csv', ...TRAIN, '--header', '-o', 'forced.ae');
    expect(await modelOnly('forced.ae')).not.toEqual(await modelOnly('model.ae'));
  });

  it('info reports spec, params, threshold, normalizer and size, as text and JSON', async () => {
    const ae = await Autoencoder.load(bytesOf('model.ae'));
    const text = ok('info', 'model.ae').stdout;
    expect(text).toMatch(/inputDim\s+6\n/);
    expect(text).toMatch(/layers\s+4,2 \(6 -> 4 -> 2 -> 4 -> 6; latent 2\)/);
    expect(text).toMatch(/normalize\s+standard \(fitted\)/);
    expect(text).toContain(`params     ${ae.paramCount}\n`);
    expect(Math.fround(Number(/threshold\s+(\S+)\n/.exec(text)![1]))).toBe(ae.threshold); // float32, shortest form
    expect(text).toContain(`(${statSync(path('model.ae')).size} bytes)`);

    const j = JSON.parse(ok('info', 'model.ae', '--json').stdout);
    expect(j.spec).toEqual(ae.spec);
    expect(j.spec).toMatchObject({ inputDim: 6, layers: [4, 2], normalize: 'standard', seed: 3 });
    expect(j.paramCount).toBe(6 * 4 + 4 + 4 * 2 + 2 + 2 * 4 + 4 + 4 * 6 + 6);
    expect(j.threshold).toBe(ae.threshold);
    expect(typeof j.threshold).toBe('number');
    expect(j.normalizerFitted).toBe(true);
    expect(j.bytes).toBe(statSync(path('model.ae')).size);
    expect(j.latentDim).toBe(2);
  });

  it('score writes one score per row, equal to Autoencoder.score(), and flags above the threshold', async () => {
    const { header, rows } = readCsv(ok('score', 'model.ae', 'data.csv').stdout);
    expect(header).toEqual(['score', 'flag']);
    expect(rows).toHaveLength(DATA.length);

    const ae = await Autoencoder.load(bytesOf('model.ae'));
    const want = ae.score(DATA);
    const thr = ae.threshold!;
    rows.forEach(([s, f], i) => {
      const got = Number(s);
      expect(Math.abs(got - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1e-12, Math.abs(want[i]!)));
      expect(f).toBe(got > Math.fround(thr) ? '1' : '0');
    });
    const flagged = rows.filter((r) => r[1] === '1').length;
    expect(flagged).toBeGreaterThan(0); // a 0.99 quantile of these very rows leaves about 1% above it
    expect(flagged).toBeLessThan(DATA.length * 0.05);
    expect(Array.from(ae.detect(DATA)).map(String)).toEqual(rows.map((r) => r[1]));

    // --threshold overrides the stored one; -o writes a file instead of stdout
    const median = [...want].sort((a, b) => a - b)[100]!;
    const r = ok('score', 'model.ae', 'data.csv', '--threshold', String(median), '-o', 'scores.csv');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/wrote 200 scores to scores\.csv/);
    const over = readCsv(readFileSync(path('scores.csv'), 'utf8')).rows;
    expect(over.map((x) => x[1])).toEqual(Array.from(want, (v) => (v > Math.fround(median) ? '1' : '0')));
    expect(leftovers()).toEqual([]);
  });

  it("'-' reads stdin (a pipe): train, score, encode, compress and decompress give what the file gives; errors name stdin; no copy is left", () => {
    const piped = (input: string, ...args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: 'utf8', timeout: 30_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const text = readFileSync(path('data.csv'), 'utf8');
    const spools = () => readdirSync(tmpdir()).filter((f) => f.startsWith('autoencoder-stdin-')).sort();
    const before = spools();
    // the oracle: the same commands on the file (the tests above check those against the API)
    const t = piped(text, 'train', '-', ...TRAIN, '-o', 'stdin.ae');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/on 200 rows x \d+ columns of stdin\b/);
    ok('train', 'data.csv', ...TRAIN, '-o', 'file.ae');
    expect(Buffer.from(bytesOf('stdin.ae')).equals(Buffer.from(bytesOf('file.ae')))).toBe(true);
    for (const cmd of ['score', 'encode']) {
      const r = piped(text, cmd, 'file.ae', '-');
      expect([cmd, r.code, r.stderr]).toEqual([cmd, 0, '']);
      expect(r.stdout).toBe(ok(cmd, 'file.ae', 'data.csv').stdout);
    }
    const c = piped(text, 'compress', 'file.ae', '-', '-o', 'stdin.aez', '-q');
    expect(c.code, c.stderr).toBe(0);
    ok('compress', 'file.ae', 'data.csv', '-o', 'file.aez', '-q');
    expect(Buffer.from(bytesOf('stdin.aez')).equals(Buffer.from(bytesOf('file.aez')))).toBe(true);
    // decompress reads a container from stdin too: compress -o - | decompress -
    const d = spawnSync(process.execPath, [CLI, 'decompress', 'file.ae', '-', '-q'], { cwd: dir, input: readFileSync(path('file.aez')), encoding: 'utf8', timeout: 30_000 });
    expect([d.status, d.stderr]).toEqual([0, '']);
    expect(d.stdout).toBe(ok('decompress', 'file.ae', 'file.aez', '-q').stdout);
    const junk = piped('junk', 'decompress', 'file.ae', '-', '-q');
    expect(junk.stderr.trim()).toMatch(/^autoencoder: cannot decompress stdin: frame 1 of the stream is not an autoencoder container/);
    // errors say stdin and its line, as they say a file's name
    const bad = piped(`${HEADER}\n1,2\n`, 'score', 'file.ae', '-');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^autoencoder: stdin line 2 has 2 fields but line 1 has \d+: every row needs the same number of columns$/);
    const empty = piped('', 'train', '-', ...TRAIN, '-o', 'never.ae');
    expect(empty.stderr.trim()).toMatch(/^autoencoder: stdin is empty/);
    expect(existsSync(path('never.ae'))).toBe(false);
    expect(spools()).toEqual(before);
  });

  it("'-': stdin's copy is removed when the command is stopped by SIGTERM while it reads, and by SIGINT", async () => {
    ok('train', 'data.csv', ...TRAIN, '-o', 'file.ae');
    const spools = () => readdirSync(tmpdir()).filter((f) => f.startsWith('autoencoder-stdin-'));
    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const before = new Set(spools());
      const child = spawn(process.execPath, [CLI, 'score', 'file.ae', '-'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      child.stdin.write(`${HEADER}\n`); // stdin stays open: the copy is still being made
      let mine: string[] = [];
      for (let i = 0; i < 200 && mine.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        mine = spools().filter((f) => !before.has(f));
      }
      expect(mine, 'a copy of stdin appeared').toHaveLength(1);
      child.kill(sig);
      expect([sig, await exited]).toEqual([sig, code]);
      expect([sig, existsSync(join(tmpdir(), mine[0]!))]).toEqual([sig, false]);
    }
  });

  it('score leaves the flag empty for a model without a threshold', () => {
    ok('train', 'data.csv', ...TRAIN, '--no-calibrate', '-o', 'nothr.ae');
    expect(JSON.parse(ok('info', 'nothr.ae', '--json').stdout).threshold).toBe(null);
    const { rows } = readCsv(ok('score', 'nothr.ae', 'data.csv').stdout);
    expect(rows).toHaveLength(DATA.length);
    expect(rows.every((r) => r.length === 2 && r[1] === '' && Number.isFinite(Number(r[0])))).toBe(true);
  });

  it('encode writes the latent code z0..z{k-1} of every row, equal to Autoencoder.encode()', async () => {
    const { header, rows } = readCsv(ok('encode', 'model.ae', 'nohead.csv').stdout);
    expect(header).toEqual(['z0', 'z1']);
    expect(rows).toHaveLength(DATA.length);
    const want = (await Autoencoder.load(bytesOf('model.ae'))).encode(DATA);
    rows.forEach((r, i) => {
      expect(r).toHaveLength(2);
      r.forEach((v, j) => expect(Math.abs(Number(v) - want[i * 2 + j]!)).toBeLessThanOrEqual(1e-6 * Math.abs(want[i * 2 + j]!) + 1e-12));
    });
  });

  it('--exclude drops columns by name or by 1-based number', async () => {
    ok('train', 'labelled.csv', ...TRAIN, '--exclude', 'id,label', '-o', 'labelled.ae');
    expect(await modelOnly('labelled.ae')).toEqual(await modelOnly('model.ae')); // the same six feature columns
    const byName = ok('score', 'labelled.ae', 'labelled.csv', '-x', 'label', '-x', 'id').stdout;
    const byNumber = ok('score', 'labelled.ae', 'labelled.csv', '--exclude', '1,8').stdout;
    expect(byNumber).toBe(byName);
    expect(byName).toBe(ok('score', 'model.ae', 'data.csv').stdout);
    // the model remembers what it excluded: no -x needed when scoring
    expect(ok('score', 'labelled.ae', 'labelled.csv').stdout).toBe(byName);
    // without a header, a text column excluded by number doesn't make the first row a header
    write('nohead-labelled.csv', csvText(DATA.map((r) => [...r, 'normal'])));
    expect(readCsv(ok('score', 'model.ae', 'nohead-labelled.csv', '-x', '7').stdout).rows).toHaveLength(DATA.length);

    expect(fails('train', 'labelled.csv', '--exclude', 'nope')).toMatch(/no column named "nope"; its columns are id, f0, .*label/);
    expect(fails('train', 'labelled.csv', '--exclude', '9')).toMatch(/column 9 is out of range: labelled\.csv has columns 1 to 8/);
  });

  it('rejects a non-numeric or empty cell, naming the file line and the column', () => {
    const rows = csvText(DATA.slice(0, 20), HEADER).split('\n');
    rows[4] = rows[4]!.replace(/^([^,]*,[^,]*,)[^,]*/, '$1abc'); // line 5, column 3
    write('bad.csv', rows.join('\n'));
    expect(fails('train', 'bad.csv', '-o', 'bad.ae')).toMatch(/^autoencoder: bad\.csv line 5, column 3 \("f2"\) is "abc", not a number/);
    expect(fails('score', 'model.ae', 'bad.csv')).toMatch(/line 5, column 3/);

    const holes = csvText(DATA.slice(0, 20)).split('\n');
    holes[11] = holes[11]!.replace(/,[^,]*$/, ','); // line 12, last column empty
    write('holes.csv', holes.join('\n'));
    expect(fails('train', 'holes.csv', '-o', 'bad.ae')).toMatch(/holes\.csv line 12, column 6 is empty/);
    expect(existsSync(path('bad.ae'))).toBe(false);
  });

  it('rejects ragged rows', () => {
    const rows = csvText(DATA.slice(0, 20), HEADER).split('\n');
    rows[7] = rows[7]!.replace(/,[^,]*$/, ''); // line 8 loses a field
    write('ragged.csv', rows.join('\n'));
    expect(fails('train', 'ragged.csv')).toMatch(/ragged\.csv line 8 has 5 fields but line 1 has 6/);
  });

  it('refuses a quote out of place naming the line its record starts on, in a file past the longest record (8 Mi characters) too', () => {
    const rows = csvText(DATA.slice(0, 20), HEADER).split('\n');
    rows[5] = `"${rows[5]}`;                                // line 6 opens a quote that nothing closes
    write('open.csv', rows.join('\n'));
    expect(fails('score', 'model.ae', 'open.csv')).toMatch(/^autoencoder: open\.csv is not valid CSV: the record that starts on line 6 opens a quoted field that is never closed/);
    rows[5] = rows[5]!.replace(/^"([^,]*)/, '"$1"x');        // line 6: "0.5"x, a closing quote with more after it
    write('close.csv', rows.join('\n'));
    expect(fails('score', 'model.ae', 'close.csv')).toMatch(/^autoencoder: close\.csv is not valid CSV: the record that starts on line 6 has a quoted field whose closing quote is followed by other characters/);
    // a 9 MB file whose line 3 opens a quote: papaparse would parse the unfinished record again with every chunk
    // (the rest of the file, 12 s and 550 MB for 51 MB); the longest record the CLI reads is 8 Mi characters
    const line = DATA[0]!.join(',');
    const big = [HEADER, line, `"${line}`, ...Array.from({ length: 9e6 / line.length }, () => line)].join('\n');
    write('long.csv', big);
    expect(fails('score', 'model.ae', 'long.csv', '-o', 'long.out')).toMatch(/^autoencoder: long\.csv is not valid CSV: the record that starts on line 3 runs on for more than 8 Mi characters/);
    expect(existsSync(path('long.out'))).toBe(false);
    // a line as long with no quote in it is not blamed on one
    write('wide.csv', `${HEADER}\n${line}\n${`${line},`.repeat(9e6 / line.length)}0\n`);
    expect(fails('score', 'model.ae', 'wide.csv')).toBe('autoencoder: wide.csv line 3 runs on for more than 8 Mi characters without a line break (the longest record the CLI reads; a row of numbers is a few KB): put each row on a line of its own');
  });

  it('score and encode check the column count against the model inputDim', () => {
    write('five.csv', csvText(DATA.map((r) => r.slice(0, 5))));
    expect(fails('score', 'model.ae', 'five.csv')).toMatch(/five\.csv has 5 columns but model\.ae expects 6/);
    // headerless: by count
    write('seven.csv', csvText(DATA.map((r) => [...r, 1])));
    expect(fails('encode', 'nohead.ae', 'seven.csv')).toMatch(/seven\.csv has 7 columns but nohead\.ae expects 6 .*--exclude/);
    expect(fails('score', 'nohead.ae', 'seven.csv', '-x', '1,2')).toMatch(/5 columns \(7 in the file, 2 excluded\) but nohead\.ae expects 6/);
    // with names on both sides: by name
    expect(fails('encode', 'model.ae', 'labelled.csv')).toBe('autoencoder: labelled.csv does not have the columns model.ae was trained on (f0, f1, f2, f3, f4, f5): has id, label, which the model was not trained on: drop them with --exclude id,label');
    expect(fails('score', 'model.ae', 'labelled.csv', '-x', 'label')).toMatch(/has id, which the model was not trained on: drop it with --exclude id$/);
  });

  it('reports missing files and files that are not models', () => {
    expect(fails('train', 'missing.csv')).toMatch(/cannot read the CSV file missing\.csv: no such file or directory/);
    expect(fails('score', 'missing.ae', 'data.csv')).toMatch(/cannot read the model file missing\.ae: no such file or directory/);
    expect(fails('score', 'model.ae', 'missing.csv')).toMatch(/missing\.csv: no such file/);
    expect(fails('info', 'data.csv')).toMatch(/cannot load data\.csv: not an autoencoder model file/);
    expect(fails('train', 'data.csv', '-o', 'no/such/dir/m.ae')).toMatch(/directory .* does not exist/);
  });

  it('a failed train leaves no output and no temp file, and never touches an existing model', () => {
    expect(fails('train', 'data.csv', '--layers', '16,x', '-o', 'failed.ae')).toMatch(/--layers.*'16,x' is invalid/);
    expect(existsSync(path('failed.ae'))).toBe(false);

    // training that diverges, writing over an existing model: the old bytes stay
    const before = bytesOf('model.ae');
    const msg = fails('train', 'data.csv', '--optimizer', 'sgd', '--lr', '1000', '--epochs', '20', '-q', '-o', 'model.ae');
    expect(msg).toMatch(/diverged.*--lr/);
    expect(bytesOf('model.ae')).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it('reports usage errors in one line and has --help for each command', () => {
    const r = cli('train', 'data.csv', '--epoch', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^autoencoder: unknown option '--epoch'/);
    expect(fails('train', 'data.csv', '--optimizer', 'adagrad')).toMatch(/Allowed choices are sgd, momentum, adam, adamw/);
    expect(fails('score', 'model.ae')).toMatch(/missing required argument 'data\.csv'/);
    for (const cmd of ['train', 'score', 'encode', 'info']) {
      const h = ok(cmd, '--help').stdout;
      expect(h).toMatch(new RegExp(`^Usage: autoencoder ${cmd} `));
    }
    expect(ok('train', '--help').stdout).toMatch(/--normalize <name>[\s\S]*standard/);
    expect(ok('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('trains and scores vowels.csv end to end, excluding its label', () => {
    ok('train', VOWELS, '--exclude', 'label', '--epochs', '5', '-q', '-o', 'vowels.ae');
    const info = JSON.parse(ok('info', 'vowels.ae', '--json').stdout);
    expect(info.spec.inputDim).toBe(12);
    const lines = readFileSync(VOWELS, 'utf8').trim().split('\n').length;
    const { header, rows } = readCsv(ok('score', 'vowels.ae', VOWELS, '--exclude', 'label').stdout);
    expect(header).toEqual(['score', 'flag']);
    expect(rows).toHaveLength(lines - 1);
    expect(rows.every(([s, f]) => Number.isFinite(Number(s)) && Number(s) >= 0 && (f === '0' || f === '1'))).toBe(true);
    const z = readCsv(ok('encode', 'vowels.ae', VOWELS, '-x', '13').stdout);
    expect(z.header).toEqual(Array.from({ length: info.latentDim }, (_, j) => `z${j}`));
    expect(z.rows).toHaveLength(lines - 1);
  });
});

// ---- train --spec: a JSON AutoencoderSpec (a layer graph, or the dense shorthand) ---------------------

// 120 windows of 16 steps of a sine (one channel): rows = windows, flattened [length, channels]
const WINDOWS: number[][] = Array.from({ length: 120 }, (_, i) =>
  Array.from({ length: 16 }, (_, j) => Number(Math.sin((0.2 + 0.05 * (i % 7)) * 3 * j + 0.37 * i).toFixed(4))));
const CONV_SPEC = {
  inputShape: [16, 1],
  encoder: [{ type: 'conv1d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool1d' }],
  decoder: [{ type: 'upSampling1d' }, { type: 'conv1d', filters: 1, kernel: 3, padding: 'same' }],
};
const writeJson = (name: string, v: unknown) => write(name, JSON.stringify(v, null, 2));

describe('autoencoder train --spec', () => {
  beforeAll(() => {
    write('windows.csv', csvText(WINDOWS));
    writeJson('conv.json', CONV_SPEC);
    if (!existsSync(path('data.csv'))) write('data.csv', csvText(DATA, HEADER));
  });

  it('trains a conv1d layer graph on CSV windows: the same model the API makes, and score/encode/info work with it', async () => {
    const r = ok('train', 'windows.csv', '--spec', 'conv.json', '--epochs', '5', '-q', '-o', 'conv.ae');
    expect(r.stdout).toMatch(/trained\s+\[16, 1\] -> 2 encoder layers -> \[8, 4\] -> 2 decoder layers -> \[16, 1\] \(latent 32, 29 params\) on 120 rows x 16 columns/);

    // the API with the CLI's defaults: --normalize standard (the spec leaves normalize out), seed 1,
    // validation split 0.1, patience 10, threshold at the 0.99 quantile of the rows' scores
    const ae = await Autoencoder.create({ ...CONV_SPEC, normalize: 'standard', seed: 1 } as Parameters<typeof Autoencoder.create>[0]);
    await ae.fit(WINDOWS, { epochs: 5, validationSplit: 0.1, earlyStopping: { patience: 10 } });
    ae.calibrate(WINDOWS, { quantile: 0.99 });
    ae.metadata = { columns: 16, excluded: [], id: null, fileColumns: 16 }; // a headerless CSV of 16 columns
    expect(bytesOf('conv.ae')).toEqual(ae.save());

    const j = JSON.parse(ok('info', 'conv.ae', '--json').stdout);
    expect(j.spec.inputShape).toEqual([16, 1]);
    expect(j.spec.encoder.map((l: { type: string }) => l.type)).toEqual(['conv1d', 'maxPool1d']);
    expect(j.spec.normalize).toBe('standard');
    expect(j.latentShape).toEqual([8, 4]);
    expect(j.latentDim).toBe(32);
    const text = ok('info', 'conv.ae').stdout;
    expect(text).toMatch(/inputShape\s+\[16, 1\]\n/);
    expect(text).toMatch(/encoder\s+conv1d 4 k3 s1 same relu, maxPool1d 2 s2 valid\n/);
    expect(text).toMatch(/latent\s+\[8, 4\] \(latentDim 32\)\n/);
    expect(text).toMatch(/decoder\s+upSampling1d 2, conv1d 1 k3 s1 same\n/);
    expect(text).not.toMatch(/^layers/m);

    // --shards: a conv model's shards of each batch (the create option), the same bytes on any --threads; a bad count is refused
    ok('train', 'windows.csv', '--spec', 'conv.json', '--epochs', '3', '--shards', '8', '-q', '-o', 'conv-s8.ae');
    ok('train', 'windows.csv', '--spec', 'conv.json', '--epochs', '3', '--shards', '8', '--threads', '3', '-q', '-o', 'conv-s8-t3.ae');
    expect(bytesOf('conv-s8-t3.ae')).toEqual(bytesOf('conv-s8.ae'));
    const s8 = await Autoencoder.create({ ...CONV_SPEC, normalize: 'standard', seed: 1 } as Parameters<typeof Autoencoder.create>[0], { shards: 8 });
    await s8.fit(WINDOWS, { epochs: 3, validationSplit: 0.1, earlyStopping: { patience: 10 } });
    s8.calibrate(WINDOWS, { quantile: 0.99 });
    s8.metadata = { columns: 16, excluded: [], id: null, fileColumns: 16 };
    expect(bytesOf('conv-s8.ae')).toEqual(s8.save());
    s8.dispose();
    // info names the count: 8 from the file, 4 for a conv model made without the flag, none for a dense model
    expect(ok('info', 'conv-s8.ae').stdout).toMatch(/\nshards\s+8 \(each training batch's data-parallel shards: --shards\)\n/);
    expect(JSON.parse(ok('info', 'conv-s8.ae', '--json').stdout).shards).toBe(8);
    expect(JSON.parse(ok('info', 'conv.ae', '--json').stdout).shards).toBe(4);
    ok('train', 'data.csv', '--layers', '4,2', '--epochs', '1', '--shards', '8', '-q', '-o', 'dense-s8.ae');
    expect(JSON.parse(ok('info', 'dense-s8.ae', '--json').stdout).shards).toBe(null);
    expect(ok('info', 'dense-s8.ae').stdout).not.toMatch(/shards/);
    expect(fails('train', 'windows.csv', '--spec', 'conv.json', '--shards', '17', '-o', 'x.ae')).toMatch(/shards must be an integer from 1 to 16/);
    expect(ok('train', '--help').stdout).toMatch(/--spec <file>\s+the model as a JSON AutoencoderSpec/);

    const scores = readCsv(ok('score', 'conv.ae', 'windows.csv').stdout).rows.map((x) => Number(x[0]));
    const want = ae.score(WINDOWS);
    scores.forEach((v, i) => expect(Math.fround(v)).toBe(want[i]));
    const z = readCsv(ok('encode', 'conv.ae', 'windows.csv').stdout);
    expect(z.header).toHaveLength(32);
    expect(z.rows.map((row) => row.map((v) => Math.fround(Number(v))))).toEqual(
      Array.from({ length: WINDOWS.length }, (_, i) => Array.from(ae.encode([WINDOWS[i]!]))));
  });

  it('--normalize applies unless the spec sets normalize; flags fill what the spec leaves out', async () => {
    ok('train', 'windows.csv', '--spec', 'conv.json', '--normalize', 'minmax', '--seed', '7', '--epochs', '2', '-q', '-o', 'minmax.ae');
    expect(JSON.parse(ok('info', 'minmax.ae', '--json').stdout).spec).toMatchObject({ normalize: 'minmax', seed: 7 });
    writeJson('conv-none.json', { ...CONV_SPEC, normalize: 'none', seed: 5 });
    ok('train', 'windows.csv', '--spec', 'conv-none.json', '--epochs', '2', '-q', '-o', 'none.ae');
    expect(JSON.parse(ok('info', 'none.ae', '--json').stdout).spec).toMatchObject({ normalize: 'none', seed: 5 });
    // loss bce in the spec: minmax unless the spec or --normalize says otherwise, as with --loss bce
    const bce = { ...CONV_SPEC, loss: 'bce', decoder: [CONV_SPEC.decoder[0], { ...CONV_SPEC.decoder[1], activation: 'sigmoid' }] };
    writeJson('conv-bce.json', bce);
    ok('train', 'windows.csv', '--spec', 'conv-bce.json', '--epochs', '2', '--validation-split', '0', '-q', '-o', 'bce.ae');
    expect(JSON.parse(ok('info', 'bce.ae', '--json').stdout).spec).toMatchObject({ loss: 'bce', normalize: 'minmax' });
  });

  it('flags that contradict the spec, or dense flags with a layer graph, are clear errors and write nothing', () => {
    expect(fails('train', 'windows.csv', '--spec', 'conv.json', '--layers', '8,4', '-o', 'x.ae'))
      .toMatch(/^autoencoder: --layers cannot be used with --spec conv\.json: it is a layer graph \(inputShape\/encoder\/decoder\), where each layer has its own size/);
    for (const flag of ['--activation', '--latent-activation', '--output-activation']) {
      expect(fails('train', 'windows.csv', '--spec', 'conv.json', flag, 'tanh', '-o', 'x.ae')).toMatch(new RegExp(`${flag} cannot be used with --spec conv\\.json: .*its own activation`));
    }
    expect(fails('train', 'windows.csv', '--spec', 'conv-none.json', '--normalize', 'standard', '-o', 'x.ae'))
      .toMatch(/--normalize conflicts with "normalize": "none" in conv-none\.json: set it in one place/);
    expect(fails('train', 'windows.csv', '--spec', 'conv-none.json', '--seed', '1', '-o', 'x.ae')).toMatch(/--seed conflicts with "seed": 5 in conv-none\.json/);
    expect(fails('train', 'windows.csv', '--spec', 'conv-bce.json', '--loss', 'mse', '-o', 'x.ae')).toMatch(/--loss conflicts with "loss": "bce" in conv-bce\.json/);
    expect(existsSync(path('x.ae'))).toBe(false);
  });

  it('a dense-shorthand spec takes inputDim from the CSV and trains the model the same flags train', () => {
    ok('train', 'data.csv', '--layers', '4,2', '--activation', 'tanh', '--epochs', '4', '-q', '-o', 'flags.ae');
    writeJson('dense.json', { layers: [4, 2], activation: 'tanh' });
    ok('train', 'data.csv', '--spec', 'dense.json', '--epochs', '4', '-q', '-o', 'dense.ae');
    expect(bytesOf('dense.ae')).toEqual(bytesOf('flags.ae'));
    // a flag may fill a field the dense spec leaves out
    writeJson('dense-act.json', { activation: 'tanh' });
    ok('train', 'data.csv', '--spec', 'dense-act.json', '--layers', '4,2', '--epochs', '4', '-q', '-o', 'dense2.ae');
    expect(bytesOf('dense2.ae')).toEqual(bytesOf('flags.ae'));
    expect(fails('train', 'data.csv', '--spec', 'dense.json', '--layers', '3', '-o', 'x.ae')).toMatch(/--layers conflicts with "layers": \[4,2\] in dense\.json/);
    expect(ok('info', 'dense.ae').stdout).toMatch(/layers\s+4,2 \(6 -> 4 -> 2 -> 4 -> 6; latent 2\)/);
  });

  it('spec file problems are one-line errors naming the file', () => {
    expect(fails('train', 'windows.csv', '--spec', 'missing.json', '-o', 'specfail.ae')).toMatch(/cannot read the spec file missing\.json: no such file or directory/);
    write('broken.json', '{"inputShape": [16, 1],');
    expect(fails('train', 'windows.csv', '--spec', 'broken.json', '-o', 'specfail.ae')).toMatch(/broken\.json is not valid JSON \(.*\): write an AutoencoderSpec such as \{"inputShape"/);
    writeJson('list.json', [CONV_SPEC]);
    expect(fails('train', 'windows.csv', '--spec', 'list.json', '-o', 'specfail.ae')).toMatch(/list\.json must hold a JSON object \(an AutoencoderSpec\), not an array/);
    writeJson('typo.json', { ...CONV_SPEC, encoder: [{ type: 'conv3d', filters: 4, kernel: 3 }] });
    expect(fails('train', 'windows.csv', '--spec', 'typo.json', '-o', 'specfail.ae')).toMatch(/^autoencoder: typo\.json: unknown layer type in encoder\[0\] "conv3d": use one of dense, conv1d/);
    writeJson('filter.json', { ...CONV_SPEC, encoder: [{ type: 'conv1d', filter: 4, kernel: 3 }, CONV_SPEC.encoder[1]] });
    expect(fails('train', 'windows.csv', '--spec', 'filter.json', '-o', 'specfail.ae')).toMatch(/filter\.json: unknown option "filter" in encoder\[0\] \(conv1d\)/);
    writeJson('short.json', { ...CONV_SPEC, inputShape: [8, 1] });
    expect(fails('train', 'windows.csv', '--spec', 'short.json', '-o', 'specfail.ae'))
      .toMatch(/windows\.csv has 16 columns but the inputShape \[8, 1\] of short\.json takes 8 values per row: each row is one sample, flattened channels last/);
    writeJson('dim.json', { ...CONV_SPEC, inputDim: 15 });
    expect(fails('train', 'windows.csv', '--spec', 'dim.json', '-o', 'specfail.ae')).toMatch(/windows\.csv has 16 columns but dim\.json says inputDim 15/);
    expect(fails('train', 'windows.csv', '--spec', 'conv.json', '-x', '1', '-o', 'specfail.ae')).toMatch(/has 15 columns \(16 in the file, 1 excluded\) but the inputShape \[16, 1\] of conv\.json takes 16 values per row/);
    expect(existsSync(path('specfail.ae'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });
  it('family flags: --variational --beta, --sparsity-l1, --contractive, --noise-gaussian set the spec and the fit; conflicts are refused', async () => {
    ok('train', 'data.csv', ...TRAIN, '--variational', '--beta', '2', '-o', 'vae.ae');
    const v = JSON.parse(ok('info', 'vae.ae', '--json').stdout);
    expect(v.spec.variational).toEqual({ beta: 2 });
    const vae = await Autoencoder.load(bytesOf('vae.ae'));
    expect(vae.posterior(DATA.slice(0, 2)).logVar.length).toBe(4);
    ok('train', 'data.csv', ...TRAIN, '--contractive', '0.05', '-o', 'cae.ae');
    expect(JSON.parse(ok('info', 'cae.ae', '--json').stdout).spec.contractive).toBe(0.05);
    ok('train', 'data.csv', ...TRAIN, '--sparsity-l1', '0.01', '--noise-gaussian', '0.5', '-o', 'sparse.ae');
    expect(JSON.parse(ok('info', 'sparse.ae', '--json').stdout).spec.sparsity).toEqual({ l1: 0.01 });
    // the same spec trained through the API with the same noise gives the same weights (without the noise, others)
    const api = await Autoencoder.create(JSON.parse(ok('info', 'sparse.ae', '--json').stdout).spec);
    await api.fit(DATA, { epochs: 15, validationSplit: 0.1, earlyStopping: { patience: 10 }, noise: { gaussian: 0.5 } });
    const cliModel = await Autoencoder.load(bytesOf('sparse.ae'));
    expect(cliModel.getWeights().map((w) => Array.from(w))).toEqual(api.getWeights().map((w) => Array.from(w)));
    expect(fails('train', 'data.csv', ...TRAIN, '--beta', '2', '-o', 'beta.ae')).toMatch(/--beta needs --variational/);
    writeJson('sparse.json', { layers: [4, 2], sparsity: { l1: 0.1 } });
    expect(fails('train', 'data.csv', '--spec', 'sparse.json', '--sparsity-l1', '0.2', '--quiet', '-o', 'clash.ae')).toMatch(/--sparsity-l1 conflicts with "sparsity" in sparse\.json/);
    writeJson('vae.json', { layers: [4, 2], variational: { beta: 3 } });
    ok('train', 'data.csv', '--spec', 'vae.json', '--epochs', '2', '--quiet', '-o', 'vae2.ae');
    expect(JSON.parse(ok('info', 'vae2.ae', '--json').stdout).spec.variational).toEqual({ beta: 3 });
    api.dispose();
  });

  it('--ensemble trains the subsample ensemble the API builds by default: the same file as create() + fit() + calibrate()', async () => {
    const r = ok('train', 'data.csv', '--ensemble', '--seed', '3', '--quiet', '-o', 'ens.ae');
    expect(r.stdout).toMatch(/epochs\s+50 of 50 per member, in each of 2 passes \(the second without the 20% of rows the first scored worst\)/);
    // the oracle: the API's defaults (no layers given: the ensemble), fitted and calibrated as the CLI says it does
    const api = await Autoencoder.create({ inputDim: 6, normalize: 'standard', seed: 3 });
    expect(api.spec.ensemble).toEqual({ members: 16, rows: 512, clean: 0.2, density: 8192 });
    await api.fit(DATA);
    api.calibrate(DATA, { quantile: 0.99 });
    api.metadata = (await Autoencoder.load(bytesOf('ens.ae'))).metadata;
    expect(bytesOf('ens.ae')).toEqual(api.save());
    api.dispose();
    // --epochs counts per member; the flags an ensemble cannot take are refused, naming them
    ok('train', 'data.csv', '--ensemble', '--epochs', '3', '--quiet', '-o', 'ens3.ae');
    const ensInfo = ok('info', 'ens3.ae').stdout;
    expect(ensInfo).toMatch(/\nensemble   \{"members":16,"rows":512,"clean":0\.2,"density":8192\}\n/);
    expect(ensInfo).toMatch(/\nparams     \d+ \(each member's\)\n/);
    expect(fails('train', 'data.csv', '--ensemble', '--validation-split', '0.2', '-o', 'x.ae')).toMatch(/--ensemble trains each member .* without --validation-split/);
    expect(fails('train', 'data.csv', '--ensemble', '--patience', '5', '-o', 'x.ae')).toMatch(/without --patience/);
    expect(fails('train', 'data.csv', '--ensemble', '--variational', '-o', 'x.ae')).toMatch(/ensemble/);
  });

  it('--threads trains, scores and encodes on threads with the bytes of one thread; a bad count is refused', () => {
    // (the oracle: the same commands on one thread; README "Threads" says why the bytes are the same)
    ok('train', 'data.csv', '--ensemble', '--epochs', '3', '--quiet', '-o', 'ens-t1.ae');
    ok('train', 'data.csv', '--ensemble', '--epochs', '3', '--threads', '2', '--quiet', '-o', 'ens-t2.ae');
    expect(bytesOf('ens-t2.ae')).toEqual(bytesOf('ens-t1.ae'));
    ok('train', 'data.csv', '--layers', '5,3', '--epochs', '4', '--threads', 'auto', '--quiet', '-o', 'dense-ta.ae');
    ok('train', 'data.csv', '--layers', '5,3', '--epochs', '4', '--quiet', '-o', 'dense-t1.ae');
    expect(bytesOf('dense-ta.ae')).toEqual(bytesOf('dense-t1.ae'));
    expect(ok('score', 'ens-t1.ae', 'data.csv', '--threads', '2').stdout).toBe(ok('score', 'ens-t1.ae', 'data.csv').stdout);
    expect(ok('encode', 'ens-t1.ae', 'data.csv', '--threads', 'auto').stdout).toBe(ok('encode', 'ens-t1.ae', 'data.csv').stdout);
    expect(fails('train', 'data.csv', '--threads', '0', '-o', 'x.ae')).toMatch(/threads must be an integer from 1 to 256/);
    expect(fails('score', 'ens-t1.ae', 'data.csv', '--threads', 'many')).toMatch(/threads must be an integer from 1 to 256/);
  });
});

// ---- the columns a model records, and the flags of PyOD / scikit-learn style tools ---------------------

/** Parses JSON lines. */
const jsonl = (text: string) => text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('autoencoder CLI: recorded columns, --columns, --id, --format, --delimiter, --missing, --contamination', () => {
  // id first, six features, a numeric label last
  const ROWS = DATA.map((r, i) => [`r${i + 1}`, ...r, i % 10 === 0 ? 1 : 0]);
  beforeAll(() => {
    write('ided.csv', csvText(ROWS, `id,${HEADER},label`));
    if (!existsSync(path('data.csv'))) write('data.csv', csvText(DATA, HEADER));
  });

  it('train --id/--exclude records the columns; score and encode drop the excluded ones by name and pass the id through', async () => {
    ok('train', 'ided.csv', ...TRAIN, '--id', 'id', '-x', 'label', '-o', 'ided.ae');
    const ae = await Autoencoder.load(bytesOf('ided.ae'));
    expect(ae.metadata).toEqual({ columns: HEADER.split(','), excluded: ['label'], id: 'id', fileColumns: 8 });
    ok('train', 'data.csv', ...TRAIN, '-o', 'plain.ae');
    expect(await modelOnly('ided.ae')).toEqual(await modelOnly('plain.ae')); // the same six features

    const { header, rows } = readCsv(ok('score', 'ided.ae', 'ided.csv').stdout);
    expect(header).toEqual(['id', 'score', 'flag']);
    expect(rows.map((r) => r[0])).toEqual(ROWS.map((r) => r[0]));
    const want = ae.score(DATA);
    rows.forEach((r, i) => expect(Math.fround(Number(r[1]))).toBe(want[i]));
    // without the id column in the file, no id in the output
    expect(readCsv(ok('score', 'ided.ae', 'data.csv').stdout).header).toEqual(['score', 'flag']);
    // encode: the id, then the latent code of ae.encode()
    const z = readCsv(ok('encode', 'ided.ae', 'ided.csv').stdout);
    expect(z.header).toEqual(['id', 'z0', 'z1']);
    const wz = ae.encode(DATA);
    z.rows.forEach((r, i) => expect(r.slice(1).map((v) => Math.fround(Number(v)))).toEqual([wz[2 * i], wz[2 * i + 1]]));

    const text = ok('info', 'ided.ae').stdout;
    expect(text).toMatch(/columns\s+f0, f1, f2, f3, f4, f5 \(6\)\n/);
    expect(text).toMatch(/excluded\s+label \(dropped by score, explain, encode, reconstruct and compress when present\)\n/);
    expect(text).toMatch(/id\s+id \(passed through/);
    const j = JSON.parse(ok('info', 'ided.ae', '--json').stdout);
    expect([j.columns, j.excluded, j.id]).toEqual([HEADER.split(','), ['label'], 'id']);
    expect(j.metadata).toEqual(ae.metadata);
  });

  it('refuses a CSV whose columns differ from the model\'s, naming the missing, extra or reordered ones', () => {
    const cols = HEADER.split(',');
    write('missing-f3.csv', csvText(DATA.map((r) => r.filter((_, j) => j !== 3)), cols.filter((c) => c !== 'f3').join(',')));
    expect(fails('score', 'ided.ae', 'missing-f3.csv')).toBe('autoencoder: missing-f3.csv does not have the columns ided.ae was trained on (f0, f1, f2, f3, f4, f5): it lacks f3: pass a CSV with that column');
    write('renamed.csv', csvText(DATA, 'f0,f1,f2,g3,f4,f5'));
    expect(fails('encode', 'ided.ae', 'renamed.csv')).toMatch(/it lacks f3 and has g3, which the model was not trained on: pass a CSV with that column; drop it with --exclude g3$/);
    expect(fails('score', 'ided.ae', 'ided.csv', '-x', 'f2')).toMatch(/it lacks f2: keep f2 \(don't --exclude it\)$/);
    write('swapped.csv', csvText(DATA.map((r) => [r[1]!, r[0]!, ...r.slice(2)]), 'f1,f0,f2,f3,f4,f5'));
    expect(fails('score', 'ided.ae', 'swapped.csv')).toBe('autoencoder: swapped.csv has the columns ided.ae was trained on but in another order: ided.ae expects f0, f1, f2, f3, f4, f5; swapped.csv has f1, f0, f2, f3, f4, f5: reorder the columns of swapped.csv');
  });

  it('a model file without metadata (made by the API) still checks by count', async () => {
    const ae = await Autoencoder.load(bytesOf('ided.ae'));
    ae.metadata = null;
    writeFileSync(path('nometa.ae'), ae.save());
    expect(readCsv(ok('score', 'nometa.ae', 'data.csv').stdout).rows).toHaveLength(DATA.length);
    expect(fails('score', 'nometa.ae', 'ided.csv')).toMatch(/ided\.csv has 8 columns but nometa\.ae expects 6 \(its inputDim\)/);
    expect(ok('info', 'nometa.ae').stdout).toMatch(/columns\s+6 \(names not recorded/);
  });

  it('--columns keeps the listed columns (the complement of --exclude); both together is an error', async () => {
    ok('train', 'ided.csv', ...TRAIN, '--columns', HEADER, '-o', 'cols.ae');
    expect(await modelOnly('cols.ae')).toEqual(await modelOnly('plain.ae'));
    expect((await Autoencoder.load(bytesOf('cols.ae'))).metadata).toMatchObject({ columns: HEADER.split(','), excluded: ['id', 'label'] });
    expect(ok('score', 'cols.ae', 'ided.csv').stdout).toBe(ok('score', 'plain.ae', 'data.csv').stdout);
    expect(fails('train', 'ided.csv', '--columns', 'f0', '-x', 'label')).toBe('autoencoder: --columns and --exclude cannot be used together: --columns lists the columns to keep, --exclude the ones to drop; pass one of them');
    expect(fails('train', 'ided.csv', '--columns', 'f0,nope')).toMatch(/--columns: ided\.csv has no column named "nope"; its columns are id, f0/);
  });

  it('--format json and jsonl hold the same values as csv', () => {
    const csv = readCsv(ok('score', 'ided.ae', 'ided.csv').stdout).rows;
    const lines = jsonl(ok('score', 'ided.ae', 'ided.csv', '--format', 'jsonl').stdout);
    const arr = JSON.parse(ok('score', 'ided.ae', 'ided.csv', '-f', 'json').stdout) as Record<string, unknown>[];
    expect(lines).toEqual(arr);
    expect(arr).toEqual(csv.map(([id, s, f]) => ({ id, score: Number(s), flag: Number(f) })));
    // no threshold: flag null
    ok('train', 'data.csv', ...TRAIN, '--no-calibrate', '-o', 'nothr2.ae');
    expect(jsonl(ok('score', 'nothr2.ae', 'data.csv', '--format', 'jsonl').stdout).every((o) => o.flag === null)).toBe(true);
    const enc = jsonl(ok('encode', 'ided.ae', 'ided.csv', '--format', 'jsonl', '-o', 'z.jsonl').stdout || readFileSync(path('z.jsonl'), 'utf8'));
    expect(Object.keys(enc[0]!)).toEqual(['id', 'z0', 'z1']);
    expect(enc.map((o) => [o.id, String(o.z0), String(o.z1)])).toEqual(readCsv(ok('encode', 'ided.ae', 'ided.csv').stdout).rows.map((r) => [r[0], String(Number(r[1])), String(Number(r[2]))]));
    expect(fails('score', 'ided.ae', 'ided.csv', '--format', 'xml')).toMatch(/Allowed choices are csv, json, jsonl/);
  });

  it('--delimiter reads (and writes) other separators; \\t and tab mean a tab', () => {
    const tsv = csvText(ROWS, `id,${HEADER},label`).replace(/,/g, '\t');
    write('ided.tsv', tsv);
    const want = readCsv(ok('score', 'ided.ae', 'ided.csv').stdout).rows;
    for (const d of ['\\t', 'tab']) {
      const out = ok('score', 'ided.ae', 'ided.tsv', '--delimiter', d).stdout;
      expect(out.split('\n')[0]).toBe('id\tscore\tflag');
      expect(out.trimEnd().split('\n').slice(1).map((l) => l.split('\t'))).toEqual(want);
    }
    write('ided.ssv', csvText(ROWS, `id,${HEADER},label`).replace(/,/g, ';'));
    expect(ok('score', 'ided.ae', 'ided.ssv', '-d', ';').stdout).toBe(ok('score', 'ided.ae', 'ided.csv').stdout.replace(/,/g, ';'));
    expect(fails('score', 'ided.ae', 'ided.tsv')).toMatch(/does not have the columns ided\.ae was trained on .*: it lacks f0, f1, f2, f3, f4, f5 and has id\tf0/);
  });

  it('reconstruct, explain and decode write rows under the model\'s column names, equal to reconstruct(), explain() and decode(); the id passes through', async () => {
    const ae = await Autoencoder.load(bytesOf('ided.ae'));
    const f32 = (cells: string[]) => cells.map((v) => Math.fround(Number(v)));
    const rowsOf = (y: Float32Array, d: number) => Array.from({ length: y.length / d }, (_, i) => Array.from(y.subarray(i * d, (i + 1) * d)));
    // reconstruct: the id, then the six columns as the model rebuilds them
    const rec = readCsv(ok('reconstruct', 'ided.ae', 'ided.csv').stdout);
    expect(rec.header).toEqual(['id', ...HEADER.split(',')]);
    expect(rec.rows.map((r) => r[0])).toEqual(ROWS.map((r) => r[0]));
    expect(rec.rows.map((r) => f32(r.slice(1)))).toEqual(rowsOf(ae.reconstruct(DATA), 6));
    expect(readCsv(ok('reconstruct', 'ided.ae', 'data.csv').stdout).header).toEqual(HEADER.split(','));
    // explain: the id, then each column's share of the score, explain()'s
    const ex = readCsv(ok('explain', 'ided.ae', 'ided.csv').stdout);
    expect(ex.header).toEqual(['id', ...HEADER.split(',')]);
    expect(ex.rows.map((r) => r[0])).toEqual(ROWS.map((r) => r[0]));
    expect(ex.rows.map((r) => f32(r.slice(1)))).toEqual(rowsOf(ae.explain(DATA), 6));
    // decode reads what encode writes (the id column included) and gives decode() of those codes
    ok('encode', 'ided.ae', 'ided.csv', '-o', 'codes.csv');
    const codes = readCsv(readFileSync(path('codes.csv'), 'utf8'));
    const z = Float32Array.from(codes.rows.flatMap((r) => f32(r.slice(1))));
    const dec = readCsv(ok('decode', 'ided.ae', 'codes.csv').stdout);
    expect(dec.header).toEqual(['id', ...HEADER.split(',')]);
    expect(dec.rows.map((r) => r[0])).toEqual(ROWS.map((r) => r[0]));
    expect(dec.rows.map((r) => f32(r.slice(1)))).toEqual(rowsOf(ae.decode(z), 6));
    // without a header or an id: by count; as JSON lines; on 2 threads the same bytes
    write('codes-bare.csv', csvText(codes.rows.map((r) => r.slice(1))));
    const bare = ok('decode', 'ided.ae', 'codes-bare.csv').stdout;
    expect(bare).toBe(`${HEADER}\n${dec.rows.map((r) => r.slice(1).join(',')).join('\n')}\n`);
    expect(ok('decode', 'ided.ae', 'codes-bare.csv', '--threads', '2').stdout).toBe(bare);
    expect(ok('reconstruct', 'ided.ae', 'ided.csv', '--threads', '2').stdout).toBe(ok('reconstruct', 'ided.ae', 'ided.csv').stdout);
    const j = jsonl(ok('decode', 'ided.ae', 'codes.csv', '--format', 'jsonl').stdout);
    expect(j.map((o) => Object.keys(o))).toEqual(j.map(() => ['id', ...HEADER.split(',')]));
    expect(j.map((o) => HEADER.split(',').map((c) => Math.fround(o[c] as number)))).toEqual(dec.rows.map((r) => f32(r.slice(1))));
    // a model trained without a header: x0..x5
    write('bare6.csv', csvText(DATA));
    ok('train', 'bare6.csv', ...TRAIN, '-o', 'bare6.ae');
    expect(readCsv(ok('reconstruct', 'bare6.ae', 'bare6.csv').stdout).header).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5']);
    // the wrong file: the latent columns are checked by name, then by count
    expect(fails('decode', 'ided.ae', 'data.csv')).toBe('autoencoder: data.csv does not have the latent columns of ided.ae that encode writes (z0, z1): it lacks z0, z1 and has f0, f1, f2, f3, f4, f5, which encode does not write: pass a CSV with those columns; drop them with --exclude f0,f1,f2,f3,f4,f5');
    write('codes3.csv', csvText(codes.rows.map((r) => [...r.slice(1), '1'])));
    expect(fails('decode', 'ided.ae', 'codes3.csv')).toBe('autoencoder: codes3.csv has 3 columns but ided.ae expects 2 (its latentDim): drop the extra columns (a label or id, say) with --exclude');
    write('codes1.csv', csvText(codes.rows.map((r) => [r[1]!])));
    expect(fails('decode', 'ided.ae', 'codes1.csv')).toBe('autoencoder: codes1.csv has 1 columns but ided.ae expects 2 (its latentDim): pass the latent code that `autoencoder encode` writes (2 columns)');
    write('codes-nan.csv', 'z0,z1\n1,2\nNaN,1\n');
    expect(fails('decode', 'ided.ae', 'codes-nan.csv')).toMatch(/^autoencoder: codes-nan\.csv line 3, column 1 \("z0"\) is "NaN", a missing value/);
    // a conditional VAE (made with the API) needs condition rows, which the CLI does not take
    const cvae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], variational: {}, conditionDim: 2 });
    writeFileSync(path('cvae.ae'), cvae.save());
    for (const cmd of ['score', 'explain', 'encode', 'reconstruct']) {
      expect(fails(cmd, 'cvae.ae', 'data.csv')).toBe(`autoencoder: cvae.ae is a conditional VAE (conditionDim 2): ${cmd} would need 2 condition values for every row, which the CLI does not take; use the API's ${cmd}(x, { condition })`);
    }
    expect(fails('decode', 'cvae.ae', 'codes-bare.csv')).toMatch(/^autoencoder: cvae\.ae is a conditional VAE \(conditionDim 2\): decode would need/);
  });

  it("a VAE the API calibrated by 'elbo' or 'kl': score writes that score and flags it as detect() does; --by, --samples and --seed choose another; explain splits the ELBO; info names it", async () => {
    const f32 = (cells: string[]) => cells.map((v) => Math.fround(Number(v)));
    const vae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], variational: { beta: 1 }, normalize: 'standard', seed: 4 });
    await vae.fit(DATA, { epochs: 4 });
    vae.metadata = (await Autoencoder.load(bytesOf('plain.ae'))).metadata;   // the CLI's column names (data.csv's)
    const thr = vae.calibrate(DATA, { quantile: 0.8, by: 'elbo', samples: 3, seed: 2 });
    writeFileSync(path('vae-elbo.ae'), vae.save());
    // the score column is score() by the threshold's score, the flags detect()'s (before: the reconstruction error
    // against a threshold in nats, which flagged no row)
    const sc = readCsv(ok('score', 'vae-elbo.ae', 'data.csv').stdout);
    const elbo = vae.score(DATA, { by: 'elbo', samples: 3, seed: 2 });
    expect(sc.rows.map((r) => Math.fround(Number(r[0])))).toEqual(Array.from(elbo));
    const flags = Array.from(vae.detect(DATA), String);
    expect(sc.rows.map((r) => r[1])).toEqual(flags);
    expect(flags.filter((f) => f === '1').length).toBeGreaterThan(0);
    const said = ok('score', 'vae-elbo.ae', 'data.csv', '-o', 'vs.csv').stderr;
    const m = /^wrote (\d+) scores \(the VAE's negative ELBO \(nats, 3 samples, seed 2\)\) to vs\.csv; (\d+) flagged above ([\d.]+)\n$/.exec(said);
    expect(m, said).not.toBeNull();
    expect([Number(m![1]), Number(m![2])]).toEqual([DATA.length, flags.filter((f) => f === '1').length]);
    expect(Math.abs(Number(m![3]) - thr) / thr).toBeLessThan(1e-3);
    // --by reconstruction: score(); the stored threshold is on the ELBO, so no flags unless --threshold
    const rec = readCsv(ok('score', 'vae-elbo.ae', 'data.csv', '--by', 'reconstruction').stdout);
    expect(rec.rows.map((r) => Math.fround(Number(r[0])))).toEqual(Array.from(vae.score(DATA)));
    expect(rec.rows.every((r) => r[1] === '')).toBe(true);
    expect(ok('score', 'vae-elbo.ae', 'data.csv', '--by', 'reconstruction', '-o', 'vr.csv').stderr).toMatch(/no flags: vae-elbo\.ae's threshold is on the VAE's negative ELBO \(nats, 3 samples, seed 2\), not on this score \(pass --threshold\)/);
    // --samples and --seed: the ELBO with those draws; --by kl: the KL score
    expect(readCsv(ok('score', 'vae-elbo.ae', 'data.csv', '--samples', '5', '--seed', '9').stdout).rows.map((r) => Math.fround(Number(r[0]))))
      .toEqual(Array.from(vae.score(DATA, { by: 'elbo', samples: 5, seed: 9 })));
    expect(readCsv(ok('score', 'vae-elbo.ae', 'data.csv', '--by', 'kl').stdout).rows.map((r) => Math.fround(Number(r[0])))).toEqual(Array.from(vae.score(DATA, { by: 'kl' })));
    // explain: by the ELBO as the threshold is (its shares sum to the score less the KL), or --by reconstruction
    const ex = readCsv(ok('explain', 'vae-elbo.ae', 'data.csv').stdout);
    expect(ex.rows.map(f32).flat()).toEqual(Array.from(vae.explain(DATA, { by: 'elbo', samples: 3, seed: 2 })));
    expect(readCsv(ok('explain', 'vae-elbo.ae', 'data.csv', '--by', 'reconstruction').stdout).rows.map(f32).flat()).toEqual(Array.from(vae.explain(DATA)));
    // info names the threshold's score
    expect(ok('info', 'vae-elbo.ae').stdout).toMatch(/threshold\s+[\d.]+ \(on the VAE's negative ELBO \(nats, 3 samples, seed 2\)\)/);
    expect(JSON.parse(ok('info', 'vae-elbo.ae', '--json').stdout).thresholdBy).toEqual({ by: 'elbo', samples: 3, seed: 2 });
    // the text form names the family's options as the spec holds them (the VAE's beta; an ensemble's members below)
    expect(ok('info', 'vae-elbo.ae').stdout).toContain(`\nvariational ${JSON.stringify(vae.spec.variational)}\n`);
    // calibrated by 'kl': score writes the KL score; explain splits the reconstruction error (the KL belongs to no column)
    vae.calibrate(DATA, { quantile: 0.8, by: 'kl' });
    writeFileSync(path('vae-kl.ae'), vae.save());
    const kl = readCsv(ok('score', 'vae-kl.ae', 'data.csv').stdout);
    expect(kl.rows.map((r) => Math.fround(Number(r[0])))).toEqual(Array.from(vae.score(DATA, { by: 'kl' })));
    expect(kl.rows.map((r) => r[1])).toEqual(Array.from(vae.detect(DATA), String));
    expect(readCsv(ok('explain', 'vae-kl.ae', 'data.csv').stdout).rows.map(f32).flat()).toEqual(Array.from(vae.explain(DATA)));
    // refused: --by kl for explain, another score for a model that is not a VAE, --samples without the ELBO
    expect(fails('explain', 'vae-kl.ae', 'data.csv', '--by', 'kl')).toMatch(/option '--by <score>' argument 'kl' is invalid\. Allowed choices are reconstruction, elbo/);
    expect(fails('score', 'plain.ae', 'data.csv', '--by', 'elbo')).toBe('autoencoder: --by elbo needs a variational autoencoder (train with --variational); plain.ae is not one');
    expect(fails('score', 'vae-kl.ae', 'data.csv', '--samples', '2')).toBe("autoencoder: --samples and --seed go with --by elbo (a VAE's ELBO score draws them): the default here for vae-kl.ae is by kl");
    expect(fails('explain', 'vae-kl.ae', 'data.csv', '--seed', '2')).toBe("autoencoder: --samples and --seed go with --by elbo (a VAE's ELBO score draws them): the default here for vae-kl.ae is by reconstruction");
    expect(readCsv(ok('explain', 'vae-elbo.ae', 'data.csv', '--seed', '6').stdout).rows.map(f32).flat()).toEqual(Array.from(vae.explain(DATA, { by: 'elbo', samples: 3, seed: 6 })));
    expect(fails('score', 'vae-elbo.ae', 'data.csv', '--by', 'kl', '--seed', '1')).toBe('autoencoder: --samples and --seed go with --by elbo (the kl score draws nothing)');
    expect(fails('score', 'vae-elbo.ae', 'data.csv', '--samples', '0')).toMatch(/--samples must be an integer from 1 to 10000/);
    // a file past the CLI's blocks of 8192 rows: its ELBO scores and shares are one score() / explain() call's over all of it
    const BIG = dataset(9000, 11);
    write('big.csv', csvText(BIG, HEADER));
    const bigScores = readCsv(ok('score', 'vae-elbo.ae', 'big.csv', '--seed', '3').stdout).rows.map((r) => Math.fround(Number(r[0])));
    expect(bigScores).toEqual(Array.from(vae.score(BIG, { by: 'elbo', samples: 3, seed: 3 })));
    const bigShares = readCsv(ok('explain', 'vae-elbo.ae', 'big.csv').stdout).rows;
    expect(bigShares.length).toBe(9000);
    expect(bigShares.slice(8180, 8200).map(f32).flat()).toEqual(Array.from(vae.explain(BIG, { by: 'elbo', samples: 3, seed: 2 }).subarray(8180 * 6, 8200 * 6)));
    vae.dispose();
  });

  it("train --calibrate-by elbo or kl: a VAE's threshold on that score, as the API's calibrate() sets it; score flags it as detect() does", async () => {
    const r = ok('train', 'data.csv', ...TRAIN, '--variational', '--calibrate-by', 'elbo', '--calibrate-samples', '2', '-o', 'vtrain.ae');
    expect(r.stdout).toMatch(/threshold\s+[\d.e-]+ \(the 0\.99 quantile of the 200 training rows' scores: the VAE's negative ELBO \(nats, 2 samples, seed 0\)\)/);
    const ae = await Autoencoder.load(bytesOf('vtrain.ae'));
    expect(ae.thresholdBy).toEqual({ by: 'elbo', samples: 2, seed: 0 });
    const stored = ae.threshold;
    expect(ae.calibrate(DATA, { quantile: 0.99, by: 'elbo', samples: 2, seed: 0 })).toBe(stored);
    const sc = readCsv(ok('score', 'vtrain.ae', 'data.csv').stdout);
    expect(sc.rows.map((row) => row[1])).toEqual(Array.from(ae.detect(DATA), String));
    expect(sc.rows.map((row) => Math.fround(Number(row[0])))).toEqual(Array.from(ae.score(DATA, ae.thresholdBy)));
    ok('train', 'data.csv', ...TRAIN, '--variational', '--calibrate-by', 'kl', '--contamination', '0.1', '-o', 'vkl.ae');
    const kl = await Autoencoder.load(bytesOf('vkl.ae'));
    expect(kl.thresholdBy).toEqual({ by: 'kl' });
    expect(kl.calibrate(DATA, { contamination: 0.1, by: 'kl' })).toBe((await Autoencoder.load(bytesOf('vkl.ae'))).threshold);
    expect(fails('train', 'data.csv', ...TRAIN, '--calibrate-by', 'elbo', '-o', 'x.ae')).toBe('autoencoder: --calibrate-by elbo needs a variational autoencoder: add --variational (or "variational" in --spec)');
    expect(fails('train', 'data.csv', ...TRAIN, '--variational', '--calibrate-samples', '3', '-o', 'x.ae')).toBe('autoencoder: --calibrate-samples goes with --calibrate-by elbo (the other scores draw nothing)');
    expect(fails('train', 'data.csv', ...TRAIN, '--variational', '--no-calibrate', '--calibrate-by', 'kl', '-o', 'x.ae')).toBe('autoencoder: --calibrate-by cannot be used with --no-calibrate: it chooses the score of a threshold that is not set');
    expect(existsSync(path('x.ae'))).toBe(false);
  });

  it('--contamination calibrates the threshold as the API does', async () => {
    const r = ok('train', 'data.csv', ...TRAIN, '--contamination', '0.05', '-o', 'cont.ae');
    expect(r.stdout).toMatch(/threshold\s+[\d.e-]+ \(--contamination 0\.05: the 0\.95 quantile/);
    const ae = await Autoencoder.load(bytesOf('plain.ae'));
    const thr = ae.calibrate(DATA, { contamination: 0.05 });
    expect((await Autoencoder.load(bytesOf('cont.ae'))).threshold).toBe(thr);
    expect(fails('train', 'data.csv', '--contamination', '0.05', '--calibrate', '0.9')).toMatch(/--contamination cannot be used with --calibrate/);
    expect(fails('train', 'data.csv', '--contamination', '0.05', '--no-calibrate')).toMatch(/--contamination cannot be used with --no-calibrate/);
    expect(fails('train', 'data.csv', '--contamination', '0')).toMatch(/contamination must be a number above 0 and at most 0\.5/);
  });

  it('numeric options read decimal notation, exponents included (1e0, 1e3, 2.5e-3), and refuse hex, blanks and Infinity, saying how to write them', async () => {
    ok('train', 'data.csv', ...TRAIN, '--epochs', '1e0', '--seed', '1e3', '--lr', '2.5e-3', '-o', 'exp.ae');
    ok('train', 'data.csv', ...TRAIN, '--epochs', '1', '--seed', '1000', '--lr', '0.0025', '-o', 'dec.ae');
    expect(bytesOf('exp.ae')).toEqual(bytesOf('dec.ae'));
    expect(fails('train', 'data.csv', '--epochs', '0x10')).toMatch(/epochs must be an integer from 1 up, written in decimal digits \(1000 or 1e3\)/);
    expect(fails('train', 'data.csv', '--epochs', '2.5')).toMatch(/epochs must be an integer from 1 up\.$/m);
    expect(fails('train', 'data.csv', '--epochs', ' ')).toMatch(/epochs must be an integer from 1 up, written in decimal digits/);
    expect(fails('train', 'data.csv', '--lr', '0x10')).toMatch(/learning rate must be a number/);
    expect(fails('train', 'data.csv', '--noise-gaussian', 'Infinity')).toMatch(/must be a number/);
    expect(fails('compress', 'plain.ae', 'data.csv', '--bits', '0x8')).toMatch(/bits must be an integer from 2 to 16, written in decimal digits/);
    expect(fails('compress', 'plain.ae', 'data.csv', '--peak', '0x10')).toMatch(/peak must be a number above 0/);
  });

  it('--missing error names the line and column of NA, NaN, null or empty cells; --missing drop drops those rows and their ids', async () => {
    const rows = ROWS.map((r) => r.map(String));
    rows[4]![3] = 'NA'; rows[9]![1] = ''; rows[20]![6] = 'NaN'; rows[30]![2] = 'null';
    rows[40]![7] = 'NA'; // in the label column, which is excluded: not missing for the model
    write('gaps.csv', csvText(rows, `id,${HEADER},label`));
    expect(fails('score', 'ided.ae', 'gaps.csv')).toBe('autoencoder: gaps.csv line 6, column 4 ("f2") is "NA", a missing value: fill it in, drop such rows with --missing drop, or drop the column with --exclude');
    expect(fails('train', 'gaps.csv', '--id', 'id', '-x', 'label', '-o', 'gaps.ae')).toMatch(/line 6, column 4 \("f2"\) is "NA", a missing value/);
    const bad = new Set([4, 9, 20, 30]);
    const keptIds = ROWS.filter((_, i) => !bad.has(i)).map((r) => r[0]);
    const r = ok('score', 'ided.ae', 'gaps.csv', '--missing', 'drop');
    expect(r.stderr).toBe('scored 196 rows; dropped 4 rows with missing values (the first on line 6)\n');
    const got = readCsv(r.stdout).rows;
    expect(got.map((x) => x[0])).toEqual(keptIds);
    const ae = await Autoencoder.load(bytesOf('ided.ae'));
    const want = ae.score(DATA.filter((_, i) => !bad.has(i)));
    got.forEach((x, i) => expect(Math.fround(Number(x[1]))).toBe(want[i]));
    // train drops them too, and says so
    const t = ok('train', 'gaps.csv', ...TRAIN, '--id', 'id', '-x', 'label', '--missing', 'drop', '-o', 'gaps.ae');
    expect(t.stdout).toMatch(/on 196 rows x 6 columns of gaps\.csv \(excluded label; id column id; dropped 4 rows with missing values, the first on line 6\)/);
    const direct = await Autoencoder.create({ inputDim: 6, layers: [4, 2], normalize: 'standard', seed: 3 });
    const kept = DATA.filter((_, i) => !bad.has(i));
    await direct.fit(kept, { epochs: 15, validationSplit: 0.1, earlyStopping: { patience: 10 } });
    direct.calibrate(kept, { quantile: 0.99 });
    expect(await modelOnly('gaps.ae')).toEqual(direct.save());
  });

  it('removes a temp file left by a killed write (its pid dead), not one of a live process', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    const dead = child.pid!;
    let isDead = false;
    try { process.kill(dead, 0); } catch (e) { isDead = (e as NodeJS.ErrnoException).code === 'ESRCH'; }
    expect(isDead).toBe(true);
    write(`stale.ae.${dead}.tmp`, 'half a model');
    write(`stale.ae.${process.pid}.tmp`, 'a write in progress'); // this test process is alive
    write(`other.ae.${dead}.tmp`, 'another target\'s');
    ok('train', 'data.csv', ...TRAIN, '-o', 'stale.ae');
    expect(existsSync(path('stale.ae'))).toBe(true);
    expect(existsSync(path(`stale.ae.${dead}.tmp`))).toBe(false);
    expect(existsSync(path(`stale.ae.${process.pid}.tmp`))).toBe(true);
    expect(existsSync(path(`other.ae.${dead}.tmp`))).toBe(true); // only temp files of the target written
    // score -o writes through the same naming and cleans up alike
    write(`scores2.csv.${dead}.tmp`, 'half');
    ok('score', 'stale.ae', 'data.csv', '-o', 'scores2.csv', '-q');
    expect(existsSync(path(`scores2.csv.${dead}.tmp`))).toBe(false);
    for (const f of [`stale.ae.${process.pid}.tmp`, `other.ae.${dead}.tmp`]) rmSync(path(f));
  });
});

// A daily wave at 5-minute steps with a spike, its times as NAB writes them (UTC, no zone).
function seriesCsv(n: number, from = 0): { text: string; values: number[]; times: number[] } {
  const t0 = Date.UTC(2024, 2, 1);
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const values: number[] = [], times: number[] = [];
  const lines = ['timestamp,value'];
  for (let i = 0; i < from + n; i++) {
    const v = Number((50 + 10 * Math.sin((2 * Math.PI * i) / 288) + rnd() + (i === 1300 ? 40 : 0)).toFixed(3));
    if (i < from) continue;
    const t = t0 + i * 300_000;
    values.push(v);
    times.push(t);
    lines.push(`${new Date(t).toISOString().slice(0, 19).replace('T', ' ')},${v}`);
  }
  return { text: lines.join('\n') + '\n', values, times };
}

describe('autoencoder series', () => {
  // ALL spans three of the CLI's 4,096-point chunks
  const ALL = seriesCsv(9000), HEAD = seriesCsv(700), TAIL = seriesCsv(800, 700);
  const SERIES = ['--time', 'timestamp', '--value', 'value', '-q'];
  const scoresOf = (name: string, col = 2) => Float32Array.from(readCsv(readFileSync(path(name), 'utf8')).rows, (r) => Number(r[col]));

  it('writes each point\'s score, the same bits as SeriesDetector.pushMany over the parsed values and times', async () => {
    write('s-all.csv', ALL.text);
    ok('series', 's-all.csv', ...SERIES, '-o', 's-out.csv');
    const out = readCsv(readFileSync(path('s-out.csv'), 'utf8'));
    expect(out.header).toEqual(['timestamp', 'value', 'score']);
    expect(out.rows.map((r) => r[1])).toEqual(ALL.text.trimEnd().split('\n').slice(1).map((l) => l.split(',')[1]));
    const d = await SeriesDetector.create();
    const want = d.pushMany(ALL.values, ALL.times);
    expect(scoresOf('s-out.csv')).toEqual(want);
    expect(Math.max(...want.subarray(1290, 1310))).toBeGreaterThan(0.9);   // the spike is seen
    // without --time: the untimed detector's scores
    const u = ok('series', 's-all.csv', '--value', 'value', '-q').stdout;
    const un = await SeriesDetector.create();
    expect(Float32Array.from(readCsv(u).rows, (r) => Number(r[1]))).toEqual(un.pushMany(ALL.values));
    expect(readCsv(u).header).toEqual(['value', 'score']);
  });

  it('--state continues a detector across runs: two runs over the halves give one run\'s scores and state, bit for bit', async () => {
    write('s-head.csv', HEAD.text);
    write('s-tail.csv', TAIL.text);
    ok('series', 's-head.csv', ...SERIES, '--state', 's.state', '-o', 's-h.csv', '--threshold', '0.5');
    const mid = bytesOf('s.state');
    ok('series', 's-tail.csv', ...SERIES, '--state', 's.state', '-o', 's-t.csv', '--threshold', '0.5');
    const d = await SeriesDetector.create();
    const a = d.pushMany(HEAD.values, HEAD.times);
    expect(mid).toEqual(d.save());
    const b = d.pushMany(TAIL.values, TAIL.times);
    expect(scoresOf('s-h.csv')).toEqual(a);
    expect(scoresOf('s-t.csv')).toEqual(b);
    expect(bytesOf('s.state')).toEqual(d.save());
    // --threshold: alarm is 1 exactly where the score reaches it
    const t = readCsv(readFileSync(path('s-t.csv'), 'utf8'));
    expect(t.header).toEqual(['timestamp', 'value', 'score', 'alarm']);
    expect(t.rows.map((r) => Number(r[3]))).toEqual(Array.from(b, (x) => (x >= 0.5 ? 1 : 0)));
    expect(t.rows.some((r) => r[3] === '1')).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('--options makes a new detector with them, and must agree with a saved one', async () => {
    write('s-head.csv', HEAD.text);
    ok('series', 's-head.csv', ...SERIES, '--options', '{"warmup": 256, "seed": 5}', '-o', 's-o.csv', '--state', 's-o.state');
    const d = await SeriesDetector.create({ warmup: 256, seed: 5 });
    const want = d.pushMany(HEAD.values, HEAD.times);
    expect(scoresOf('s-o.csv')).toEqual(want);
    expect(Array.from(want.subarray(0, 255)).every((x) => x === 0)).toBe(true);
    // the same options again continue it; others are refused, naming the option, and the state stays
    write('s-tail.csv', TAIL.text);
    const before = bytesOf('s-o.state');
    expect(fails('series', 's-tail.csv', ...SERIES, '--options', '{"warmup": 128}', '--state', 's-o.state')).toMatch(/warmup: 128.*made with warmup: 256/);
    expect(bytesOf('s-o.state')).toEqual(before);
    ok('series', 's-tail.csv', ...SERIES, '--options', '{"seed": 5}', '--state', 's-o.state', '-o', 's-o2.csv');
    expect(scoresOf('s-o2.csv')).toEqual(d.pushMany(TAIL.values, TAIL.times));
    expect(fails('series', 's-head.csv', ...SERIES, '--options', '{"warmup": 256')).toMatch(/--options is not JSON/);
    expect(fails('series', 's-head.csv', ...SERIES, '--options', '[256]')).toMatch(/--options must be a JSON object/);
    expect(fails('series', 's-head.csv', ...SERIES, '--options', '{"wamup": 256}')).toMatch(/unknown option "wamup"/);
    expect(fails('series', 's-tail.csv', ...SERIES, '--options', '{"wamup": 256}', '--state', 's-o.state')).toMatch(/unknown option "wamup" in --options: valid options are window, /);
    expect(fails('series', 's-head.csv', ...SERIES, '--threshold', '1.5')).toMatch(/--threshold "1.5" is not a number in \[0, 1\]/);
  });

  it('- reads stdin, and answers each batch as it arrives: the first 700 points\' scores come before the rest is sent', async () => {
    // all at once: the bits of the file run and of pushMany()
    const r = spawnSync(process.execPath, [CLI, 'series', '-', ...SERIES, '--threshold', '0.5'], { cwd: dir, input: ALL.text, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const d = await SeriesDetector.create();
    const want = d.pushMany(ALL.values, ALL.times);
    expect(Float32Array.from(readCsv(r.stdout).rows, (x) => Number(x[2]))).toEqual(want);
    // a slow pipe: 700 points, then (only once their 700 scores are out) the next 800
    const child = spawn(process.execPath, [CLI, 'series', '-', ...SERIES], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let outText = '', errText = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => { outText += t; });
    child.stderr.setEncoding('utf8').on('data', (t: string) => { errText += t; });
    const done = new Promise<number | null>((res) => child.on('close', res));
    child.stdin.write(HEAD.text);
    const rows = () => outText.split('\n').length - 2;   // less the header and the line being written
    const t0 = Date.now();
    while (rows() < 700 && Date.now() - t0 < 30_000) await new Promise((res) => setTimeout(res, 20));
    expect(rows(), `scores out before the rest was sent (stderr: ${errText})`).toBe(700);
    child.stdin.end(TAIL.text.slice(TAIL.text.indexOf('\n') + 1));
    expect(await done, errText).toBe(0);
    const e = await SeriesDetector.create();
    expect(Float32Array.from(readCsv(outText).rows, (x) => Number(x[2]))).toEqual(e.pushMany([...HEAD.values, ...TAIL.values], [...HEAD.times, ...TAIL.times]));
    // a fault names stdin's line
    const bad = spawnSync(process.execPath, [CLI, 'series', '-', ...SERIES], { cwd: dir, input: 'timestamp,value\n2024-03-01 00:05:00,1\n\n2024-03-01 00:00:00,2\n', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^autoencoder: stdin line 4: point 1 .*earlier than the point before it/);
  });

  it('a failed run names the line and leaves the state and the output as they were', () => {
    write('s-head.csv', HEAD.text);
    ok('series', 's-head.csv', ...SERIES, '--state', 's-f.state');
    const before = bytesOf('s-f.state');
    // the same points again: the first goes back in time
    expect(fails('series', 's-head.csv', ...SERIES, '--state', 's-f.state', '-o', 's-f.csv')).toMatch(/^autoencoder: s-head\.csv line 2: point 700 .*earlier than the point before it.*s-f\.state is left as it was/);
    expect(bytesOf('s-f.state')).toEqual(before);
    expect(existsSync(path('s-f.csv'))).toBe(false);
    // a time going back inside the file: its line (data row 300, after the header: line 302)
    const lines = TAIL.text.split('\n');
    [lines[300], lines[301]] = [lines[301]!, lines[300]!];
    write('s-swap.csv', lines.join('\n'));
    expect(fails('series', 's-swap.csv', ...SERIES, '--state', 's-f.state')).toMatch(/s-swap\.csv line 302: point 1000 \(times\[300\]/);
    expect(bytesOf('s-f.state')).toEqual(before);
    // ... in a later chunk, with blank lines before it (skipped, but counted as lines)
    const all = ALL.text.split('\n');
    [all[5001], all[5002]] = [all[5002]!, all[5001]!];
    all.splice(3, 0, '', '');
    write('s-swap2.csv', all.join('\n'));
    expect(fails('series', 's-swap2.csv', ...SERIES, '-o', 's-f.csv')).toMatch(/s-swap2\.csv line 5005: point 5001 \(times\[905\]/);
    expect(existsSync(path('s-f.csv'))).toBe(false);
    // timed state, untimed run
    expect(fails('series', 's-head.csv', '--value', 'value', '-q', '--state', 's-f.state')).toMatch(/was given timestamps so far/);
    // a damaged state is refused and kept
    const bad = before.slice(0, 100);
    writeFileSync(path('s-bad.state'), bad);
    expect(fails('series', 's-head.csv', ...SERIES, '--state', 's-bad.state')).toMatch(/s-bad\.state is not a detector state this version can continue: .*corrupted/);
    expect(bytesOf('s-bad.state')).toEqual(bad);
    // the CSV's own faults
    expect(fails('series', 's-head.csv', '--time', 'when', '--value', 'value')).toMatch(/has no column "when" \(its columns: timestamp, value\)/);
    write('s-text.csv', 'timestamp,value\n2024-03-01 00:00:00,1\n2024-03-01 00:05:00,high\n');
    expect(fails('series', 's-text.csv', ...SERIES)).toMatch(/line 3: value "high" is not a number/);
    write('s-date.csv', 'timestamp,value\n2024-03-01 00:00:00,1\nyesterday,2\n');
    expect(fails('series', 's-date.csv', ...SERIES)).toMatch(/line 3: time "yesterday" is not a date/);
    expect(leftovers()).toEqual([]);
  });
});

describe('autoencoder CLI: inputs kept, and files of the wrong kind (the probes of 2026-12-07)', () => {
  const S = ['--layers', '4,2', '--epochs', '3', '--seed', '3', '--quiet'];
  beforeAll(() => {
    write('k-data.csv', csvText(DATA, HEADER));
    ok('train', 'k-data.csv', ...S, '-o', 'k.ae');
    write('k-ts.csv', seriesCsv(300).text);
  });

  it('an output that is one of the inputs (the CSV, the model, the spec, the container, the state; by path, link or inode) is refused before any work, and the input is kept', () => {
    const csv = bytesOf('k-data.csv'), model = bytesOf('k.ae');
    const same = (flag: string, out: string, what: string) => new RegExp(`^autoencoder: ${flag} ${out.replace('.', '\\.')} is ${what}.*: writing there would replace it; give ${flag} another file$`);
    expect(fails('score', 'k.ae', 'k-data.csv', '-o', 'k-data.csv')).toMatch(same('-o', 'k-data.csv', 'the input CSV'));
    expect(fails('score', 'k.ae', 'k-data.csv', '-o', 'k.ae')).toMatch(same('-o', 'k.ae', 'the model file'));
    expect(fails('train', 'k-data.csv', ...S, '-o', 'k-data.csv')).toMatch(same('-o', 'k-data.csv', 'the training CSV'));
    writeJson('k-spec.json', { layers: [4, 2] });
    expect(fails('train', 'k-data.csv', '--spec', 'k-spec.json', '-o', 'k-spec.json')).toMatch(same('-o', 'k-spec.json', 'the --spec file'));
    for (const cmd of ['encode', 'reconstruct', 'explain']) expect(fails(cmd, 'k.ae', 'k-data.csv', '-o', `./k-data.csv`)).toMatch(/-o \.\/k-data\.csv is the input CSV \(k-data\.csv\)/);
    symlinkSync('k-data.csv', path('k-link.csv'));
    expect(fails('score', 'k.ae', 'k-data.csv', '-o', 'k-link.csv')).toMatch(/-o k-link\.csv is the input CSV \(k-data\.csv\)/);
    expect(fails('compress', 'k.ae', 'k-data.csv', '-o', 'k.ae')).toMatch(same('-o', 'k.ae', 'the model file'));
    ok('compress', 'k.ae', 'k-data.csv', '-q', '-o', 'k.aez');
    const aez = bytesOf('k.aez');
    expect(fails('decompress', 'k.ae', 'k.aez', '-o', 'k.aez')).toMatch(same('-o', 'k.aez', 'the container file'));
    // series: -o and --state the same path (neither there yet: the scores were lost to the state), --state the CSV
    expect(fails('series', 'k-ts.csv', '--value', 'value', '--state', 'k.state', '-o', 'k.state')).toMatch(same('-o', 'k.state', 'the --state file'));
    expect(existsSync(path('k.state'))).toBe(false);
    const ts = bytesOf('k-ts.csv');
    expect(fails('series', 'k-ts.csv', '--value', 'value', '--state', 'k-ts.csv')).toMatch(same('--state', 'k-ts.csv', 'the input CSV'));
    expect([bytesOf('k-data.csv'), bytesOf('k.ae'), bytesOf('k.aez'), bytesOf('k-ts.csv')]).toEqual([csv, model, aez, ts]);
    expect(leftovers()).toEqual([]);
  });

  it('a file given where the CSV goes that is not text (a model, a container, a state) is named as such; a state given a CSV is not a state (and is not to be deleted)', () => {
    const notText = (f: string) => new RegExp(`^autoencoder: ${f.replace('.', '\\.')} is not a CSV text file: it holds NUL bytes, as a model file \\(\\.ae\\)`);
    expect(fails('score', 'k.ae', 'k.ae')).toMatch(notText('k.ae'));
    expect(fails('train', 'k.aez', '-q')).toMatch(notText('k.aez'));
    expect(fails('series', 'k.ae', '--value', 'value')).toMatch(notText('k.ae'));
    const r = spawnSync(process.execPath, [CLI, 'encode', 'k.ae', '-'], { cwd: dir, input: readFileSync(path('k.ae')), encoding: 'utf8' });
    expect(r.stderr).toMatch(notText('stdin'));
    write('k-notstate.csv', 'value\n1\n2\n');
    const m = fails('series', 'k-ts.csv', '--value', 'value', '--state', 'k-notstate.csv');
    expect(m).toBe('autoencoder: k-notstate.csv is not a detector state (series writes one there, starting with AESD): give --state a file of its own, which the first run creates');
    expect(readFileSync(path('k-notstate.csv'), 'utf8')).toBe('value\n1\n2\n');
  });

  it('a CSV whose lines end in a CR alone trains on all its rows: the model of the LF file', async () => {
    write('k-cr.csv', csvText(DATA, HEADER).replace(/\n/g, '\r'));
    const r = ok('train', 'k-cr.csv', ...S, '-o', 'k-cr.ae');
    expect(r.stdout).toMatch(/on 200 rows x 6 columns of k-cr\.csv/);
    expect(await modelOnly('k-cr.ae')).toEqual(await modelOnly('k.ae'));
  });

  it('train reads a pipe given by its path (/dev/stdin, a named pipe) as it reads - (it reads its CSV twice)', async () => {
    // a shell's pipe (a FIFO), and spawnSync's input (a socket, which /dev/stdin cannot open by its path)
    const piped = spawnSync('sh', ['-c', `cat k-data.csv | "${process.execPath}" "${CLI}" train /dev/stdin ${S.join(' ')} -o k-pipe.ae`], { cwd: dir, encoding: 'utf8' });
    const socket = spawnSync(process.execPath, [CLI, 'train', '/dev/stdin', ...S, '-o', 'k-sock.ae'], { cwd: dir, input: csvText(DATA, HEADER), encoding: 'utf8' });
    for (const [r, f] of [[piped, 'k-pipe.ae'], [socket, 'k-sock.ae']] as const) {
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/on 200 rows x 6 columns of \/dev\/stdin/);
      expect(await modelOnly(f)).toEqual(await modelOnly('k.ae'));
    }
  });

  it("a headerless CSV with text ids scores every row (the model's id column is no evidence of a header); a header of numbers the model recorded is read as a header", () => {
    write('k-uid.csv', csvText(DATA.map((row, i) => [`u${i}`, ...row])));
    ok('train', 'k-uid.csv', ...S, '--id', '1', '-o', 'k-uid.ae');
    const sc = readCsv(ok('score', 'k-uid.ae', 'k-uid.csv').stdout);
    expect(sc.header).toEqual(['id', 'score', 'flag']);
    expect(sc.rows.map((r) => r[0])).toEqual(DATA.map((_, i) => `u${i}`));
    write('k-numhead.csv', csvText(DATA, '1,2,3,4,5,6'));
    ok('train', 'k-numhead.csv', ...S, '--header', '-o', 'k-numhead.ae');
    expect(readCsv(ok('score', 'k-numhead.ae', 'k-numhead.csv').stdout).rows).toHaveLength(DATA.length);
  });

  it('--format json and jsonl write a score or value past float32 as null (JSON has no Infinity or NaN)', () => {
    write('k-big.csv', csvText([DATA[0]!, [3e38, -3e38, 3e38, -3e38, 3e38, -3e38]], HEADER));
    const js = JSON.parse(ok('score', 'k.ae', 'k-big.csv', '-f', 'json').stdout) as { score: number | null; flag: number }[];
    expect(js[0]!.score).toBeTypeOf('number');
    expect(js[1]).toEqual({ score: null, flag: 1 });
    const z = jsonl(ok('encode', 'k.ae', 'k-big.csv', '-f', 'jsonl').stdout);
    expect(Object.values(z[1]!).some((v) => v === null)).toBe(true);
    expect(Object.values(z[0]!).every((v) => typeof v === 'number')).toBe(true);
  });

  it("score flags an ELBO only against a threshold of the same samples and seed: --samples or --seed of other draws write no flags", () => {
    ok('train', 'k-data.csv', ...S, '--variational', '--calibrate-by', 'elbo', '--calibrate-samples', '4', '-o', 'k-vae.ae');
    expect(readCsv(ok('score', 'k-vae.ae', 'k-data.csv').stdout).rows.some((r) => r[1] === '1')).toBe(true);
    expect(readCsv(ok('score', 'k-vae.ae', 'k-data.csv', '--samples', '4', '--seed', '0').stdout).rows.some((r) => r[1] === '1')).toBe(true);
    for (const other of [['--samples', '1'], ['--seed', '9'], ['--by', 'elbo', '--samples', '2']]) {
      expect(readCsv(ok('score', 'k-vae.ae', 'k-data.csv', ...other).stdout).rows.every((r) => r[1] === ''), other.join(' ')).toBe(true);
      expect(ok('score', 'k-vae.ae', 'k-data.csv', ...other, '-o', 'k-vs.csv').stderr).toMatch(/no flags: k-vae\.ae's threshold is on the VAE's negative ELBO \(nats, 4 samples, seed 0\), not on this score/);
    }
  });

  it('an ensemble from the spec file follows the --ensemble rules: no --validation-split or --patience, 50 epochs by default; "ensemble": false with --ensemble is a conflict', () => {
    writeJson('k-ens.json', { layers: [4, 2], ensemble: { members: 2, rows: 64 } });
    expect(fails('train', 'k-data.csv', '--spec', 'k-ens.json', '--validation-split', '0.3', '-q')).toBe('autoencoder: "ensemble" in k-ens.json trains each member on its own random rows for --epochs, without --validation-split: leave --validation-split out (or pass it 0)');
    expect(fails('train', 'k-data.csv', '--spec', 'k-ens.json', '--patience', '3', '-q')).toMatch(/without --patience/);
    expect(ok('train', 'k-data.csv', '--spec', 'k-ens.json', '-q', '-o', 'k-ens.ae').stdout).toMatch(/epochs\s+50 of 50 per member/);
    writeJson('k-noens.json', { ensemble: false });
    expect(fails('train', 'k-data.csv', '--spec', 'k-noens.json', '--ensemble', '-q')).toBe('autoencoder: --ensemble conflicts with "ensemble": false in k-noens.json: set it in one place');
  });

  it('compress and decompress: an output that cannot be written is refused before any work, a failed run leaves no temp file, and stale ones are cleaned', () => {
    expect(fails('compress', 'k.ae', 'k-data.csv', '-o', 'k-none/x.aez')).toMatch(/^autoencoder: cannot write k-none\/x\.aez: the directory .*k-none does not exist$/);
    expect(fails('decompress', 'k.ae', 'k.aez', '-o', '')).toBe('autoencoder: the path -o gives is empty: give -o a file name (or - for stdout)');
    expect(fails('series', 'k-ts.csv', '--value', 'value', '--state', '')).toBe('autoencoder: the path --state gives is empty: give --state a file name');
    write('k-empty.aez', '');
    write('k-keep.csv', 'kept\n');
    expect(fails('decompress', 'k.ae', 'k-empty.aez', '-o', 'k-keep.csv')).toMatch(/cannot decompress k-empty\.aez/);
    expect(fails('decompress', 'k.ae', 'k-data.csv', '-o', 'k-keep.csv')).toMatch(/cannot decompress k-data\.csv/);
    expect(readFileSync(path('k-keep.csv'), 'utf8')).toBe('kept\n');
    expect(leftovers()).toEqual([]);
    // nothing on stdout when the container is refused at once (the header came first before)
    expect(cli('decompress', 'k.ae', 'k-empty.aez').stdout).toBe('');
    write('k-c.aez.99999999.tmp', 'stale');
    ok('compress', 'k.ae', 'k-data.csv', '-q', '-o', 'k-c.aez');
    expect(leftovers()).toEqual([]);
  });

  it('messages name stdin, not -; a column twice is named as such; series reads decimal numbers only; a typo of a flag is one line', () => {
    write('k-swap.csv', csvText(DATA.map((r) => [r[1]!, r[0]!, ...r.slice(2)]), 'f1,f0,f2,f3,f4,f5'));
    const r = spawnSync(process.execPath, [CLI, 'score', 'k.ae', '-'], { cwd: dir, input: readFileSync(path('k-swap.csv')), encoding: 'utf8' });
    expect(r.stderr).toBe("autoencoder: stdin has the columns k.ae was trained on but in another order: k.ae expects f0, f1, f2, f3, f4, f5; stdin has f1, f0, f2, f3, f4, f5: reorder the columns of stdin\n");
    write('k-dup.csv', csvText(DATA.map((r) => [...r, r[0]!]), `${HEADER},f0`));
    expect(fails('score', 'k.ae', 'k-dup.csv')).toBe('autoencoder: k-dup.csv has the column f0 2 times (columns 1, 7): keep one, dropping the others by number with --exclude 7');
    ok('score', 'k.ae', 'k-dup.csv', '--exclude', '7');
    write('k-hex.csv', 'value\n1\n0x10\n2\n');
    expect(fails('series', 'k-hex.csv', '--value', 'value')).toBe('autoencoder: k-hex.csv line 3: value "0x10" is not a number');
    expect(fails('series', 'k-ts.csv', '--value', 'value', '--threshold', '0x1')).toMatch(/--threshold "0x1" is not a number in \[0, 1\]/);
    expect(fails('score', 'k.ae', 'k-data.csv', '--outptu', 'x')).toBe("autoencoder: unknown option '--outptu' (Did you mean --output?)");
    // no command at all: the help on stderr, and the exit code of a bad command line
    const none = cli();
    expect([none.code, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toMatch(/^Usage: autoencoder \[options\] \[command\]/);
    // flags that contradict each other, or a flag's value of the wrong form found by the CLI's own checks: 2, as
    // commander's usage errors; an error that needs the files' contents to be one (a model that is no VAE): 1
    for (const args of [
      ['train', 'k-data.csv', '--contamination', '0.05', '--no-calibrate'],
      ['train', 'k-data.csv', '--columns', 'f0', '--exclude', 'f1'],
      ['train', 'k-data.csv', '--ensemble', '--patience', '3'],
      ['train', 'k-data.csv', '--calibrate-samples', '3'],
      ['series', 'k-ts.csv', '--value', 'value', '--threshold', '2'],
      ['series', 'k-ts.csv', '--value', 'value', '--options', '[1]'],
    ]) {
      const r = cli(...args);
      expect([r.code, r.stderr.split('\n').length], `autoencoder ${args.join(' ')}: ${r.stderr}`).toEqual([2, 2]);
    }
    expect(cli('score', 'k.ae', 'k-data.csv', '--by', 'kl').code).toBe(1);
  });
});

describe('the README\'s CLI section', () => {
  it('lists every command\'s --help as the CLI prints it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /```text\n(\$ autoencoder --help\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README.md: the ```text block of --help outputs').toBeDefined();
    const shown = new Map(block!.split(/^(?=\$ autoencoder )/m).map((part) => {
      const [cmd, ...out] = part.trimEnd().split('\n');
      return [cmd!.replace(/^\$ autoencoder /, '').replace(/ ?--help$/, ''), out.join('\n')] as const;
    }));
    const listed = /Commands:\n([\s\S]*?)\n\n/.exec(ok('--help').stdout)![1]!.split('\n').map((l) => l.trim().split(' ')[0]!).filter((c) => c !== 'help');
    expect([...shown.keys()]).toEqual(['', ...listed]);
    for (const [cmd, out] of shown) expect(out, `autoencoder ${cmd} --help`).toBe(ok(...(cmd ? [cmd] : []), '--help').stdout.trimEnd());
  });
});

describe('found by the second probe of the CLI (session 81)', () => {
  it('train refuses a column name twice (its model could not score the CSV) and a name that is ambiguous; --id naming a model column says so', () => {
    write('p-dup.csv', csvText(DATA.map((r) => [r[0]!, ...r]), `f0,${HEADER}`));
    const twice = 'autoencoder: p-dup.csv has the column f0 2 times (columns 1, 2): a model records its columns by name, and could not tell them apart when it scores; rename all but one (or drop them all)';
    expect(fails('train', 'p-dup.csv', ...TRAIN, '-o', 'p-dup.ae')).toBe(twice);
    expect(fails('train', 'p-dup.csv', ...TRAIN, '-x', '2', '-o', 'p-dup.ae')).toBe(twice);
    expect(fails('train', 'p-dup.csv', ...TRAIN, '-x', 'f0', '-o', 'p-dup.ae')).toBe('autoencoder: --exclude: p-dup.csv has the column f0 2 times (columns 1, 2), so the name is ambiguous: give column numbers');
    expect(existsSync(path('p-dup.ae'))).toBe(false);
    // both dropped: the model scores the file (it drops every column of an excluded name)
    ok('train', 'p-dup.csv', ...TRAIN, '-x', '1,2', '-o', 'p-dup.ae');
    ok('score', 'p-dup.ae', 'p-dup.csv');
    write('p-data.csv', csvText(DATA, HEADER));
    ok('train', 'p-data.csv', ...TRAIN, '-o', 'p.ae');
    expect(fails('score', 'p.ae', 'p-data.csv', '--id', 'f1')).toMatch(/: f1 is a column p\.ae was trained on, not an id: name another --id, or leave it out$/);
  });

  it('a flag equal to the --spec file\'s value is taken; --ensemble with a family flag, --calibrate-by without a VAE exit 2', () => {
    write('p-data.csv', csvText(DATA, HEADER));
    write('p-spec.json', JSON.stringify({ layers: [4, 2], seed: 3, variational: { beta: 2 } }));
    ok('train', 'p-data.csv', '--spec', 'p-spec.json', '--seed', '3', '--layers', '4,2', '--beta', '2', '--variational', '--epochs', '2', '-q', '-o', 'p-eq.ae');
    expect(fails('train', 'p-data.csv', '--spec', 'p-spec.json', '--seed', '4', '-o', 'p-ne.ae')).toMatch(/--seed conflicts with "seed": 3 in p-spec\.json/);
    expect(fails('train', 'p-data.csv', '--spec', 'p-spec.json', '--beta', '1', '-o', 'p-ne.ae')).toMatch(/--beta conflicts with "variational"/);
    for (const args of [['--ensemble', '--variational'], ['--ensemble', '--sparsity-l1', '0.1'], ['--calibrate-by', 'kl']]) {
      const r = cli('train', 'p-data.csv', ...args, '-o', 'p-x.ae');
      expect([r.code, r.stderr.split('\n').length], `train ${args.join(' ')}: ${r.stderr}`).toEqual([2, 2]);
    }
    expect(cli('train', 'p-data.csv', '--ensemble', '--variational').stderr).toBe('autoencoder: --ensemble builds an ensemble of plain autoencoders, which takes no --variational: leave one of them out\n');
  });
});
