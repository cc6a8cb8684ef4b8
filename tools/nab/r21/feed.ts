// round 21 (tools/nab/tries.md): the screening of the ramp's confirmation and the other rules, emulated on the raw scores of
// {"seed":S,"suppress":0,"refractory":0,"memory":0,"spatialRamp":-1} cached by tools/nab/screen.ts --cache /tmp/r21/c (seeds 1-8).
// Usage: [SEEDS=1,...,8] [V='[{"agree":0.2857,"modelOnly":true}]'] npx tsx tools/nab/r21/feed.ts
// the ramp's alarms fed to the other rules (not halved itself): the memory's bank (memFeed), the refractory's hot score (hotFeed), the one-alarm top (topFeed)
import { corpus, load, rangeCheck, evalAll } from './emu.js';
const WARM = 128, W = 32;
const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const raws = seeds.map((seed) => load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 }));
export type V = { agree?: number; agreeAll?: boolean; modelOnly?: boolean; ones?: boolean; hot?: boolean; mem?: boolean; top?: boolean; memLevel?: number; rampHalf?: boolean };
function memory(vals: ArrayLike<number>, raw: Float32Array, ramp: Float32Array, v: V, tol = 0.35, ratio = 1.2, level = 0.4, keep = 64): Float32Array {
  const out = raw.slice(); const bank: { shape: Float64Array; size: number }[] = []; let lo = Infinity, hi = -Infinity;
  for (let c = 0; c < raw.length; c++) {
    lo = Math.min(lo, vals[c]!); hi = Math.max(hi, vals[c]!);
    const r = raw[c]!; const rp = v.mem ? ramp[c]! : 0;
    if (!(r > 0 || rp >= (v.memLevel ?? level)) || c < W) continue;
    const range = hi - lo || 1; let base = 0; for (let j = 0; j < W / 2; j++) base += vals[c - W + 1 + j]!; base /= W / 2;
    const shape = Float64Array.from({ length: W }, (_, j) => (vals[c - W + 1 + j]! - base) / range);
    let size = 0; for (const x of shape) size = Math.max(size, Math.abs(x)); if (size > 0) shape.forEach((x, j) => { shape[j] = x / size; });
    if (r > 0) { const repeats = bank.some((e) => size <= e.size * ratio && e.size <= size * ratio && Math.sqrt(e.shape.reduce((a, x, j) => a + (shape[j]! - x) ** 2, 0) / W) < tol);
      if (repeats && (r < 1 || v.ones)) out[c] = Math.fround(r * 0.5); }
    if (r >= level || rp >= (v.memLevel ?? level)) { if (bank.length === keep) bank.shift(); bank.push({ shape, size }); }
  }
  return out;
}
function rules(raw: Float32Array, ramp: Float32Array, v: V, K = 400, R = 30, level = 0.4, margin = 0.04): Float32Array {
  const n = raw.length, out = new Float32Array(n); let at = -1, val = 0;
  const eff = Float32Array.from(raw, (r, c) => v.top ? Math.max(r, ramp[c]!) : r);
  for (let c = 0; c < n; c++) {
    if (c + 1 < WARM) { out[c] = raw[c]!; continue; }
    const r = raw[c]!; let top = 0;
    for (let j = Math.max(WARM - 1, c - K); j < c; j++) if (eff[j]! >= top) top = eff[j]!;
    let s = r; if (r <= top) s = Math.fround(r * 0.5);
    if (at >= 0 && c - at <= R && s < 1 && !(r > val + margin)) s = Math.fround(r * 0.5);
    const hot = v.hot ? Math.max(r, ramp[c]!) : r;
    if (hot >= level) { at = c; val = hot; }
    out[c] = Math.max(s, ramp[c]!);
  }
  return out;
}
/** Seeds' results as "std / low FP / low FN (their means) | per category (std) | standard per seed". */
export function seedMeans(res: { v: number[]; cats: number[] }[]): string {
  const m = (k: number) => res.reduce((x, r) => x + r.v[k]!, 0) / res.length;
  const cats = res[0]!.cats.map((_, k) => res.reduce((x, r) => x + r.cats[k]!, 0) / res.length);
  return `${[0, 1, 2].map((k) => m(k).toFixed(3)).join(' / ')} | ${cats.map((x) => x.toFixed(1)).join(' ')} | ${res.map((r) => r.v[0]!.toFixed(2)).join(' ')}`;
}
export function pipe(i: number, raw: Float32Array, v: V): Float32Array { const s = corpus[i]!; let rp = rangeCheck(s.values).ramp;
  if (v.agree !== undefined) { rp = rp.slice(); let started = false; for (let c = 0; c < rp.length; c++) { if (raw[c]! > 0 && (!v.modelOnly || raw[c]! < 1)) started = true; if ((started || v.agreeAll) && rp[c]! > 0 && raw[c]! < v.agree) rp[c] = 0; } } return rules(memory(s.values, raw, rp, v), rp, v); }
if (process.argv[1]?.endsWith('feed.ts')) {
  const vs: V[] = JSON.parse(process.env.V ?? '[{},{"hot":true},{"mem":true},{"mem":true,"hot":true},{"mem":true,"memLevel":0.6},{"mem":true,"hot":true,"memLevel":0.6}]');
  for (const v of vs) {
    console.log(`${seedMeans(raws.map((raw) => evalAll(corpus.map((_, i) => pipe(i, raw[i]!, v)))))}  ${JSON.stringify(v)}`);
  }
}
