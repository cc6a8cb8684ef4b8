// f32str.ts: the CLI's text for a float32 value (scores, latent codes, decoded rows): the shortest of
// v.toPrecision(6), (7), (8), (9) that reads back as the same float32, written as String() writes that
// decimal. `encode` and `decompress` write one per output cell, where the toPrecision loop cost about
// 400 ns a value (40% of `encode`'s time); for 1e-4 <= |v| < 1e6 the same decimals are now found with
// exact double arithmetic in about 80 ns, and everything else keeps the loop. tests/cli-text.test.ts checks
// the two against each other on every run, and with F32STR_ALL=1 on every float32 of the fast range (279 M,
// both signs; 313 s), which passed when this was written.

/** Every character f32str writes: digits, '.', signs, 'e', and NaN and Infinity's letters ('0' and '1' flags and '' cells too). */
export const F32STR_CHARS = '0123456789.+-eNaInfity';

/** 10^0 .. 10^12, each exact in a double. */
const P10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/** The definition, for values outside the fast range (and NaN, infinities, zero). */
function bySearch(v: number): string {
  for (let p = 6; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return String(d);
  }
  return String(v);
}

/**
 * The shortest decimal of 6 to 9 significant digits (toPrecision's rounding: the nearest, ties away
 * from zero) that reads back as the float32 `v`, as String() writes it.
 *
 * Why the fast path gives the same decimal: a float32 is m * 2^q with m < 2^24, so for 0 <= k <= 12
 * (5^k < 2^29) the product |v| * 10^k is m * 5^k * 2^(q+k) < 2^53 * 2^(q+k): exact in a double, and so
 * are its integer and fractional parts. Rounding it to an integer n by its fraction (>= 0.5 up) is
 * toPrecision's n exactly: it rounds the exact value, and a tie to the larger n (at 8 and 9 digits a
 * tie can read back, so this matters: rounding ties down gives other text for 1.4% of a stride through
 * the range). n / 10^k, n and 10^k both exact, is the double nearest n * 10^-k, which is what Number()
 * reads from toPrecision's text. And String() of that double is n's digits with trailing zeros
 * dropped: any decimal of up to 15 significant digits is the only one of that length that reads as
 * its double, so none shorter does. With 1e-4 <= |v| < 1e6 every k that p = 6..9 needs lies in 0..12.
 */
export function f32str(v: number): string {
  const a = v < 0 ? -v : v;
  if (!(a >= 1e-4 && a < 1e6)) return bySearch(v);
  // e with 10^e <= a < 10^(e+1), from a * 10^4 (exact) against exact integers
  const t = a * 1e4;
  let e = -4;
  while (e < 5 && t >= P10[e + 5]!) e++;
  for (let p = 6; p <= 9; p++) {
    // n may round up to 10^p (one digit more, same value): the digits are written the same
    let k = p - 1 - e;
    const y = a * P10[k]!;
    let n = Math.floor(y);
    if (y - n >= 0.5) n++;
    if (Math.fround(n / P10[k]!) !== a) continue;
    while (k > 0 && n % 10 === 0) { n /= 10; k--; }
    const ds = String(n);
    const sign = v < 0 ? '-' : '';
    if (k === 0) return sign + ds;
    const L = ds.length;
    return sign + (k < L ? `${ds.slice(0, L - k)}.${ds.slice(L - k)}` : `0.${'0'.repeat(k - L)}${ds}`);
  }
  return bySearch(v);
}
