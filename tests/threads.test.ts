// threads.test.ts: models created with { threads: n } (bindings/threads.ts, assembly/threads.ts).
// The oracle is the single-threaded module: for 1, 2, 3 and 4 threads, save() after fit and every
// output (score, encode, reconstruct) must be the same bytes, for a dense model, a conv model, a VAE and a
// subsample ensemble with its density term.
// The pool's size threshold is set to 0 here (a debug hook), so every GEMM of these small models is
// split across the threads: the strongest form of the check. It also makes every dense layer's dW and
// dX products run as one paired job, and every shuffled batch's rows be copied by the pool while the
// optimizer steps on the batch before (assembly/threads.ts pool_hold, pool_gather): a unit of a pair
// computed twice or not at all, or a batch copied from the wrong rows, changes the bytes. Also: dispose() during a threaded fit
// and a worker that traps or is terminated mid-fit leave no worker running, reject with a clear
// error, and leave the weights as they were; a process with a threaded model exits on its own.
// Runs on the built package (dist/; tests/threads-pool.ts): the pool module is loaded by a dynamic import() next to
// index.js. Its wasm is dist/build/ too (exports renamed to match dist's mangled calls: tools/build.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, randomMatrix, setWasmLoader } from '../dist/bindings/node.js';
import type { PoolHandle } from '../dist/bindings/threads.js';
import { ROOT } from './helpers.js';
import { MT_TEST, hex, make, poolOf, type Spec } from './threads-pool.js';

/** The error is the built package's AutoencoderError and its message matches every pattern. */
function expectMessage(e: unknown, ...patterns: RegExp[]): void {
  expect(e, String(e)).toBeInstanceOf(AutoencoderError);
  for (const p of patterns) expect((e as Error).message).toMatch(p);
}

const CASES: { name: string; spec: Spec; rows: number; fit: Record<string, unknown>; minWork?: number }[] = [
  {
    name: 'dense (relu, adam, shuffled, validation split)',
    spec: { inputDim: 37, layers: [29, 11, 5], activation: 'relu', seed: 3 },
    rows: 150,
    fit: { epochs: 3, batchSize: 24, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.2 },
  },
  {
    // wide enough that products split by 8-column strips (>= 8 strips per thread) and into more
    // chunks than threads (64 x 300 x 140 multiply-adds: 11 chunks), which the narrow cases never do
    name: 'dense, wide (strip split into strip x row-group units, runs over partial strips)',
    spec: { inputDim: 300, layers: [140, 20], activation: 'tanh', seed: 7 },
    rows: 200,
    fit: { epochs: 2, batchSize: 64, optimizer: 'adam', learningRate: 1e-3 },
  },
  {
    // the loss's row sums, gradient and the output activation's derivative go through the pool by rows
    // (assembly/threads.ts JOB_LOSS), the bias gradients with the dW product's strips; a 784-wide output
    // (98 strips) in batches of 96 rows cut into two chunks of the gradient (83 + 13 rows: the second
    // accumulates), AdamW with weight decay
    name: 'dense, wide output (mse after a sigmoid; the loss by rows, bias sums by strips, chunked batches)',
    spec: { inputDim: 784, layers: [24, 8], outputActivation: 'sigmoid', loss: 'mse', seed: 8 },
    rows: 192,
    fit: { epochs: 2, batchSize: 96, optimizer: 'adamw', learningRate: 1e-3, weightDecay: 1e-2 },
  },
  {
    // Adam's step by ranges through the pool with L2 weight decay: its own loop (assembly/optim.ts adam_l2)
    name: 'dense (adam with L2 weight decay)',
    spec: { inputDim: 45, layers: [26, 7], activation: 'relu', seed: 14 },
    rows: 120,
    fit: { epochs: 2, batchSize: 30, optimizer: 'adam', learningRate: 3e-3, weightDecay: 1e-3 },
  },
  {
    // the bindings' default size threshold (512 K multiply-adds), as users run: the wide layers' products go
    // through the pool, the narrow ones' run on the main thread between them
    name: 'dense at the default size threshold (products through the pool and on the main thread, in turn)',
    spec: { inputDim: 300, layers: [140, 30, 6], activation: 'relu', seed: 15 },
    rows: 192,
    fit: { epochs: 2, batchSize: 64, optimizer: 'adamw', learningRate: 1e-3 },
    minWork: 512,
  },
  {
    // denoising: the batch's gathers and its noise go through the pool in ranges of rows (threads.ts JOB_NOISE), each
    // drawing at its rows' place in the noise stream; 37 columns (a tail after the fours), batches of 23 and 1 rows
    name: 'dense, gaussian input noise clipped (the gathers and the noise by row ranges)',
    spec: { inputDim: 37, layers: [20, 6], seed: 16, normalize: 'minmax' },
    rows: 70,
    fit: { epochs: 2, batchSize: 23, optimizer: 'adam', learningRate: 3e-3, noise: { gaussian: 0.3, clip: [0, 1] } },
  },
  {
    name: 'dense, mask input noise, rows in order (no shuffle)',
    spec: { inputDim: 37, layers: [20, 6], seed: 17 },
    rows: 70,
    fit: { epochs: 2, batchSize: 23, optimizer: 'adam', learningRate: 3e-3, noise: { mask: 0.25 }, shuffle: false },
  },
  {
    name: 'dense, salt-and-pepper input noise (the draws of a row vary: the noise on the calling thread)',
    spec: { inputDim: 37, layers: [20, 6], seed: 18 },
    rows: 70,
    fit: { epochs: 2, batchSize: 23, optimizer: 'adam', learningRate: 3e-3, noise: { saltPepper: 0.2 } },
  },
  {
    // the contractive penalty's rows in chunks (contractive.ts cae_run): each row's pipeline (Jacobians, ds, dM, its
    // transpose, the row's dW terms, G_{l-1}) a unit of the chunk's job, in the taking thread's work block, then the
    // weight gradients by their rows i (each taking the chunk's rows in order); batches of 23 (chunks of 16 and 7; of 15
    // and 8 on 3 threads), 37 inputs (tails after the sixteens and fours), a second layer of 17 (dW's sixteen-wide blocks
    // and a tail). A scratch build whose threads all used the first work block failed it
    name: 'dense contractive (its chunks of rows through the pool)',
    spec: { inputDim: 37, layers: [24, 17], activation: 'tanh', latentActivation: 'sigmoid', contractive: 0.05, seed: 19 },
    rows: 60,
    fit: { epochs: 2, batchSize: 23, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.2 },
  },
  {
    name: 'dense (mae after a tanh output, a width not a multiple of 4)',
    spec: { inputDim: 33, layers: [21, 6], outputActivation: 'tanh', loss: 'mae', seed: 12 },
    rows: 100,
    fit: { epochs: 2, batchSize: 25, optimizer: 'adam', learningRate: 3e-3 },
  },
  {
    name: 'dense (bce after a sigmoid: the fused gradient)',
    spec: { inputDim: 30, layers: [20, 5], outputActivation: 'sigmoid', loss: 'bce', normalize: 'none', seed: 13 },
    rows: 100,
    fit: { epochs: 2, batchSize: 25, optimizer: 'adam', learningRate: 3e-3 },
  },
  {
    // SGD's and momentum's updates go through the pool by ranges too (assembly/threads.ts JOB_UPDATE),
    // momentum's first step (buf = g) included; weight decay on, so its branch runs in every range
    name: 'dense (momentum with weight decay)',
    spec: { inputDim: 41, layers: [33, 9], activation: 'relu', seed: 4 },
    rows: 120,
    fit: { epochs: 3, batchSize: 20, optimizer: 'momentum', momentum: 0.9, learningRate: 1e-2, weightDecay: 1e-3 },
  },
  {
    name: 'dense (sgd with weight decay)',
    spec: { inputDim: 41, layers: [33, 9], activation: 'relu', seed: 4 },
    rows: 120,
    fit: { epochs: 2, batchSize: 20, optimizer: 'sgd', learningRate: 1e-2, weightDecay: 1e-3 },
  },
  {
    name: 'conv (conv2d, pool, transposed conv, bce)',
    spec: {
      inputShape: [10, 10, 1],
      encoder: [
        { type: 'conv2d', filters: 6, kernel: 3, padding: 'same', activation: 'relu' },
        { type: 'maxPool2d', pool: 2 },
        { type: 'conv2d', filters: 9, kernel: 3, padding: 'same', activation: 'tanh' },
      ],
      decoder: [
        { type: 'conv2dTranspose', filters: 5, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
      ],
      loss: 'bce',
      normalize: 'none',
      seed: 5,
    } as Spec,
    rows: 40,
    fit: { epochs: 2, batchSize: 16, optimizer: 'adam', learningRate: 5e-3 },
  },
  {
    // a conv model trains in 4 data-parallel shards of each batch (assembly/train.ts net_grads): batches
    // of 5, 5 and 2 rows cut into shards of 2/1/1/1 and 1/1/0/0 rows, a Winograd layer (8 -> 8 channels,
    // its dV per shard), a dropout of rate 0 (still sharded)
    name: 'conv, uneven shards (batches of 5 and 2 rows, a Winograd layer, dropout 0)',
    spec: {
      inputShape: [8, 8, 1],
      encoder: [
        { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' },
        { type: 'dropout', rate: 0 },
        { type: 'maxPool2d', pool: 2 },
      ],
      decoder: [
        { type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
      ],
      loss: 'bce',
      normalize: 'none',
      seed: 6,
    } as Spec,
    rows: 12,
    fit: { epochs: 3, batchSize: 5, optimizer: 'adam', learningRate: 5e-3 },
  },
  {
    // a conv VAE with dropout trains in shards too: each shard's rows draw the dropout masks and the sampling noise they
    // draw in one pass (assembly/train.ts draws_at), and the KL term's sums over its rows are added in shard order;
    // batches of 7 rows in 4 shards of 2/2/2/1 (and 5 rows: 2/1/1/1), the weights' bits the same on any thread count
    name: 'conv VAE with dropout, in shards (sampling noise and masks by batch row)',
    spec: {
      inputShape: [8, 8, 1],
      encoder: [
        { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'dropout', rate: 0.2 },
        { type: 'maxPool2d', pool: 2 }, { type: 'flatten' }, { type: 'dense', units: 3 },
      ],
      decoder: [
        { type: 'dense', units: 64, activation: 'relu' }, { type: 'reshape', shape: [4, 4, 4] }, { type: 'dropout', rate: 0.1 },
        { type: 'conv2dTranspose', filters: 1, kernel: 3, strides: 2, padding: 'same', activation: 'sigmoid' },
      ],
      loss: 'bce', normalize: 'none', variational: { beta: 1 }, seed: 8,
    } as Spec,
    rows: 26,
    fit: { epochs: 3, batchSize: 7, optimizer: 'adam', learningRate: 5e-3 },
  },
  {
    // batchNorm in shards: each node's batch mean, variance and gradient sums are added over the shards between the
    // batch's phases (assembly/train.ts bn_phase, bn_reduce), each phase a pool job; two nodes, a dropout between them,
    // batches of 9 rows (3/2/2/2) and a last one of 4 (1/1/1/1)
    name: 'conv with two batchNorms and dropout, in shards (the batch statistics over every shard)',
    spec: {
      inputShape: [8, 8, 1],
      encoder: [
        { type: 'conv2d', filters: 6, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'batchNorm' },
        { type: 'dropout', rate: 0.2 }, { type: 'conv2d', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' },
      ],
      decoder: [
        { type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same' }, { type: 'batchNorm', momentum: 0.8 },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' },
      ],
      loss: 'bce', normalize: 'none', seed: 12,
    } as Spec,
    rows: 31,
    fit: { epochs: 2, batchSize: 9, optimizer: 'adam', learningRate: 5e-3 },
  },
  {
    name: 'conv1d with an L1 penalty on its code, in shards',
    spec: {
      inputShape: [12, 2],
      encoder: [{ type: 'conv1d', filters: 6, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool1d', pool: 2 }],
      decoder: [{ type: 'upSampling1d', size: 2 }, { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }],
      loss: 'mse', sparsity: { l1: 1e-2 }, seed: 10,
    } as Spec,
    rows: 50,
    fit: { epochs: 2, batchSize: 12, optimizer: 'momentum', momentum: 0.9, learningRate: 1e-2 },
  },
  {
    // sparse KL in shards: the code's column means are the batch's, the shards' column sums added between the forward
    // and the backward (assembly/train.ts kl_reduce, the PH_KL phase), after a batchNorm's phases; a code of 6 x 8 = 48
    // values, wider than the input's 24
    name: 'conv1d with a sparse KL penalty on a wide code and a batchNorm, in shards',
    spec: {
      inputShape: [12, 2],
      encoder: [
        { type: 'conv1d', filters: 6, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'batchNorm' },
        { type: 'conv1d', filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'sigmoid' },
      ],
      decoder: [{ type: 'conv1dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'tanh' }, { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }],
      loss: 'mse', sparsity: { kl: { rho: 0.1, weight: 0.3 } }, seed: 13,
    } as Spec,
    rows: 45,
    fit: { epochs: 2, batchSize: 11, optimizer: 'adam', learningRate: 5e-3 },
  },
  {
    // each epoch's members train on the threads' lanes, a member whole on one thread (assembly/threads.ts
    // JOB_MEMBERS: 5 members, so a thread takes several, and 4 threads leave one lane a single member), and
    // the latent density term's nearest codes go through the pool by ranges of four rows (JOB_KNN): fit()'s
    // statistic rows (their own codes skipped) and score()'s rows, 150 of them (a tail of 2)
    name: 'subsample ensemble with its density term (members on lanes, the nearest codes by rows)',
    spec: { inputDim: 11, layers: [9, 8], normalize: 'standard', ensemble: { members: 5, rows: 60, density: 37 }, seed: 21 },
    rows: 150,
    fit: { epochs: 3, batchSize: 16 },
  },
  {
    // a training dropout node's masks go through the pool in ranges of rows (threads.ts JOB_DRAWS), each range drawing at
    // its first row's place in the dropout stream: 21 units a row, so a range's fours of draws are not a single pass's
    name: 'dense with dropout (the masks by row ranges)',
    spec: { inputShape: [37], encoder: [{ type: 'dense', units: 21, activation: 'relu' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 6 }],
      decoder: [{ type: 'dense', units: 20, activation: 'relu' }, { type: 'dense', units: 37 }], seed: 22 },
    rows: 70,
    fit: { epochs: 2, batchSize: 23, optimizer: 'adam', learningRate: 3e-3 },
  },
  {
    // the sampling node's normals by row ranges too (JOB_DRAWS), 7 units a row: a four and a tail each
    name: 'VAE of 7 latent units (the sampling by row ranges)',
    spec: { inputDim: 23, layers: [19, 7], variational: { beta: 0.5 }, seed: 23 },
    rows: 90,
    fit: { epochs: 2, batchSize: 16, optimizer: 'adam', learningRate: 3e-3 },
  },
  {
    name: 'VAE (beta 1, sampling noise from the wasm stream)',
    spec: { inputDim: 23, layers: [19, 4], variational: { beta: 1 }, seed: 9 },
    rows: 90,
    fit: { epochs: 3, batchSize: 16, optimizer: 'adam', learningRate: 3e-3 },
  },
];

describe('threads: the same bytes for 1, 2, 3 and 4 threads', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const cols = 'inputShape' in c.spec && c.spec.inputShape ? c.spec.inputShape.reduce((a, b) => a * b, 1) : (c.spec as { inputDim: number }).inputDim;
      const x = await randomMatrix(c.rows, cols, { seed: 11 });
      const seen: Record<string, string>[] = [];
      for (const threads of [1, 2, 3, 4]) {
        const ae = await make(c.spec, threads, c.minWork);
        const h = await ae.fit(x, c.fit);
        const out = {
          save: hex(ae.save()),
          history: hex(new Float64Array([...h.loss, ...h.valLoss])),
          score: hex(ae.score(x)),
          encode: hex(ae.encode(x)),
          reconstruct: hex(ae.reconstruct(x)),
        };
        // and a threaded load of the 1-thread file scores alike
        const back = await Autoencoder.load(ae.save(), { threads });
        expect(hex(back.score(x)), `${threads} threads: load().score()`).toBe(out.score);
        back.dispose();
        ae.dispose();
        seen.push(out);
      }
      for (let i = 1; i < seen.length; i++) {
        for (const k of Object.keys(seen[0]!)) expect(seen[i]![k], `${i + 1} threads vs 1: ${k}`).toBe(seen[0]![k]);
      }
    });
  }
});

describe('threads: a conv model\'s shards (the create option), the same bytes for 1, 2, 3 and 6 threads', () => {
  // (assembly/train.ts net_grads: a batch's shards are the model's count, not 4, and each is a pool unit, so up to that many
  // threads work on a batch. 1 shard: the batch in one unit; 8: more shards than 6 threads; 16 of batches of 16 and of 5
  // rows: a shard per row, and shards with no row.) The bytes depend on the count and never on the threads.
  const conv = CASES.find((c) => c.name.startsWith('conv (conv2d'))!, uneven = CASES.find((c) => c.name.startsWith('conv, uneven'))!;
  const vae = CASES.find((c) => c.name.startsWith('conv VAE'))!, bn = CASES.find((c) => c.name.startsWith('conv with two batchNorms'))!;
  const kl = CASES.find((c) => c.name.startsWith('conv1d with a sparse KL'))!;
  for (const [c, shards] of [[conv, 1], [conv, 8], [conv, 16], [uneven, 16], [vae, 3], [vae, 16], [bn, 5], [bn, 16], [kl, 3], [kl, 16]] as const) {
    it(`${c.name.replace(/ \(.*/, '')}: ${shards} shard${shards > 1 ? 's' : ''}, batches of ${c.fit.batchSize}`, async () => {
      const x = await randomMatrix(c.rows, c.spec.inputShape!.reduce((a, b) => a * b, 1), { seed: 11 });
      const seen: string[][] = [];
      for (const threads of [1, 2, 3, 6]) {
        const ae = await make(c.spec, threads, 0, shards);
        const h = await ae.fit(x, c.fit);
        seen.push([hex(ae.save()), hex(new Float64Array(h.loss)), hex(ae.score(x)), hex(ae.reconstruct(x))]);
        ae.dispose();
      }
      for (let i = 1; i < seen.length; i++) expect(seen[i], `${[1, 2, 3, 6][i]} threads vs 1`).toEqual(seen[0]);
      // the count is the fit's: the default 4 shards sum the batch's gradients in another order, so other weights' bits
      const four = await make(c.spec, 1);
      await four.fit(x, c.fit);
      expect(hex(four.save())).not.toBe(seen[0]![0]);
      four.dispose();
    });
  }
});

describe('a conv model\'s shards in its file', () => {
  const conv = CASES.find((c) => c.name.startsWith('conv (conv2d'))!;
  /** The header's JSON of a model file (bindings/format.ts: its length at byte 20, the JSON from byte 24). */
  const header = (file: Uint8Array) => JSON.parse(new TextDecoder().decode(file.subarray(24, 24 + new DataView(file.buffer, file.byteOffset).getUint32(20, true)))) as Record<string, unknown>;
  it('save() keeps a count other than 4, and load() trains on in it unless told another; AutoencoderLite keeps it too', async () => {
    const x = await randomMatrix(conv.rows, 100, { seed: 11 });
    const a = await make(conv.spec, 2, 0, 8);
    await a.fit(x, conv.fit);
    const file = a.save();
    a.dispose();
    expect(header(file).shards).toBe(8);
    for (const [opts, count] of [[undefined, 8], [{ shards: 2 }, 2]] as const) {
      const m = await Autoencoder.load(file, opts);
      expect(m.shards, 'the loaded model\'s count').toBe(count);
      m.dispose();
    }
    // (the oracle: the same file loaded with the count given; 4 shards sum the gradients in another order)
    const more = { ...conv.fit, epochs: 1 };
    const fits: string[] = [];
    for (const opts of [{ threads: 3 }, { shards: 8 }, { shards: 4 }]) {
      const b = await Autoencoder.load(file, opts);
      await b.fit(x, more);
      fits.push(hex(b.save()));
      b.dispose();
    }
    expect(fits[0]).toBe(fits[1]);
    expect(fits[2]).not.toBe(fits[1]);
    const lite = await AutoencoderLite.load(file);
    expect(hex(lite.save())).toBe(hex(file));
    lite.dispose();
    // the default count writes no key (files as before the option), nor does a model that does not train in shards
    const four = await make(conv.spec, 1);
    expect(header(four.save()).shards).toBeUndefined();
    expect(four.shards).toBe(4);
    four.dispose();
    const dense = await make({ inputDim: 5, layers: [4, 2] }, 1, 0, 8);
    expect(header(dense.save()).shards).toBeUndefined();
    expect(dense.shards).toBe(null);
    dense.dispose();
  });
});

describe('threads: the density term\'s k-d index on the pool', () => {
  it('codes near a manifold: fit()\'s statistic rows and score()\'s rows walk the index by ranges of rows, the same bytes for 1-4 threads', async () => {
    // 1,200 rows of 11 columns on a 2-D manifold: about 960 reference codes in 30 leaves, which the
    // index's probe walks (its state word 1); JOB_KNN's ranges then walk it on every thread
    let st = 17;
    const r = () => { st = (Math.imul(st, 1664525) + 1013904223) >>> 0; return st / 2 ** 32; };
    const n = 1200, D = 11, x = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const a = r() * 2 - 1, b = r() * 2 - 1;
      for (let j = 0; j < D; j++) x[i * D + j] = a * Math.cos(j) + b * Math.sin(j * 0.7) + a * b * (j % 3) + 0.01 * (r() - 0.5);
    }
    const spec: Spec = { inputDim: D, layers: [9, 6], normalize: 'standard', ensemble: { members: 3, rows: 200, density: 4096 }, seed: 31 };
    const seen: string[][] = [];
    for (const threads of [1, 2, 3, 4]) {
      const ae = await make(spec, threads);
      await ae.fit(x, { epochs: 3, batchSize: 32 });
      const k = (ae as unknown as { k: { kd: number; getI32(p: number): number } }).k;
      expect(k.getI32(k.kd), `${threads} threads: the index is walked`).toBe(1);
      seen.push([hex(ae.save()), hex(ae.score(x))]);
      ae.dispose();
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i], `${i + 1} threads vs 1`).toEqual(seen[0]);
  });
});

/** Waits (polling, at most 10 s) until the pool's workers have exited; returns the count still alive. */
async function settle(pool: PoolHandle): Promise<number> {
  for (let i = 0; i < 200 && pool.debug.live() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return pool.debug.live();
}

describe('threads: lifetime and failures', () => {
  const spec: Spec = { inputDim: 40, layers: [32, 6], seed: 2 };
  // a conv model (data-parallel shards: a worker fails inside a shard of the batch, not a product's tile)
  const convSpec = {
    inputShape: [4, 10, 1],
    encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d', pool: 2 }],
    decoder: [{ type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }],
    seed: 2,
  } as Spec;
  // an ensemble (its members' epochs on the threads' lanes: a worker fails inside a member's epoch)
  const ensSpec: Spec = { inputDim: 40, layers: [32, 6], normalize: 'standard', ensemble: { members: 4, rows: 60, density: 16 }, seed: 2 };

  for (const [model, ms] of [['dense', spec], ['conv, in shards', convSpec], ['ensemble, on lanes', ensSpec]] as const) it(`dispose() during a threaded fit (${model}) rejects it and leaves no worker running`, async () => {
    const x = await randomMatrix(200, 40, { seed: 1 });
    const ae = await make(ms, 3);
    const pool = poolOf(ae)!;
    expect(pool.debug.live()).toBe(2);
    let epochs = 0;
    const fit = ae.fit(x, { epochs: 50, batchSize: 20, onEpoch: () => { if (++epochs === 2) ae.dispose(); } });
    await expect(fit).rejects.toThrow(/disposed during fit/);
    expect(epochs).toBe(2);
    expect(await settle(pool)).toBe(0);
  });

  for (const [how, model, ms] of [['trap', 'dense', spec], ['terminate', 'dense', spec], ['trap', 'conv', convSpec], ['trap', 'ensemble', ensSpec]] as const) {
    it(`a worker that ${how === 'trap' ? 'traps in its share' : 'is terminated'} mid-fit (${model}) rejects the fit, restores the weights, stops every worker; the model goes on with one thread`, async () => {
      const x = await randomMatrix(160, 40, { seed: 4 });
      const ae = await make(ms, 3);
      await ae.fit(x, { epochs: 1, batchSize: 16 });
      const before = hex(ae.save());
      const pool = poolOf(ae)!;
      let epochs = 0;
      // (a trapping worker fails at the next run of units it takes, in epoch 3: while it is set to trap
      // the other threads leave every run to it, however slowly it wakes on a loaded machine)
      const fit = ae.fit(x, {
        epochs: 50, batchSize: 16,
        onEpoch: () => {
          if (++epochs !== 2) return;
          if (how === 'trap') pool.debug.trapAt(2);
          else pool.debug.terminate(1);
        },
      });
      const e = await fit.catch((err: unknown) => err);
      expect(e).toBeInstanceOf(AutoencoderError);
      expectMessage(e, how === 'trap' ? /worker 2 (crashed|failed)/ : /worker 1 was terminated/, /fit\(\) puts the weights back as they were/, /now runs on one thread/);
      expect(epochs).toBeGreaterThanOrEqual(2);
      expect(epochs).toBeLessThan(50);
      expect(hex(ae.save()), 'the weights as before the failed fit').toBe(before);
      expect(poolOf(ae)).toBeNull();
      expect(await settle(pool)).toBe(0);
      // the weights are those of a model that never had threads, and it goes on training on one thread
      // (its rng streams moved on during the failed fit, as after any failed fit, so a refit is not compared)
      const ref = await Autoencoder.create(ms);
      await ref.fit(x, { epochs: 1, batchSize: 16 });
      expect(hex(ref.save())).toBe(before);
      expect(hex(ae.score(x))).toBe(hex(ref.score(x)));
      const h = await ae.fit(x, { epochs: 2, batchSize: 16 });
      expect(h.loss.every(Number.isFinite)).toBe(true);
      expect(poolOf(ae)).toBeNull();
      ae.dispose();
      ref.dispose();
    });
  }

  it('an idle threaded model burns no CPU after fit(), whose epochs let the workers poll without blocking: also when the main thread trapped mid-epoch', async () => {
    const x = await randomMatrix(160, 40, { seed: 5 });
    const ae = await make(spec, 2);
    const pool = poolOf(ae)!;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // a worker polls SPIN times (microseconds) before it blocks; one that never blocks would use 400 ms of CPU here
    const idleMs = async () => { await sleep(50); const c0 = process.cpuUsage(); await sleep(400); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
    await ae.fit(x, { epochs: 2, batchSize: 16 });
    expect(await idleMs()).toBeLessThan(100);
    // (debug: the main thread traps at the next run it takes, inside an epoch, so the epoch's flag is
    // never cleared by the kernel; fit() clears it as it ends: PoolHandle.settle)
    const before = hex(ae.save());
    pool.debug.trapAt(0);
    const e = await ae.fit(x, { epochs: 2, batchSize: 16 }).catch((err: unknown) => err);
    pool.debug.trapAt(-1);
    expect(e).toBeInstanceOf(Error);
    expect(await idleMs()).toBeLessThan(100);
    // and the model goes on as it was: its weights, and its scores those of a 1-thread model with them
    expect(hex(ae.save())).toBe(before);
    const ref = await Autoencoder.load(ae.save());
    expect(hex(ae.score(x))).toBe(hex(ref.score(x)));
    ae.dispose();
    ref.dispose();
  });

  it("threads beyond a sharded model's shards (4, or the create option's) block between its epoch's jobs instead of polling through them, with the same bytes", async () => {
    // (assembly/threads.ts pool_hot: during a training epoch threads t < P_HOT poll for the next job without blocking; for a
    // conv model, whose batches are 4 shard units, that is at most 4 threads, so threads: 'auto' on a machine of many cores
    // leaves the rest asleep. Sampled in the host's turns between the epoch's calls of about 50 ms: epochs of a few hundred ms
    // here, so that each has several calls.)
    const conv = CASES.find((c) => c.name.startsWith('conv (conv2d'))!;
    // (with the create option shards, at most that many: 8 shards keep all 6 threads polling, 2 shards only 2 of 3)
    const convFit = { epochs: 2, batchSize: 16, optimizer: 'adam', learningRate: 5e-3 };
    const cases: [string, Spec, number, number, Record<string, unknown>, number?][] = [
      ['conv', conv.spec, 6, 4, convFit],
      ['conv, 8 shards', conv.spec, 6, 6, convFit, 8],
      ['conv, 2 shards', conv.spec, 3, 2, convFit, 2],
      ['dense', { inputDim: 100, layers: [256, 8], seed: 3 }, 3, 3, { epochs: 2, batchSize: 32 }],
    ];
    for (const [name, sp, threads, polling, fitOpts, shards] of cases) {
      const x = await randomMatrix(name.startsWith('conv') ? 6000 : 40000, 100, { seed: 12 });
      const ae = await make(sp, threads, 512, shards);
      const ref = await make(sp, 1, 0, shards);
      const pool = poolOf(ae)!;
      const seen = new Set<number>();
      const timer = setInterval(() => seen.add(pool.debug.hot()), 1);
      await ae.fit(x, fitOpts);
      clearInterval(timer);
      expect(seen.has(polling), `${name} on ${threads} threads: sampled ${[...seen]}`).toBe(true);
      expect(Math.max(...seen), name).toBe(polling);
      expect(pool.debug.hot(), name).toBe(0);
      await ref.fit(x, fitOpts);
      expect(hex(ae.save()), name).toBe(hex(ref.save()));
      ae.dispose();
      ref.dispose();
    }
  });

  it('a process with threaded models exits on its own (workers are unref\'d), with or without dispose()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ae-threads-'));
    const script = join(dir, 'run.mjs');
    writeFileSync(script, `
      import { Autoencoder, randomMatrix } from ${JSON.stringify(`${ROOT}dist/bindings/node.js`)};
      const x = await randomMatrix(64, 40, { seed: 1 });
      const kept = await Autoencoder.create({ inputDim: 40, layers: [32, 6], seed: 2 }, { threads: 2 });
      await kept.fit(x, { epochs: 2 });
      const gone = await Autoencoder.create({ inputDim: 40, layers: [32, 6], seed: 2 }, { threads: 2 });
      await gone.fit(x, { epochs: 1, onEpoch: () => gone.dispose() }).catch((e) => console.log(e.message));
      console.log('done', kept.score(x).length);
    `);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.error, 'the process must exit by itself within 30 s').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/disposed during fit/);
    expect(r.stdout).toMatch(/done 64/);
  });
  it.skipIf(process.platform !== 'linux')('a create() refused as too large stops the workers it started (each stayed, a thread for good)', () => {
    // (a child process of its own, whose threads /proc/self/task counts: the workers of 5 refused creates against a
    // baseline taken after one threaded model was made and disposed, so every thread started lazily is there already)
    const dir = mkdtempSync(join(tmpdir(), 'ae-threads-'));
    const script = join(dir, 'run.mjs');
    writeFileSync(script, `
      import { readdirSync } from 'node:fs';
      import { Autoencoder } from ${JSON.stringify(`${ROOT}dist/bindings/node.js`)};
      const count = () => readdirSync('/proc/self/task').length;
      const settle = async (n) => { for (let i = 0; i < 100 && count() > n; i++) await new Promise((r) => setTimeout(r, 50)); return count(); };
      (await Autoencoder.create({ inputDim: 8, layers: [4, 2] }, { threads: 3 })).dispose();
      const base = await settle(0);
      for (let i = 0; i < 5; i++) {
        const e = await Autoencoder.create({ inputDim: 1 << 20, layers: [4096, 64], ensemble: false }, { threads: 3 }).catch((err) => err);
        if (!/this model is too large/.test(e?.message)) throw new Error('expected the too-large error, got ' + e);
      }
      console.log('threads', base, await settle(base));
    `);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const [, base, after] = /threads (\d+) (\d+)/.exec(r.stdout)!;
    expect(Number(after), 'threads after 5 refused creates of 3 threads each').toBe(Number(base));
  });
});

describe('threads: options', () => {
  const spec: Spec = { inputDim: 4, layers: [3, 2] };
  it('refuses a bad threads value, naming the valid ones', async () => {
    for (const bad of [0, 1.5, -2, 257, 'many', null]) {
      const e = await Autoencoder.create(spec, { threads: bad as never }).catch((err: unknown) => err);
      expectMessage(e, /threads must be an integer from 1 to 256 or 'auto'/);
    }
  });
  it('refuses a bad shards value (and an unknown key) on one thread or more, naming the valid ones; a dense model takes a good one and ignores it', async () => {
    // (and an unknown key, also where the options go to the pool's module)
    for (const threads of [1, 2]) expectMessage(await Autoencoder.create(spec, { threads, shard: 8 } as never).catch((err: unknown) => err), /unknown option "shard"/, /wasm, threads, shards/);
    const one = await Autoencoder.create(spec), file = one.save();
    one.dispose();
    for (const bad of [0, 1.5, -2, 17, '4', null, 'auto']) {
      for (const threads of [1, 2]) {
        const e = await Autoencoder.create(spec, { threads, shards: bad as never }).catch((err: unknown) => err);
        expectMessage(e, /shards must be an integer from 1 to 16/, /default 4/);
        const f = await Autoencoder.load(file, { threads, shards: bad as never }).catch((err: unknown) => err);
        expectMessage(f, /shards must be an integer from 1 to 16/);
      }
      // AutoencoderLite never trains, but a bad value is still an error, not silently dropped
      expectMessage(await AutoencoderLite.load(file, { shards: bad as never }).catch((err: unknown) => err), /shards must be an integer from 1 to 16/);
    }
    const lite = await AutoencoderLite.load(file, { shards: 8 });
    expect(lite.score(new Float32Array(4))[0]).toBeGreaterThanOrEqual(0);
    lite.dispose();
    const x = await randomMatrix(50, 4, { seed: 2 });
    const a = await make(spec, 2, 0, 16), b = await make(spec, 1);
    await a.fit(x, { epochs: 2 });
    await b.fit(x, { epochs: 2 });
    expect(hex(a.save())).toBe(hex(b.save()));
    a.dispose();
    b.dispose();
  });
  it("runs the pool's cases on build/kernels-mt-test.wasm: the shipped threaded kernels' exports, with the asserts live", async () => {
    const shipped = readFileSync(`${ROOT}dist/build/kernels-mt.wasm`), test = readFileSync(`${ROOT}build/kernels-mt-test.wasm`);
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name).sort();
    expect(names(await MT_TEST)).toEqual(names(await WebAssembly.compile(shipped)));
    expect(test.length).toBeGreaterThan(shipped.length);   // the checks' code
  });
  it('refuses the single-threaded kernels.wasm as the wasm of a threaded model', async () => {
    const single = await WebAssembly.compile(readFileSync(`${ROOT}dist/build/kernels.wasm`));
    const e = await Autoencoder.create(spec, { threads: 2, wasm: single }).catch((err: unknown) => err);
    expectMessage(e, /the wasm option must be the compiled kernels-mt\.wasm/, /single-threaded build/);
    const mt = await WebAssembly.compile(readFileSync(`${ROOT}dist/build/kernels-mt.wasm`));
    const ae = await Autoencoder.create(spec, { threads: 2, wasm: mt });
    expect(poolOf(ae)?.threads).toBe(2);
    ae.dispose();
  });
  it("threads: 1 starts no worker; 'auto' takes the core count", async () => {
    const one = await Autoencoder.create(spec, { threads: 1 });
    expect(poolOf(one)).toBeNull();
    one.dispose();
    const { availableParallelism } = await import('node:os');
    const auto = await Autoencoder.create(spec, { threads: 'auto' });
    expect(poolOf(auto)?.threads ?? 1).toBe(availableParallelism());
    auto.dispose();
  });
  it("where the pool cannot be loaded (workerd, a bundle without threads.js): threads > 1 is a clear error, 'auto' is one thread", async () => {
    const { readFileSync } = await import('node:fs');
    const single = WebAssembly.compile(readFileSync(`${ROOT}dist/build/kernels.wasm`));
    const mt = WebAssembly.compile(readFileSync(`${ROOT}dist/build/kernels-mt.wasm`));
    try {
      setWasmLoader(() => single, () => Promise.reject(new TypeError('Invalid URL string.')));
      const e = await Autoencoder.create(spec, { threads: 2 }).catch((err: unknown) => err);
      expectMessage(e, /threads: 2 needs dist\/bindings\/threads\.js, which did not load here \(Invalid URL string\.\); use threads: 1 \(workerd runs one thread\)/);
      // a bad value is named as such there too, not as a count it cannot run
      for (const bad of [0, 2.5, 257, '2', null]) {
        const b = await Autoencoder.create(spec, { threads: bad as unknown as number }).catch((err: unknown) => err);
        expectMessage(b, /^threads must be an integer from 1 to 256 or 'auto' \(the core count\), got /);
      }
      const auto = await Autoencoder.create(spec, { threads: 'auto' });
      expect(poolOf(auto)).toBeNull();
      auto.dispose();
    } finally {
      // back to the node entry's loaders (the threads module by its default computed import)
      setWasmLoader(() => single, () => import('../dist/bindings/threads.js'));
    }
    const ae = await Autoencoder.create(spec, { threads: 2, wasm: await mt });
    expect(poolOf(ae)?.threads).toBe(2);
    ae.dispose();
  });
});
