// Serves a web node's page: the actr-web modules, the .proto files, protobufjs and long from the
// repository's pinned node_modules, the components `actr build --web` wrote, and a config.json
// with the signaling URL (and, for a demo on a machine you own, an enrollment token).
//
//   node web/serve.mjs --components DIR --signal ws://HOST:PORT [--token-file F]
//                      [--listen HOST:PORT] [--page DIR] [--actor NAME=COMPONENT:MFR/TYPE@VERSION]...
//
// Default page: web/demo. Without --actor, each component of DIR runs as one actor of type
// web/NAME@0.1.0. Prints "serving http://HOST:PORT/" once it listens; Ctrl-C stops it.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.wasm': 'application/wasm', '.proto': 'text/plain; charset=utf-8', '.css': 'text/css',
};

// Mounts: URL prefix -> directory or file.
export function mounts({ components, page = path.join(here, 'demo') }) {
  return [
    ['/actr-web/', path.join(here, 'src')],
    ['/proto/', path.join(repo, 'proto')],
    ['/vendor/protobuf.min.js', path.join(repo, 'node_modules/protobufjs/dist/protobuf.min.js')],
    ['/vendor/long.js', path.join(repo, 'node_modules/long/index.js')],
    ['/components/', components],
    ['/', page],
  ];
}

export function startServer({ host = '127.0.0.1', port = 0, config = {}, ...where }) {
  const table = mounts(where);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/config.json') {
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
      return res.end(JSON.stringify(config));
    }
    for (const [prefix, target] of table) {
      if (!target || !(url.pathname === prefix || url.pathname.startsWith(prefix))) continue;
      let file = prefix.endsWith('/')
        ? path.join(target, decodeURIComponent(url.pathname.slice(prefix.length)))
        : target;
      if (!file.startsWith(target)) break; // ../ out of the mount
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      if (!fs.existsSync(file)) break;
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      return fs.createReadStream(file).pipe(res);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: ${url.pathname}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve({ url: `http://${a.address}:${a.port}/`, close: () => server.close() });
    });
  });
}

async function main(argv) {
  const opt = (k, d) => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? argv[i + 1] : d;
  };
  const components = opt('components');
  const signal = opt('signal');
  if (!components || !signal) {
    console.error('usage: node web/serve.mjs --components DIR --signal ws://HOST:PORT ' +
                  '[--token-file F] [--listen HOST:PORT] [--page DIR] ' +
                  '[--actor NAME=COMPONENT:MFR/TYPE@VERSION]...');
    return 2;
  }
  const config = { signaling: signal };
  const tokenFile = opt('token-file');
  if (tokenFile) config.token = fs.readFileSync(tokenFile, 'utf8').trim().split(/\s+/)[0];
  config.components = fs.readdirSync(components).filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3));
  const actors = argv.flatMap((a, i) => (a === '--actor' ? [argv[i + 1]] : []));
  if (actors.length) {
    config.actors = actors.map((spec) => {
      const m = /^([\w-]+)=([\w-]+):([\w.-]+)\/([\w.-]+)@([\w.+-]+)$/.exec(spec ?? '');
      if (!m) throw new Error(`--actor ${spec}: expected NAME=COMPONENT:MANUFACTURER/TYPE@VERSION`);
      if (!config.components.includes(m[2])) throw new Error(`--actor ${spec}: no ${m[2]}.js in ${components}`);
      return { name: m[1], component: m[2], type: { manufacturer: m[3], name: m[4], version: m[5] } };
    });
  }
  const [host, port] = (opt('listen', '127.0.0.1:8080')).split(':');
  const { url } = await startServer({ host, port: Number(port), config, components,
                                      page: opt('page') });
  console.log(`serving ${url}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    if (code) process.exit(code);
  }, (e) => {
    console.error(`serve: ${e.message}`);
    process.exit(1);
  });
}
