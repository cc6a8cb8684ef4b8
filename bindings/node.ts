// node.ts: the entry for Node and Bun (the "node" export condition). It only says where the
// compiled kernels come from (kernels.wasm, found and compiled by node-load.ts) and how load(path)
// reads a file (node-load.ts's nodeFileOpener). Everything else is the
// runtime-neutral core, ./index.js (one file, shared with 'autoencoder/core', so both specifiers give
// the same classes).

import { setFileOpener, setWasmLoader } from './index.js';
import { nodeFileOpener, nodeLoader } from './node-load.js';

setWasmLoader(nodeLoader('kernels.wasm'));
setFileOpener(nodeFileOpener);

export * from './index.js';
