// size.mjs: what a user ships to score with this package (W4 "bundle" in ../shared/bench/workloads.json).
// Bundles a minimal scoring script (import { AutoencoderLite } from 'autoencoder'; load a model from
// bytes; score one row) with esbuild --bundle --minify --format=esm, twice:
//   browser   the "browser" condition: dist/bindings/browser.js, kernels inlined as base64 of their gzip bytes (one file)
//   workerd   the "workerd" condition, as wrangler bundles a Worker: dist/bindings/worker.js, with
//             `import ... from './kernels.wasm'` kept and kernels.wasm emitted beside the bundle
// The same script with the full class (import { Autoencoder }: create, fit, setWeights and the codec
// come along, as class methods cannot be tree-shaken) is measured too, for the record, not the budget.
// It prints raw and gzip -9 sizes (gzip -9 -n, else zlib level 9; each file on its own) of kernels.wasm
// alone, the browser bundle, and the workerd bundle + kernels.wasm. The budget (the issue): the
// minified ESM bundle plus the wasm, gzip -9, under 40 KB (stretch: 25 KB), for each of the two;
// 1 KB = 1000 bytes. Exits 1 over 40 KB, 2 when the bundles cannot be made.
// Usage: node tools/size.mjs [--json]   (needs `npm run build`; writes only to a temp dir)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
export const BUDGET = 40_000;
export const STRETCH = 25_000;

// load a model from bytes, score one row: everything a scoring user needs, nothing more
const entry = (cls, from) => `
import { ${cls} } from '${from}';
export async function scoreRow(modelBytes, row) {
  const ae = await ${cls}.load(modelBytes);
  return ae.score(row)[0];
}
`;

const COMMON = {
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  // tsconfig.json maps 'autoencoder' to bindings/node.ts for tsc and vitest; a consumer resolves it
  // through package.json "exports", so the bundle must ignore that mapping (self-reference instead)
  tsconfigRaw: {},
  metafile: true,
  absWorkingDir: root,   // metafile paths are relative to it
  write: true,
  logLevel: 'warning',
};

// each configuration's entry file per specifier: 'autoencoder/score' (AutoencoderLite on kernels-score.wasm,
// the budget) and 'autoencoder' (kernels.wasm)
const ENTRIES = {
  'autoencoder/score': { browser: 'dist/bindings/score-browser.js', workerd: 'dist/bindings/score-worker.js', wasm: 'kernels-score.wasm' },
  autoencoder: { browser: 'dist/bindings/browser.js', workerd: 'dist/bindings/worker.js', wasm: 'kernels.wasm' },
};
const CONFIGS = {
  // what a browser app gets: esbuild --bundle --minify --format=esm --platform=browser
  browser: { platform: 'browser' },
  // what wrangler does for a Worker (conditions workerd > worker > browser; .wasm kept as a module)
  workerd: {
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    loader: { '.wasm': 'copy' },
    assetNames: '[name]',
  },
};

// the gzip(1) binary when there is one (`gzip -9 -n`, no name or time in the header), as the budget
// says; else zlib level 9, which in Node (Chromium's zlib) comes out ~4% larger on kernels.wasm
const HAS_GZIP = (() => {
  try {
    execFileSync('gzip', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
export const GZIP = HAS_GZIP ? 'gzip -9 -n' : 'zlib level 9 (no gzip binary)';
/** gzip -9 size of a buffer in bytes (the gzip binary when there is one). */
export const gz = (buf) => (HAS_GZIP ? execFileSync('gzip', ['-9', '-n', '-c'], { input: buf, maxBuffer: 64 << 20 }) : gzipSync(buf, { level: 9 })).length;
const file = (path) => {
  const b = readFileSync(path);
  return { raw: b.length, gzip: gz(b) };
};

/**
 * Bundles both configurations into a temp dir; returns the sizes in bytes: the budget's (AutoencoderLite
 * from 'autoencoder/score'), `main` (AutoencoderLite from 'autoencoder', on kernels.wasm) and `full`
 * (Autoencoder from 'autoencoder').
 */
export async function measureSizes() {
  const lite = await measureClass('AutoencoderLite', 'autoencoder/score');
  const main = await measureClass('AutoencoderLite', 'autoencoder');
  const { browser, workerd } = await measureClass('Autoencoder', 'autoencoder');
  return { ...lite, main: { wasm: main.wasm, browser: main.browser, workerd: main.workerd }, full: { browser, workerd } };
}

async function measureClass(cls, from) {
  const files = ENTRIES[from];
  for (const f of [files.browser, files.workerd, `dist/build/${files.wasm}`]) {
    if (!existsSync(`${root}${f}`)) throw new Error(`${f} is missing: run \`npm run build\` (node tools/build.mjs) first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-size-'));
  try {
    const out = { wasm: file(`${root}dist/build/${files.wasm}`) };
    for (const [name, opts] of Object.entries(CONFIGS)) {
      const entryFile = files[name];
      const outdir = join(dir, name);
      const { metafile } = await build({
        ...COMMON,
        ...opts,
        stdin: { contents: entry(cls, from), resolveDir: root, sourcefile: `score-${name}.mjs`, loader: 'js' },
        outdir,
        entryNames: 'score',
      });
      const inputs = Object.keys(metafile.inputs);
      if (!inputs.some((i) => i.endsWith(entryFile)) || inputs.some((i) => /dist\/bindings\/(node|browser|worker|deno|score|score-browser|score-worker|score-deno)\.js$/.test(i) && !i.endsWith(entryFile))) {
        throw new Error(`the ${name} bundle did not resolve '${from}' to ${entryFile} alone (inputs: ${inputs.join(', ')}); check package.json "exports"`);
      }
      const js = file(join(outdir, 'score.js'));
      const wasmOut = Object.keys(metafile.outputs).filter((o) => o.endsWith('.wasm'));
      if (name === 'browser' && wasmOut.length) throw new Error(`the browser bundle emitted ${wasmOut.join(', ')}: the kernels should be inlined`);
      if (name === 'workerd' && (wasmOut.length !== 1 || !wasmOut[0].endsWith(files.wasm))) throw new Error(`the workerd bundle emitted ${wasmOut.join(', ') || 'no .wasm file'}, expected ${files.wasm} alone`);
      const wasm = wasmOut.length ? file(join(root, wasmOut[0])) : { raw: 0, gzip: 0 };
      out[name] = { js, wasm, raw: js.raw + wasm.raw, gzip: js.gzip + wasm.gzip };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const verdict = (n) => (n <= STRETCH ? 'PASS (under the 25 KB stretch target too)' : n <= BUDGET ? 'PASS (over the 25 KB stretch target)' : 'FAIL');

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = new Command('node tools/size.mjs')
    .description('the shipped size (W4 bundle): minified ESM bundles + kernels, gzip -9, against the 40 KB budget')
    .option('--json', 'print the sizes as one JSON line instead of the table')
    .parse()
    .opts();
  const t0 = performance.now();
  let s;
  try {
    s = await measureSizes();
  } catch (e) {
    console.error(`size: ${e.message}`);
    process.exit(2);
  }
  if (opts.json) {
    console.log(JSON.stringify({ ...s, gzip: GZIP, budget: BUDGET, stretch: STRETCH }));
  } else {
    const rows = [
      ['kernels-score.wasm alone', s.wasm.raw, s.wasm.gzip],
      ["'autoencoder/score': browser bundle (wasm inlined)", s.browser.raw, s.browser.gzip],
      ["'autoencoder/score': workerd bundle (JS only)", s.workerd.js.raw, s.workerd.js.gzip],
      ["'autoencoder/score': workerd bundle + kernels-score.wasm", s.workerd.raw, s.workerd.gzip],
      ['kernels.wasm alone', s.main.wasm.raw, s.main.wasm.gzip],
      ["'autoencoder': browser bundle (wasm inlined)", s.main.browser.raw, s.main.browser.gzip],
      ["'autoencoder': workerd bundle + kernels.wasm", s.main.workerd.raw, s.main.workerd.gzip],
      ['full class: browser bundle', s.full.browser.raw, s.full.browser.gzip],
      ['full class: workerd bundle + kernels.wasm', s.full.workerd.raw, s.full.workerd.gzip],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(`${'what'.padEnd(w)}  ${'raw bytes'.padStart(10)}  ${'gzip -9 bytes'.padStart(13)}`);
    for (const [n, raw, g] of rows) console.log(`${n.padEnd(w)}  ${String(raw).padStart(10)}  ${String(g).padStart(13)}`);
    console.log(`(esbuild --bundle --minify --format=esm of "load a model from bytes, score one row" with AutoencoderLite from 'autoencoder/score' and from 'autoencoder', then with the full Autoencoder class; ${GZIP} of each file, summed; 1 KB = 1000 bytes)`);
    console.log(`budget 40 KB gzip -9, stretch 25 KB ('autoencoder/score'):`);
    console.log(`  browser:          ${kb(s.browser.gzip)}  ${verdict(s.browser.gzip)}`);
    console.log(`  workerd + wasm:   ${kb(s.workerd.gzip)}  ${verdict(s.workerd.gzip)}`);
    console.log(`(not budgeted: AutoencoderLite from 'autoencoder' browser ${kb(s.main.browser.gzip)}, workerd + wasm ${kb(s.main.workerd.gzip)}; the full class browser ${kb(s.full.browser.gzip)}, workerd + wasm ${kb(s.full.workerd.gzip)})`);
    console.error(`size: ${Math.round(performance.now() - t0)} ms`);
  }
  process.exit(Math.max(s.browser.gzip, s.workerd.gzip) > BUDGET ? 1 : 0);
}
