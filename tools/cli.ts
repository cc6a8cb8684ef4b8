// cli.ts: the `autoencoder` command. Trains a model on a CSV, scores and encodes CSV rows with it,
// and describes a model file. All the numbers come from the package's API ('autoencoder', kept
// external by the build, so it resolves to this package's dist/bindings/node.js); this file only
// parses arguments, reads and writes files, and reports. User errors print one line
// `autoencoder: <message>` on stderr: exit code 1, or 2 for a bad command line.
//
//   autoencoder train data.csv --layers 16,8 --epochs 50 -o model.ae
//   autoencoder train windows.csv --spec conv.json -o model.ae   (a JSON AutoencoderSpec: layer graph or dense)
//   autoencoder score model.ae data.csv [-o scores.csv]
//   autoencoder encode model.ae data.csv [-o latent.csv]
//   autoencoder info model.ae [--json]

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  ACTIVATIONS, Autoencoder, AutoencoderError, LOSSES, NORMALIZERS, OPTIMIZERS, defaultLayers,
  type Activation, type AutoencoderSpec, type EpochInfo, type FitOptions, type LayerSpec, type Loss, type Normalize, type Optimizer,
} from 'autoencoder';
import { addCodecCommands } from './cli-codec.js';
import { CliError, cellAt, readBytes, readNumericCsv, toCsv, writeFileAtomic, type NumericTable } from './csv.js';

// ---------------------------------------------------------------------------------------------
// option values

function intArg(name: string, lo: number, hi = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*[+-]?\d+\s*$/.test(v) || n < lo || n > hi) {
      throw new InvalidArgumentError(`${name} must be an integer from ${lo}${hi === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${hi}`}.`);
    }
    return n;
  };
}

function numArg(name: string, lo: number, hi: number, loOpen = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (loOpen && n === lo)) {
      const range = Number.isFinite(lo) ? ` ${loOpen ? 'above' : 'from'} ${lo}${Number.isFinite(hi) ? ` ${loOpen ? 'and at most' : 'to'} ${hi}` : ''}` : '';
      throw new InvalidArgumentError(`${name} must be a number${range}.`);
    }
    return n;
  };
}

function layersArg(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const bad = parts.find((s) => !/^\d+$/.test(s) || Number(s) < 1);
  if (bad !== undefined) {
    throw new InvalidArgumentError(`layers must be positive integers separated by commas, such as 16,8 (the last one is the latent size); ${JSON.stringify(bad)} is not one.`);
  }
  return parts.map(Number);
}

function listArg(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

const excludeOption = () =>
  new Option('-x, --exclude <columns>', 'drop columns by header name or 1-based column number, comma-separated (e.g. label,id); repeatable').argParser(listArg);
const headerOption = () => new Option('--header', 'the first row is a header (default: detected: a header when any field of the first row is not a number)');
const noHeaderOption = () => new Option('--no-header', 'the first row is data');

interface CsvOpts { exclude?: string[]; header?: boolean }

// ---------------------------------------------------------------------------------------------
// helpers

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 ? String(Number(x.toPrecision(5))) : x.toExponential(4);
}

/**
 * An API error message in the CLI's terms: option names as flags, data rows (0-based in the API)
 * as file lines and columns. Text it doesn't recognise passes through unchanged.
 */
function cliMessage(msg: string, t: NumericTable, file: string, normalize: Normalize): string {
  let m = msg.replace(/\brow (\d+), column (\d+)/g, (_, r: string, c: string) => cellAt(t, file, Number(r), Number(c)));
  if (normalize !== 'none') m = m.replace(/ or normalize the inputs \(normalize: '\w+'\)/, '');
  return m
    .replace(/normalize: '(\w+)'/g, '--normalize $1')
    .replace(/\blearningRate\b/g, '--lr')
    .replace(/\bbatchSize\b/g, '--batch-size')
    .replace(/\bvalidationSplit\b/g, '--validation-split')
    .replace(/\boutputActivation '(\w+)'/g, '--output-activation $1')
    .replace(/\bloss '(\w+)'/g, '--loss $1')
    .replace(/; the weights are as they were before fit\(\)/, '; nothing was saved');
}

/** The shortest decimal that reads back as the same float32 (`v` is one), else String(v). */
function f32str(v: number): string {
  for (let p = 6; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return String(d);
  }
  return String(v);
}

/** Reads and loads a model file; every problem comes back as one line naming the file. */
async function loadModel(path: string): Promise<{ ae: Autoencoder; bytes: Uint8Array }> {
  const bytes = readBytes(path, 'the model file');
  try {
    return { ae: await Autoencoder.load(bytes), bytes };
  } catch (e) {
    if (e instanceof AutoencoderError) throw new CliError(`cannot load ${path}: ${e.message}`);
    throw e;
  }
}

/** The JSON header of a model file that load() accepted (for what the API doesn't expose). */
function modelHeader(bytes: Uint8Array): { normalizerFitted?: boolean } {
  try {
    const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(20, true);
    return JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + len)));
  } catch {
    return {};
  }
}

/** Reads the rows to run a model on, checking their width against its inputDim before their cells. */
function readRowsFor(ae: Autoencoder, modelPath: string, file: string, o: CsvOpts): NumericTable {
  const checkColumns = (cols: number, fileCols: number, excluded: number) => {
    if (cols === ae.inputDim) return;
    const what = excluded ? `${cols} columns (${fileCols} in the file, ${excluded} excluded)` : `${cols} columns`;
    const hint = cols > ae.inputDim ? 'drop the extra columns (a label or id, say) with --exclude' : 'pass the same columns the model was trained on';
    throw new CliError(`${file} has ${what} but ${modelPath} expects ${ae.inputDim} (its inputDim): ${hint}`);
  };
  return readNumericCsv(file, { exclude: o.exclude, header: o.header, checkColumns });
}

/** Writes CSV text to a file (atomically) or, without one, to stdout. */
function emit(text: string, output: string | undefined): void {
  if (output === undefined || output === '-') out(text);
  else writeFileAtomic(output, text);
}

/** Fails early, before training, when the output can't be written where asked. */
function checkWritable(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new CliError(`cannot write ${path}: the directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`cannot write ${path}: it is a directory`);
}

function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'autoencoder' && pkg.version) return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}

/** Two aligned columns of text. */
function table(rows: [string, string][]): string {
  return rows.map(([k, v]) => `${k.padEnd(11)}${v}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// progress

interface Progress { onEpoch(info: EpochInfo): void; stop(): void }

function progress(epochs: number, quiet: boolean): Progress {
  if (quiet) return { onEpoch() {}, stop() {} };
  const valText = (v: number) => (Number.isNaN(v) ? '-' : fmt(v));
  if (!process.stderr.isTTY) {
    const w = String(epochs).length;
    return {
      onEpoch: (i) => err(`epoch ${String(i.epoch).padStart(w)}/${epochs}  loss ${fmt(i.loss)}  val loss ${valText(i.valLoss)}  ${Math.round(i.ms)} ms\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'training |{bar}| epoch {value}/{total} | loss {loss} | val loss {val} | {eta_formatted} left',
    barsize: 24,
    hideCursor: true,
    etaBuffer: 20,
  }, cliProgress.Presets.shades_classic);
  bar.start(epochs, 0, { loss: '-', val: '-' });
  let stopped = false;
  const onSigint = () => { stop(); process.exit(130); };
  process.once('SIGINT', onSigint);
  function stop() {
    if (stopped) return;
    stopped = true;
    process.removeListener('SIGINT', onSigint);
    bar.stop();
  }
  return {
    onEpoch: (i) => bar.update(i.epoch, { loss: fmt(i.loss), val: valText(i.valLoss) }),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// commands

interface TrainOpts extends CsvOpts {
  layers?: number[]; epochs: number; batchSize?: number; lr?: number; optimizer?: Optimizer;
  activation?: Activation; latentActivation?: Activation; outputActivation?: Activation; loss?: Loss;
  normalize: Normalize; seed: number; validationSplit: number; patience: number; calibrate: number | false;
  output: string; quiet?: boolean; spec?: string;
}

/** The train flags that set a field of the spec: [spec key, flag]. */
const SPEC_FLAGS = [
  ['layers', '--layers'], ['activation', '--activation'], ['latentActivation', '--latent-activation'],
  ['outputActivation', '--output-activation'], ['loss', '--loss'], ['normalize', '--normalize'], ['seed', '--seed'],
] as const;
type SpecFlag = typeof SPEC_FLAGS[number][0];
/** The flags of the dense shorthand only: a layer graph gives each layer its own size and activation. */
const DENSE_FLAGS: ReadonlySet<SpecFlag> = new Set(['layers', 'activation', 'latentActivation', 'outputActivation']);
const SPEC_EXAMPLE = '{"inputShape": [16, 1], "encoder": [{"type": "conv1d", "filters": 4, "kernel": 3, "padding": "same", "activation": "relu"}], "decoder": [{"type": "conv1d", "filters": 1, "kernel": 3, "padding": "same"}]}';

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Reads a --spec file: a JSON object (an AutoencoderSpec), or a one-line CliError. */
function readSpecFile(path: string): Record<string, unknown> {
  const text = new TextDecoder().decode(readBytes(path, 'the spec file'));
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path} is not valid JSON (${(e as Error).message}): write an AutoencoderSpec such as ${SPEC_EXAMPLE}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new CliError(`${path} must hold a JSON object (an AutoencoderSpec), not ${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`}: for example ${SPEC_EXAMPLE}`);
  }
  return v as Record<string, unknown>;
}

const isGraph = (s: Record<string, unknown>) => s.inputShape !== undefined || s.encoder !== undefined || s.decoder !== undefined;

/**
 * Reads the --spec file and checks the spec flags given on the command line against it: they may
 * fill the fields it leaves out, but not contradict it, and a layer graph takes no dense flags.
 */
function readSpecWithFlags(path: string, given: ReadonlySet<SpecFlag>): Record<string, unknown> {
  const s = readSpecFile(path);
  const graph = isGraph(s);
  for (const [key, flag] of SPEC_FLAGS) {
    if (!given.has(key)) continue;
    if (graph && DENSE_FLAGS.has(key)) {
      throw new CliError(`${flag} cannot be used with --spec ${path}: it is a layer graph (inputShape/encoder/decoder), where each layer has its own ${key === 'layers' ? 'size' : 'activation'}; drop ${flag}, or edit the layers in ${path}`);
    }
    if (s[key] !== undefined) throw new CliError(`${flag} conflicts with "${key}": ${JSON.stringify(s[key])} in ${path}: set it in one place`);
  }
  return s;
}

/**
 * The spec to train: the --spec file `s` (read by readSpecWithFlags) with inputDim taken from the
 * CSV and the flags filling the fields it leaves out; without --spec, the flags alone.
 */
function trainSpec(o: TrainOpts, given: ReadonlySet<SpecFlag>, s: Record<string, unknown> | undefined, t: NumericTable, file: string): AutoencoderSpec {
  if (s === undefined || o.spec === undefined) {
    return {
      inputDim: t.cols, layers: o.layers, activation: o.activation, latentActivation: o.latentActivation,
      outputActivation: o.outputActivation, loss: o.loss, normalize: o.normalize, seed: o.seed,
    };
  }
  const path = o.spec;
  const graph = isGraph(s);
  const spec: Record<string, unknown> = { ...s };
  for (const [key] of SPEC_FLAGS) {
    if (spec[key] === undefined && o[key] !== undefined && !(graph && DENSE_FLAGS.has(key))) spec[key] = o[key];
  }
  // bce needs inputs in [0, 1]: unless told otherwise, scale them there rather than standardize
  if (spec.loss === 'bce' && s.normalize === undefined && !given.has('normalize')) spec.normalize = 'minmax';
  const what = t.excluded.length ? `${t.cols} columns (${t.fileCols} in the file, ${t.excluded.length} excluded)` : `${t.cols} columns`;
  if (graph && Array.isArray(s.inputShape) && s.inputShape.every((d) => typeof d === 'number')) {
    const n = (s.inputShape as number[]).reduce((a, b) => a * b, 1);
    if (n !== t.cols) {
      throw new CliError(`${file} has ${what} but the inputShape ${shapeText(s.inputShape as number[])} of ${path} takes ${n} values per row: each row is one sample, flattened channels last (for [length, channels]: step 0's channels, then step 1's, ...)`);
    }
  }
  if (s.inputDim !== undefined && s.inputDim !== t.cols) {
    throw new CliError(`${file} has ${what} but ${path} says inputDim ${JSON.stringify(s.inputDim)}: leave inputDim out (the CSV gives it) or pass the matching columns`);
  }
  if (!graph) spec.inputDim = t.cols;
  return spec as AutoencoderSpec;
}

/** One layer of a graph in a few words: conv1d 4 k3 s2 same relu, maxPool2d 2x2, ... */
function layerText(l: LayerSpec): string {
  const n = (v: number | number[] | undefined) => (Array.isArray(v) ? v.join('x') : String(v));
  const act = l.activation && l.activation !== 'linear' ? ` ${l.activation}` : '';
  switch (l.type) {
    case 'dense': return `dense ${l.units}${act}`;
    case 'maxPool1d': case 'maxPool2d': return `${l.type} ${n(l.pool)} s${n(l.strides)} ${l.padding}`;
    case 'upSampling1d': case 'upSampling2d': return `${l.type} ${n(l.size)}`;
    case 'dropout': return `dropout ${l.rate}`;
    case 'flatten': return 'flatten';
    case 'reshape': return `reshape ${shapeText(l.shape ?? [])}`;
    case 'batchNorm': return 'batchNorm';
    default: return `${l.type} ${l.filters} k${n(l.kernel)} s${n(l.strides)} ${l.padding}${act}`;
  }
}

/** The architecture in one line: widths for the dense shorthand, shapes for a layer graph. */
function architecture(ae: Autoencoder): string {
  const s = ae.spec;
  if (s.inputShape && s.encoder && s.decoder) {
    return `${shapeText(s.inputShape)} -> ${s.encoder.length} encoder layers -> ${shapeText(ae.latentShape)} -> ${s.decoder.length} decoder layers -> ${shapeText(s.inputShape)}`;
  }
  return [s.inputDim, ...(s.layers ?? [])].join(' -> ');
}

async function train(file: string, o: TrainOpts, given: ReadonlySet<SpecFlag> = new Set()): Promise<void> {
  const t0 = performance.now();
  checkWritable(o.output);
  const specFile = o.spec === undefined ? undefined : readSpecWithFlags(o.spec, given);
  const t = readNumericCsv(file, { exclude: o.exclude, header: o.header });
  if (o.validationSplit > 0) {
    const nTrain = Math.floor(t.rows * (1 - o.validationSplit));
    if (nTrain < 1 || t.rows - nTrain < 1) {
      throw new CliError(`--validation-split ${o.validationSplit} of ${t.rows} rows leaves no ${nTrain < 1 ? 'training' : 'validation'} rows: pass more rows, a ${nTrain < 1 ? 'smaller' : 'larger'} --validation-split, or --validation-split 0`);
    }
  }
  const spec = trainSpec(o, given, specFile, t, file);
  const normalize = spec.normalize ?? 'none', loss = spec.loss ?? 'mse';
  const ae = await Autoencoder.create(spec).catch((e: unknown) => {
    if (!(e instanceof AutoencoderError)) throw e;
    // a spec file's message keeps the file's own names (the flags didn't write them)
    throw new CliError(o.spec === undefined ? cliMessage(e.message, t, file, normalize) : `${o.spec}: ${e.message}`);
  });
  const bar = progress(o.epochs, !!o.quiet);
  const fitOpts: FitOptions = {
    epochs: o.epochs, batchSize: o.batchSize, learningRate: o.lr, optimizer: o.optimizer,
    validationSplit: o.validationSplit, earlyStopping: o.patience === 0 ? false : { patience: o.patience },
    onEpoch: (i) => bar.onEpoch(i),
  };
  let h, threshold: number | null = null;
  try {
    try {
      h = await ae.fit(t.data, fitOpts);
    } finally {
      bar.stop();
    }
    if (o.calibrate !== false) threshold = ae.calibrate(t.data, { quantile: o.calibrate });
  } catch (e) {
    if (!(e instanceof AutoencoderError)) throw e;
    let m = cliMessage(e.message, t, file, normalize);
    if (loss === 'bce' && normalize === 'minmax' && o.validationSplit > 0 && /\[0, 1\]/.test(m)) {
      m += ' (the minmax normalizer is fitted on the training rows only, so validation rows can fall outside [0, 1]: try --validation-split 0)';
    }
    throw new CliError(m);
  }
  const bytes = ae.save();
  writeFileAtomic(o.output, bytes);

  const kept = h.bestEpoch;
  out(table([
    ['trained', `${architecture(ae)} (latent ${ae.latentDim}, ${ae.paramCount} params) on ${t.rows} rows x ${t.cols} columns of ${file}${t.excluded.length ? ` (excluded ${t.excludedNames.join(', ')})` : ''}`],
    ['epochs', `${h.epochs} of ${o.epochs}${h.stoppedEarly ? ', stopped early' : ''}${kept !== h.epochs ? `; kept the best weights, of epoch ${kept}` : ''}`],
    ['loss', `${fmt(h.loss[kept - 1]!)}${h.valLoss.length ? `, val loss ${fmt(h.valLoss[kept - 1]!)}` : ''} (epoch ${kept})`],
    ['threshold', threshold === null ? 'none (--no-calibrate)' : `${fmt(threshold)} (the ${o.calibrate} quantile of the ${t.rows} training rows' scores)`],
    ['time', `${((performance.now() - t0) / 1000).toFixed(2)} s`],
    ['saved', `${o.output} (${bytes.length} bytes)`],
  ]));
}

interface RunOpts extends CsvOpts { output?: string; quiet?: boolean }

async function score(modelPath: string, file: string, o: RunOpts & { threshold?: number }): Promise<void> {
  const { ae } = await loadModel(modelPath);
  const t = readRowsFor(ae, modelPath, file, o);
  const scores = ae.score(t.data);
  const thr = o.threshold ?? ae.threshold;
  // detect() compares in float32 (score > threshold); do the same with the threshold rounded alike
  const t32 = thr === null ? null : Math.fround(thr);
  let flagged = 0;
  const rows = Array.from(scores, (v) => {
    if (t32 === null) return [f32str(v), ''];
    const f = v > t32 ? 1 : 0;
    flagged += f;
    return [f32str(v), f];
  });
  emit(toCsv(['score', 'flag'], rows), o.output);
  if (o.output !== undefined && o.output !== '-' && !o.quiet) {
    err(`wrote ${t.rows} scores to ${o.output}; ${thr === null ? 'no threshold, so no flags (pass --threshold, or train with --calibrate)' : `${flagged} flagged above ${fmt(thr)}`}\n`);
  }
}

async function encode(modelPath: string, file: string, o: RunOpts): Promise<void> {
  const { ae } = await loadModel(modelPath);
  const t = readRowsFor(ae, modelPath, file, o);
  const z = ae.encode(t.data);
  const k = ae.latentDim;
  const rows: string[][] = [];
  for (let r = 0; r < t.rows; r++) rows.push(Array.from(z.subarray(r * k, (r + 1) * k), f32str));
  emit(toCsv(Array.from({ length: k }, (_, j) => `z${j}`), rows), o.output);
  if (o.output !== undefined && o.output !== '-' && !o.quiet) err(`wrote ${t.rows} rows x ${k} latent columns to ${o.output}\n`);
}

async function info(modelPath: string, o: { json?: boolean }): Promise<void> {
  const { ae, bytes } = await loadModel(modelPath);
  const s = ae.spec;
  const normalizerFitted = modelHeader(bytes).normalizerFitted ?? false;
  if (o.json) {
    out(`${JSON.stringify({
      file: modelPath, bytes: bytes.length, spec: s, latentDim: ae.latentDim, latentShape: ae.latentShape, paramCount: ae.paramCount,
      threshold: ae.threshold, normalizerFitted,
    }, null, 2)}\n`);
    return;
  }
  const graph = s.inputShape && s.encoder && s.decoder;
  // (a graph model's spec has no dense-shorthand fields: layers, activation, ...)
  const layers = s.layers ?? [];
  const widths = [s.inputDim, ...layers, ...layers.slice(0, -1).reverse(), s.inputDim];
  const rows: [string, string][] = [
    ['file', `${modelPath} (${bytes.length} bytes)`],
    ['inputDim', String(s.inputDim)],
    ...(graph ? [
      ['inputShape', shapeText(s.inputShape!)],
      ['encoder', s.encoder!.map(layerText).join(', ')],
      ['latent', `${shapeText(ae.latentShape)} (latentDim ${ae.latentDim})`],
      ['decoder', s.decoder!.map(layerText).join(', ')],
    ] as [string, string][] : [
      ['layers', `${layers.join(',')} (${widths.join(' -> ')}; latent ${ae.latentDim})`],
      ['activation', `${s.activation} (latent ${s.latentActivation}, output ${s.outputActivation})`],
    ] as [string, string][]),
    ['loss', s.loss],
    ['normalize', s.normalize === 'none' ? 'none' : `${s.normalize} (${normalizerFitted ? 'fitted' : 'not fitted yet'})`],
    ['seed', String(s.seed)],
    ['params', String(ae.paramCount)],
    ['threshold', ae.threshold === null ? 'none' : f32str(ae.threshold)],
  ];
  out(table(rows));
}

// ---------------------------------------------------------------------------------------------
// the command line

function buildProgram(): Command {
  const program = new Command('autoencoder')
    .description('Train autoencoders on CSV data (dense, or any layer graph such as a conv1d model with --spec) and use them to score (anomaly detection) and encode rows; everything runs in SIMD WebAssembly.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`autoencoder: ${str.replace(/^error: /, '')}`) })
    .addHelpText('after', `
Examples:
  autoencoder train data.csv --layers 16,8 --epochs 50 -o model.ae
  autoencoder train data.csv --exclude label,id --patience 0
  autoencoder train windows.csv --spec conv.json -o conv.ae
  autoencoder score model.ae data.csv -o scores.csv
  autoencoder encode model.ae data.csv > latent.csv
  autoencoder info model.ae --json

CSV input: numbers, comma-separated; a header row is detected (or say --header / --no-header).
Run 'autoencoder <command> --help' for a command's options.`);

  program.command('train')
    .description('train an autoencoder on the rows of a CSV file and save it (then calibrate its anomaly threshold on those rows)')
    .argument('<data.csv>', 'training data: one row per example, one numeric column per feature')
    .option('-o, --output <file>', 'where to save the model', 'model.ae')
    .addOption(new Option('--spec <file>', 'the model as a JSON AutoencoderSpec: a layer graph {"inputShape": [16, 1], "encoder": [...], "decoder": [...]} (each CSV row one sample, flattened channels last) or the dense shorthand {"layers": [16, 8], ...}; inputDim comes from the CSV. The flags below that set spec fields (--layers, --activation, --loss, --normalize, --seed, ...) may fill what the file leaves out but not contradict it; --normalize still applies (default standard) unless the file sets normalize'))
    .addOption(new Option('--layers <widths>', `encoder widths, comma-separated, the last the latent size; the decoder mirrors them (default: from the column count, e.g. ${defaultLayers(12).join(',')} for 12 columns)`).argParser(layersArg))
    .addOption(new Option('--epochs <n>', 'training epochs (at most: early stopping may end sooner)').argParser(intArg('epochs', 1)).default(100))
    .addOption(new Option('--batch-size <n>', 'rows per optimizer step (default: 32)').argParser(intArg('batch size', 1, 65536)))
    .addOption(new Option('--lr <rate>', 'learning rate (default: 0.001; 0.01 for sgd and momentum)').argParser(numArg('learning rate', 0, 1000, true)))
    .addOption(new Option('--optimizer <name>', 'optimizer (default: adam)').choices(OPTIMIZERS))
    .addOption(new Option('--activation <name>', 'hidden layers\' activation (default: relu)').choices(ACTIVATIONS))
    .addOption(new Option('--latent-activation <name>', 'the bottleneck layer\'s activation (default: linear)').choices(ACTIVATIONS))
    .addOption(new Option('--output-activation <name>', 'the last layer\'s activation (default: linear, or sigmoid with --loss bce)').choices(ACTIVATIONS))
    .addOption(new Option('--loss <name>', 'reconstruction loss (default: mse)').choices(LOSSES))
    .addOption(new Option('--normalize <name>', 'input normalizer, fitted on the training rows and saved with the model; \'standard\' by default here (unlike the API\'s \'none\') because CSV columns have arbitrary scales (\'minmax\' with --loss bce)').choices(NORMALIZERS).default('standard'))
    .addOption(new Option('--seed <n>', 'seed of every random draw (init, shuffling)').argParser(intArg('seed', 0, 0xffffffff)).default(1))
    .addOption(new Option('--validation-split <fraction>', 'fraction of rows, taken from the end, held out for validation (0 for none)').argParser(numArg('validation split', 0, 0.9)).default(0.1))
    .addOption(new Option('--patience <n>', 'early stopping: epochs without improvement of the val loss (or loss) before stopping, keeping the best weights; 0 disables').argParser(intArg('patience', 0)).default(10))
    .addOption(new Option('--calibrate <quantile>', 'after training, set the anomaly threshold to this quantile of the scores of the CSV\'s rows (validation rows included), so that `score` can flag rows').argParser(numArg('calibrate quantile', 0, 1)).default(0.99))
    .addOption(new Option('--no-calibrate', 'save the model without a threshold'))
    .addOption(excludeOption())
    .addOption(headerOption())
    .addOption(noHeaderOption())
    .option('-q, --quiet', 'no progress output (by default a progress bar on a terminal, else one line per epoch, on stderr)')
    .action((file: string, o: TrainOpts, cmd: Command) => {
      const given = new Set(SPEC_FLAGS.map(([k]) => k).filter((k) => {
        const src = cmd.getOptionValueSource(k);
        return src !== undefined && src !== 'default';
      }));
      // bce needs inputs in [0, 1]: unless told otherwise, scale them there rather than standardize
      if (o.loss === 'bce' && !given.has('normalize')) o.normalize = 'minmax';
      return train(file, o, given);
    });

  program.command('score')
    .description('write the anomaly score (reconstruction error) of every row, and a flag: 1 above the threshold, else 0 (empty without a threshold)')
    .argument('<model.ae>', 'a model saved by train')
    .argument('<data.csv>', 'rows to score, with the columns the model was trained on')
    .option('-o, --output <file>', 'CSV to write, with the header score,flag (default: stdout)')
    .addOption(new Option('-t, --threshold <value>', 'flag rows scoring above this instead of the model\'s stored threshold').argParser(numArg('threshold', -Infinity, Infinity)))
    .addOption(excludeOption())
    .addOption(headerOption())
    .addOption(noHeaderOption())
    .option('-q, --quiet', 'no summary on stderr when writing to a file')
    .action((model: string, file: string, o: RunOpts & { threshold?: number }) => score(model, file, o));

  program.command('encode')
    .description('write the latent code of every row (the bottleneck layer\'s output)')
    .argument('<model.ae>', 'a model saved by train')
    .argument('<data.csv>', 'rows to encode, with the columns the model was trained on')
    .option('-o, --output <file>', 'CSV to write, with the header z0,z1,...,z{k-1} for a latent of k (default: stdout)')
    .addOption(excludeOption())
    .addOption(headerOption())
    .addOption(noHeaderOption())
    .option('-q, --quiet', 'no summary on stderr when writing to a file')
    .action((model: string, file: string, o: RunOpts) => encode(model, file, o));

  program.command('info')
    .description('describe a model file: spec, parameter count, threshold, whether its normalizer is fitted, file size')
    .argument('<model.ae>', 'a model saved by train')
    .option('--json', 'machine-readable output')
    .action((model: string, o: { json?: boolean }) => info(model, o));

  // compress / decompress (tools/cli-codec.ts)
  addCodecCommands(program, { loadModel, readRowsFor, f32str, options: { exclude: excludeOption, header: headerOption, noHeader: noHeaderOption } });

  return program;
}

/** Runs the CLI on `argv` (process.argv form) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and --version exit 0; commander already printed the message of a usage error
      return e.exitCode === 0 ? 0 : e.code === 'commander.help' ? e.exitCode : 2;
    }
    if (e instanceof CliError || e instanceof AutoencoderError) {
      err(`autoencoder: ${e.message}\n`);
      return 1;
    }
    const code = (e as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && e instanceof Error) { // an OS error we didn't anticipate: still one line
      err(`autoencoder: ${e.message}\n`);
      return 1;
    }
    err(`autoencoder: internal error (please report it): ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 70;
  }
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0); // e.g. `autoencoder score ... | head`
  throw e;
});
process.exitCode = await main(process.argv);
