// The demo page: starts a web node with the components the server names in config.json, shows
// its actors, and calls them. window.actrDemo = {ready, node} for scripts (and the tests).
import Long from '/vendor/long.js';
import { WebNode, describeError, fetchProtoSources, loadComponent } from '/actr-web/index.js';

const $ = (id) => document.getElementById(id);
// Log lines reach the page once a frame, the last 300 kept: a busy actor that logs every call
// must not make the page lay itself out per call.
let pending = [];
const log = (line, cls) => {
  if (pending.push({ line, cls }) > 1) return;
  requestAnimationFrame(() => {
    const box = $('log');
    for (const { line: l, cls: c } of pending.splice(0).slice(-300)) {
      const div = document.createElement('div');
      div.textContent = l;
      if (c) div.className = c;
      box.append(div);
    }
    while (box.childElementCount > 300) box.firstElementChild.remove();
    box.scrollTop = box.scrollHeight;
  });
};

async function start() {
  const t0 = performance.now();
  const config = await (await fetch('/config.json')).json();
  const protoSources = await fetchProtoSources('/proto/');
  const specs = config.actors ?? config.components.map((name) => ({
    name, component: name, type: { manufacturer: 'web', name, version: '0.1.0' } }));
  const components = new Map();
  for (const s of specs) {
    if (!components.has(s.component)) {
      components.set(s.component, await loadComponent('/components/', s.component));
    }
  }
  const loaded = performance.now();
  const node = await WebNode.start({
    signaling: config.signaling, token: config.token, realm: config.realm ?? 1, protoSources,
    protobuf: globalThis.protobuf, Long,
    callTimeoutMs: config.callTimeoutMs, idleTimeoutMs: config.idleTimeoutMs,
    logLevel: config.logLevel,
    // ?transports=relay (or webrtc) overrides the server's choice, for trying the fallback.
    transports: new URLSearchParams(location.search).get('transports')?.split(',') ??
                config.transports,
    actors: specs.map((s) => ({ name: s.name, type: s.type, component: components.get(s.component),
                                mailbox: s.mailbox, acl: s.acl })),
    onLog: (e) => log(`${e.level} [${e.actor}${e.requestId ? ' ' + e.requestId : ''}] ${e.message}`,
                      e.level === 'error' ? 'err' : undefined),
  });
  const started = performance.now();
  for (const a of node.actors.values()) {
    const t = a.id.type;
    $('actors').insertAdjacentHTML('beforeend', `<tr><td>${a.name}</td><td>${a.id.realm.realmId}:${
      a.id.serialNumber}</td><td>${t.manufacturer}/${t.name}@${t.version}</td><td>${a.state}</td></tr>`);
  }
  $('status').textContent = `node ${node.address} registered at ${config.signaling}: ` +
    `components loaded in ${(loaded - t0).toFixed(1)} ms, node up in ${(started - loaded).toFixed(1)} ms`;
  return { node, timing: { load: loaded - t0, start: started - loaded, ...node.timing } };
}

$('call').onsubmit = async (e) => {
  e.preventDefault();
  const node = (await window.actrDemo.ready).node;
  try {
    const reply = await node.callActor($('actor').value, $('route').value, $('payload').value);
    $('reply').textContent = `reply: ${new TextDecoder().decode(reply)}`;
    $('reply').className = '';
  } catch (err) {
    $('reply').textContent = `error: ${describeError(err.payload ?? err)}`;
    $('reply').className = 'err';
  }
};

window.actrDemo = { ready: start() };
window.actrDemo.ready.then(({ node }) => { window.actrDemo.node = node; },
                           (e) => { $('status').textContent = `failed: ${e.message}`; log(e.stack, 'err'); });
