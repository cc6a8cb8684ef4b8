// workload.mjs: the conformance workload, the same in every runtime. Plain ESM JavaScript with no
// imports, so Node, Deno, Bun, Chromium and workerd all run this very file (bundled where needed).
// It creates models from fixed specs and seeds, fits them on data drawn from the package's wasm
// PRNG, saves, loads, and runs every output path; it returns the SHA-256 of each output's bytes.
// Any runtime whose digests differ from Node's has computed different bits.

/** Model kinds as they land (dense, convolutional); each covers other layers, activations, losses and optimizers. */
const CHOSEN = [
  {
    name: 'dense-tanh-mse-adam',
    spec: { inputDim: 12, layers: [8, 3], activation: 'tanh', latentActivation: 'linear', outputActivation: 'linear', loss: 'mse', normalize: 'standard', seed: 7 },
    fit: { epochs: 6, batchSize: 16, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.2 },
    data: { rows: 203, seed: 42, distribution: 'normal' },
  },
  {
    name: 'dense-elu-bce-adamw-noise',
    spec: { inputDim: 20, layers: [13, 5], activation: 'elu', latentActivation: 'sigmoid', loss: 'bce', normalize: 'minmax', seed: 11 },
    fit: { epochs: 5, batchSize: 32, optimizer: 'adamw', learningRate: 1e-2, noise: 0.05, validationSplit: 0.1 },
    data: { rows: 150, seed: 43, distribution: 'uniform' },
  },
  {
    name: 'dense-leaky-mae-momentum',
    spec: { inputDim: 9, layers: [7, 4, 2], activation: 'leakyRelu', latentActivation: 'relu', outputActivation: 'linear', loss: 'mae', seed: 3 },
    fit: { epochs: 4, batchSize: 10, optimizer: 'momentum', learningRate: 0.02, shuffle: true, validationSplit: 0 },
    data: { rows: 97, seed: 44, distribution: 'normal' },
  },
  {
    name: 'conv2d-pool-bn-dropout-bce',
    spec: {
      inputShape: [8, 8, 1],
      encoder: [
        { type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' },
        { type: 'batchNorm' },
        { type: 'maxPool2d', pool: 2 },
        { type: 'dropout', rate: 0.25 },
        { type: 'conv2d', filters: 3, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
      ],
      decoder: [
        { type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'elu' },
        { type: 'upSampling2d', size: 2 },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
      ],
      loss: 'bce', seed: 5,
    },
    fit: { epochs: 3, batchSize: 16, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0.2 },
    data: { rows: 70, seed: 45, distribution: 'uniform' },
  },
  {
    name: 'conv1d-transpose-flatten-dense-mse',
    spec: {
      inputShape: [24, 2],
      encoder: [
        { type: 'conv1d', filters: 5, kernel: 5, strides: 2, padding: 'same', activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 6, activation: 'leakyRelu' },
      ],
      decoder: [
        { type: 'dense', units: 60, activation: 'relu' },
        { type: 'reshape', shape: [12, 5] },
        { type: 'conv1dTranspose', filters: 2, kernel: 5, strides: 2, padding: 'same' },
      ],
      loss: 'mse', normalize: 'standard', seed: 9,
    },
    fit: { epochs: 4, batchSize: 8, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.1 },
    data: { rows: 61, seed: 46, distribution: 'normal' },
  },
  {
    // 3x3 stride-1 convs with >= 8 channels take the Winograd F(2x2, 3x3) path (assembly/winograd.ts:
    // forward, dx, dK); odd sizes give partial tiles
    name: 'conv2d-winograd-mse',
    spec: {
      inputShape: [7, 5, 8],
      encoder: [{ type: 'conv2d', filters: 12, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }],
      decoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same' }],
      loss: 'mse', seed: 17,
    },
    fit: { epochs: 3, batchSize: 16, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.2 },
    data: { rows: 53, seed: 47, distribution: 'normal' },
  },
  {
    // the create option shards: 8 data-parallel shards of each batch instead of 4 (assembly/train.ts net_grads), batches of
    // 13 rows in shards of 2 and 1 rows, a Winograd layer; its own bits, the same in every runtime and on any thread count
    name: 'conv2d-winograd-shards8-mse',
    create: { shards: 8 },
    spec: {
      inputShape: [6, 6, 8],
      encoder: [{ type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'maxPool2d', pool: 2 }],
      decoder: [{ type: 'upSampling2d', size: 2 }, { type: 'conv2d', filters: 8, kernel: 3, padding: 'same' }],
      loss: 'mse', seed: 23,
    },
    fit: { epochs: 3, batchSize: 13, optimizer: 'adam', learningRate: 3e-3 },
    data: { rows: 40, seed: 49, distribution: 'normal' },
  },
  {
    // a conv VAE in shards (train.ts net_grads): the sampling node, a dropout node and the KL term in 3 shards of each
    // batch of 11 rows (4, 4 and 3), each shard's rows drawing what they draw in one pass (draws_at), the terms' sums
    // added in shard order; its own bits, the same in every runtime and on any thread count
    name: 'conv2d-vae-dropout-shards3',
    create: { shards: 3 },
    spec: {
      inputShape: [6, 6, 2],
      encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'dropout', rate: 0.2 },
        { type: 'flatten' }, { type: 'dense', units: 3 }],
      decoder: [{ type: 'dense', units: 36, activation: 'relu' }, { type: 'reshape', shape: [3, 3, 4] },
        { type: 'conv2dTranspose', filters: 2, kernel: 3, strides: 2, padding: 'same' }],
      loss: 'mse', variational: { beta: 0.5 }, seed: 29,
    },
    fit: { epochs: 3, batchSize: 11, optimizer: 'adam', learningRate: 3e-3 },
    data: { rows: 37, seed: 53, distribution: 'normal' },
  },
  {
    // a conv model with an L1 penalty on its code, in the default 4 shards: the penalty's sums and gradients by rows
    name: 'conv1d-l1-mse',
    spec: {
      inputShape: [12, 2],
      encoder: [{ type: 'conv1d', filters: 5, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'maxPool1d', pool: 2 }],
      decoder: [{ type: 'upSampling1d', size: 2 }, { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }],
      loss: 'mse', sparsity: { l1: 1e-2 }, seed: 31,
    },
    fit: { epochs: 3, batchSize: 9, optimizer: 'momentum', momentum: 0.9, learningRate: 1e-2 },
    data: { rows: 30, seed: 55, distribution: 'uniform' },
  },
  {
    // a conv model with a sparse KL penalty on a code of 6 x 8 = 48 values (wider than the input) after a batchNorm, in
    // the default 4 shards: the code's column means over the whole batch, the shards' sums added in shard order
    name: 'conv1d-bn-klsparse-mse',
    spec: {
      inputShape: [12, 2],
      encoder: [{ type: 'conv1d', filters: 6, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'batchNorm' },
        { type: 'conv1d', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'sigmoid' }],
      decoder: [{ type: 'conv1dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
        { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }],
      loss: 'mse', sparsity: { kl: { rho: 0.1, weight: 0.3 } }, seed: 37,
    },
    fit: { epochs: 3, batchSize: 10, optimizer: 'adam', learningRate: 3e-3 },
    data: { rows: 33, seed: 57, distribution: 'uniform' },
  },
  {
    // 3x3 stride-2 transposed convs with >= 8 channels take the sub-pixel path (assembly/subpixel.ts:
    // 4 phases, Winograd F(2, 2) along 2-tap axes) in the forward; 'same' (even grid) and 'valid'
    // (odd grid: partial tiles)
    name: 'convt-subpixel-mse',
    spec: {
      inputShape: [6, 6, 8],
      encoder: [
        { type: 'conv2d', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
        { type: 'conv2dTranspose', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'elu' },
        { type: 'conv2d', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
      ],
      decoder: [{ type: 'conv2dTranspose', filters: 12, kernel: 3, strides: 2, activation: 'relu' }, { type: 'conv2d', filters: 8, kernel: 2 }],
      loss: 'mse', seed: 19,
    },
    fit: { epochs: 3, batchSize: 16, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.2 },
    data: { rows: 37, seed: 48, distribution: 'normal' },
  },
  {
    // the rate term (spec rate): the code's noise of one unit drawn at a dropout node of negative rate, its L1 arithmetic
    // in bits; compress() without bits rounds the code to integers (assembly/codec.ts codec_quantize_int)
    name: 'rate-dense-bce',
    spec: { inputDim: 16, layers: [10, 4], activation: 'relu', loss: 'bce', normalize: 'minmax', rate: 0.3, seed: 29 },
    fit: { epochs: 4, batchSize: 16, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0.2 },
    data: { rows: 88, seed: 58, distribution: 'uniform' },
  },
  {
    // and a conv one, in the default 4 shards (each shard's rows draw their noise where one pass draws it)
    name: 'rate-conv1d-shards',
    spec: {
      inputShape: [12, 2],
      encoder: [{ type: 'conv1d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 5 }],
      decoder: [{ type: 'dense', units: 24, activation: 'relu' }, { type: 'reshape', shape: [6, 4] }, { type: 'conv1dTranspose', filters: 2, kernel: 3, strides: 2, padding: 'same' }],
      loss: 'mse', rate: 0.5, seed: 41,
    },
    fit: { epochs: 3, batchSize: 10, optimizer: 'adam', learningRate: 3e-3 },
    data: { rows: 41, seed: 59, distribution: 'normal' },
  },
  {
    name: 'vae-dense-bce-beta2-noise',
    spec: { inputDim: 14, layers: [9, 3], activation: 'elu', loss: 'bce', normalize: 'minmax', variational: { beta: 2 }, seed: 13 },
    fit: { epochs: 4, batchSize: 16, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0.2, noise: { mask: 0.2 } },
    data: { rows: 90, seed: 47, distribution: 'uniform' },
  },
  {
    name: 'cvae-dense-mse-sparse-saltpepper',
    spec: { inputDim: 10, layers: [7, 2], activation: 'tanh', loss: 'mse', normalize: 'standard', variational: { beta: 1 }, conditionDim: 3, seed: 17 },
    fit: { epochs: 4, batchSize: 12, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0.1, noise: { saltPepper: 0.1 } },
    data: { rows: 75, seed: 48, distribution: 'normal' },
  },
  {
    name: 'sparse-kl-dense-gaussian-clip',
    spec: { inputDim: 8, layers: [6, 4], activation: 'relu', latentActivation: 'sigmoid', loss: 'mse', sparsity: { kl: { rho: 0.2, weight: 0.5 } }, seed: 19 },
    fit: { epochs: 4, batchSize: 10, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0.2, noise: { gaussian: 0.3, clip: [-1, 1] } },
    data: { rows: 64, seed: 49, distribution: 'uniform' },
  },
  {
    // the subsample ensemble (assembly/ensemble.ts): members on their own rows, statistics, the summed score
    name: 'ensemble-dense-mse',
    spec: { inputDim: 11, layers: [7, 3], normalize: 'standard', ensemble: { members: 3, rows: 40, density: 0 }, seed: 23 },
    fit: { epochs: 4, batchSize: 8 },
    data: { rows: 90, seed: 50, distribution: 'normal' },
  },
  {
    // its latent density term (assembly/density.ts): 18 reference codes drawn from the pool (padded to 20), the SIMD 5-NN
    name: 'ensemble-density-mse',
    spec: { inputDim: 11, layers: [7, 3], normalize: 'standard', ensemble: { members: 3, rows: 40, density: 18 }, seed: 23 },
    fit: { epochs: 4, batchSize: 8 },
    data: { rows: 90, seed: 50, distribution: 'normal' },
  },
  {
    // rows near a 2-D manifold: about 960 reference codes in 30 leaves of the density term's k-d index, which
    // its probe walks (assembly/density.ts kd_*): fit()'s statistic rows and every score go through the walk
    name: 'ensemble-density-kd-mse',
    spec: { inputDim: 9, layers: [7, 3], normalize: 'standard', ensemble: { members: 3, rows: 200, density: 1024 }, seed: 24 },
    fit: { epochs: 3, batchSize: 32 },
    data: { rows: 1200, seed: 51, distribution: 'manifold' },
  },
];

/**
 * Models nobody chose: `n` drawn from `seed` by a small LCG (integer arithmetic only, so every runtime draws
 * the same ones). Dense shorthands of a random family (plain, sparse L1 or KL, contractive, VAE, conditional VAE,
 * ensemble), dense graphs with dropout and batchNorm between layers, and 1-D and 2-D conv graphs that pool or
 * stride down and come back through upsampling or a transposed conv; random widths, activations, losses,
 * optimizers, noise and batches. Each goes through every output of runWorkload, as the chosen cases do.
 */
function drawCases(n, seed) {
  let s = seed >>> 0;
  const int = (lo, hi) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return lo + ((s >>> 8) % (hi - lo + 1)); };
  const pick = (...a) => a[int(0, a.length - 1)];
  const act = () => pick('linear', 'relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid');
  const out = [];
  for (let k = 0; k < n; k++) {
    const kind = pick('dense', 'dense', 'graph', 'conv1d', 'conv2d');
    let spec, dist = pick('normal', 'uniform');
    const fit = { epochs: int(1, 3), batchSize: int(1, 40), optimizer: pick('sgd', 'momentum', 'adam', 'adamw'), learningRate: pick(1e-3, 3e-3, 1e-2),
      validationSplit: pick(0, 0.2), shuffle: pick(true, false), noise: pick(0, 0, 0.1, { mask: 0.2 }, { saltPepper: 0.1 }) };
    if (fit.optimizer === 'momentum') fit.momentum = 0.9;
    if (pick(false, true)) fit.weightDecay = 1e-3;
    if (kind === 'dense') {
      const family = pick('plain', 'l1', 'kl', 'contractive', 'vae', 'cvae', 'ensemble');
      spec = { inputDim: int(1, 40), layers: Array.from({ length: int(1, 3) }, () => int(1, 32)), activation: act(), latentActivation: act(),
        outputActivation: act(), loss: pick('mse', 'mae'), normalize: pick('none', 'standard', 'minmax'), seed: int(0, 999) };
      if (family === 'l1') spec.sparsity = { l1: 1e-3 };
      if (family === 'kl') Object.assign(spec, { sparsity: { kl: { rho: 0.1, weight: 0.1 } }, latentActivation: 'sigmoid' });
      if (family === 'contractive') spec.contractive = 1e-2;
      if (family === 'vae' || family === 'cvae') Object.assign(spec, { variational: { beta: pick(0.5, 1, 2) }, latentActivation: 'linear', loss: 'mse' });
      if (family === 'cvae') spec.conditionDim = int(1, 4);
      if (family === 'ensemble') {
        Object.assign(spec, { loss: 'mse', ensemble: { members: int(2, 4), rows: int(16, 60), density: pick(0, 8) } });
        for (const key of Object.keys(fit)) if (key !== 'epochs' && key !== 'batchSize') delete fit[key];
      }
      if (family === 'plain' && pick(false, true)) {
        // bce: a sigmoid output on rows in [0, 1)
        Object.assign(spec, { loss: 'bce', normalize: 'none', outputActivation: 'sigmoid' });
        dist = 'uniform';
      }
    } else if (kind === 'graph') {
      const between = () => pick(() => ({ type: 'dense', units: int(1, 32), activation: act() }), () => ({ type: 'dropout', rate: pick(0, 0.2) }), () => ({ type: 'batchNorm' }))();
      const D = int(1, 40);
      spec = { inputShape: [D], encoder: [...Array.from({ length: int(0, 2) }, between), { type: 'dense', units: int(1, 8) }],
        decoder: [...Array.from({ length: int(0, 2) }, between), { type: 'dense', units: D, activation: act() }], loss: pick('mse', 'mae'), normalize: pick('none', 'standard'), seed: int(0, 999) };
    } else {
      const d = kind === 'conv1d' ? '1d' : '2d', side = 2 * int(2, d === '1d' ? 8 : 4), C = int(1, 3), f1 = int(1, 9), f2 = int(1, 9), a = act();
      const down = pick('pool', 'stride', 'none');
      const enc = [{ type: `conv${d}`, filters: f1, kernel: int(1, 3), padding: 'same', activation: a }];
      if (pick(false, true)) enc.push({ type: 'batchNorm' });
      if (pick(false, true)) enc.push({ type: 'dropout', rate: 0.2 });
      if (down === 'pool') enc.push({ type: `maxPool${d}`, pool: 2 });
      enc.push({ type: `conv${d}`, filters: f2, kernel: 3, strides: down === 'stride' ? 2 : 1, padding: 'same', activation: a });
      const dec = down === 'none' ? [] : [pick({ type: `upSampling${d}`, size: 2 }, { type: `conv${d}Transpose`, filters: f1, kernel: 3, strides: 2, padding: 'same', activation: a })];
      dec.push({ type: `conv${d}`, filters: C, kernel: 3, padding: 'same', activation: pick('linear', 'sigmoid', 'tanh') });
      spec = { inputShape: d === '1d' ? [side, C] : [side, side, C], encoder: enc, decoder: dec, loss: 'mse', normalize: 'none', seed: int(0, 999) };
    }
    out.push({ name: `drawn${k}-${kind}`, spec, fit, data: { rows: int(4, 80), seed: 60 + k, distribution: dist } });
  }
  return out;
}

const DRAWN = drawCases(12, 20261204);
export const CASES = [...CHOSEN, ...DRAWN];

/**
 * A case's rows: randomMatrix's, or for 'manifold' 9 columns x_j = a w_j + b v_j + a b u_j + noise_j from two
 * uniform factors a, b in [-1, 1) and small fixed weights (additions and products only, so the same floats in
 * every runtime).
 */
async function caseData(randomMatrix, c) {
  const cols = c.spec.inputDim ?? c.spec.inputShape.reduce((a, b) => a * b, 1);
  if (c.data.distribution !== 'manifold') return randomMatrix(c.data.rows, cols, { seed: c.data.seed, distribution: c.data.distribution });
  const f = await randomMatrix(c.data.rows, 2 + cols, { seed: c.data.seed, distribution: 'uniform' });
  const x = new Float32Array(c.data.rows * cols);
  for (let i = 0; i < c.data.rows; i++) {
    const r = f.subarray(i * (2 + cols)), a = 2 * r[0] - 1, b = 2 * r[1] - 1;
    for (let j = 0; j < cols; j++) x[i * cols + j] = a * (1 - j / 8) + b * (j / 8 - 0.25) + a * b * (j % 3) + 0.01 * r[2 + j];
  }
  return x;
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return hex(await crypto.subtle.digest('SHA-256', bytes.slice()));
}

/** A conditional case's `{ condition }`: one-hot rows (row r: class r mod K); else {}. */
function conditionOf(c) {
  const K = c.spec.conditionDim ?? 0;
  return K ? { condition: Float32Array.from({ length: c.data.rows * K }, (_, i) => (i % K === Math.floor(i / K) % K ? 1 : 0)) } : {};
}

/**
 * Runs every case with the package's exports (`lib` = the module namespace of 'autoencoder').
 * @returns {Promise<{ digests: Record<string, string>, losses: Record<string, number> }>}
 */
export async function runWorkload(lib) {
  const { Autoencoder, randomMatrix } = lib;
  const digests = {};
  const losses = {};
  for (const c of CASES) {
    const x = await caseData(randomMatrix, c);
    digests[`${c.name}/data`] = await sha256(x);
    const K = c.spec.conditionDim ?? 0;
    const co = conditionOf(c), cond = co.condition;
    const ae = await Autoencoder.create(c.spec, c.create);
    const h = await ae.fit(x, { ...c.fit, ...co });
    losses[c.name] = h.loss[h.loss.length - 1];
    const vae = !!c.spec.variational;
    const threshold = ae.calibrate(x, { quantile: 0.9, ...co, ...(vae ? { by: 'elbo', samples: 2, seed: 3 } : {}) });
    const bytes = ae.save();
    digests[`${c.name}/save`] = await sha256(bytes);
    const back = await Autoencoder.load(bytes);
    const z = back.encode(x, co);
    digests[`${c.name}/encode`] = await sha256(z);
    digests[`${c.name}/decode`] = await sha256(back.decode(z, co));
    digests[`${c.name}/reconstruct`] = await sha256(back.reconstruct(x, co));
    digests[`${c.name}/explain`] = await sha256(back.explain(x, co));
    digests[`${c.name}/score`] = await sha256(back.score(x, co));
    digests[`${c.name}/detect`] = await sha256(back.detect(x, co));
    digests[`${c.name}/threshold`] = await sha256(new Float32Array([threshold]));
    digests[`${c.name}/history`] = await sha256(new Float64Array([...h.loss, ...h.valLoss]));
    const terms = Object.keys(h.terms).sort();
    if (terms.length > 1) digests[`${c.name}/history-terms`] = await sha256(new Float64Array(terms.flatMap((t) => [...h.terms[t], ...h.valTerms[t]])));
    if (vae) {
      const p = back.posterior(x, co);
      digests[`${c.name}/posterior`] = await sha256(new Float32Array([...p.mean, ...p.logVar]));
      digests[`${c.name}/encode-sample`] = await sha256(back.encode(x, { ...co, sample: true, seed: 5 }));
      digests[`${c.name}/score-kl`] = await sha256(back.score(x, { ...co, by: 'kl' }));
      digests[`${c.name}/score-elbo`] = await sha256(back.score(x, { ...co, by: 'elbo', samples: 3, seed: 1 }));
      digests[`${c.name}/explain-elbo`] = await sha256(back.explain(x, { ...co, by: 'elbo', samples: 3, seed: 1 }));
      digests[`${c.name}/sample`] = await sha256(K ? back.generate(cond.subarray(0, 6 * K), { seed: 2 }) : back.sample(6, { seed: 2 }));
    }
    // the codec: container bytes at a low and a high rate, and the floats decoded from both frames back to back
    // (not for a conditional VAE, which refuses the codec: it takes no condition rows)
    if (!K) await codecDigests(Autoencoder, c, back, x, digests);
    ae.dispose();
    back.dispose();
  }
  if (lib.SeriesDetector) await seriesCase(lib, digests);
  const threads = await threadedCases(lib, digests);
  const turns = await turnsCase(lib);
  return { digests, losses, threads, turns };
}

/** A model's codec outputs: containers at 4 and 12 bits, their decoding, fitted tables (and a rate model's integers). */
async function codecDigests(Autoencoder, c, back, x, digests) {
  const lo = back.compress(x, { bits: 4 }), hi = back.compress(x, { bits: 12 });
  digests[`${c.name}/compress4`] = await sha256(lo);
  digests[`${c.name}/compress12`] = await sha256(hi);
  const both = new Uint8Array(lo.length + hi.length);
  both.set(lo);
  both.set(hi, lo.length);
  digests[`${c.name}/decompress`] = await sha256(back.decompress(both));
  // tables fitted once (fitCodec), used for a small container and saved in the model file
  back.fitCodec(x, { bits: 4 });
  const small = back.compress(x.subarray(0, 3 * x.length / c.data.rows), { bits: 4 });
  digests[`${c.name}/compress-fitted`] = await sha256(small);
  digests[`${c.name}/decompress-fitted`] = await sha256((await Autoencoder.load(back.save())).decompress(small));
  if (c.spec.rate !== undefined) {
    // a rate model's own quantiser: integers (no bits), in the container and from fitCodec()'s integer tables
    const int = back.compress(x);
    digests[`${c.name}/compress-int`] = await sha256(int);
    digests[`${c.name}/decompress-int`] = await sha256(back.decompress(int));
    back.fitCodec(x);
    digests[`${c.name}/compress-int-fitted`] = await sha256(back.compress(x.subarray(0, 3 * x.length / c.data.rows)));
  }
}

/** The cases refit with threads (every GEMM split across the pool); their save() must be the 1-thread bytes. */
export const THREADED = ['rate-dense-bce', 'rate-conv1d-shards', 'dense-tanh-mse-adam', 'conv2d-pool-bn-dropout-bce', 'conv1d-transpose-flatten-dense-mse', 'convt-subpixel-mse', 'conv2d-winograd-shards8-mse', 'conv2d-vae-dropout-shards3', 'conv1d-l1-mse', 'conv1d-bn-klsparse-mse', 'vae-dense-bce-beta2-noise', 'dense-elu-bce-adamw-noise', 'sparse-kl-dense-gaussian-clip', 'ensemble-dense-mse', 'ensemble-density-mse', 'ensemble-density-kd-mse',
  ...DRAWN.map((c) => c.name)];

/**
 * Refits THREADED with 2 and 3 threads where the runtime runs threads (Node, Bun, Deno, a cross-origin
 * isolated page) and throws unless each save() has the single-threaded digest; elsewhere returns the
 * reason threads cannot run (workerd, a page that is not isolated), which run.mjs prints. The pool's
 * size threshold is set to 0 through the model's debug hook, so even these small models split every GEMM.
 */
async function threadedCases(lib, digests) {
  const { Autoencoder, randomMatrix } = lib;
  const done = [];
  for (const threads of [2, 3]) {
    for (const c of CASES.filter((k) => THREADED.includes(k.name))) {
      let ae;
      try {
        ae = await Autoencoder.create(c.spec, { ...c.create, threads });
      } catch (e) {
        if (/cannot run here|did not load here/.test(e.message)) return `skipped: ${e.message}`;
        throw e;
      }
      ae.k.pool.debug.minWork(0);
      const x = await caseData(randomMatrix, c);
      const co = conditionOf(c);
      await ae.fit(x, { ...c.fit, ...co });
      ae.calibrate(x, { quantile: 0.9, ...co, ...(c.spec.variational ? { by: 'elbo', samples: 2, seed: 3 } : {}) });
      const d = await sha256(ae.save());
      ae.dispose();
      if (d !== digests[`${c.name}/save`]) throw new Error(`threads: ${c.name} with ${threads} threads saved other bytes than with 1 (${d.slice(0, 12)} vs ${digests[`${c.name}/save`].slice(0, 12)})`);
      done.push(`${c.name}@${threads}`);
    }
  }
  return `${done.length} threaded fits = 1-thread save() bytes (${THREADED.length} cases x 2, 3 threads)`;
}

/**
 * fit()'s turns inside an epoch (bindings/index.ts fit: calls of about 50 ms, the host's turn every 25 ms, by setImmediate
 * or a message): epochs of about 0.4-2 s (some ten calls), and a timer every 5 ms that scores some rows in each turn it
 * gets and, the first time, aborts the fit. Throws unless fit() rejects with the AbortError before any epoch ends after
 * the abort, every read scores as the last completed epoch's model (the model before fit() in the first), and the model
 * after it scores as before it. Where the turn is a setImmediate (Node, Deno, Bun), due timers run in every turn but
 * perhaps the first (an immediate set in the loop's timers or poll phase runs before its next timers phase), and in
 * workerd, whose turn is a setTimeout(0) (its messages run before any timer), so the abort must land in the first
 * epoch; a page's timers may be throttled (a hidden page's wake up about once a second), so there the epoch is
 * reported, and an onEpoch aborts at the third epoch if the timer never ran.
 */
async function turnsCase(lib) {
  const { Autoencoder, randomMatrix } = lib;
  const ae = await Autoencoder.create({ inputDim: 64, layers: [256, 16], seed: 4, ensemble: false });
  const x = await randomMatrix(65536, 64, { seed: 5 }), probe = x.subarray(0, 64 * 8);
  const before = ae.score(probe).join();
  let expected = before, epochs = 0, reads = 0, wrong = 0, abortedAt = -1;
  const ac = new AbortController();
  const reader = setInterval(() => {
    reads++;
    if (ae.score(probe).join() !== expected) wrong++;
    if (abortedAt < 0) { abortedAt = epochs; ac.abort(); }
  }, 5);
  let e = null;
  try {
    await ae.fit(x, {
      epochs: 4, batchSize: 32, validationSplit: 0, signal: ac.signal,
      onEpoch: () => { epochs++; expected = ae.score(probe).join(); if (epochs === 3 && abortedAt < 0) { abortedAt = epochs; ac.abort(); } },
    });
  } catch (err) {
    e = err;
  } finally {
    clearInterval(reader);
  }
  const after = ae.score(probe).join();
  ae.dispose();
  if (e?.name !== 'AbortError') throw new Error(`turns: fit() ended with ${e ? e.message : 'its epochs done'}, not the AbortError`);
  if (epochs !== abortedAt) throw new Error(`turns: aborted after ${abortedAt} epoch(s), fit() ended after ${epochs}`);
  if (wrong > 0) throw new Error(`turns: ${wrong} of ${reads} reads in fit()'s turns did not score as the last completed epoch's model`);
  if (after !== before) throw new Error('turns: the aborted fit() left other weights than before it');
  const timed = typeof globalThis.setImmediate === 'function' || globalThis.navigator?.userAgent === 'Cloudflare-Workers';
  if (timed && (reads === 0 || abortedAt !== 0)) throw new Error(`turns: the timer first ran after ${abortedAt} epoch(s), not in a turn inside the first`);
  return reads > 0 ? `the timer first ran in a turn after ${abortedAt} epoch(s), read, and aborted: fit() ended there` : `the timer ran in no turn; onEpoch's abort after epoch ${epochs} ended fit()`;
}

/**
 * SeriesDetector: a 10-minute 'daily' square wave (144 points a day) with wasm-PRNG noise and a spike,
 * pushMany over the first half, push() one at a time over the rest, save/load in the middle; the
 * scores, the saved state and the resumed detector's scores are digested.
 */
async function seriesCase(lib, digests) {
  const { SeriesDetector, randomMatrix } = lib;
  const n = 700;
  const noise = await randomMatrix(n, 1, { seed: 47, distribution: 'normal' });
  const v = new Float64Array(n), t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = ((i % 144) < 72 ? 80 : 20) + noise[i] + (i === 600 ? 50 : 0);
    t[i] = 1420070400000 + i * 600000;
  }
  // contextFit: false keeps the day's context in the case (its day, 144 points of 10 minutes, outnumbers its 128 training windows)
  const opts = { window: 8, layers: [8, 3], warmup: 48, retrainEvery: 64, history: 400, trainWindows: 128, firstEpochs: 5, epochs: 2, likelihoodHistory: 300, minHistory: 20, suppress: 50, context: 16, contextFit: false };
  const d = await SeriesDetector.create(opts);
  const half = d.pushMany(v.subarray(0, 350), t.subarray(0, 350));
  const state = d.save();
  digests['series/state'] = await sha256(state);
  const rest = new Float32Array(n - 350);
  for (let i = 350; i < n; i++) rest[i - 350] = d.push(v[i], t[i]);
  const scores = new Float32Array(n);
  scores.set(half);
  scores.set(rest, 350);
  digests['series/scores'] = await sha256(scores);
  const back = await SeriesDetector.load(state);
  const resumed = back.pushMany(v.subarray(350), t.subarray(350));
  const same = new Uint32Array(resumed.buffer).every((x, i) => x === new Uint32Array(rest.buffer)[i]);
  if (!same) throw new Error('SeriesDetector: the loaded state did not continue bit for bit');
  digests['series/resumed'] = await sha256(resumed);
  digests['series/final-state'] = await sha256(back.save());
  d.dispose();
  back.dispose();
}
