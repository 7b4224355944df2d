// The wire formats a web node shares with native nodes: signaling.proto (the signaling server's
// WebSocket) and transport.proto (node-to-node frames), read at start by protobufjs from the same
// .proto files the C++ build compiles, so the two can never drift apart. 64-bit integers are
// BigInt in this package; protobufjs represents them as Long (set up here), and they go back as
// decimal strings.

export const SIGNALING_VERSION = 1; // signaling.proto Envelope.version
export const TRANSPORT_VERSION = 3; // net::wire::kProtocolVersion

// `sources`: {signaling: text, transport: text}. `protobuf` and `Long`: the libraries (the page
// loads protobufjs's dist/protobuf.min.js and long's ES module).
export function loadProtocol({ protobuf, Long, sources }) {
  if (!protobuf) throw new Error('actr-web: protobufjs is not loaded');
  if (Long && protobuf.util.Long !== Long) {
    // Without Long, protobufjs reads uint64 as a Number and loses bits of 64-bit session ids.
    protobuf.util.Long = Long;
    protobuf.configure();
  }
  const root = new protobuf.Root();
  protobuf.parse(sources.signaling, root, { keepCase: false });
  protobuf.parse(sources.transport, root, { keepCase: false });
  const type = (name) => root.lookupType(name);
  return {
    Envelope: type('actr.signaling.v1.Envelope'),
    Claims: type('actr.signaling.v1.Claims'),
    SignedCredential: type('actr.signaling.v1.SignedCredential'),
    Frame: type('actr.transport.Frame'),
    PeerSignal: type('actr.transport.PeerSignal'),
  };
}

// Long, number or decimal string -> BigInt.
export function big(v) {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return BigInt(v.toString());
}

const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: false });
export const toBytes = (s) => utf8.encode(s ?? '');
// A decoded `bytes` field: protobufjs gives an unset one as a plain empty array.
export const asBytes = (b) => (b instanceof Uint8Array ? b : new Uint8Array(b ?? []));
export const toText = (b) => (b && b.length ? text.decode(asBytes(b)) : '');

// ---- identities: WIT actr-id <-> signaling.ActorId <-> transport.ActrId ----

export function witIdFromSignaling(id) {
  return {
    realm: { realmId: id.realm >>> 0 },
    serialNumber: big(id.serial),
    type: {
      manufacturer: id.type?.manufacturer ?? '',
      name: id.type?.name ?? '',
      version: id.type?.version ?? '',
    },
  };
}

export function signalingId(id) {
  return { realm: id.realm.realmId, serial: id.serialNumber.toString(), type: { ...id.type } };
}

export function witIdFromTransport(id) {
  return {
    realm: { realmId: id.realm >>> 0 },
    serialNumber: big(id.serialNumber),
    type: {
      manufacturer: toText(id.type?.manufacturer),
      name: toText(id.type?.name),
      version: toText(id.type?.version),
    },
  };
}

export function transportId(id) {
  return {
    realm: id.realm.realmId,
    serialNumber: id.serialNumber.toString(),
    type: {
      manufacturer: toBytes(id.type.manufacturer),
      name: toBytes(id.type.name),
      version: toBytes(id.type.version),
    },
  };
}

export function idText(id) {
  return `${id.realm.realmId}:${id.serialNumber}`;
}

export function sameActor(a, b) {
  return a.realm.realmId === b.realm.realmId && a.serialNumber === b.serialNumber;
}

// ---- the credential set a node presents on a path (src/runtime/network/credential_set.hpp):
// u32 count, then per credential a u32 length and its bytes, little-endian ----

export function encodeCredentialSet(credentials) {
  const size = 4 + credentials.reduce((n, c) => n + 4 + c.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, credentials.length, true);
  let at = 4;
  for (const c of credentials) {
    view.setUint32(at, c.length, true);
    out.set(c, at + 4);
    at += 4 + c.length;
  }
  return out;
}

export function decodeCredentialSet(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new Error('credential set: too short');
  const count = view.getUint32(0, true);
  if (count > 4096) throw new Error('credential set: too many credentials');
  const out = [];
  let at = 4;
  for (let i = 0; i < count; ++i) {
    if (at + 4 > bytes.length) throw new Error('credential set: truncated');
    const n = view.getUint32(at, true);
    if (at + 4 + n > bytes.length) throw new Error('credential set: truncated');
    out.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  if (at !== bytes.length) throw new Error('credential set: trailing bytes');
  return out;
}
