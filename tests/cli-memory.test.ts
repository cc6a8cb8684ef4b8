// cli-memory.test.ts: the CLI streams large CSVs. Peak RSS (VmHWM, printed by the CLI at exit with
// AUTOENCODER_REPORT_PEAK=1) of train, score and encode on a 201k x 30 CSV (~50 MB of text, 24 MB as
// float32) minus the same command on a tiny CSV (an idle process with a model loaded) must stay under
// 3x the float32 data. Linux only (/proc).

import { spawnSync, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/tools/cli.js');
const ROWS = 201_000, COLS = 30;
const DATA_MB = (ROWS * COLS * 4) / 1e6;
const linux = process.platform === 'linux';

let dir = '';

/** Writes a seeded CSV: a header, then `rows` rows of COLS correlated columns (3 factors + noise). */
function writeCsv(file: string, rows: number, seed: number): void {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const fd = openSync(file, 'w');
  writeSync(fd, `${Array.from({ length: COLS }, (_, j) => `c${j}`).join(',')}\n`);
  for (let i = 0; i < rows; i += 1000) {
    let text = '';
    for (let r = i; r < Math.min(rows, i + 1000); r++) {
      const a = rnd(), b = rnd(), c = rnd();
      const row: string[] = [];
      for (let j = 0; j < COLS; j++) row.push((a * Math.sin(j) + b * Math.cos(j) + c * (j % 3) + 0.1 * rnd()).toFixed(5));
      text += `${row.join(',')}\n`;
    }
    writeSync(fd, text);
  }
  closeSync(fd);
}

/** Runs the CLI and returns its peak RSS in MB. */
function peak(...args: string[]): number {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, AUTOENCODER_REPORT_PEAK: '1' },
  });
  expect(r.status, `autoencoder ${args.join(' ')}: ${r.stderr}`).toBe(0);
  const m = /peak RSS: (\d+) kB/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return Number(m![1]) / 1024;
}

describe.skipIf(!linux)('autoencoder CLI memory on a 201k x 30 CSV', () => {
  beforeAll(() => {
    if (!existsSync(CLI) || statSync(CLI).mtimeMs < statSync(join(ROOT, 'tools/cli.ts')).mtimeMs || statSync(CLI).mtimeMs < statSync(join(ROOT, 'tools/csv.ts')).mtimeMs) {
      execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
    }
    dir = mkdtempSync(join(tmpdir(), 'autoencoder-cli-mem-'));
    writeCsv(join(dir, 'big.csv'), ROWS, 11);
    writeCsv(join(dir, 'tiny.csv'), 50, 12);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const check = (what: string, tiny: number, big: number) => {
    const growth = big - tiny, ratio = (growth * 1.048576) / DATA_MB;
    console.log(`${what}: peak RSS growth ${(growth * 1.048576).toFixed(1)} MB = ${ratio.toFixed(2)}x the float32 data (${DATA_MB.toFixed(1)} MB) [tiny ${tiny.toFixed(1)} MiB, big ${big.toFixed(1)} MiB]`);
    expect(ratio).toBeLessThan(3);
  };

  it('train, score and encode stay under 3x the float32 data over an idle process', () => {
    const train = ['--epochs', '1', '--layers', '8,4', '-q'];
    const tinyTrain = peak('train', 'tiny.csv', ...train, '-o', 'tiny.ae');
    const bigTrain = peak('train', 'big.csv', ...train, '-o', 'big.ae');
    check('train', tinyTrain, bigTrain);
    for (const cmd of ['score', 'encode']) {
      const tiny = peak(cmd, 'big.ae', 'tiny.csv', '-q', '-o', `tiny.${cmd}.csv`);
      const big = peak(cmd, 'big.ae', 'big.csv', '-q', '-o', `big.${cmd}.csv`);
      check(cmd, tiny, big);
      expect(statSync(join(dir, `big.${cmd}.csv`)).size).toBeGreaterThan(ROWS * 2);
    }
  }, 600_000);
});

if (!linux) {
  describe('autoencoder CLI memory', () => {
    it.skip(`skipped: peak RSS is read from /proc (Linux only), this is ${process.platform}`, () => {});
  });
}
