// node.ts: the entry for Node and Bun (the "node" export condition). It only says where the
// compiled kernels come from (kernels.wasm, found and compiled by node-load.ts) and how load(path)
// reads a file (node-load.ts's nodeFileOpener). Everything else is the
// runtime-neutral core, ./index.js. The build bundles this file, node-load.ts and the core into one
// dist/bindings/node.js (a fresh process then imports 1 module of ours instead of 3; tools/build.mjs), which
// 'autoencoder/core' also resolves to under the node condition, and which 'autoencoder/score' imports, so
// in Node and Bun all three specifiers give the same classes (Deno takes the deno condition's files).

import { setFileOpener, setNativeCrc32, setWasmLoader } from './index.js';
import { nodeFileOpener, nodeLoader, runtimeCrc32 } from './node-load.js';

setWasmLoader(nodeLoader('kernels.wasm'));
setFileOpener(nodeFileOpener);
setNativeCrc32(runtimeCrc32);

export * from './index.js';
