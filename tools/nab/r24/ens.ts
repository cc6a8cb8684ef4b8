// round 24 screen: the max of two whole detectors' raw scores (different settings), then the shipped rules and
// the confirmed ramp (r21/feed.ts `pipe`, {"agree":0.2857,"modelOnly":true}), over seeds 1-8.
// Usage: SEEDS=1 npx tsx tools/nab/r24/ens.ts '<member A options>' '<member B options>' [shift]
//   member B of seed S runs seed ((S - 1 + shift) mod 8) + 1 (shift 0: the same seed number)
import { corpus, load, evalAll } from '../r21/emu.js';
import { pipe } from '../r21/feed.js';
import { HALF } from '../likelihood.js';
const RAW = { suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 };
const [a, b, sh] = process.argv.slice(2);
const A = JSON.parse(a!), B = JSON.parse(b!), shift = Number(sh ?? 0);
// MODE: max (default) | meanL (the mean of the two L = HALF s / (1 - s); a 1 from either stays 1) | sum (L summed)
const MODE = process.env.MODE ?? 'max';
const Lof = (s: number) => (s < 1 ? HALF * s / (1 - s) : Infinity);
const comb = (x: number, y: number) => MODE === 'max' ? Math.max(x, y) : x >= 1 || y >= 1 ? 1 : (() => { const L = MODE === 'sum' ? Lof(x) + Lof(y) : (Lof(x) + Lof(y)) / 2; return Math.fround(L / (L + HALF)); })();
const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
const V = { agree: 0.2857, modelOnly: true };
const rows: { v: number[]; cats: number[] }[] = [], alone: { v: number[] }[] = [], aloneB: { v: number[] }[] = [];
for (const s of seeds) {
  const sb = ((s - 1 + shift) % 8) + 1;
  const ra = load({ seed: s, ...A, ...RAW }), rb = load({ seed: sb, ...B, ...RAW });
  const mx = ra.map((x, i) => Float32Array.from(x, (v, j) => comb(v, rb[i]![j]!)));
  rows.push(evalAll(corpus.map((_, i) => pipe(i, mx[i]!, V))));
  alone.push(evalAll(corpus.map((_, i) => pipe(i, ra[i]!, V))));
  aloneB.push(evalAll(corpus.map((_, i) => pipe(i, rb[i]!, V))));
}
const m = (rs: { v: number[] }[], k: number) => rs.reduce((x, r) => x + r.v[k]!, 0) / rs.length;
const f = (rs: { v: number[] }[]) => [0, 1, 2].map((k) => m(rs, k).toFixed(3)).join(' / ') + ' | ' + rs.map((r) => r.v[0]!.toFixed(2)).join(' ');
console.log(`A alone   ${f(alone)}`);
console.log(`B alone   ${f(aloneB)}`);
console.log(`max(A,B)  ${f(rows)} | cats ${rows[0]!.cats.map((_, k) => (rows.reduce((x, r) => x + r.cats[k]!, 0) / rows.length).toFixed(1)).join(' ')}  ${a} + ${b} shift ${shift} ${MODE}`);
