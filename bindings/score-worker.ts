// score-worker.ts: 'autoencoder/score' for Cloudflare Workers / workerd (the "workerd" export
// condition): AutoencoderLite on kernels-score.wasm, which arrives compiled through a `.wasm` import
// as worker.ts's kernels.wasm does.

import wasmModule from '../build/kernels-score.wasm';
import { setWasmLoader } from './index.js';

setWasmLoader(() => Promise.resolve(wasmModule), undefined, 'score');

export * from './score-api.js';
