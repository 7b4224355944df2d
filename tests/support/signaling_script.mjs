// The signaling side the browser interop scripts share (tests/webrtc/browser): the .proto files
// read by protobufjs, and a WebSocket to the signaling server with the enrollment token as a
// bearer header, requests answered by reply_to, and relay deliveries handed to one handler
// (those that come before it is set wait for it).
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import WebSocket from 'ws';

export const SIGNALING_VERSION = 1;  // signaling.proto Envelope.version
export const TRANSPORT_VERSION = 3;  // net::wire::kProtocolVersion

export async function loadProtocols(protoDir) {
  const root = await protobuf.load([path.join(protoDir, 'signaling.proto'),
                                    path.join(protoDir, 'transport.proto')]);
  return {
    Envelope: root.lookupType('actr.signaling.v1.Envelope'),
    Frame: root.lookupType('actr.transport.Frame'),
    PeerSignal: root.lookupType('actr.transport.PeerSignal'),
    asObject: (type, bytes) => type.toObject(type.decode(bytes),
        {longs: String, enums: String, bytes: String, defaults: true}),
  };
}

// {token, request(body) -> reply envelope, onDelivery(fn), close()}; `fail` ends the script.
export async function connectSignaling({url, tokenFile, proto, fail}) {
  const token = fs.readFileSync(tokenFile, 'utf8').trim().split(/\s+/)[0];
  const ws = new WebSocket(url, {headers: {Authorization: `Bearer ${token}`}});
  await new Promise((ok) => {
    ws.once('open', ok);
    ws.once('error', (e) => fail(`signaling: ${e.message}`));
  });
  let nextId = 1;
  const pending = new Map();
  const early = [];
  let handler = null;
  ws.on('message', (data) => {
    const env = proto.asObject(proto.Envelope, data);
    if (env.replyTo !== '0' && pending.has(env.replyTo)) {
      pending.get(env.replyTo)(env);
      pending.delete(env.replyTo);
    } else if (env.relayDelivery) {
      if (handler) handler(env.relayDelivery);
      else early.push(env.relayDelivery);
    }
  });
  return {
    token,
    request(body) {
      const id = String(nextId++);
      const env = proto.Envelope.fromObject({version: SIGNALING_VERSION, id, ...body});
      ws.send(proto.Envelope.encode(env).finish());
      return new Promise((ok) => pending.set(id, (reply) => {
        if (reply.error) fail(`signaling: ${reply.error.code}: ${reply.error.message}`);
        ok(reply);
      }));
    },
    onDelivery(fn) {
      handler = fn;
      for (const d of early.splice(0)) fn(d);
    },
    close: () => ws.close(),
  };
}
