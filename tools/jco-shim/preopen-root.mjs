// Preloaded into jco (NODE_OPTIONS=--import) so that `jco embed` can read WIT files.
//
// jco 1.35 runs wasm-tools as a component on @bytecodealliance/preview2-shim 0.26, which no
// longer preopens "/" by default; every file access then fails with "os error 44" (ENOENT).
// We give the host root to each copy of the shim that jco's tools resolve. Paths handed to jco
// must therefore be absolute.
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// The jco entry script being run (node_modules/.bin/jco is a symlink to it).
const entry = process.argv[1] ? realpathSync(process.argv[1]) : undefined;

function resolveFrom(fromFile, specifier) {
  try {
    return createRequire(fromFile).resolve(specifier);
  } catch {
    return undefined;
  }
}

if (entry) {
  const shims = new Set();
  // jco's own shim, and the one beside the vendored wasm-tools component in jco-transpile.
  const own = resolveFrom(entry, '@bytecodealliance/preview2-shim/filesystem');
  if (own) shims.add(own);
  const transpile = resolveFrom(entry, '@bytecodealliance/jco-transpile/wasm-tools');
  if (transpile) {
    const nested = resolveFrom(transpile, '@bytecodealliance/preview2-shim/filesystem');
    if (nested) shims.add(nested);
  }
  for (const file of shims) {
    const fs = await import(pathToFileURL(file).href);
    const hasRoot = fs.preopens?.getDirectories?.().some(([, path]) => path === '/');
    if (typeof fs._addPreopen === 'function' && !hasRoot) fs._addPreopen('/', '/');
  }
}
