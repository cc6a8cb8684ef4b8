// tools.test.ts: light checks that the W4 scripts (npm run size, npm run coldstart, coldstart-phases.mjs) and
// tools/bench/ensemble.mjs run, as child processes on the built dist/: their JSON output is well formed and the
// sizes add up. The timings are for the scripts to print, not for a test to judge (they depend on the machine);
// the sizes the README states are checked against the build's.
// TF.js is skipped (it installs from npm); workerd only runs when .runtimes/ already holds it.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const built = existsSync(join(ROOT, 'dist/bindings/node.js')) && existsSync(join(ROOT, 'dist/build/kernels.wasm'));
const env = { ...process.env };
delete env.NODE_OPTIONS;

function run(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.skipIf(!built)('tools/size.mjs', () => {
  // one run of the script (it bundles six times) for both tests
  let sizes: any;
  const measured = () => (sizes ??= run('tools/size.mjs', ['--json']));
  it("bundles both entries of 'autoencoder/score' (the budget) and of 'autoencoder', and reports sizes", () => {
    const s = measured();
    for (const [r, f] of [[s, 'kernels-score.wasm'], [s.main, 'kernels.wasm']] as const) {
      expect(r.wasm.raw).toBe(statSync(join(ROOT, `dist/build/${f}`)).size);
      expect(r.wasm.gzip).toBeLessThan(r.wasm.raw);
      // the browser bundle inlines the kernels as base64 of their deflate bytes: 4/3 of those, plus the JS
      expect(r.browser.wasm.raw).toBe(0);
      expect(r.browser.raw).toBeGreaterThan(r.wasm.gzip * 4 / 3);
      // the Worker ships the module beside the bundle, byte for byte
      expect(r.workerd.wasm).toEqual(r.wasm);
      expect(r.workerd.gzip).toBe(r.workerd.js.gzip + r.wasm.gzip);
    }
    // the scoring module is what makes the scoring entry smaller
    expect(s.wasm.gzip).toBeLessThan(s.main.wasm.gzip * 0.545);   // (47.6% before the sub-pixel transposed conv, forward code both carry; about 50.4% since, 53% since the density term's k-d index)
    expect(Math.max(s.browser.gzip, s.workerd.gzip)).toBeLessThan(Math.min(s.main.browser.gzip, s.main.workerd.gzip));
    expect(Math.max(s.browser.gzip, s.workerd.gzip)).toBeLessThanOrEqual(s.budget);
  });

  it("the README's size figures are this build's (the headline, Small, the Bundle size table, the scoring and threaded modules)", () => {
    // each figure in KB (1000 bytes) as the README rounds it: within 0.1 KB of the build's, 1 KB for whole ones
    const s = measured();
    const mt = readFileSync(join(ROOT, 'dist/build/kernels-mt.wasm'));
    const claims: [RegExp, number[]][] = [
      [/one (\d+) KB wasm module \((\d+) KB gzipped\)/, [s.main.wasm.raw, s.main.wasm.gzip]],
      [/`kernels\.wasm` is ([\d.]+) KB \(([\d.]+) KB gzip -9\)/, [s.main.wasm.raw, s.main.wasm.gzip]],
      [/is ([\d.]+) KB gzipped for the browser, or ([\d.]+) KB for a Worker/, [s.browser.gzip, s.workerd.gzip]],
      [/\| `AutoencoderLite` from `'autoencoder\/score'` \(the budget: 40 KB\) \| \*\*([\d.]+) KB\*\* \| \*\*([\d.]+) KB\*\* \|/, [s.browser.gzip, s.workerd.gzip]],
      [/\| `AutoencoderLite` from `'autoencoder'` \| ([\d.]+) KB \| ([\d.]+) KB \|/, [s.main.browser.gzip, s.main.workerd.gzip]],
      [/\| `Autoencoder` \| ([\d.]+) KB \| ([\d.]+) KB \|/, [s.full.browser.gzip, s.full.workerd.gzip]],
      [/streaming detector: ([\d.]+) KB, \*\*([\d.]+) KB gzipped\*\* against\n([\d.]+) KB for `kernels\.wasm`/, [s.wasm.raw, s.wasm.gzip, s.main.wasm.gzip]],
      [/file for both classes \(([\d.]+) KB gzipped/, [s.main.wasm.gzip]],
      [/imported shared memory: ([\d.]+) KB, ([\d.]+) KB gzipped in `dist\/`/, [mt.length, gzipSync(mt, { level: 9 }).length]],
    ];
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const wrong: string[] = [];
    for (const [re, bytes] of claims) {
      const m = re.exec(readme);
      if (!m) { wrong.push(`no match for ${re}`); continue; }
      bytes.forEach((b, i) => {
        const said = m[i + 1]!;
        if (Math.abs(Number(said) - b / 1000) > (said.includes('.') ? 0.1 : 1)) wrong.push(`"${m[0]}": ${said} KB where the build has ${(b / 1000).toFixed(1)} KB`);
      });
    }
    expect(wrong).toEqual([]);
  });
});

describe.skipIf(!built)('tools/coldstart.mjs', () => {
  it('times fresh node processes that load the model and score a row', () => {
    const withWorkerd = existsSync(join(ROOT, '.runtimes/node_modules/workerd/package.json'));
    const r = run('tools/coldstart.mjs', ['--launches', '1', '--skip', withWorkerd ? 'tfjs' : 'tfjs,workerd', '--json']);
    const names = r.rows.map((row: { runtime: string }) => row.runtime).join('\n');
    expect(names).toMatch(/empty process/);
    expect(names).toMatch(/node .*, autoencoder/);
    if (withWorkerd) expect(names).toMatch(/autoencoder Worker/);
    for (const row of r.rows) expect(row.median).toBeGreaterThan(0);
    expect(r.unavailable.tfjs).toMatch(/skipped/);
  });
});

describe.skipIf(!built)('tools/bench/coldstart-phases.mjs', () => {
  it("times the W4 child's steps in fresh processes, each child's score checked against the parent's", () => {
    // (the script rejects a child whose score differs from the one computed in its own process)
    const r = run('tools/bench/coldstart-phases.mjs', ['--launches', '1', '--json']);
    expect(r.phases).toEqual(['first import', 'package', 'load', 'score']);
    expect(r.rows.map((row: { variant: string }) => row.variant)).toEqual(['default']);
    const [row] = r.rows;
    for (const m of row.ms) expect(m).toBeGreaterThan(0);
    // load() reads 1.7 MB of floats into a new wasm memory: its pages are fresh
    expect(row.faults[2]).toBeGreaterThan(0);
    expect(row.totalFaults).toBe(row.faults.reduce((a: number, b: number) => a + b, 0));
    expect(row.usPerFault).toBeGreaterThan(0);
  });
});

describe.skipIf(!built)('tools/bench/ensemble.mjs', () => {
  it('fits and scores the default model on 1 and 2 threads and on a second build, all with the same score bits', () => {
    // (--old the same dist/: the script itself compares every side's score() bits with this build's on 1 thread)
    const r = run('tools/bench/ensemble.mjs', ['--quick', '--json', '--old', join(ROOT, 'dist')]);
    expect(r.sides.map((s: { threads: number }) => s.threads)).toEqual([1, 2, 1]);
    for (const s of r.sides) {
      expect(s.sameBits).toBe(true);
      for (const k of ['fitMs', 'scoreAllMs', 'score256Ms', 'score1Us']) expect(s[k]).toBeGreaterThan(0);
    }
    // 16 members and the density block (600 rows: 480 kept codes at most) make a file of more than 100 KB
    expect(r.fileBytes).toBeGreaterThan(100_000);
  });
});
