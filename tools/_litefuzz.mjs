// exploratory: random models (dense family and layer graphs), fitted, saved; the scoring module's AutoencoderLite must give the full class's bits
import fc from 'fast-check';
import { Autoencoder, AutoencoderError } from '../dist/bindings/node.js';
import { AutoencoderLite } from '../dist/bindings/score.js';
const found = new Map();
let made = 0, refused = 0, compared = 0;
const act = fc.constantFrom('relu', 'linear', 'tanh', 'sigmoid', 'elu', 'leakyRelu');
const pad = fc.constantFrom('valid', 'same');
const layer2 = fc.oneof(
  fc.record({ type: fc.constant('conv2d'), filters: fc.integer({ min: 1, max: 6 }), kernel: fc.integer({ min: 1, max: 4 }), strides: fc.integer({ min: 1, max: 2 }), padding: pad, activation: act }),
  fc.record({ type: fc.constant('conv2dTranspose'), filters: fc.integer({ min: 1, max: 6 }), kernel: fc.integer({ min: 1, max: 4 }), strides: fc.integer({ min: 1, max: 2 }), padding: pad, activation: act }),
  fc.record({ type: fc.constant('maxPool2d') }), fc.record({ type: fc.constant('upSampling2d') }), fc.record({ type: fc.constant('batchNorm') }),
  fc.record({ type: fc.constant('dropout'), rate: fc.constantFrom(0, 0.3) }),
  fc.record({ type: fc.constant('dense'), units: fc.integer({ min: 1, max: 20 }), activation: act }),
);
const layer1 = fc.oneof(
  fc.record({ type: fc.constant('conv1d'), filters: fc.integer({ min: 1, max: 6 }), kernel: fc.integer({ min: 1, max: 5 }), strides: fc.integer({ min: 1, max: 2 }), padding: pad, activation: act }),
  fc.record({ type: fc.constant('conv1dTranspose'), filters: fc.integer({ min: 1, max: 6 }), kernel: fc.integer({ min: 1, max: 5 }), strides: fc.integer({ min: 1, max: 2 }), padding: pad, activation: act }),
  fc.record({ type: fc.constant('maxPool1d') }), fc.record({ type: fc.constant('upSampling1d') }), fc.record({ type: fc.constant('batchNorm') }),
  fc.record({ type: fc.constant('dense'), units: fc.integer({ min: 1, max: 20 }), activation: act }),
);
const dense = fc.record({ kind: fc.constant('dense'), inputDim: fc.integer({ min: 1, max: 40 }), layers: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 }), activation: act, latentActivation: act, outputActivation: act,
  normalize: fc.constantFrom('none', 'standard', 'minmax'), variant: fc.constantFrom('none', 'none', 'vae', 'sparse', 'contractive', 'ensemble', 'cvae') });
const graph = fc.record({ kind: fc.constantFrom('g2', 'g1'), h: fc.integer({ min: 2, max: 10 }), w: fc.integer({ min: 2, max: 10 }), c: fc.integer({ min: 1, max: 3 }), e2: fc.array(layer2, { minLength: 1, maxLength: 3 }), d2: fc.array(layer2, { maxLength: 3 }), e1: fc.array(layer1, { minLength: 1, maxLength: 3 }), d1: fc.array(layer1, { maxLength: 3 }), vae: fc.boolean(), normalize: fc.constantFrom('none', 'standard', 'minmax') });
await fc.assert(fc.asyncProperty(fc.oneof(dense, graph), fc.integer({ min: 2, max: 12 }), fc.nat(999), async (x, rows, seed) => {
  let spec, D;
  if (x.kind === 'dense') {
    D = x.inputDim;
    spec = { inputDim: D, layers: x.layers, activation: x.activation, latentActivation: x.variant === 'vae' || x.variant === 'cvae' ? 'linear' : x.latentActivation, outputActivation: x.outputActivation, normalize: x.normalize, seed };
    if (x.variant === 'vae') spec.variational = { beta: 0.5 };
    if (x.variant === 'cvae') { spec.variational = {}; spec.conditionDim = 2; }
    if (x.variant === 'sparse') spec.sparsity = { l1: 0.01 };
    if (x.variant === 'contractive') spec.contractive = 0.01;
    if (x.variant === 'ensemble') { spec = { inputDim: D, layers: x.layers, normalize: x.normalize, seed, ensemble: { members: 3, rows: 8 } }; }
  } else {
    const shape = x.kind === 'g2' ? [x.h, x.w, x.c] : [x.h * 2, x.c];
    D = shape.reduce((a, b) => a * b, 1);
    const enc = x.kind === 'g2' ? x.e2 : x.e1, dec0 = x.kind === 'g2' ? x.d2 : x.d1;
    const e = x.vae ? [...enc, { type: 'flatten' }, { type: 'dense', units: 3 }] : enc;
    spec = { inputShape: shape, encoder: e, decoder: [...dec0, { type: 'flatten' }, { type: 'dense', units: D }, { type: 'reshape', shape }], normalize: x.normalize, seed, ...(x.vae ? { variational: {} } : {}) };
  }
  const desc = JSON.stringify({ spec, rows });
  if (process.env.TRACE) process.stderr.write(desc + '\n');
  let ae;
  try { ae = await Autoencoder.create(spec); } catch (e) { if (!(e instanceof AutoencoderError)) found.set('create ' + e.message.slice(0, 80), desc); refused++; return; }
  made++;
  const data = Float32Array.from({ length: rows * D }, (_, i) => (Math.sin(i * 0.37 + seed) + 1) / 2 + (i % 7 === 3 ? 0.5 : 0));
  const cond = spec.conditionDim ? Float32Array.from({ length: rows * 2 }, (_, i) => i % 2) : undefined;
  try {
    await ae.fit(data, { epochs: 2, batchSize: 4, validationSplit: 0, ...(cond ? { condition: cond } : {}) });
    ae.calibrate(data, cond ? { condition: cond } : undefined);
  } catch (e) { if (!(e instanceof AutoencoderError)) found.set('fit ' + e.constructor.name + ' ' + e.message.slice(0, 100), desc); else found.set('fit clear ' + e.message.replace(/\d+/g, '#').slice(0, 90), desc); ae.dispose(); return; }
  const lite = await AutoencoderLite.load(ae.save());
  const same = (name, a, b) => { if (a instanceof Float32Array || a instanceof Uint8Array) { if (a.length !== b.length || !a.every((v, i) => Object.is(v, b[i]))) found.set(`${name} differs`, desc); } };
  const o = cond ? { condition: cond } : undefined;
  const call = (name, f) => { try { return f(); } catch (e) { return e instanceof AutoencoderError ? 'clear:' + e.message.slice(0, 60) : (found.set(`${name} threw ${e.constructor.name}: ${e.message.slice(0, 80)}`, desc), 'x'); } };
  for (const [name, f] of [['score', (m) => m.score(data, o)], ['detect', (m) => m.detect(data, o)], ['reconstruct', (m) => m.reconstruct(data, o)], ['encode', (m) => m.encode(data, o)]]) {
    const a = call(name, () => f(ae)), b = call(name + ' lite', () => f(lite));
    if (typeof a === 'string' || typeof b === 'string') { if (String(a) !== String(b)) found.set(`${name}: full ${String(a).slice(0, 50)} / lite ${String(b).slice(0, 50)}`, desc); continue; }
    same(name, a, b);
    if (name === 'encode' && !spec.conditionDim) { const da = call('decode', () => ae.decode(a)), db = call('decode lite', () => lite.decode(a)); if (typeof da !== 'string') same('decode', da, db); }
  }
  compared++;
  ae.dispose(); lite.dispose?.();
}), { numRuns: Number(process.argv[2] ?? 300), seed: Number(process.argv[3] ?? 1) });
console.log({ made, refused, compared });
for (const [k, e] of found) console.log(k, '\n   <= ', e.slice(0, 900));
