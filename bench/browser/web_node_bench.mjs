// Figures of a web node (issue 14) in headless Chromium beside a native node: cold start (page
// scripts loaded -> node registered -> first answered call), local round trip between two
// actors of the page, and round trips between the page and the native node over the data
// channel, both ways. bench/web_node.sh sets up the namespace, the signaling server and the
// native node, then runs this inside the namespace.
//
//   node web_node_bench.mjs --signal URL --token-file F --components DIR --actr ACTR
//                           --node-gateway URL [--reps N] [--chromium PATH]
// Prints one JSON line per figure: {"figure", "value", "unit"}.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { startServer } = await import(path.join(here, '../../web/serve.mjs'));
const { scriptArgs, launchChromium } = await import(path.join(here, '../../tests/support/browser_script.mjs'));
const { args } = scriptArgs('web_node_bench');
const reps = Number(args.reps || 5);
const emit = (figure, value, unit) => console.log(JSON.stringify({ figure, value: Number(value.toFixed(3)), unit }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const token = fs.readFileSync(args['token-file'], 'utf8').trim().split(/\s+/)[0];
const config = {
  signaling: args.signal, token, logLevel: 'warn', // echo logs every call at info
  actors: [
    { name: 'echo', component: 'echo', type: { manufacturer: 'acme', name: 'echo', version: '0.1.0' } },
    { name: 'probe', component: 'runtime_probe', type: { manufacturer: 'test', name: 'web-probe', version: '0.1.0' } },
  ],
};
const server = await startServer({ host: '127.0.0.1', port: 0, config, components: args.components });
const { browser, close: closeChromium } = await launchChromium(args.chromium);
const nativeCall = (actor, route, payload) => execFileSync(args.actr,
  ['call', '--node', args['node-gateway'], actor, route, payload], { encoding: 'utf8' }).trim();
const payload64 = 'x'.repeat(64);

try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  // Cold starts: a fresh page (a new node, new registrations) each time.
  const cold = { load: [], node: [], first: [] };
  for (let i = 0; i < reps; ++i) {
    await page.goto(server.url, { waitUntil: 'load' });
    const t = await page.evaluate(async () => {
      const { node, timing } = await window.actrDemo.ready;
      const t0 = performance.now();
      await node.callActor('echo', 'echo', 'first');
      return { ...timing, first: performance.now() - t0 };
    });
    cold.load.push(t.load);
    cold.node.push(t.start);
    cold.first.push(t.start + t.first);
  }
  emit('page: fetch and compile the components (ms, median)', median(cold.load), 'ms');
  emit('cold start: scripts loaded -> node registered, actors started (ms, median)', median(cold.node), 'ms');
  emit('cold start: scripts loaded -> first answered call (ms, median)', median(cold.first), 'ms');

  const loop = (n, type) => page.evaluate(async (n, type, data) => {
    const node = window.actrDemo.node ?? (await window.actrDemo.ready).node;
    const t0 = performance.now();
    const reply = new TextDecoder().decode(
      await node.callActor('probe', 'call-loop', `${n} ${type} echo ${data}`));
    return { us: (performance.now() - t0) * 1000 / n, ok: reply.length === data.length };
  }, n, type, payload64);
  await loop(200, 'echo'); // warm-up
  const local = [];
  for (let i = 0; i < reps; ++i) local.push((await loop(5000, 'echo')).us);
  emit('local round trip, page actor -> page actor, 64 B (us per call, median of batches)', median(local), 'us');

  await loop(50, 'native-echo'); // opens the path
  const out = [];
  for (let i = 0; i < reps; ++i) out.push((await loop(1000, 'native-echo')).us);
  emit('page -> native round trip over the data channel, 64 B (us per call)', median(out), 'us');

  nativeCall('beta', 'call-loop', `50 echo echo ${payload64}`);
  const back = [];
  for (let i = 0; i < reps; ++i) {
    const t0 = process.hrtime.bigint();
    nativeCall('beta', 'call-loop', `1000 echo echo ${payload64}`);
    back.push(Number(process.hrtime.bigint() - t0) / 1e3 / 1000);
  }
  emit('native -> page round trip over the data channel, 64 B (us per call, incl. one actr call)', median(back), 'us');

  // The same over the signaling relay: a tab without data channels (?transports=relay).
  await page.close();
  const relayPage = await browser.newPage();
  await relayPage.goto(`${server.url}?transports=relay`, { waitUntil: 'load' });
  await relayPage.evaluate(async () => { window.actrDemo.node = (await window.actrDemo.ready).node; });
  const relayLoop = (n) => relayPage.evaluate(async (n, data) => {
    const t0 = performance.now();
    await window.actrDemo.node.callActor('probe', 'call-loop', `${n} native-echo echo ${data}`);
    return (performance.now() - t0) * 1000 / n;
  }, n, payload64);
  await relayLoop(20);
  const viaRelay = [];
  for (let i = 0; i < reps; ++i) viaRelay.push(await relayLoop(300));
  emit('page -> native round trip over the signaling relay, 64 B (us per call)', median(viaRelay), 'us');
  // The closed tab's echo leaves discovery once the server sees its WebSocket close.
  for (let i = 0; i < 50; ++i) {
    try {
      nativeCall('beta', 'call-loop', `20 echo echo ${payload64}`);
      break;
    } catch {
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
  const backRelay = [];
  for (let i = 0; i < reps; ++i) {
    const t0 = process.hrtime.bigint();
    nativeCall('beta', 'call-loop', `300 echo echo ${payload64}`);
    backRelay.push(Number(process.hrtime.bigint() - t0) / 1e3 / 300);
  }
  emit('native -> page round trip over the signaling relay, 64 B (us per call, incl. one actr call)', median(backRelay), 'us');
} finally {
  await closeChromium();
  server.close();
}
process.exit(0);
