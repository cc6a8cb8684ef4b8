// scorer.ts: a port of NAB's scoring (numenta/NAB nab/sweeper.py, nab/optimizer.py, nab/scorer.py
// normalisation), as ../shared/datasets/nab-corpus/README.md describes it. Evaluation code only
// (metrics in float64 JS, no library math). Per file: the first min(floor(0.15 n), 750) rows are
// probationary and not scored; a row scored >= threshold is a detection; inside a labelled window
// only the earliest detection counts (scaled-sigmoid credit by its position), a window without one
// costs -fnWeight, each detection outside windows costs fpWeight x scaledSigmoid(distance past the
// previous window), or -fpWeight before any window. One threshold is swept over the whole corpus.

export interface Profile { name: ProfileName; tp: number; fp: number; fn: number }
export type ProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';
export const PROFILES: Profile[] = [
  { name: 'standard', tp: 1, fp: 0.11, fn: 1 },
  { name: 'reward_low_FP_rate', tp: 1, fp: 0.22, fn: 1 },
  { name: 'reward_low_FN_rate', tp: 1, fp: 0.11, fn: 2 },
];

/** A labelled window, rows inclusive at both ends (labels.json start_row/end_row). */
export interface Window { start_row: number; end_row: number }

/** sweeper.py _scaledSigmoid: 2 sigmoid(-5p) - 1, and -1 past 3 window widths. */
export function scaledSigmoid(p: number): number {
  if (p > 3) return -1;
  return 2 / (1 + Math.exp(5 * p)) - 1;
}

/** sweeper.py _getProbationaryLength. */
export function probationaryLength(n: number): number {
  return Math.min(Math.floor(0.15 * n), 0.15 * 5000);
}

/**
 * sweeper.py calcSweepScore: each scorable row's credit if it were a detection and the window it
 * belongs to (-1 outside windows). Rows before the probationary length get window -2 (not scored).
 */
export function sweepRows(n: number, windows: Window[], prof: Profile): { weight: Float64Array; window: Int32Array } {
  const weight = new Float64Array(n), window = new Int32Array(n);
  const maxTP = scaledSigmoid(-1);
  const prob = probationaryLength(n);
  const sorted = [...windows].sort((a, b) => a.start_row - b.start_row);
  let wi = 0, cur = -1, curRight = 0, curWidth = 0, prevRight: number | null = null, prevWidth = 0;
  for (let i = 0; i < n; i++) {
    if (cur < 0 && wi < sorted.length && i === sorted[wi]!.start_row) {
      cur = wi++;
      curRight = sorted[cur]!.end_row;
      curWidth = curRight - sorted[cur]!.start_row + 1;
    }
    if (cur >= 0) {
      weight[i] = scaledSigmoid(-(curRight - i + 1) / curWidth) * prof.tp / maxTP;
    } else {
      const u = prevRight === null ? -1 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
      weight[i] = u * prof.fp;
    }
    window[i] = i < prob ? -2 : cur;
    if (cur >= 0 && i === curRight) {
      prevRight = curRight;
      prevWidth = curWidth;
      cur = -1;
    }
  }
  return { weight, window };
}

/** One file as the scorer sees it. */
export interface ScoredFile { name: string; windows: Window[]; scores: ArrayLike<number> }

/** The windows a file is charged for: those with at least one scorable row (sweeper _prepareScoreParts). */
function scorableWindows(sw: { window: Int32Array }): Set<number> {
  const s = new Set<number>();
  for (const w of sw.window) if (w >= 0) s.add(w);
  return s;
}

/** NAB's raw score of one file at a threshold (detections: score >= threshold). */
export function scoreFile(f: ScoredFile, threshold: number, prof: Profile): number {
  const n = f.scores.length;
  const sw = sweepRows(n, f.windows, prof);
  const charged = scorableWindows(sw);
  const best = new Map<number, number>();
  for (const w of charged) best.set(w, -prof.fn);
  let fp = 0;
  for (let i = 0; i < n; i++) {
    const w = sw.window[i]!;
    if (w === -2 || !(f.scores[i]! >= threshold)) continue;
    if (w === -1) fp += sw.weight[i]!;
    else best.set(w, Math.max(best.get(w)!, sw.weight[i]!));
  }
  let s = fp;
  for (const v of best.values()) s += v;
  return s;
}

/**
 * optimize_threshold.py over the whole corpus: sweep every distinct score from the highest down and
 * keep the threshold with the best total (the highest threshold among equal totals, as NAB's stable
 * sort keeps). Returns the threshold and the raw corpus score there.
 */
export function optimizeThreshold(files: ScoredFile[], prof: Profile): { threshold: number; raw: number } {
  const scores: number[] = [], weights: number[] = [], wins: number[] = [];
  let nWindows = 0;
  for (const f of files) {
    const sw = sweepRows(f.scores.length, f.windows, prof);
    const charged = [...scorableWindows(sw)].sort((a, b) => a - b);
    const id = new Map(charged.map((w, j) => [w, nWindows + j]));
    nWindows += charged.length;
    for (let i = 0; i < f.scores.length; i++) {
      const w = sw.window[i]!;
      if (w === -2) continue;
      scores.push(f.scores[i]!);
      weights.push(sw.weight[i]!);
      wins.push(w === -1 ? -1 : id.get(w)!);
    }
  }
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const part = new Float64Array(nWindows).fill(-prof.fn);
  let fp = 0, tp = 0; // tp: sum over windows of (part - (-fn))
  let bestRaw = -prof.fn * nWindows, bestThr = 1.1;
  for (let k = 0; k < order.length;) {
    const t = scores[order[k]!]!;
    // add every row scored t, then record the total at threshold t
    for (; k < order.length && scores[order[k]!] === t; k++) {
      const i = order[k]!, w = wins[i]!;
      if (w < 0) fp += weights[i]!;
      else if (weights[i]! > part[w]!) { tp += weights[i]! - part[w]!; part[w] = weights[i]!; }
    }
    const raw = fp + tp - prof.fn * nWindows;
    if (raw > bestRaw) { bestRaw = raw; bestThr = t; }
  }
  return { threshold: bestThr, raw: bestRaw };
}

/** scorer normalisation: 100 (raw - null) / (perfect - null), null = -fn per window, perfect = tp per window. */
export function normalise(raw: number, nWindows: number, prof: Profile): number {
  const nul = -prof.fn * nWindows, perfect = prof.tp * nWindows;
  return 100 * (raw - nul) / (perfect - nul);
}

/** Windows charged over a corpus (the normaliser's count). */
export function countWindows(files: ScoredFile[]): number {
  let c = 0;
  for (const f of files) c += scorableWindows(sweepRows(f.scores.length, f.windows, PROFILES[0]!)).size;
  return c;
}
