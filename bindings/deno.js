// deno.js: the entry for Deno (the "deno" export condition). Deno's source-phase import hands
// over a compiled WebAssembly.Module with no permission flag. Plain JS because TypeScript and
// esbuild do not parse `import source` yet; its types are index.d.ts's (see package.json).
import source wasmModule from '../build/kernels.wasm';
import { setWasmLoader } from './index.js';

// (threads > 1: the pool's module through a literal import, which Deno loads without --allow-read)
setWasmLoader(() => Promise.resolve(wasmModule), () => import('./threads.js'));

export * from './index.js';
