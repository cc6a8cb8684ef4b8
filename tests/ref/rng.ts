// rng.ts: the package's random streams written again from their definitions, in BigInt and float64
// (independently of assembly/rng.ts): Widynski's squares32 (arXiv:2004.06278, "squares32"), keys
// from splitmix64 of (seed, purpose), uniform = top 24 bits * 2^-24, normal = Box-Muller (cosine
// branch) of draws 2k, 2k+1 with u1 = (a + 1) 2^-32, u2 = b 2^-32. Purposes as in arena.ts RNG_*.

const M64 = (1n << 64n) - 1n;

function splitmix64(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & M64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M64;
  return x ^ (x >> 31n);
}

const rotr32 = (x: bigint) => ((x >> 32n) | (x << 32n)) & M64;

/** squares32(ctr, key): 32 random bits. */
export function squares32(ctr: bigint, key: bigint): number {
  let x = (ctr * key) & M64;
  const y = x, z = (y + key) & M64;
  x = rotr32((x * x + y) & M64);
  x = rotr32((x * x + z) & M64);
  x = rotr32((x * x + y) & M64);
  return Number((((x * x) & M64) + z & M64) >> 32n);
}

export const PURPOSE = { init: 0, shuffle: 1, dropout: 2, noise: 3, sample: 4 } as const;

/** The stream of (seed, purpose) from draw 0: next(), uniform(), normal(). */
export class Stream {
  readonly key: bigint;
  ctr = 0n;
  constructor(seed: number, purpose: number) {
    this.key = splitmix64(splitmix64(BigInt(seed >>> 0)) ^ (BigInt(purpose + 1) << 32n)) | 1n;
  }
  next(): number { return squares32(this.ctr++, this.key); }
  uniform(): number { return Math.fround((this.next() >>> 8) * 5.9604644775390625e-8); }
  normal(): number {
    const u1 = (this.next() + 1) * 2.3283064365386963e-10;
    const u2 = this.next() * 2.3283064365386963e-10;
    return Math.fround(Math.sqrt(-2 * Math.log(u1)) * Math.cos(6.283185307179586 * u2));
  }
}
