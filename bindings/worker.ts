// worker.ts: the entry for Cloudflare Workers / workerd (the "workerd" export condition).
// Workers refuse to compile wasm from bytes at run time, so the module arrives as a compiled
// WebAssembly.Module through a `.wasm` import (wrangler and esbuild's copy loader keep it; raw
// workerd lists it in config.capnp as `wasm = embed "kernels.wasm"`).

import wasmModule from '../build/kernels.wasm';
import { setWasmLoader } from './index.js';

setWasmLoader(() => Promise.resolve(wasmModule));

export * from './index.js';
