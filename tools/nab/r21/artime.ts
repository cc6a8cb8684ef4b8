import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCorpus, loadPublished } from '../corpus.js';
import { PROFILES, optimizeThreshold, scoreFile, type ScoredFile } from '../scorer.js';
const corpus = loadCorpus(); const pub = loadPublished();
const o = { seed: 1 };
const files: ScoredFile[] = corpus.map((s) => { const key = createHash('sha1').update(JSON.stringify(o)).update(s.name).digest('hex').slice(0, 16); const b = readFileSync(`${process.env.CACHE ?? '/tmp/r21/c'}/${key}.f32`); return { name: s.name, windows: s.windows, scores: new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice() }; });
const thr = optimizeThreshold(files, PROFILES[0]!).threshold;
const dets = ["ARTime"];
console.log(dets.join(' '));
const k = dets.find((d) => /artime/i.test(d))!;
let ta = 0, to = 0;
for (const f of files) { const a = (pub.per_file as any)[f.name]?.ARTime?.standard?.score ?? NaN; const ours = scoreFile(f, thr, PROFILES[0]!); ta += a; to += ours; if (Math.abs(a - ours) > 0.05) console.log(f.name.padEnd(55), ours.toFixed(2), a.toFixed(2), (ours - a).toFixed(2)); }
console.log(to.toFixed(2), ta.toFixed(2));
