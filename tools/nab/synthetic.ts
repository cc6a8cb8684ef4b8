// synthetic.ts: a stand-in for the kind of series NAB keeps apart (realKnownCause: taxi demand at 30-minute
// steps, hourly and 5-minute machine metrics), built here because those files are not in the corpus. A
// daily shape that differs on weekends (a morning and an evening rush on weekdays, a midday bump and a
// late night on weekends), multiplicative uniform noise of +-6% and a slow 2% drift, with four planted
// anomalies: a holiday (a Tuesday with the weekend's shape), a spike (x2.2 at one point), a day at 55%,
// and an evening rush at half last week's. Prints, per step and seed, each anomaly's largest score from
// its start to half a day after it (and how many points after its start), the largest score elsewhere
// after the first 15% (a day either side of each anomaly excluded) and the points over the corpus
// threshold there.
// Usage: [STEPS=5,30,60] [UNTIMED=1] npx tsx tools/nab/synthetic.ts ['{options}'] [threshold, default 0.3966: `npm run nab`'s]
//   STEPS: which step lengths in minutes (default all three); UNTIMED=1: the values alone, without their
//   times (the long context then spans `contextSpan` points: round 19's week at 5-minute steps)
import { SeriesDetector, type SeriesOptions } from '../../bindings/node.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as SeriesOptions;
const threshold = Number(process.argv[3] ?? 0.3966);

function make(stepMin: number, days: number, seed: number) {
  let s = seed >>> 0;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  const per = (24 * 60) / stepMin, n = days * per;
  const v = new Float64Array(n), t = new Float64Array(n);
  const t0 = Date.UTC(2014, 6, 1);   // a Tuesday
  const day = (f: number) => Math.floor(days * f);
  const holiday = day(0.56) + ((9 - ((day(0.56) + 2) % 7)) % 7);   // the first Tuesday from 56% of the series
  for (let i = 0; i < n; i++) {
    t[i] = t0 + i * stepMin * 60000;
    const d = new Date(t[i]!), dow = d.getUTCDay(), h = d.getUTCHours() + d.getUTCMinutes() / 60;
    const weekend = dow === 0 || dow === 6 || Math.floor(i / per) === holiday;
    const base = weekend ? 12000 + 6000 * Math.exp(-((h - 14) ** 2) / 18) + 4000 * Math.exp(-((h - 1) ** 2) / 4)
      : 8000 + 12000 * Math.exp(-((h - 8.5) ** 2) / 3) + 14000 * Math.exp(-((h - 19) ** 2) / 8);
    v[i] = base * (1 + 0.12 * (rnd() - 0.5)) * (1 + 0.02 * Math.sin(i / (per * 30)));
  }
  const anomalies: [string, number, number][] = [['holiday', holiday * per, (holiday + 1) * per]];
  const spike = day(0.745) * per + Math.floor(per * 0.4);
  v[spike]! *= 2.2;
  anomalies.push(['spike', spike, spike + 1]);
  const drop = day(0.84) * per;
  for (let i = drop; i < drop + per; i++) v[i]! *= 0.55;
  anomalies.push(['day at 55%', drop, drop + per]);
  const rush = day(0.91) * per + Math.floor((per * 17.5) / 24), len = Math.floor((per * 4) / 24);
  for (let i = rush; i < rush + len; i++) v[i] = v[i - 7 * per]! * 0.5;
  anomalies.push(['rush halved', rush, rush + len]);
  return { v, t, anomalies, per };
}

const steps = (process.env.STEPS ?? '5,30,60').split(',').map(Number);
for (const [stepMin, days] of ([[5, 70], [30, 215], [60, 300]] as const).filter(([m]) => steps.includes(m))) {
  for (const seed of [1, 2]) {
    const { v, t, anomalies, per } = make(stepMin, days, seed);
    const d = await SeriesDetector.create(opts);
    const sc = process.env.UNTIMED ? d.pushMany(v) : d.pushMany(v, t);
    d.dispose();
    const near = new Uint8Array(sc.length);
    const found = anomalies.map(([name, a, b]) => {
      let m = 0, at = a;
      for (let i = a; i < Math.min(sc.length, b + per / 2); i++) if (sc[i]! > m) { m = sc[i]!; at = i; }
      near.fill(1, Math.max(0, a - per), Math.min(sc.length, b + per));
      return `${name} ${m.toFixed(3)} (+${at - a})`;
    });
    let top = 0, topAt = 0, over = 0;
    for (let i = Math.floor(sc.length * 0.15); i < sc.length; i++) {
      if (near[i]) continue;
      if (sc[i]! > top) { top = sc[i]!; topAt = i; }
      if (sc[i]! > threshold) over++;
    }
    console.log(`${stepMin}-minute steps, ${days} days, seed ${seed}: ${found.join(', ')}; elsewhere ${top.toFixed(3)} (day ${(topAt / per).toFixed(1)}), ${over} point${over === 1 ? '' : 's'} over ${threshold}`);
  }
}
