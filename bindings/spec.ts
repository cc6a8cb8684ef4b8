// spec.ts: the model spec and fit options, their documented defaults, and their validation.
// Turns what the user wrote into a complete, checked spec and the layer graph the arena runs.
// No numbers about data are computed here: only names, shapes and ranges.

import { AutoencoderError, checkArray, checkBoolean, checkKeys, checkName, checkNumber, describe, holeIn } from './errors.js';
import { planGraph, resolveLayer, type LayerSpec, type ResolvedLayer } from './graph.js';
import { ACT_IDS, LOSS_IDS, NORM_IDS, OP, OPT_IDS, SRC, TERM, type LayerPlan, type NetPlan, type TermPlan } from './wasm.js';

export type Activation = keyof typeof ACT_IDS;
export type Loss = keyof typeof LOSS_IDS;
export type Optimizer = keyof typeof OPT_IDS;
export type Normalize = keyof typeof NORM_IDS;

// frozen: the checks read these lists, so a name pushed onto one would pass them and reach the kernels
export const ACTIVATIONS: readonly Activation[] = Object.freeze(Object.keys(ACT_IDS) as Activation[]);
export const LOSSES: readonly Loss[] = Object.freeze(Object.keys(LOSS_IDS) as Loss[]);
export const OPTIMIZERS: readonly Optimizer[] = Object.freeze(Object.keys(OPT_IDS) as Optimizer[]);
export const NORMALIZERS: readonly Normalize[] = Object.freeze(Object.keys(NORM_IDS) as Normalize[]);

/**
 * What `Autoencoder.create()` takes: either the dense shorthand (`inputDim` + `layers`, the decoder
 * mirrored) or a Keras-like graph (`inputShape` + `encoder` + `decoder` layer lists). Every field
 * but `inputDim` / `inputShape` has a default.
 */
export interface AutoencoderSpec {
  /** Features per row (the width of x). With `inputShape`, optional (it must equal the shape's size). */
  inputDim?: number;
  /** Per-sample shape, channels last: [length, channels] for 1-D layers, [height, width, channels] for 2-D. */
  inputShape?: readonly number[];
  /** Encoder layers; the last one's output is the latent code. */
  encoder?: readonly LayerSpec[];
  /** Decoder layers; the last one's output shape must equal inputShape. */
  decoder?: readonly LayerSpec[];
  /** Encoder widths, the last one the latent size; the decoder mirrors them. Default: {@link defaultLayers}. */
  layers?: readonly number[];
  /** Hidden layers' activation. Default 'relu'. */
  activation?: Activation;
  /** The bottleneck layer's activation. Default 'linear'. */
  latentActivation?: Activation;
  /** The last decoder layer's activation. Default 'linear', or 'sigmoid' when loss is 'bce'. */
  outputActivation?: Activation;
  /** Reconstruction loss. Default 'mse'. */
  loss?: Loss;
  /** Input normalizer fitted by the first fit() and saved with the model. Default 'none'. */
  normalize?: Normalize;
  /** Seed of every random draw (init, shuffling, dropout, noise, sampling; one stream each). Default 1. */
  seed?: number;
  /**
   * A sparse autoencoder: a penalty on the latent code z added to the loss, `{ l1: λ }` (λ · Σ|z| / rows)
   * or `{ kl: { rho, weight } }` (weight · Σ_j KL(ρ ‖ mean of unit j over the batch); needs a sigmoid latent).
   */
  sparsity?: Sparsity;
  /**
   * A variational autoencoder (VAE): the encoder's last layer outputs a mean and a log-variance per
   * latent unit, training samples z from them, and the loss adds β · KL / inputDim. Default beta 1
   * (β ≠ 1 is the β-VAE). The latent layer must be linear; loss 'mae' is refused.
   */
  variational?: { beta?: number };
  /** A conditional VAE (dense spec with `variational`): width of the condition rows passed to fit/encode/decode/score. */
  conditionDim?: number;
  /**
   * A contractive autoencoder: add λ · (1/rows) Σ_rows ‖∂z/∂x‖²_F (the encoder's Jacobian, exact through
   * every dense layer and activation) to the loss. Dense encoders only.
   */
  contractive?: number;
  /**
   * A code trained for compression (`compress()`): while training, each code value gets uniform noise of one unit,
   * U(-1/2, 1/2) (the relaxation of rounding it to an integer), and the loss adds rate · bits / inputDim, bits being
   * the code's length under a unit Laplace prior per value, Σ|z| / ln 2 (L1's arithmetic; λ 0.1-0.3 on MNIST). Then
   * `compress()` and `fitCodec()` without `bits` quantise the code to integers (step 1). Needs a linear latent; not
   * with variational or sparsity. 0 trains under the noise alone.
   */
  rate?: number;
  /**
   * An ensemble for anomaly scores on data that may hold anomalies: `members` autoencoders (default 16)
   * with this spec's layers, each trained on its own `rows` random training rows (default 512; every
   * row when the data have fewer), drawn per member from the seed. score() sums the members' scores,
   * each member's per-feature scaled error (recM: the mean over features of e_j² / (median e_j² on
   * the training rows / 0.455)) standardised by its training median and IQR, so 0 is a typical training
   * row. encode, decode, reconstruct and getWeights use member 0. Dense spec, loss 'mse', no variant options.
   *
   * `clean` (default 0.2; 0 to 0.5, 0 = one pass): fit() trains the members twice, the second time
   * from their initial weights on the training rows the first ensemble scores at or below its (1 - clean)
   * quantile, so the rows most likely to be anomalies are left out (the normalizer is refitted on the
   * kept rows when this fit fitted it). The result equals a new model fitted on the kept rows.
   *
   * `density` (default 8192 in create(); 0 = none): after training, fit() keeps member 0's codes of up to
   * this many training rows, drawn from those the ensemble scores at or below its 80% quantile, and
   * score() adds a latent density term: the mean distance from a row's code to its 5 nearest kept codes,
   * in the ensemble score's units (its training IQR over the term's), minus the term's training median.
   * The model file carries the codes (rows x latent width floats). A file saved without them scores without.
   *
   * The default: a spec that gives no architecture (no `layers`, `encoder`, `decoder` or `inputShape`),
   * loss 'mse' and no variant (`variational`, `conditionDim`, `sparsity`, `contractive`, `rate`) builds this
   * ensemble with 16 members of 512 rows and the density term. `ensemble: false` builds one autoencoder instead; a spec that
   * gives `layers` (or a graph) builds one autoencoder unless it gives `ensemble`.
   */
  ensemble?: { members?: number; rows?: number; clean?: number; density?: number } | false;
}

/** A sparse autoencoder's penalty on the latent code. */
export type Sparsity = { l1: number } | { kl: { rho: number; weight: number } };

export type ResolvedSpec = Required<Omit<AutoencoderSpec, 'layers' | 'inputShape' | 'encoder' | 'decoder' | 'sparsity' | 'variational' | 'conditionDim' | 'contractive' | 'rate' | 'ensemble'>> & {
  ensemble?: { members: number; rows: number; clean: number; density?: number };
  /** Present only on models that have them (a plain model's header is as before). */
  sparsity?: Sparsity;
  contractive?: number;
  rate?: number;
  variational?: { beta: number };
  conditionDim?: number;
  /** Dense shorthand's encoder widths ([] for a graph spec). */
  layers: number[];
  inputShape?: number[];
  encoder?: ResolvedLayer[];
  decoder?: ResolvedLayer[];
};

const SPEC_KEYS = ['inputDim', 'inputShape', 'encoder', 'decoder', 'layers', 'activation', 'latentActivation', 'outputActivation', 'loss', 'normalize', 'seed',
  'sparsity', 'variational', 'conditionDim', 'contractive', 'rate', 'ensemble'] as const;
const DENSE_ONLY = ['layers', 'activation', 'latentActivation', 'outputActivation'] as const;
export const MAX_DIM = 1 << 20;
/** 1 / ln 2, written out (no Math in the weights the kernels take): the rate term's nats to bits. */
const INV_LN2 = 1.4426950408889634;

/**
 * Default encoder widths for `d` features: a hidden layer as wide as the input (at most 128) and a
 * latent of about d/2 (at most 32). Chosen on the ODDS tables (tools/eval-tabular.ts): [d, d/2] beat
 * [d/2, d/4] by 2.5 (vowels) and 5.3 (letter) AUC points and [d, d/4] by 1.8 and 0.6.
 */
export function defaultLayers(d: number): number[] {
  checkNumber('defaultLayers() takes the feature count, which', d, 1, MAX_DIM, true);
  const hidden = Math.min(128, Math.max(2, d));
  const latent = Math.min(hidden, 32, Math.max(1, Math.round(d / 2)));
  return [hidden, latent];
}

export function resolveSpec(spec: AutoencoderSpec): ResolvedSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new AutoencoderError(`Autoencoder.create() needs a spec object such as { inputDim: 30 }, got ${describe(spec)}`);
  }
  checkKeys('Autoencoder.create()', spec, SPEC_KEYS);
  const loss = checkName('loss', spec.loss ?? 'mse', LOSSES);
  const common = {
    loss,
    normalize: checkName('normalize', spec.normalize ?? 'none', NORMALIZERS),
    seed: checkNumber('seed', spec.seed ?? 1, 0, 0xffffffff, true),
  };
  const family = resolveFamily(spec);
  if (spec.inputShape !== undefined || spec.encoder !== undefined || spec.decoder !== undefined) {
    if (family.conditionDim !== undefined) throw new AutoencoderError('conditionDim works with the dense spec (inputDim + layers) only: a conditional VAE with inputShape/encoder/decoder is not supported');
    return checkFamily({ ...resolveGraph(spec, common), ...family });
  }
  const inputDim = checkNumber('inputDim', spec.inputDim, 1, MAX_DIM, true);
  const layers = spec.layers ?? defaultLayers(inputDim);
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new AutoencoderError(`layers must be a non-empty array of encoder widths such as [16, 8], got ${Array.isArray(layers) ? '[]' : describe(layers)}`);
  }
  checkArray('layers', layers, '[16, 8]');
  layers.forEach((w, i) => checkNumber(`layers[${i}]`, w, 1, MAX_DIM, true));
  const outputActivation = checkName('outputActivation', spec.outputActivation ?? (loss === 'bce' ? 'sigmoid' : 'linear'), ACTIVATIONS);
  if (loss === 'bce' && outputActivation !== 'sigmoid') {
    throw new AutoencoderError(`loss 'bce' needs outputActivation 'sigmoid' (outputs must be probabilities in (0, 1)), got '${outputActivation}'`);
  }
  return checkFamily({
    inputDim,
    layers: [...layers],
    activation: checkName('activation', spec.activation ?? 'relu', ACTIVATIONS),
    latentActivation: checkName('latentActivation', spec.latentActivation ?? 'linear', ACTIVATIONS),
    outputActivation,
    ...common,
    ...family,
  });
}

/**
 * create()'s spec with the default ensemble filled in: a spec that leaves the architecture to the library
 * (no layers, encoder, decoder or inputShape; loss 'mse'; no variant) and says nothing of `ensemble` gets
 * `ensemble: { members: 16, rows: 512, density: 8192 }`, an `ensemble` object without `density` gets
 * density 8192; any other spec is returned as it is. Only create() calls it (a file without density has none)
 * (a saved model's spec always names its layers), so load()-only bundles leave it out.
 */
export function withDefaultEnsemble(spec: AutoencoderSpec): AutoencoderSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return spec;
  const e = spec.ensemble;
  if (e !== null && typeof e === 'object' && !Array.isArray(e) && e.density === undefined) return { ...spec, ensemble: { ...e, density: 8192 } };
  if (e !== undefined) return spec;
  // (an option given as null is left out, as the checks after take it: `layers: null` gives the default ensemble too)
  const plain = spec.layers == null && spec.encoder == null && spec.decoder == null && spec.inputShape == null
    && (spec.loss == null || spec.loss === 'mse') && spec.variational == null && spec.conditionDim == null
    && spec.sparsity == null && spec.contractive == null && spec.rate == null;
  return plain ? { ...spec, ensemble: { members: 16, rows: 512, density: 8192 } } : spec;
}

/** The variant options (sparsity, variational, conditionDim), checked alone; only those given. */
function resolveFamily(spec: AutoencoderSpec): Pick<ResolvedSpec, 'sparsity' | 'variational' | 'conditionDim' | 'contractive' | 'rate' | 'ensemble'> {
  const out: Pick<ResolvedSpec, 'sparsity' | 'variational' | 'conditionDim' | 'contractive' | 'rate' | 'ensemble'> = {};
  if (spec.contractive !== undefined) out.contractive = checkNumber('contractive', spec.contractive, 0, 1e6);
  if (spec.rate !== undefined) out.rate = checkNumber('rate', spec.rate, 0, 1e6);
  const obj = (what: string, v: unknown, example: string) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new AutoencoderError(`${what} must be an object such as ${example}, got ${describe(v)}`);
  };
  if (spec.sparsity !== undefined) {
    obj('sparsity', spec.sparsity, '{ l1: 1e-3 } or { kl: { rho: 0.05, weight: 1 } }');
    checkKeys('sparsity', spec.sparsity, ['l1', 'kl']);
    const keys = Object.keys(spec.sparsity);
    if (keys.length !== 1) throw new AutoencoderError(`sparsity takes exactly one of l1 or kl, got ${keys.length === 0 ? 'none' : keys.join(' and ')}`);
    if ('l1' in spec.sparsity) out.sparsity = { l1: checkNumber('sparsity.l1', spec.sparsity.l1, 0, 1e6) };
    else {
      const kl = (spec.sparsity as { kl: unknown }).kl as { rho: number; weight: number };
      obj('sparsity.kl', kl, '{ rho: 0.05, weight: 1 }');
      checkKeys('sparsity.kl', kl, ['rho', 'weight']);
      const rho = checkNumber('sparsity.kl.rho', kl.rho, 0, 1);
      if (rho <= 0 || rho >= 1) throw new AutoencoderError(`sparsity.kl.rho must be strictly between 0 and 1 (the target mean activation), got ${rho}`);
      out.sparsity = { kl: { rho, weight: checkNumber('sparsity.kl.weight', kl.weight, 0, 1e6) } };
    }
  }
  if (spec.variational !== undefined) {
    obj('variational', spec.variational, '{ beta: 1 }');
    checkKeys('variational', spec.variational, ['beta']);
    out.variational = { beta: checkNumber('variational.beta', spec.variational.beta ?? 1, 0, 1e6) };
  }
  if (spec.conditionDim !== undefined) {
    out.conditionDim = checkNumber('conditionDim', spec.conditionDim, 1, MAX_DIM, true);
    if (!out.variational) throw new AutoencoderError('conditionDim makes a conditional VAE: add variational: { beta: 1 } (a plain autoencoder takes no condition)');
  }
  if (spec.ensemble !== undefined && spec.ensemble !== false) {
    obj('ensemble', spec.ensemble, '{ members: 16, rows: 512 }');
    checkKeys('ensemble', spec.ensemble, ['members', 'rows', 'clean', 'density']);
    const density = checkNumber('ensemble.density', spec.ensemble.density ?? 0, 0, 65536, true);
    out.ensemble = {
      members: checkNumber('ensemble.members', spec.ensemble.members ?? 16, 1, 1024, true),
      rows: checkNumber('ensemble.rows', spec.ensemble.rows ?? 512, 1, 2 ** 31 - 1, true),
      clean: checkNumber('ensemble.clean', spec.ensemble.clean ?? 0.2, 0, 0.5),
      ...(density ? { density } : {}),
    };
  }
  return out;
}

/** The checks that join the variant options with the rest of the spec. */
function checkFamily(s: ResolvedSpec): ResolvedSpec {
  if (s.variational) {
    if (s.loss === 'mae') throw new AutoencoderError("loss 'mae' is refused for a VAE (variational): its reconstruction term must be a likelihood; use 'mse' (Gaussian, unit variance) or 'bce' (Bernoulli)");
    if (s.latentActivation !== 'linear') throw new AutoencoderError(`a VAE's latent layer outputs a mean and a log-variance and must be linear: leave latentActivation out (or 'linear'), got '${s.latentActivation}'`);
    if (s.encoder) {
      const last = s.encoder[s.encoder.length - 1]!;
      if (last.type !== 'dense') throw new AutoencoderError(`a VAE's encoder must end with a dense layer of the latent size (e.g. { type: 'dense', units: 16 }), got '${last.type}'`);
      // a dense layer acts on the last axis: on a [length, channels] or [height, width, channels] input
      // it keeps the other axes, and the mean and log-variance halves of each row then did not line up
      // with the latent (rows were read into one another: a row's score changed with its batch)
      const z = latentShape(s);
      if (z.length !== 1) throw new AutoencoderError(`a VAE's latent must be a flat vector, but its encoder's last dense layer gets a ${z.length}-axis input and keeps its shape ([${z.join(', ')}]; a dense layer acts on the last axis): put { type: 'flatten' } before it`);
    }
    if (s.sparsity) throw new AutoencoderError('sparsity and variational do not combine here: a VAE already regularises its latent code by its KL term; drop one of them');
  }
  if (s.contractive !== undefined) {
    const notDense = s.encoder?.find((l) => l.type !== 'dense');
    if (notDense) throw new AutoencoderError(`contractive needs a dense encoder (its penalty is the Jacobian through dense layers): the encoder has a '${notDense.type}' layer; use dense layers only, or drop contractive`);
    if (s.variational) throw new AutoencoderError('contractive and variational do not combine here: drop one of them');
  }
  if (s.rate !== undefined) {
    const other = s.variational ? 'variational' : s.sparsity ? 'sparsity' : '';
    if (other) throw new AutoencoderError(`rate and ${other} do not combine: drop one of them (each is a penalty on the code)`);
    if (s.latentActivation !== 'linear') throw new AutoencoderError(`rate needs a linear latent (compress() rounds it to integers): make the ${s.encoder ? "encoder's last layer" : 'latentActivation'} 'linear', got '${s.latentActivation}'`);
  }
  if (s.ensemble) {
    const other = s.inputShape ? 'inputShape' : s.variational ? 'variational' : s.sparsity ? 'sparsity' : s.contractive !== undefined ? 'contractive' : s.rate !== undefined ? 'rate' : s.loss !== 'mse' ? 'loss ' + s.loss : 0;
    if (other) throw new AutoencoderError(`ensemble needs a dense spec (inputDim, layers), loss mse, no variant: drop ensemble or ${other}`);
  }
  if (s.sparsity && 'kl' in s.sparsity && s.latentActivation !== 'sigmoid') {
    throw new AutoencoderError(`sparsity { kl } needs a sigmoid latent (mean activations in (0, 1)): set latentActivation: 'sigmoid'${s.encoder ? " (the encoder's last layer activation)" : ''}, got '${s.latentActivation}'`);
  }
  return s;
}

function resolveGraph(spec: AutoencoderSpec, common: Pick<ResolvedSpec, 'loss' | 'normalize' | 'seed'>): ResolvedSpec {
  for (const k of DENSE_ONLY) {
    if (spec[k] !== undefined) throw new AutoencoderError(`"${k}" belongs to the dense shorthand; with inputShape/encoder/decoder give each layer its own activation`);
  }
  const shape = spec.inputShape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3) {
    throw new AutoencoderError(`inputShape must be [features], [length, channels] or [height, width, channels], got ${Array.isArray(shape) ? JSON.stringify(shape) : describe(shape)}`);
  }
  checkArray('inputShape', shape, '[28, 28, 1]', 1, 3);
  const inputShape = shape.map((d, i) => checkNumber(`inputShape[${i}]`, d, 1, MAX_DIM, true));
  const inputDim = inputShape.reduce((a, b) => a * b, 1);
  if (spec.inputDim !== undefined && spec.inputDim !== inputDim) {
    throw new AutoencoderError(`inputDim ${describe(spec.inputDim)} does not match inputShape [${inputShape.join(', ')}] (${inputDim} values): leave inputDim out`);
  }
  const list = (name: 'encoder' | 'decoder') => {
    const v = spec[name];
    if (!Array.isArray(v) || v.length === 0 || holeIn(v) >= 0) {
      throw new AutoencoderError(`${name} must be a non-empty array of layers such as [{ type: 'conv2d', filters: 16, kernel: 3 }], got ${describe(v)}`);
    }
    return (v as LayerSpec[]).map((l, i) => resolveLayer(l, `${name}[${i}]`));
  };
  const encoder = list('encoder'), decoder = list('decoder');
  const labels = [...encoder.map((_, i) => `encoder[${i}]`), ...decoder.map((_, i) => `decoder[${i}]`)];
  const { shapes } = planGraph(inputShape, [...encoder, ...decoder], labels);
  const out = shapes[shapes.length - 1]!;
  if (out.length !== inputShape.length || out.some((d, i) => d !== inputShape[i])) {
    throw new AutoencoderError(`the decoder ends with shape [${out.join(', ')}] but inputShape is [${inputShape.join(', ')}]: an autoencoder must rebuild its input's shape`);
  }
  const last = decoder[decoder.length - 1]!;
  if (common.loss === 'bce' && last.activation !== 'sigmoid') {
    throw new AutoencoderError(`loss 'bce' needs the last decoder layer to use activation 'sigmoid', got '${last.activation ?? 'none'}'`);
  }
  // the latent's activation: the encoder's last one, through the layers after it that keep its range (pools, upsampling,
  // flatten, reshape, dropout); a batchNorm after it shifts and scales the values, so the latent is linear
  const lastAct = (ls: ResolvedLayer[]): Activation => {
    for (let i = ls.length - 1; i >= 0; i--) {
      if (ls[i]!.type === 'batchNorm') return 'linear';
      if (ls[i]!.activation) return ls[i]!.activation!;
    }
    return 'linear';
  };
  return {
    inputDim, layers: [], activation: 'linear', latentActivation: lastAct(encoder), outputActivation: last.activation ?? 'linear',
    inputShape, encoder, decoder, ...common,
  };
}

/**
 * The graph the arena runs: the dense shorthand mirrored, or the graph's layers, as nodes in order
 * (each reads the node before unless it names its inputs), and the loss terms. A VAE's latent layer
 * outputs [mean, logVar] (2L) into a sample node (the latent, L); a conditional VAE concatenates
 * the condition after the input and after z.
 */
export function buildPlan(s: ResolvedSpec): NetPlan {
  let layers: LayerPlan[];
  let nEnc: number;
  if (s.inputShape && s.encoder && s.decoder) {
    layers = planGraph(s.inputShape, [...s.encoder, ...s.decoder]).plans;
    nEnc = s.encoder.length;
  } else {
    const K = s.conditionDim ?? 0;
    const widths = [s.inputDim, ...s.layers, ...s.layers.slice(0, -1).reverse(), s.inputDim];
    nEnc = s.layers.length;
    layers = widths.slice(1).map((out, i) => {
      const act = i === nEnc - 1 ? s.latentActivation : i === widths.length - 2 ? s.outputActivation : s.activation;
      // a conditional VAE's encoder reads [x, c] and its decoder [z, c]
      const inW = widths[i]! + (K && (i === 0 || i === nEnc) ? K : 0);
      return { op: OP.dense, in: inW, out, act: ACT_IDS[act] };
    });
  }
  const terms: TermPlan[] = [];
  let latent = nEnc - 1;
  if (s.variational) {
    // the latent layer outputs [mean L, logVar L]; the sample node after it is the latent code
    const head = layers[latent]!, L = head.oc ?? head.out;
    layers[latent] = { ...head, out: (head.out / L) * 2 * L, ...(head.oc === undefined ? {} : { oc: 2 * L }) };
    layers.splice(latent + 1, 0, { op: OP.sample, in: 2 * L, out: L, act: ACT_IDS.linear });
    terms.push({ kind: TERM.vaeKl, tensor: latent, weight: s.variational.beta / s.inputDim });
    latent++;
    if (s.conditionDim) {
      const K = s.conditionDim;
      // [x, c] before the first layer, [z, c] before the decoder: concat nodes; later nodes shift by one each
      layers.splice(latent + 1, 0, { op: OP.concat, in: L + K, out: L + K, ic: L, act: ACT_IDS.linear, src0: latent, src1: SRC.cond });
      layers.unshift({ op: OP.concat, in: s.inputDim + K, out: s.inputDim + K, ic: s.inputDim, act: ACT_IDS.linear, src0: SRC.input, src1: SRC.cond });
      layers.forEach((l, i) => { if (l.src0 !== undefined && l.src0 >= 0 && i > 0) l.src0++; });
      terms[0]!.tensor++;
      latent++;
    }
  }
  terms.unshift({ kind: TERM.recon, tensor: layers.length - 1, weight: s.variational && s.loss === 'mse' ? 0.5 : 1 });
  if (s.sparsity) {
    terms.push('l1' in s.sparsity
      ? { kind: TERM.l1, tensor: latent, weight: s.sparsity.l1 }
      : { kind: TERM.klSparse, tensor: latent, weight: s.sparsity.kl.weight, param: s.sparsity.kl.rho });
  }
  if (s.contractive !== undefined) terms.push({ kind: TERM.contractive, tensor: latent, weight: s.contractive });
  if (s.rate !== undefined) {
    // the code's bits under a unit Laplace prior, sum|z| / ln 2, per input value; then the noise node after the code
    // (a dropout node of negative rate: assembly/layers.ts dropout_forward), so encode() still reads the clean code
    terms.push({ kind: TERM.rate, tensor: latent, weight: s.rate * INV_LN2 / s.inputDim });
    // (no node names its inputs here: only a (conditional) VAE's do, and rate refuses variational)
    const W = layers[latent]!.out;
    layers.splice(latent + 1, 0, { op: OP.dropout, in: W, out: W, act: ACT_IDS.linear, rate: -1 });
    terms[0]!.tensor++;
  }
  return { layers, latent, loss: LOSS_IDS[s.loss], norm: NORM_IDS[s.normalize], terms, ...(s.conditionDim ? { condDim: s.conditionDim } : {}), ...(s.ensemble ? { members: s.ensemble.members, density: s.ensemble.density ?? 0 } : {}) };
}

/** The name fit()'s history gives each loss term (history.terms). */
export function termName(kind: number): 'reconstruction' | 'kl' | 'sparsity' | 'contractive' | 'rate' {
  return kind === TERM.recon ? 'reconstruction' : kind === TERM.vaeKl ? 'kl' : kind === TERM.contractive ? 'contractive' : kind === TERM.rate ? 'rate' : 'sparsity';
}

/** Per-sample shape of the latent code. */
export function latentShape(s: ResolvedSpec): number[] {
  if (s.inputShape && s.encoder) return planGraph(s.inputShape, s.encoder).shapes.at(-1)!;
  return [s.layers[s.layers.length - 1]!];
}

/** What `model.spec` returns: a complete spec that `Autoencoder.create()` accepts as it is. */
export type ModelSpec = AutoencoderSpec & { inputDim: number; loss: Loss; normalize: Normalize; seed: number };

/** Per-epoch report passed to `onEpoch`. */
export interface EpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Validation loss (NaN without a validation split). */
  valLoss: number;
  /** Time the epoch's training and validation took, in milliseconds (without the host's turns fit() gives inside it). */
  ms: number;
}

export interface EarlyStopping {
  /** Epochs without improvement before stopping. Default 10. */
  patience?: number;
  /** Put back the weights of the best epoch when training ends. Default true. */
  restoreBest?: boolean;
  /** Smallest decrease that counts as an improvement. Default 0. */
  minDelta?: number;
}

/** What `fit()` takes. All optional. */
export interface FitOptions {
  /** Training epochs (at most; early stopping may end sooner). Default 100. */
  epochs?: number;
  /** Rows per optimizer step. Default 32. */
  batchSize?: number;
  /** Step size. Default 1e-3 (0.01 for sgd and momentum). */
  learningRate?: number;
  /** Default 'adam'. */
  optimizer?: Optimizer;
  /** Reshuffle the training rows every epoch. Default true. */
  shuffle?: boolean;
  /** Fraction of rows, taken from the end as Keras does, held out for validation. Default 0.1. */
  validationSplit?: number;
  /** Stop when the monitored loss (val loss, or loss without validation) stops improving; false to train all epochs. Default { patience: 10, restoreBest: true }. */
  earlyStopping?: EarlyStopping | false;
  /** Called after every epoch; return false to stop training. */
  onEpoch?: (info: EpochInfo) => void | boolean | Promise<void | boolean>;
  /**
   * An AbortController's signal, looked at before training, between epochs, and inside an epoch each time fit() gives
   * the host its turn (about every 50 ms of training): once it is aborted, fit() rejects with the signal's reason, as
   * fetch() does, and the model is as it was before fit(). (To stop early and keep what was trained, return false from
   * onEpoch.)
   */
  signal?: AbortSignal;
  /** Train x -> target instead of x -> x (denoising with given pairs). Same shape as x. */
  target?: Matrix;
  /**
   * Corrupt the inputs during training (a denoising autoencoder; the target stays the clean input):
   * `{ gaussian: σ, clip?: [lo, hi] }`, `{ mask: p }` (a fraction p of the inputs set to 0) or
   * `{ saltPepper: p }` (a fraction p set to the feature's training minimum or maximum, half each),
   * drawn in wasm from the noise stream, fresh each epoch, in the units of the data you pass.
   * A number n is short for `{ gaussian: n }`. Default none.
   */
  noise?: number | NoiseSpec;
  /** A conditional VAE's condition rows (rows x conditionDim, e.g. one-hot labels; not normalized). */
  condition?: Matrix;
  /** L2 penalty (sgd, momentum, adam) or decoupled decay (adamw; default 0.01 there). Default 0. */
  weightDecay?: number;
  /** Momentum factor for 'momentum'. Default 0.9. */
  momentum?: number;
  /** Adam's beta1. Default 0.9. */
  beta1?: number;
  /** Adam's beta2. Default 0.999. */
  beta2?: number;
  /** Adam's epsilon. Default 1e-8. */
  epsilon?: number;
}

/** Rows of numbers: row-major Float32Array / Float64Array (rows x cols), or number[][]. */
export type Matrix = Float32Array | Float64Array | ArrayLike<number>[];

const FIT_KEYS = ['epochs', 'batchSize', 'learningRate', 'optimizer', 'shuffle', 'validationSplit', 'earlyStopping',
  'onEpoch', 'signal', 'target', 'noise', 'weightDecay', 'momentum', 'beta1', 'beta2', 'epsilon', 'condition'] as const;

/** fit()'s input corruption, one kind per fit. */
export type NoiseSpec = { gaussian: number; clip?: [number, number] } | { mask: number } | { saltPepper: number };

/** The corruption as the kernels take it: kind (NOISE ids), amount, clip (lo > hi: none). */
function resolveNoise(v: unknown): { kind: 'gaussian' | 'mask' | 'saltPepper'; amount: number; lo: number; hi: number } {
  if (v === undefined) return { kind: 'gaussian', amount: 0, lo: 1, hi: 0 };
  if (typeof v === 'number') return { kind: 'gaussian', amount: checkNumber('noise', v, 0, 1e6), lo: 1, hi: 0 };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new AutoencoderError(`noise must be a number or one of { gaussian: σ, clip?: [lo, hi] }, { mask: p }, { saltPepper: p }, got ${describe(v)}`);
  }
  checkKeys('noise', v, ['gaussian', 'clip', 'mask', 'saltPepper']);
  const o = v as Record<string, unknown>;
  const kinds = (['gaussian', 'mask', 'saltPepper'] as const).filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) throw new AutoencoderError(`noise takes one kind per fit: exactly one of gaussian, mask or saltPepper, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
  const kind = kinds[0]!;
  if (o.clip !== undefined && kind !== 'gaussian') throw new AutoencoderError(`noise.clip applies to gaussian noise only, not ${kind}`);
  if (kind !== 'gaussian') return { kind, amount: checkNumber(`noise.${kind}`, o[kind], 0, 1), lo: 1, hi: 0 };
  let lo = 1, hi = 0;
  if (o.clip !== undefined) {
    checkArray('noise.clip', o.clip, '[0, 1] ([lo, hi])', 2, 2);
    const c = o.clip as number[];
    lo = checkNumber('noise.clip[0]', c[0], -3e38, 3e38);
    hi = checkNumber('noise.clip[1] (at least clip[0])', c[1], lo, 3e38);
  }
  return { kind, amount: checkNumber('noise.gaussian', o.gaussian, 0, 1e6), lo, hi };
}

export interface ResolvedFit {
  epochs: number; batchSize: number; learningRate: number; optimizer: Optimizer; shuffle: boolean;
  validationSplit: number; early: Required<EarlyStopping> | null; onEpoch?: FitOptions['onEpoch']; signal?: AbortSignal;
  target?: Matrix; condition?: Matrix; noise: number; noiseKind: 'gaussian' | 'mask' | 'saltPepper'; noiseClip: [number, number]; weightDecay: number; momentum: number; beta1: number; beta2: number; epsilon: number;
}

export function resolveFit(o: FitOptions = {}): ResolvedFit {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new AutoencoderError(`fit() options must be an object such as { epochs: 50 }, got ${describe(o)}`);
  checkKeys('fit()', o, FIT_KEYS);
  const optimizer = checkName('optimizer', o.optimizer ?? 'adam', OPTIMIZERS);
  let early: Required<EarlyStopping> | null = { patience: 10, restoreBest: true, minDelta: 0 };
  if (o.earlyStopping === false) early = null;
  else if (o.earlyStopping !== undefined) {
    if (o.earlyStopping === null || typeof o.earlyStopping !== 'object' || Array.isArray(o.earlyStopping)) {
      throw new AutoencoderError(`earlyStopping must be false or an object such as { patience: 5, restoreBest: true }, got ${describe(o.earlyStopping)}`);
    }
    checkKeys('earlyStopping', o.earlyStopping, ['patience', 'restoreBest', 'minDelta']);
    early = {
      patience: checkNumber('earlyStopping.patience', o.earlyStopping.patience ?? 10, 1, 1e9, true),
      restoreBest: checkBoolean('earlyStopping.restoreBest', o.earlyStopping.restoreBest ?? true),
      minDelta: checkNumber('earlyStopping.minDelta', o.earlyStopping.minDelta ?? 0, 0, 3e38),
    };
  }
  if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function') throw new AutoencoderError(`onEpoch must be a function, got ${describe(o.onEpoch)}`);
  if (o.signal !== undefined && (o.signal === null || typeof o.signal !== 'object' || typeof (o.signal as { aborted?: unknown }).aborted !== 'boolean')) {
    throw new AutoencoderError(`signal must be an AbortSignal (an AbortController's .signal), got ${describe(o.signal)}`);
  }
  const sgdLike = optimizer === 'sgd' || optimizer === 'momentum';
  const r: ResolvedFit = {
    epochs: checkNumber('epochs', o.epochs ?? 100, 1, 1e7, true),
    batchSize: checkNumber('batchSize', o.batchSize ?? 32, 1, 1 << 16, true),
    learningRate: checkNumber('learningRate', o.learningRate ?? (sgdLike ? 0.01 : 1e-3), 0, 1e3),
    optimizer,
    shuffle: checkBoolean('shuffle', o.shuffle ?? true),
    validationSplit: checkNumber('validationSplit', o.validationSplit ?? 0.1, 0, 0.9),
    early,
    onEpoch: o.onEpoch,
    signal: o.signal,
    target: o.target,
    condition: o.condition,
    ...(() => { const z = resolveNoise(o.noise); return { noise: z.amount, noiseKind: z.kind, noiseClip: [z.lo, z.hi] as [number, number] }; })(),
    weightDecay: checkNumber('weightDecay', o.weightDecay ?? (optimizer === 'adamw' ? 0.01 : 0), 0, 1e3),
    momentum: checkNumber('momentum', o.momentum ?? 0.9, 0, 1),
    beta1: checkNumber('beta1', o.beta1 ?? 0.9, 0, 0.999999),
    beta2: checkNumber('beta2', o.beta2 ?? 0.999, 0, 0.999999),
    // (> 0: Adam divides by sqrt(v) + epsilon, and a weight whose gradient stays 0 would get 0 / 0)
    epsilon: checkNumber('epsilon', o.epsilon ?? 1e-8, 1e-30, 1),
  };
  // an option of another optimizer changes nothing: refused, as an option that does not apply to the model is
  for (const key of [...(optimizer === 'momentum' ? [] : ['momentum'] as const), ...(sgdLike ? ['beta1', 'beta2', 'epsilon'] as const : [])]) {
    if (o[key] !== undefined) throw new AutoencoderError(`${key} has no effect with optimizer '${optimizer}': it is ${key === 'momentum' ? "optimizer 'momentum''s" : "Adam's ('adam' and 'adamw')"}; leave it out or choose that optimizer`);
  }
  return r;
}
