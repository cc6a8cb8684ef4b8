// node.ts: the entry for Node and Bun (the "node" export condition). It only says where the
// compiled kernels come from: kernels.wasm beside this package's build, read and compiled once,
// lazily, on the first create() or load(). Everything else is the runtime-neutral core.

import { readFile } from 'node:fs/promises';
import { AutoencoderError } from './errors.js';
import { setWasmLoader } from './index.js';

const wasmUrl = new URL('../build/kernels.wasm', import.meta.url);

setWasmLoader(async () => {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readFile(wasmUrl);
  } catch (e) {
    throw new AutoencoderError(`cannot read the kernels at ${wasmUrl.pathname} (${(e as Error).message}): run \`npm run build\`, or reinstall the package`);
  }
  return WebAssembly.compile(bytes);
});

export * from './index.js';
