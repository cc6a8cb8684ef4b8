import { corpus, load } from './emu.js';
const [name, a, b] = process.argv.slice(2);
const i = corpus.findIndex((s) => s.name.includes(name!));
const seed = +(process.env.SEED ?? 1);
const sh = load({ seed })[i]!, raw = load({ seed, suppress: 0, refractory: 0, memory: 0, spatialRamp: -1 })[i]!;
const s = corpus[i]!;
for (let c = +a!; c <= +b!; c++) if (raw[c]! > 0.2 || sh[c]! > 0.2) console.log(c, s.values[c]!.toFixed(3), 'raw', raw[c]!.toFixed(3), 'shipped', sh[c]!.toFixed(3));
