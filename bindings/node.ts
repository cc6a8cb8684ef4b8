// node.ts: the entry for Node and Bun (the "node" export condition). It only says where the
// compiled kernels come from: kernels.wasm, found and compiled by node-load.ts. Everything else is the
// runtime-neutral core, ./index.js (one file, shared with 'autoencoder/core', so both specifiers give
// the same classes).

import { setWasmLoader } from './index.js';
import { nodeLoader } from './node-load.js';

setWasmLoader(nodeLoader('kernels.wasm'));

export * from './index.js';
