// A WebRTC path between this web node and one native node: the browser's RTCPeerConnection with
// the four data channels of the node-to-node protocol (docs/WEBRTC.md), negotiated through the
// signaling relay (transport.PeerSignal), carrying the frames of frame_path.js. Requests take the
// channel of their lane; control frames take actr/rpc-reliable.
import { FramePath, MAX_PIECE, addressKey } from './frame_path.js';
import { TRANSPORT_VERSION } from './protocol.js';

export const LABELS = ['actr/rpc-reliable', 'actr/rpc-signal', 'actr/stream-reliable',
                       'actr/stream-latency-first'];

export { addressKey };

export class PeerLink extends FramePath {
  constructor(node, options) {
    super(node, options);
    this.kind = 'webrtc';
    this.channels = new Array(LABELS.length);
  }

  makeConnection() {
    this.pc = new RTCPeerConnection({ iceServers: this.node.iceServers() });
    this.pc.onconnectionstatechange = () => {
      const s = this.pc.connectionState;
      if (s === 'failed' || s === 'closed') this.close(`the peer connection ${s}`);
    };
    this.pc.onicecandidate = (e) => {
      // Candidates found after the description (it went out complete, or what was there after
      // 3 s) go on: a node takes trickled candidates, and "" ends them.
      if (!this.described) return;
      this.signal('CANDIDATE', e.candidate ? e.candidate.candidate : '');
    };
  }

  async gathered() {
    if (this.pc.iceGatheringState === 'complete') return;
    await new Promise((resolve) => {
      this.pc.addEventListener('icegatheringstatechange',
                               () => this.pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 3000);
    });
  }

  // This node offers (full SDP, every candidate gathered: a node answers it with full SDP).
  async offer() {
    this.makeConnection();
    LABELS.forEach((label, i) => {
      const latency = i === 3;
      this.adopt(i, this.pc.createDataChannel(label,
          latency ? { ordered: false, maxRetransmits: 2 } : {}));
    });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered();
    this.described = true;
    await this.signal('OFFER', this.pc.localDescription.sdp);
  }

  // A node offered: answer, and learn the channels it opens.
  async answer(sdp) {
    this.makeConnection();
    this.pc.ondatachannel = (e) => {
      const i = LABELS.indexOf(e.channel.label);
      if (i >= 0) this.adopt(i, e.channel);
      else e.channel.close();
    };
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    this.described = true;
    await this.signal('ANSWER', this.pc.localDescription.sdp);
  }

  async onSignal(s) {
    try {
      if (s.kind === 'ANSWER' && this.offerer && !this.pc.remoteDescription) {
        await this.pc.setRemoteDescription({ type: 'answer', sdp: s.description });
      } else if (s.kind === 'CANDIDATE') {
        if (s.description) {
          const c = s.description.startsWith('a=') ? s.description.slice(2) : s.description;
          await this.pc.addIceCandidate({ candidate: c, sdpMid: '0' });
        } else {
          await this.pc.addIceCandidate(null).catch(() => {});
        }
      } else if (s.kind === 'CLOSE') {
        this.close('the peer gave the path up');
      }
    } catch (e) {
      this.close(`the peer's ${s.kind} is refused: ${e.message}`);
    }
  }

  signal(kind, description) {
    const payload = this.proto.PeerSignal.encode(this.proto.PeerSignal.fromObject({
      version: TRANSPORT_VERSION, kind, session: this.session.toString(), description,
      nodeAddress: this.node.address,
    })).finish();
    return this.node.relay(this.remote, this.local, payload).catch((e) => {
      this.close(`the relay refused the ${kind}: ${e.message}`);
    });
  }

  adopt(index, channel) {
    channel.binaryType = 'arraybuffer';
    this.channels[index] = channel;
    channel.onmessage = (e) => this.piece(index, new Uint8Array(e.data));
    channel.onclose = () => this.close(`channel ${channel.label} closed`);
    channel.onopen = () => this.maybeOpen();
    this.maybeOpen();
  }

  maybeOpen() {
    if (this.channels.every((c) => c && c.readyState === 'open')) this.carrierOpen();
  }

  sendPieces(pieces, channel) {
    // A latency-first frame in pieces would not come back together on an unordered channel.
    const c = this.channels[channel === 3 && pieces.length > 1 ? 2 : channel];
    for (const p of pieces) c.send(p);
  }

  async readRelayed() {
    try {
      const stats = await this.pc.getStats();
      for (const s of stats.values()) {
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const pair = stats.get(s.selectedCandidatePairId);
          const local = stats.get(pair.localCandidateId);
          const remote = stats.get(pair.remoteCandidateId);
          return local?.candidateType === 'relay' || remote?.candidateType === 'relay';
        }
      }
    } catch {
      // no stats: say direct, as the selected pair is unknown
    }
    return false;
  }

  teardown() {
    try {
      this.pc?.close();
    } catch {
      // already closed
    }
  }
}

export { MAX_PIECE };
