// app.ts: the browser-train page. Drop or pick a CSV of numbers; it trains an autoencoder on it in
// this tab (SIMD WebAssembly, the package's browser entry with the kernels inlined), draws the loss
// and validation loss per epoch as they come, then each row's reconstruction error (score) with the
// calibrated threshold, the 10 highest-scoring rows, and offers the model as model.ae.
// Plain DOM and canvas, no dependencies. Bundled by ./build.mjs; the numbers it finds are left in
// window.__demo (and #summary) for tests/browser-demo.test.ts, which trains the same in Node.
import { Autoencoder, type FitOptions, type ModelSpec } from 'autoencoder';
import { DEMO_QUANTILE, demoFitOptions, demoSpec, majorityLabel, parseCsv, type DemoTable } from './demo.js';

/** What the page found, for tests (plain arrays, so they cross page.evaluate()). */
export interface DemoResult {
  file: string;
  rows: number;
  cols: number;
  names: string[];
  labelName: string | null;
  data: number[];
  spec: ModelSpec;
  fit: Omit<FitOptions, 'onEpoch'>;
  losses: number[];
  valLosses: number[];
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  scores: number[];
  threshold: number;
  flagged: number;
  trainMs: number;
}

declare global {
  interface Window {
    __demo?: DemoResult;
    __demoError?: string;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>('file');
const drop = $<HTMLLabelElement>('drop');
const status = $<HTMLParagraphElement>('status');
const lossCanvas = $<HTMLCanvasElement>('loss');
const scoreCanvas = $<HTMLCanvasElement>('scores');
const summary = $<HTMLPreElement>('summary');
const topBody = $<HTMLTableSectionElement>('top');
const download = $<HTMLButtonElement>('download');
const results = $<HTMLElement>('results');

const BLUE = '#2563eb', ORANGE = '#ea580c', RED = '#dc2626', GREY = '#64748b', GRID = '#e2e8f0', INK = '#0f172a';
const FONT = '12px system-ui, sans-serif';

let busy = false;
let model: Autoencoder | null = null;
let modelBytes: Uint8Array | null = null;

// ---------------------------------------------------------------------------------------------
// drawing

interface Plot { ctx: CanvasRenderingContext2D; x0: number; y0: number; w: number; h: number }

/** Sizes the canvas for the screen's pixel ratio, clears it, and returns the plot area inside the margins. */
function plotArea(canvas: HTMLCanvasElement): Plot {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth, cssH = canvas.clientHeight;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cssW, cssH);
  ctx.font = FONT;
  const left = 64, right = 16, top = 30, bottom = 34;
  return { ctx, x0: left, y0: top, w: cssW - left - right, h: cssH - top - bottom };
}

/** Short, readable numbers for axes and tables. */
function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

const fmtPct = (f: number) => `${Number((f * 100).toPrecision(3))}%`;

/** Tick values at 1, 2, 5 x 10^k covering [lo, hi] (about `n` of them, `minStep` apart at least). */
function niceTicks(lo: number, hi: number, n: number, minStep = 0): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = Math.max(span / n, minStep), mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Log-scale ticks at 1, 2, 5 x 10^k inside [lo, hi] (lo > 0). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** k;
      if (t >= lo && t <= hi) out.push(t);
    }
  }
  // a narrow range (less than 2.5x) has too few of those: fall back to linear ones
  return out.length >= 3 ? out : niceTicks(lo, hi, 4).filter((t) => t > 0);
}

function yAxis(p: Plot, ticks: number[], y: (v: number) => number, label: string): void {
  const { ctx } = p;
  ctx.strokeStyle = GRID;
  ctx.fillStyle = GREY;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of ticks) {
    const py = Math.round(y(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(p.x0, py);
    ctx.lineTo(p.x0 + p.w, py);
    ctx.stroke();
    ctx.fillText(fmt(t), p.x0 - 6, py);
  }
  ctx.save();
  ctx.translate(14, p.y0 + p.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(label, 0, 0);
  ctx.restore();
}

function xAxis(p: Plot, ticks: number[], x: (v: number) => number, label: string): void {
  const { ctx } = p;
  ctx.strokeStyle = GREY;
  ctx.beginPath();
  ctx.moveTo(p.x0, p.y0 + p.h + 0.5);
  ctx.lineTo(p.x0 + p.w, p.y0 + p.h + 0.5);
  ctx.stroke();
  ctx.fillStyle = GREY;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks) ctx.fillText(fmt(t), x(t), p.y0 + p.h + 5);
  ctx.textAlign = 'right';
  ctx.fillText(label, p.x0 + p.w, p.y0 + p.h + 19);
}

/** Colored squares with text, left to right along the top margin. */
function legend(p: Plot, items: [string, string][]): void {
  const { ctx } = p;
  let x = p.x0;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const [color, text] of items) {
    ctx.fillStyle = color;
    ctx.fillRect(x, 9, 10, 10);
    ctx.fillStyle = INK;
    ctx.fillText(text, x + 15, 14);
    x += 15 + ctx.measureText(text).width + 22;
  }
}

/** Loss and validation loss per epoch on a log scale; the x axis spans every epoch fit() may run. */
function drawLoss(losses: number[], valLosses: number[], maxEpochs: number, valSplit: number, bestEpoch: number | null): void {
  const p = plotArea(lossCanvas);
  const all = [...losses, ...valLosses].filter((v) => v > 0);
  if (all.length === 0) return;
  const lo = Math.min(...all) / 1.15, hi = Math.max(...all) * 1.15;
  const x = (e: number) => p.x0 + (maxEpochs <= 1 ? 0 : ((e - 1) / (maxEpochs - 1)) * p.w);
  const y = (v: number) => p.y0 + p.h - ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * p.h;
  yAxis(p, logTicks(lo, hi), y, 'loss (log scale)');
  xAxis(p, niceTicks(1, maxEpochs, 8, 1).filter((t) => t >= 1), x, 'epoch');
  const line = (vals: number[], color: string) => {
    p.ctx.strokeStyle = color;
    p.ctx.lineWidth = 2;
    p.ctx.beginPath();
    vals.forEach((v, i) => (i ? p.ctx.lineTo(x(i + 1), y(v)) : p.ctx.moveTo(x(i + 1), y(v))));
    p.ctx.stroke();
  };
  line(losses, BLUE);
  if (valLosses.length) line(valLosses, ORANGE);
  const items: [string, string][] = [[BLUE, 'training loss']];
  if (valLosses.length) items.push([ORANGE, `validation loss (the last ${fmtPct(valSplit)} of the rows)`]);
  if (bestEpoch !== null) {
    const bx = Math.round(x(bestEpoch)) + 0.5;
    p.ctx.strokeStyle = GREY;
    p.ctx.lineWidth = 1;
    p.ctx.setLineDash([4, 4]);
    p.ctx.beginPath();
    p.ctx.moveTo(bx, p.y0);
    p.ctx.lineTo(bx, p.y0 + p.h);
    p.ctx.stroke();
    p.ctx.setLineDash([]);
    items.push([GREY, `best epoch ${bestEpoch} (weights kept)`]);
  }
  legend(p, items);
}

/** One bar per row (its score), rows with a minority label in orange, the threshold as a red dashed line. */
function drawScores(scores: Float32Array, threshold: number, t: DemoTable, normal: string | null): void {
  const p = plotArea(scoreCanvas);
  const n = scores.length;
  let max = threshold;
  for (const s of scores) if (s > max) max = s;
  const hi = max * 1.08;
  const x = (i: number) => p.x0 + (i / n) * p.w;
  const y = (v: number) => p.y0 + p.h - (v / hi) * p.h;
  yAxis(p, niceTicks(0, hi, 5), y, 'score (reconstruction error)');
  xAxis(p, niceTicks(1, n, 10, 1).filter((v) => v >= 1 && v <= n), (r) => x(r - 0.5), 'row');
  const bw = p.w / n > 4 ? p.w / n - 1 : Math.max(1, p.w / n); // a gap between bars wide enough to have one
  const odd = (i: number) => t.labels !== null && t.labels[i] !== normal;
  // normal rows first, so the others stay visible where bars share a pixel
  for (const pass of [false, true]) {
    p.ctx.fillStyle = pass ? ORANGE : BLUE;
    for (let i = 0; i < n; i++) {
      if (odd(i) !== pass) continue;
      const top = y(scores[i]!);
      p.ctx.fillRect(x(i), top, bw, p.y0 + p.h - top);
    }
  }
  const ty = Math.round(y(threshold)) + 0.5;
  p.ctx.strokeStyle = RED;
  p.ctx.lineWidth = 1.5;
  p.ctx.setLineDash([6, 4]);
  p.ctx.beginPath();
  p.ctx.moveTo(p.x0, ty);
  p.ctx.lineTo(p.x0 + p.w, ty);
  p.ctx.stroke();
  p.ctx.setLineDash([]);
  const items: [string, string][] = [];
  if (t.labels) {
    const others = t.labels.filter((l) => l !== normal).length;
    items.push([BLUE, `${t.labelName} = ${normal} (${n - others} rows)`], [ORANGE, `other ${t.labelName} values (${others} rows)`]);
  } else {
    items.push([BLUE, `${n} rows`]);
  }
  items.push([RED, `threshold ${fmt(threshold)} (${DEMO_QUANTILE} quantile)`]);
  legend(p, items);
}

// ---------------------------------------------------------------------------------------------
// the run

function fail(message: string): void {
  status.textContent = message;
  status.className = 'error';
  window.__demoError = message;
}

async function train(file: File): Promise<void> {
  if (busy) return;
  busy = true;
  delete window.__demo;
  delete window.__demoError;
  download.disabled = true;
  model?.dispose();
  model = null;
  modelBytes = null;
  status.className = '';
  try {
    let t: DemoTable;
    try {
      t = parseCsv(await file.text());
    } catch (e) {
      results.hidden = true;
      fail(`${file.name}: ${(e as Error).message}`);
      return;
    }
    results.hidden = false;
    summary.textContent = '';
    topBody.replaceChildren();
    plotArea(scoreCanvas);
    const spec = demoSpec(t.cols);
    const fit = demoFitOptions(t.rows);
    const ae = await Autoencoder.create(spec);
    model = ae;
    const maxEpochs = fit.epochs!;
    const valSplit = fit.validationSplit ?? 0;
    const losses: number[] = [], valLosses: number[] = [];
    const t0 = performance.now();
    const h = await ae.fit(t.data, {
      ...fit,
      onEpoch: (info) => {
        losses.push(info.loss);
        if (!Number.isNaN(info.valLoss)) valLosses.push(info.valLoss);
        status.textContent = `training on ${t.rows} rows x ${t.cols} columns: epoch ${info.epoch} of at most ${maxEpochs}`;
        drawLoss(losses, valLosses, maxEpochs, valSplit, null);
      },
    });
    const trainMs = performance.now() - t0;
    drawLoss(h.loss, h.valLoss, maxEpochs, valSplit, h.bestEpoch);

    const scores = ae.score(t.data);
    const threshold = ae.calibrate(t.data, { quantile: DEMO_QUANTILE });
    const flags = ae.detect(t.data);
    const flagged = flags.reduce((a, f) => a + f, 0);
    modelBytes = ae.save();
    const normal = majorityLabel(t.labels);
    drawScores(scores, threshold, t, normal);

    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, 10);
    topBody.replaceChildren(...order.map((i, rank) => {
      const tr = document.createElement('tr');
      const cells = [String(rank + 1), String(i + 1), String(t.lines[i]), scores[i]!.toPrecision(6), t.labels ? t.labels[i]! : null, flags[i] ? 'yes' : ''];
      for (const c of cells) if (c !== null) tr.appendChild(document.createElement('td')).textContent = c;
      if (t.labels && t.labels[i] !== normal) tr.className = 'odd';
      return tr;
    }));
    $('label-head').textContent = t.labelName ?? '';
    $('label-head').hidden = t.labels === null;

    const s = ae.spec;
    const oddFlagged = t.labels ? Array.from(flags).filter((f, i) => f && t.labels![i] !== normal).length : 0;
    const kept = h.bestEpoch;
    summary.textContent = [
      `file       ${file.name}: ${t.rows} rows x ${t.cols} feature columns${t.header ? ' (header row)' : ''}${t.labelName ? `; "${t.labelName}" excluded, used for colors` : ''}`,
      `model      ${[s.inputDim, ...(s.layers ?? []), ...(s.layers ?? []).slice(0, -1).reverse(), s.inputDim].join(' -> ')} (${ae.paramCount} params), ${s.activation}, normalize ${s.normalize}, seed ${s.seed}`,
      `training   ${h.epochs} of ${maxEpochs} epochs${h.stoppedEarly ? ', stopped early' : ''} in ${trainMs.toFixed(0)} ms; best epoch ${kept}: loss ${h.loss[kept - 1]!.toPrecision(6)}${h.valLoss.length ? `, val loss ${h.valLoss[kept - 1]!.toPrecision(6)}` : ''}`,
      `threshold  ${threshold} (the ${DEMO_QUANTILE} quantile of the ${t.rows} rows' scores)`,
      `flagged    ${flagged} of ${t.rows} rows score above it${t.labels ? `; ${oddFlagged} of them have ${t.labelName} other than ${normal}` : ''}`,
      `model.ae   ${modelBytes.length} bytes`,
    ].join('\n');
    status.textContent = `done: trained in ${trainMs.toFixed(0)} ms, ${flagged} ${flagged === 1 ? 'row' : 'rows'} flagged`;
    download.disabled = false;

    const { onEpoch: _, ...fitPlain } = fit;
    window.__demo = {
      file: file.name, rows: t.rows, cols: t.cols, names: t.names, labelName: t.labelName, data: Array.from(t.data),
      spec: s, fit: fitPlain, losses: h.loss, valLosses: h.valLoss, epochs: h.epochs, bestEpoch: h.bestEpoch,
      stoppedEarly: h.stoppedEarly, scores: Array.from(scores), threshold, flagged, trainMs,
    };
  } catch (e) {
    fail(`${file.name}: ${(e as Error).message}`);
  } finally {
    busy = false;
  }
}

fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  if (f) void train(f);
  fileInput.value = '';
});
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void train(f);
});
download.addEventListener('click', () => {
  if (!modelBytes) return;
  const url = URL.createObjectURL(new Blob([modelBytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'model.ae';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});
status.textContent = 'ready: drop a CSV of numbers on the box above, or click it to pick one';
