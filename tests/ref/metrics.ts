// Evaluation helpers for the reference: ROC AUC via the Mann–Whitney U statistic with
// average ranks for ties (equals scikit-learn roc_auc_score), numpy.quantile with the
// default method='linear' (including numpy's two-sided lerp), and a deterministic
// stratified train/test split driven by mulberry32, a 32-bit integer PRNG.
// (PyTorch has no equivalents; the math follows the numpy / scikit-learn docs.)

/** AUC of scores for labels (1 = positive/anomaly, 0 = negative). NaN if a class is empty. */
export function aucRoc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error('scores/labels length mismatch');
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) throw new Error('NaN score');
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`label must be 0 or 1, got ${labels[i]}`);
  }
  idx.sort((a, b) => scores[a]! - scores[b]! || a - b);
  let rankSumPos = 0, nPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1; // 1-based ranks i+1..j+1
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) { rankSumPos += avgRank; nPos++; }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** numpy.quantile(values, q) with method='linear'. NaN for empty input or if any value is NaN. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`q must be in [0, 1], got ${q}`);
  const n = values.length;
  if (n === 0) return NaN;
  const v = Float64Array.from(values);
  if (v.some(Number.isNaN)) return NaN;
  v.sort();
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const gamma = pos - lo;
  const a = v[lo]!, b = v[hi]!, diff = b - a;
  // numpy _lerp: a + diff*gamma, but b - diff*(1-gamma) when gamma >= 0.5
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** mulberry32: returns a generator of uint32 values (integer arithmetic only). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Per class (classes in ascending label order): Fisher–Yates shuffle of that class's indices
 * with one shared mulberry32(seed) stream (j = u32 % (i+1)), then the first
 * round(count*testFraction) go to test. Returned index lists are sorted ascending.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction >= 0 && testFraction <= 1)) throw new Error('testFraction must be in [0, 1]');
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  }
  const rand = mulberry32(seed);
  const train: number[] = [], test: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const ids = byClass.get(cls)!;
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rand() % (i + 1);
      const tmp = ids[i]!; ids[i] = ids[j]!; ids[j] = tmp;
    }
    const nTest = Math.round(ids.length * testFraction);
    test.push(...ids.slice(0, nTest));
    train.push(...ids.slice(nTest));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train, test };
}
