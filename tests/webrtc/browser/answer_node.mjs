// A browser node answers a native node's offer. This script plays the web page's host as
// call_actor.mjs does, the other way round: it registers a browser actor at the signaling server
// under a node address in .invalid (a browser has no listener), starts the installed Chromium
// (puppeteer-core, nothing downloaded) and waits. When a native actor calls the browser actor,
// the native node offers through the signaling relay (transport.PeerSignal OFFER, full SDP); the
// page answers (the answer at once, its candidates trickled as PeerSignal CANDIDATE, "" at the
// end), receives the node's four data channels, presents its credential and answers the node's
// requests with Reply frames.
//
//   node answer_node.mjs --signal ws://HOST:PORT --token-file F --proto-dir DIR
//                        --type test/pager [--calls N] [--chromium PATH]
//
// Prints {"ready": "realm:serial", "address": ...} once the page waits for offers, then, after N
// requests (default 1) are answered, one JSON line with what it saw (the offer, the channels,
// the requests). It goes on answering until SIGTERM (then exits 0); a failure prints the reason
// and exits 1.
import crypto from 'node:crypto';
import { launchChromium, scriptArgs } from '../../support/browser_script.mjs';
import { TRANSPORT_VERSION, connectSignaling, loadProtocols } from '../../support/signaling_script.mjs';

const { args, need, fail } = scriptArgs('answer_node', { timeoutMs: 90000 });

const RELIABLE = 'actr/rpc-reliable';  // credentials, replies and pongs go here
const calls = Number(args.calls || 1);

const proto = await loadProtocols(need('proto-dir'));
const {Frame, PeerSignal, asObject} = proto;
const text = (b64) => Buffer.from(b64, 'base64').toString();

// ---- signaling: register under an address that never resolves, relay ----
const signaling = await connectSignaling({url: need('signal'), tokenFile: need('token-file'),
                                          proto, fail});
const {request} = signaling;

const address = `ws://browser-${crypto.randomBytes(4).toString('hex')}.invalid:9`;
const [manufacturer, name] = need('type').split('/');
const type = {manufacturer, name, version: '0.1.0'};
const registered = (await request({
  registerRequest: {type, realm: 1, advertisedAddress: address}})).registerReply;
const me = registered.id;

// ---- the page ----
const { browser, close: closeChromium } = await launchChromium(args.chromium);
let closing = false;
async function shutdown(status) {
  if (closing) return;
  closing = true;
  await closeChromium().catch(() => {});
  signaling.close();
  process.exit(status);
}
process.on('SIGTERM', () => shutdown(0));
const page = await browser.newPage();

// What the page reports: channels, data-channel messages, its candidates.
const seen = {channels: [], trickled: 0, requests: [], nodeCredentials: false, offers: 0};
const pieces = new Map();  // label -> the pieces of a frame being put back together
await page.exposeFunction('actrChannel', (label, ordered, maxRetransmits) => {
  seen.channels.push({label, ordered, maxRetransmits});
  if (label === RELIABLE) presentCredential().catch((e) => fail(`credential: ${e.message}`));
});
await page.exposeFunction('actrMessage', (label, b64) => {
  const bytes = Buffer.from(b64, 'base64');
  const parts = pieces.get(label) || [];
  parts.push(bytes.subarray(1));
  if (bytes[0] !== 0) return void pieces.set(label, parts);  // more pieces follow
  pieces.delete(label);
  onFrame(asObject(Frame, Buffer.concat(parts))).catch((e) => fail(`frame: ${e.message}`));
});
// The page's candidates go out after its answer (the relay keeps their order).
let session = null;
let node = null;  // the actor that offered: signals go back to it
let answered = false;
const heldCandidates = [];
await page.exposeFunction('actrCandidate', (candidate) => {
  if (!answered) return void heldCandidates.push(candidate);
  return signal('CANDIDATE', candidate);
});
await page.evaluate(() => {
  window.pc = null;
  window.channels = {};
  window.toBytes = (b64) => {
    const s = atob(b64);
    const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; ++i) u[i] = s.charCodeAt(i);
    return u;
  };
});

function signal(kind, description) {
  if (kind === 'CANDIDATE') ++seen.trickled;
  const payload = PeerSignal.encode(PeerSignal.fromObject({
    version: TRANSPORT_VERSION, kind, session, description, nodeAddress: address,
  })).finish();
  return request({relay: {to: node, fromSerial: me.serial, payload}});
}

// An offer: the first makes the peer connection, a later one of the session is an ICE restart.
async function answer(offerSdp) {
  ++seen.offers;
  return page.evaluate(async (sdp) => {
    if (!window.pc) {
      window.pc = new RTCPeerConnection({iceServers: []});
      // null at the end of gathering; an empty candidate string ends one generation only.
      pc.onicecandidate = (e) => {
        if (!e.candidate) return window.actrCandidate('');
        if (e.candidate.candidate) window.actrCandidate(e.candidate.candidate);
      };
      pc.ondatachannel = (e) => {
        const c = e.channel;
        c.binaryType = 'arraybuffer';
        c.onmessage = (m) => {
          const u = new Uint8Array(m.data);
          let s = '';
          for (const b of u) s += String.fromCharCode(b);
          window.actrMessage(c.label, btoa(s));
        };
        channels[c.label] = c;
        const known = () => window.actrChannel(c.label, c.ordered, c.maxRetransmits);
        if (c.readyState === 'open') known();
        else c.onopen = known;
      };
    }
    await pc.setRemoteDescription({type: 'offer', sdp});
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription.sdp;
  }, offerSdp);
}

function send(label, frame) {
  const bytes = Frame.encode(Frame.fromObject({version: TRANSPORT_VERSION, ...frame})).finish();
  const piece = Buffer.concat([Buffer.from([0]), Buffer.from(bytes)]);  // one piece: the last
  return page.evaluate((l, b64) => channels[l].send(toBytes(b64)), label,
                       piece.toString('base64'));
}

async function presentCredential() {
  const credential = Buffer.from(registered.credential, 'base64');
  const set = Buffer.alloc(8);  // a credential set of one: count, then length and bytes
  set.writeUInt32LE(1, 0);
  set.writeUInt32LE(credential.length, 4);
  await send(RELIABLE, {credentials: {credential: Buffer.concat([set, credential])}});
}

async function onFrame(frame) {
  if (frame.batch) {
    for (const inner of frame.batch.frames) {
      await onFrame(asObject(Frame, Buffer.from(inner, 'base64')));
    }
  } else if (frame.credentials) {
    seen.nodeCredentials = true;
  } else if (frame.ping) {
    await send(RELIABLE, {pong: {nonce: frame.ping.nonce}});
  } else if (frame.close) {
    seen.closed = frame.close.reason;
  } else if (frame.request) {
    const r = frame.request;
    const route = text(r.routeKey), payload = text(r.payload);
    const id = (a) => `${a.realm}:${a.serialNumber}`;
    seen.requests.push({route, payload, kind: r.kind, caller: id(r.caller), target: id(r.target)});
    if (!seen.nodeCredentials) fail('a request before the node presented its credential');
    if (r.kind !== 'KIND_CALL') {
      await send(RELIABLE, {accepted: {id: r.id}});
      return;
    }
    await send(RELIABLE, {reply: {id: r.id, ok: Buffer.from(`page got ${route}: ${payload}`)}});
    if (seen.requests.length === calls) report();
  }
}

function report() {
  const offer = seen.firstOffer;
  const lines = offer.split('\r\n');
  console.log(JSON.stringify({
    answered: seen.requests.length,
    browser: `${me.realm}:${me.serial}`,
    address,
    offer_full_sdp: offer.startsWith('v=0'),
    offer_setup: (lines.find((l) => l.startsWith('a=setup:')) || '').slice(8),
    offer_mid: (lines.find((l) => l.startsWith('a=mid:')) || '').slice(6),
    offer_fingerprint: lines.some((l) => l.startsWith('a=fingerprint:sha-256 ')),
    offer_candidates: lines.filter((l) => l.startsWith('a=candidate:')).length,
    offer_end_of_candidates: lines.includes('a=end-of-candidates'),
    offers: seen.offers,
    answer_setup: seen.answerSetup,
    trickled: seen.trickled,
    channels: seen.channels.map((c) => c.label).sort(),
    latency_first: seen.channels.find((c) => c.label === 'actr/stream-latency-first'),
    node_credentials: seen.nodeCredentials,
    requests: seen.requests,
  }));
}

// ---- the node's signals ----
signaling.onDelivery((delivery) => {
  const s = asObject(PeerSignal, Buffer.from(delivery.payload, 'base64'));
  (async () => {
    if (s.kind === 'OFFER') {
      if (session !== null && s.session !== session) fail('a second session while one is open');
      session = s.session;
      node = delivery.from;
      if (!seen.firstOffer) seen.firstOffer = s.description;
      answered = false;
      const sdp = await answer(s.description);
      seen.answerSetup = (sdp.split('\r\n').find((l) => l.startsWith('a=setup:')) || '').slice(8);
      await signal('ANSWER', sdp);
      answered = true;
      for (const c of heldCandidates.splice(0)) await signal('CANDIDATE', c);
    } else if (s.kind === 'CANDIDATE' && s.session === session) {
      // A full SDP offer holds every candidate; a node never trickles to a browser.
      fail(`the node trickled a candidate to the browser: ${s.description}`);
    } else if (s.kind === 'CLOSE' && s.session === session) {
      fail('the node gave the session up');
    }
  })().catch((e) => fail(`signal: ${e.message}`));
});

console.log(JSON.stringify({ready: `${me.realm}:${me.serial}`, address}));
