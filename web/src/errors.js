// The contract's actr-error, as jco represents it ({tag, val}), and its travel forms. A host import
// that fails throws an ActrFailure: jco hands its `payload` to the guest as the error case of the
// import's result.
import { toBytes, toText } from './protocol.js';

export class ActrFailure extends Error {
  constructor(error) {
    super(describeError(error));
    Object.defineProperty(this, 'payload', { value: error, enumerable: true });
  }
}

export const err = {
  unavailable: (m) => ({ tag: 'unavailable', val: m }),
  timedOut: () => ({ tag: 'timed-out' }),
  notFound: (m) => ({ tag: 'not-found', val: m }),
  permissionDenied: (m) => ({ tag: 'permission-denied', val: m }),
  invalidArgument: (m) => ({ tag: 'invalid-argument', val: m }),
  unknownRoute: (m) => ({ tag: 'unknown-route', val: m }),
  decodeFailure: (m) => ({ tag: 'decode-failure', val: m }),
  notImplemented: (m) => ({ tag: 'not-implemented', val: m }),
  internal: (m) => ({ tag: 'internal', val: m }),
};

export const fail = (error) => new ActrFailure(error);

export function describeError(e) {
  if (!e || typeof e !== 'object') return String(e);
  if (e.tag === 'timed-out') return 'timed-out';
  if (e.tag === 'dependency-not-found') {
    return `dependency-not-found: ${e.val.serviceName}: ${e.val.message}`;
  }
  return `${e.tag}: ${e.val}`;
}

// transport.ErrorCode, in the enum's order.
const CODES = [
  null,
  'unavailable',
  'timed-out',
  'not-found',
  'permission-denied',
  'invalid-argument',
  'unknown-route',
  'dependency-not-found',
  'decode-failure',
  'not-implemented',
  'internal',
];

export function toTransportError(e) {
  const code = Math.max(1, CODES.indexOf(e.tag));
  if (e.tag === 'timed-out') return { code };
  if (e.tag === 'dependency-not-found') {
    return { code, message: toBytes(e.val.message), serviceName: toBytes(e.val.serviceName) };
  }
  return { code, message: toBytes(e.val) };
}

export function fromTransportError(e) {
  const code = typeof e.code === 'number' ? e.code : CODES.indexOf(String(e.code).toLowerCase());
  const tag = CODES[code];
  if (!tag) return err.internal('a peer sent an error without a code');
  if (tag === 'timed-out') return { tag };
  if (tag === 'dependency-not-found') {
    return { tag, val: { serviceName: toText(e.serviceName), message: toText(e.message) } };
  }
  return { tag, val: toText(e.message) };
}

// An exception of a host function or a guest: the actr-error it carries, or internal.
export function errorOf(e) {
  if (e instanceof ActrFailure) return e.payload;
  if (e && typeof e === 'object' && 'payload' in e && e.payload?.tag) return e.payload;
  return err.internal(e?.message ?? String(e));
}
