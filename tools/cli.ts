// cli.ts: the `autoencoder` command. Trains a model on a CSV, scores and encodes CSV rows with it,
// and describes a model file. All the numbers come from the package's API ('autoencoder', kept
// external by the build, so it resolves to this package's dist/bindings/node.js); this file only
// parses arguments, reads and writes files, and reports. User errors print one line
// `autoencoder: <message>` on stderr: exit code 1, or 2 for a bad command line.
//
//   autoencoder train data.csv --layers 16,8 --epochs 50 -o model.ae
//   autoencoder train windows.csv --spec conv.json -o model.ae   (a JSON AutoencoderSpec: layer graph or dense)
//   autoencoder score model.ae data.csv [-o scores.csv] [--id id] [--format csv|json|jsonl]
//   autoencoder encode model.ae data.csv [-o latent.csv]
//   autoencoder decode model.ae latent.csv [-o rows.csv]
//   autoencoder reconstruct model.ae data.csv [-o rebuilt.csv]
//   autoencoder explain model.ae data.csv [-o shares.csv]
//   autoencoder info model.ae [--json]
//
// The model file's metadata records the training CSV's columns (names, or their count without a
// header), the ones excluded and the id column; score/encode/reconstruct check a CSV against them and
// drop the excluded ones by name; decode checks a CSV against the latent columns encode writes. CSVs are streamed: train parses into one exactly sized Float32Array (sized
// by a first pass counting lines), score/encode/decode/reconstruct run the API on chunks of CHUNK_ROWS rows and write
// their output as they go.

import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  ACTIVATIONS, Autoencoder, AutoencoderError, LOSSES, NORMALIZERS, OPTIMIZERS, defaultLayers,
  type Activation, type AutoencoderSpec, type EpochInfo, type FitOptions, type LayerSpec, type Loss, type Normalize, type Optimizer, type ScoreBy, type ScoreOptions,
} from 'autoencoder';
import { runSeries, type SeriesCliOptions } from './series-cli.js';
import { addCodecCommands } from './cli-codec.js';
import { f32str } from './f32str.js';
import { intArg, numArg, threadsArg } from './args.js';
import {
  AtomicWriter, CliError, MISSING_TEXT, UsageError, columnsNamed, refuseTwice, checkOutput, chooseColumns, countLines, detectHeader, numberRowsCsv, readBytes, readCsvStream, shown, toCsv, withInputArg, writeFileAtomic, WRITE_ROWS,
  type ColumnChoice, type Layout, type StreamOptions,
} from './csv.js';

/** Rows per API call when scoring or encoding. */
const CHUNK_ROWS = 8192;

// ---------------------------------------------------------------------------------------------
// option values (intArg and numArg are in ./args.ts)

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

function delimiterArg(v: string): string {
  if (v === '\\t' || v.toLowerCase() === 'tab') return '\t';
  if (v === '' || /["\r\n]/.test(v)) throw new InvalidArgumentError('delimiter must be a character such as , or ; (\\t or tab for a tab), not empty, a quote or a newline.');
  return v;
}

/**
 * The CSV input flags every command that reads rows takes: `run` for a command that runs a model (its columns
 * checked against the model's), `codec` for compress (which writes no CSV and passes no id through).
 */
function csvOptions(cmd: Command, run: boolean, codec = false): Command {
  return cmd
    .addOption(new Option('-x, --exclude <columns>', `drop columns by header name or 1-based column number, comma-separated (e.g. label,id); repeatable${run ? '; columns the model was trained without are dropped by name anyway' : ''}`).argParser(listArg))
    .addOption(new Option('--columns <columns>', 'use only these columns (names or 1-based numbers, comma-separated; kept in the file\'s order): the complement of --exclude, which it cannot be combined with').argParser(listArg))
    .addOption(new Option('--id <column>', codec
      ? 'a column (name or 1-based number) of row ids: not compressed (default: the model\'s --id column, when the CSV has it)'
      : run
      ? 'a column (name or 1-based number) passed through as the first output column instead of being fed to the model (default: the model\'s --id column, when the CSV has it)'
      : 'a column (name or 1-based number) of row ids: not fed to the model; remembered, so score and encode pass it through'))
    .addOption(new Option('--header', 'the first row is a header (default: detected: a header when any field of the first row is neither a number nor a missing value)'))
    .addOption(new Option('--no-header', 'the first row is data'))
    .addOption(new Option('-d, --delimiter <char>', 'field delimiter of the CSV input (\\t or tab for tab-separated)' + (run && !codec ? ' and of CSV output' : '')).argParser(delimiterArg).default(','))
    .addOption(new Option('--missing <policy>', `what to do with missing values (${MISSING_TEXT}): error names the file line and column; drop skips those rows${run && !codec ? ' (and their ids) and reports how many' : ' and reports how many'}`).choices(['error', 'drop']).default('error'));
}

interface CsvOpts extends ColumnChoice { header?: boolean; delimiter: string; missing: 'error' | 'drop'; quiet?: boolean; threads: number | 'auto' }

/** --threads, for the commands that train or run a model: the same bytes on any count (README "Threads"). */
const threadsOption = () => new Option('--threads <n>', "threads to run the model on: a whole number, or auto for the core count; the results are the same bytes on any count (README \"Threads\")").argParser(threadsArg).default(1);

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
function cliMessage(msg: string, t: Table, file: string): string {
  return msg.replace(/\brow (\d+), column (\d+)/g, (_, r: string, c: string) => cellAt(t, file, Number(r), Number(c)))
    .replace(/normalize: '(\w+)'/g, '--normalize $1')
    .replace(/\blearningRate\b/g, '--lr')
    .replace(/\bbatchSize\b/g, '--batch-size')
    .replace(/\bvalidationSplit: /g, 'validationSplit ')
    .replace(/\bvalidationSplit\b/g, '--validation-split')
    .replace(/\boutputActivation '(\w+)'/g, '--output-activation $1')
    .replace(/\bloss '(\w+)'/g, '--loss $1')
    .replace(/\bshuffle x\b/, 'shuffle the rows')
    .replace(/\bx's last\b/, "the file's last")
    .replace(/; the weights are as they were before fit\(\)/, '; nothing was saved');
}

/** Reads and loads a model file; every problem comes back as one line naming the file. */
async function loadModel(path: string, threads: number | 'auto' = 1): Promise<{ ae: Autoencoder; bytes: Uint8Array }> {
  const bytes = readBytes(path, 'the model file');
  try {
    return { ae: await Autoencoder.load(bytes, { threads }), bytes };
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

/** The rows of a CSV that were read: where they came from, for messages. */
interface Table { rows: number; cols: number; layout: Layout; lines: Int32Array }

/** Where data row `r` (0-based), kept column `c` (0-based) of a table sits in its file, for messages. */
function cellAt(t: Table, file: string, r: number, c: number): string {
  const line = t.lines[r], col = t.layout.keep[c];
  if (line === undefined || col === undefined) return `row ${r + 1}, column ${c + 1}`;
  return `${shown(file)} line ${line}, column ${col + 1}${t.layout.header ? ` ("${t.layout.names[col]}")` : ''}`;
}

/** `N columns`, or `N columns (M in the file, K excluded)`. */
function columnsText(l: Layout): string {
  const dropped = l.width - l.keep.length;
  return dropped ? `${l.keep.length} columns (${l.width} in the file, ${dropped} excluded)` : `${l.keep.length} columns`;
}

/** A list of column names for a message: the first 20, then a count. */
function nameList(names: string[]): string {
  return names.length <= 20 ? names.join(', ') : `${names.slice(0, 20).join(', ')}, ... (${names.length - 20} more)`;
}

/**
 * What the CLI records in a model file's metadata about the training CSV: the columns fed to the
 * model (header names, or their count without a header), the columns excluded (names, or 1-based
 * numbers without a header), the id column, and how many columns the file had.
 */
interface CsvMeta { columns: string[] | number; excluded: string[] | number[]; id: string | number | null; fileColumns: number }

function csvMeta(l: Layout): CsvMeta {
  return l.header
    ? { columns: l.keep.map((c) => l.names[c]!), excluded: l.drop.map((c) => l.names[c]!), id: l.id === null ? null : l.names[l.id]!, fileColumns: l.width }
    : { columns: l.keep.length, excluded: l.drop.map((c) => c + 1), id: l.id === null ? null : l.id + 1, fileColumns: l.width };
}

/** The CSV metadata of a model file, or null (an older file, or metadata of another shape). */
function readCsvMeta(ae: Autoencoder): CsvMeta | null {
  const m = ae.metadata;
  if (m === null) return null;
  const { columns, excluded, id, fileColumns } = m as Partial<CsvMeta>;
  const names = Array.isArray(columns) && columns.every((c) => typeof c === 'string');
  if (!(names || typeof columns === 'number') || !Array.isArray(excluded) || typeof fileColumns !== 'number') return null;
  if (!(id === null || typeof id === 'string' || typeof id === 'number')) return null;
  if ((names ? (columns as string[]).length : columns) !== ae.inputDim) return null;
  return { columns: columns as string[] | number, excluded: excluded as string[] | number[], id: id ?? null, fileColumns };
}

/** The header names of a first record, or `column N` without a header. */
const namesOf = (first: string[], header: boolean) => (header ? first.map((f) => f.trim()) : first.map((_, i) => `column ${i + 1}`));

/**
 * What a command's CSV must hold: the model's input columns (score, encode, reconstruct, compress) or the
 * latent code that encode writes (decode), and how messages name them.
 */
interface Wanted {
  /** Columns the model takes. */
  count: number;
  /** The count's name in messages: "its inputDim". */
  countName: string;
  /** The columns in messages: "the columns m.ae was trained on". */
  columns: (modelPath: string) => string;
  /** Said of a column the model does not take: "which the model was not trained on". */
  foreign: string;
  /** The fix when too few columns are left: "pass the same columns the model was trained on". */
  fewer: string;
}

/** score, encode, reconstruct and compress: the model's input columns. */
function inputColumns(ae: Autoencoder): Wanted {
  return {
    count: ae.inputDim, countName: 'its inputDim', columns: (m) => `the columns ${m} was trained on`,
    foreign: 'which the model was not trained on', fewer: 'pass the same columns the model was trained on',
  };
}

/** The names of the latent columns encode writes: z0..z{k-1}. */
const latentNames = (k: number) => Array.from({ length: k }, (_, j) => `z${j}`);

/**
 * decode: the latent columns z0..z{k-1} as encode writes them, and the id column encode passes through
 * (the model's --id column, or 'id' for one given by number).
 */
function latentColumns(ae: Autoencoder, meta: CsvMeta | null): { wanted: Wanted; meta: CsvMeta } {
  const k = ae.latentDim;
  const id = meta?.id == null ? null : typeof meta.id === 'string' ? meta.id : 'id';
  return {
    wanted: {
      count: k, countName: 'its latentDim', columns: (m) => `the latent columns of ${m} that encode writes`,
      foreign: 'which encode does not write', fewer: `pass the latent code that \`autoencoder encode\` writes (${k} columns)`,
    },
    meta: { columns: latentNames(k), excluded: [], id, fileColumns: k + (id === null ? 0 : 1) },
  };
}

/**
 * The names of the model's input columns for an output that holds rows of them (reconstruct, decode,
 * decompress): the training CSV's header names, when the model file records distinct ones, else x0..x{D-1}.
 */
function columnNames(ae: Autoencoder): string[] {
  const meta = readCsvMeta(ae);
  const names = meta && Array.isArray(meta.columns) ? meta.columns : null;
  return names && new Set(names).size === names.length ? [...names] : Array.from({ length: ae.inputDim }, (_, j) => `x${j}`);
}

/**
 * Decides which columns of a CSV to run a model on: the user's --exclude/--columns/--id, plus,
 * from the model's metadata, its excluded columns (dropped by name when present) and its id
 * column; then checks the result against the model's columns (names when both have them, else the
 * count) and refuses a mismatch naming the missing, extra or reordered columns.
 */
function layoutForModel(wanted: Wanted, meta: CsvMeta | null, modelPath: string, arg: string, first: string[], o: CsvOpts): Layout {
  const file = shown(arg);
  const userChose = (o.exclude?.length ?? 0) > 0 || o.columns !== undefined;
  // a model trained on a CSV without a header: its id and excluded columns (by position) are no evidence of one
  const headerless = meta !== null && !Array.isArray(meta.columns) && first.length === meta.fileColumns && !userChose;
  let header = detectHeader(first, o.header, headerless
    ? { id: o.id ?? (typeof meta.id === 'number' ? String(meta.id) : undefined), exclude: (meta.excluded as unknown[]).map(String) } : o);
  // the header a model recorded reads as data when its names are numbers: it is a header when it holds them all
  if (!header && o.header === undefined && meta && Array.isArray(meta.columns) && meta.columns.every((n) => first.some((f) => f.trim() === n))) header = true;
  const names = namesOf(first, header);
  let l: Layout;
  if (meta && Array.isArray(meta.columns) && header) {
    const id = o.id ?? (typeof meta.id === 'string' && names.includes(meta.id) ? meta.id : undefined);
    l = chooseColumns(file, names, header, { ...o, id });
    const auto = new Set((meta.excluded as unknown[]).filter((n): n is string => typeof n === 'string'));
    const keep = l.keep.filter((c) => !auto.has(names[c]!));
    l = { ...l, keep, drop: names.map((_, i) => i).filter((i) => !keep.includes(i) && i !== l.id) };
    const want = meta.columns, got = keep.map((c) => names[c]!);
    refuseTwice(file, names, keep);
    const missing = want.filter((n) => !got.includes(n)), extra = got.filter((n) => !want.includes(n));
    if (missing.length || extra.length) {
      const facts: string[] = [], fixes: string[] = [];
      if (missing.length) {
        facts.push(`it lacks ${nameList(missing)}`);
        // (a column the model was trained on given as --id: not excluded, but passed through)
        const idName = l.id === null ? undefined : names[l.id];
        const excludedByUser = missing.filter((n) => names.includes(n) && n !== idName);
        if (idName !== undefined && missing.includes(idName)) fixes.push(`${idName} is a column ${modelPath} was trained on, not an id: name another --id, or leave it out`);
        else fixes.push(excludedByUser.length
          ? (o.columns !== undefined ? `add ${nameList(excludedByUser)} to --columns` : `keep ${nameList(excludedByUser)} (don't --exclude ${excludedByUser.length > 1 ? 'them' : 'it'})`) : `pass a CSV with ${missing.length > 1 ? 'those columns' : 'that column'}`);
      }
      if (extra.length) {
        facts.push(`${missing.length ? 'and ' : ''}has ${nameList(extra)}, ${wanted.foreign}`);
        fixes.push(`drop ${extra.length > 1 ? 'them' : 'it'} with --exclude ${extra.join(',')}`);
      }
      throw new CliError(`${file} does not have ${wanted.columns(modelPath)} (${nameList(want)}): ${facts.join(' ')}: ${fixes.join('; ')}`);
    }
    if (got.some((n, i) => n !== want[i])) {
      throw new CliError(`${file} has ${wanted.columns(modelPath)} but in another order: ${modelPath} expects ${nameList(want)}; ${file} has ${nameList(got)}: reorder the columns of ${file}`);
    }
    return l;
  }
  if (headerless) {
    // a model trained on a CSV without a header: its excluded columns and id by position
    const id = o.id ?? (typeof meta.id === 'number' ? String(meta.id) : undefined);
    l = chooseColumns(file, names, header, { id, exclude: (meta.excluded as unknown[]).map(String) });
  } else {
    l = chooseColumns(file, names, header, o);
  }
  if (l.keep.length !== wanted.count) {
    const hint = l.keep.length > wanted.count ? 'drop the extra columns (a label or id, say) with --exclude' : wanted.fewer;
    throw new CliError(`${file} has ${columnsText(l)} but ${modelPath} expects ${wanted.count} (${wanted.countName}): ${hint}`);
  }
  return l;
}

/** A progress bar on stderr while a large CSV is read (a terminal only, not --quiet). */
function readProgress(file: string, quiet: boolean | undefined): { onBytes?: StreamOptions['onBytes']; stop(): void } {
  if (quiet || !process.stderr.isTTY) return { stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  const mb = (n: number) => (n / 1048576).toFixed(1);
  return {
    onBytes(read, size) {
      if (size < 4 << 20) return;
      if (bar === null) {
        bar = new cliProgress.SingleBar({
          stream: process.stderr, format: `reading ${shown(file)} |{bar}| {percentage}% | {done}/{all} MB | {eta_formatted} left`,
          barsize: 24, hideCursor: true, clearOnComplete: true,
        }, cliProgress.Presets.shades_classic);
        bar.start(size, 0, { done: mb(0), all: mb(size) });
      }
      bar.update(read, { done: mb(read), all: mb(size) });
    },
    stop() { bar?.stop(); },
  };
}

/** Output written as it goes: to a file (atomically, on end()) or to stdout. */
class Output {
  private readonly file: AtomicWriter | null;
  constructor(readonly path: string | undefined) {
    this.file = path === undefined || path === '-' ? null : new AtomicWriter(path);
  }
  get toFile(): boolean { return this.file !== null; }
  /** Synchronous: a file by writeSync; stdout (a file, or a pipe on Linux) writes synchronously too. */
  write(text: string): void {
    if (this.file) this.file.write(text);
    else process.stdout.write(text);
  }
  end(): void { this.file?.commit(); }
  abort(): void { this.file?.abort(); }
}

type Format = 'csv' | 'json' | 'jsonl';

/** Writes rows of (id,) values as CSV, a JSON array of objects, or JSON lines. */
class RowWriter {
  private n = 0;
  constructor(private readonly output: Output, private readonly format: Format, private readonly header: string[], private readonly delimiter: string) {}
  /** `rows`: cells as text (numbers already formatted), '' for none; ids (the first column) are strings. */
  rows(rows: string[][], hasId: boolean): void {
    if (rows.length === 0) return;
    let text: string;
    if (this.format === 'csv') {
      // past the header, rows without an id column hold number text alone
      text = (this.n > 0 && !hasId ? numberRowsCsv(rows, this.delimiter) : null) ?? toCsv(this.n === 0 ? this.header : null, rows, this.delimiter);
    } else {
      // (JSON has no Infinity or NaN: a score or value that overflowed float32 is null, as JSON.stringify writes it)
      const obj = (r: string[]) => `{${r.map((v, j) => `${JSON.stringify(this.header[j])}:${hasId && j === 0 ? JSON.stringify(v) : v === '' || v === 'NaN' || v.endsWith('Infinity') ? 'null' : v}`).join(',')}}`;
      text = this.format === 'jsonl'
        ? rows.map((r) => `${obj(r)}\n`).join('')
        : rows.map((r, i) => `${this.n === 0 && i === 0 ? '[\n' : ',\n'}${obj(r)}`).join('');
    }
    this.n += rows.length;
    this.output.write(text);
  }
  end(): void {
    if (this.format === 'json') this.output.write(this.n === 0 ? '[]\n' : '\n]\n');
    this.output.end();
  }
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
  const w = Math.max(11, ...rows.map(([k]) => k.length + 1));
  return rows.map(([k, v]) => `${k.padEnd(w)}${v}\n`).join('');
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
  output: string; quiet?: boolean; spec?: string; contamination?: number; calibrateBy?: ScoreBy; calibrateSamples?: number;
  variational?: boolean; beta?: number; sparsityL1?: number; contractive?: number; rate?: number; noiseGaussian?: number;
  ensemble?: boolean; shards?: number;
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
function readSpecWithFlags(path: string, given: ReadonlySet<SpecFlag>, o: TrainOpts): Record<string, unknown> {
  const s = readSpecFile(path);
  const graph = isGraph(s);
  for (const [key, flag] of SPEC_FLAGS) {
    if (!given.has(key)) continue;
    if (graph && DENSE_FLAGS.has(key)) {
      throw new CliError(`${flag} cannot be used with --spec ${path}: it is a layer graph (inputShape/encoder/decoder), where each layer has its own ${key === 'layers' ? 'size' : 'activation'}; drop ${flag}, or edit the layers in ${path}`);
    }
    // (the same value in both places contradicts nothing)
    if (s[key] !== undefined && JSON.stringify(s[key]) !== JSON.stringify(o[key])) throw new CliError(`${flag} conflicts with "${key}": ${JSON.stringify(s[key])} in ${path}: set it in one place`);
  }
  return s;
}

/**
 * The spec to train: the --spec file `s` (read by readSpecWithFlags) with inputDim taken from the
 * CSV and the flags filling the fields it leaves out; without --spec, the flags alone.
 */
function trainSpec(o: TrainOpts, given: ReadonlySet<SpecFlag>, s: Record<string, unknown> | undefined, t: Table, arg: string): AutoencoderSpec {
  const file = shown(arg);
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
  const what = columnsText(t.layout);
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

// ---- the autoencoder family's flags (issue 11): --variational, --beta, --sparsity-l1, --contractive, --rate, --noise-gaussian
interface FamilyOpts { variational?: boolean; beta?: number; sparsityL1?: number; contractive?: number; rate?: number; noiseGaussian?: number }

/** The spec with the family flags added; they may fill what a --spec file leaves out, not contradict it. */
function withFamilyFlags(spec: AutoencoderSpec, o: FamilyOpts, path: string | undefined): AutoencoderSpec {
  if (o.beta !== undefined && !o.variational && spec.variational === undefined) throw new UsageError('--beta needs --variational (it weights a VAE\'s KL term)');
  const out: AutoencoderSpec = { ...spec };
  const clash = (flag: string, key: string) => new CliError(`${flag} conflicts with "${key}" in ${path}: set it in one place`);
  if (o.variational || o.beta !== undefined) {
    // (--variational where the file has "variational", or --beta equal to its beta, contradicts nothing)
    if (spec.variational !== undefined && o.beta !== undefined && spec.variational.beta !== undefined && spec.variational.beta !== o.beta) throw clash('--beta', 'variational');
    out.variational = { ...(spec.variational ?? {}), ...(o.beta !== undefined ? { beta: o.beta } : {}) };
  }
  if (o.sparsityL1 !== undefined) {
    if (spec.sparsity !== undefined && JSON.stringify(spec.sparsity) !== JSON.stringify({ l1: o.sparsityL1 })) throw clash('--sparsity-l1', 'sparsity');
    out.sparsity = { l1: o.sparsityL1 };
  }
  if (o.contractive !== undefined) {
    if (spec.contractive !== undefined && spec.contractive !== o.contractive) throw clash('--contractive', 'contractive');
    out.contractive = o.contractive;
  }
  if (o.rate !== undefined) {
    if (spec.rate !== undefined && spec.rate !== o.rate) throw clash('--rate', 'rate');
    out.rate = o.rate;
  }
  return out;
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

/** Where a train flag's value came from: the command line, or its default. */
type FlagSource = (key: 'validationSplit' | 'patience' | 'epochs') => 'cli' | 'default';

async function train(file: string, o: TrainOpts, given: ReadonlySet<SpecFlag> = new Set(), source: FlagSource = () => 'default'): Promise<void> {
  const t0 = performance.now();
  checkOutput(o.output, '-o', [[file, 'the training CSV'], [o.spec, 'the --spec file']]);
  const specFile = o.spec === undefined ? undefined : readSpecWithFlags(o.spec, given, o);
  // an ensemble (--ensemble, or "ensemble" in the spec file): each member trains on its own random rows for
  // --epochs, so there is nothing to hold out and nothing to stop on
  const specEnsemble = specFile?.ensemble;
  // (the ensemble is of plain autoencoders: a family flag beside --ensemble contradicts it)
  const family = o.ensemble ? (['variational', 'beta', 'sparsityL1', 'contractive', 'rate'] as const).find((k) => o[k] !== undefined && o[k] !== false) : undefined;
  if (family) throw new UsageError(`--ensemble builds an ensemble of plain autoencoders, which takes no --${family.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: leave one of them out`);
  if (o.ensemble && specEnsemble === false) throw new CliError(`--ensemble conflicts with "ensemble": false in ${o.spec}: set it in one place`);
  if (o.ensemble || (specEnsemble !== undefined && specEnsemble !== false && specEnsemble !== null)) {
    const by = o.ensemble ? '--ensemble' : `"ensemble" in ${o.spec}`;
    for (const [key, flag] of [['validationSplit', '--validation-split'], ['patience', '--patience']] as const) {
      if (source(key) === 'cli' && o[key] !== 0) throw new (o.ensemble ? UsageError : CliError)(`${by} trains each member on its own random rows for --epochs, without ${flag}: leave ${flag} out (or pass it 0)`);
    }
    o.validationSplit = 0;
    o.patience = 0;
    if (source('epochs') === 'default') o.epochs = 50;
  }
  // the whole matrix, parsed into one Float32Array: sized by the line count (an upper bound of the
  // rows; the pages past the last row are never touched), so no growing copies
  const capacity = countLines(file);
  let data: Float32Array = new Float32Array(0), lines: Int32Array = new Int32Array(0), chunks = 0;
  const reading = readProgress(file, o.quiet);
  let res;
  try {
    res = await readCsvStream(file, { delimiter: o.delimiter, missing: o.missing, onBytes: reading.onBytes }, (first) => {
      const header = detectHeader(first, o.header, o);
      const l = chooseColumns(file, namesOf(first, header), header, o);
      // the model records its columns, excluded ones and id by name: a name two columns share, one of them used, could
      // not be told apart when it scores (score drops every column of an excluded name)
      const used = new Set([...l.keep, ...(l.id === null ? [] : [l.id])].map((c) => l.names[c]!));
      const dup = header ? l.names.find((n, i) => used.has(n) && l.names.indexOf(n) !== i) : undefined;
      if (dup !== undefined) {
        const at = columnsNamed(l.names, dup);
        throw new CliError(`${shown(file)} has the column ${dup} ${at.length} times (columns ${at.join(', ')}): a model records its columns by name, and could not tell them apart when it scores; rename all but one (or drop them all)`);
      }
      return l;
    }, capacity, (c) => {
      // one chunk of `capacity` rows holds them all (a second would reuse its arrays, losing the first's rows)
      if (++chunks > 1) throw new Error(`${shown(file)} holds more records than its ${capacity} lines`);
      data = c.data;
      lines = c.lines;
    });
  } finally {
    reading.stop();
  }
  const t: Table = { rows: res.rows, cols: res.layout.keep.length, layout: res.layout, lines };
  if (o.validationSplit > 0) {
    const nTrain = Math.floor(t.rows * (1 - o.validationSplit) + 1e-9);   // (as fit() splits)
    if (nTrain < 1 || t.rows - nTrain < 1) {
      throw new CliError(`--validation-split ${o.validationSplit} of ${t.rows} rows leaves no ${nTrain < 1 ? 'training' : 'validation'} rows: pass more rows, a ${nTrain < 1 ? 'smaller' : 'larger'} --validation-split, or --validation-split 0`);
    }
  }
  // one autoencoder, as the CLI's fit flags (validation split, early stopping) need, unless --ensemble
  // or a spec file asks for an ensemble
  const spec: AutoencoderSpec = { ensemble: o.ensemble ? {} : false, ...withFamilyFlags(trainSpec(o, given, specFile, t, file), o, o.spec) };
  const normalize = spec.normalize ?? 'none', loss = spec.loss ?? 'mse';
  const ae = await Autoencoder.create(spec, { threads: o.threads, ...(o.shards === undefined ? {} : { shards: o.shards }) }).catch((e: unknown) => {
    if (!(e instanceof AutoencoderError)) throw e;
    // a spec file's message keeps the file's own names (the flags didn't write them)
    throw new CliError(o.spec === undefined ? cliMessage(e.message, t, file) : `${o.spec}: ${e.message}`);
  });
  // the score the threshold is on (checked before training: a plain model has no KL or ELBO score)
  const by: ScoreOptions = o.calibrateBy === 'elbo' ? { by: 'elbo', samples: o.calibrateSamples ?? 1, seed: 0 } : { by: o.calibrateBy ?? 'reconstruction' };
  if (by.by !== 'reconstruction' && !ae.spec.variational) {
    ae.dispose();
    throw new (o.spec === undefined ? UsageError : CliError)(`--calibrate-by ${by.by} needs a variational autoencoder: add --variational (or "variational" in --spec)`);
  }
  // an ensemble's fit calls onEpoch for its epochs once per pass (two with the cleaning pass): one bar for both
  const ens = ae.spec.ensemble;
  const passes = ens && (ens.clean ?? 0) > 0 ? 2 : 1;
  const bar = progress(o.epochs * passes, !!o.quiet);
  let seen = 0;
  const fitOpts: FitOptions = {
    epochs: o.epochs, batchSize: o.batchSize, learningRate: o.lr, optimizer: o.optimizer,
    ...(ens ? {} : { validationSplit: o.validationSplit, earlyStopping: o.patience === 0 ? false : { patience: o.patience } }),
    onEpoch: (i) => bar.onEpoch({ ...i, epoch: ++seen }),
    ...(o.noiseGaussian ? { noise: { gaussian: o.noiseGaussian } } : {}),
  };
  let h, threshold: number | null = null;
  try {
    try {
      h = await ae.fit(data, fitOpts);
    } finally {
      bar.stop();
    }
    if (o.contamination !== undefined) threshold = ae.calibrate(data, { contamination: o.contamination, ...by });
    else if (o.calibrate !== false) threshold = ae.calibrate(data, { quantile: o.calibrate, ...by });
  } catch (e) {
    if (!(e instanceof AutoencoderError)) throw e;
    let m = cliMessage(e.message, t, file);
    if (loss === 'bce' && normalize === 'minmax' && o.validationSplit > 0 && /\[0, 1\]/.test(m)) {
      m += ' (the minmax normalizer is fitted on the training rows only, so validation rows can fall outside [0, 1]: try --validation-split 0)';
    }
    throw new CliError(m);
  }
  ae.metadata = { ...csvMeta(t.layout) };
  const bytes = ae.save();
  writeFileAtomic(o.output, bytes);

  const kept = h.bestEpoch;
  const l = t.layout;
  const notes = [
    ...(l.drop.length ? [`excluded ${nameList(l.drop.map((c) => l.names[c]!))}`] : []),
    ...(l.id !== null ? [`id column ${l.names[l.id]}`] : []),
    ...(res.dropped ? [`dropped ${res.dropped} rows with missing values, the first on line ${res.firstDroppedLine}`] : []),
  ];
  const onScore = by.by === 'reconstruction' ? '' : `: ${scoreName(by)}`;
  const thrText = threshold === null ? 'none (--no-calibrate)'
    : o.contamination !== undefined ? `${fmt(threshold)} (--contamination ${o.contamination}: the ${f32str(Math.fround(1 - o.contamination))} quantile of the ${t.rows} training rows' scores${onScore})`
    : `${fmt(threshold)} (the ${o.calibrate} quantile of the ${t.rows} training rows' scores${onScore})`;
  out(table([
    ['trained', `${architecture(ae)} (latent ${ae.latentDim}, ${ae.paramCount} params) on ${t.rows} rows x ${t.cols} columns of ${shown(file)}${notes.length ? ` (${notes.join('; ')})` : ''}`],
    ['epochs', `${h.epochs} of ${o.epochs}${ens ? ` per member${passes > 1 ? `, in each of ${passes} passes (the second without the ${(ens.clean ?? 0) * 100}% of rows the first scored worst)` : ''}` : ''}${h.stoppedEarly ? ', stopped early' : ''}${kept !== h.epochs ? `; kept the best weights, of epoch ${kept}` : ''}`],
    ['loss', `${fmt(h.loss[kept - 1]!)}${h.valLoss.length ? `, val loss ${fmt(h.valLoss[kept - 1]!)}` : ''} (epoch ${kept})`],
    ['threshold', thrText],
    ['time', `${((performance.now() - t0) / 1000).toFixed(2)} s`],
    ['saved', `${o.output} (${bytes.length} bytes)`],
  ]));
}

interface RunOpts extends CsvOpts { output?: string; format: Format }

interface RunResult { rows: number; dropped: number; firstDroppedLine: number }

/**
 * Streams the rows of `file` through `run` (one API call per chunk of CHUNK_ROWS rows) into the
 * output (-o file, atomically, or stdout), the id column first when there is one.
 */
async function runChunks(
  ae: Autoencoder, modelPath: string, file: string, o: RunOpts, header: string[],
  run: (data: Float32Array) => Float32Array, width: number, cells: (v: Float32Array) => string[],
  input: { wanted: Wanted; meta: CsvMeta | null } = { wanted: inputColumns(ae), meta: readCsvMeta(ae) },
): Promise<RunResult> {
  const { wanted, meta } = input;
  checkOutput(o.output, '-o', [[modelPath, 'the model file'], [file, 'the input CSV']]);
  let layout: Layout | null = null;
  let output: Output | null = null, writer: RowWriter | null = null;
  const reading = readProgress(file, o.quiet);
  try {
    const layoutOf = (first: string[]) => (layout = layoutForModel(wanted, meta, modelPath, file, first, o));
    const res = await readCsvStream(file, { delimiter: o.delimiter, missing: o.missing, onBytes: reading.onBytes }, layoutOf, CHUNK_ROWS, (c) => {
      const l = layout!;
      let v: Float32Array;
      try {
        v = run(c.data);
      } catch (e) {
        if (!(e instanceof AutoencoderError)) throw e;
        throw new CliError(cliMessage(e.message, { rows: c.rows, cols: wanted.count, layout: l, lines: c.lines }, file));
      }
      if (writer === null) {
        output = new Output(o.output);
        writer = new RowWriter(output, o.format, [...(l.id !== null ? [l.header ? l.names[l.id]! : 'id'] : []), ...header], o.delimiter);
      }
      for (let r0 = 0; r0 < c.rows; r0 += WRITE_ROWS) {
        const rows: string[][] = [];
        for (let r = r0; r < Math.min(c.rows, r0 + WRITE_ROWS); r++) {
          const row = cells(v.subarray(r * width, (r + 1) * width));
          rows.push(c.ids ? [c.ids[r]!, ...row] : row);
        }
        writer.rows(rows, c.ids !== null);
      }
    });
    (writer as RowWriter | null)!.end();
    return res;
  } catch (e) {
    (output as Output | null)?.abort();
    throw e;
  } finally {
    reading.stop();
  }
}

/** Every row of `file` the model takes, under the same column rules as score and encode (for compress). */
async function readRowsFor(ae: Autoencoder, modelPath: string, file: string, opts: Record<string, unknown>): Promise<{ data: Float32Array; rows: number; dropped: string }> {
  const o = opts as unknown as CsvOpts;
  const meta = readCsvMeta(ae);
  const parts: Float32Array[] = [];
  const reading = readProgress(file, o.quiet);
  try {
    const res = await readCsvStream(file, { delimiter: o.delimiter, missing: o.missing, onBytes: reading.onBytes },
      (first) => layoutForModel(inputColumns(ae), meta, modelPath, file, first, o), CHUNK_ROWS, (c) => { parts.push(c.data.slice(0, c.rows * ae.inputDim)); });
    const data = new Float32Array(res.rows * ae.inputDim);
    let at = 0;
    for (const p of parts) { data.set(p, at); at += p.length; }
    return { data, rows: res.rows, dropped: dropNote(res) };
  } finally {
    reading.stop();
  }
}

const toFile = (o: RunOpts) => o.output !== undefined && o.output !== '-';

/** Refuses a conditional VAE (a model the API made): each of its rows needs a condition row, which no flag gives. */
function unconditional(ae: Autoencoder, modelPath: string, command: string): void {
  const c = ae.spec.conditionDim;
  if (c) throw new CliError(`${modelPath} is a conditional VAE (conditionDim ${c}): ${command} would need ${c} condition values for every row, which the CLI does not take; use the API's ${command}(x, { condition })`);
}

function dropNote(r: RunResult): string {
  return r.dropped ? `; dropped ${r.dropped} rows with missing values (the first on line ${r.firstDroppedLine})` : '';
}

/** score's and explain's --by, --samples and --seed (a VAE's other scores). */
interface ByOpts { by?: ScoreBy; samples?: number; seed?: number }

/**
 * The score a command computes: --by (and for 'elbo' --samples, --seed), else the score the model's threshold is on
 * (`thresholdBy`: what calibrate() stored, 'reconstruction' unless a VAE was calibrated by 'kl' or 'elbo'), so that the
 * flags compare a score with a threshold of the same kind. `dflt` maps that stored score to the command's default.
 */
function scoreByFor(ae: Autoencoder, modelPath: string, o: ByOpts, dflt: (stored: ScoreOptions) => ScoreOptions = (t) => t): ScoreOptions {
  const stored = ae.thresholdBy;
  if (o.by === undefined) {
    const d = dflt(stored);
    if (o.samples !== undefined || o.seed !== undefined) {
      if (d.by !== 'elbo') throw new CliError(`--samples and --seed go with --by elbo (a VAE's ELBO score draws them): the default here for ${modelPath} is by ${d.by}`);
      return { ...d, ...(o.samples === undefined ? {} : { samples: o.samples }), ...(o.seed === undefined ? {} : { seed: o.seed }) };
    }
    return d;
  }
  if (o.by !== 'reconstruction' && !ae.spec.variational) throw new CliError(`--by ${o.by} needs a variational autoencoder (train with --variational); ${modelPath} is not one`);
  if (o.by !== 'elbo') {
    if (o.samples !== undefined || o.seed !== undefined) throw new UsageError(`--samples and --seed go with --by elbo (the ${o.by} score draws nothing)`);
    return { by: o.by };
  }
  const base = stored.by === 'elbo' ? stored : { samples: 1, seed: 0 };
  return { by: 'elbo', samples: o.samples ?? base.samples, seed: o.seed ?? base.seed };
}

/** How a summary names a score other than the reconstruction error. */
const scoreName = (b: ScoreOptions) => (b.by === 'kl' ? "the VAE's KL score (nats)" : b.by === 'elbo' ? `the VAE's negative ELBO (nats, ${b.samples} sample${b.samples === 1 ? '' : 's'}, seed ${b.seed})` : 'the reconstruction error');

async function score(modelPath: string, file: string, o: RunOpts & ByOpts & { threshold?: number }): Promise<void> {
  const { ae } = await loadModel(modelPath, o.threads);
  unconditional(ae, modelPath, 'score');
  const by = scoreByFor(ae, modelPath, o);
  // the stored threshold applies to the score it was calibrated on; --threshold to whatever this command writes
  // (an ELBO threshold: of the same samples and seed, whose draws it was taken over)
  const tb = ae.thresholdBy;
  const same = tb.by === by.by && (by.by !== 'elbo' || (tb.samples === by.samples && tb.seed === by.seed));
  const stored = ae.threshold !== null && same ? ae.threshold : null;
  const thr = o.threshold ?? stored;
  // detect() compares in float32 (score > threshold); do the same with the threshold rounded alike
  const t32 = thr === null ? null : Math.fround(thr);
  let flagged = 0;
  const r = await runChunks(ae, modelPath, file, o, ['score', 'flag'], (data) => ae.score(data, by), 1, ([v]) => {
    if (t32 === null) return [f32str(v!), ''];
    const f = v! > t32 ? 1 : 0;
    flagged += f;
    return [f32str(v!), String(f)];
  });
  if (o.quiet || !(toFile(o) || r.dropped)) return;
  const other = ae.threshold !== null && stored === null;
  const flags = thr !== null ? `${flagged} flagged above ${fmt(thr)}`
    : other ? `no flags: ${modelPath}'s threshold is on ${scoreName(ae.thresholdBy)}, not on this score (pass --threshold)`
    : 'no threshold, so no flags (pass --threshold, or train with --calibrate)';
  const what = by.by === 'reconstruction' ? '' : ` (${scoreName(by)})`;
  err(toFile(o) ? `wrote ${r.rows} scores${what} to ${o.output}; ${flags}${dropNote(r)}\n` : `scored ${r.rows} rows${what}${dropNote(r)}\n`);
}

/** What encode, reconstruct, explain and decode each write: a row of numbers for every row of the CSV. */
interface RowsCall {
  /** The output's columns (after the id, when the CSV has one). */
  names(ae: Autoencoder): string[];
  /** The API call on a chunk of rows. */
  call(ae: Autoencoder, data: Float32Array, by: ScoreOptions): Float32Array;
  /** The summary on stdout's path, 'encoded' ... rows, and to a file, 'wrote' ... to <file>. */
  done: string;
  wrote(rows: number, ae: Autoencoder): string;
  /** The CSV's columns, when not the model's input columns (decode's latent code). */
  input?(ae: Autoencoder): { wanted: Wanted; meta: CsvMeta | null };
}

const ROWS_CALLS: Record<'encode' | 'reconstruct' | 'explain' | 'decode', RowsCall> = {
  encode: { names: (ae) => latentNames(ae.latentDim), call: (ae, x) => ae.encode(x), done: 'encoded', wrote: (n, ae) => `${n} rows x ${ae.latentDim} latent columns` },
  reconstruct: { names: columnNames, call: (ae, x) => ae.reconstruct(x), done: 'reconstructed', wrote: (n, ae) => `${n} reconstructed rows x ${ae.inputDim} columns` },
  explain: { names: columnNames, call: (ae, x, by) => ae.explain(x, by), done: 'explained', wrote: (n, ae) => `${n} rows of ${ae.inputDim} score shares` },
  decode: { names: columnNames, call: (ae, z) => ae.decode(z), done: 'decoded', wrote: (n, ae) => `${n} decoded rows x ${ae.inputDim} columns`, input: (ae) => latentColumns(ae, readCsvMeta(ae)) },
};

async function runRows(command: keyof typeof ROWS_CALLS, modelPath: string, file: string, o: RunOpts & ByOpts): Promise<void> {
  const c = ROWS_CALLS[command];
  const { ae } = await loadModel(modelPath, o.threads);
  unconditional(ae, modelPath, command);
  // (explain: by the ELBO when the model's threshold is on it, else by the reconstruction; the KL belongs to no column)
  const by = command === 'explain' ? scoreByFor(ae, modelPath, o, (t) => (t.by === 'elbo' ? t : { by: 'reconstruction' })) : {};
  const names = c.names(ae);
  const r = await runChunks(ae, modelPath, file, o, names, (data) => c.call(ae, data, by), names.length, (y) => Array.from(y, f32str), c.input?.(ae));
  if (o.quiet || !(toFile(o) || r.dropped)) return;
  err(toFile(o) ? `wrote ${c.wrote(r.rows, ae)} to ${o.output}${dropNote(r)}\n` : `${c.done} ${r.rows} rows${dropNote(r)}\n`);
}

/** The spec's family keys `info` prints when a model has them. */
const FAMILY_KEYS = ['ensemble', 'variational', 'conditionDim', 'sparsity', 'contractive', 'rate'] as const;

async function info(modelPath: string, o: { json?: boolean }): Promise<void> {
  const { ae, bytes } = await loadModel(modelPath);
  const s = ae.spec;
  const normalizerFitted = modelHeader(bytes).normalizerFitted ?? false;
  const meta = readCsvMeta(ae);
  if (o.json) {
    out(`${JSON.stringify({
      file: modelPath, bytes: bytes.length, spec: s, latentDim: ae.latentDim, latentShape: ae.latentShape, paramCount: ae.paramCount,
      shards: ae.shards, threshold: ae.threshold, thresholdBy: ae.thresholdBy, normalizerFitted,
      columns: meta?.columns ?? null, excluded: meta?.excluded ?? null, id: meta?.id ?? null, metadata: ae.metadata,
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
    // the family's options (an ensemble, a VAE, a conditional one, sparsity, the contractive and rate terms) as the spec holds them
    ...FAMILY_KEYS.filter((key) => s[key] !== undefined && s[key] !== false).map((key) => [key, JSON.stringify(s[key])] as [string, string]),
    ['normalize', s.normalize === 'none' ? 'none' : `${s.normalize} (${normalizerFitted ? 'fitted' : 'not fitted yet'})`],
    ['seed', String(s.seed)],
    ['params', `${ae.paramCount}${s.ensemble ? ` (each member's)` : ''}`],
    ...(ae.shards === null ? [] : [['shards', `${ae.shards} (each training batch's data-parallel shards: --shards)`] as [string, string]]),
    ['threshold', ae.threshold === null ? 'none' : `${f32str(ae.threshold)}${ae.thresholdBy.by === 'reconstruction' ? '' : ` (on ${scoreName(ae.thresholdBy)})`}`],
    ['columns', meta === null ? `${s.inputDim} (names not recorded: a model file from before the CLI saved them)`
      : Array.isArray(meta.columns) ? `${meta.columns.join(', ')} (${meta.columns.length})` : `${meta.columns} (the training CSV had no header)`],
    ...(meta === null ? [] : [
      ['excluded', meta.excluded.length ? `${meta.excluded.map((c) => (typeof c === 'number' ? `column ${c}` : c)).join(', ')} (dropped by score, explain, encode, reconstruct and compress when present)` : 'none'],
      ...(meta.id === null ? [] : [['id', `${typeof meta.id === 'number' ? `column ${meta.id}` : meta.id} (passed through by score, explain, encode, reconstruct and decode when present)`]]),
    ] as [string, string][]),
  ];
  out(table(rows));
}

// ---------------------------------------------------------------------------------------------
// the command line

function buildProgram(): Command {
  const program = new Command('autoencoder')
    .description('Train autoencoders on CSV data (dense, or any layer graph such as a conv1d model with --spec) and use them to score (anomaly detection) and explain, encode, decode and reconstruct rows; everything runs in SIMD WebAssembly.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`autoencoder: ${str.replace(/^error: /, '').trimEnd().replace(/\s*\n\s*/g, ' ')}\n`) })
    .addHelpText('after', `
Examples:
  autoencoder train data.csv --layers 16,8 --epochs 50 -o model.ae
  autoencoder train data.csv --exclude label,id --patience 0
  autoencoder train windows.csv --spec conv.json -o conv.ae
  autoencoder train data.csv --ensemble --threads auto -o model.ae
  autoencoder score model.ae data.csv -o scores.csv
  autoencoder explain model.ae flagged.csv -o shares.csv
  autoencoder encode model.ae data.csv > latent.csv
  autoencoder decode model.ae latent.csv -o rows.csv
  autoencoder reconstruct denoiser.ae noisy.csv -o clean.csv
  autoencoder info model.ae --json
  autoencoder series metrics.csv --time timestamp --value value --state metrics.state -o scores.csv

CSV input: numbers, comma-separated; a header row is detected (or say --header / --no-header).
Run 'autoencoder <command> --help' for a command's options.`);

  const trainCmd = program.command('train')
    .description('train an autoencoder on the rows of a CSV file and save it (then calibrate its anomaly threshold on those rows)')
    .argument('<data.csv>', 'training data: one row per example, one numeric column per feature (- reads stdin)')
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
    .addOption(new Option('--contamination <fraction>', 'calibrate by the expected fraction of anomalies instead (as PyOD\'s contamination): the threshold is the 1 - fraction quantile of the rows\' scores').argParser(numArg('contamination', 0, 0.5, true)))
    .addOption(new Option('--calibrate-by <score>', 'the score the threshold is on: a VAE\'s kl (its KL, nats) or elbo (its negative ELBO, nats) in place of the reconstruction error; score then writes and flags that score').choices(['reconstruction', 'kl', 'elbo']))
    .addOption(new Option('--calibrate-samples <n>', 'with --calibrate-by elbo: draws of the latent code per row (default 1; seed 0)').argParser(intArg('--calibrate-samples', 1, 10000)))
    .addOption(new Option('--variational', 'a variational autoencoder (VAE): the latent layer outputs a mean and a log-variance; the loss adds beta * KL / inputDim'))
    .addOption(new Option('--beta <b>', 'with --variational: the KL weight (default 1; other values make a beta-VAE)').argParser(numArg('beta', 0, 1e6)))
    .addOption(new Option('--sparsity-l1 <lambda>', 'a sparse autoencoder: add lambda * sum |z| / rows to the loss').argParser(numArg('sparsity-l1', 0, 1e6)))
    .addOption(new Option('--contractive <lambda>', 'a contractive autoencoder: add lambda * ||dz/dx||^2 (the encoder\'s Jacobian, per row) to the loss').argParser(numArg('contractive', 0, 1e6)))
    .addOption(new Option('--rate <lambda>', 'a code trained for compress: noise of one unit on the code while training, and lambda * its bits / inputDim added to the loss; compress without --bits then rounds the code to integers (0.1-0.3 on MNIST)').argParser(numArg('rate', 0, 1e6)))
    .addOption(new Option('--ensemble', 'the subsample ensemble the API builds by default: 16 autoencoders of these layers, each fitted on its own 512 random rows, a cleaning pass that refits them without the 20% of rows they score worst, and a score summed over the members; the better scorer when the rows may hold anomalies (README "Anomaly detection quality"). No validation split or early stopping; --epochs counts per member and pass (default 50 here)'))
    .addOption(new Option('--noise-gaussian <std>', 'a denoising autoencoder: train on inputs plus Gaussian noise of this std (in the CSV\'s units), fresh each epoch').argParser(numArg('noise-gaussian', 0, 1e6)));
  csvOptions(trainCmd, false)
    .addOption(threadsOption())
    .addOption(new Option('--shards <n>', "a conv model's data-parallel shards of each training batch, 1-16 (default 4): up to this many threads work on a batch; the model's bytes depend on it, never on --threads (README \"Threads\")").argParser(intArg('shards', 1, 16)))
    .option('-q, --quiet', 'no progress output (by default a progress bar on a terminal, else one line per epoch, on stderr)')
    .action((file: string, o: TrainOpts, cmd: Command) => {
      if (o.contamination !== undefined && (o.calibrate === false || cmd.getOptionValueSource('calibrate') === 'cli')) {
        throw new UsageError(`--contamination cannot be used with ${o.calibrate === false ? '--no-calibrate' : '--calibrate'}: both set the threshold; pass one of them`);
      }
      if (o.calibrate === false && (o.calibrateBy !== undefined || o.calibrateSamples !== undefined)) {
        throw new UsageError(`--${o.calibrateBy !== undefined ? 'calibrate-by' : 'calibrate-samples'} cannot be used with --no-calibrate: it chooses the score of a threshold that is not set`);
      }
      if (o.calibrateSamples !== undefined && o.calibrateBy !== 'elbo') throw new UsageError('--calibrate-samples goes with --calibrate-by elbo (the other scores draw nothing)');
      const given = new Set(SPEC_FLAGS.map(([k]) => k).filter((k) => {
        const src = cmd.getOptionValueSource(k);
        return src !== undefined && src !== 'default';
      }));
      // bce needs inputs in [0, 1]: unless told otherwise, scale them there rather than standardize
      if (o.loss === 'bce' && !given.has('normalize')) o.normalize = 'minmax';
      const source: FlagSource = (key) => (cmd.getOptionValueSource(key) === 'cli' ? 'cli' : 'default');
      // (a pipe given by its path is copied first, as stdin is: train reads its CSV twice)
      return withInputArg(file, () => train(file, o, given, source), true);
    });

  /** score's and explain's --by (`scores`: its choices), --samples and --seed. */
  const byOptions = (cmd: Command, scores: ScoreBy[], help: string) => cmd
    .addOption(new Option('--by <score>', help).choices(scores))
    .addOption(new Option('--samples <n>', 'draws of the latent code per row for --by elbo (default the model\'s, else 1)').argParser(intArg('--samples', 1, 10000)))
    .addOption(new Option('--seed <s>', 'the draws\' seed for --by elbo (default the model\'s, else 0)').argParser(intArg('--seed', 0, 0xffffffff)));

  const formatOption = () => new Option('-f, --format <format>', 'output format: csv (with a header row), json (an array of objects) or jsonl (one object per line)').choices(['csv', 'json', 'jsonl']).default('csv');

  const scoreCmd = program.command('score')
    .description('write the anomaly score of every row (the reconstruction error, or the VAE score its threshold is on: --by), and a flag: 1 above the threshold, else 0 (empty, or null in JSON, without a threshold)')
    .argument('<model.ae>', 'a model saved by train')
    .argument('<data.csv>', 'rows to score, with the columns the model was trained on (checked by name when both have a header; - reads stdin)')
    .option('-o, --output <file>', 'file to write, with the columns [id,]score,flag (default: stdout)')
    .addOption(formatOption())
    .addOption(new Option('-t, --threshold <value>', 'flag rows scoring above this instead of the model\'s stored threshold').argParser(numArg('threshold', -Infinity, Infinity)));
  byOptions(scoreCmd, ['reconstruction', 'kl', 'elbo'], 'the score to write (a VAE\'s: kl, elbo); default the one the model\'s threshold is on (reconstruction unless a VAE was calibrated by kl or elbo: train --calibrate-by, or the API), whose flags the stored threshold gives');
  csvOptions(scoreCmd, true)
    .addOption(threadsOption())
    .option('-q, --quiet', 'no summary on stderr')
    .action((model: string, file: string, o: RunOpts & ByOpts & { threshold?: number }) => withInputArg(file, () => score(model, file, o)));

  /** encode, reconstruct, explain and decode: a model, a CSV (`input`: its argument and help), a row out for each row in. */
  const rowsCommand = (name: keyof typeof ROWS_CALLS, description: string, input: [string, string], columns: string) => {
    const cmd = program.command(name)
      .description(description)
      .argument('<model.ae>', 'a model saved by train')
      .argument(...input)
      .option('-o, --output <file>', `file to write, with the columns ${columns} (default: stdout)`)
      .addOption(formatOption());
    if (name === 'explain') byOptions(cmd, ['reconstruction', 'elbo'], 'the score to split (a VAE\'s: elbo, its features\' part of the negative ELBO); default elbo when the model\'s threshold is on it (train --calibrate-by elbo, or the API), else reconstruction');
    csvOptions(cmd, true)
      .addOption(threadsOption())
      .option('-q, --quiet', 'no summary on stderr')
      .action((model: string, file: string, o: RunOpts) => withInputArg(file, () => runRows(name, model, file, o)));
  };
  const rowsIn = (what: string): [string, string] => ['<data.csv>', `rows to ${what}, with the columns the model was trained on (checked by name when both have a header; - reads stdin)`];
  const modelColumns = '[id,] and the model\'s columns (the training CSV\'s names, or x0,...,x{d-1} without them)';
  rowsCommand('encode', 'write the latent code of every row (the bottleneck layer\'s output)', rowsIn('encode'), '[id,]z0,z1,...,z{k-1} for a latent of k');
  rowsCommand('reconstruct', 'write every row as the model rebuilds it (the decode of its encode; an ensemble\'s first member), in the CSV\'s units: a denoising model\'s cleaned rows, say',
    rowsIn('rebuild'), modelColumns);
  rowsCommand('explain', 'write each row\'s score split over the model\'s columns (each column\'s share, explain()): the columns a flagged row\'s score comes from stand out; a row\'s shares sum to its score, less an ensemble\'s latent density term',
    rowsIn('explain'), modelColumns);
  rowsCommand('decode', 'write the rows that latent codes decode to (the inverse of encode; an ensemble\'s first member), in the training CSV\'s units',
    ['<latent.csv>', 'latent codes as encode writes them: the columns z0,...,z{k-1} (checked by name with a header), and encode\'s id column passed through when present (- reads stdin)'], modelColumns);

  program.command('info')
    .description('describe a model file: spec, parameter count, threshold, whether its normalizer is fitted, the training CSV\'s columns (and those excluded), file size')
    .argument('<model.ae>', 'a model saved by train')
    .option('--json', 'machine-readable output')
    .action((model: string, o: { json?: boolean }) => info(model, o));

  program.command('series')
    .description('stream a time series through a SeriesDetector and write each point\'s anomaly score in [0, 1]')
    .argument('<data.csv>', 'CSV with a header, one point per row, in time order (- reads stdin, scoring each batch as it arrives)')
    .requiredOption('--value <column>', 'the column holding the metric')
    .option('--time <column>', 'the column holding the time (YYYY-MM-DD HH:MM:SS read as UTC, ISO 8601, or ms since the epoch)')
    .option('-o, --output <file>', 'CSV to write: time,value,score (default: stdout)')
    .option('--state <file>', 'the detector\'s state: continued from when the file exists (the CSV then holds the points that follow), written after every point is scored')
    .option('--options <json>', 'a new detector\'s options as a JSON object, e.g. \'{"warmup": 256}\' (see SeriesOptions)')
    .option('--threshold <t>', 'add a column alarm: 1 where the score is at least t (0 to 1; NAB\'s series were scored best near 0.4)')
    .option('-q, --quiet', 'no progress bar or summary on stderr')
    .action((file: string, o: SeriesCliOptions) => runSeries(file, o));

  // compress / decompress (tools/cli-codec.ts)
  addCodecCommands(program, { loadModel, readRowsFor, columnNames, f32str, csvOptions: (cmd) => csvOptions(cmd, true, true) });

  return program;
}

/** A message as one line: a line break it holds (a column name quoted across lines, say) written as \\n or \\r. */
const oneLine = (message: string) => message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');

/** Runs the CLI on `argv` (process.argv form) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Parsing a large CSV makes millions of short-lived strings; left alone, V8 grows its young
  // generation to tens of MB for them (the largest part of the peak RSS of `train` beyond the data
  // itself). Not growing it costs more frequent, but cheap, scavenges.
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and --version exit 0; commander already printed the message of a usage error (or, for no command, the
      // help on stderr: a bad command line too)
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError || e instanceof AutoencoderError) {
      err(`autoencoder: ${oneLine(e.message)}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    const code = (e as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && e instanceof Error) { // an OS error we didn't anticipate: still one line
      err(`autoencoder: ${oneLine(e.message)}\n`);
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
// AUTOENCODER_REPORT_PEAK=1 (for the memory test): print the process's peak RSS at exit, on stderr
if (process.env.AUTOENCODER_REPORT_PEAK === '1') {
  process.on('exit', () => {
    try {
      const m = /^VmHWM:\s*(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) err(`peak RSS: ${m[1]} kB\n`);
    } catch { /* not Linux */ }
  });
}
process.exitCode = await main(process.argv);
