// kernels-mt.deno.js: Deno's way to the threaded kernels without a permission flag (a source-phase
// import, as deno.js does for kernels.wasm); bindings/threads.ts imports this file only under Deno.
import source mtModule from '../build/kernels-mt.wasm';

export default mtModule;
