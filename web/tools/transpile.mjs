// Turns a component of the seed world (actr:workload/actr-workload-guest) into ES modules a page
// can run (jco transpile, pinned in the repository's package.json), for JSPI: the host imports
// that wait for the network become promise-returning imports (WebAssembly.Suspending), and every
// export becomes promise-returning (WebAssembly.promising), since any of them may call one.
//
//   node web/tools/transpile.mjs COMPONENT.wasm OUT_DIR [--name NAME]
//
// Writes OUT_DIR/NAME.js (+ its core modules); prints that path. `actr build --web` runs this.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const jco = path.join(here, '..', '..', 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');

const HOST = 'actr:workload/host@0.1.0';
const WORKLOAD = 'actr:workload/workload@0.1.0';
export const ASYNC_IMPORTS = ['call', 'tell', 'call-raw', 'discover', 'send-data-stream']
  .map((f) => `${HOST}#${f}`);
export const ASYNC_EXPORTS = [
  'dispatch', 'on-start', 'on-ready', 'on-stop', 'on-error', 'on-signaling-connecting',
  'on-signaling-connected', 'on-signaling-disconnected', 'on-websocket-connecting',
  'on-websocket-connected', 'on-websocket-disconnected', 'on-webrtc-connecting',
  'on-webrtc-connected', 'on-webrtc-disconnected', 'on-credential-renewed',
  'on-credential-expiring', 'on-mailbox-backpressure', 'on-data-stream',
].map((f) => `${WORKLOAD}#${f}`);

function main(argv) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const nameAt = argv.indexOf('--name');
  if (args.length < 2) {
    console.error('usage: node web/tools/transpile.mjs COMPONENT.wasm OUT_DIR [--name NAME]');
    return 2;
  }
  const [input, outDir] = args;
  const name = nameAt >= 0 ? argv[nameAt + 1] : path.basename(input, '.wasm');
  if (!fs.existsSync(input)) {
    console.error(`transpile: no such file: ${input}`);
    return 1;
  }
  if (!fs.existsSync(jco)) {
    console.error(`transpile: jco is not installed (${jco}); run npm ci in the repository root`);
    return 1;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const r = spawnSync(process.execPath, [
    jco, 'transpile', path.resolve(input), '-o', path.resolve(outDir), '--name', name,
    '--instantiation', 'async', '--async-mode', 'jspi', '--no-typescript', '--quiet',
    '--async-imports', ...ASYNC_IMPORTS, '--async-exports', ...ASYNC_EXPORTS,
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`transpile: jco failed on ${input} (exit ${r.status ?? r.signal})`);
    return 1;
  }
  console.log(path.join(outDir, `${name}.js`));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
