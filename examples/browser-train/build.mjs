// build.mjs: bundles the browser-train page into dist/examples/browser-train/ (app.js + index.html),
// as a web app's bundler would: esbuild, platform 'browser', so `import ... from 'autoencoder'`
// resolves by self-reference through package.json "exports" ("browser" condition) to
// dist/bindings/browser.js, which inlines the kernels (base64 of their deflate bytes): the folder is all a server needs.
// Needs dist/ (node tools/build.mjs first). Usage: node examples/browser-train/build.mjs
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';
import { BROWSER_BUILD } from '../../tools/bundle-options.mjs';

const here = new URL('.', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
export const outdir = `${root}dist/examples/browser-train`;

/** Bundles the page into `outdir`; returns the output folder. Throws if 'autoencoder' did not resolve to the browser entry. */
export async function buildBrowserTrain() {
  if (!existsSync(`${root}dist/bindings/browser.js`)) throw new Error('dist/bindings/browser.js is missing: run node tools/build.mjs first');
  mkdirSync(outdir, { recursive: true });
  const { metafile } = await build({
    ...BROWSER_BUILD,
    entryPoints: [`${here}app.ts`],
    outfile: `${outdir}/app.js`,
  });
  const inputs = Object.keys(metafile.inputs);
  if (!inputs.some((i) => i.endsWith('dist/bindings/browser.js')) || inputs.some((i) => /dist\/bindings\/(node|worker)\.js$/.test(i))) {
    throw new Error(`app.js did not resolve 'autoencoder' to dist/bindings/browser.js (inputs: ${inputs.join(', ')})`);
  }
  copyFileSync(`${here}index.html`, `${outdir}/index.html`);
  return outdir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  await buildBrowserTrain();
  console.log(`dist/examples/browser-train/ built in ${Date.now() - t0} ms`);
}
