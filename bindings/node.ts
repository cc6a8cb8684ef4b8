// node.ts: the entry for Node and Bun (the "node" export condition). It only says where the
// compiled kernels come from (kernels.wasm, found and compiled by node-load.ts) and how load(path)
// reads a file (node-load.ts's nodeFileOpener). Everything else is the
// runtime-neutral core, ./index.js. The build bundles this file, node-load.ts and the core into one
// dist/bindings/node.js (a fresh process then imports 1 module of ours instead of 3; tools/build.mjs), which
// 'autoencoder/core' also resolves to under the node condition, and which 'autoencoder/score' imports, so
// in Node and Bun all three specifiers give the same classes (Deno takes the deno condition's files).

import * as api from './index.js';
import { setFileOpener, setNativeCrc32, setWasmLoader } from './index.js';
import { nodeFileOpener, nodeLoader, runtimeCrc32 } from './node-load.js';

setWasmLoader(nodeLoader('kernels.wasm'));
setFileOpener(nodeFileOpener);
setNativeCrc32(runtimeCrc32);

// The build minifies this file's local names without esbuild's keepNames (tools/build.mjs: keepNames wraps every
// function and class, closures made at run time included, in a call that sets its name, which cost a fresh
// process's import and first load() about 1 ms), so the public classes and functions are given back their
// names here: `ae.constructor.name` is 'Autoencoder', and messages that describe a value by its class ("an
// Autoencoder") read as in the other runtimes. tests/errors.test.ts checks that every function the entry
// exports is named as it is exported. (Every exported function, from the module's own export list, so a new export
// is named without a list here to keep in step.)
for (const [name, v] of Object.entries(api)) if (typeof v === 'function') Object.defineProperty(v, 'name', { value: name, configurable: true });

export * from './index.js';
