// tools.test.ts: light checks that the W4 scripts run (npm run size, npm run coldstart), as child
// processes on the built dist/: their JSON output is well formed and the sizes add up. The figures
// themselves are for the scripts to print, not for a test to judge (they depend on the machine).
// TF.js is skipped (it installs from npm); workerd only runs when .runtimes/ already holds it.

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
  it('bundles both entries and reports sizes within the budget', () => {
    const s = run('tools/size.mjs', ['--json']);
    expect(s.wasm.raw).toBe(statSync(join(ROOT, 'dist/build/kernels.wasm')).size);
    expect(s.wasm.gzip).toBeLessThan(s.wasm.raw);
    // the browser bundle inlines the kernels as base64 of their gzip bytes: 4/3 of those, plus the JS
    expect(s.browser.wasm.raw).toBe(0);
    expect(s.browser.raw).toBeGreaterThan(s.wasm.gzip * 4 / 3);
    // the Worker ships kernels.wasm beside the bundle, byte for byte
    expect(s.workerd.wasm).toEqual(s.wasm);
    expect(s.workerd.gzip).toBe(s.workerd.js.gzip + s.wasm.gzip);
    expect(Math.max(s.browser.gzip, s.workerd.gzip)).toBeLessThanOrEqual(s.budget);
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
