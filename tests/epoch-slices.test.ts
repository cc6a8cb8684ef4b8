// epoch-slices.test.ts: fit() runs an epoch in several calls into wasm (whole batches, about 50 ms each) and gives
// the host its turn between them (bindings/index.ts fit, assembly/train.ts train_rows), so that an abort, a timer or a
// browser's frame waits for a call rather than an epoch. The claims, each against an oracle that does not use the cut:
//  - the bits do not depend on where an epoch is cut: a model whose epochs run in one call each (the kernel's export
//    wrapped to run the whole epoch at the first call, as before the cut existed) and models whose calls are cut
//    again at random batch boundaries (fast-check) must save the same bytes and report the same history, for each
//    kind of model and training option, and on 2 threads against 1;
//  - inside an epoch (the calls made slow, so that the host gets a turn after each): an abort or a dispose() from a
//    timer ends fit() there, before the epoch's onEpoch, and the model is as a twin that never fitted;
//  - what the host runs in such a turn sees the model of the last completed epoch (the bytes onEpoch saw, or those
//    before fit()), including a conditional VAE's reads, which point the kernels at their own condition rows and draw
//    samples; and the fit then ends with the bytes of a twin that was never read;
//  - an epoch's `ms` leaves out the host's turns;
//  - an ensemble's epoch is cut between members, and its statistics after a pass between members too (ensemble.ts
//    ens_epoch, ens_stats): the same claims, with reads in both passes and between the statistics' calls;
//  - each member's statistics run in parts cut by rows or features, and the density term at the end in parts cut by
//    rows (ens_stats, density.ts dens_fit): the bytes of each computed whole wherever the calls are cut, reads between
//    the density term's calls, an abort there; the cleaning pass's scores from the first pass's statistics are the
//    bits of running those rows through the members;
//  - fit()'s setup (the blocks it writes before the first epoch, zeroed in pieces) gives the host its turns too: reads
//    there see the model before fit() (an ensemble's second pass: the first pass's), an abort there loses nothing.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Autoencoder, type AutoencoderSpec, type FitOptions, type History } from 'autoencoder';
import { Autoencoder as DistAutoencoder } from '../dist/bindings/node.js';
import { expectTwinFits, getF32, kernelOf, rejected, wrapExport, type ExportCall } from './helpers.js';
import { make, type Spec } from './threads-pool.js';

type Model = Autoencoder | DistAutoencoder;

/** Where an export cuts an epoch: its [from, to) arguments at `at`, `at + 1`, of units up to end(a), `step(a)` a unit's width. */
interface Cut { name: string; at: number; end: (a: number[]) => number; step: (a: number[]) => number }
// (ae_train_epoch's arguments: ctx, x, t, n, perm, shuffle, batch, from, to: rows, whole batches)
const ROWS: Cut = { name: 'ae_train_epoch', at: 7, end: (a) => a[3]!, step: (a) => a[6]! };
// (ae_ens_epoch's: ctx, x, perms, R, K, batch, k0, k1, keep: an ensemble's members)
const MEMBERS: Cut = { name: 'ae_ens_epoch', at: 6, end: (a) => a[4]!, step: () => 1 };
// (ae_ens_stats's: ctx, x, S, stats, idx, e, tmp, rec, k0, k1, part, a, b: an ensemble's statistics after a pass, members)
const STATS: Cut = { name: 'ae_ens_stats', at: 8, end: () => NaN, step: () => 1 };
// (the same calls' [a, b): a part of those members' statistics, rows or features (part 3 takes none), or in part 4 the
// rows whose scores the first pass's recM give)
const STATS_PARTS: Cut = { name: 'ae_ens_stats', at: 11, end: () => NaN, step: () => 1 };
// (ae_dens_fit's: ctx, xn, n, dens, Rmax, L, sidx, S, scores, tmp, ridx, z, t, part, a, b: the density term at the end of
// fit, its parts; 1 and 3 take rows a..b-1, the others none)
const DENS: Cut = { name: 'ae_dens_fit', at: 14, end: () => NaN, step: () => 1 };
const callOn = (real: (...a: number[]) => number, a: number[], c: Cut, from: number, to: number) => real(...a.slice(0, c.at), from, to, ...a.slice(c.at + 2));

/** Puts `how` in front of the model's epoch export until it is disposed; returns the [from, to) of every call fit() makes. */
function route(ae: Model, how: ExportCall, c = ROWS): number[][] {
  const calls: number[][] = [];
  wrapExport(ae, c.name, (real, a) => { calls.push([a[c.at]!, a[c.at + 1]!]); return how(real, a); });
  return calls;
}

/** Each epoch in one call, whatever fit() asks (the call from 0 runs it to the end; the call to the end returns its loss). */
function whole(ae: Model, c = ROWS): number[][] {
  let loss = 0;
  return route(ae, (real, a) => {
    if (a[c.at] === 0) loss = callOn(real, a, c, 0, c.end(a));
    return a[c.at + 1] === c.end(a) ? loss : 0;
  }, c);
}

/** Every call cut again after the units `cuts` marks (read in turn, round and round). */
function recut(ae: Model, cuts: boolean[], c = ROWS): number[][] {
  let at = 0;
  const runs: number[][] = [];
  route(ae, (real, a) => {
    const [from, to, step] = [a[c.at]!, a[c.at + 1]!, c.step(a)];
    if (from >= to) return real(...a);   // (a part of no rows)
    let r = 0;
    for (let s = from; s < to;) {
      let e = Math.min(to, s + step);
      while (e < to && !cuts[at++ % cuts.length]) e = Math.min(to, e + step);
      runs.push([s, e]);
      r = callOn(real, a, c, s, e);
      s = e;
    }
    return r;
  }, c);
  return runs;
}

/** Each call followed by a busy wait, so that fit() gives the host its turn after it (every 25 ms). */
function slow(ae: Model, ms = 30, c = ROWS): number[][] {
  return route(ae, (real, a) => {
    const r = real(...a);
    const until = performance.now() + ms;
    while (performance.now() < until) { /* the call took this long */ }
    return r;
  }, c);
}

/**
 * fit() with an interval of 1 ms that, while `active()`, saves the model and checks it against the bytes onEpoch last saw
 * (or those before fit()); returns how many such reads ran and the epochs. No read may have seen other bytes.
 */
async function fitWithReads(ae: Model, x: Float32Array, fit: FitOptions, active: () => boolean): Promise<{ reads: number; epochs: number }> {
  let expected = ae.save(), epochs = 0, reads = 0;
  const failures: unknown[] = [];
  const timer = setInterval(() => {
    if (!active()) return;
    reads++;
    try {
      expect(ae.save()).toEqual(expected);
    } catch (e) {
      failures.push(e);
    }
  }, 1);
  try {
    await (ae as Autoencoder).fit(x, { ...fit, onEpoch: () => { epochs++; expected = ae.save(); } });
  } finally {
    clearInterval(timer);
  }
  expect(failures).toEqual([]);
  return { reads, epochs };
}

/**
 * A fresh model whose calls of the export `c` are made slow, aborted from a timer once the first of them ran: fit()
 * must reject with an AbortError after `epochs` epochs, the model as a twin's that never fitted, and the next fit as
 * the twin's.
 */
async function expectAbortIn(spec: AutoencoderSpec, x: Float32Array, fit: FitOptions, c: Cut, epochs: number, what: string): Promise<void> {
  const fresh = await Autoencoder.create(spec), unfitted = await Autoencoder.create(spec);
  let started = false, epochsSeen = 0;
  slow(fresh, 30, c);
  route(fresh, (real, a) => { started = true; return real(...a); }, c);
  const ac = new AbortController();
  const aborter = setInterval(() => { if (started) ac.abort(); }, 1);
  const e = await rejected(() => fresh.fit(x, { ...fit, signal: ac.signal, onEpoch: () => { epochsSeen++; } }));
  clearInterval(aborter);
  expect((e as Error).name).toBe('AbortError');
  expect(epochsSeen, what).toBe(epochs);
  expect(fresh.save()).toEqual(unfitted.save());
  await expectTwinFits(fresh, unfitted, x, fit);
  fresh.dispose();
  unfitted.dispose();
}

const rows = (n: number, d: number, seed: number) => Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.37 + seed) * Math.cos(i * 0.11 * seed) + 0.2 * Math.sin(i));
const oneHot = (n: number, K: number) => Float32Array.from({ length: n * K }, (_, i) => (i % K === Math.floor(i / K) % K ? 1 : 0));
const clean = (h: History) => JSON.parse(JSON.stringify(h, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) as unknown;

interface Case { name: string; spec: AutoencoderSpec; fit: FitOptions; n: number; cond?: number }
const CASES: Case[] = [
  { name: 'dense, adam, validation, early stopping', spec: { inputDim: 12, layers: [10, 3], seed: 2, ensemble: false }, fit: { epochs: 4, batchSize: 8, validationSplit: 0.2, earlyStopping: { patience: 2 } }, n: 90 },
  { name: 'dense, gaussian noise, momentum, no shuffle', spec: { inputDim: 12, layers: [9, 4], activation: 'tanh', seed: 3, ensemble: false }, fit: { epochs: 3, batchSize: 7, optimizer: 'momentum', shuffle: false, noise: { gaussian: 0.2, clip: [-1, 1] } }, n: 75 },
  { name: 'dense graph with batchNorm and dropout, adamw, targets', spec: { inputShape: [12], encoder: [{ type: 'dense', units: 10, activation: 'relu' }, { type: 'batchNorm' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 3 }], decoder: [{ type: 'dense', units: 12 }], seed: 4 }, fit: { epochs: 3, batchSize: 9, optimizer: 'adamw', validationSplit: 0.1 }, n: 80 },
  { name: 'sparse (KL), salt-and-pepper', spec: { inputDim: 10, layers: [8, 4], latentActivation: 'sigmoid', sparsity: { kl: { rho: 0.2, weight: 0.5 } }, seed: 5, ensemble: false }, fit: { epochs: 3, batchSize: 10, noise: { saltPepper: 0.1 } }, n: 70 },
  { name: 'contractive, sgd', spec: { inputDim: 10, layers: [7, 3], contractive: 0.1, seed: 6, ensemble: false }, fit: { epochs: 3, batchSize: 6, optimizer: 'sgd' }, n: 50 },
  { name: 'VAE (beta 2), masking noise', spec: { inputDim: 14, layers: [9, 3], loss: 'bce', normalize: 'minmax', variational: { beta: 2 }, seed: 7 }, fit: { epochs: 3, batchSize: 8, noise: { mask: 0.2 } }, n: 64 },
  { name: 'conditional VAE', spec: { inputDim: 10, layers: [7, 2], variational: { beta: 1 }, conditionDim: 3, seed: 8 }, fit: { epochs: 3, batchSize: 6, validationSplit: 0.2 }, n: 60, cond: 3 },
  { name: 'conv2d in shards, batchNorm, dropout, bce', spec: { inputShape: [8, 8, 1], encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'batchNorm' }, { type: 'maxPool2d', pool: 2 }, { type: 'dropout', rate: 0.25 }], decoder: [{ type: 'conv2dTranspose', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }], loss: 'bce', normalize: 'minmax', seed: 9 }, fit: { epochs: 2, batchSize: 12 }, n: 60 },
];

async function fitCase(ae: Model, c: Case, x: Float32Array, extra: FitOptions = {}): Promise<{ bytes: Uint8Array; history: unknown }> {
  const co = c.cond ? { condition: oneHot(c.n, c.cond) } : {};
  // (a denoising-pairs case: the target is x itself, given, which takes the separate-target path)
  const target = c.name.includes('targets') ? { target: x.slice() } : {};
  const history = await (ae as Autoencoder).fit(x, { ...c.fit, ...co, ...target, ...extra });
  return { bytes: ae.save(), history: clean(history) };
}

type Fitted = Awaited<ReturnType<typeof fitCase>>;

/**
 * fit() as it is (its first call `first`, [from, to) of the export `c`) and fits whose calls are cut again at random
 * (fast-check, up to maxCuts marks) must give `want`, the bytes and history of one call an epoch.
 */
async function expectAnyCut(c: Case, x: Float32Array, want: Fitted, cut: Cut, first: number[], maxCuts: number, seed: number): Promise<void> {
  const live = await Autoencoder.create(c.spec);
  const made = route(live, (real, a) => real(...a), cut);
  expect(await fitCase(live, c, x)).toEqual(want);
  expect(made[0]).toEqual(first);
  live.dispose();
  await fc.assert(fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: maxCuts }), async (cuts) => {
    const ae = await Autoencoder.create(c.spec);
    const runs = recut(ae, cuts, cut);
    const got = await fitCase(ae, c, x);
    ae.dispose();
    expect(got.bytes).toEqual(want.bytes);
    expect(got.history).toEqual(want.history);
    // (more calls than epochs: some epoch was cut)
    expect(runs.length).toBeGreaterThan(runs.filter(([from]) => from === 0).length);
  }), { numRuns: 4, seed });
}

describe('an epoch in several calls', () => {
  for (const c of CASES) {
    it(`${c.name}: the bytes and history of one call an epoch, wherever the epochs are cut`, async () => {
      const x = rows(c.n, c.spec.inputDim ?? c.spec.inputShape!.reduce((a, b) => a * b, 1), c.n);
      const oracle = await Autoencoder.create(c.spec);
      whole(oracle);
      const want = await fitCase(oracle, c, x);
      // (fit() as it is: its first epoch starts with a one-batch call, so it is cut too)
      await expectAnyCut(c, x, want, ROWS, [0, c.fit.batchSize!], 12, 20261205);
      oracle.dispose();
    });
  }

  for (const c of [CASES[2]!, CASES[7]!]) {
    it(`${c.name}, 2 threads cut at random: the bytes of 1 thread in one call an epoch`, async () => {
      const x = rows(c.n, c.spec.inputDim ?? c.spec.inputShape!.reduce((a, b) => a * b, 1), c.n);
      const one = await make(c.spec as Spec, 1);
      whole(one);
      const want = await fitCase(one, c, x);
      const two = await make(c.spec as Spec, 2);
      const runs = recut(two, [true, false, false]);
      expect(await fitCase(two, c, x)).toEqual(want);
      expect(runs.length).toBeGreaterThan(2 * (c.fit.epochs ?? 1));
      one.dispose();
      two.dispose();
    });
  }
});

describe("the host's turns inside an epoch", () => {
  const spec: AutoencoderSpec = { inputDim: 10, layers: [8, 3], seed: 11, ensemble: false };
  const x = rows(64, 10, 3);
  const FIT = { epochs: 3, batchSize: 16, validationSplit: 0 } as const;

  it('an abort from a timer ends fit() inside its first epoch, and the model is as a twin that never fitted', async () => {
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    const calls = slow(ae);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    let epochs = 0;
    const e = await rejected(() => ae.fit(x, { ...FIT, signal: ac.signal, onEpoch: () => { epochs++; } }));
    expect((e as Error).name).toBe('AbortError');
    expect(epochs, 'no epoch completed').toBe(0);
    // (the epoch has 4 calls; a timer set in the loop's current turn may run one turn later)
    expect(calls.length, 'the calls before the abort').toBeLessThan(4);
    expect(ae.save()).toEqual(twin.save());
    await expectTwinFits(ae, twin, x, FIT);
    ae.dispose();
    twin.dispose();
  });

  it('dispose() from a timer inside an epoch ends fit() there', async () => {
    const ae = await Autoencoder.create(spec);
    slow(ae);
    setTimeout(() => ae.dispose(), 0);
    let epochs = 0;
    await expect(ae.fit(x, { ...FIT, onEpoch: () => { epochs++; } })).rejects.toThrow(/the model was disposed during fit\(\)/);
    expect(epochs).toBe(0);
    expect(() => ae.score(x)).toThrow(/disposed/);
  });

  // (normalize: the first fit fits the normalizer before its first epoch; a read inside that epoch sees the model before fit())
  const cvae: AutoencoderSpec = { inputDim: 10, layers: [8, 2], variational: { beta: 1 }, conditionDim: 3, normalize: 'standard', seed: 12 };
  for (const threads of [1, 2]) {
    it(`reads in the turns see the last completed epoch's model; the fit ends as a twin's that was never read (a conditional VAE, ${threads} thread(s))`, async () => {
      const c = oneHot(64, 3), probe = x.subarray(0, 50), pc = c.subarray(0, 15);
      const opts = { ...FIT, condition: c };
      const ae = await make(cvae as Spec, threads), twin = await make(cvae as Spec, threads);
      const calls = slow(ae);
      // the oracle: the bytes before fit(), then those onEpoch sees, and a model loaded from them
      const expectAt = async (bytes: Uint8Array) => {
        const m = await DistAutoencoder.load(bytes);
        const r = { bytes, encode: m.encode(probe, { condition: pc }), sample: m.generate(pc, { seed: 3 }) };
        m.dispose();
        return r;
      };
      let expected = await expectAt(ae.save());
      let reads = 0, inFirst = 0, epochs = 0, between = false;
      const failures: unknown[] = [];
      const read = () => {
        if (between) return;   // (onEpoch is taking the next oracle)
        try {
          reads++;
          if (epochs === 0) inFirst++;
          expect(ae.save()).toEqual(expected.bytes);
          expect(ae.encode(probe, { condition: pc })).toEqual(expected.encode);
          expect(ae.generate(pc, { seed: 3 })).toEqual(expected.sample);
          ae.score(probe, { condition: pc, by: 'elbo', seed: 1 });
        } catch (e) {
          failures.push(e);
        }
      };
      const timer = setInterval(read, 1);
      try {
        await ae.fit(x, { ...opts, onEpoch: async () => { between = true; epochs++; expected = await expectAt(ae.save()); between = false; } });
      } finally {
        clearInterval(timer);
      }
      expect(failures).toEqual([]);
      expect(inFirst, 'reads inside the first epoch').toBeGreaterThan(0);
      expect(reads).toBeGreaterThan(epochs);
      expect(calls.length).toBe(3 * 4);
      await twin.fit(x, opts);
      expect(ae.save()).toEqual(twin.save());
      ae.dispose();
      twin.dispose();
    });
  }

  it("an epoch's ms leaves out the host's turns", async () => {
    const ae = await Autoencoder.create(spec);
    slow(ae, 26);
    let busy = 0;
    const timer = setTimeout(() => { const until = performance.now() + 150; while (performance.now() < until) { /* the host's work */ } busy = 150; }, 0);
    const t0 = performance.now();
    let ms = 0, wall = 0;
    await ae.fit(x, { ...FIT, epochs: 1, onEpoch: (info) => { ms = info.ms; wall = performance.now() - t0; } });
    clearTimeout(timer);
    expect(busy, 'the host worked inside the epoch').toBe(150);
    // (counted in, the epoch's ms would be about the whole wall time)
    expect(ms + busy).toBeLessThanOrEqual(wall);
    expect(ms).toBeGreaterThanOrEqual(4 * 26);
    ae.dispose();
  });
});

// An ensemble's epoch is cut between members (assembly/ensemble.ts ens_epoch: each member's whole epoch on its own
// rows; with threads, as many members at once as the model has lanes).
describe("an ensemble's epoch in calls of whole members", () => {
  // (the cleaning pass refits the standard normalizer and trains the members again: two passes of 3 epochs)
  const cleaned: Case = { name: 'cleaning pass, refitted normalizer, density', spec: { inputDim: 8, layers: [6, 2], normalize: 'standard', ensemble: { members: 5, rows: 30, clean: 0.2, density: 16 }, seed: 13 }, fit: { epochs: 3, batchSize: 8 }, n: 60 };
  const noisy: Case = { name: 'gaussian noise, momentum, no cleaning pass', spec: { inputDim: 8, layers: [6, 3], ensemble: { members: 4, rows: 25, clean: 0 }, seed: 14 }, fit: { epochs: 3, batchSize: 5, optimizer: 'momentum', noise: { gaussian: 0.1 } }, n: 50 };
  const passes = (c: Case) => ((c.spec.ensemble as { clean: number }).clean > 0 ? 2 : 1);

  for (const c of [cleaned, noisy]) {
    it(`${c.name}: the bytes and history of one call an epoch, wherever the epochs are cut`, async () => {
      const x = rows(c.n, c.spec.inputDim!, c.n);
      const oracle = await Autoencoder.create(c.spec);
      const oneEach = whole(oracle, MEMBERS);
      const want = await fitCase(oracle, c, x);
      expect(oneEach.filter(([from]) => from === 0).length).toBe(passes(c) * c.fit.epochs!);
      // (fit() as it is: a model's first call is one member)
      await expectAnyCut(c, x, want, MEMBERS, [0, 1], 6, 20261206);
      oracle.dispose();
    });
  }

  for (const threads of [2, 3]) {
    it(`${threads} threads (the members on the lanes) cut at random: the bytes of 1 thread in one call an epoch`, async () => {
      const c = cleaned, x = rows(c.n, c.spec.inputDim!, c.n);
      const one = await make(c.spec as Spec, 1);
      whole(one, MEMBERS);
      const want = await fitCase(one, c, x);
      const many = await make(c.spec as Spec, threads);
      const runs = recut(many, [true, false], MEMBERS);
      expect(await fitCase(many, c, x)).toEqual(want);
      expect(runs.length).toBeGreaterThan(2 * passes(c) * c.fit.epochs!);
      one.dispose();
      many.dispose();
    });
  }

  for (const threads of [1, 2]) {
    it(`reads in the turns see the model onEpoch last saw, in both passes; the fit ends as a twin's (${threads} thread(s))`, async () => {
      const c = cleaned, x = rows(c.n, c.spec.inputDim!, c.n), probe = x.subarray(0, 8 * 12);
      const ae = await make(c.spec as Spec, threads), twin = await make(c.spec as Spec, threads);
      const calls = slow(ae, 30, MEMBERS);
      // the oracle: the bytes before fit(), then those onEpoch sees, and the scores of a model loaded from them
      const expectAt = async (bytes: Uint8Array) => {
        const m = await DistAutoencoder.load(bytes);
        const r = { bytes, score: m.score(probe) };
        m.dispose();
        return r;
      };
      let expected = await expectAt(ae.save());
      let epochs = 0, between = false;
      const readsAt = new Map<number, number>();
      const failures: unknown[] = [];
      const timer = setInterval(() => {
        if (between) return;
        try {
          readsAt.set(epochs, (readsAt.get(epochs) ?? 0) + 1);
          expect(ae.save()).toEqual(expected.bytes);
          expect(ae.score(probe)).toEqual(expected.score);
        } catch (e) {
          failures.push(e);
        }
      }, 1);
      try {
        await ae.fit(x, { ...c.fit, onEpoch: async () => { between = true; epochs++; expected = await expectAt(ae.save()); between = false; } });
      } finally {
        clearInterval(timer);
      }
      expect(failures).toEqual([]);
      // (inside the first epoch, and inside the second pass's first: onEpoch had run 3 times)
      expect(readsAt.get(0), 'reads inside the first epoch').toBeGreaterThan(0);
      expect(readsAt.get(3), "reads inside the second pass's first epoch").toBeGreaterThan(0);
      expect(calls.length).toBeGreaterThan(2 * 3 * 2);
      await twin.fit(x, c.fit);
      expect(ae.save()).toEqual(twin.save());
      ae.dispose();
      twin.dispose();
    });
  }

  it("reads between the calls of the statistics after each pass see the model onEpoch last saw; an abort there leaves the model as before fit()", async () => {
    const c = cleaned, x = rows(c.n, c.spec.inputDim!, c.n), probe = x.subarray(0, 8 * 12);
    const ae = await Autoencoder.create(c.spec), twin = await Autoencoder.create(c.spec);
    // (from a call of the statistics to the next epoch's first call: the statistics, then the cleaning pass's scores,
    // or the density term's at the end)
    let after = false;
    route(ae, (real, a) => { after = false; return real(...a); }, MEMBERS);
    const statsCalls = slow(ae, 30, STATS);
    route(ae, (real, a) => { after = true; return real(...a); }, STATS);
    const { reads } = await fitWithReads(ae, x, c.fit, () => after);
    expect(reads, 'reads between the calls of the statistics').toBeGreaterThan(0);
    expect(statsCalls.length, 'calls of the statistics, two passes of 5 members').toBeGreaterThanOrEqual(2 * 2);
    await twin.fit(x, c.fit);
    expect(ae.save()).toEqual(twin.save());
    // an abort in the first pass's statistics: the fit rejects, and the model is as a twin's that never fitted
    await expectAbortIn(c.spec, x, c.fit, STATS, c.fit.epochs!, "the first pass's epochs, none of the second's");
    ae.dispose();
    twin.dispose();
  });

  it('an abort from a timer ends fit() inside its first epoch, and the model is as a twin that never fitted', async () => {
    const c = cleaned, x = rows(c.n, c.spec.inputDim!, c.n);
    const ae = await Autoencoder.create(c.spec), twin = await Autoencoder.create(c.spec);
    const calls = slow(ae, 30, MEMBERS);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    let epochs = 0;
    const e = await rejected(() => ae.fit(x, { ...c.fit, signal: ac.signal, onEpoch: () => { epochs++; } }));
    expect((e as Error).name).toBe('AbortError');
    expect(epochs, 'no epoch completed').toBe(0);
    expect(calls.length, 'the calls before the abort').toBeLessThan(5);
    expect(ae.save()).toEqual(twin.save());
    await expectTwinFits(ae, twin, x, c.fit);
    ae.dispose();
    twin.dispose();
  });
});

// An ensemble's statistics after a pass (assembly/ensemble.ts ens_stats) run in four parts a member (rows through the
// member, each feature's median, each row's recM, the rest), the first three in calls of rows or features; the density
// term at the end (assembly/density.ts dens_fit) in five, its reference rows' codes and its statistic rows' terms in
// calls of rows. The oracle: each member's statistics and the density term computed whole, in one go, as before the parts.
describe("an ensemble's statistics and density term in parts", () => {
  const c: Case = { name: 'cleaning pass, refitted normalizer, density', spec: { inputDim: 24, layers: [12, 3], normalize: 'standard', ensemble: { members: 5, rows: 40, clean: 0.2, density: 160 }, seed: 15 }, fit: { epochs: 2, batchSize: 8 }, n: 400 };
  const D = c.spec.inputDim!;

  /**
   * Each member group's statistics whole at its first call (part 0 from row 0), and the density term whole at its part 1
   * from row 0; the cleaning pass's scores from the first pass's recM (part 4) in one call, at its first.
   */
  function wholeParts(ae: Model): void {
    wrapExport(ae, 'ae_ens_stats', (real, a) => {
      const S = a[2]!, head = a.slice(0, 10);
      if (a[10] === 4) return a[11] === 0 ? real(...head, 4, 0, S) : 0;
      if (a[10] !== 0 || a[11] !== 0) return 0;
      for (const [part, end] of [[0, S], [1, D], [2, S], [3, 0]] as const) real(...head, part, 0, end);
      return 0;
    });
    wrapExport(ae, 'ae_dens_fit', (real, a) => {
      if (a[13] === 0) return real(...a);
      if (a[13] !== 1 || a[14] !== 0) return a[4]!;
      const R = a[4]!, S = a[7]!, head = a.slice(0, 13);
      for (const [part, end] of [[1, R], [2, 0], [3, S], [4, 0]] as const) real(...head, part, 0, end);
      return R;
    });
  }

  for (const threads of [1, 2]) {
    it(`the bytes and history of each member's statistics and the density term whole, wherever their calls are cut (${threads} thread(s))`, async () => {
      const x = rows(c.n, D, 7);
      const oracle = await make(c.spec as Spec, 1);
      wholeParts(oracle);
      const want = await fitCase(oracle, c, x);
      oracle.dispose();
      // fit() as it is
      const live = await make(c.spec as Spec, threads);
      const statsCalls = route(live, (real, a) => real(...a), STATS_PARTS), densCalls = route(live, (real, a) => real(...a), DENS);
      expect(await fitCase(live, c, x)).toEqual(want);
      live.dispose();
      // (two passes of lanes-many members at a time, four parts each; the density term's five)
      const groups = 2 * Math.ceil(5 / threads);
      expect(statsCalls.length).toBeGreaterThanOrEqual(4 * groups);
      expect(densCalls.length).toBeGreaterThanOrEqual(5);
      await fc.assert(fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 9 }).filter((cuts) => cuts.includes(true)), async (cuts) => {
        const ae = await make(c.spec as Spec, threads);
        const statsRuns = recut(ae, cuts, STATS_PARTS), densRuns = recut(ae, cuts, DENS);
        const got = await fitCase(ae, c, x);
        ae.dispose();
        expect(got.bytes).toEqual(want.bytes);
        expect(got.history).toEqual(want.history);
        // (some part was cut: more runs than calls with rows, plus those without)
        expect(statsRuns.length + densRuns.length).toBeGreaterThan(statsCalls.filter((r) => r[1]! > r[0]!).length + densCalls.filter((r) => r[1]! > r[0]!).length);
      }), { numRuns: 4, seed: 20261207 + threads });
    });
  }

  for (const threads of [1, 2]) {
    it(`the cleaning pass's scores from the first pass's recM are the bits of running those rows through the members (ae_ens_score), ${threads} thread(s)`, async () => {
      const x = rows(c.n, D, 10);
      const ae = await make(c.spec as Spec, threads);
      // (the export under its own name or dist's short one: wrapExport's stand-in is the one own property of the kernel's exports)
      wrapExport(ae, 'ae_ens_score', (real, a) => real(...a));
      const k = kernelOf(ae as unknown as Autoencoder) as unknown as { x: Record<string, (...a: number[]) => number>; ctx: number };
      const ensScore = k.x[Object.getOwnPropertyNames(k.x)[0]!]!;
      const seen: string[] = [];
      wrapExport(ae, 'ae_ens_stats', (real, a) => {
        real(...a);
        if (a[10] !== 4) return 0;
        // (x: the first pass's rows, normalized, every training row in order; e: scratch no longer used, for the oracle's scores)
        const [xp, S, stats, e, tmp, K] = [a[1]!, a[2]!, a[3]!, a[5]!, a[6]!, a[9]!];
        expect(S).toBe(c.n);
        ensScore(k.ctx, xp, S, e, K, stats, 0, 1);
        const got = getF32(kernelOf(ae as unknown as Autoencoder), tmp, S), want = getF32(kernelOf(ae as unknown as Autoencoder), e, S);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
        seen.push(`${a[11]}-${a[12]}`);
        return 0;
      });
      await ae.fit(x, c.fit);
      expect(seen, "part 4's one call, the first pass's").toEqual([`0-${c.n}`]);
      ae.dispose();
    });
  }

  // (400 rows, 160 references: two calls of the references' codes and four of the statistic rows' terms, each made slow;
  // Node's first turn of a fit that has not yet had one comes before the timers, so the first reads come from the second)
  it("reads between the density term's calls see the model onEpoch last saw; an abort there leaves the model as before fit()", async () => {
    const x = rows(c.n, D, 8);
    const ae = await Autoencoder.create(c.spec), twin = await Autoencoder.create(c.spec);
    let inDens = false;
    slow(ae, 30, DENS);
    route(ae, (real, a) => { inDens = true; return real(...a); }, DENS);
    const { reads, epochs } = await fitWithReads(ae, x, c.fit, () => inDens);
    expect(epochs).toBe(2 * c.fit.epochs!);
    expect(reads, "reads between the density term's calls").toBeGreaterThan(0);
    await twin.fit(x, c.fit);
    expect(ae.save()).toEqual(twin.save());
    // an abort inside the density term: the fit rejects after both passes' epochs, and the model is as before fit()
    await expectAbortIn(c.spec, x, c.fit, DENS, 2 * c.fit.epochs!, "both passes' epochs");
    ae.dispose();
    twin.dispose();
  });

  it('x given as rows that change during fit(): the density term\'s copy of x refuses them, and the model is as before fit()', async () => {
    const x = rows(c.n, D, 9), asRows = Array.from({ length: c.n }, (_, r) => Array.from(x.subarray(r * D, (r + 1) * D)));
    const ae = await Autoencoder.create(c.spec), twin = await Autoencoder.create(c.spec);
    const e = await rejected(() => ae.fit(asRows, { ...c.fit, onEpoch: (info) => { if (info.epoch === c.fit.epochs) asRows.pop(); } }));
    expect(e.message).toMatch(/x changed during fit\(\): it had 400 rows as fit\(\) began; leave x as it is until fit\(\) resolves/);
    expect(ae.save()).toEqual(twin.save());
    await expectTwinFits(ae, twin, x, c.fit);
    ae.dispose();
    twin.dispose();
  });
});

// A first fit's blocks are fresh memory, whose pages this VM maps at about 13 µs each on first touch (some 250 ms before
// the first call of the default ensemble at D=784): fit() zeroes each block it is about to write whole (the snapshot
// of the model before it, x, a target, an ensemble's moments, its statistics' scratch) in pieces of 2 MiB first, the
// host having its turn between them when due (bindings/index.ts fit, warm). A clock that jumps 30 ms at every reading
// while the setup runs makes each such turn due.
describe("fit()'s setup in pieces, with the host's turns between them", () => {
  // (16 members of 192-128-16-128-192, 53 K floats each: the snapshot and each moment 3.4 MB, two pieces; x 2.3 MB)
  const ensSpec: AutoencoderSpec = { inputDim: 192, layers: [128, 16], normalize: 'standard', ensemble: { members: 16, rows: 40, clean: 0.2, density: 8 }, seed: 22 };
  const denseSpec: AutoencoderSpec = { inputDim: 192, layers: [128, 16], normalize: 'standard', ensemble: false, seed: 23 };
  const n = 3000, x = rows(n, 192, 6), probe = x.subarray(0, 4 * 192);
  const ENS_FIT: FitOptions = { epochs: 1, batchSize: 20 }, DENSE_FIT: FitOptions = { epochs: 1, batchSize: 500, target: x.slice() };
  // (a model file's digest: toEqual on 3.4 MB of bytes takes seconds)
  const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  /** Marks the spans of the setup (1: from the fit's start to its first training call; 2: from an ensemble's cleaning to
   *  its second pass's first call; 0 elsewhere); jumping() makes performance.now() jump 30 ms at each reading in them. */
  function setupSpans(ae: Model, ens: boolean) {
    const state = { setup: 1 as 0 | 1 | 2, off: 0 };
    route(ae, (r, a) => { state.setup = 0; return r(...a); }, ens ? MEMBERS : ROWS);
    if (ens) wrapExport(ae, 'ae_ens_clean', (r, a) => { state.setup = 2; return r(...a); });
    const jumping = () => {
      state.setup = 1;
      const real = performance.now.bind(performance);
      const spy = vi.spyOn(performance, 'now').mockImplementation(() => real() + (state.setup ? (state.off += 30) : state.off));
      return () => spy.mockRestore();
    };
    return { state, jumping };
  }

  for (const ens of [true, false]) {
    it(`${ens ? 'an ensemble (both passes)' : 'a dense model with a target'}, two fits: reads in the setup's turns see the model before fit()${ens ? " (in the second pass's, the first pass's)" : ''}, and the fits end as a twin's`, async () => {
      const spec = ens ? ensSpec : denseSpec, opts = ens ? ENS_FIT : DENSE_FIT;
      const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
      // the oracle: the bytes before fit() and those onEpoch sees at the first pass's end, and the scores of a model loaded from them
      const expectAt = async (bytes: Uint8Array) => {
        const m = await DistAutoencoder.load(bytes);
        const r = { bytes: digest(bytes), score: m.score(probe) };
        m.dispose();
        return r;
      };
      const { state, jumping } = setupSpans(ae, ens);
      // (the first fit: fresh blocks, the normalizer fitted; the second: the first's model, with its density term)
      for (const round of [1, 2]) {
        let expected = await expectAt(ae.save());
        const reads = [0, 0, 0];
        const failures: unknown[] = [];
        let fitting = true;
        const tick = () => {
          if (!fitting) return;
          if (state.setup) {
            reads[state.setup]!++;
            try {
              expect(digest(ae.save())).toBe(expected.bytes);
              expect(ae.score(probe)).toEqual(expected.score);
            } catch (e) {
              failures.push(e);
            }
          }
          setImmediate(tick);
        };
        const restore = jumping();
        setImmediate(tick);
        try {
          await ae.fit(x, { ...opts, onEpoch: async () => { expected = await expectAt(ae.save()); } });
        } finally {
          fitting = false;
          restore();
        }
        expect(failures, `fit ${round}`).toEqual([]);
        // (the snapshot, x and the target or the second x, then the two moments: a turn inside each)
        expect(reads[1], `reads in the setup of fit ${round}'s first pass`).toBeGreaterThanOrEqual(ens ? 5 : 2);
        if (ens) expect(reads[2], `reads in the setup of fit ${round}'s second pass (its moments)`).toBeGreaterThanOrEqual(2);
        await twin.fit(x, opts);
        expect(digest(ae.save()), `fit ${round}`).toBe(digest(twin.save()));
      }
      ae.dispose();
      twin.dispose();
    });
  }

  it("an abort in any of the setup's turns, the first before the snapshot is taken: fit() rejects before training, and the model is as a twin's that never fitted", async () => {
    for (const turn of [1, 2, 3, 5]) {
      const ae = await Autoencoder.create(ensSpec), twin = await Autoencoder.create(ensSpec);
      const calls = route(ae, (r, a) => r(...a), MEMBERS);
      const restore = setupSpans(ae, true).jumping();
      const ac = new AbortController();
      let turns = 0;
      const tick = () => { if (++turns === turn) ac.abort(); else setImmediate(tick); };
      setImmediate(tick);
      const e = await rejected(() => ae.fit(x, { ...ENS_FIT, signal: ac.signal })).finally(restore);
      expect((e as Error).name, `abort in turn ${turn}`).toBe('AbortError');
      expect(calls, 'no training call').toEqual([]);
      expect(digest(ae.save()), `abort in turn ${turn}`).toBe(digest(twin.save()));
      await ae.fit(x, ENS_FIT);
      await twin.fit(x, ENS_FIT);
      expect(digest(ae.save()), `the fit after the abort in turn ${turn}`).toBe(digest(twin.save()));
      ae.dispose();
      twin.dispose();
    }
  });
});

// Where the clock cannot time a call (Cloudflare's deployed Workers: performance.now() moves with I/O only; a coarse
// clock), fit() counts the calls' multiply-adds instead: a call takes about 2^28 of them at most (its whole units: just
// past it), and the host's turn comes once the calls since its last did that many.
describe('a clock that stands still while code runs', () => {
  const frozen = async <T>(fn: () => Promise<T>): Promise<T> => {
    const spy = vi.spyOn(performance, 'now').mockReturnValue(1000);
    try {
      return await fn();
    } finally {
      spy.mockRestore();
    }
  };
  // (64-128-16-128-64: a training row about 3 x 20,480 multiply-adds, a batch of 32 about 2 M: at most 138 batches a call)
  const spec: AutoencoderSpec = { inputDim: 64, layers: [128, 16], seed: 15, ensemble: false };
  const x = rows(16384, 64, 4);
  const FIT = { epochs: 2, batchSize: 32 } as const;

  it("an epoch still runs in calls of bounded work with the host's turns between them, and gives the bytes of a timed fit", async () => {
    const timed = await Autoencoder.create(spec), still = await Autoencoder.create(spec);
    await timed.fit(x, FIT);
    const calls = route(still, (real, a) => real(...a));
    let turns = 0;
    const counter = setInterval(() => { turns++; }, 0);
    await frozen(() => still.fit(x, FIT));
    clearInterval(counter);
    expect(still.save()).toEqual(timed.save());
    const batches = calls.map(([from, to]) => Math.ceil((to! - from!) / 32));
    expect(Math.max(...batches), 'batches in a call').toBeLessThanOrEqual(138);
    expect(calls.length, 'calls of the two epochs').toBeGreaterThanOrEqual(2 * Math.ceil(16384 / 32 / 138));
    expect(turns, "the interval's runs in the host's turns").toBeGreaterThanOrEqual(2);
    timed.dispose();
    still.dispose();
  });

  it('an abort from a timer lands inside the first epoch, and the model is as a twin that never fitted', async () => {
    const ae = await Autoencoder.create(spec), twin = await Autoencoder.create(spec);
    const calls = route(ae, (real, a) => real(...a));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    let epochs = 0;
    const e = await frozen(() => rejected(() => ae.fit(x, { ...FIT, signal: ac.signal, onEpoch: () => { epochs++; } })));
    expect((e as Error).name).toBe('AbortError');
    expect(epochs).toBe(0);
    expect(calls[calls.length - 1]![1], 'the last call ends before the epoch does').toBeLessThan(16384);
    expect(ae.save()).toEqual(twin.save());
    ae.dispose();
    twin.dispose();
  });

  it('an ensemble: an abort from a timer lands inside its first epoch; unaborted, the bytes of a timed fit', async () => {
    // (members of 64-128-16-128-64 on 2,000 rows: about 123 M multiply-adds a member's epoch, so at most 3 members a call)
    const es: AutoencoderSpec = { inputDim: 64, layers: [128, 16], ensemble: { members: 9, rows: 2000, clean: 0, density: 0 }, seed: 16 };
    const xe = x.subarray(0, 2000 * 64);
    const ae = await Autoencoder.create(es), twin = await Autoencoder.create(es), timed = await Autoencoder.create(es);
    const calls = route(ae, (real, a) => real(...a), MEMBERS);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    const e = await frozen(() => rejected(() => ae.fit(xe, { epochs: 1, batchSize: 32, signal: ac.signal })));
    expect((e as Error).name).toBe('AbortError');
    expect(calls[calls.length - 1]![1], 'the last call ends before the epoch does').toBeLessThan(9);
    expect(ae.save()).toEqual(twin.save());
    const made = route(twin, (real, a) => real(...a), MEMBERS);
    await frozen(() => twin.fit(xe, { epochs: 1, batchSize: 32 }));
    await timed.fit(xe, { epochs: 1, batchSize: 32 });
    expect(twin.save()).toEqual(timed.save());
    expect(Math.max(...made.map(([from, to]) => to! - from!)), 'members in a call').toBeLessThanOrEqual(3);
    for (const m of [ae, twin, timed]) m.dispose();
  });
});
