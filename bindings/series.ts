// series.ts: SeriesDetector, streaming anomaly scores for one metric stream. TypeScript checks
// arguments, keeps the time rule and writes the state file; every number (window standardisation,
// training, reconstruction errors, the likelihood) is computed by assembly/series.ts inside the
// wasm memory of one dense autoencoder, one call per push()/pushMany().

import { AutoencoderError, checkArray, checkAttached, checkKeys, checkName, checkNumber, describe, holeIn, trapped } from './errors.js';
import type { LayerSpec } from './graph.js';
import { isPath, openModelFile, readWhole } from './files.js';
import { Autoencoder, type AutoencoderSpec, type CreateOptions } from './index.js';
import { OPT_IDS, S, SCRATCH, crc32Update, crc32UpdateBytes, kernelOf, resetOptimizer, seriesBlocks, seriesCheck, seriesFill, seriesPick, seriesPush, setOptimizer, trainingBlocks, type Kernel } from './wasm.js';

/** How a {@link SeriesDetector} learns and scores; every field has a default that works on any series. */
export interface SeriesOptions {
  /** Points per window the autoencoder reconstructs. Default 32. */
  window?: number;
  /** Encoder widths (the decoder mirrors them), the last the bottleneck. Default [32, 8]. */
  layers?: number[];
  /** Points before the first training; they score 0. Default 128. */
  warmup?: number;
  /**
   * Points between retrainings. Default 96 (NAB standard, seeds 1-3, with `suppress: 400`: 64 / 80 / 96 /
   * 112 / 128 score 72.4 / 72.5 / 73.1 / 72.4 / 71.9; 32 scores 70.6 on seed 1 in 3 times the time).
   */
  retrainEvery?: number;
  /** Recent values kept (training windows are cut from them; >= window). Default 2048. */
  history?: number;
  /** Most windows per training (the most recent). Default 1024. */
  trainWindows?: number;
  /** Epochs of the first training. Default 30. */
  firstEpochs?: number;
  /** Epochs of each retraining (it continues from the current weights). Default 5. */
  epochs?: number;
  /** Adam learning rate. Default 0.001. */
  learningRate?: number;
  /** Errors averaged before the likelihood (HTM's short window; 1: the point's own error). Default 1. */
  shortAverage?: number;
  /** Averaged errors the likelihood's mean and spread are taken over. Default 8000. */
  likelihoodHistory?: number;
  /** Averaged errors needed before scores leave 0. Default 100. */
  minHistory?: number;
  /** A value beyond the range seen so far by this fraction of the range scores 1 (negative: off). Default 0.05. */
  spatialTolerance?: number;
  /**
   * A value beyond the range seen so far by less than `spatialTolerance` of it scores at least
   * `spatialRamp + (1 - spatialRamp) * excess / spatialTolerance`: a ramp up to the 1 beyond the
   * tolerance, instead of nothing. Taken after the halving rules (not halved, and not a hot score for
   * them), so it changes no other score. Negative: off (the scores of state file version 8, bit for
   * bit). Default 0.3 (NAB, seeds 1-5: 75.9 / 72.0 / 79.3 against 74.9 / 72.0 / 78.0 without;
   * levels 0.28-0.36 score alike, 0.2 and 0.4 lose: tools/nab/tries.md, round 15).
   */
  spatialRamp?: number;
  /**
   * The ramp's confirmation by the model, a probability p: once the model scores (its likelihood
   * history holds `minHistory` errors), a value just beyond the range (the ramp) counts only where the
   * model finds the point unusual too, its combined likelihood at least -ln p (a tail probability of at
   * most p); before that the ramp counts alone. 0 (or 1): always (the scores of state file version 9,
   * bit for bit). Default 0.01 (NAB, seeds 1-8: 76.0 / 72.5 / 79.3 against 75.7 / 71.6 / 79.1 without,
   * every seed up; p 0.02-0.005 score alike, 0.05 gives 76.0 / 72.4 / 79.3: tools/nab/tries.md, round 21).
   */
  spatialRampConfirm?: number;
  /** Error of a window: 'window' (mean squared), 'last' (the newest point's squared error), 'logWindow' (ln(1e-4 + window MSE)). Default 'logWindow'. */
  error?: SeriesError;
  /** The likelihood's spread is at least this fraction of the mean averaged error. Default 0. */
  spreadFloor?: number;
  /**
   * One alarm per episode: a score that is no new high over this many points before it is halved (0: off).
   * Default 400 (NAB, seeds 1-3, retraining every 128: 71.9 / 66.7 / 75.8 against 70.6 / 66.4 / 74.1 with
   * 600, the default before; a saved state keeps the value it was saved with, as every option).
   */
  suppress?: number;
  /**
   * Long-context bins after the window (0: none): the means of equal runs of points over the
   * series' day (one day / the median step between the warm-up's times; a week when a day is
   * under 2 windows; `contextSpan` points when untimed), so a day unlike the days before it is a
   * reconstruction error even when each window of it looks normal. The likelihood starts once the
   * context spans seen points only (the range check scores from the warm-up on). A timed series
   * whose day (or week) has more points than `trainWindows` (minute data: 1,440 a day) runs without
   * it (its bins 0) unless `contextFit` is false: see there. Default 64.
   */
  context?: number;
  /**
   * Leave the long context out (its bins 0) when the series is timed and its day (or week) has more
   * points than `trainWindows` (minute data: 1,440 a day against 1,024): the retrainings would never
   * see every time of day, so the current one's context is always new to the model (a spike 10x the
   * noise scored 0.15-0.32 with a day's context on five days of minute data, 0.25-0.68 without;
   * tools/nab/tries.md, round 13). The coarser resolutions, whose days have fewer points, keep theirs.
   * false: keep it (the scores of state file version 7, bit for bit, with `origin: 0`). Default true.
   */
  contextFit?: boolean;
  /**
   * With times, the most missing points filled in a gap: once the warm-up is over, a point that comes k
   * grid steps after the one before it (the grid step: the median of the warm-up's steps; k rounded),
   * with 2 <= k <= fillGaps + 1, is preceded by the k - 1 points missing between them, linearly
   * interpolated, which the detector scores (and trains on) but does not return: a series that skips a
   * point now and then, or is sampled a little irregularly, reaches the model on its grid. Longer gaps
   * are left as they are. Scores are still one per point pushed, and `count` counts the points pushed.
   * 0: none (the scores of state file version 11 and before, bit for bit). Default 4.
   */
  fillGaps?: number;
  /** Points the long context spans when the series has no times. Default 256. */
  contextSpan?: number;
  /** Measure each error from the last training's mean error over its own windows (a retraining then does not move the errors' level). Default true. */
  relativeError?: boolean;
  /**
   * The newest `predict` points of each window are hidden from the autoencoder's input (replaced by
   * the point before them) but kept in its target, so it learns to predict them; their error (a
   * prediction error, `ln(predictionFloor + their mean squared error)`) gets a likelihood of its
   * own, averaged with the window error's as -ln of the tail probabilities. 0: reconstruction only
   * (the scores of state file version 2, bit for bit). Default 1.
   */
  predict?: number;
  /** Prediction errors averaged before their likelihood. Default 3. */
  predictionAverage?: number;
  /** Squared prediction errors (in units of the normaliser's spread squared) below this count as none: the error is ln(floor + MSE). Default 0.01. */
  predictionFloor?: number;
  /**
   * Weight of a third likelihood stream in the mean of the -ln Q (the window's and the prediction's
   * weigh 1 each): the newest point's error when the newest `predict + 1` points are hidden, a
   * prediction one point further ahead, from the same autoencoder (one more inference per point;
   * `ln(predictionFloor + squared error)`, averaged over `predictionAverage`). 0: no such stream (the
   * scores of state file version 3, bit for bit). Default 0.25 (NAB, seeds 1-3: 68.5 / 63.3 / 72.5
   * against 68.0 / 62.8 / 72.2 without it; tools/nab/tries.md, round 6).
   */
  twoStepWeight?: number;
  /**
   * Refractory span in points (0: off): within this many points after a hot score (one at or above
   * `refractoryLevel`, before any halving), a score below 1 counts half unless it beats that hot
   * score by `refractoryMargin`, so a run of slowly rising false alarms (a burst in a busy series)
   * is one alarm, while a range-check 1 or a steep rise still counts. 0: the scores of state file
   * version 4, bit for bit. Default 30 (NAB, seeds 1-3: 69.4 / 65.1 / 73.2 against 68.5 / 63.3 /
   * 72.5 without it, mostly the tweets; flat in the span from 5 to 300; tools/nab/tries.md, round 7).
   */
  refractory?: number;
  /**
   * The score (in [0, 1], before halving) at or above which a point is hot for `refractory`. It is
   * an alarm level: set it near the threshold you alarm at. Default 0.4 (NAB's corpus threshold
   * for the standard profile is about 0.40; levels 0.36-0.41 score alike there, 0.45 about half the gain).
   */
  refractoryLevel?: number;
  /** How much a score within the refractory span must beat the last hot score by to count whole. Default 0.04 (0.03-0.05 score alike on NAB; 0.06 and more lose a slowly rising artificial anomaly). */
  refractoryMargin?: number;
  /**
   * A memory of alarms, in alarms remembered (0: none, the scores of state file version 6 bit for
   * bit). Each point scoring at or above `refractoryLevel` is remembered by its window's shape (the
   * last `window` values less the mean of the older half, over the range seen) and its size (the
   * largest of those); the oldest is forgotten. A later score below 1 whose window repeats a
   * remembered alarm (unit shapes within `memoryTolerance` RMS, sizes within a ratio of
   * `memoryAmplitude`) counts half, before both halving rules: a spike, dip or burst like one that
   * alarmed before is no news (a server's recurring job, a daily surge). Default 64 (NAB, seeds 1-5:
   * 74.9 / 72.0 / 78.0 against 73.0 / 68.3 / 76.8 without it; tools/nab/tries.md, round 12).
   */
  memory?: number;
  /** RMS difference of two unit shapes below which a window repeats a remembered alarm. Default 0.35 (0.3-0.4 score alike on NAB). */
  memoryTolerance?: number;
  /** Largest ratio of the sizes of a window and a remembered alarm it repeats. Default 1.2 (1.1 scores alike on NAB, 1.3 and 1.5 lose about half the gain). */
  memoryAmplitude?: number;
  /**
   * The value the kept values are measured from: they are kept as float32 numbers (24 bits) less this
   * origin (a float64), so a series on a large offset keeps its digits (a byte counter near 1e12 that
   * moves by thousands would otherwise be rounded to multiples of 65,536). 'first': the first value
   * pushed. A number: that value (0 keeps the values themselves: the scores of state file version 7,
   * bit for bit). Each value must be within the float32 range of the origin. Default 'first'.
   */
  origin?: number | 'first';
  /**
   * Coarser resolutions: block lengths in points, each a multiple of the one before (a number is a
   * list of one). For the first, a second detector (the same options, both halving rules and the
   * range check off) scores the series' means over blocks of that many points, each when its block
   * ends, and a point that ends a block takes the larger of its own -ln Q and that score's, so slow
   * anomalies (level shifts, a changed rhythm) that no single point shows come out. The next length
   * works the same way inside that detector, on its block means (so [4, 8] scores the means of 4
   * and of 8 points). 0 or []: none (the scores of state file version 4 with `refractory` as given,
   * bit for bit); 4: the default of versions 5 and before. Default [4, 8] (NAB, seeds 1-5: 73.0 / 68.3 /
   * 76.8 against 72.7 / 67.5 / 76.5 with 4 alone and 69.6 / 64.4 / 73.4 with none; tools/nab/tries.md,
   * rounds 7 and 10). About 1.3 times the time and 3 times the memory and state of none (572 KB with `memory`, without
   * `shapeResolutions`).
   */
  resolution?: number | number[];
  /**
   * A second chain of coarser resolutions, the shape resolutions: detectors of the same block means
   * with the same block lengths as `resolution`, whose windows are each taken less their own mean
   * (`demean`), so they score a block's shape and not its level. A point that ends a block takes the
   * larger of its own -ln Q and the two chains' scores. No effect with `resolution` 0, nor with `demean`
   * (whose next resolutions are demeaned already). Default false. On NAB (seeds 1-8) true scores 76.7 /
   * 73.0 / 80.0 against 76.0 / 72.5 / 79.3, every seed up or level, but all of that gain is one window of one
   * series (exchange-3_cpc), with a few more false alarms on the tweets, and chosen on half of the files it
   * does not carry to the other half (tools/nab/tries.md, round 31). About 1.3-1.4 times the time, and 1.65
   * times the state (946 KB against 572 KB with the other defaults).
   */
  shapeResolutions?: boolean;
  /**
   * Each window less its own mean before the autoencoder sees it (and the context bins less the
   * same; a context left out by `contextFit` stays 0): the detector scores shapes, not levels. The shape resolutions' detectors run with it;
   * alone it scores NAB lower (tools/nab/tries.md, round 31). Default false.
   */
  demean?: boolean;
  /**
   * Filters of a conv1d layer in front of the encoder (0: none, a dense autoencoder). The input (the
   * window, then the context bins) is read as one 1-D signal of `window + context` points; the conv
   * (`convKernel` wide, stride `convStride`, 'same' padding, relu) feeds the dense encoder `layers`,
   * and the decoder mirrors the dense layers (`convDecoder`: false) or ends with a transposed conv
   * back to the signal (true). Default 0 (tools/nab/tries.md: conv1d windows).
   */
  conv?: number;
  /** Kernel width of the conv1d layer. Default 5. */
  convKernel?: number;
  /** Stride of the conv1d layer. Default 2. */
  convStride?: number;
  /** The decoder ends with a conv1dTranspose of the conv's geometry (true) instead of a dense layer to the input width. Default false. */
  convDecoder?: boolean;
  /** Seed of the weights and the shuffling. Default 1. */
  seed?: number;
}
export type SeriesError = 'window' | 'last' | 'logWindow';
const ERRORS: SeriesError[] = ['window', 'last', 'logWindow'];
type Resolved = Required<SeriesOptions>;

const DEFAULTS: Resolved = {
  window: 32, layers: [32, 8], warmup: 128, retrainEvery: 96, history: 2048, trainWindows: 1024, firstEpochs: 30,
  epochs: 5, learningRate: 0.001, shortAverage: 1, likelihoodHistory: 8000, minHistory: 100, spatialTolerance: 0.05, spatialRamp: 0.3, spatialRampConfirm: 0.01,
  error: 'logWindow', spreadFloor: 0, suppress: 400, context: 64, contextFit: true, fillGaps: 4, contextSpan: 256, relativeError: true, predict: 1,
  predictionAverage: 3, predictionFloor: 0.01, twoStepWeight: 0.25, refractory: 30, refractoryLevel: 0.4,
  refractoryMargin: 0.04, memory: 64, memoryTolerance: 0.35, memoryAmplitude: 1.2, origin: 'first', resolution: [4, 8], shapeResolutions: false, demean: false, conv: 0, convKernel: 5, convStride: 2, convDecoder: false, seed: 1,
};
// (pure: a bundle that never uses SeriesDetector drops KEYS and DEFAULTS)
const KEYS = /* @__PURE__ */ Object.keys(DEFAULTS) as (keyof Resolved)[];
const BATCH = 32;

function resolve(o: SeriesOptions | undefined): Resolved {
  if (o === undefined) return { ...DEFAULTS, layers: [...DEFAULTS.layers], resolution: [...(DEFAULTS.resolution as number[])] };
  // (a Map, a Date or a typed array has no own keys to read: its entries would be ignored for the defaults)
  if (o instanceof Map || o instanceof Set || o instanceof Date || ArrayBuffer.isView(o)) {
    throw new AutoencoderError(`SeriesDetector.create() options must be a plain object such as { window: 32 }, got ${describe(o)}`);
  }
  checkKeys('SeriesDetector.create() options', o, KEYS);
  // (an option given as undefined is left out, as the API's other options are)
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as SeriesOptions;
  const r: Resolved = { ...DEFAULTS, ...given, layers: given.layers === undefined ? [...DEFAULTS.layers] : given.layers };
  checkArray('layers', r.layers, '[32, 8]', 1, 8).forEach((w, i) => checkNumber(`layers[${i}]`, w, 1, 1024, true));
  r.layers = [...r.layers];
  if (Array.isArray(r.resolution)) r.resolution = [...r.resolution];
  /** A range that depends on other options: an out-of-range default says it is one, and what to give. */
  const within = (key: 'history' | 'warmup' | 'minHistory' | 'context' | 'predict', lo: number, hi: number): void => {
    try {
      checkNumber(key, r[key], lo, hi, true);
    } catch (e) {
      if (given[key] !== undefined) throw e;
      throw new AutoencoderError(`${(e as Error).message}, its default, which the options given rule out: give ${key} too`);
    }
  };
  checkNumber('window', r.window, 2, 1024, true);
  within('history', r.window, 1 << 20);
  within('warmup', r.window, r.history);
  checkNumber('retrainEvery', r.retrainEvery, 1, 1 << 30, true);
  checkNumber('trainWindows', r.trainWindows, 1, 1 << 16, true);
  checkNumber('firstEpochs', r.firstEpochs, 0, 10000, true);
  checkNumber('epochs', r.epochs, 0, 10000, true);
  checkNumber('learningRate', r.learningRate, 1e-8, 10);
  checkNumber('shortAverage', r.shortAverage, 1, 1 << 16, true);
  checkNumber('likelihoodHistory', r.likelihoodHistory, 2, 1 << 20, true);
  within('minHistory', 1, r.likelihoodHistory);
  checkNumber('spatialTolerance', r.spatialTolerance, -1, 1e6);
  checkNumber('spatialRamp', r.spatialRamp, -1, 1);
  checkNumber('spatialRampConfirm', r.spatialRampConfirm, 0, 1);
  checkName('error', r.error, ERRORS);
  checkNumber('spreadFloor', r.spreadFloor, 0, 1e6);
  checkNumber('suppress', r.suppress, 0, 1 << 16, true);
  within('context', 0, r.history - r.window);
  checkNumber('contextSpan', r.contextSpan, 1, 1 << 20, true);
  checkNumber('fillGaps', r.fillGaps, 0, 64, true);
  within('predict', 0, r.window - 1);
  checkNumber('predictionAverage', r.predictionAverage, 1, 1 << 16, true);
  checkNumber('predictionFloor', r.predictionFloor, 1e-12, 1e6);
  checkNumber('twoStepWeight', r.twoStepWeight, 0, 1e6);
  if (r.twoStepWeight > 0 && r.predict + 2 > r.window) throw new AutoencoderError(`twoStepWeight hides predict + 1 = ${r.predict + 1} of the window's ${r.window} points and needs one left before them: use predict <= ${r.window - 2}, a longer window, or twoStepWeight: 0`);
  checkNumber('refractory', r.refractory, 0, 1 << 30, true);
  checkNumber('refractoryLevel', r.refractoryLevel, 0, 1);
  checkNumber('refractoryMargin', r.refractoryMargin, 0, 1);
  checkNumber('memory', r.memory, 0, 1 << 12, true);
  checkNumber('memoryTolerance', r.memoryTolerance, 0, 1e6);
  checkNumber('memoryAmplitude', r.memoryAmplitude, 1, 1e6);
  if (r.origin !== 'first' && (typeof r.origin !== 'number' || !Number.isFinite(r.origin))) throw new AutoencoderError(`origin must be 'first' (the first value) or a finite number, got ${describe(r.origin)}`);
  // -0 as 0: a saved header writes it as 0
  if (r.origin === 0) r.origin = 0;
  blockLengths(r);
  checkNumber('conv', r.conv, 0, 256, true);
  checkNumber('convKernel', r.convKernel, 1, 64, true);
  checkNumber('convStride', r.convStride, 1, 64, true);
  if (typeof r.convDecoder !== 'boolean') throw new AutoencoderError(`convDecoder must be true or false, got ${describe(r.convDecoder)}`);
  if (r.conv > 0 && r.convDecoder && (r.window + r.context) % r.convStride !== 0) throw new AutoencoderError(`convDecoder needs window + context (${r.window + r.context}) to be a multiple of convStride (${r.convStride})`);
  if (typeof r.contextFit !== 'boolean') throw new AutoencoderError(`contextFit must be true or false, got ${describe(r.contextFit)}`);
  if (typeof r.relativeError !== 'boolean') throw new AutoencoderError(`relativeError must be true or false, got ${describe(r.relativeError)}`);
  if (typeof r.shapeResolutions !== 'boolean') throw new AutoencoderError(`shapeResolutions must be true or false, got ${describe(r.shapeResolutions)}`);
  if (typeof r.demean !== 'boolean') throw new AutoencoderError(`demean must be true or false, got ${describe(r.demean)}`);
  checkNumber('seed', r.seed, 0, 0xffffffff, true);
  // (kept as float32 in the state: a value float32 rounds to 0 would change meaning, a negative one from off to on)
  for (const key of ['spatialTolerance', 'spatialRamp', 'spatialRampConfirm', 'spreadFloor', 'predictionFloor', 'twoStepWeight', 'refractoryLevel', 'refractoryMargin', 'memoryTolerance'] as const) {
    const v = r[key];
    if (v !== 0 && Math.fround(v) === 0) throw new AutoencoderError(`${key} ${v} is below float32's smallest number (1.4e-45), in which the detector keeps it, and would act as 0: give 0, or a value of at least 1.4e-45 in size`);
  }
  return r;
}

/** Values (and times) as a Float64Array, or a clear error naming the argument. */
function asF64(what: 'values' | 'times', x: unknown): Float64Array {
  checkAttached(what, x);
  if (x instanceof Float64Array) return x;
  if (Array.isArray(x)) {
    const hole = holeIn(x);
    if (hole >= 0) throw new AutoencoderError(`${what} has a hole at index ${hole}: pass a dense array of numbers`);
    const bad = x.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new AutoencoderError(`${what}[${bad}] must be a number, got ${describe(x[bad])}`);
    return Float64Array.from(x as number[]);
  }
  // (values only: a float32 time of today's epoch milliseconds is rounded to 131,072 ms)
  if (x instanceof Float32Array && what === 'values') return Float64Array.from(x);
  throw new AutoencoderError(`${what} must be a number[] or Float64Array, got ${describe(x)}${x instanceof Float32Array ? ': a Float32Array rounds epoch milliseconds (to 131,072 ms in 2026)' : ''}`);
}

/** The autoencoder a detector trains: dense over window + context, or a conv1d layer in front (`conv`). */
function modelSpec(o: Resolved): AutoencoderSpec {
  const D = o.window + o.context;
  if (o.conv === 0) return { inputDim: D, layers: o.layers, normalize: 'none', seed: o.seed };
  const relu = 'relu' as const;
  const L = Math.ceil(D / o.convStride);
  const dense = o.layers.map((units, i) => ({ type: 'dense' as const, units, activation: i === o.layers.length - 1 ? 'linear' as const : relu }));
  const back = o.layers.slice(0, -1).reverse().map((units) => ({ type: 'dense' as const, units, activation: relu }));
  const tail: LayerSpec[] = o.convDecoder
    ? [{ type: 'dense', units: L * o.conv, activation: relu }, { type: 'reshape', shape: [L, o.conv] },
      { type: 'conv1dTranspose', filters: 1, kernel: o.convKernel, strides: o.convStride, padding: 'same' }]
    : [{ type: 'dense', units: D }, { type: 'reshape', shape: [D, 1] }];
  return {
    inputShape: [D, 1], normalize: 'none', seed: o.seed,
    encoder: [{ type: 'conv1d', filters: o.conv, kernel: o.convKernel, strides: o.convStride, padding: 'same', activation: relu }, { type: 'flatten' }, ...dense],
    decoder: [...back, ...tail],
  };
}

/** A coarser resolution's entry in a state file's header: its time mode and last time, then its own next resolution's. */
type ChildHead = { timed: boolean | null; lastTime: number | null; shift?: number; child?: ChildHead };
/** A state file's header: the options, the time rule, and the coarser resolutions' heads (`twin`: the shape resolutions', version 11). */
type Head = { options: SeriesOptions; timed: boolean | null; lastTime: number | null; shift?: number; filled?: number; child?: ChildHead; twin?: ChildHead };
const MAGIC = 0x44534541; // 'AESD' little-endian
/**
 * The most points a detector's kernel counts before a push is refused (below 2^31 by retrainEvery's
 * largest value, 2^30, so no counter overflows): reached only when its counters cannot move back
 * (assembly/series.ts REBASE_AT, which they do at 2^29 points).
 */
const REBASE_LIMIT = (1 << 30) - 2;
/** A time as an ISO date, or what it is when Date cannot hold it (beyond +-8.64e15 ms: microseconds or nanoseconds given as milliseconds). */
const isoTime = (t: number): string => (Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : `beyond the dates JavaScript can hold (+-8.64e15 ms): are the times in milliseconds?`);
/** A shift in a state's header: absent (0) or a whole number of points. */
const validShift = (x: unknown): boolean => x === undefined || (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;
const FILE_VERSION = 12;
/**
 * The fixed part of an older version's state block, in bytes (the fields after it came later and
 * load as a fresh detector with the older options has them): version 3 (before the two-step
 * stream: its options lack twoStepWeight, 0, and refractory, 0) ended at S.QSUM, version 4 (before
 * the refractory rule: its options lack refractory, 0; S.RSPAN was its padding, 0) at S.RLEVEL.
 * Version 5 (one coarser resolution at most: `resolution` a number, one `child` in the header) reads
 * as version 6, and versions 5 and 6 (before the memory of alarms: their options lack memory, 0)
 * ended at S.MEMK. Version 7 (before the values' origin and the context rule: versions 3 to 7 kept the
 * values themselves and the context whatever the day's length, `origin: 0, contextFit: false`) ended at S.ORIGIN.
 * Version 8 (before the range check's ramp: versions 3 to 8 had none, `spatialRamp: -1`) had the whole
 * fixed part up to S.SRCONF, S.SRAMP its padding (0): load() sets it as its options give. Versions 8 and 9
 * (before the ramp's confirmation: versions 3 to 9 had none, `spatialRampConfirm: 0`) ended at S.SRCONF.
 * Version 10 (before the shape resolutions: versions 3 to 10 had none, `shapeResolutions: false, demean: false`)
 * had the whole fixed part, S.DEMEAN its padding (0). Version 11 (before the gaps' filling: versions 3 to 11 filled
 * none, `fillGaps: 0`) had the whole fixed part, S.FILL and S.STEPF its padding (0).
 */
const OLD_FIXED: Record<number, number> = { 3: 208, 4: 240, 5: 256, 6: 256, 7: 272, 8: 288, 9: 288 };
/** The options an older version's header lacks, and the values that reproduce its scores. */
// (pure: a bundle that never uses SeriesDetector drops it)
const OLD_OPTIONS: Record<number, SeriesOptions> = /* @__PURE__ */ ((NO_SHAPES: SeriesOptions, NO_FILL: SeriesOptions): Record<number, SeriesOptions> => ({
  3: { twoStepWeight: 0, refractory: 0, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1, spatialRampConfirm: 0, ...NO_SHAPES },
  4: { refractory: 0, resolution: 0, memory: 0, origin: 0, contextFit: false, spatialRamp: -1, spatialRampConfirm: 0, ...NO_SHAPES },
  5: { memory: 0, origin: 0, contextFit: false, spatialRamp: -1, spatialRampConfirm: 0, ...NO_SHAPES }, 6: { memory: 0, origin: 0, contextFit: false, spatialRamp: -1, spatialRampConfirm: 0, ...NO_SHAPES },
  7: { origin: 0, contextFit: false, spatialRamp: -1, spatialRampConfirm: 0, ...NO_SHAPES }, 8: { spatialRamp: -1, spatialRampConfirm: 0, ...NO_SHAPES }, 9: { spatialRampConfirm: 0, ...NO_SHAPES },
  10: NO_SHAPES, 11: NO_FILL,
}))({ shapeResolutions: false, demean: false, fillGaps: 0 }, { fillGaps: 0 });
/**
 * The block lengths of `resolution` (a number or a list) as a checked list, [] for none: each from 2 to
 * min(64, history) points, each a multiple of the one before, at most 4.
 */
function blockLengths(r: Resolved): number[] {
  const x = r.resolution;
  if (typeof x === 'number') {
    checkNumber('resolution', x, 0, Math.min(64, r.history), true);
    if (x === 1) throw new AutoencoderError('resolution 1 would score the series twice at one resolution: use 0 (none) or 2 and more');
    return x === 0 ? [] : [x];
  }
  if (!Array.isArray(x)) throw new AutoencoderError(`resolution must be a block length in points (0 for none) or a list of them such as [4, 8], got ${describe(x)}`);
  const list = checkArray('resolution', x, '[4, 8]', 0, 4) as number[];
  list.forEach((f, i) => {
    checkNumber(`resolution[${i}]`, f, 2, Math.min(64, r.history), true);
    if (i > 0 && f % list[i - 1]! !== 0) throw new AutoencoderError(`resolution[${i}] (${f}) must be a multiple of resolution[${i - 1}] (${list[i - 1]}): each block is made of whole blocks of the length before, e.g. [4, 8]`);
    if (i > 0 && f === list[i - 1]) throw new AutoencoderError(`resolution[${i}] repeats ${f}: give each block length once, e.g. [4, 8]`);
  });
  return list;
}
/**
 * The options of the next resolution's detector: the parent's, without the halving rules or the range check, with the
 * remaining block lengths relative to the first; `demean` for the shape resolutions' (whose own next resolutions inherit
 * it). Neither has shape resolutions of its own: only the finest detector has the second chain.
 */
function childOptions(o: Resolved, lengths: number[], demean = o.demean): SeriesOptions {
  const rest = lengths.slice(1).map((f) => f / lengths[0]!);
  return { ...o, layers: [...o.layers], suppress: 0, refractory: 0, memory: 0, spatialTolerance: -1, resolution: rest, shapeResolutions: false, demean, fillGaps: 0 };
}

/**
 * Streaming anomaly scores for one time series, learned as it goes: the first `warmup` points score
 * 0, then a dense autoencoder over the last `window` points and a long context (the series' day
 * in `context` bin means) is trained (and retrained every `retrainEvery` points) on the recent
 * history with the newest point hidden from its input, and each point's reconstruction error and
 * prediction error become a calibrated score in [0, 1] (log-scaled tail probabilities under the
 * recent errors, as HTM's anomaly likelihood), so one threshold serves every series. Causal,
 * deterministic, resumable.
 */
export class SeriesDetector {
  private readonly ae: Autoencoder;
  private readonly o: Resolved;
  /** The next resolution's detector (`resolution` not 0 or []), fed the means of blocks of F points. */
  private readonly child: SeriesDetector | null;
  /** The shape resolutions' detector (`shapeResolutions`, the finest detector only): the same blocks, each window less its mean. */
  private readonly twin: SeriesDetector | null;
  /** Points per block of the next resolution (0: none). */
  private readonly F: number;
  private readonly st: number;
  private readonly scratch: number;
  private readonly stateBytes: number;
  private timed: boolean | null = null;
  private lastTime = -Infinity;
  /** Points the kernel's counters have moved back by (assembly/series.ts REBASE_AT): `count` is this plus the state's count, less `filled`. */
  private shift = 0;
  /** Points `fillGaps` added (the kernel counts them; `count` does not). */
  private filled = 0;

  // why the state was lost (loseState), or null
  private lost: string | null = null;

  private constructor(ae: Autoencoder, o: Resolved, child: SeriesDetector | null, twin: SeriesDetector | null) {
    this.ae = ae;
    this.o = o;
    this.child = child;
    this.twin = twin;
    this.F = blockLengths(o)[0] ?? 0;
    // the series state lives in the autoencoder's wasm memory, above its arena
    const k = this.k;
    setOptimizer(k, OPT_IDS.adam, o.learningRate, 0.9, 0.999, 1e-7, 0, 0, 0);
    resetOptimizer(k);
    this.stateBytes = S.BYTES + 4 * (o.history + o.shortAverage + o.likelihoodHistory + o.suppress + o.warmup + (o.predict > 0 ? o.predictionAverage + o.likelihoodHistory : 0)
      + (o.twoStepWeight > 0 ? o.predictionAverage + o.likelihoodHistory : 0) + o.memory * (o.window + 1));
    // held for the detector's life (never released): the state, then the training scratch
    this.st = k.alloc(this.stateBytes);
    const D = o.window + o.context;
    this.scratch = k.alloc(4 * Math.max((o.predict > 0 ? 2 : 1) * o.trainWindows * D + o.trainWindows + SCRATCH.YROWS * D + 8 + 2 * (o.trainWindows + o.history) + 2, 3 * D + 16, o.warmup));
    k.u8(this.st, this.stateBytes).fill(0);
    const set: [number, number][] = [
      [S.W, o.window], [S.H, o.history], [S.NTRAIN, o.trainWindows], [S.EP0, o.firstEpochs], [S.EP, o.epochs],
      [S.CAD, o.retrainEvery], [S.WARM, o.warmup], [S.BATCH, BATCH], [S.LS, o.shortAverage], [S.LL, o.likelihoodHistory],
      [S.NEXT, o.warmup], [S.MINHIST, o.minHistory], [S.ERRMODE, ERRORS.indexOf(o.error)], [S.SUP, o.suppress],
      [S.CTX, o.context], [S.DEFSPAN, o.contextSpan], [S.REL, o.relativeError ? 1 : 0], [S.MASK, o.predict],
      [S.PLS, o.predictionAverage], [S.RSPAN, o.refractory], [S.MEMK, o.memory],
    ];
    for (const [f, v] of set) k.setI32(this.st + f, v);
    k.setF32(this.st + S.SPATIAL, o.spatialTolerance);
    k.setF32(this.st + S.SRAMP, o.spatialRamp);
    k.setF32(this.st + S.SRCONF, o.spatialRampConfirm);
    k.setF32(this.st + S.SDFLOOR, o.spreadFloor);
    k.setF32(this.st + S.PFLOOR, o.predictionFloor);
    k.setF32(this.st + S.QW, o.twoStepWeight);
    k.setF32(this.st + S.RLEVEL, o.refractoryLevel);
    k.setF32(this.st + S.RMARGIN, o.refractoryMargin);
    k.setF32(this.st + S.MTOL, o.memoryTolerance);
    k.setF32(this.st + S.MAMP, o.memoryAmplitude);
    k.setF64(this.st + S.STD, 1);
    // origin 'first': none yet (NaN), the first value pushed becomes it
    k.setF64(this.st + S.ORIGIN, o.origin === 'first' ? NaN : o.origin);
    k.setI32(this.st + S.CTXFIT, o.contextFit ? 1 : 0);
    k.setI32(this.st + S.DEMEAN, o.demean ? 1 : 0);
    k.setI32(this.st + S.FILL, o.fillGaps);
  }

  /**
   * A fresh detector.
   * @param options see {@link SeriesOptions}; all optional.
   * @param opts where the wasm comes from, as Autoencoder.create's second argument.
   * @throws AutoencoderError on an unknown option or one out of range.
   */
  static async create(options?: SeriesOptions, opts?: CreateOptions): Promise<SeriesDetector> {
    const o = resolve(options);
    const lengths = blockLengths(o);
    const child = lengths.length > 0 ? await SeriesDetector.create(childOptions(o, lengths), opts) : null;
    let twin: SeriesDetector | null = null;
    let ae: Autoencoder;
    try {
      // (with demean the next resolutions are demeaned already: a second chain would repeat them)
      if (child !== null && o.shapeResolutions && !o.demean) twin = await SeriesDetector.create(childOptions(o, lengths, true), opts);
      ae = await Autoencoder.create(modelSpec(o), opts);
    } catch (e) {
      child?.dispose();
      twin?.dispose();
      throw e;
    }
    try {
      return new SeriesDetector(ae, o, child, twin);
    } catch (e) {
      ae.dispose();
      child?.dispose();
      twin?.dispose();
      // (the state and training scratch its options size: not a call's rows)
      if (e instanceof AutoencoderError && e.message.startsWith('out of memory')) {
        throw new AutoencoderError(`${e.message.replace(/;[^;]*$/, '').replace('this call needs', 'this detector needs')}; use a smaller history, trainWindows, likelihoodHistory or window`);
      }
      throw e;
    }
  }

  /** The autoencoder's kernel (the internal door of wasm.ts), or a clear error once disposed or once its state was lost. */
  private get k(): Kernel {
    const k = kernelOf(this.ae);
    if (k === null) throw new AutoencoderError('this SeriesDetector was disposed: create() or load() a new one');
    if (this.lost !== null) throw new AutoencoderError(`this SeriesDetector's state was lost when an earlier pushMany() failed inside the kernels (${this.lost}): SeriesDetector.load() its last save(), or create() a new one`);
    return k;
  }

  /**
   * A failure inside the kernels once a call had begun to change the state (a wasm trap: a bug, never bad input, which
   * is refused before): the points are part consumed and cannot be put back without a copy of the whole state before
   * every call, so the detector refuses every later call (and save(): its state would be a mix) with a clear error.
   */
  private loseState(e: unknown): AutoencoderError {
    // (a resolution's detector that lost its state gives its reason)
    if (this.lost === null) this.lost = this.child?.lost ?? this.twin?.lost ?? (e instanceof Error ? e.message : String(e));
    return new AutoencoderError(`pushMany() failed inside the kernels (${this.lost}) after this detector's state had begun to change, so its state is lost: SeriesDetector.load() its last save(), or create() a new one; this is a bug of the package, please report it`);
  }

  /** The options in force, defaults filled in. */
  get options(): Required<SeriesOptions> { return { ...this.o, layers: [...this.o.layers], resolution: Array.isArray(this.o.resolution) ? [...this.o.resolution] : this.o.resolution }; }
  /** Points the long context spans (bins x points per bin), decided at the first training; 0 before it, with `context: 0`, or when the series' day is longer than `trainWindows` (see `context`). */
  get contextPoints(): number { return Math.max(0, this.k.getI32(this.st + S.CB)) * this.o.context; }
  /** Points seen so far. */
  get count(): number { return this.shift + this.k.getI32(this.st + S.COUNT) - this.filled; }

  /**
   * Scores one point (its score depends on it and the points before it only).
   * @param value the metric, a finite number.
   * @param timeMs its time in milliseconds since the epoch; give it always or never. Equal times
   * are fine, earlier than the previous point's is an error.
   * @returns the anomaly score in [0, 1] (0 during the warm-up).
   * @throws AutoencoderError on a non-finite value, a missing/extra time, or a time going backwards.
   */
  push(value: number, timeMs?: number): number {
    if (typeof value !== 'number') throw new AutoencoderError(`push() takes a number value, got ${describe(value)}`);
    if (timeMs !== undefined && typeof timeMs !== 'number') throw new AutoencoderError(`push() takes the time as a number of milliseconds since the epoch, got ${describe(timeMs)}`);
    return this.pushMany([value], timeMs === undefined ? undefined : [timeMs])[0]!;
  }

  /**
   * Scores many points in order; bit-identical to push() on each in turn.
   * @param values the metric, number[] or Float64Array of finite numbers.
   * @param timesMs their times (ms since the epoch), as many, non-decreasing; give them always or never.
   * @param options `out`: a Float32Array of the caller's, as long as `values`, that the scores are written
   * into and which is returned (no new array per call, for a handler that scores batch after batch).
   * @returns a Float32Array of scores in [0, 1] (`out` when given).
   * @throws AutoencoderError naming the first bad point (absolute index since the start); nothing is consumed then.
   */
  pushMany(values: number[] | Float64Array, timesMs?: number[] | Float64Array, options?: { out?: Float32Array }): Float32Array {
    const v = asF64('values', values);
    const t = timesMs === undefined ? null : asF64('times', timesMs);
    const n = v.length;
    if (t && t.length !== n) throw new AutoencoderError(`times has ${t.length} entries but values has ${n}: give one time per value`);
    const out = this.outFor(options, n);
    // (a disposed detector refuses every call, one of no points too)
    const k = this.k;
    if (n === 0) return out ?? new Float32Array(0);
    const timed = t !== null;
    if (this.timed !== null && this.timed !== timed) {
      throw new AutoencoderError(this.timed ? `this detector was given timestamps so far: give a time with every point (point ${this.count} has none)` : `this detector was given no timestamps so far: give none now (point ${this.count} has one), or use a new detector`);
    }
    const c0 = k.getI32(this.st + S.COUNT);
    if (n > 1 << 28) throw new AutoencoderError(`pushMany() takes at most ${1 << 28} points a call, got ${n}: push them in parts`);
    if (c0 + n > REBASE_LIMIT) {
      throw new AutoencoderError(
        `this detector has counted ${this.count} points, the most its options allow: the periods its counts are taken modulo (history ${this.o.history}, suppress ${this.o.suppress}, likelihoodHistory ${this.o.likelihoodHistory}, shortAverage ${this.o.shortAverage}, predictionAverage ${this.o.predictionAverage}, the resolutions' blocks) have no common multiple under 2^26, so its counters cannot move back; create a new detector, or choose periods with a small common multiple (powers of two)`);
    }
    const mark = k.mark();
    let changing = false;
    // (the grid step fillGaps writes as the warm-up ends, put back should the next resolution refuse the call's blocks)
    const step0 = k.f32(this.st + S.STEPF, 1)[0]!;
    try {
      const vp = k.alloc(n * 8), tp = t ? k.alloc(n * 8) : 0;
      k.f64(vp, n).set(v);
      if (t) k.f64(tp, n).set(t);
      const bad = seriesCheck(k, vp, tp, n, timed, this.lastTime, k.getF64(this.st + S.ORIGIN));
      if (bad >= 0) {
        const i = bad >> 1, at = this.count + i;
        if ((bad & 1) === 0) {
          if (!(Math.abs(v[i]!) <= F32_MAX)) throw new AutoencoderError(`point ${at} (values[${i}]) is ${describe(v[i])}: every value must be a finite number within the float32 range; drop or fill such points`);
          const origin = Number.isNaN(k.getF64(this.st + S.ORIGIN)) ? v[0]! : k.getF64(this.st + S.ORIGIN);
          throw new AutoencoderError(`point ${at} (values[${i}]) is ${describe(v[i])}, farther than the float32 range from the origin (${describe(origin)}: ${this.o.origin === 'first' ? 'the first value' : 'the origin option'}): values are kept as float32 distances from it; drop the point, or pass an origin nearer the values`);
        }
        const prev = i > 0 ? t![i - 1]! : this.lastTime;
        throw new AutoencoderError(Number.isFinite(t![i]!)
          ? `point ${at} (times[${i}] = ${t![i]}, ${isoTime(t![i]!)}) is earlier than the point before it (${prev}, ${isoTime(prev)}): times must not go backwards; sort the points by time`
          : `point ${at} (times[${i}]) is ${describe(t![i])}: times must be finite milliseconds since the epoch`);
      }
      // fillGaps: the points to score, the missing points of short gaps among them (counted, then written)
      let pv = vp, pt = tp, np = n, at = 0;
      if (t && this.o.fillGaps > 0) {
        np = seriesFill(k, this.st, vp, tp, n, 0, 0, 0, this.scratch);
        if (c0 + np > REBASE_LIMIT) throw new AutoencoderError(`this detector has counted ${this.count} points, and these ${n} with the ${np - n} that fillGaps adds to them would pass the most its options allow (the periods its counts are taken modulo have no common multiple under 2^26, so its counters cannot move back): create a new detector, or choose periods with a small common multiple (powers of two)`);
        pv = k.alloc(np * 8);
        pt = k.alloc(np * 8);
        at = k.alloc(n * 4);
        seriesFill(k, this.st, vp, tp, n, pv, pt, at, this.scratch);
      }
      // (every block of memory the call needs is taken before the first resolution takes its points: from there on the
      // state changes, and only a failure inside the kernels can stop the call)
      const sp = k.alloc(np * 4), scores = at !== 0 ? k.alloc(n * 4) : sp;
      // the next resolution: the blocks ending in this call, scored by the child before the points
      // (its m scores go back in order: series_push gives them to the points that end the blocks)
      // (the shape resolutions' detector scores the same blocks: series_push takes the larger of the two scores)
      let agg = 0, agg2 = 0;
      const ch = this.child, F = this.F;
      if (ch !== null) {
        const first = F - 1 - (c0 % F);
        const mp = k.alloc(8 * (((np / F) | 0) + 1));
        const m = seriesBlocks(k, this.st, pv, np, F, mp);
        if (m > 0) {
          agg = k.alloc(4 * m);
          if (this.twin !== null) agg2 = k.alloc(4 * m);
          const means = k.f64(mp, m).slice();
          // (a view of the filled times: read here, before the children's calls, which use their own memories)
          const tt = pt === tp ? t : k.f64(pt, np);
          const bt = tt ? Float64Array.from({ length: m }, (_, j) => tt[first + j * F]!) : undefined;
          let cs: Float32Array;
          try {
            cs = ch.pushMany(means, bt);
          } catch (e) {
            // (nothing taken yet: the next resolution refused a block mean farther than float32 from its origin, the first
            // block's mean under origin 'first'; a numeric origin is every resolution's, and block means stay within its range)
            // (a coarser resolution's refusal, already put in these words, names its block in this resolution's points)
            const deeper = e instanceof AutoencoderError ? /^the mean of a block of (\d+) points/.exec(e.message) : null;
            if (deeper) throw new AutoencoderError((e as Error).message.replace(deeper[1]!, String(Number(deeper[1]) * F)));
            if (e instanceof AutoencoderError && / farther than the float32 range /.test(e.message)) {
              throw new AutoencoderError(`the mean of a block of ${F} points of this call (the next resolution's point) is farther than the float32 range from that resolution's origin, the first block's mean: values this far apart need a fixed origin shared by every resolution; create the detector with origin: 0 (or another number near the values), or resolution: 0`);
            }
            throw e;
          }
          changing = true;   // (the next resolution has taken its points)
          k.f32(agg, m).set(cs);
          if (this.twin !== null) k.f32(agg2, m).set(this.twin.pushMany(means, bt));
        }
      }
      changing = true;
      seriesPush(k, this.st, pv, pt, np, sp, this.scratch, agg, agg2, F);
      this.shift += c0 + np - k.getI32(this.st + S.COUNT);
      this.filled += np - n;
      this.timed = timed;
      if (t) this.lastTime = t[n - 1]!;
      // the given points' scores among the filled ones
      if (at !== 0) seriesPick(k, sp, at, n, scores);
      if (out === undefined) return k.f32(scores, n).slice();
      out.set(k.f32(scores, n));
      return out;
    } catch (e) {
      // once a resolution has taken its points (or one of them lost its state) the call cannot be undone: a failure
      // there is inside the kernels (the memory is all taken before), and the detector's state is lost
      if (changing || this.child?.lost != null || this.twin?.lost != null) throw this.loseState(e);
      k.f32(this.st + S.STEPF, 1)[0] = step0;
      throw e;
    } finally {
      k.release(mark);
    }
  }

  /** pushMany()'s `out`, checked before any point is consumed (undefined: a new array). */
  private outFor(options: { out?: Float32Array } | undefined, n: number): Float32Array | undefined {
    if (options === undefined) return undefined;
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new AutoencoderError(`pushMany() options must be an object such as { out }, got ${describe(options)}`);
    checkKeys('pushMany() options', options, ['out']);
    const out = options.out;
    if (out === undefined) return undefined;
    if (!(out instanceof Float32Array)) throw new AutoencoderError(`pushMany(): out must be a Float32Array of ${n} values (one score per point) to write the scores into, got ${describe(out)}`);
    if (out.length !== n) {
      checkAttached('pushMany(): out', out);
      throw new AutoencoderError(`pushMany(): out has ${out.length} values but ${n} points are pushed: pass a Float32Array of ${n}, or no out for a new array`);
    }
    for (const c of this.nodes()) {
      if (c.k.holds(out)) throw new AutoencoderError('pushMany(): out is a view of the detector\'s own wasm memory, which every call reuses (and memory growth detaches): pass a Float32Array of your own');
    }
    return out;
  }

  /** Blocks of the streaming state as [kernel, ptr, bytes]: what the model carries between trainings (weights, optimizer, rng streams), then the series state; then the next resolution's, then the shape resolutions'. */
  private blocks(): [Kernel, number, number][] {
    const k = this.k;
    return [...trainingBlocks(k).map(([p, b]): [Kernel, number, number] => [k, p, b]), [k, this.st, this.stateBytes], ...(this.child?.blocks() ?? []), ...(this.twin?.blocks() ?? [])];
  }

  /** This detector, then its coarser resolutions' (the next resolution's chain, then the shape resolutions'), in blocks()' order. */
  private nodes(): SeriesDetector[] {
    return [this, ...(this.child?.nodes() ?? []), ...(this.twin?.nodes() ?? [])];
  }

  /**
   * The whole streaming state (options, weights, optimizer, rings, counters, time rule) as bytes;
   * {@link SeriesDetector.load} continues exactly from here.
   */
  save(): Uint8Array {
    // a dense detector's header leaves the conv keys at their defaults out, so its bytes are those of the versions before them
    const options = this.o.conv === 0 ? Object.fromEntries(Object.entries(this.o).filter(([key, v]) => !(key.startsWith('conv') && v === DEFAULTS[key as keyof Resolved]))) : this.o;
    // each coarser resolution's time mode and last time, nested as its detectors are (version 5 had one)
    const chain = (ch: SeriesDetector | null): { child?: ChildHead } =>
      ch === null ? {} : { child: { timed: ch.timed, lastTime: Number.isFinite(ch.lastTime) ? ch.lastTime : null, ...shifted(ch), ...chain(ch.child) } };
    // (a detector whose counters never moved back writes no shift: the bytes of the versions before it)
    const shifted = (d: SeriesDetector): { shift?: number } => (d.shift > 0 ? { shift: d.shift } : {});
    // the shape resolutions' chain: its heads nested the same way, under `twin`
    const twin = this.twin === null ? {} : { twin: chain(this.twin).child };
    // (the points fillGaps added, when there are any)
    const filled = this.filled > 0 ? { filled: this.filled } : {};
    const head = new TextEncoder().encode(JSON.stringify({ options, timed: this.timed, lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null, ...shifted(this), ...filled, ...chain(this.child), ...twin }));
    const blocks = this.blocks();
    const body = blocks.reduce((a, [, , b]) => a + b, 0);
    const out = new Uint8Array(12 + head.length + body + 4);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, FILE_VERSION, true);
    dv.setUint32(8, head.length, true);
    out.set(head, 12);
    // sealed region by region where each lies (the signature and header through the kernel's scratch, each block in
    // place), so the state is copied once, into the bytes returned, and the instance's memory does not grow
    let at = 12 + head.length;
    try {
      let crc = crc32UpdateBytes(this.k, 0, out.subarray(0, 12 + head.length));
      for (const [bk, ptr, b] of blocks) {
        out.set(bk.u8(ptr, b), at);
        crc = crc32Update(bk, crc, ptr, b);
        at += b;
      }
      dv.setUint32(at, crc, true);
    } catch (e) {
      throw trapped(e, null, 'SeriesDetector save()', 'the detector is as it was');
    }
    return out;
  }

  /**
   * A detector that continues exactly where the one that wrote `bytes` stopped.
   * @throws AutoencoderError when the bytes are not a SeriesDetector state, are truncated or
   * corrupted (checksum), or are from another format version. Version 3 states (before the
   * two-step stream) load as `twoStepWeight: 0, refractory: 0`, version 4 states (before the
   * refractory rule) as `refractory: 0`, version 5 and 6 states (before the memory of alarms) as
   * `memory: 0` (all three with `memory: 0`), and versions 3 to 7 (before the values' origin and the
   * context rule) as `origin: 0, contextFit: false`; all continue as the code that saved them did.
   * In Node, Bun and Deno, `bytes` may also be the path (a string or a file: URL) of a file holding them.
   */
  static async load(source: Uint8Array | string | URL, opts?: CreateOptions): Promise<SeriesDetector> {
    let bytes = source as Uint8Array;
    if (isPath(source)) {
      const f = openModelFile(source);
      try { bytes = readWhole(f, source); } finally { f.close(); }
    }
    if (!(bytes instanceof Uint8Array)) throw new AutoencoderError(`SeriesDetector.load() takes the Uint8Array save() returned (or, in Node, Bun and Deno, the path of a file holding it), got ${describe(bytes)}`);
    checkAttached('the SeriesDetector state', bytes);
    const bad = (why: string) => new AutoencoderError(`the SeriesDetector state is corrupted: ${why}; save it again`);
    if (bytes.length < 16) throw bad(`it is ${bytes.length} bytes, too short to be one`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) throw new AutoencoderError('these bytes are not a SeriesDetector state (no AESD signature): pass what SeriesDetector.save() returned (an Autoencoder model file loads with Autoencoder.load)');
    const version = dv.getUint32(4, true);
    if (!(version >= 3 && version <= FILE_VERSION)) throw new AutoencoderError(`this SeriesDetector state has format version ${version}; this package reads versions 3 to ${FILE_VERSION}: load it with the version that saved it`);
    const hl = dv.getUint32(8, true);
    if (12 + hl + 4 > bytes.length) throw bad(`its header claims ${hl} bytes but the file has ${bytes.length}`);
    let head: Head;
    try {
      head = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hl))) as typeof head;
    } catch {
      throw bad('its header is not valid JSON');
    }
    if (head === null || typeof head !== 'object') throw bad('its header is not an object');
    // an older version: options it lacks (their values then reproduce its scores), and a state block whose fixed part ends at OLD_FIXED
    const fixed = OLD_FIXED[version] ?? S.BYTES, short = S.BYTES - fixed;
    const lacks = OLD_OPTIONS[version];
    if (lacks !== undefined) {
      const named = head.options !== null && typeof head.options === 'object' ? Object.keys(lacks).find((key) => key in head.options) : undefined;
      if (head.options === null || typeof head.options !== 'object' || named !== undefined) throw bad(`its version-${version} header has no options or has ${named}`);
      head.options = { ...head.options, ...lacks };
    }
    // the header's options (a damaged file), then create()'s own errors as they are (the caller's opts, the memory)
    try {
      resolve(head.options as SeriesOptions);
    } catch (e) {
      if (e instanceof AutoencoderError) throw bad(`its options are invalid (${e.message})`);
      throw e;
    }
    const d = await SeriesDetector.create(head.options, opts);
    const blocks = d.blocks();
    const body = blocks.reduce((a, [, , b]) => a + b, 0);
    // the detector, then its coarser resolutions' (each state block has the older fixed part)
    const chain = d.nodes();
    const size = 12 + hl + body - short * chain.length + 4;
    if (bytes.length !== size) {
      d.dispose();
      // (bytes transferred since the call, during create()'s await, read as 0 bytes: named as such)
      checkAttached('the SeriesDetector state', bytes);
      throw bad(`it is ${bytes.length} bytes but its options need ${size}`);
    }
    const k = d.k;
    let ok = false;
    try {
      // the fresh blocks' fixed parts, before the file's replace them (check() compares the layout fields)
      const fresh = chain.map((c) => c.k.u8(c.st, S.BYTES).slice());
      // each block straight from the file into its place, the checksum taken there as it goes (an older state
      // block: its fixed part, then the fields it lacks as a fresh detector with its options has them, then its rings)
      let crc = crc32UpdateBytes(k, 0, bytes.subarray(0, 12 + hl));
      let at = 12 + hl;
      const take = (bk: Kernel, ptr: number, b: number): void => {
        bk.u8(ptr, b).set(bytes.subarray(at, at + b));
        crc = crc32Update(bk, crc, ptr, b);
        at += b;
      };
      for (const [bk, ptr, b] of blocks) {
        if (short > 0 && chain.some((c) => c.k === bk && c.st === ptr)) {
          take(bk, ptr, fixed);
          take(bk, ptr + S.BYTES, b - S.BYTES);
        } else {
          take(bk, ptr, b);
        }
      }
      if (crc !== dv.getUint32(at, true)) throw bad('its checksum does not match its contents');
      if (head.timed !== null && typeof head.timed !== 'boolean') throw bad('its time mode is not true, false or null');
      if (head.lastTime !== null && typeof head.lastTime !== 'number') throw bad('its last time is not a number');
      if (!validShift(head.shift)) throw bad(`its count's shift is ${describe(head.shift)}, not a whole number of points`);
      if (!validShift(head.filled)) throw bad(`its count of filled points is ${describe(head.filled)}, not a whole number of points`);
      // version 8's padding where the ramp is now: the ramp its options give (-1, off)
      if (version === 8) for (const c of chain) c.k.setF32(c.st + S.SRAMP, c.o.spatialRamp);
      d.check(fresh[0]!, bad);
      if ((head.filled ?? 0) > (head.shift ?? 0) + k.getI32(d.st + S.COUNT) || ((head.filled ?? 0) > 0 && d.o.fillGaps === 0)) throw bad(`its count of filled points (${head.filled}) exceeds its points (fillGaps: ${d.o.fillGaps})`);
      // each chain's heads, nested as its detectors are: the next resolution's, then the shape resolutions'
      const heads = (first: SeriesDetector | null, hc: ChildHead | undefined, what: string, offset: number): void => {
        let i = 0;
        for (let c = first; c !== null; c = c.child, i++) {
          c.check(fresh[offset + i]!, bad);
          if (hc === null || typeof hc !== 'object' || (hc.timed !== null && typeof hc.timed !== 'boolean') || (hc.lastTime !== null && typeof hc.lastTime !== 'number') || !validShift(hc.shift)) throw bad(`its ${what} ${i + 2} (the detector of block means ${i + 1}) has no time mode or last time`);
          c.timed = hc.timed;
          c.lastTime = hc.lastTime ?? -Infinity;
          c.shift = hc.shift ?? 0;
          c.k.paramsChanged();
          hc = hc.child;
        }
        if (hc !== undefined) throw bad(`it has more ${what}s than its options (${i + 1})`);
      };
      heads(d.child, head.child, 'resolution', 1);
      heads(d.twin, head.twin, 'shape resolution', 1 + (d.child?.nodes().length ?? 0));
      k.paramsChanged();
      ok = true;
    } catch (e) {
      throw trapped(e, null, 'SeriesDetector.load()', 'nothing was loaded');
    } finally {
      if (!ok) d.dispose();
    }
    d.timed = head.timed;
    d.lastTime = head.lastTime ?? -Infinity;
    d.shift = head.shift ?? 0;
    d.filled = head.filled ?? 0;
    return d;
  }

  /** Throws (through bad) unless the loaded state block's layout fields are those of fresh (the state of a fresh detector with its options) and its counters are possible. */
  private check(fresh: Uint8Array, bad: (why: string) => AutoencoderError): void {
    const k = this.k;
    // the state's layout fields must be those its options give (the kernel indexes rings with them)
    const fdv = new DataView(fresh.buffer);
    for (const f of [S.W, S.H, S.NTRAIN, S.EP0, S.EP, S.CAD, S.WARM, S.BATCH, S.LS, S.LL, S.MINHIST, S.SPATIAL, S.ERRMODE, S.SDFLOOR, S.SUP, S.CTX, S.DEFSPAN, S.REL, S.MASK, S.PLS, S.PFLOOR, S.QW, S.RSPAN, S.RLEVEL, S.RMARGIN, S.MEMK, S.MTOL, S.MAMP, S.SRAMP, S.SRCONF, S.DEMEAN, S.FILL]) {
      if (k.getI32(this.st + f) !== fdv.getInt32(f, true)) throw bad(`its state block disagrees with its options (field at byte ${f})`);
    }
    const c = k.getI32(this.st + S.COUNT), en = k.getI32(this.st + S.EN), next = k.getI32(this.st + S.NEXT), cb = k.getI32(this.st + S.CB), hot = k.getI32(this.st + S.RAT);
    const mn = k.getI32(this.st + S.MEMN), origin = k.getF64(this.st + S.ORIGIN), fit = k.getI32(this.st + S.CTXFIT);
    if (fit !== (this.o.contextFit ? 1 : 0)) throw bad(`its context rule (${fit}) disagrees with contextFit: ${this.o.contextFit}`);
    // fillGaps' grid step: 0 until the warm-up is over (or untimed), then the median step (> 0; Infinity for steps past
    // float32, as the detector that saved it holds it) or -1 (none)
    const step = k.f32(this.st + S.STEPF, 1)[0]!;
    if (!(step === 0 || (this.o.fillGaps > 0 && k.getI32(this.st + S.COUNT) >= this.o.warmup && (step === -1 || step > 0)))) throw bad(`its grid step is ${step} after ${k.getI32(this.st + S.COUNT)} points (fillGaps: ${this.o.fillGaps})`);
    // origin 'first': NaN before the first point, then that point's value; else the option's value
    const want = this.o.origin === 'first' ? (c > 0 ? Number.isFinite(origin) : Number.isNaN(origin)) : Object.is(origin, this.o.origin);
    if (!want) throw bad(`its values' origin is ${origin} after ${c} points (origin: ${JSON.stringify(this.o.origin)})`);
    // (without a memory of alarms or a refractory span, their counters stay 0)
    const full = k.getI32(this.st + S.FULL), unused = (k.getI32(this.st + S.MEMK) === 0 && mn !== 0) || (k.getI32(this.st + S.RSPAN) === 0 && hot !== 0);
    if (c < 0 || c > REBASE_LIMIT || en < 0 || en > c || hot < 0 || hot > c || mn < 0 || mn > c || next < this.o.warmup || next > Math.max(this.o.warmup, c + this.o.retrainEvery) || full !== Math.max(cb, 0) * this.o.context || unused || cb < (fit === 1 ? -1 : 0) || cb * this.o.context > this.o.history - this.o.window || (cb === 0 && this.o.context > 0 && c >= this.o.warmup)) throw bad(`its counters are impossible (count ${c}, errors ${en}, next training ${next})`);
  }

  /** Releases the wasm instance(s), each kept for the next model when small enough (see Autoencoder.dispose); the detector is unusable afterwards. */
  dispose(): void {
    this.ae.dispose();
    this.child?.dispose();
    this.twin?.dispose();
  }
}
