// actr-web: a browser tab as a node of an actr network (docs/WEB.md).
export { WebNode, versionMatches } from './node.js';
export { Actor } from './actor.js';
export { ActrFailure, err, describeError } from './errors.js';
export { loadProtocol } from './protocol.js';

// The ES module jco wrote for a component (`actr build --web`), ready for WebNode's `actors`:
// `base` is the URL of the directory holding NAME.js and its core modules.
export async function loadComponent(base, name) {
  const root = new URL(base.endsWith('/') ? base : `${base}/`, globalThis.location?.href);
  const module = await import(new URL(`${name}.js`, root).href);
  const cache = new Map();
  const getCoreModule = (path) => {
    if (!cache.has(path)) {
      cache.set(path, WebAssembly.compileStreaming(fetch(new URL(path, root))));
    }
    return cache.get(path);
  };
  return { instantiate: module.instantiate, getCoreModule };
}

// The .proto files the node speaks, fetched from `base` (the server serves the repository's
// proto/ directory there).
export async function fetchProtoSources(base) {
  const root = base.endsWith('/') ? base : `${base}/`;
  const [signaling, transport] = await Promise.all(
    ['signaling.proto', 'transport.proto'].map((f) => fetch(root + f).then((r) => {
      if (!r.ok) throw new Error(`cannot fetch ${root}${f}: ${r.status}`);
      return r.text();
    })));
  return { signaling, transport };
}
