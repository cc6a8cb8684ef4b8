// score.ts: 'autoencoder/score' for Node and Bun (the "node" export condition): AutoencoderLite on the
// scoring module, kernels-score.wasm (found and compiled by node-load.ts; copy it next to a bundle). The
// build bundles it with node-load.ts, its './index.js' imports pointed at the Node entry's one file
// (dist/bindings/node.js, which holds the core), so it shares that entry's classes.

import { setFileOpener, setWasmLoader } from './index.js';
import { nodeFileOpener, nodeLoader } from './node-load.js';

setWasmLoader(nodeLoader('kernels-score.wasm'), undefined, 'score');
setFileOpener(nodeFileOpener);

export * from './score-api.js';
