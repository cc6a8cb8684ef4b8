// node.ts: the entry for Node and Bun (the "node" export condition). It only says where the
// compiled kernels come from: kernels.wasm read and compiled once, lazily, on the first create()
// or load(). Everything else is the runtime-neutral core, ./index.js (one file, shared with
// 'autoencoder/core', so both specifiers give the same classes).
// Where kernels.wasm is: in the package, dist/build/ beside dist/bindings/; in a bundle made from
// this entry (esbuild --platform=node --format=esm), next to the bundle, where the README says to
// copy it. The first path that exists wins.

import { readFile } from 'node:fs/promises';
import { AutoencoderError, setWasmLoader } from './index.js';

const places = [new URL('../build/kernels.wasm', import.meta.url), new URL('./kernels.wasm', import.meta.url)];

setWasmLoader(async () => {
  for (const url of places) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readFile(url);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new AutoencoderError(`cannot read the kernels at ${url.pathname} (${(e as Error).message}): check the file's permissions, or reinstall the package`);
    }
    return WebAssembly.compile(bytes);
  }
  throw new AutoencoderError(`cannot find kernels.wasm: neither ${places[0]!.pathname} (inside the package) nor ${places[1]!.pathname} (next to a bundle) exists. `
    + 'In this repository run `npm run build`; with the installed package, reinstall it; for a bundle, copy node_modules/autoencoder/dist/build/kernels.wasm next to the bundled file');
});

export * from './index.js';
