// cli-codec.ts: the CLI's `compress` and `decompress` commands (tools/cli.ts registers them).
//   autoencoder compress model.ae data.csv -o data.aez [--bits 4] [--rows-per-frame 1024] [--peak 255]
//   autoencoder decompress model.ae data.aez -o out.csv
// Rows go through the API's compressStream() / decompressStream() frame by frame, with a progress bar
// on a terminal; the output is written atomically (a temp file, then a rename). The summary line's
// RMSE and PSNR compare each frame's decompressed rows with its input (evaluation only).

import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { AutoencoderError, type Autoencoder } from 'autoencoder';
import { intArg, numArg } from './args.js';
import { AtomicWriter, CliError, checkOutput, readBytes, shown, toCsv, withInputArg } from './csv.js';

/** What cli.ts lends these commands. */
export interface CodecCliHelpers {
  loadModel(path: string): Promise<{ ae: Autoencoder }>;
  /** Every row of the CSV the model takes (the column rules of score, encode and reconstruct), row-major. */
  readRowsFor(ae: Autoencoder, modelPath: string, file: string, o: Record<string, unknown>): Promise<{ data: Float32Array; rows: number; dropped: string }>;
  /** The model's column names for rows of its inputs (the training CSV's, else x0..x{d-1}). */
  columnNames(ae: Autoencoder): string[];
  f32str(v: number): string;
  /** Adds the CSV input flags (--exclude, --columns, --id, --header, --delimiter, --missing). */
  csvOptions(cmd: Command): Command;
}


function bar(total: number, quiet: boolean, what: string, unit: string) {
  if (quiet || !process.stderr.isTTY) return { update: (_n: number) => {}, stop: () => {} };
  const b = new cliProgress.SingleBar({ format: `${what} [{bar}] {value}/{total} ${unit}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  b.start(total, 0);
  return { update: (n: number) => b.update(n), stop: () => b.stop() };
}

/**
 * Writes chunks to `path` atomically (csv.ts's AtomicWriter: a temp file renamed into place when all went well,
 * removed on a failure or an interrupt; the temp files of killed runs cleaned first), or to stdout without one.
 */
async function atomicWrite(path: string | undefined, produce: (write: (chunk: string | Uint8Array) => void) => Promise<void>): Promise<number> {
  let bytes = 0;
  const count = (c: string | Uint8Array) => { bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length; };
  if (path === undefined || path === '-') {
    await produce((c) => { count(c); process.stdout.write(c); });
    return bytes;
  }
  const file = new AtomicWriter(path);
  try {
    await produce((c) => { count(c); file.write(c); });
  } catch (e) {
    file.abort();
    throw e;
  }
  file.commit();
  return bytes;
}

async function pump<I, O>(ts: TransformStream<I, O>, inputs: I[], each: (o: O) => void, wrote: (i: I) => void = () => {}): Promise<void> {
  const writer = ts.writable.getWriter();
  const reader = ts.readable.getReader();
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      each(value);
    }
  })();
  try {
    for (const i of inputs) { await writer.write(i); wrote(i); }
    await writer.close();
  } catch {
    // the readable side carries the error
  }
  await reading;
}

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

export function addCodecCommands(program: Command, h: CodecCliHelpers): void {
  h.csvOptions(program.command('compress')
    .description('compress the rows of a CSV file with a model into a container file (.aez): latent codes quantised to --bits and entropy coded; decompress with the same model')
    .argument('<model.ae>', 'a model saved by train')
    .argument('<data.csv>', 'rows to compress, with the columns the model was trained on (- reads stdin)')
    .option('-o, --output <file>', 'container file to write (default: stdout)')
    .addOption(new Option('--bits <n>', 'quantisation bits per latent value, 2 to 16 (default 4; a model trained with --rate: its code rounded to integers)').argParser(intArg('bits', 2, 16)))
    .addOption(new Option('--rows-per-frame <n>', 'rows per frame (each frame a complete container)').argParser(intArg('rows per frame', 1, 1 << 24)).default(1024))
    .addOption(new Option('--peak <value>', 'the signal\'s peak value, to report PSNR (1 for data in [0, 1], 255 for bytes)').argParser(numArg('peak', 0, Infinity, true))))
    .option('-q, --quiet', 'no progress bar or summary')
    .action(async (modelPath: string, file: string, o: { output?: string; bits?: number; rowsPerFrame: number; peak?: number; quiet?: boolean }) => withInputArg(file, async () => {
      checkOutput(o.output, '-o', [[modelPath, 'the model file'], [file, 'the input CSV']]);
      const { ae } = await h.loadModel(modelPath);
      const t = await h.readRowsFor(ae, modelPath, file, o);
      const D = ae.inputDim, per = o.rowsPerFrame;
      const chunks: Float32Array[] = [];
      for (let r = 0; r < t.rows; r += per) chunks.push(Float32Array.from(t.data.subarray(r * D, Math.min(t.rows, r + per) * D)));
      const progress = bar(t.rows, !!o.quiet, 'compress', 'rows');
      let done = 0, sq = 0;
      const written = await atomicWrite(o.output, (write) => pump(ae.compressStream({ ...(o.bits === undefined ? {} : { bits: o.bits }), rowsPerFrame: per }), chunks, (frame) => {
        // evaluation only: the squared error of this frame's rows after a round trip
        const y = ae.decompress(frame);
        for (let i = 0; i < y.length; i++) { const e = y[i]! - t.data[done * D + i]!; sq += e * e; }
        done += y.length / D;
        progress.update(done);
        write(frame);
      }));
      progress.stop();
      if (!o.quiet) {
        const rawBytes = t.rows * D * 4;
        const rmse = Math.sqrt(sq / (t.rows * D));
        const psnr = o.peak !== undefined ? `, PSNR ${(20 * Math.log10(o.peak / rmse)).toFixed(2)} dB` : '';
        process.stderr.write(`compressed ${t.rows} rows: ${rawBytes} bytes in (float32), ${written} bytes out, ratio ${ratio(rawBytes, written)}, RMSE ${h.f32str(Math.fround(rmse))}${psnr}${o.output && o.output !== '-' ? ` -> ${o.output}` : ''}${t.dropped}\n`);
      }
    }));

  program.command('decompress')
    .description('decompress a container file written by compress (with the model that wrote it) into CSV rows')
    .argument('<model.ae>', 'the model that compressed the file')
    .argument('<data.aez>', 'a container file written by compress (- reads stdin)')
    .option('-o, --output <file>', 'CSV to write, with the model\'s columns as the header (the training CSV\'s names, or x0,...,x{d-1} without them) (default: stdout)')
    .option('-q, --quiet', 'no progress bar or summary')
    .action(async (modelPath: string, file: string, o: { output?: string; quiet?: boolean }) => withInputArg(file, async () => {
      checkOutput(o.output, '-o', [[modelPath, 'the model file'], [file, 'the container file']]);
      const { ae } = await h.loadModel(modelPath);
      const bytes = readBytes(file, 'the container file');
      const D = ae.inputDim;
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += 1 << 16) chunks.push(bytes.subarray(at, at + (1 << 16)));
      const progress = bar(bytes.length, !!o.quiet, 'decompress', 'bytes');
      let rows = 0, read = 0;
      const written = await atomicWrite(o.output, async (write) => {
        // the header with the first rows (or at the end, for none): a container refused at once writes nothing
        let header = toCsv(h.columnNames(ae), []);
        const head = () => { if (header !== '') { write(header); header = ''; } };
        await pump(ae.decompressStream(), chunks, (y) => {
          head();
          const n = y.length / D;
          const lines: string[] = [];
          for (let r = 0; r < n; r++) lines.push(Array.from(y.subarray(r * D, (r + 1) * D), h.f32str).join(','));
          write(`${lines.join('\n')}\n`);
          rows += n;
        }, (c) => { read += c.length; progress.update(read); });
        head();
      }).catch((e: unknown) => {
        if (e instanceof AutoencoderError) throw new CliError(`cannot decompress ${shown(file)}: ${e.message}`);
        throw e;
      });
      progress.stop();
      if (!o.quiet) process.stderr.write(`decompressed ${rows} rows: ${bytes.length} bytes in, ${written} bytes out (CSV), ratio ${ratio(written, bytes.length)}${o.output && o.output !== '-' ? ` -> ${o.output}` : ''}\n`);
    }));
}
