// cli-codec.test.ts: `autoencoder compress` / `decompress` run as users run them (node dist/tools/cli.js
// in a temp directory), checked against the API in this process: the file holds the frames
// compress() makes of each block of rows, the CSV holds decompress()'s floats, the summary's RMSE
// and PSNR are recomputed here from those floats.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { Autoencoder } from 'autoencoder';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/tools/cli.js');
const VOWELS = join(ROOT, 'tests/fixtures/vowels.csv');
let dir = '';

beforeAll(() => {
  const src = ['tools/cli.ts', 'tools/cli-codec.ts', 'bindings/codec.ts', 'assembly/codec.ts'].map((f) => statSync(join(ROOT, f)).mtimeMs);
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < Math.max(...src)) execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'autoencoder-cli-codec-'));
}, 120_000);

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function vowels(): Float32Array {
  const rows = parse(readFileSync(VOWELS, 'utf8'), { from_line: 2, skip_empty_lines: true }) as string[][];
  return Float32Array.from(rows.flatMap((r) => r.slice(0, 12).map(Number)));
}

describe('autoencoder compress / decompress', () => {
  it('train --rate: the spec keeps the rate; compress without --bits rounds its code to integers (the frames compress() without bits makes), --bits 4 quantises ranges', async () => {
    expect(cli('train', VOWELS, '-x', 'label', '--layers', '8,4', '--normalize', 'standard', '--rate', '0.2', '--epochs', '10', '-q', '-o', 'r.ae').code).toBe(0);
    const info = cli('info', 'r.ae', '--json');
    expect(JSON.parse(info.stdout).spec.rate).toBe(0.2);
    const ae = await Autoencoder.load(new Uint8Array(readFileSync(join(dir, 'r.ae'))));
    const x = vowels(), D = 12, rows = x.length / D;
    const c = cli('compress', 'r.ae', VOWELS, '-x', 'label', '-o', 'r.aez', '--rows-per-frame', '1000', '-q');
    expect(c.code, c.stderr).toBe(0);
    const file = new Uint8Array(readFileSync(join(dir, 'r.aez')));
    const frames = [0, 1000].map((r) => ae.compress(x.subarray(r * D, Math.min(rows, r + 1000) * D)));
    expect(file).toEqual(Uint8Array.from(frames.flatMap((f) => [...f])));
    // the first frame's steps (after the 32-byte header and 4 offsets) are all 1
    expect(Array.from(new Float32Array(file.slice(32 + 16, 32 + 32).buffer))).toEqual([1, 1, 1, 1]);
    expect(cli('compress', 'r.ae', VOWELS, '-x', 'label', '-o', 'r4.aez', '--bits', '4', '-q').code).toBe(0);
    expect(readFileSync(join(dir, 'r4.aez'))[5]).toBe(4);
    ae.dispose();
  });

  it('round trip: frames equal compress() per block, CSV equals decompress(), summary numbers recomputed', async () => {
    expect(cli('train', VOWELS, '-x', 'label', '--epochs', '10', '-q', '-o', 'm.ae').code).toBe(0);
    const c = cli('compress', 'm.ae', VOWELS, '-x', 'label', '-o', 'v.aez', '--bits', '5', '--rows-per-frame', '600', '--peak', '10');
    expect(c.code, c.stderr).toBe(0);
    const ae = await Autoencoder.load(new Uint8Array(readFileSync(join(dir, 'm.ae'))));
    const x = vowels(), D = 12, rows = x.length / D;
    const file = new Uint8Array(readFileSync(join(dir, 'v.aez')));
    const frames = [0, 600, 1200].map((r) => ae.compress(x.subarray(r * D, Math.min(rows, r + 600) * D), { bits: 5 }));
    expect(file).toEqual(Uint8Array.from(frames.flatMap((f) => [...f])));
    const y = ae.decompress(file);
    let sq = 0;
    for (let i = 0; i < x.length; i++) sq += (y[i]! - x[i]!) ** 2;
    const rmse = Math.sqrt(sq / x.length);
    const m = /compressed (\d+) rows: (\d+) bytes in \(float32\), (\d+) bytes out, ratio ([\d.]+)x, RMSE ([\d.e-]+), PSNR ([\d.-]+) dB -> v.aez/.exec(c.stderr);
    expect(m, c.stderr).not.toBeNull();
    expect(Number(m![1])).toBe(rows);
    expect(Number(m![2])).toBe(x.length * 4);
    expect(Number(m![3])).toBe(file.length);
    expect(Number(m![5])).toBeCloseTo(rmse, 5);
    expect(Number(m![6])).toBeCloseTo(20 * Math.log10(10 / rmse), 1);

    const d = cli('decompress', 'm.ae', 'v.aez', '-o', 'out.csv');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toMatch(new RegExp(`decompressed ${rows} rows: ${file.length} bytes in, \\d+ bytes out \\(CSV\\)`));
    const lines = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    // the header: the training CSV's column names, which the model file records
    expect(lines[0]).toBe(readFileSync(VOWELS, 'utf8').split('\n')[0]!.replace(/,label$/, ''));
    const back = Float32Array.from(lines.slice(1).flatMap((l) => l.split(',').map(Number)));
    expect(back).toEqual(y);
  });

  it('another model, a truncated file: one-line errors, no output file left behind', () => {
    expect(cli('train', VOWELS, '-x', 'label', '--epochs', '1', '--seed', '9', '-q', '-o', 'other.ae').code).toBe(0);
    const r = cli('decompress', 'other.ae', 'v.aez', '-o', 'bad.csv');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot decompress v.aez: frame 1 of the stream was written by another model \(content hash [0-9a-f]{16}\); this model's hash is [0-9a-f]{16}/);
    expect(existsSync(join(dir, 'bad.csv'))).toBe(false);
    const bytes = readFileSync(join(dir, 'v.aez'));
    execFileSync('sh', ['-c', `head -c ${bytes.length - 10} v.aez > cut.aez`], { cwd: dir });
    const t = cli('decompress', 'm.ae', 'cut.aez', '-o', 'cut.csv');
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/cannot decompress cut.aez: the stream ends inside frame 3/);
    expect(existsSync(join(dir, 'cut.csv'))).toBe(false);
  });
});
