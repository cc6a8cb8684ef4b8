// score-deno.js: 'autoencoder/score' for Deno (the "deno" export condition): AutoencoderLite on
// kernels-score.wasm through a source-phase import (no permission flag), as deno.js does for kernels.wasm.
import source wasmModule from '../build/kernels-score.wasm';
import { setFileOpener, setWasmLoader } from './index.js';
import { denoFileOpener } from './deno-file.js';

setWasmLoader(() => Promise.resolve(wasmModule), undefined, 'score');
setFileOpener(denoFileOpener);

export * from './score-api.js';
