// A browser tab as a node of an actr network. Its actors are seed-world components (jco, JSPI);
// they register at the signaling server like a native node's (credentials, discovery, ACLs),
// reach native nodes over WebRTC data channels (peer.js), and see the same host surface with the
// same semantics and errors as on a native node (docs/WEB.md):
//   dest shell   the page's shell handler (default: shell/time, shell/echo, shell/node)
//   dest local   the calling actor itself (tell queues after the current call; call is a cycle)
//   dest actor   an actor of this page (its mailbox), else of another node over WebRTC
import { Actor, timestampNow } from './actor.js';
import { ActrFailure, err, errorOf } from './errors.js';
import { PeerLink, addressKey } from './peer.js';
import { RelayPath } from './relay_path.js';
import {
  TRANSPORT_VERSION, asBytes, big, encodeCredentialSet, idText, loadProtocol, sameActor, signalingId, toBytes, toText,
  transportId, witIdFromSignaling, witIdFromTransport,
} from './protocol.js';
import { SignalingClient } from './signaling.js';

const PAYLOAD_TYPES = {
  'rpc-reliable': 'PAYLOAD_RPC_RELIABLE',
  'rpc-signal': 'PAYLOAD_RPC_SIGNAL',
  'stream-reliable': 'PAYLOAD_STREAM_RELIABLE',
  'stream-latency-first': 'PAYLOAD_STREAM_LATENCY_FIRST',
  'media-rtp': 'PAYLOAD_MEDIA_RTP',
};
const LEVELS = { trace: 0, debug: 1, info: 2, warn: 3, warning: 3, error: 4 };
// transport.proto's enums in value order: decoded frames carry the numbers.
const REQUEST_KINDS = ['KIND_CALL', 'KIND_TELL', 'KIND_STREAM'];
const PAYLOAD_NAMES = ['PAYLOAD_RPC_RELIABLE', 'PAYLOAD_RPC_SIGNAL', 'PAYLOAD_STREAM_RELIABLE',
                       'PAYLOAD_STREAM_LATENCY_FIRST', 'PAYLOAD_MEDIA_RTP'];
const enumName = (names, v) => (typeof v === 'number' ? names[v] : v);

function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Discovery's version rule (docs/RUNTIME.md): same major (0.x: same minor), not older.
export function versionMatches(wanted, offered) {
  if (!wanted) return true;
  const parse = (v) => v.split(/[.+-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);
  const [wM, wm, wp] = parse(wanted);
  const [oM, om, op] = parse(offered);
  if (wM !== oM || (wM === 0 && wm !== om)) return false;
  return om > wm || (om === wm && op >= wp);
}

// An actor's ACL as a native node reads it (workload/acl.hpp): ordered allow/deny rules on the
// caller's type ("*" or empty: any) and realm (unset: any); the first match decides; no rules
// admit everyone; rules of which none matches admit nobody. Callers from the page itself (no
// caller id) are the operator's and always admitted.
export function aclAdmits(rules, caller) {
  if (!caller || !rules?.length) return true;
  const any = (v) => v === undefined || v === '' || v === '*';
  for (const r of rules) {
    if ((any(r.manufacturer) || r.manufacturer === caller.type.manufacturer) &&
        (any(r.name) || r.name === caller.type.name) &&
        (r.realm === undefined || r.realm === null || r.realm === caller.realm.realmId)) {
      return r.effect === 'ALLOW' || r.effect === 1;
    }
  }
  return false;
}

export class WebNode {
  // options: {signaling: 'ws://host:port', token, realm = 1, protoSources: {signaling, transport},
  //           protobuf, Long, actors: [{name, type: {manufacturer, name, version}, component,
  //           acl?, mailbox?: {backpressureThreshold, hardLimit}}], callTimeoutMs = 10000, webrtcTimeoutMs = 10000, idleTimeoutMs = 15000,
  //           shell?(route, payload) -> Uint8Array, onLog?(entry), logLevel = 'info'}
  static async start(options) {
    const node = new WebNode(options);
    await node.boot();
    return node;
  }

  constructor(options) {
    this.options = options;
    this.proto = loadProtocol({ protobuf: options.protobuf ?? globalThis.protobuf,
                                Long: options.Long ?? globalThis.Long,
                                sources: options.protoSources });
    this.realm = options.realm ?? 1;
    this.logLevel = LEVELS[options.logLevel ?? 'info'] ?? 2;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.webrtcTimeoutMs = options.webrtcTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 15_000;
    // 'webrtc': data channels; 'relay': frames through the signaling server when no data channel
    // opens (or alone, to force it).
    this.transports = options.transports ?? ['webrtc', 'relay'];
    // A browser has no listener: it names itself under .invalid, which never resolves, so that a
    // native node knows it can only offer it a WebRTC path.
    this.address = `ws://browser-${randomHex(6)}.invalid:9`;
    this.actors = new Map(); // serial -> Actor
    this.links = new Map(); // address key -> PeerLink
    this.addresses = new Map(); // serial (remote actors) -> advertised address
    this.streams = new Map(); // stream id -> receiving Actor
    this.registrations = new Map(); // serial -> RegisterReply
    this.turn = [];
    this.requestCounter = 0;
    this.requestPrefix = randomHex(8);
    this.timing = {};
  }

  log(actor, ctx, level, message) {
    if ((LEVELS[level] ?? 2) < this.logLevel) return;
    const who = actor ? actor.label : 'node';
    const entry = { level, actor: who, requestId: ctx?.requestId, message };
    this.options.onLog?.(entry);
    const line = `[${who}${ctx?.requestId ? ' req=' + ctx.requestId : ''}] ${message}`;
    (console[level === 'warn' || level === 'error' ? level : 'log'])(line);
  }

  async boot() {
    const t0 = performance.now();
    this.signaling = new SignalingClient(this.proto, {
      url: this.options.signaling,
      token: this.options.token,
      events: {
        onRelay: (from, to, payload) => this.onRelay(from, to, payload),
        onClose: (why) => this.signalingLost(why),
      },
    });
    await this.signaling.connect();
    this.timing.signaling = performance.now() - t0;
    for (const spec of this.options.actors) {
      const reply = await this.signaling.register({
        type: spec.type, realm: this.realm, address: this.address, acl: spec.acl ?? [],
      });
      this.adoptRegistration(reply);
      const id = witIdFromSignaling(reply.id);
      const actor = new Actor(this, { name: spec.name, id, component: spec.component,
                                      mailbox: spec.mailbox });
      this.actors.set(id.serialNumber, actor);
      this.scheduleRenewal(actor);
    }
    this.timing.registered = performance.now() - t0;
    await Promise.all([...this.actors.values()].map((a) => a.start()));
    this.timing.started = performance.now() - t0;
    this.hookAll('on_signaling_connecting');
    this.hookAll('on_signaling_connected');
  }

  adoptRegistration(reply) {
    this.registrations.set(big(reply.id.serial), reply);
    if (!this.serverKey) this.serverKey = reply.serverPublicKey;
    if (reply.turn?.length) this.turn = reply.turn;
  }

  iceServers() {
    return this.turn.map((t) => ({
      urls: `turn:${t.host}:${t.port}?transport=udp`, username: t.username, credential: t.password,
    }));
  }

  credentials() {
    return [...this.registrations.values()].map((r) => r.credential);
  }

  // A native node's credential (signaling.SignedCredential): the realm's server signed its
  // claims (Ed25519, the key every registration reply names) and it has not expired.
  async verifyCredential(bytes) {
    const signed = this.proto.SignedCredential.decode(bytes);
    if (!this.verifyKey) {
      this.verifyKey = await crypto.subtle.importKey('raw', this.serverKey, { name: 'Ed25519' },
                                                     false, ['verify']);
    }
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, this.verifyKey, signed.signature,
                                          signed.claims);
    if (!ok) throw new Error('a credential whose signature does not verify');
    const claims = this.proto.Claims.decode(signed.claims);
    if (Number(big(claims.expiresAt)) * 1000 < Date.now()) throw new Error('an expired credential');
    const id = witIdFromSignaling(claims.id);
    if (id.realm.realmId !== this.realm) throw new Error('a credential of another realm');
    return id;
  }

  scheduleRenewal(actor) {
    const reply = this.registrations.get(actor.id.serialNumber);
    const expires = Number(big(reply.credentialExpiresAt)) * 1000;
    const delay = Math.max(1000, (expires - Date.now()) * 2 / 3);
    clearTimeout(actor.renewal);
    actor.renewal = setTimeout(async () => {
      try {
        const renewed = await this.signaling.renew(reply.credential);
        reply.credential = renewed.credential;
        reply.credentialExpiresAt = renewed.credentialExpiresAt;
        if (renewed.turn?.length) this.turn = renewed.turn;
        const seconds = BigInt(big(renewed.credentialExpiresAt));
        this.hook(actor, 'on_credential_renewed', [{ newExpiry: { seconds, nanoseconds: 0 } }]);
        for (const link of this.links.values()) {
          if (link.state === 'open') {
            link.sendFrame({ credentials: { credential: encodeCredentialSet(this.credentials()) } });
          }
        }
        this.scheduleRenewal(actor);
      } catch (e) {
        this.log(actor, null, 'warn', `credential renewal failed: ${e.message}`);
        const seconds = BigInt(Math.floor(expires / 1000));
        this.hook(actor, 'on_credential_expiring', [{ newExpiry: { seconds, nanoseconds: 0 } }]);
        if (expires - Date.now() > 2000) {
          actor.renewal = setTimeout(() => this.scheduleRenewal(actor), 1000);
        }
      }
    }, delay);
  }

  // The signaling server went away: the actors hear it, and the node connects again (backing
  // off up to 5 s) and registers them again under the ids and credentials they hold. Paths to
  // other nodes stay up meanwhile.
  signalingLost(why) {
    if (this.stopping) return;
    this.log(null, null, 'warn', `signaling lost: ${why}`);
    this.hookAll('on_signaling_disconnected');
    this.reconnect(500);
  }

  reconnect(delayMs) {
    clearTimeout(this.reconnecting);
    this.reconnecting = setTimeout(async () => {
      if (this.stopping) return;
      this.hookAll('on_signaling_connecting');
      try {
        await this.signaling.connect();
        for (const actor of this.actors.values()) {
          const held = this.registrations.get(actor.id.serialNumber);
          const spec = this.options.actors.find((a) => a.name === actor.name);
          const reply = await this.signaling.register({
            type: spec.type, realm: this.realm, address: this.address, acl: spec.acl ?? [],
            previousSerial: actor.id.serialNumber, previousCredential: held.credential,
          });
          if (big(reply.id.serial) !== actor.id.serialNumber) {
            this.log(actor, null, 'warn', `registered again under another serial ${reply.id.serial}`);
            this.actors.delete(actor.id.serialNumber);
            this.registrations.delete(actor.id.serialNumber);
            actor.id = witIdFromSignaling(reply.id);
            this.actors.set(actor.id.serialNumber, actor);
          }
          this.adoptRegistration(reply);
          this.scheduleRenewal(actor);
        }
        this.log(null, null, 'info', 'signaling: connected again');
        this.hookAll('on_signaling_connected');
      } catch (e) {
        this.log(null, null, 'warn', `signaling: ${e.message}; trying again`);
        this.signaling.close();
        this.reconnect(Math.min(delayMs * 2, 5000));
      }
    }, delayMs);
  }

  // ---- hooks ----

  hook(actor, name, args = []) {
    actor.deliver({ kind: 'hook', hook: name, args, lane: 'signal' }).catch((e) => {
      this.log(actor, null, 'warn', `${name}: ${e.message}`);
    });
  }

  hookAll(name, args = []) {
    for (const actor of this.actors.values()) this.hook(actor, name, args);
  }

  // ---- routing (the host imports land here) ----

  nextRequestId() {
    this.requestCounter += 1;
    return `${this.requestPrefix}-${this.requestCounter}`;
  }

  async call(actor, ctx, dest, routeKey, payload) {
    if (dest.tag === 'shell') return this.shell(routeKey, payload);
    const target = dest.tag === 'local' ? actor.id : dest.val;
    const message = {
      kind: 'call', routeKey, payload, caller: actor.id, requestId: this.nextRequestId(),
      chain: [...ctx.chain, actor.id.serialNumber], lane: ctx.lane === 'signal' ? 'signal' : 'reliable',
    };
    const local = this.localActor(target, actor.id);
    if (local) return this.withTimeout(local.deliver(message));
    return this.remote(actor, target, (link) => link.request({
      kind: 'KIND_CALL', target: transportId(target), caller: transportId(actor.id),
      routeKey: toBytes(routeKey), payload, chain: message.chain.map(String),
      payloadType: 'PAYLOAD_RPC_RELIABLE', requestId: toBytes(message.requestId),
    }, this.callTimeoutMs));
  }

  async tell(actor, ctx, dest, routeKey, payload) {
    if (dest.tag === 'shell') {
      await this.shell(routeKey, payload);
      return;
    }
    const target = dest.tag === 'local' ? actor.id : dest.val;
    const message = { kind: 'tell', routeKey, payload, caller: actor.id,
                      requestId: this.nextRequestId(), lane: 'reliable' };
    const local = this.localActor(target, actor.id);
    if (local) {
      // Accepted once it is in the mailbox, as a memory mailbox does; it runs later.
      local.deliver(message).catch((e) => this.log(local, null, 'warn', `tell: ${e.message}`));
      return;
    }
    await this.remote(actor, target, (link) => link.request({
      kind: 'KIND_TELL', target: transportId(target), caller: transportId(actor.id),
      routeKey: toBytes(routeKey), payload, payloadType: 'PAYLOAD_RPC_RELIABLE',
      requestId: toBytes(message.requestId),
    }, this.callTimeoutMs));
  }

  async sendDataStream(actor, ctx, dest, chunk, payloadType) {
    if (dest.tag === 'shell') throw new ActrFailure(err.notFound('the shell receives no data streams'));
    const target = dest.tag === 'local' ? actor.id : dest.val;
    const local = this.localActor(target, actor.id);
    if (local) {
      if (this.streams.get(chunk.streamId) !== local) {
        throw new ActrFailure(err.notFound(
            `stream \`${chunk.streamId}\` is not registered by actor ${local.label}`));
      }
      local.deliver({ kind: 'stream', chunk, caller: actor.id,
                      latencyFirst: ['stream-latency-first', 'media-rtp'].includes(payloadType.tag),
                      lane: payloadType.tag === 'rpc-signal' ? 'signal' : 'reliable' })
        .catch((e) => this.log(local, null, 'warn', `on-data-stream: ${e.message}`));
      return;
    }
    await this.remote(actor, target, (link) => link.request({
      kind: 'KIND_STREAM', target: transportId(target), caller: transportId(actor.id),
      payloadType: PAYLOAD_TYPES[payloadType.tag],
      chunk: {
        streamId: toBytes(chunk.streamId), sequence: chunk.sequence.toString(),
        payload: chunk.payload,
        metadata: chunk.metadata.map((m) => ({ key: toBytes(m.key), value: toBytes(m.value) })),
        ...(chunk.timestampMs !== undefined ? { timestampMs: chunk.timestampMs.toString() } : {}),
      },
      requestId: toBytes(`data-stream:${chunk.streamId}:${chunk.sequence}`),
    }, this.callTimeoutMs));
  }

  registerStream(actor, streamId) {
    const owner = this.streams.get(streamId);
    if (owner && owner !== actor) {
      throw new ActrFailure(err.invalidArgument(
          `stream \`${streamId}\` is registered by actor ${owner.label}`));
    }
    this.streams.set(streamId, actor);
  }

  unregisterStream(actor, streamId) {
    if (this.streams.get(streamId) !== actor) {
      throw new ActrFailure(err.notFound(`stream \`${streamId}\` is not registered by this actor`));
    }
    this.streams.delete(streamId);
  }

  async discover(actor, ctx, type) {
    for (const a of this.actors.values()) {
      if (a === actor || a.state === 'failed' || a.state === 'stopped') continue;
      if (!aclAdmits(this.aclOf(a), actor.id)) continue;
      const t = this.registrations.get(a.id.serialNumber).id.type;
      if (t.name === type.name && (!type.manufacturer || t.manufacturer === type.manufacturer) &&
          versionMatches(type.version, t.version)) {
        return a.id;
      }
    }
    const found = await this.signaling.discover(
        { manufacturer: type.manufacturer, name: type.name, version: type.version },
        actor.id.serialNumber);
    if (!found.length) {
      throw new ActrFailure(err.notFound(
          `no actor of type ${type.manufacturer}/${type.name} that the caller may call`));
    }
    const pick = found[0];
    const id = witIdFromSignaling(pick.id);
    this.addresses.set(id.serialNumber, pick.advertisedAddress);
    return id;
  }

  async shell(routeKey, payload) {
    if (this.options.shell) return this.options.shell(routeKey, payload);
    switch (routeKey) {
      case 'shell/time':
        return toBytes(String(Date.now()));
      case 'shell/echo':
        return payload;
      case 'shell/node':
        return toBytes(`realm=${this.realm} actors=${this.actors.size}`);
      default:
        throw new ActrFailure(err.unknownRoute(routeKey));
    }
  }

  // The actor of this page that `id` names, or null; a caller its ACL refuses gets
  // permission-denied, as from a native node.
  localActor(id, caller) {
    const a = this.actors.get(id.serialNumber);
    if (!a || a.id.realm.realmId !== id.realm.realmId) return null;
    if (a.id.type.name !== id.type.name) {
      throw new ActrFailure(err.notFound(`no actor ${idText(id)} of type ${id.type.name}`));
    }
    if (!aclAdmits(this.aclOf(a), caller)) {
      throw new ActrFailure(err.permissionDenied(
          `actor ${a.label} does not admit ${caller.type.manufacturer}/${caller.type.name}`));
    }
    return a;
  }

  aclOf(actor) {
    return this.options.actors.find((s) => s.name === actor.name)?.acl;
  }

  withTimeout(promise, ms = this.callTimeoutMs) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new ActrFailure(err.timedOut())), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  // ---- other nodes ----

  async addressOf(caller, target) {
    const known = this.addresses.get(target.serialNumber);
    if (known) return known;
    const found = await this.signaling.lookup(signalingId(target), caller.id.serialNumber)
      .catch((e) => {
        throw new ActrFailure(err.notFound(`no actor ${idText(target)}: ${e.message}`));
      });
    if (!found) throw new ActrFailure(err.notFound(`no actor ${idText(target)}`));
    this.addresses.set(target.serialNumber, found.advertisedAddress);
    return found.advertisedAddress;
  }

  async remote(caller, target, send) {
    const address = await this.addressOf(caller, target);
    const link = await this.linkTo(address, target, caller.id);
    return send(link);
  }

  async linkTo(address, target, from) {
    const key = addressKey(address);
    const existing = this.links.get(key);
    if (existing) return existing.ready;
    if (address.includes('.invalid')) {
      // Another tab: it has no listener, and tabs do not offer to each other yet.
      if (!this.transports.includes('relay')) {
        throw new ActrFailure(err.unavailable(`${address} is a browser node; no path to it`));
      }
      return this.openRelay(address, target, from).ready;
    }
    if (this.transports.includes('webrtc')) {
      const link = this.openWebRtc(address, target, from);
      try {
        return await link.ready;
      } catch (e) {
        if (!this.transports.includes('relay')) throw e;
        this.log(null, null, 'info', `${e.message}; the frames take the signaling relay`);
        if (this.links.get(key) && this.links.get(key) !== link) return this.links.get(key).ready;
      }
    }
    return this.openRelay(address, target, from).ready;
  }

  newSession() {
    return BigInt.asUintN(64, BigInt(`0x${randomHex(8)}`)) || 1n;
  }

  openWebRtc(address, target, from) {
    const link = new PeerLink(this, { address, session: this.newSession(), offerer: true,
                                      remote: target, local: from });
    this.links.set(link.key, link);
    this.hookAll('on_webrtc_connecting', [{ peer: target, relayed: undefined }]);
    link.offer().catch((e) => link.close(`the offer failed: ${e.message}`));
    const timer = setTimeout(() => link.close(`no WebRTC path within ${this.webrtcTimeoutMs} ms`),
                             this.webrtcTimeoutMs);
    link.ready.finally(() => clearTimeout(timer)).catch(() => {});
    return link;
  }

  openRelay(address, target, from, session = this.newSession()) {
    const path = new RelayPath(this, { address, session, offerer: true, remote: target, local: from });
    this.links.set(path.key, path);
    this.hookAll('on_websocket_connecting', [{ peer: target, relayed: undefined }]);
    path.start();
    const timer = setTimeout(() => path.close(`no answer on the relay within ${this.webrtcTimeoutMs} ms`),
                             this.webrtcTimeoutMs);
    path.ready.finally(() => clearTimeout(timer)).catch(() => {});
    return path;
  }

  relay(to, from, payload) {
    return this.signaling.relay(signalingId(to), from.serialNumber, payload);
  }

  onRelay(from, to, payload) {
    let s;
    try {
      s = this.proto.PeerSignal.toObject(this.proto.PeerSignal.decode(payload),
                                         { enums: String, longs: String, defaults: true });
      if (!(s.frame instanceof Uint8Array)) s.frame = new Uint8Array(s.frame ?? []);
    } catch {
      return this.log(null, null, 'warn', 'a relayed payload that is not a PeerSignal; ignored');
    }
    if (s.version !== TRANSPORT_VERSION) {
      return this.log(null, null, 'warn', `a signal of protocol version ${s.version} ignored`);
    }
    const key = addressKey(s.nodeAddress);
    const session = BigInt(s.session);
    if (!key || session === 0n) return;
    const existing = this.links.get(key);
    const fromId = witIdFromSignaling(from);
    const toId = witIdFromSignaling(to);
    if (s.kind === 'FRAME' && !(existing && existing.session === session)) {
      // Another node opens a relay path to us.
      if (!this.transports.includes('relay')) return;
      if (existing) existing.close('the peer opened a relay path');
      const path = new RelayPath(this, { address: s.nodeAddress, session, offerer: false,
                                         remote: fromId, local: toId });
      this.links.set(key, path);
      this.hookAll('on_websocket_connecting', [{ peer: fromId, relayed: undefined }]);
      path.onSignal(s);
      return;
    }
    if (s.kind === 'OFFER' && !this.transports.includes('webrtc')) {
      // No data channels here: say so at once, the node falls back to the relay.
      const payload = this.proto.PeerSignal.encode(this.proto.PeerSignal.fromObject({
        version: TRANSPORT_VERSION, kind: 'CLOSE', session: session.toString(),
        nodeAddress: this.address })).finish();
      this.relay(fromId, toId, payload).catch(() => {});
      return;
    }
    if (s.kind === 'OFFER') {
      if (existing && existing.session === session) return; // a repeat (restarts: not yet)
      if (existing && existing.offerer && existing.state === 'negotiating') {
        return; // both offered: a browser's offer wins (a native node yields to it)
      }
      if (existing) existing.close('the peer made a new offer');
      const link = new PeerLink(this, { address: s.nodeAddress, session, offerer: false,
                                        remote: fromId, local: toId });
      this.links.set(key, link);
      this.hookAll('on_webrtc_connecting', [{ peer: fromId, relayed: undefined }]);
      link.answer(s.description).catch((e) => link.close(`answering failed: ${e.message}`));
      return;
    }
    if (existing && existing.session === session) existing.onSignal(s);
  }

  // A relay path is the tab's WebSocket path: its hooks are the websocket ones (relayed none).
  linkOpened(link) {
    this.log(null, null, 'info', `${link.kind}: path to ${link.describe()} open`);
    const hook = link.kind === 'relay' ? 'on_websocket_connected' : 'on_webrtc_connected';
    this.hookAll(hook, [{ peer: link.remote, relayed: link.relayed }]);
  }

  linkClosed(link, why, was) {
    if (this.links.get(link.key) === link) this.links.delete(link.key);
    this.log(null, null, 'info',
             `${link.kind}: path to ${link.address} ${was === 'open' ? 'closed' : 'not opened'}: ${why}`);
    if (was === 'open') {
      const hook = link.kind === 'relay' ? 'on_websocket_disconnected' : 'on_webrtc_disconnected';
      this.hookAll(hook, [{ peer: link.remote, relayed: link.relayed }]);
    }
  }

  // A request from another node on a WebRTC path: the same refusals as a native node.
  async onRemoteRequest(link, req) {
    const id = req.id;
    const kind = enumName(REQUEST_KINDS, req.kind);
    const payloadType = enumName(PAYLOAD_NAMES, req.payloadType);
    const refuse = (e) => (kind === 'KIND_CALL' ? link.reply(id, { error: e }) : link.accept(id, e));
    const caller = link.callerOf(req);
    if (!caller) {
      return refuse(err.permissionDenied(req.caller
          ? `caller ${idText(witIdFromTransport(req.caller))} is not among the credentials of this path`
          : 'a request from another node must name its caller'));
    }
    if (!kind || !payloadType) return refuse(err.invalidArgument('a request of an unknown kind'));
    if (!req.target) return refuse(err.invalidArgument('a request without a target'));
    const target = witIdFromTransport(req.target);
    let actor;
    try {
      actor = this.localActor(target, caller);
    } catch (e) {
      return refuse(errorOf(e));
    }
    if (!actor) return refuse(err.notFound(`no actor ${idText(target)} on this node`));
    const lane = payloadType === 'PAYLOAD_RPC_SIGNAL' || req.signalLane ? 'signal' : 'reliable';
    if (kind === 'KIND_STREAM') {
      const chunk = req.chunk;
      if (!chunk) return refuse(err.invalidArgument('a stream request without a chunk'));
      const streamId = toText(chunk.streamId);
      if (this.streams.get(streamId) !== actor) {
        return refuse(err.notFound(`stream \`${streamId}\` is not registered by actor ${actor.label}`));
      }
      actor.deliver({
        kind: 'stream', caller, lane,
        latencyFirst: ['PAYLOAD_STREAM_LATENCY_FIRST', 'PAYLOAD_MEDIA_RTP'].includes(payloadType),
        chunk: {
          streamId, sequence: big(chunk.sequence), payload: asBytes(chunk.payload),
          metadata: (chunk.metadata ?? []).map((m) => ({ key: toText(m.key), value: toText(m.value) })),
          // proto3 `optional`: set only when the sender set it (protobufjs shows 0 otherwise).
          timestampMs: Object.hasOwn(chunk, 'timestampMs') ? big(chunk.timestampMs) : undefined,
        },
      }).catch((e) => this.log(actor, null, 'warn', `on-data-stream: ${e.message}`));
      return link.accept(id);
    }
    const message = {
      kind: kind === 'KIND_TELL' ? 'tell' : 'call', routeKey: toText(req.routeKey),
      payload: asBytes(req.payload), caller, requestId: toText(req.requestId),
      chain: (req.chain ?? []).map(big), lane,
    };
    if (kind === 'KIND_TELL') {
      actor.deliver(message).catch((e) => this.log(actor, null, 'warn', `tell: ${e.message}`));
      return link.accept(id);
    }
    try {
      const ok = await actor.deliver(message);
      link.reply(id, { ok });
    } catch (e) {
      link.reply(id, { error: errorOf(e) });
    }
  }

  // ---- for the page ----

  actor(name) {
    return [...this.actors.values()].find((a) => a.name === name);
  }

  // A call from the page to one of its actors (as `actr call` does to a native node's gateway).
  async callActor(name, routeKey, payload) {
    const actor = this.actor(name);
    if (!actor) throw new ActrFailure(err.notFound(`no actor ${name}`));
    return this.withTimeout(actor.deliver({
      kind: 'call', routeKey, payload: typeof payload === 'string' ? toBytes(payload) : payload,
      caller: undefined, requestId: this.nextRequestId(), chain: [], lane: 'reliable',
    }));
  }

  async stop() {
    this.stopping = true;
    clearTimeout(this.reconnecting);
    for (const link of this.links.values()) link.close('the page node stops');
    for (const actor of this.actors.values()) {
      clearTimeout(actor.renewal);
      await actor.stop();
      this.signaling.unregister(actor.id.serialNumber);
    }
    this.signaling.close();
  }
}

export { sameActor, timestampNow };
