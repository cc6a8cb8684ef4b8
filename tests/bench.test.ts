// bench.test.ts: the benchmark harness (npm run bench = tools/bench/run.mjs) works: a --quick run
// of W1 and W5 for this package alone (no peers, so nothing installs from npm) exits 0, prints the
// table, and writes raw JSON whose outputs are right: the shared models' reference outputs are
// reproduced (the ✓ marks), the peak kernel's loop value matches its float32 recurrence, and the
// GEMM has the scalar kernel's bits. No timing is asserted (figures depend on the machine).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveShared } from './data.js';

const ROOT = new URL('..', import.meta.url).pathname;
const built = existsSync(join(ROOT, 'dist/bindings/node.js')) && existsSync(join(ROOT, 'dist/build/kernels.wasm'));
const shared = haveShared('tests/bench.test.ts, the benchmark harness', 'bench/workloads.json');
const env = { ...process.env };
delete env.NODE_OPTIONS;

interface Run { ok: boolean; error?: string; result: Record<string, any> }

describe.skipIf(!built || !shared)('tools/bench/run.mjs --quick', () => {
  it('runs S1 (SeriesDetector push/pushMany, a request) and splits the points that trained from the rest', () => {
    const out = mkdtempSync(join(tmpdir(), 'autoencoder-bench-test-'));
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'tools/bench/run.mjs'), '--quick', '--only', 'S1', '--runtimes', 'ours', '--out', out],
        { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/S1 SeriesDetector push\(\) between retrains \(median\)/);
      const j = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!), 'utf8'));
      const s1 = (j.runs as Record<string, Run>)['S1/series/ours']!;
      expect(s1.ok, s1.error).toBe(true);
      // --quick: 1200 five-minute points of each of 2 series. By hand from the options: the context
      // spans a day, 288 points, in 64 bins of round(4.5) = 5 points, so scoring starts at point 320;
      // trainings at points 127 (warm-up), 223 (96 later), 319 (context full), then every 96:
      // 415, 511, 607, 703, 799, 895, 991, 1087, 1183 (9 among the scored points)
      expect(s1.result.series.map((x: { points: number }) => x.points)).toEqual([1200, 1200]);
      expect(s1.result.trainings.calls).toBe(2 * 9);
      expect(s1.result.push.calls).toBe(2 * (1200 - 320) - 18);
      expect(s1.result.pushMany.points_per_s).toBeGreaterThan(0);
      // a Worker's request (load, one point, save, dispose), 20 times in turn with --quick
      expect(r.stdout).toMatch(/S1 SeriesDetector request: load\(\), push\(\) a point, save\(\), dispose\(\) \(median\)/);
      expect(s1.result.request.calls).toBe(20);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);

  it('runs W1 and W5 for ours and writes correct raw results', () => {
    const out = mkdtempSync(join(tmpdir(), 'autoencoder-bench-test-'));
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'tools/bench/run.mjs'), '--quick', '--only', 'W1,W5', '--runtimes', 'ours', '--out', out],
        { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/W1 dense784 batch-1 latency/);
      expect(r.stdout).toMatch(/W5 GEMM 256x256x256/);
      expect(r.stdout).toMatch(/versions: node /);
      const files = readdirSync(out).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      const j = JSON.parse(readFileSync(join(out, files[0]!), 'utf8'));
      const runs = j.runs as Record<string, Run>;
      expect(Object.keys(runs).sort()).toEqual(['W1/dense784/ours', 'W1/tab30/ours', 'W5/peak+gemm/ours']);
      for (const [key, run] of Object.entries(runs)) {
        expect(run.ok, `${key}: ${run.error}`).toBe(true);
        expect(run.result.reference.ok, key).toBe(true);
      }
      for (const m of ['dense784', 'tab30']) {
        const w1 = runs[`W1/${m}/ours`]!.result;
        expect(w1.reference.maxDiff).toBeLessThanOrEqual(1e-4);
        expect(w1.batch1.calls).toBeGreaterThan(0);
        expect(w1.batch256.rows_per_s).toBeGreaterThan(0);
        expect(w1.memory.wasm_bytes).toBeGreaterThan(0);
      }
      const w5 = runs['W5/peak+gemm/ours']!.result;
      expect(w5.peak.rows.map((x: { accumulators: number }) => x.accumulators)).toEqual(j.workloads.W5.peak.accumulators);
      for (const row of w5.peak.rows) expect(row.value).toBe(row.expected);
      expect(w5.paired.rounds).toHaveLength(j.workloads.W5.peak.calls);
      expect(w5.paired.ratio_median).toBeGreaterThan(0);
      const gemm = w5.gemm;
      expect([gemm.m, gemm.n, gemm.k]).toEqual([256, 256, 256]);
      expect(gemm.same_bits_as_scalar).toBe(true);
      expect(gemm.max_rel_err_vs_f64).toBeLessThan(1e-5);
      // the table's target rows are judged (PASS or FAIL, whichever the machine gives)
      const targets = j.targets as { row: string; verdict: string }[];
      for (const re of [/GEMM/, /tab30 batch-1 latency/]) expect(targets.find((t) => re.test(t.row))?.verdict).toMatch(/^(PASS|FAIL|n\/a)$/);
      // no peers ran: their columns say so instead of a figure
      expect(j.table.every((row: Record<string, string>) => row.ort === 'not run' || row.ort === '—')).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
