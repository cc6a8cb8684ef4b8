import fc from 'fast-check';
import { Autoencoder, AutoencoderError } from '../dist/bindings/node.js';
const found = new Map(); let ok = 0, clear = 0;
await fc.assert(fc.asyncProperty(fc.record({ D: fc.integer({ min: 1, max: 12 }), rows: fc.integer({ min: 1, max: 300 }), kind: fc.constantFrom('wave', 'const', 'dup', 'huge', 'tiny', 'mixed', 'sparse'), members: fc.constantFrom(undefined, 1, 2, 5), rowsPer: fc.constantFrom(undefined, 1, 3, 700), clean: fc.constantFrom(undefined, 0, 0.5), density: fc.constantFrom(undefined, 0, 4), normalize: fc.constantFrom(undefined, 'none', 'minmax', 'standard'), contamination: fc.constantFrom(undefined, 0, 0.01, 0.5, 1), seed: fc.nat(99) }), async (x) => {
  const spec = { inputDim: x.D, seed: x.seed, ...(x.normalize ? { normalize: x.normalize } : {}) };
  if (x.members || x.rowsPer || x.clean !== undefined || x.density !== undefined) spec.ensemble = { ...(x.members ? { members: x.members } : {}), ...(x.rowsPer ? { rows: x.rowsPer } : {}), ...(x.clean !== undefined ? { clean: x.clean } : {}), ...(x.density !== undefined ? { density: x.density } : {}) };
  const n = x.rows * x.D;
  const v = Float32Array.from({ length: n }, (_, i) => {
    const r = Math.floor(i / x.D), c = i % x.D;
    switch (x.kind) { case 'wave': return Math.sin(r * 0.3 + c); case 'const': return 5; case 'dup': return (r % 2) + c; case 'huge': return 1e30 * Math.sin(r + c); case 'tiny': return 1e-30 * Math.sin(r + c); case 'mixed': return c === 0 ? 1e20 * (r % 3) : Math.cos(r); default: return (r * 7 + c) % 11 === 0 ? 1 : 0; }
  });
  const desc = JSON.stringify({ spec, x });
  if (process.env.TRACE) process.stderr.write(desc + '\n');
  let ae;
  try { ae = await Autoencoder.create(spec); } catch (e) { if (!(e instanceof AutoencoderError)) found.set('create ' + e.message.slice(0, 80), desc); clear++; return; }
  try {
    await ae.fit(v, { epochs: 3 });
    ae.calibrate(v, x.contamination !== undefined ? { contamination: x.contamination } : undefined);
    const s = ae.score(v), d = ae.detect(v);
    if (s.some((q) => !(q === q))) found.set('NaN score', desc);
    const l = await Autoencoder.load(ae.save());
    const s2 = l.score(v);
    if (!s.every((q, i) => Object.is(q, s2[i]))) found.set('load differs', desc);
    for (let r = 0; r < Math.min(x.rows, 5); r++) { const one = ae.score(v.subarray(r * x.D, (r + 1) * x.D)); if (!Object.is(one[0], s[r])) { found.set('row depends on batch', desc); break; } }
    ok++;
  } catch (e) { if (!(e instanceof AutoencoderError)) found.set(`${e.constructor.name}: ${e.message.slice(0, 100)}`, desc); else { clear++; const k = 'clear: ' + e.message.replace(/\d+(\.\d+)?/g, '#').slice(0, 100); found.set(k, desc); } }
  finally { ae.dispose(); }
}), { numRuns: Number(process.argv[2] ?? 200), seed: Number(process.argv[3] ?? 1) });
console.log({ ok, clear });
for (const [k, e] of found) console.log(k, '\n   <= ', e.slice(0, 600));
