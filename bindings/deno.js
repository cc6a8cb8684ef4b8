// deno.js: the entry for Deno (the "deno" export condition). Deno's source-phase import hands
// over a compiled WebAssembly.Module with no permission flag. Plain JS because TypeScript and
// esbuild do not parse `import source` yet; its types are index.d.ts's (see package.json).
import source wasmModule from '../build/kernels.wasm';
import { setFileOpener, setWasmLoader } from './index.js';
import { denoFileOpener } from './deno-file.js';

// (threads > 1: the pool's module through a literal import, which Deno loads without --allow-read)
setWasmLoader(() => Promise.resolve(wasmModule), () => import('./threads.js'));
setFileOpener(denoFileOpener);

export * from './index.js';
