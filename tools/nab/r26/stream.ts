// round 26: what the screens of an extra stream share (nn.ts, sr.ts): a stream's values turned into a likelihood
// L = -ln Q (Q the normal tail under the mean and deviation of the last HIST values, from MIN of them and from point
// START on; LOG > 0: of ln(value + LOG)), joined to the model's raw scores of seeds 1-8 (COMB=max: the larger of the
// model's score and L / (L + ln 1e5) times WT; COMB=mean: L in the model's weighted mean of -ln Q with weight WT,
// the model's weights summing to 2.25; GATE: only where the model's raw score is at least GATE), then the shipped
// rules and the confirmed ramp (r21/feed.ts `pipe`, {"agree":0.2857,"modelOnly":true}, which gives each seed's shipped
// figures exactly with WT=0). FOLD=even|odd scores only those files (a two-fold check). RANK=1: Q is the value's empirical
// tail among the last HIST instead (the share of them at or above it, plus one), so L is at most ln(HIST + 1).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { corpus, load, evalAll } from '../r21/emu.js';
import { pipe } from '../r21/feed.js';
import { HALF, logTail } from '../likelihood.js';
import type { Series } from '../corpus.js';
export const env = {
  COMB: process.env.COMB ?? 'max', WT: Number(process.env.WT ?? 1), MIN: Number(process.env.MIN ?? 128), HIST: Number(process.env.HIST ?? 8000),
  START: Number(process.env.START ?? 0), LOG: Number(process.env.LOG ?? 0), GATE: Number(process.env.GATE ?? 0), FOLD: process.env.FOLD, RANK: process.env.RANK === '1',
};
const WARM = 128;
const RAW = { suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 };
const V = { agree: 0.2857, modelOnly: true };

/** -ln Q, Q the normal upper tail at z: likelihood.ts's logTail (the screens' shared tail), floored at 0 */
export const negLogTail = (z: number): number => Math.max(-logTail(z), 0);
/** -ln Q of each value (NaN: none) under the last HIST values before it; `scale` F: point t of d is point t F of the series */
export function likelihood(d: Float64Array, F = 1): Float64Array {
  const L = new Float64Array(d.length), ring: number[] = [];
  let s = 0, q = 0;
  for (let t = 0; t < d.length; t++) {
    const x0 = d[t]!; if (Number.isNaN(x0) || t < env.START / F) continue; const x = env.LOG > 0 ? Math.log(x0 + env.LOG) : x0;
    if (ring.length >= env.MIN) {
      if (env.RANK) { let above = 0; for (const y of ring) if (y >= x) above++; L[t] = -Math.log((above + 1) / (ring.length + 1)); }
      else { const mu = s / ring.length, sd = Math.sqrt(Math.max(q / ring.length - mu * mu, 1e-12)); L[t] = negLogTail((x - mu) / sd); }
    }
    ring.push(x); s += x; q += x * x;
    if (ring.length > env.HIST) { const y = ring.shift()!; s -= y; q -= y * y; }
  }
  return L;
}
/** The settings a stream's likelihood depends on (part of its cache key) */
export const likelihoodKey = () => ({ tail: 'logTail', MIN: env.MIN, HIST: env.HIST, START: env.START, LOG: env.LOG, RANK: env.RANK });
/** Each series' stream L, cached in dir under the key (the settings that make it) */
export function cached(dir: string, key: object, make: (s: Series) => Float64Array): Float64Array[] {
  mkdirSync(dir, { recursive: true });
  return corpus.map((s) => {
    const f = `${dir}/${createHash('sha1').update(JSON.stringify(key)).update(s.name).digest('hex').slice(0, 16)}.f64`;
    if (existsSync(f)) { const b = readFileSync(f); return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); }
    const L = make(s); writeFileSync(f, Buffer.from(L.buffer)); return L;
  });
}
/** The stream joined to the model over seeds (SEEDS, default 1-8): the means' line, per seed and per category */
export function screen(streamL: Float64Array[], label: string): string {
  const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
  const Lof = (r: number) => (r < 1 ? HALF * r / (1 - r) : Infinity);
  const res: { v: number[]; cats: number[] }[] = [];
  for (const seed of seeds) {
    const out = load({ seed, ...RAW }).map((raw, i) => {
      const r = raw.slice(), L = streamL[i]!;
      for (let c = 0; c < r.length; c++) {
        if (c + 1 < WARM || !(L[c]! > 0) || !(r[c]! > 0) || r[c]! >= 1 || r[c]! < env.GATE) continue; // only where the model scores
        if (env.COMB === 'max') { const x = Math.fround(env.WT * L[c]! / (L[c]! + HALF)); if (x > r[c]!) r[c] = x; }
        else { const Lm = (2.25 * Lof(r[c]!) + env.WT * L[c]!) / (2.25 + env.WT); r[c] = Math.fround(Lm / (Lm + HALF)); }
      }
      return pipe(i, r, V);
    });
    res.push(env.FOLD ? evalAll(out, corpus.map((_, i) => i).filter((i) => i % 2 === (env.FOLD === 'odd' ? 1 : 0))) : evalAll(out));
  }
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  return `${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')} | cats ${res[0]!.cats.map((_, k) => (res.reduce((x, r) => x + r.cats[k]!, 0) / res.length).toFixed(1)).join(' ')}  ${label} ${env.COMB} wt ${env.WT} min ${env.MIN} hist ${env.HIST} start ${env.START} log ${env.LOG} gate ${env.GATE}${env.FOLD ? ' fold ' + env.FOLD : ''}`;
}
/** For the 8 windows ARTime finds and we miss (tries.md round 21): the stream's largest L in the window against its quantiles outside every window of the series */
export function look(streamL: Float64Array[]): void {
  const missed: [string, number][] = [['24ae8d', 1], ['grok_asg', 0], ['rds_cpu_utilization_cc0c53', 1], ['exchange-3_cpc', 2], ['exchange-4_cpc', 1], ['TravelTime_387', 0], ['GOOG', 1], ['UPS', 4]];
  for (const [name, w] of missed) {
    const i = corpus.findIndex((s) => s.name.includes(name)), s = corpus[i]!, L = streamL[i]!;
    const win = s.windows[w]!; let mx = 0, at = -1; for (let c = win.start_row; c <= win.end_row; c++) if (L[c]! > mx) { mx = L[c]!; at = c; }
    const out: number[] = []; for (let c = 0; c < L.length; c++) if (!s.windows.some((x) => c >= x.start_row && c <= x.end_row) && L[c]! > 0) out.push(L[c]!);
    out.sort((a, b) => a - b); const q = (p: number) => out[Math.floor(p * (out.length - 1))]!.toFixed(1);
    console.log(`${s.name} W${w} [${win.start_row}-${win.end_row}] max L ${mx.toFixed(1)} @${at}; outside q99 ${q(0.99)} q999 ${q(0.999)} max ${q(1)}; ${out.filter((x) => x >= mx).length} outside points at or above`);
  }
}
