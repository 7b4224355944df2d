// The V8 anchor of issue 15: the core module of a seed-world component (examples/echo) run by
// Node's V8 behind a minimal JavaScript host that does what a host does per dispatch through the
// canonical ABI (docs: component-model CanonicalABI.md): copy the envelope's two strings and the
// payload into guest memory with cabi_realloc, call the core export, read the result<list<u8>,
// actr-error> out of the return area, copy the reply bytes out, call the post-return. Host imports
// do nothing (log-message) or trap, as in bench_workload_bench.
//
//   node bench/peers/v8/dispatch.mjs COMPONENT.wasm [--iterations N]
// Prints {"peer":"v8","scenario":"dispatch64","value":NS_PER_DISPATCH,"unit":"ns"}.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [component] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const at = process.argv.indexOf('--iterations');
const iterations = at > 0 ? Number(process.argv[at + 1]) : 2_000_000;
if (!component) {
  console.error('usage: node dispatch.mjs COMPONENT.wasm [--iterations N]');
  process.exit(2);
}

// The core module, as jco's transpile splits it out of the component (pinned jco, no download).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actr-v8-'));
const r = spawnSync(process.execPath, [path.join(here, '../../../web/tools/transpile.mjs'),
  component, dir, '--name', 'workload'], { encoding: 'utf8' });
if (r.status !== 0) {
  console.error(`dispatch: transpile failed: ${r.stderr}`);
  process.exit(1);
}
const bytes = fs.readFileSync(path.join(dir, 'workload.core.wasm'));
fs.rmSync(dir, { recursive: true, force: true });

const HOST = 'actr:workload/host@0.1.0';
const trap = (name) => () => { throw new Error(`${name} is not part of this benchmark`); };
const imports = { [HOST]: {} };
for (const { module, name } of WebAssembly.Module.imports(new WebAssembly.Module(bytes))) {
  if (module !== HOST) throw new Error(`unexpected import ${module}#${name}`);
  imports[HOST][name] = name === 'log-message' ? () => {} : trap(name);
}
const { instance } = await WebAssembly.instantiate(bytes, imports);
const x = instance.exports;
x._initialize?.();
const dispatch = x['actr:workload/workload@0.1.0#dispatch'];
const post = x['cabi_post_actr:workload/workload@0.1.0#dispatch'];
const realloc = x.cabi_realloc;
const utf8 = new TextEncoder();

const requestId = utf8.encode('bench-request-1');
const routeKey = utf8.encode('echo');
const payload = new Uint8Array(64).fill(120);
const lower = (src) => {
  const p = realloc(0, 0, 1, src.length);
  new Uint8Array(x.memory.buffer, p, src.length).set(src);
  return p;
};
let checksum = 0;
const once = () => {
  const a = lower(requestId);
  const b = lower(routeKey);
  const c = lower(payload);
  const ret = dispatch(a, requestId.length, b, routeKey.length, c, payload.length);
  const view = new DataView(x.memory.buffer);
  if (view.getUint8(ret) !== 0) throw new Error('dispatch answered an error');
  const ptr = view.getUint32(ret + 4, true);
  const len = view.getUint32(ret + 8, true);
  const reply = new Uint8Array(x.memory.buffer, ptr, len).slice();
  checksum += reply[len - 1];
  post(ret);
};
for (let i = 0; i < 100_000; ++i) once(); // warm-up (V8 tiers up)
const t0 = process.hrtime.bigint();
for (let i = 0; i < iterations; ++i) once();
const ns = Number(process.hrtime.bigint() - t0) / iterations;
if (checksum === 0) throw new Error('no reply bytes');
console.log(JSON.stringify({ peer: 'v8', scenario: 'dispatch64', value: Number(ns.toFixed(1)), unit: 'ns' }));
