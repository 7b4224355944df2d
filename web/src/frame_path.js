// What every path between this web node and another node carries, whatever carries it (a WebRTC
// data channel, peer.js; the signaling server's relay, relay_path.js): the frames of the
// node-to-node protocol (transport.proto), each side's credential set first, then requests,
// acceptances, replies, pings and a close. Frames travel in pieces of at most 64 KiB whose first
// byte says whether more follow (1) or not (0). A subclass moves pieces (sendPieces, and calls
// piece() with what arrives) and tears its carrier down (teardown).
import { ActrFailure, err, fromTransportError, toTransportError } from './errors.js';
import {
  TRANSPORT_VERSION, asBytes, big, decodeCredentialSet, encodeCredentialSet, idText,
  witIdFromTransport,
} from './protocol.js';

export const MAX_PIECE = 64 * 1024;
export const MAX_FRAME = 4 * 1024 * 1024;
const PING_EVERY_MS = 2_000;

// Requests take the channel of their lane (a path with one channel ignores it).
export const LANE_CHANNEL = {
  PAYLOAD_RPC_RELIABLE: 0,
  PAYLOAD_RPC_SIGNAL: 1,
  PAYLOAD_STREAM_RELIABLE: 2,
  PAYLOAD_STREAM_LATENCY_FIRST: 3,
  PAYLOAD_MEDIA_RTP: 3,
};

// "ws://Host:Port/..." -> "host:port", as net::Address::key() names a node.
export function addressKey(address) {
  try {
    const u = new URL(address);
    return `${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'wss:' ? 443 : 80)}`;
  } catch {
    return '';
  }
}

export class FramePath {
  // node: the WebNode; remote: the other node's actor signals go to; local: ours (WIT ids).
  constructor(node, { address, session, offerer, remote, local }) {
    this.node = node;
    this.proto = node.proto;
    this.address = address;
    this.key = addressKey(address);
    this.session = session;
    this.offerer = offerer;
    this.remote = remote;
    this.local = local;
    this.state = 'negotiating'; // negotiating | open | closed
    this.assembly = [[], [], [], []];
    this.nextRequest = 1n;
    this.waiting = new Map(); // request id -> {resolve, reject, kind, timer}
    this.peerActors = []; // the ids its credentials name
    this.heard = performance.now();
    this.relayed = undefined;
    this.ready = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.ready.catch(() => {});
  }

  // The carrier is up: our credentials go first.
  carrierOpen() {
    if (this.sentCredentials) return;
    this.sentCredentials = true;
    this.sendFrame({ credentials: { credential: encodeCredentialSet(this.node.credentials()) } });
  }

  piece(index, bytes) {
    if (bytes.length === 0) return this.close('an empty piece', 'CLOSE_PROTOCOL_ERROR');
    this.heard = performance.now();
    const parts = this.assembly[index];
    parts.push(bytes.subarray(1));
    if (bytes[0] === 1) {
      if (parts.reduce((n, p) => n + p.length, 0) > MAX_FRAME) {
        this.close('a frame over the size limit', 'CLOSE_FRAME_TOO_LARGE');
      }
      return;
    }
    const size = parts.reduce((n, p) => n + p.length, 0);
    const frame = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      frame.set(p, at);
      at += p.length;
    }
    this.assembly[index] = [];
    let decoded;
    try {
      decoded = this.proto.Frame.decode(frame);
    } catch (e) {
      return this.close(`a malformed frame: ${e.message}`, 'CLOSE_PROTOCOL_ERROR');
    }
    this.frame(decoded).catch((e) => this.close(`a frame was refused: ${e.message}`,
                                                'CLOSE_PROTOCOL_ERROR'));
  }

  async frame(f) {
    if (f.batch) {
      for (const bytes of f.batch.frames) await this.frame(this.proto.Frame.decode(bytes));
      return;
    }
    if (f.credentials) return this.credentialsArrived(f.credentials.credential);
    if (this.state !== 'open') throw new Error('a frame before the peer\'s credentials');
    if (f.ping) return this.sendFrame({ pong: { nonce: f.ping.nonce } });
    if (f.pong) return;
    if (f.close) return this.close(`the peer closed: ${f.close.reason || f.close.code}`, null);
    if (f.reply) return this.answered(big(f.reply.id), f.reply, 'reply');
    if (f.accepted) return this.answered(big(f.accepted.id), f.accepted, 'accepted');
    if (f.request) return this.node.onRemoteRequest(this, f.request);
  }

  async credentialsArrived(bytes) {
    const ids = [];
    try {
      for (const c of decodeCredentialSet(asBytes(bytes))) ids.push(await this.node.verifyCredential(c));
    } catch (e) {
      return this.close(`the peer's credentials are refused: ${e.message}`,
                        'CLOSE_PERMISSION_DENIED');
    }
    this.peerActors = ids;
    if (this.state !== 'negotiating') return; // a renewal
    this.state = 'open';
    this.relayed = await this.readRelayed();
    this.pinger = setInterval(() => this.keepAlive(), PING_EVERY_MS);
    this.settle.resolve(this);
    this.node.linkOpened(this);
  }

  async readRelayed() {
    return undefined;
  }

  keepAlive() {
    // A vanished node is noticed within the idle timeout; pings keep a quiet path heard.
    if (performance.now() - this.heard > this.node.idleTimeoutMs) {
      return this.close(`nothing heard for ${this.node.idleTimeoutMs} ms`);
    }
    this.sendFrame({ ping: { nonce: String(Math.floor(Math.random() * 2 ** 32)) } });
  }

  sendFrame(body, channel = 0) {
    if (this.state === 'closed') throw new ActrFailure(err.unavailable('the path is closed'));
    const bytes = this.proto.Frame.encode(this.proto.Frame.fromObject({
      version: TRANSPORT_VERSION, ...body })).finish();
    if (bytes.length > MAX_FRAME) {
      throw new ActrFailure(err.invalidArgument(`a frame of ${bytes.length} bytes is over the limit`));
    }
    const pieces = [];
    for (let at = 0; at < bytes.length || at === 0; at += MAX_PIECE - 1) {
      const part = bytes.subarray(at, at + MAX_PIECE - 1);
      const piece = new Uint8Array(part.length + 1);
      piece[0] = at + part.length < bytes.length ? 1 : 0;
      piece.set(part, 1);
      pieces.push(piece);
      if (bytes.length === 0) break;
    }
    this.sendPieces(pieces, channel);
  }

  // Sends a request frame; resolves with the Reply (calls) or the Accepted (tells, chunks).
  request(req, timeoutMs) {
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ActrFailure(err.timedOut()));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, kind: req.kind, timer });
      try {
        this.sendFrame({ request: { ...req, id: id.toString() } },
                       LANE_CHANNEL[req.payloadType] ?? 0);
      } catch (e) {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(e);
      }
    });
  }

  answered(id, body, what) {
    const w = this.waiting.get(id);
    if (!w) return;
    if (what === 'accepted' && !body.error && w.kind === 'KIND_CALL') return; // the reply follows
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (body.error) return w.reject(new ActrFailure(fromTransportError(body.error)));
    w.resolve(what === 'reply' ? asBytes(body.ok) : undefined);
  }

  reply(id, result) {
    if (this.state !== 'open') return;
    if (result.error) this.sendFrame({ reply: { id, error: toTransportError(result.error) } });
    else this.sendFrame({ reply: { id, ok: result.ok } });
  }

  accept(id, error) {
    if (this.state !== 'open') return;
    this.sendFrame({ accepted: error ? { id, error: toTransportError(error) } : { id } });
  }

  callerOf(req) {
    if (!req.caller) return null;
    const caller = witIdFromTransport(req.caller);
    return this.peerActors.some((a) => a.realm.realmId === caller.realm.realmId &&
                                       a.serialNumber === caller.serialNumber) ? caller : null;
  }

  close(why, code = 'CLOSE_NORMAL') {
    if (this.state === 'closed') return;
    const was = this.state;
    if (was === 'open' && code) {
      try {
        this.sendFrame({ close: { code, reason: why } });
      } catch {
        // closing anyway
      }
    }
    this.state = 'closed';
    clearInterval(this.pinger);
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new ActrFailure(err.unavailable(`the path to ${this.address} closed: ${why}`)));
    }
    this.waiting.clear();
    this.teardown();
    this.settle.reject(new ActrFailure(err.unavailable(`no path to ${this.address}: ${why}`)));
    this.node.linkClosed(this, why, was);
  }

  describe() {
    return `${this.address} (${idText(this.remote)}, ${this.kind})`;
  }
}
