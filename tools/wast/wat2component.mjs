// Converts component text (.wat) files to binaries with the wasm-tools `parse` that jco bundles,
// and WIT documents (.wit) to components of their first world with a dummy core module
// (`component embed --dummy`, then `component new`), many files in one process (one node
// start-up instead of one per component).
//
//   node wat2component.mjs <path to jco's dist/api.js> <dir> <name>...
//
// For each name, reads <dir>/<name>.wit if it exists, else <dir>/<name>.wat, and writes
// <dir>/<name>.wasm, or <dir>/<name>.err with the tool's message when the text does not convert. Outputs are written to a temporary file and
// renamed, so concurrent runs over the same directory never see half-written files.
// Exit status: 0 when every file was handled (even if some did not parse), 2 on usage errors or
// when jco cannot be loaded.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [apiPath, dir, ...names] = process.argv.slice(2);
if (!apiPath || !dir) {
  console.error('usage: wat2component.mjs <jco dist/api.js> <dir> <name>...');
  process.exit(2);
}

let parse, componentEmbed, componentNew;
try {
  ({ parse, componentEmbed, componentNew } = await import(pathToFileURL(apiPath).href));
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

async function fromWit(witSource) {
  const world = /^\s*world\s+(%?[a-z][a-z0-9-]*)/m.exec(witSource)?.[1]?.replace('%', '');
  if (!world) throw new Error('the WIT document has no world');
  const embedded = await componentEmbed({ dummy: true, witSource, world });
  return componentNew(embedded, []);
}

for (const name of names) {
  const wit = join(dir, `${name}.wit`);
  try {
    const bytes = existsSync(wit)
      ? await fromWit(readFileSync(wit, 'utf8'))
      : await parse(readFileSync(join(dir, `${name}.wat`), 'utf8'));
    writeAtomically(join(dir, `${name}.wasm`), bytes);
  } catch (e) {
    writeAtomically(join(dir, `${name}.err`), readable(e));
  }
}
