// score.ts: 'autoencoder/score' for Node and Bun (the "node" export condition): AutoencoderLite on the
// scoring module, kernels-score.wasm (found and compiled by node-load.ts; copy it next to a bundle).

import { setWasmLoader } from './index.js';
import { nodeLoader } from './node-load.js';

setWasmLoader(nodeLoader('kernels-score.wasm'), undefined, 'score');

export * from './score-api.js';
