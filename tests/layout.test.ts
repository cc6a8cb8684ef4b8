// layout.test.ts: the memory layout is written twice, as constants in assembly/arena.ts (what the
// kernels read) and as tables in bindings/wasm.ts (what the planner writes); this test holds them
// equal, name by name, both ways, so neither side can add, drop or move a field alone.
// Adding a context field, a layer field, an op, a loss term kind, an rng purpose or a noise kind
// means one line in each file; this test names any line that is missing or different.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { C, L, LN, NOISE, OP, RNG, S, SCRATCH, SH, SRC, T, TERM, kdBytes } from '../bindings/wasm.js';
import { ROOT, loadKernel } from './helpers.js';

const arena = readFileSync(`${ROOT}assembly/arena.ts`, 'utf8');
const series = readFileSync(`${ROOT}assembly/series.ts`, 'utf8');
/** Every `export const PREFIX_NAME = number;` of arena.ts (or another assembly file) with that prefix, by NAME. */
function constants(prefix: string, src = arena): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of src.matchAll(new RegExp(`^export const ${prefix}_([A-Z0-9_]+) = (-?\\d+);`, 'gm'))) out[m[1]!] = Number(m[2]);
  return out;
}
const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe('the memory layout is the same in assembly/arena.ts and bindings/wasm.ts', () => {
  it('context block fields (C_*)', () => {
    expect(constants('C')).toEqual({ ...C });
  });
  it('layer table fields (L_*)', () => {
    expect(constants('L')).toEqual({ ...L });
  });
  it('loss term table (T_*, MAX_TERMS) and term kinds (TERM_*)', () => {
    const t = constants('T');
    expect({ ...t, MAX: constants('MAX').TERMS }).toEqual({ ...T });
    const kinds = constants('TERM');
    const names: Record<string, string> = { RECON: 'recon', L1: 'l1', KLSPARSE: 'klSparse', VAEKL: 'vaeKl', CONTRACTIVE: 'contractive', RATE: 'rate' };
    expect(Object.fromEntries(Object.entries(kinds).map(([k, v]) => [names[k] ?? k, v]))).toEqual({ ...TERM });
  });
  it('shard block (SHARDS, SH_*)', () => {
    expect({ ...constants('SH'), SHARDS: Number(/^export const SHARDS = (\d+);/m.exec(arena)?.[1]) }).toEqual({ ...SH });
  });
  it("an ensemble's lanes block (LN_*)", () => {
    expect(constants('LN')).toEqual({ ...LN });
  });
  it('ops (OP_*), rng purposes (RNG_*), noise kinds (NOISE_*), tensor ids (SRC_*)', () => {
    const ops = Object.fromEntries(Object.entries(constants('OP')).map(([k, v]) => [camel(k), v]));
    expect(ops).toEqual({ ...OP });
    expect(Object.fromEntries(Object.entries(constants('RNG')).map(([k, v]) => [camel(k), v]))).toEqual({ ...RNG });
    expect(Object.fromEntries(Object.entries(constants('NOISE')).map(([k, v]) => [camel(k), v]))).toEqual({ ...NOISE });
    expect(Object.fromEntries(Object.entries(constants('SRC')).map(([k, v]) => [camel(k), v]))).toEqual({ ...SRC });
  });
  it('series state block (assembly/series.ts S_*), whose fields fit and do not overlap', () => {
    const s = constants('S', series);
    expect(Object.keys(s).length).toBeGreaterThan(30);
    expect(s).toEqual({ ...S });
    // f64 fields are 8-aligned and 8 wide, the others 4; sorted by offset, each ends where the next may start
    const f64 = new Set([...series.matchAll(/^export const S_([A-Z0-9_]+) = \d+;\s*\/\/ f64/gm)].map((m) => m[1]!));
    const fields = Object.entries(S).filter(([k]) => k !== 'BYTES').sort((a, b) => a[1] - b[1]);
    fields.forEach(([name, at], i) => {
      const end = at + (f64.has(name) ? 8 : 4);
      if (f64.has(name)) expect(at % 8, name).toBe(0);
      expect(end, name).toBeLessThanOrEqual(i + 1 < fields.length ? fields[i + 1]![1] : S.BYTES);
    });
    expect(f64.size).toBeGreaterThan(5);
    expect(S.BYTES % 16).toBe(0);
  });
  it('series scratch (assembly/series.ts SCRATCH_*)', () => {
    expect(constants('SCRATCH', series)).toEqual({ ...SCRATCH });
  });
  it('fields fit their blocks and do not overlap', () => {
    const ctx = [...Object.entries(C).filter(([k]) => k !== 'BYTES'), ['SH.FIELD', SH.FIELD] as [string, number], ['LN.FIELD', LN.FIELD] as [string, number]].sort((a, b) => a[1] - b[1]);
    for (const [name, at] of ctx) expect(at + 4, name).toBeLessThanOrEqual(C.BYTES);
    ctx.forEach(([name, at], i) => { if (i > 0) expect(at, `${name} after ${ctx[i - 1]![0]}`).toBeGreaterThanOrEqual(ctx[i - 1]![1] + 4); });
    expect(C.TERMS + T.MAX * T.BYTES).toBeLessThanOrEqual(C.COND);
    expect(C.TERMSUM + 8 * T.MAX).toBeLessThanOrEqual(C.TERMS);
    expect(C.RNG + 16 * RNG.streams).toBeLessThanOrEqual(C.NTERMS);
    expect(Math.max(...Object.entries(L).filter(([k]) => k !== 'BYTES').map(([, v]) => v)) + 4).toBeLessThanOrEqual(L.BYTES);
    expect(C.BYTES % 16).toBe(0);
  });
  it('a density block\'s k-d index: the bytes bindings/wasm.ts places (kdBytes) are the bytes assembly/density.ts uses (kd_bytes)', async () => {
    const k = await loadKernel();
    for (const R of [1, 4, 31, 32, 33, 37, 317, 8192, 65536]) {
      for (const width of [1, 6, 15, 32]) expect(kdBytes(R, width), `${R} references of width ${width}`).toBe(k.x.ae_kd_bytes(R, width));
    }
  });
});
