// The web node's link to the signaling server: one WebSocket (a browser cannot set headers, so
// the enrollment token travels as the subprotocol `actr-enroll.TOKEN`, which the server names
// back), Envelopes of signaling.proto, requests answered by `reply_to`, a heartbeat at the
// interval the server gives, and the server's pushes (relay deliveries, actor events).
import { ActrFailure, err } from './errors.js';
import { SIGNALING_VERSION, big } from './protocol.js';

const REQUEST_TIMEOUT_MS = 10_000;

// signaling.Error.Code -> actr-error
function failureOf(error) {
  const message = `signaling: ${error.message || error.code}`;
  switch (error.code) {
    case 'NOT_FOUND':
    case 5:
      return err.notFound(message);
    case 'PERMISSION_DENIED':
    case 6:
      return err.permissionDenied(message);
    case 'INVALID_ARGUMENT':
    case 3:
      return err.invalidArgument(message);
    default:
      return err.unavailable(message);
  }
}

export class SignalingClient {
  // events: {onRelay(from, to, payloadBytes), onActorEvent(event), onClose(reason)}
  constructor(proto, { url, token, events = {}, WebSocketImpl = globalThis.WebSocket }) {
    this.proto = proto;
    this.url = url;
    this.token = token;
    this.events = events;
    this.WebSocketImpl = WebSocketImpl;
    this.nextId = 1n;
    this.pending = new Map();
    this.heartbeat = null;
    this.open = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocketImpl(this.url, this.token ? [`actr-enroll.${this.token}`] : []);
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      ws.onopen = () => {
        this.open = true;
        resolve();
      };
      ws.onerror = () => {
        if (!this.open) reject(new ActrFailure(err.unavailable(`signaling: cannot reach ${this.url}`)));
      };
      ws.onclose = (e) => {
        const was = this.open;
        this.open = false;
        clearInterval(this.heartbeat);
        this.heartbeat = null;
        for (const { reject: fail } of this.pending.values()) {
          fail(new ActrFailure(err.unavailable('signaling: the connection closed')));
        }
        this.pending.clear();
        if (was) this.events.onClose?.(e.reason || `closed (${e.code})`);
        else reject(new ActrFailure(err.permissionDenied(
            `signaling: the server refused the connection (${e.code}${e.reason ? ': ' + e.reason : ''})`)));
      };
      ws.onmessage = (e) => this.receive(new Uint8Array(e.data));
    });
  }

  close() {
    clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.ws?.close();
  }

  receive(bytes) {
    let env;
    try {
      env = this.proto.Envelope.decode(bytes);
    } catch (e) {
      return; // the server never sends this; nothing to answer
    }
    const replyTo = big(env.replyTo);
    if (replyTo !== 0n) {
      const waiter = this.pending.get(replyTo);
      if (!waiter) return;
      this.pending.delete(replyTo);
      clearTimeout(waiter.timer);
      if (env.error) waiter.reject(new ActrFailure(failureOf(env.error)));
      else waiter.resolve(env);
      return;
    }
    if (env.relayDelivery) {
      const d = env.relayDelivery;
      this.events.onRelay?.(d.from, d.to, d.payload);
    } else if (env.actorEvent) {
      this.events.onActorEvent?.(env.actorEvent);
    }
  }

  send(body) {
    const id = this.nextId++;
    const env = this.proto.Envelope.fromObject({ version: SIGNALING_VERSION, id: id.toString(), ...body });
    this.ws.send(this.proto.Envelope.encode(env).finish());
    return id;
  }

  request(body) {
    if (!this.open) {
      return Promise.reject(new ActrFailure(err.unavailable('signaling: not connected')));
    }
    return new Promise((resolve, reject) => {
      const id = this.send(body);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ActrFailure(err.timedOut()));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  async register({ type, realm, address, acl = [], previousSerial, previousCredential }) {
    const again = previousSerial !== undefined
      ? { previousSerial: previousSerial.toString(), previousCredential } : {};
    const reply = await this.request({
      registerRequest: { type, realm, advertisedAddress: address, acl, ...again },
    });
    const r = reply.registerReply;
    if (!r) throw new ActrFailure(err.internal('signaling: no register reply'));
    if (!this.heartbeat && r.heartbeatIntervalMs) {
      this.heartbeat = setInterval(() => {
        if (this.open) this.send({ ping: {} });
      }, r.heartbeatIntervalMs);
    }
    return r;
  }

  async discover(type, callerSerial) {
    const reply = await this.request({
      discoverRequest: { type, callerSerial: callerSerial.toString() },
    });
    return reply.discoverReply?.candidates ?? [];
  }

  async lookup(id, callerSerial) {
    const reply = await this.request({ lookupRequest: { id, callerSerial: callerSerial.toString() } });
    return reply.discoverReply?.candidates?.[0];
  }

  relay(to, fromSerial, payload) {
    return this.request({ relay: { to, fromSerial: fromSerial.toString(), payload } });
  }

  async renew(credential) {
    const reply = await this.request({ renewCredential: { credential } });
    return reply.renewReply;
  }

  unregister(serial) {
    if (this.open) this.send({ unregister: { serial: serial.toString() } });
  }
}
