// Builds a JavaScript workload into a component of a WIT world with the pinned
// @bytecodealliance/componentize-js:
//   node tools/componentize/build.mjs SOURCE.js WIT WORLD OUT.wasm [--disable f1,f2]
// Features (componentize-js 0.23): stdio, random, clocks, http, fetch-event; all on by default.
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile, rename } from 'node:fs/promises';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const disableAt = args.indexOf('--disable');
const disableFeatures = disableAt >= 0 ? args.splice(disableAt, 2)[1].split(',').filter(Boolean) : [];
if (args.length !== 4) {
  console.error('usage: build.mjs SOURCE.js WIT WORLD OUT.wasm [--disable f1,f2]');
  process.exit(2);
}
const [source, wit, world, out] = args.map((a, i) => (i === 2 ? a : resolve(a)));
try {
  const { component } = await componentize({
    sourcePath: source,
    witPath: wit,
    worldName: world,
    disableFeatures,
  });
  // Written whole, then renamed: a build that dies leaves no half-written component behind.
  await writeFile(`${out}.tmp`, component);
  await rename(`${out}.tmp`, out);
} catch (e) {
  console.error(`componentize-js: ${e?.message ?? e}`);
  process.exit(1);
}
