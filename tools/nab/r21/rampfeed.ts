// the ramp (not halved itself) feeding the halving rules' memory: the top of the last K and the refractory's hot score
import { corpus, load, memory, rangeCheck, evalAll } from './emu.js';
const WARM = 128;
const seeds = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
function rules(raw: Float32Array, ramp: Float32Array, feedTop: boolean, feedHot: boolean, K = 400, R = 30, level = 0.4, margin = 0.04): Float32Array {
  const n = raw.length, out = new Float32Array(n); let at = -1, val = 0;
  const eff = Float32Array.from(raw, (r, c) => feedTop ? Math.max(r, ramp[c]!) : r);
  for (let c = 0; c < n; c++) {
    if (c + 1 < WARM) { out[c] = raw[c]!; continue; }
    const r = raw[c]!; let top = 0;
    for (let j = Math.max(WARM - 1, c - K); j < c; j++) if (eff[j]! >= top) top = eff[j]!;
    let s = r; if (r <= top) s = Math.fround(r * 0.5);
    if (at >= 0 && c - at <= R && s < 1 && !(r > val + margin)) s = Math.fround(r * 0.5);
    const hot = feedHot ? Math.max(r, ramp[c]!) : r;
    if (hot >= level) { at = c; val = hot; }
    out[c] = Math.max(s, ramp[c]!);
  }
  return out;
}
for (const [ft, fh] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
  const res = raws.map((raw) => evalAll(corpus.map((s, i) => rules(memory(s.values, raw[i]!), rangeCheck(s.values).ramp, ft, fh))));
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  const cats = res[0]!.cats.map((_, k) => res.reduce((x, r) => x + r.cats[k]!, 0) / res.length);
  console.log(`${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${cats.map((x) => x.toFixed(1)).join(' ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')}  top ${ft} hot ${fh}`);
}
