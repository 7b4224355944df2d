// Converts component text (.wat) files to binaries with the wasm-tools `parse` that jco bundles,
// many files in one process (one node start-up instead of one per component).
//
//   node wat2component.mjs <path to jco's dist/api.js> <dir> <name>...
//
// For each name, reads <dir>/<name>.wat and writes <dir>/<name>.wasm, or <dir>/<name>.err with
// the parser's message when the text does not parse. Outputs are written to a temporary file and
// renamed, so concurrent runs over the same directory never see half-written files.
// Exit status: 0 when every file was handled (even if some did not parse), 2 on usage errors or
// when jco cannot be loaded.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [apiPath, dir, ...names] = process.argv.slice(2);
if (!apiPath || !dir) {
  console.error('usage: wat2component.mjs <jco dist/api.js> <dir> <name>...');
  process.exit(2);
}

let parse;
try {
  ({ parse } = await import(pathToFileURL(apiPath).href));
} catch (e) {
  console.error(`cannot load jco from ${apiPath}: ${e.message ?? e}`);
  process.exit(2);
}
if (typeof parse !== 'function') {
  console.error(`${apiPath} exports no parse function`);
  process.exit(2);
}

function writeAtomically(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

// wasm-tools reports text errors as a Rust debug dump; keep the position and the reason.
function readable(e) {
  const raw = typeof e === 'string' ? e : (e?.payload?.toString?.() ?? e?.message ?? String(e));
  const reason = /Custom\("((?:[^"\\]|\\.)*)"\)/.exec(raw)?.[1];
  const pos = /line: (\d+), col: (\d+)/.exec(raw);
  if (!reason) return raw;
  return pos ? `line ${Number(pos[1]) + 1}, column ${Number(pos[2]) + 1}: ${reason}` : reason;
}

for (const name of names) {
  const text = readFileSync(join(dir, `${name}.wat`), 'utf8');
  try {
    const bytes = await parse(text);
    writeAtomically(join(dir, `${name}.wasm`), bytes);
  } catch (e) {
    writeAtomically(join(dir, `${name}.err`), readable(e));
  }
}
