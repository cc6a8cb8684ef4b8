// examples/lib/digits.ts: what the family examples share: the bundled 8x8 handwritten digits
// (examples/data/digits.csv.gz, UCI "Optical Recognition of Handwritten Digits", CC BY 4.0; see
// examples/data/DIGITS-LICENSE.md), PNG grids (pngjs), flags and a few report helpers.
// Reporting only: every number a model produces comes from the wasm kernels. Not an entry point
// (tools/build.mjs builds the .ts files directly in examples/; esbuild bundles this one into each).
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

// pngjs is CommonJS and needs Node's zlib/stream: loaded at run time through Node's require, as
// examples/mnist-denoise.ts does (bundled into ESM its require('util') calls would throw)
const { PNG } = createRequire(import.meta.url)('pngjs') as typeof import('pngjs');

/** Side of a digit image and its pixel count. */
export const SIDE = 8;
export const PIXELS = SIDE * SIDE;
/** The first TRAIN_COUNT rows of the file train the models; the other 297 are the test images. */
export const TRAIN_COUNT = 1500;

/**
 * The dense VAE of family-vae.ts (also the conv VAE's baseline in family-conv-vae.ts):
 * 64 -> 64 relu -> (8 means, 8 log-variances) -> z -> 64 relu -> 64 sigmoid, bce, beta 1. It lives
 * here because an example must not import another (bundled together, both would run their main).
 */
export const vaeSpec = (seed: number) => ({
  inputDim: PIXELS, layers: [64, 8], activation: 'relu', loss: 'bce', variational: { beta: 1 }, seed,
} as const);

/** The repository root: the nearest folder above this file whose package.json is "autoencoder". */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'autoencoder') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json "autoencoder") above this file');
    dir = up;
  }
}

export interface Digits { x: Float32Array; labels: Uint8Array; count: number }

/**
 * The 1,797 digits of examples/data/digits.csv.gz (64 pixel counts 0..16, then the label): pixels / 16
 * in [0, 1]; the first 1,500 rows as `train`, the other 297 as `test`.
 */
export function loadDigits(): { train: Digits; test: Digits } {
  const path = join(repoRoot(), 'examples/data/digits.csv.gz');
  const lines = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n');
  const all: Digits = { x: new Float32Array(lines.length * PIXELS), labels: new Uint8Array(lines.length), count: lines.length };
  lines.forEach((line, r) => {
    const v = line.split(',').map(Number);
    if (v.length !== PIXELS + 1) throw new Error(`${path}: line ${r + 1} has ${v.length} values, expected ${PIXELS + 1}`);
    for (let j = 0; j < PIXELS; j++) all.x[r * PIXELS + j] = v[j]! / 16;
    all.labels[r] = v[PIXELS]!;
  });
  const part = (a: number, b: number): Digits => ({ x: all.x.slice(a * PIXELS, b * PIXELS), labels: all.labels.slice(a, b), count: b - a });
  return { train: part(0, TRAIN_COUNT), test: part(TRAIN_COUNT, all.count) };
}

/** One-hot rows (count x classes) of integer labels. */
export function oneHot(labels: ArrayLike<number>, classes = 10): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]!] = 1;
  return out;
}

/** The first index of each digit 0-9 in `labels`. */
export function firstOfEachDigit(labels: Uint8Array): number[] {
  return Array.from({ length: 10 }, (_, d) => labels.indexOf(d)).filter((i) => i >= 0);
}

/** Rows `ids` of a row-major matrix with `cols` columns. */
export function rows(x: Float32Array, ids: number[], cols = PIXELS): Float32Array {
  const out = new Float32Array(ids.length * cols);
  ids.forEach((r, j) => out.set(x.subarray(r * cols, (r + 1) * cols), j * cols));
  return out;
}

/**
 * A PNG (pngjs, RGBA) of a grid of side x side images, one grid row per array in `gridRows`, each
 * holding `cols` images; every pixel drawn as a scale x scale block, grey gaps between tiles, values
 * clipped to [0, 1] as grey levels (ink white on black).
 */
export function pngGrid(gridRows: Float32Array[], cols: number, side = SIDE, scale = 6, pad = 3): Buffer {
  const tile = side * scale;
  const width = cols * tile + (cols + 1) * pad, height = gridRows.length * tile + (gridRows.length + 1) * pad;
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = 96;
    png.data[4 * i + 3] = 255;
  }
  gridRows.forEach((imgs, r) => {
    for (let c = 0; c < cols && (c + 1) * side * side <= imgs.length; c++) {
      const x0 = pad + c * (tile + pad), y0 = pad + r * (tile + pad);
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const v = imgs[c * side * side + Math.floor(y / scale) * side + Math.floor(x / scale)]!;
          const o = 4 * ((y0 + y) * width + x0 + x);
          png.data[o] = png.data[o + 1] = png.data[o + 2] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
      }
    }
  });
  return PNG.sync.write(png);
}

/** Writes `png` to `path`, or to examples/out/<name>.png when `path` is undefined; returns the path. */
export function writePng(name: string, png: Buffer, path?: string): string {
  const out = path ?? join(repoRoot(), 'examples/out', `${name}.png`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, png);
  return out;
}

/** Flags `--name value` for the names in `defaults` (integers, or numbers where the default is not one; --out a path). */
export function flags<T extends Record<string, number | string>>(script: string, defaults: T): T {
  const argv = process.argv.slice(2), out: Record<string, number | string> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, '');
    if (!argv[i]!.startsWith('--') || !(name in defaults) || argv[i + 1] === undefined) {
      throw new Error(`usage: node dist/examples/${script}.js ${Object.entries(defaults).map(([k, v]) => `[--${k} ${v}]`).join(' ')} (bad argument: ${argv[i]})`);
    }
    const d = defaults[name]!;
    if (typeof d === 'string') { out[name] = resolve(argv[i + 1]!); continue; }
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0 || (Number.isInteger(d) && !Number.isInteger(v))) throw new Error(`--${name} must be a ${Number.isInteger(d) ? 'non-negative integer' : 'non-negative number'}, got ${argv[i + 1]}`);
    out[name] = v;
  }
  return out as T;
}

/** Mean of an array. */
export const mean = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]!; return s / a.length; };

/** Mean over rows of the per-row mean squared difference of a and b (both rows x cols). */
export function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** The last value of each history term, as `name value` pairs. */
export function lastTerms(terms: Record<string, number[]>, digits = 4): string {
  return Object.entries(terms).map(([k, v]) => `${k} ${v.at(-1)!.toFixed(digits)}`).join(', ');
}

/** Runs `main` when this file is the process's entry script, printing errors without a stack. */
export function runIfMain(metaUrl: string, script: string, main: () => Promise<void>): void {
  const entry = process.argv[1];
  let invoked = false;
  try { invoked = entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(metaUrl)); } catch { invoked = false; }
  if (!invoked) return;
  const t0 = performance.now();
  main().then(() => { console.log(`wall time: ${((performance.now() - t0) / 1000).toFixed(1)} s`); }, (e: unknown) => {
    console.error(`${script}: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
