// bundle-options.mjs: the esbuild options a consumer's bundler would use for code that imports this
// package, one set per target, shared by the examples, the conformance run and the size/cold-start
// tools. `tsconfigRaw: {}` matters: this repo's tsconfig.json maps 'autoencoder' to bindings/node.ts
// (for tsc and vitest), while a consumer resolves it through package.json "exports".

/** A web app (the "browser" condition: the wasm is inlined). */
export const BROWSER_BUILD = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  tsconfigRaw: {},
  metafile: true,
  logLevel: 'warning',
};

/** A Worker, as wrangler bundles it (the "workerd" condition: kernels.wasm imported as a module). */
export const WORKER_BUILD = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['browser', 'module', 'main'],
  loader: { '.wasm': 'copy' },
  assetNames: '[name]',
  tsconfigRaw: {},
  metafile: true,
  logLevel: 'warning',
};
