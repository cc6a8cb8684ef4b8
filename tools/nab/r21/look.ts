import { loadCorpus } from '../corpus.js';
const corpus = loadCorpus();
const [name, a, b, step] = process.argv.slice(2);
const s = corpus.find((x) => x.name.includes(name!))!;
console.log(s.name, s.values.length, JSON.stringify(s.windows));
const A = +a!, B = +b!, st = +(step ?? 1);
let line = '';
for (let i = A; i < B; i += st) { let m = -Infinity, lo = Infinity; for (let j = i; j < Math.min(i + st, B); j++) { m = Math.max(m, s.values[j]!); lo = Math.min(lo, s.values[j]!); } line += `${i}:${st > 1 ? lo.toFixed(2) + '..' : ''}${m.toFixed(2)} `; }
console.log(line);
