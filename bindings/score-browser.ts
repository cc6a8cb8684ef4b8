// score-browser.ts: 'autoencoder/score' for browsers and bundlers (the "browser" and default export
// conditions): AutoencoderLite alone, on the scoring module (kernels-score.wasm, inlined as base64 of
// its deflate bytes like browser.ts's kernels.wasm): a scoring bundle about 11 KB lighter than
// 'autoencoder''s (npm run size). Same classes and bits as 'autoencoder' (one core, ./index.js).

// index.js and inflate.js first, so the bundle puts the library's code before the string (see browser.ts)
import { setWasmLoader } from './index.js';
import { compileInlined } from './inflate.js';
import { KERNELS_DEFLATE_BASE64 } from '../build/kernels-score.inline.js';

setWasmLoader(() => compileInlined(KERNELS_DEFLATE_BASE64), undefined, 'score');

export * from './score-api.js';
