// package.test.ts: the package as a user gets it. From a copy of this repository with no dist/ and no
// build/ (a clean checkout; node_modules linked in), `npm pack` must build through "prepack" (no AS112
// warning in that build) and ship the entries package.json names and no sources. The tarball is then
// installed offline (an unreachable registry: it has no dependencies, so nothing may be fetched) into an
// empty project, where a script imports 'autoencoder' and 'autoencoder/core' and runs
// create/fit/score/save/load; its scores must be the bits this repository's own bindings compute for the
// same seeds (the oracle, computed here in-process), and both specifiers must give one copy of the
// classes (with 'autoencoder/score' too, in Node, Deno and Bun, each by its own export conditions). The
// `autoencoder` bin runs through npx. A Node bundle made with esbuild from the installed package finds
// kernels.wasm copied next to it, as the README says, and without it throws an AutoencoderError naming
// both places it looked. A TypeScript consumer type-checks against the shipped .d.ts files. Skipped,
// saying so, when npm is not on PATH.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, randomMatrix } from 'autoencoder';

const ROOT = new URL('..', import.meta.url).pathname;
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; main: string; types: string; bin: Record<string, string>; exports: Record<string, string | Record<string, string>>;
};
// the children get no npm_* settings of an outer `npm test` and no loader hooks (tsx, vitest)
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS'));
const npmVersion = spawnSync('npm', ['--version'], { env, encoding: 'utf8' });
const HAVE_NPM = npmVersion.status === 0;
if (!HAVE_NPM) console.warn(`[skip] tests/package.test.ts: npm is not on PATH (${npmVersion.error?.message ?? npmVersion.stderr}); the packed package is not checked`);

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 600_000 });
  if (r.error) throw r.error;
  return r;
}
function ok(cmd: string, args: string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// What the consumer script computes; the same calls run in-process below against this repository.
const SPEC = { inputDim: 8, layers: [4], seed: 3 } as const;
const FIT = { epochs: 5 } as const;
const DATA = { rows: 64, cols: 8, seed: 7 } as const;
const CONSUMER = `
import { Autoencoder, AutoencoderError, randomMatrix } from 'autoencoder';
import * as core from 'autoencoder/core';
const x = await randomMatrix(${DATA.rows}, ${DATA.cols}, { seed: ${DATA.seed} });
const ae = await Autoencoder.create(${JSON.stringify(SPEC)});
await ae.fit(x, ${JSON.stringify(FIT)});
const scores = ae.score(x);
const back = await core.Autoencoder.load(ae.save());
const errors = [];
for (const [make, Err] of [[core.Autoencoder, AutoencoderError], [Autoencoder, core.AutoencoderError]]) {
  try { await make.create({ inputDim: 0 }); errors.push('no error'); } catch (e) { errors.push({ instance: e instanceof Err, name: e.name, message: e.message }); }
}
console.log(JSON.stringify({
  sameClass: Autoencoder === core.Autoencoder, sameError: AutoencoderError === core.AutoencoderError,
  scores: Array.from(scores), loaded: Array.from(back.score(x)), errors,
}));
`;
// A scoring script on 'autoencoder/score' (AutoencoderLite on kernels-score.wasm): the same bits.
const CONSUMER_SCORE = `
import { Autoencoder, randomMatrix } from 'autoencoder';
import * as score from 'autoencoder/score';
import * as core from 'autoencoder/core';
const x = await randomMatrix(${DATA.rows}, ${DATA.cols}, { seed: ${DATA.seed} });
const ae = await Autoencoder.create(${JSON.stringify(SPEC)});
await ae.fit(x, ${JSON.stringify(FIT)});
const lite = await score.AutoencoderLite.load(ae.save());
console.log(JSON.stringify({ scores: Array.from(lite.score(x)), names: Object.keys(score).sort(), sameClass: score.AutoencoderLite === core.AutoencoderLite }));
`;
// A TypeScript user: typed imports from the specifiers; @ts-expect-error fails if the types were any.
const CONSUMER_TS = `
import { Autoencoder, AutoencoderError, type History, type ModelSpec } from 'autoencoder';
import * as core from 'autoencoder/core';
import { AutoencoderLite as ScoreLite, type ScoreOptions } from 'autoencoder/score';
export async function main(x: Float32Array): Promise<number> {
  const ae: core.Autoencoder = await Autoencoder.create({ inputDim: 8 });
  const lite: core.AutoencoderLite = await ScoreLite.load(ae.save());
  const o: ScoreOptions = { by: 'reconstruction' };
  // @ts-expect-error: the scoring class has no fit()
  await lite.fit(x);
  const h: History = await ae.fit(x, { epochs: 2 });
  const spec: ModelSpec = ae.spec;
  const err: core.AutoencoderError = new AutoencoderError('x');
  // @ts-expect-error: inputDim is a number
  await Autoencoder.create({ inputDim: '8' });
  return h.epochs + spec.inputDim + err.message.length + ae.score(x).length + lite.score(x, o).length;
}
`;

// One copy of the classes whichever specifier a runtime resolves, and the same scores through each.
const CONSUMER_IDENTITY = `
import * as main from 'autoencoder';
import * as core from 'autoencoder/core';
import * as score from 'autoencoder/score';
const x = await main.randomMatrix(${DATA.rows}, ${DATA.cols}, { seed: ${DATA.seed} });
const ae = await main.Autoencoder.create(${JSON.stringify(SPEC)});
const bytes = ae.save();
const viaCore = await core.Autoencoder.load(bytes);
const viaScore = await score.AutoencoderLite.load(bytes);
console.log(JSON.stringify({
  same: [main.Autoencoder === core.Autoencoder, main.AutoencoderError === core.AutoencoderError, main.AutoencoderLite === score.AutoencoderLite, core.AutoencoderError === score.AutoencoderError],
  scores: [ae.score(x), viaCore.score(x), viaScore.score(x)].map((s) => Array.from(s)),
}));
`;

// CommonJS (Node 22.12+ and 24 load an ES module through require() when it has no top-level await): the
// same three specifiers through require(), and their classes the ones import() gives
const CONSUMER_CJS = `
const main = require('autoencoder');
const core = require('autoencoder/core');
const score = require('autoencoder/score');
(async () => {
  const esm = await import('autoencoder');
  const x = await main.randomMatrix(${DATA.rows}, ${DATA.cols}, { seed: ${DATA.seed} });
  const ae = await main.Autoencoder.create(${JSON.stringify(SPEC)});
  const viaScore = await score.AutoencoderLite.load(ae.save());
  console.log(JSON.stringify({
    same: [main.Autoencoder === esm.Autoencoder, main.Autoencoder === core.Autoencoder, main.AutoencoderLite === score.AutoencoderLite, main.AutoencoderError === score.AutoencoderError],
    scores: [ae.score(x), viaScore.score(x)].map((s) => Array.from(s)),
  }));
})();
`;

// a CommonJS TypeScript consumer (.cts under nodenext: its imports compile to require(), which TypeScript 5.8+
// allows of an ES module there); run from the emitted .cjs in Node 22, 24 and 26
const CONSUMER_CTS = `
import { Autoencoder, randomMatrix } from 'autoencoder';
import { AutoencoderLite } from 'autoencoder/score';
async function main(): Promise<void> {
  const x = await randomMatrix(${DATA.rows}, ${DATA.cols}, { seed: ${DATA.seed} });
  const ae = await Autoencoder.create(${JSON.stringify(SPEC)});
  const lite: AutoencoderLite = await AutoencoderLite.load(ae.save());
  const scores: Float32Array = lite.score(x);
  console.log(JSON.stringify(Array.from(scores)));
}
void main();
`;

describe.skipIf(!HAVE_NPM)(`the npm package (npm ${npmVersion.stdout?.trim()})`, () => {
  let tmp = '';
  let packOutput = '';
  let files: string[] = [];
  let app = '';

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'autoencoder-package-test-'));
    // a clean checkout: the sources without dist/, build/ and other generated or local folders
    const src = join(tmp, 'src');
    const skip = new Set(['node_modules', 'dist', 'build', '.runtimes', '.git', 'out']);
    cpSync(ROOT, src, { recursive: true, filter: (p) => !skip.has(p.slice(ROOT.length).split('/').at(-1)!) });
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    expect(existsSync(join(src, 'dist'))).toBe(false);
    const r = run('npm', ['pack', '--json', '--pack-destination', tmp], src);
    packOutput = r.stdout + r.stderr;
    if (r.status !== 0) throw new Error(`npm pack exited ${r.status}\n${packOutput}`);
    // prepack's build writes to stdout before npm's JSON
    const json = JSON.parse(r.stdout.slice(r.stdout.search(/^\[$/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = json[0]!.files.map((f) => f.path).sort();
    app = join(tmp, 'app');
    mkdirSync(app);
    ok('npm', ['init', '-y'], app);
    // offline, and a registry nobody answers at: the install must not need the network
    ok('npm', ['install', join(tmp, json[0]!.filename), '--offline', '--no-audit', '--no-fund', '--registry', 'http://127.0.0.1:9/'], app);
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('npm pack builds through prepack, with no AS112 warning from asc', () => {
    expect(packOutput).toMatch(/> npm run build/);
    expect(packOutput).toMatch(/kernels\.wasm: \d+ bytes/); // the build's own line: its output was captured
    expect(packOutput).not.toMatch(/AS112|WARNING AS\d+/);
  });

  it('ships every file package.json points to, the licence, and no sources or tests', () => {
    const targets = [PKG.main, PKG.types, ...Object.values(PKG.bin), ...Object.values(PKG.exports).flatMap((e) => typeof e === 'string' ? [e] : Object.values(e))];
    const wanted = [...new Set(targets.map((t) => t.replace(/^\.\//, '')))];
    expect(wanted).toContain('dist/bindings/index.js');
    expect(wanted.filter((f) => !files.includes(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/bindings/node.d.ts', 'dist/bindings/errors.d.ts']));
    expect(files.filter((f) => /^(tests|assembly|bindings|tools|examples|bench)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    // the core's modules live only inside the bundled index.js (and Node's one-file entry, node.js, which holds
    // the core and its loader): no copy of them, nor of the loader, to import by path
    expect(files.filter((f) => /^dist\/bindings\/(codec|errors|files|format|graph|series|spec|wasm|node-load)\.js$/.test(f))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/autoencoder/package.json'), 'utf8'));
    expect([installed.name, installed.version, installed.license]).toEqual([PKG.name, PKG.version, 'MIT']);
    expect(readFileSync(join(app, 'node_modules/autoencoder/LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the autoencoder authors\n/);
  });

  it('installed: create/fit/score/save/load give this repository\'s bits; one copy of the classes across autoencoder and autoencoder/core', async () => {
    writeFileSync(join(app, 'consumer.mjs'), CONSUMER);
    const out = JSON.parse(ok(process.execPath, ['consumer.mjs'], app)) as {
      sameClass: boolean; sameError: boolean; scores: number[]; loaded: number[];
      errors: Array<{ instance: boolean; name: string; message: string }>;
    };
    // the oracle: the same calls on this repository's bindings, in this process
    const x = await randomMatrix(DATA.rows, DATA.cols, { seed: DATA.seed });
    const ae = await Autoencoder.create({ ...SPEC, layers: [...SPEC.layers] });
    await ae.fit(x, FIT);
    expect(out.scores).toEqual(Array.from(ae.score(x)));
    expect(out.loaded).toEqual(out.scores);
    expect([out.sameClass, out.sameError]).toEqual([true, true]);
    expect(out.errors).toEqual([0, 1].map(() => ({ instance: true, name: 'AutoencoderError', message: 'inputDim must be an integer from 1 to 1048576, got 0' })));
  });

  it("installed: 'autoencoder/score' exports AutoencoderLite (the core's class) on the scoring module, with the same bits", async () => {
    writeFileSync(join(app, 'consumer-score.mjs'), CONSUMER_SCORE);
    const out = JSON.parse(ok(process.execPath, ['consumer-score.mjs'], app)) as { scores: number[]; names: string[]; sameClass: boolean };
    const x = await randomMatrix(DATA.rows, DATA.cols, { seed: DATA.seed });
    const ae = await Autoencoder.create({ ...SPEC, layers: [...SPEC.layers] });
    await ae.fit(x, FIT);
    expect(out.scores).toEqual(Array.from(ae.score(x)));
    expect(out.names).toEqual(['AutoencoderError', 'AutoencoderLite']);
    expect(out.sameClass).toBe(true);
    expect(files).toEqual(expect.arrayContaining(['dist/build/kernels-score.wasm', 'dist/bindings/score.d.ts', 'dist/bindings/score-api.d.ts']));
  });

  it("installed: Node, Deno and Bun each resolve 'autoencoder', 'autoencoder/core' and 'autoencoder/score' to one copy of the classes", async () => {
    // each runtime its own export conditions: Node and Bun take "node" (one file, dist/bindings/node.js),
    // Deno takes "deno" before "node" (dist/bindings/deno.js on index.js); a second copy would break instanceof
    writeFileSync(join(app, 'consumer-identity.mjs'), CONSUMER_IDENTITY);
    const { runtimes } = await import(new URL('../tools/runtimes.mjs', import.meta.url).href) as { runtimes: () => { deno: string; bun: string } };
    const rt = runtimes();
    const x = await randomMatrix(DATA.rows, DATA.cols, { seed: DATA.seed });
    const ae = await Autoencoder.create({ ...SPEC, layers: [...SPEC.layers] });
    const expected = Array.from(ae.score(x));
    for (const [name, cmd, args] of [['node', process.execPath, []], ['deno', rt.deno, ['run', '--allow-read']], ['bun', rt.bun, []]] as const) {
      const out = JSON.parse(ok(cmd, [...args, 'consumer-identity.mjs'], app)) as { same: boolean[]; scores: number[][] };
      expect([name, out.same]).toEqual([name, [true, true, true, true]]);
      for (const sc of out.scores) expect(sc).toEqual(expected);
    }
  });

  it("installed, in Node 22, 24 and 26 (npm's binaries, tools/runtimes.mjs): the three specifiers by import and by require() (CommonJS), one copy of the classes, the same bits", async () => {
    writeFileSync(join(app, 'consumer-identity.mjs'), CONSUMER_IDENTITY);
    writeFileSync(join(app, 'consumer-cjs.cjs'), CONSUMER_CJS);
    const { nodeLines } = await import(new URL('../tools/runtimes.mjs', import.meta.url).href) as { nodeLines: () => Record<string, { binary: string | null; reason: string | null }> };
    const x = await randomMatrix(DATA.rows, DATA.cols, { seed: DATA.seed });
    const ae = await Autoencoder.create({ ...SPEC, layers: [...SPEC.layers] });
    const expected = Array.from(ae.score(x));
    let ran = 0;
    for (const [line, { binary, reason }] of Object.entries(nodeLines())) {
      if (!binary) { console.log(`[skip] ${line}: ${reason}`); continue; }
      const esm = JSON.parse(ok(binary, ['consumer-identity.mjs'], app)) as { same: boolean[]; scores: number[][] };
      expect([line, esm.same]).toEqual([line, [true, true, true, true]]);
      for (const sc of esm.scores) expect(sc).toEqual(expected);
      const cjs = JSON.parse(ok(binary, ['consumer-cjs.cjs'], app)) as { same: boolean[]; scores: number[][] };
      expect([line, cjs.same]).toEqual([line, [true, true, true, true]]);
      for (const sc of cjs.scores) expect(sc).toEqual(expected);
      ran++;
    }
    // where npm has Node's binaries for this platform (linux and darwin, x64 and arm64), both lines ran
    if (['linux', 'darwin'].includes(process.platform) && ['x64', 'arm64'].includes(process.arch)) expect(ran).toBe(3);
  });

  it('the autoencoder bin runs through npx', () => {
    const help = ok('npx', ['--offline', 'autoencoder', '--help'], app);
    expect(help).toMatch(/^Usage: autoencoder /);
    expect(help).toMatch(/\btrain\b[\s\S]*\bscore\b/);
    expect(ok('npx', ['--offline', 'autoencoder', '--version'], app).trim()).toBe(PKG.version);
  });

  it('a TypeScript consumer type-checks against the shipped declarations (strict, nodenext)', () => {
    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      files: ['consumer.ts'],
    }));
    const r = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a CommonJS TypeScript consumer (.cts, nodenext) type-checks, and its emitted require() calls run in Node 22, 24 and 26 with the repository\'s bits', async () => {
    const dir = join(app, 'cts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'consumer.cts'), CONSUMER_CTS);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], outDir: 'out' },
      files: ['consumer.cts'],
    }));
    const r = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'out/consumer.cjs'), 'utf8')).toMatch(/require\("autoencoder"\)/);
    const x = await randomMatrix(DATA.rows, DATA.cols, { seed: DATA.seed });
    const ae = await Autoencoder.create({ ...SPEC, layers: [...SPEC.layers] });
    const expected = Array.from(ae.score(x));
    const { nodeLines } = await import(new URL('../tools/runtimes.mjs', import.meta.url).href) as { nodeLines: () => Record<string, { binary: string | null; reason: string | null }> };
    for (const [line, { binary, reason }] of Object.entries(nodeLines())) {
      if (!binary) { console.log(`[skip] ${line}: ${reason}`); continue; }
      expect([line, JSON.parse(ok(binary, [join(dir, 'out/consumer.cjs')], dir))]).toEqual([line, expected]);
    }
  });

  it('an esbuild Node bundle runs with kernels.wasm copied next to it, and says where it looked without it', async () => {
    writeFileSync(join(app, 'bundle-me.mjs'), CONSUMER);
    const out = join(tmp, 'bundle'); // outside the project: nothing of the package beside the bundle
    const result = await build({
      entryPoints: [join(app, 'bundle-me.mjs')], outfile: join(out, 'app.mjs'), bundle: true, platform: 'node', format: 'esm',
      absWorkingDir: app, tsconfigRaw: {}, logLevel: 'silent', metafile: true,
    });
    // the bundle holds the package's node entry, which is the core too ('autoencoder/core' resolves to the same
    // file under the node condition): one copy of the classes, and nothing installed beside it needed
    const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('node_modules/autoencoder/'));
    expect(inputs).toEqual(['node_modules/autoencoder/dist/bindings/node.js']);
    const missing = run(process.execPath, [join(out, 'app.mjs')], out);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(`AutoencoderError: cannot find kernels.wasm: neither ${join(tmp, 'build/kernels.wasm')} (inside the package) nor ${join(out, 'kernels.wasm')} (next to a bundle) exists`);
    expect(missing.stderr).toContain('copy node_modules/autoencoder/dist/build/kernels.wasm next to the bundled file');
    copyFileSync(join(tmp, 'src/dist/build/kernels.wasm'), join(out, 'kernels.wasm'));
    const got = JSON.parse(ok(process.execPath, [join(out, 'app.mjs')], out)) as { scores: number[]; sameClass: boolean };
    const x = await randomMatrix(DATA.rows, DATA.cols, { seed: DATA.seed });
    const ae = await Autoencoder.create({ ...SPEC, layers: [...SPEC.layers] });
    await ae.fit(x, FIT);
    expect(got.scores).toEqual(Array.from(ae.score(x)));
    expect(got.sameClass).toBe(true);
  });
});
