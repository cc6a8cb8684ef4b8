// run-cli.mjs: the conformance workload in a command-line runtime (node, deno, bun); prints JSON.
import * as lib from 'autoencoder';
import { runWorkload } from './workload.mjs';

const runtime = typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.versions.node}`;
console.log(JSON.stringify({ runtime, ...(await runWorkload(lib)) }));
