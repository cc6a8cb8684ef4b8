// round 26 diagnostic: for the windows ARTime finds and we miss (tries.md round 21), the discord stream's largest
// L inside the window against its quantiles outside every window of the same series (cache of nn.ts's settings).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { corpus } from '../r21/emu.js';
const W = Number(process.env.W ?? 32), H = Number(process.env.H ?? 2000), KIND = process.env.KIND ?? 'raw', F = Number(process.env.F ?? 1);
const MIN = Number(process.env.MIN ?? 128), HIST = Number(process.env.HIST ?? 8000), START = Number(process.env.START ?? 0), LOG = Number(process.env.LOG ?? 0);
const missed: [string, number][] = [['24ae8d', 1], ['grok_asg', 0], ['rds_cpu_utilization_cc0c53', 1], ['exchange-3_cpc', 2], ['exchange-4_cpc', 1], ['TravelTime_387', 0], ['GOOG', 1], ['UPS', 4]];
for (const [name, w] of missed) {
  const i = corpus.findIndex((s) => s.name.includes(name)); const s = corpus[i]!;
  const key = createHash('sha1').update(JSON.stringify(LOG ? { W, H, KIND, F, MIN, HIST, START, LOG } : START ? { W, H, KIND, F, MIN, HIST, START } : { W, H, KIND, F, MIN, HIST })).update(s.name).digest('hex').slice(0, 16);
  const b = readFileSync(`/tmp/r26/nn/${key}.f64`); const L = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  const win = s.windows[w]!; let mx = 0, at = -1; for (let c = win.start_row; c <= win.end_row; c++) if (L[c]! > mx) { mx = L[c]!; at = c; }
  const out: number[] = []; for (let c = 0; c < L.length; c++) if (!s.windows.some((x) => c >= x.start_row && c <= x.end_row) && L[c]! > 0) out.push(L[c]!);
  out.sort((a, b) => a - b); const q = (p: number) => out[Math.floor(p * (out.length - 1))]!.toFixed(1);
  const above = out.filter((x) => x >= mx).length;
  console.log(`${s.name} W${w} [${win.start_row}-${win.end_row}] max L ${mx.toFixed(1)} @${at}; outside q99 ${q(0.99)} q999 ${q(0.999)} max ${q(1)}; ${above} outside points at or above`);
}
