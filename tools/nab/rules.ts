// rules.ts: SeriesDetector's two halving rules (the one-alarm span K and the refractory rule: span
// R, level, margin) applied to raw scores as assembly/series.ts series_push does, for the screens that
// combine raw scores outside the detector (res3.ts, ens10.ts). The default warm-up (128 points) is
// where the rules start. Evaluation code: the detector runs the rules in wasm.
const WARM = 128;
export function halvingRules(raw: Float32Array, K = 400, R = 30, level = 0.4, margin = 0.04): Float32Array {
  const n = raw.length, out = new Float32Array(n);
  let at = -1, val = 0;
  for (let c = 0; c < n; c++) {
    if (c + 1 < WARM) { out[c] = raw[c]!; continue; }
    const r = raw[c]!;
    let top = 0;
    for (let j = Math.max(WARM - 1, c - K); j < c; j++) if (raw[j]! >= top) top = raw[j]!;
    let s = r;
    if (K > 0 && r <= top) s = Math.fround(r * 0.5);
    if (R > 0) {
      if (at >= 0 && c - at <= R && s < 1 && !(r > val + margin)) s = Math.fround(r * 0.5);
      if (r >= level) { at = c; val = r; }
    }
    out[c] = s;
  }
  return out;
}
