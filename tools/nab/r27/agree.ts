// round 27 screen: round 26's two extra streams only where they agree. The discord stream (r26/nn.ts, KIND=demean by
// default here) and the spectral-residual stream (r26/sr.ts) each reach some of the windows ARTime finds and we miss,
// and each adds more false alarms than it finds; their false alarms need not fall on the same points. AGG=min: the
// joint stream's L is the smaller of the two (both must find the point unusual); AGG=geo: their mean. Then
// r26/stream.ts's screen (COMB, WT, START, GATE, FOLD, SEEDS as there).
// Usage: [AGG=min|geo KIND=demean|raw COMB WT START ...] npx tsx tools/nab/r27/agree.ts
process.env.KIND ??= 'demean';
const { nnL } = await import('../r26/nn.js');
const { srL } = await import('../r26/sr.js');
const { screen, look } = await import('../r26/stream.js');
const AGG = process.env.AGG ?? 'min';
const joint = nnL.map((a, i) => {
  const b = srL[i]!, o = new Float64Array(a.length);
  for (let c = 0; c < a.length; c++) o[c] = AGG === 'min' ? Math.min(a[c]!, b[c]!) : 0.5 * (a[c]! + b[c]!);
  return o;
});
// RANKJ=1: the joint value's empirical tail among its last HIST values (from point START): L = -ln((at or above + 1) / (n + 1))
if (process.env.RANKJ === '1') {
  const HIST = Number(process.env.HIST ?? 8000), START = Number(process.env.START ?? 0), MIN = Number(process.env.MIN ?? 128);
  for (const o of joint) {
    const ring: number[] = [];
    for (let c = 0; c < o.length; c++) {
      const x = o[c]!; if (!(x > 0) || c < START) { o[c] = 0; continue; }
      let above = 0; for (const y of ring) if (y >= x) above++;
      o[c] = ring.length >= MIN ? -Math.log((above + 1) / (ring.length + 1)) : 0;
      ring.push(x); if (ring.length > HIST) ring.shift();
    }
  }
}
if (process.env.LOOK) look(joint); else console.log(screen(joint, `agree ${AGG} nn ${process.env.KIND}`));
