// A browser calls an actor of a node over WebRTC. This script plays the web page's host: it
// registers a browser actor at the signaling server (signaling.proto over WebSocket), starts the
// installed Chromium (puppeteer-core, nothing downloaded), lets the page open an
// RTCPeerConnection with the four data channels of the node-to-node protocol, carries the offer
// and answer through the signaling relay (transport.PeerSignal), then exchanges the project's
// framed messages with the node on the data channels: its credential, a call, the reply.
//
//   node call_actor.mjs --signal ws://HOST:PORT --token-file F --proto-dir DIR
//                       --target test/beta --route echo --payload TEXT [--chromium PATH]
//
// Prints one JSON line {"reply": ..., "browser": "realm:serial", "target": "realm:serial"} and
// exits 0, or prints the reason and exits 1.
import crypto from 'node:crypto';
import { launchChromium, scriptArgs } from '../../support/browser_script.mjs';
import { TRANSPORT_VERSION, connectSignaling, loadProtocols } from '../../support/signaling_script.mjs';

const { args, need, fail } = scriptArgs('call_actor', { timeoutMs: 60000 });

const LABELS = ['actr/rpc-reliable', 'actr/rpc-signal', 'actr/stream-reliable',
                'actr/stream-latency-first'];

const proto = await loadProtocols(need('proto-dir'));
const {Frame, PeerSignal, asObject} = proto;

// ---- signaling: register, discover, relay ----
const signaling = await connectSignaling({url: need('signal'), tokenFile: need('token-file'),
                                          proto, fail});
const {token, request} = signaling;

const type = {manufacturer: 'test', name: 'browser', version: '0.1.0'};
const registered = (await request({registerRequest: {type, realm: 1}})).registerReply;
const me = registered.id;
const [targetManufacturer, targetName] = need('target').split('/');
const found = (await request({
  discoverRequest: {type: {manufacturer: targetManufacturer, name: targetName},
                    callerSerial: me.serial}})).discoverReply.candidates;
if (!found.length) fail(`no actor ${need('target')} visible to the browser actor`);
const target = found[0].id;

// ---- the page: a peer connection and its data channels ----
const { browser, close: closeChromium } = await launchChromium(args.chromium);
const frames = [];
let frameWaiter = null;
try {
  const page = await browser.newPage();
  // The page's own WebSocket to the signaling server: a browser offers its enrollment token as
  // a subprotocol (it cannot set headers), and the server must name it back.
  const pageSignaling = await page.evaluate((url, token) => new Promise((done) => {
    const ws = new WebSocket(url, [`actr-enroll.${token}`]);
    ws.onopen = () => { done(ws.protocol); ws.close(); };
    ws.onerror = () => done('error');
  }), need('signal'), token);
  if (!pageSignaling.startsWith('actr-enroll.')) fail(`the page's WebSocket: ${pageSignaling}`);
  await page.exposeFunction('actrMessage', (label, b64) => {
    frames.push({label, bytes: Buffer.from(b64, 'base64')});
    if (frameWaiter) frameWaiter();
  });
  const offer = await page.evaluate(async (labels) => {
    window.pc = new RTCPeerConnection({iceServers: []});
    window.channels = {};
    for (const label of labels) {
      const latency = label.endsWith('latency-first');
      const c = pc.createDataChannel(label, latency ? {ordered: false, maxRetransmits: 2} : {});
      c.binaryType = 'arraybuffer';
      c.onmessage = (e) => {
        const u = new Uint8Array(e.data);
        let s = '';
        for (const b of u) s += String.fromCharCode(b);
        window.actrMessage(label, btoa(s));
      };
      channels[label] = c;
    }
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((done) => {
      if (pc.iceGatheringState === 'complete') return done();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
    });
    return pc.localDescription.sdp;
  }, LABELS);

  const session = BigInt('0x' + crypto.randomBytes(7).toString('hex')).toString();
  const signal = PeerSignal.encode(PeerSignal.fromObject({
    version: TRANSPORT_VERSION, kind: 'OFFER', session, description: offer,
    // A browser has no listener: it names itself under .invalid, which never resolves.
    nodeAddress: `ws://browser-${crypto.randomBytes(4).toString('hex')}.invalid:9`,
  })).finish();
  await request({relay: {to: target, fromSerial: me.serial, payload: signal}});
  const answer = await new Promise((ok) => signaling.onDelivery((d) => {
    const s = asObject(PeerSignal, Buffer.from(d.payload, 'base64'));
    if (s.session !== session) return;
    if (s.kind !== 'ANSWER') fail(`the node answered ${s.kind}`);
    ok(s.description);
  }));
  await page.evaluate((sdp) => pc.setRemoteDescription({type: 'answer', sdp}), answer);
  await page.evaluate(() => Promise.all(Object.values(channels).map(
      (c) => c.readyState === 'open' ? 0 : new Promise((r) => { c.onopen = r; }))));

  // ---- the node-to-node protocol on the channels: one piece per frame (first byte 0) ----
  const send = (label, frame) => {
    const bytes = Frame.encode(Frame.fromObject({version: TRANSPORT_VERSION, ...frame})).finish();
    const piece = Buffer.concat([Buffer.from([0]), Buffer.from(bytes)]);
    return page.evaluate((l, b64) => {
      const s = atob(b64);
      const u = new Uint8Array(s.length);
      for (let i = 0; i < s.length; ++i) u[i] = s.charCodeAt(i);
      channels[l].send(u);
    }, label, piece.toString('base64'));
  };
  const nextFrame = () => new Promise((ok) => {
    const look = () => {
      const f = frames.shift();
      if (!f) return void (frameWaiter = look);
      if (f.bytes[0] !== 0) fail('a frame in several pieces (not expected for small frames)');
      ok(asObject(Frame, f.bytes.subarray(1)));
    };
    look();
  });
  const credential = Buffer.from(registered.credential, 'base64');
  const set = Buffer.alloc(8);
  set.writeUInt32LE(1, 0);
  set.writeUInt32LE(credential.length, 4);
  await send(LABELS[0], {credentials: {credential: Buffer.concat([set, credential])}});
  const first = await nextFrame();
  if (!first.credentials) fail(`the node's first frame is not its credential: ${JSON.stringify(first)}`);

  const asTransportId = (id) => ({
    realm: id.realm, serialNumber: id.serial,
    type: {manufacturer: Buffer.from(id.type.manufacturer), name: Buffer.from(id.type.name),
           version: Buffer.from(id.type.version)},
  });
  await send(LABELS[0], {request: {
    id: '1', kind: 'KIND_CALL', target: asTransportId(target), caller: asTransportId(me),
    routeKey: Buffer.from(need('route')), payload: Buffer.from(need('payload')),
    payloadType: 'PAYLOAD_RPC_RELIABLE', requestId: Buffer.from('browser-call-1'),
  }});
  let reply;
  for (;;) {
    const f = await nextFrame();
    if (f.accepted && f.accepted.error) fail(`refused: ${JSON.stringify(f.accepted.error)}`);
    if (f.reply) {
      reply = f.reply;
      break;
    }
  }
  if (reply.error) fail(`the call failed: ${JSON.stringify(reply.error)}`);
  console.log(JSON.stringify({
    reply: Buffer.from(reply.ok, 'base64').toString(),
    browser: `${me.realm}:${me.serial}`,
    target: `${target.realm}:${target.serial}`,
    page_signaling: pageSignaling.slice(0, 'actr-enroll.'.length),
  }));
} finally {
  await closeChromium();
  signaling.close();
}
process.exit(0);
