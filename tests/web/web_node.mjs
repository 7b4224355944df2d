// Drives a web node in headless Chromium (puppeteer-core with the installed browser; nothing is
// downloaded) against a signaling server and a native node the C++ test started, and checks what
// issue 14 asks of it. Prints one JSON line per check: {"check", "ok", "detail"}; exits 0 when
// the page ran (the C++ test asserts the checks), 1 when it could not.
//
//   node web_node.mjs --signal ws://HOST:PORT --token-file F --components DIR --actr ACTR
//                     --node-gateway http://HOST:PORT [--chromium PATH]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { startServer } = await import(path.join(here, '../../web/serve.mjs'));
const { scriptArgs, launchChromium } = await import(path.join(here, '../support/browser_script.mjs'));

const { args } = scriptArgs('web_node', { timeoutMs: 120_000 });

const check = (name, ok, detail = '') => console.log(JSON.stringify({ check: name, ok: !!ok, detail: String(detail) }));

// `actr call` to the native node's gateway.
const nativeCall = (actor, route, payload) => {
  try {
    return execFileSync(args.actr, ['call', '--node', args['node-gateway'], actor, route, payload],
                        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return `error: ${(e.stderr || e.message).trim()}`;
  }
};

const token = fs.readFileSync(args['token-file'], 'utf8').trim().split(/\s+/)[0];
const config = {
  signaling: args.signal,
  token,
  idleTimeoutMs: 4000,
  actors: [
    // Only greeters and the page's probe may discover and call the page's echo (its ACL goes to
    // the signaling server, and the page applies it to its own callers).
    { name: 'echo', component: 'echo', type: { manufacturer: 'acme', name: 'echo', version: '0.1.0' },
      acl: [{ effect: 'ALLOW', manufacturer: 'acme', name: 'greeter' },
            { effect: 'ALLOW', manufacturer: 'test', name: 'web-probe' }] },
    { name: 'probe', component: 'runtime_probe',
      type: { manufacturer: 'test', name: 'web-probe', version: '0.1.0' },
      mailbox: { backpressureThreshold: 5, hardLimit: 12 } },
  ],
};
// Served on 127.0.0.1: a secure context (WebCrypto verifies the nodes' credentials there); the
// page's WebRTC still gathers on the namespace's own interface only.
const server = await startServer({ host: '127.0.0.1', port: 0, config, components: args.components });
const { browser, close: closeChromium } = await launchChromium(args.chromium);
const pageLog = [];
try {
  const page = await browser.newPage();
  page.on('console', (m) => pageLog.push(m.text()));
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
  await page.goto(server.url);
  const started = await page.evaluate(async () => {
    try {
      const { node, timing } = await window.actrDemo.ready;
      return { ok: true, address: node.address, timing,
               ids: Object.fromEntries([...node.actors.values()].map((a) => [a.name,
                 `${a.id.realm.realmId}:${a.id.serialNumber}`])) };
    } catch (e) {
      return { ok: false, error: `${e.message}\n${e.stack}` };
    }
  });
  check('page node started', started.ok, JSON.stringify(started));
  if (!started.ok) throw new Error(pageLog.join('\n'));

  // Calls from the page's side: one of its actors, by route, as `actr call` would.
  const call = (actor, route, payload) => page.evaluate(async (a, r, p) => {
    try {
      const reply = await window.actrDemo.node.callActor(a, r, p);
      return new TextDecoder().decode(reply);
    } catch (e) {
      return `error: ${e.message}`;
    }
  }, actor, route, payload);

  check('a page actor calls another page actor',
        (await call('probe', 'call', 'echo echo hi-local')) === 'hi-local');
  let r = await call('probe', 'call', 'native-echo echo hi-native');
  check('a page actor discovers a native echo and calls it over WebRTC', r === 'hi-native', r);
  r = nativeCall('greeter', 'greet', 'Ada');
  check("a native greeter discovers the page's echo and calls it", r === 'Hello, Ada', r);
  r = nativeCall('beta', 'call', 'echo echo x');
  check("the page echo's ACL hides it from a native actor it does not admit",
        r.includes('not-found'), r);
  r = await call('probe', 'hooks', '');
  check('the page actor heard signaling connect', r.includes('on_signaling_connected'), r);
  check('the page actor heard the WebRTC path open, direct',
        /on_webrtc_connected \d+:\d+ relayed=no/.test(r), r);
  r = nativeCall('beta', 'hooks', '');
  check('the native actor heard the WebRTC path open with the page actor',
        r.includes(`on_webrtc_connected ${started.ids.probe} relayed=no`) ||
        r.includes(`on_webrtc_connected ${started.ids.echo} relayed=no`), r);

  r = await call('probe', 'ids', '');
  check('context getters in dispatch', r.includes(`self=${started.ids.probe}`), r);
  // The mailbox as natively: backpressure once at the threshold, unavailable past the hard limit.
  const mailbox = await page.evaluate(async () => {
    const node = window.actrDemo.node;
    const probe = node.actor('probe');
    const busy = node.callActor('probe', 'busy', '200'); // holds the actor while tells queue
    const tells = [];
    for (let i = 0; i < 14; ++i) {
      tells.push(probe.deliver({ kind: 'tell', routeKey: 'count', payload: new Uint8Array(),
                                 requestId: `bp-${i}`, lane: 'reliable' })
        .then(() => 'ok', (e) => e.message));
    }
    await busy;
    const outcomes = await Promise.all(tells);
    const hooks = new TextDecoder().decode(await node.callActor('probe', 'hooks', ''));
    return { hooks, refused: outcomes.filter((o) => o.startsWith('unavailable')).length };
  });
  check('on-mailbox-backpressure fires once at the threshold, with queue-len and threshold',
        mailbox.hooks.split('on_mailbox_backpressure 5/5').length === 2, mailbox.hooks);
  check('past the hard limit, senders get unavailable', mailbox.refused === 2, JSON.stringify(mailbox));

  r = await call('probe', 'trap', '');
  check('a trap answers the caller internal', r.startsWith('error: internal') && r.includes('trapped'), r);
  r = await call('probe', 'echo', 'after the trap');
  check('the trapped actor restarted and answers', r === 'after the trap', r);
  r = await call('probe', 'hooks', '');
  check('on-error fired after the restart', r.includes('on_error'), r);
  r = await call('probe', 'call', 'nobody-here echo x');
  check('discovering an unknown type is not-found', r.startsWith('error: not-found'), r);

  // Bad input from the page gets the refusals a native peer gets, and costs only its own path.
  r = await call('probe', 'call', 'native-echo nope x');
  check('an unknown route of a native actor is unknown-route', r.startsWith('error: unknown-route'), r);
  const bad = await page.evaluate(async () => {
    const node = window.actrDemo.node;
    const { PeerLink, addressKey } = await import('/actr-web/peer.js');
    const out = {};
    const native = [...node.links.values()][0];
    const target = native.remote;
    const me = node.actor('probe').id; // admitted by the node's actors both ways (no ACL)
    const within = (promise, what) => Promise.race([promise, new Promise((_, no) =>
      setTimeout(() => no(new Error(`${what}: nothing within 10 s`)), 10000))]);
    // A path of its own: the open one goes, a new offer takes its place.
    const fresh = (credentials) => {
      node.links.get(native.key)?.close('the test replaces it');
      const link = new PeerLink(node, { address: native.address, session: 1000n + BigInt(Date.now()),
                                        offerer: true, remote: target, local: me });
      if (credentials) link.node = Object.create(node, { credentials: { value: () => credentials } });
      node.links.set(link.key, link);
      link.offer();
      return link;
    };
    // 1. A forged credential (one bit of the signature flipped): the node refuses the path.
    const forged = node.credentials().map((c) => { const f = c.slice(); f[f.length - 1] ^= 1; return f; });
    let link = fresh(forged);
    const closed = new Promise((done) => { const was = link.close.bind(link); link.close = (why, code) => { done(why); was(why, code); }; });
    out.forged = await Promise.race([closed, new Promise((d) => setTimeout(() => d('still open after 10 s'), 10000))]);
    // 2. A frame over the node's limit (4 MiB), in pieces: the node closes the path.
    link = fresh(null);
    await within(link.ready, 'a fresh path');
    const c = link.channels[0];
    const piece = new Uint8Array(64 * 1024); piece[0] = 1;
    const gone = new Promise((done) => { const was = link.close.bind(link); link.close = (why, code) => { done(why); was(why, code); }; });
    for (let i = 0; i < 80 && link.state === 'open'; ++i) {
      c.send(piece);
      while (c.bufferedAmount > 1 << 20) await new Promise((d) => setTimeout(d, 5));
    }
    out.oversized = await Promise.race([gone, new Promise((d) => setTimeout(() => d('still open after 10 s'), 10000))]);
    // 3. A request for an actor the node does not have: not-found.
    link = fresh(null);
    try {
      await within(link.ready, 'a fresh path');
      const { transportId, toBytes } = await import('/actr-web/protocol.js');
      const nobody = { ...target, serialNumber: 999999n };
      await link.request({ kind: 'KIND_CALL', target: transportId(nobody), caller: transportId(me),
                           routeKey: toBytes('echo'), payload: toBytes('x'),
                           payloadType: 'PAYLOAD_RPC_RELIABLE', requestId: toBytes('bad-target') }, 5000);
      out.unknownTarget = 'answered';
    } catch (e) {
      out.unknownTarget = e.message;
    }
    return out;
  });
  check('a forged credential from the page: the node refuses the path',
        /permission|refused|closed|credential/i.test(bad.forged) && !bad.forged.includes('still open'), bad.forged);
  check('an oversized frame from the page: the node closes the path',
        !bad.oversized.includes('still open'), bad.oversized);
  check('a request for an actor the node does not have is not-found',
        bad.unknownTarget.startsWith('not-found'), bad.unknownTarget);
  r = await call('probe', 'call', 'native-echo echo still-fine');
  check('after bad input the page and the node still talk', r === 'still-fine', r);
  r = nativeCall('native-echo', 'echo', 'node-fine');
  check('after bad input the native node serves its other callers', r === 'node-fine', r);

  r = await call('probe', 'hooks', '');
  check('the page actor heard the WebRTC paths the bad input cost go, with the peer',
        /on_webrtc_disconnected \d+:\d+ relayed=no/.test(r), r);

  // A closed tab: the native node sees the path go within its idle window.
  // (The paths the bad input cost were heard going already: count from here.)
  const disconnects = (text) => text.split('on_webrtc_disconnected').length - 1;
  const before = disconnects(nativeCall('beta', 'hooks', ''));
  const t0 = Date.now();
  await page.close();
  let gone = '';
  while (Date.now() - t0 < 20_000) {
    gone = nativeCall('beta', 'hooks', '');
    if (disconnects(gone) > before) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  check('a closed tab is seen by the native node', disconnects(gone) > before,
        `${Date.now() - t0} ms: ${gone}`);
  // A tab without data channels: the native node's offer is declined, and its greeter's call
  // takes the signaling relay; the tab's calls take it too; the hooks are the websocket ones.
  const relayPage = await browser.newPage();
  relayPage.on('console', (m) => pageLog.push(`relay page: ${m.text()}`));
  await relayPage.goto(`${server.url}?transports=relay`);
  const relayIds = await relayPage.evaluate(async () => {
    const { node } = await window.actrDemo.ready;
    return Object.fromEntries([...node.actors.values()].map((a) => [a.name,
      `${a.id.realm.realmId}:${a.id.serialNumber}`]));
  });
  r = nativeCall('greeter', 'greet', 'relay');
  check("a native greeter calls a tab's echo through the signaling relay", r === 'Hello, relay', r);
  const relayCall = (route, payload) => relayPage.evaluate(async (rt, p) => {
    try {
      return new TextDecoder().decode(await window.actrDemo.node.callActor('probe', rt, p));
    } catch (e) {
      return `error: ${e.message}`;
    }
  }, route, payload);
  r = await relayCall('call', `native-echo echo ${'r'.repeat(100 * 1024)}`);
  check('a tab calls a native echo through the relay (a 100 KiB payload, in pieces)',
        r === 'r'.repeat(100 * 1024), r.slice(0, 200));
  r = await relayCall('hooks', '');
  check('the tab heard the relay path as its websocket path',
        /on_websocket_connected \d+:\d+ relayed=none/.test(r) && !r.includes('on_webrtc_connected'), r);
  r = nativeCall('beta', 'hooks', '');
  check('the native actor heard the relay path as a websocket path',
        r.includes(`on_websocket_connected ${relayIds.echo} relayed=none`) ||
        r.includes(`on_websocket_connected ${relayIds.probe} relayed=none`), r);
  // Credentials live 6 s here (actr signal --credential-ttl 6): the tab renews them at two
  // thirds of that, its actors hear it, and the open path takes the new ones.
  let renewed = '';
  for (const t0 = Date.now(); Date.now() - t0 < 12_000;) {
    renewed = await relayCall('hooks', '');
    if (renewed.includes('on_credential_renewed')) break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  check('the tab renewed its credentials and its actors heard it',
        renewed.includes('on_credential_renewed'), renewed);
  r = nativeCall('greeter', 'greet', 'renewed');
  check('the relay path goes on with the renewed credentials', r === 'Hello, renewed', r);

  // Data streams both ways: a native actor's chunks reach the tab's on-data-stream in order with
  // the sender and the data-stream context; the tab's chunks reach a native actor.
  r = await relayCall('stream-register', 's-in');
  const sent = [0, 1, 2].map((i) => nativeCall('beta', 'stream-send', `web-probe s-in ${i} reliable c${i}`));
  r = await relayCall('streams', '');
  check("a native actor's stream chunks reach the tab in order, with sender and context",
        sent.every((s) => s === 'ok') && /s-in:0:c0 from=\d+:\d+ req=data-stream:s-in:0\n.*s-in:1:c1.*\n.*s-in:2:c2/s.test(r),
        `${sent} ${r}`);
  const register = nativeCall('beta', 'stream-register', 's-out');
  const out = await relayCall('stream-send', 'beta s-out 0 reliable x0');
  r = nativeCall('beta', 'streams', '');
  check("the tab's stream chunks reach a native actor", register === 'ok' && out === 'ok' &&
        r.includes('s-out:0:x0 from='), `${register} ${out} ${r}`);
  r = await relayCall('stream-send', 'beta nowhere 0 reliable x');
  check('a chunk for a stream nobody registered is not-found', r.startsWith('error: not-found'), r);

  // A tell from a native actor: accepted at once, run once.
  const counted = Number(await relayCall('get', ''));
  r = nativeCall('beta', 'tell', 'web-probe count');
  let after = counted;
  for (const t0 = Date.now(); Date.now() - t0 < 5000 && after === counted;) {
    after = Number(await relayCall('get', ''));
  }
  check("a native actor's tell reaches the tab's actor once", r === 'told' && after === counted + 1,
        `${r} ${counted} -> ${after}`);

  // The signaling server dies: the tab's actors hear it, and the tab tries to connect again.
  if (args['signal-pid']) {
    process.kill(Number(args['signal-pid']), 'SIGKILL');
    let heard = '';
    for (const t0 = Date.now(); Date.now() - t0 < 5000;) {
      heard = await relayCall('hooks', '');
      if (/on_signaling_disconnected[^]*on_signaling_connecting/.test(heard.split('on_signaling_connected').pop())) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    check('a lost signaling server: on-signaling-disconnected, then a reconnect attempt',
          /on_signaling_disconnected[^]*on_signaling_connecting/.test(heard.split('on_signaling_connected').pop()),
          heard);
    // Its next renewal (due every 4 s with 6 s credentials) cannot happen: the actors hear that
    // their credential is expiring, with its expiry.
    for (const t0 = Date.now(); Date.now() - t0 < 8000;) {
      heard = await relayCall('hooks', '');
      if (heard.includes('on_credential_expiring')) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    const expiry = /on_credential_expiring (\d+)/.exec(heard);
    check('a renewal that fails: on-credential-expiring with the expiry',
          expiry && Math.abs(Number(expiry[1]) - Date.now() / 1000) < 10, heard);
  }

  // The server comes back (same data directory): the tab registers its actors again under the
  // ids they hold, and a native actor reaches them again.
  if (args['signal-pid'] && args['signal-restart']) {
    const [exe, ...rest] = JSON.parse(args['signal-restart']);
    const again = spawn(exe, rest, { stdio: 'ignore', detached: false });
    process.on('exit', () => again.kill('SIGKILL'));
    let heard = '';
    for (const t0 = Date.now(); Date.now() - t0 < 15_000;) {
      heard = await relayCall('hooks', '');
      if (/on_signaling_disconnected[^]*on_signaling_connected/.test(heard)) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    check('the relay path went with the server: on-websocket-disconnected with the peer',
          /on_websocket_disconnected \d+:\d+ relayed=none/.test(heard), heard);
    const ids = await relayCall('ids', '');
    r = nativeCall('beta', 'call', 'web-probe echo back again');
    check('a restarted server: the tab registers again under the same ids and is reached',
          /on_signaling_disconnected[^]*on_signaling_connected/.test(heard) &&
          ids.includes(`self=${relayIds.probe}`) && r === 'back again', `${r} | ${ids} | ${heard}`);
  }

  // The tab's node stops: each actor's on-stop runs in the lifecycle context, then nothing is
  // delivered to it any more.
  const stopped = await relayPage.evaluate(async () => {
    const node = window.actrDemo.node;
    const probe = node.actor('probe');
    const onStop = probe.exports.onStop;
    let seen = 'on-stop did not run';
    probe.exports.onStop = async () => {
      seen = probe.context?.requestId;
      return onStop();
    };
    await node.stop();
    const after = await node.callActor('probe', 'echo', 'x').then(() => 'answered', (e) => e.message);
    return { seen, state: probe.state, after };
  });
  check('stopping the tab runs on-stop in lifecycle:on_stop, then refuses',
        stopped.seen === 'lifecycle:on_stop' && stopped.state === 'stopped' &&
        stopped.after.startsWith('unavailable'), JSON.stringify(stopped));
} catch (e) {
  console.error(`web_node: ${e.stack}\n--- page ---\n${pageLog.join('\n')}`);
  process.exitCode = 1;
} finally {
  if (process.env.ACTR_WEB_PAGE_LOG) console.error(pageLog.join('\n'));
  await closeChromium();
  server.close();
}
process.exit(process.exitCode ?? 0);
