// score-deno.js: 'autoencoder/score' for Deno (the "deno" export condition): AutoencoderLite on
// kernels-score.wasm through a source-phase import (no permission flag), as deno.js does for kernels.wasm.
import source wasmModule from '../build/kernels-score.wasm';
import { setWasmLoader } from './index.js';

setWasmLoader(() => Promise.resolve(wasmModule), undefined, 'score');

export * from './score-api.js';
