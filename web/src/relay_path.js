// The fallback path: when no data channel opens (no UDP between the tab and the node, no TURN),
// the frames of frame_path.js travel through the signaling server's relay instead, as
// transport.PeerSignal FRAME messages between the two actors (the server checks both
// credentials and the target's ACL on every one). Slower and rate-limited by the server (1000
// messages/s per connection by default), but always there while signaling is.
import { FramePath } from './frame_path.js';
import { TRANSPORT_VERSION } from './protocol.js';

// The server takes envelopes up to 64 KiB: a relayed piece stays well under it.
const RELAY_PIECE = 48 * 1024;

export class RelayPath extends FramePath {
  constructor(node, options) {
    super(node, options);
    this.kind = 'relay';
  }

  start() {
    this.carrierOpen();
  }

  onSignal(s) {
    if (s.kind === 'FRAME') {
      if (!this.sentCredentials) this.carrierOpen(); // the other side began
      this.piece(0, s.frame);
    } else if (s.kind === 'CLOSE') {
      this.peerClosed = true;
      this.close('the peer gave the path up');
    }
  }

  // One ordered stream: every piece goes through the same two WebSockets in order, so the lanes
  // share it (a piece is cut again to fit the server's envelope; the flag says what follows).
  sendPieces(pieces) {
    for (const p of pieces) {
      for (let at = 1; at < p.length || at === 1; at += RELAY_PIECE) {
        const part = p.subarray(at, at + RELAY_PIECE);
        const out = new Uint8Array(part.length + 1);
        out[0] = at + RELAY_PIECE < p.length ? 1 : p[0];
        out.set(part, 1);
        this.signal('FRAME', out);
        if (p.length <= 1) break;
      }
    }
  }

  signal(kind, frame) {
    const payload = this.proto.PeerSignal.encode(this.proto.PeerSignal.fromObject({
      version: TRANSPORT_VERSION, kind, session: this.session.toString(),
      nodeAddress: this.node.address, ...(frame ? { frame } : {}),
    })).finish();
    return this.node.relay(this.remote, this.local, payload).catch((e) => {
      this.close(`the relay refused a ${kind}: ${e.message}`, null);
    });
  }

  teardown() {
    if (!this.peerClosed) this.signal('CLOSE').catch(() => {});
  }
}
