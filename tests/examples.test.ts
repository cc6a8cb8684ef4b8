// examples.test.ts: every `example:*` npm script of package.json runs a script that exists in
// examples/ and builds (esbuild, the options tools/build.mjs uses, in memory), and each family example
// (issue 11) runs from dist/ on the data in the repository alone with a tiny epoch budget: exit 0, its
// report lines printed, and a PNG written (decoded with pngjs: the size of its grid).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const examples = Object.entries(scripts).filter(([name]) => name.startsWith('example:'));
const OUT = mkdtempSync(join(tmpdir(), 'ae-examples-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** The examples/<name>.ts an npm script runs as `node dist/examples/<name>.js`. */
function sourceOf(command: string): string {
  const m = /node dist\/examples\/([\w-]+)\.js/.exec(command);
  if (!m) throw new Error(`an example script should run node dist/examples/<name>.js, got: ${command}`);
  return join(ROOT, 'examples', `${m[1]}.ts`);
}

describe('example npm scripts', () => {
  it('there are the family examples among them', () => {
    for (const k of ['denoising', 'sparse', 'contractive', 'vae', 'beta-vae', 'cvae', 'conv-vae']) expect(scripts[`example:${k}`]).toBeDefined();
  });
  it.each(examples)('%s: its source exists and builds', async (_name, command) => {
    const src = sourceOf(command);
    expect(existsSync(src), src).toBe(true);
    const r = await build({ entryPoints: [src], bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['autoencoder'], write: false, logLevel: 'silent' });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0]!.text.length).toBeGreaterThan(500);
  });
});

// each family example with a budget of a few epochs; `grid` is the PNG's size in tiles (cols x rows)
const TILE = 8 * 6 + 3; // pngGrid's defaults: 8x8 digits, scale 6, gaps of 3 pixels
// extra: a second picture the example writes beside --out (<out>-<suffix>.png) and its grid
const FAMILY: { script: string; args: string[]; expect: RegExp[]; grid: [number, number]; extra?: [string, [number, number]] }[] = [
  { script: 'family-denoising', args: ['--epochs', '2'], expect: [/\| gaussian 0\.3, clip \[0, 1\] \| reconstruction \d/, /\| saltPepper 0\.2 \|/], grid: [10, 4] },
  { script: 'family-sparse', args: ['--epochs', '2'], expect: [/relu code, l1 0\.003 \| reconstruction [\d.]+, sparsity [\d.]+/, /kl rho 0\.05 weight 0\.1 \| reconstruction [\d.]+, sparsity/], grid: [10, 4] },
  { script: 'family-contractive', args: ['--epochs', '2'], expect: [/\| contractive 0\.01 \| reconstruction [\d.]+, contractive [\d.]+ \|/], grid: [10, 3] },
  { script: 'family-vae', args: ['--epochs', '2'], expect: [/reconstruction [\d.]+, kl [\d.]+/, /negative ELBO [\d.]+ nats\/image/], grid: [10, 8], extra: ['reconstructions', [10, 2]] },
  { script: 'family-beta-vae', args: ['--epochs', '2'], expect: [/\| 0\.25 \| reconstruction/, /\| 4 \| reconstruction/], grid: [10, 4] },
  { script: 'family-cvae', args: ['--epochs', '2'], expect: [/with the true labels/, /argmin over the 10 labels/], grid: [10, 10] },
  { script: 'family-conv-vae', args: ['--epochs', '1'], expect: [/conv VAE : negative ELBO [\d.]+/, /dense VAE: negative ELBO [\d.]+/], grid: [10, 8] },
];

describe('family examples run on the repository\'s own data', () => {
  it.each(FAMILY)('$script', ({ script, args, expect: lines, grid, extra }) => {
    const png = join(OUT, `${script}.png`);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/examples', `${script}.js`), ...args, '--out', png], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const re of lines) expect(r.stdout).toMatch(re);
    // one run of one main (an example that imports another would run both once bundled)
    expect(r.stdout.match(/^wall time: /gm)).toHaveLength(1);
    const img = PNG.sync.read(readFileSync(png));
    expect([img.width, img.height]).toEqual([grid[0] * TILE + 3, grid[1] * TILE + 3]);
    if (extra) {
      // with --out, every picture goes beside it, none to examples/out/
      const second = join(OUT, `${script}-${extra[0]}.png`);
      expect(r.stdout).toContain(second);
      const img2 = PNG.sync.read(readFileSync(second));
      expect([img2.width, img2.height]).toEqual([extra[1][0] * TILE + 3, extra[1][1] * TILE + 3]);
    }
  });
});
