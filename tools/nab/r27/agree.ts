// round 27 screen: round 26's two extra streams only where they agree. The discord stream (r26/nn.ts, KIND=demean by
// default here) and the spectral-residual stream (r26/sr.ts) each reach some of the windows ARTime finds and we miss,
// and each adds more false alarms than it finds; their false alarms need not fall on the same points. AGG=min: the
// joint stream's L is the smaller of the two (both must find the point unusual); AGG=geo: their mean. Then
// r26/stream.ts's screen (COMB, WT, START, GATE, FOLD, SEEDS as there).
// Usage: [AGG=min|geo RANKJ=1 KIND=demean|raw COMB WT START LOOK=1 ...] npx tsx tools/nab/r27/agree.ts
process.env.KIND ??= 'demean';
const { nnL } = await import('../r26/nn.js');
const { srL } = await import('../r26/sr.js');
const { screen, look, likelihood, env } = await import('../r26/stream.js');
const AGG = process.env.AGG ?? 'min';
const joint = nnL.map((a, i) => {
  const b = srL[i]!, o = new Float64Array(a.length);
  for (let c = 0; c < a.length; c++) o[c] = AGG === 'min' ? Math.min(a[c]!, b[c]!) : 0.5 * (a[c]! + b[c]!);
  return o;
});
// RANKJ=1: the joint value's empirical tail among its last HIST values (stream.ts's RANK=1, set only here so that the
// two streams' cached likelihoods stay the normal tail), from its first positive value (zeros, where either stream has
// no L yet, are skipped)
const ranked = process.env.RANKJ === '1';
if (ranked) env.RANK = true;
const streamL = ranked ? joint.map((o) => likelihood(o.map((x) => (x > 0 ? x : NaN)))) : joint;
if (process.env.LOOK) look(streamL); else console.log(screen(streamL, `agree ${AGG} nn ${process.env.KIND}`));
