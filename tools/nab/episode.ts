// episode.ts: the one-alarm-per-episode rule emulated on screen.ts's cached scores of a run with
// `suppress: 0` (the scores before the rule), so variants of the rule are scored without rerunning
// the detector. Evaluation code only. The 'halve' variant with K 600 reproduces the shipped rule
// (a score that is no new high over the K points before it is halved) bit for bit.
// Usage: npx tsx tools/nab/episode.ts [--cache dir] '{"suppress":0,...}'
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus } from './corpus.js';
import { PROFILES, normalise, optimizeThreshold, sweepRows, type ScoredFile } from './scorer.js';

const argv = process.argv.slice(2);
const flag = (name: string) => { const i = argv.indexOf(name); if (i < 0) return undefined; const v = argv[i + 1]; argv.splice(i, 2); return v; };
const cache = flag('--cache') ?? '/tmp/nab-screen';
const warm = 128;
const corpus = loadCorpus();
const nw = corpus.reduce((a, s) => a + new Set([...sweepRows(s.values.length, s.windows, PROFILES[0]!).window].filter((w) => w >= 0)).size, 0);
const load = (o: object) => corpus.map((s) => {
  const key = createHash('sha1').update(JSON.stringify(o)).update(s.name).digest('hex').slice(0, 16);
  const b = readFileSync(`${cache}/${key}.f32`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
});
export type Rule = (raw: Float32Array) => Float32Array;
/** The shipped rule, generalised: top over the last K raw scores, each weighted by w(age) (age 1..K); a score <= top is multiplied by f. */
export const rule = (K: number, f = 0.5, w: (age: number) => number = () => 1): Rule => (raw) => {
  const out = new Float32Array(raw.length);
  for (let c = 0; c < raw.length; c++) {
    const s = raw[c]!;
    if (c + 1 < warm) { out[c] = s; continue; }
    let top = 0;
    for (let a = 1; a <= K && c - a >= warm - 1; a++) top = Math.max(top, raw[c - a]! * w(a));
    out[c] = s <= top ? Math.fround(s * f) : s;
  }
  return out;
};
export function score(sets: Float32Array[]): number[] {
  const files: ScoredFile[] = corpus.map((s, i) => ({ name: s.name, windows: s.windows, scores: sets[i]! }));
  return PROFILES.map((p) => normalise(optimizeThreshold(files, p).raw, nw, p));
}
const fmt = (v: number[]) => v.map((x) => x.toFixed(1).padStart(6)).join('');
/** The range check of assembly/series.ts: 1 where a value leaves the range seen before it by more than tol of it (from the warm-up on). */
function spatialFlags(v: Float64Array, tol = 0.05): Uint8Array {
  const f = new Uint8Array(v.length); let lo = 0, hi = 0;
  for (let c = 0; c < v.length; c++) {
    const x = Math.fround(v[c]!);
    if (c >= warm) { const sp = hi - lo; if (sp > 0 && (x > hi + tol * sp || x < lo - tol * sp)) f[c] = 1; }
    if (c === 0 || x < lo) lo = x; if (c === 0 || x > hi) hi = x;
  }
  return f;
}
/**
 * From model-only scores (a run with suppress 0 and spatialTolerance -1): the range check, then the
 * episode rule over K with the ring holding ringOf(emitted, model score, flag) (the shipped rule: the emitted score).
 */
export const withSpatial = (K: number, ringOf: (emit: number, model: number, flag: number) => number) => (m: Float32Array, v: Float64Array): Float32Array => {
  const fl = spatialFlags(v), n = m.length, ring = new Float32Array(n), out = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const emit = fl[c] ? 1 : m[c]!;
    if (c + 1 < warm) { out[c] = emit; continue; }
    let top = 0;
    for (let a = 1; a <= K && c - a >= warm - 1; a++) top = Math.max(top, ring[c - a]!);
    ring[c] = ringOf(emit, m[c]!, fl[c]!);
    out[c] = emit <= top ? Math.fround(emit * 0.5) : emit;
  }
  return out;
};
if (process.argv.includes('--spatial')) {
  argv.splice(argv.indexOf('--spatial'), 1);
  const raws = argv.map((a) => load(JSON.parse(a) as object));
  const variants: [string, (m: Float32Array, v: Float64Array) => Float32Array][] = [
    ['shipped (ring holds the emitted score)', withSpatial(600, (e) => e)],
    ['ring holds the model score (range-check 1s mask nothing after them)', withSpatial(600, (_e, m) => m)],
    ['ring holds min(emitted, 0.75)', withSpatial(600, (e) => Math.min(e, 0.75))],
    ['ring holds min(emitted, 0.5)', withSpatial(600, (e) => Math.min(e, 0.5))],
  ];
  for (const [name, r] of variants) {
    const per = raws.map((raw) => score(raw.map((f, i) => r(f, corpus[i]!.values))));
    const mean = [0, 1, 2].map((j) => per.reduce((a, v) => a + v[j]!, 0) / per.length);
    console.log(`${fmt(mean)}  ${name}  (std per seed: ${per.map((v) => v[0]!.toFixed(1)).join(' / ')})`);
  }
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const raws = argv.map((a) => load(JSON.parse(a) as object));
  const variants: [string, Rule][] = [
    ['none', (r) => r],
    ['halve K600 (shipped)', rule(600)],
    ['K600, top decays linearly to 0 over K', rule(600, 0.5, (a) => 1 - a / 600)],
    ['K1200, linear decay', rule(1200, 0.5, (a) => 1 - a / 1200)],
    ['K600, top x 0.9 ', rule(600, 0.5, () => 0.9)],
    ['K600, top x 0.8', rule(600, 0.5, () => 0.8)],
  ];
  for (const [name, r] of variants) {
    const per = raws.map((raw) => score(raw.map((f) => r(f))));
    const mean = [0, 1, 2].map((j) => per.reduce((a, v) => a + v[j]!, 0) / per.length);
    console.log(`${fmt(mean)}  ${name}  (per seed std: ${per.map((v) => v[0]!.toFixed(1)).join(' / ')})`);
  }
}
