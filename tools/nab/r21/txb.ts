import { corpus, load, pipeline, evalAll, fmt } from './emu.js';
const seed = 1;
const base = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 });
console.log('default    ', fmt(evalAll(corpus.map((s, i) => pipeline(s, base[i]!)))));
for (const tx of (process.env.TX ?? '0.3').split(',').map(Number)) {
  const r = load({ seed, tx, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1, spatialTolerance: -1 });
  console.log(`tx ${tx} B   `, fmt(evalAll(corpus.map((s, i) => pipeline(s, r[i]!, { addRange: true })))));
  const txv = corpus.map((s) => { const w = 128; let m = 0; for (let j = 0; j < w; j++) m += Math.abs(s.values[j]!); let c = tx * m / w; if (!(c > 0)) c = 1; return Float64Array.from(s.values, (x) => Math.asinh(x / c)); });
  console.log(`tx ${tx} B mt`, fmt(evalAll(corpus.map((s, i) => pipeline(s, r[i]!, { addRange: true, memVals: txv[i] })))));
}
