#include "webrtc/peer_connection.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <sstream>
#include <vector>

#include "webrtc/dtls_transport.hpp"
#include "webrtc/session_description.hpp"

namespace actr::webrtc {

const char* to_string(PeerState state) {
  switch (state) {
    case PeerState::New:
      return "new";
    case PeerState::Connecting:
      return "connecting";
    case PeerState::Connected:
      return "connected";
    case PeerState::Closed:
      return "closed";
    case PeerState::Failed:
      return "failed";
  }
  return "unknown";
}

Result<Description> parse_description(const std::string& text) {
  Description d;
  d.complete = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "a=end-of-candidates") {
      d.complete = true;
    } else if (line.starts_with("a=fingerprint:")) {
      d.fingerprint = line.substr(14);
    } else if (line.starts_with("a=setup:")) {
      d.setup = line.substr(8);
    } else if (!line.empty()) {
      d.ice += line + "\n";
    }
  }
  if (d.fingerprint.empty()) return make_error("webrtc: the description has no a=fingerprint");
  if (d.setup != "actpass" && d.setup != "active" && d.setup != "passive") {
    return make_error("webrtc: the description has no valid a=setup");
  }
  if (d.ice.find("a=ice-ufrag:") == std::string::npos) {
    return make_error("webrtc: the description has no ICE credentials");
  }
  return d;
}

std::string write_description(const Description& d) {
  return "a=setup:" + d.setup + "\na=fingerprint:" + d.fingerprint + "\n" + d.ice +
         (d.complete ? "a=end-of-candidates\n" : "");
}

struct PeerConnection::Parts {
  static constexpr size_t kMaxEarlyDatagrams = 16;

  GlibLoop* loop = nullptr;
  PeerOptions options;
  PeerEvents events;
  std::unique_ptr<IceTransport> ice;
  std::unique_ptr<SctpAssociation> sctp;

  std::mutex mu;
  std::shared_ptr<DtlsTransport> dtls;  // made once the peer's fingerprint is known
  std::string remote_fingerprint;       // of the first description; a restart keeps it
  bool ice_up = false;
  bool dtls_started = false;
  // Datagrams that came before DTLS started: a browser that is the DTLS client sends its hello
  // as soon as its side of ICE is up, which may be before ours; an answer then could not be sent
  // (and would be retransmitted only a second later), so they wait for the path.
  std::vector<std::vector<uint8_t>> early_datagrams;
  // The peer spoke full SDP (a browser): the answer is full SDP too, for this data section.
  std::optional<std::string> sdp_mid;
  // Our full SDP offers (options.full_sdp): one o= session, its version grows with each offer.
  uint64_t sdp_session_id = 0;
  uint64_t sdp_version = 2;
  std::atomic<PeerState> state{PeerState::New};

  std::shared_ptr<DtlsTransport> current_dtls() {
    std::lock_guard lock(mu);
    return dtls;
  }

  void set_state(PeerState s) {
    state = s;
    if (events.on_state) events.on_state(s);
  }

  void fail(std::string reason) {
    PeerState s = state.load();
    if (s == PeerState::Failed || s == PeerState::Closed) return;
    set_state(PeerState::Failed);
    if (events.on_closed) events.on_closed(std::move(reason));
  }

  // DTLS starts once both the path and the peer's fingerprint are there, whichever comes last.
  void maybe_start_dtls() {
    std::shared_ptr<DtlsTransport> d;
    std::vector<std::vector<uint8_t>> early;
    {
      std::lock_guard lock(mu);
      if (!ice_up || !dtls || dtls_started) return;
      dtls_started = true;
      d = dtls;
      early.swap(early_datagrams);
    }
    d->start();
    for (const auto& datagram : early) d->receive(datagram);
  }

  IceEvents ice_events() {
    IceEvents e;
    e.on_gathered = [this](std::string ice_lines, bool complete) {
      Description d{options.certificate->fingerprint(), options.offerer ? "actpass" : "active",
                    std::move(ice_lines), complete};
      std::string text;
      if (options.offerer && options.full_sdp) {
        uint64_t version;
        {
          std::lock_guard lock(mu);
          version = sdp_version++;
        }
        text = write_sdp_offer(d, sdp_session_id, version);
      } else {
        std::optional<std::string> mid;
        {
          std::lock_guard lock(mu);
          mid = sdp_mid;
        }
        text = mid ? write_sdp_answer(d, *mid, std::random_device{}()) : write_description(d);
      }
      if (events.on_description) events.on_description(std::move(text));
    };
    e.on_state = [this](IceState s) {
      if (s == IceState::Connected || s == IceState::Ready) {
        {
          std::lock_guard lock(mu);
          ice_up = true;
        }
        maybe_start_dtls();
      } else if (s == IceState::Failed) {
        fail("ice: no path to the peer");
      }
    };
    e.on_candidate = [this](std::string candidate) {
      if (events.on_candidate) events.on_candidate(std::move(candidate));
    };
    e.on_selected_pair = [this](bool relayed) {
      if (events.on_selected_pair) events.on_selected_pair(relayed);
    };
    e.on_datagram = [this](std::span<const uint8_t> d) {
      std::shared_ptr<DtlsTransport> started;
      {
        std::lock_guard lock(mu);
        if (!dtls_started) {
          // A handshake flight is a few datagrams; more before the start is not a handshake.
          if (early_datagrams.size() < kMaxEarlyDatagrams) {
            early_datagrams.emplace_back(d.begin(), d.end());
          }
          return;
        }
        started = dtls;
      }
      if (started) started->receive(d);
    };
    return e;
  }

  DtlsEvents dtls_events() {
    DtlsEvents e;
    e.send_datagram = [this](std::span<const uint8_t> d) { (void)ice->send(d); };
    e.on_connected = [this] {
      if (auto started = sctp->start(); !started) fail(started.error().message);
    };
    e.on_data = [this](std::span<const uint8_t> packet) { sctp->receive_packet(packet); };
    e.on_closed = [this](std::string why) { fail(std::move(why)); };
    return e;
  }

  SctpEvents sctp_events() {
    SctpEvents e;
    e.send_packet = [this](std::span<const uint8_t> p) {
      if (auto d = current_dtls()) (void)d->send(p);
    };
    e.on_open = [this] { set_state(PeerState::Connected); };
    e.on_channel = [this](const Channel& c) {
      if (events.on_channel) events.on_channel(c);
    };
    e.on_writable = [this] {
      if (events.on_writable) events.on_writable();
    };
    e.on_message = [this](uint16_t stream, std::span<const uint8_t> m, bool binary) {
      if (events.on_message) events.on_message(stream, m, binary);
    };
    e.on_closed = [this](std::string why) { fail(std::move(why)); };
    return e;
  }
};

Result<std::unique_ptr<PeerConnection>> PeerConnection::create(GlibLoop& loop, PeerOptions options,
                                                               PeerEvents events) {
  if (!options.certificate) return make_error("webrtc: no certificate");
  auto parts = std::make_shared<Parts>();
  parts->loop = &loop;
  options.ice.controlling = options.offerer;
  parts->options = std::move(options);
  parts->events = std::move(events);
  // RFC 8866: o= session ids are at most 63 bits.
  parts->sdp_session_id = (uint64_t{std::random_device{}()} << 31) ^ std::random_device{}();
  // The DTLS client (the answerer) opens even streams.
  ACTR_TRY(parts->sctp,
           SctpAssociation::create(loop, !parts->options.offerer, parts->sctp_events()));
  ACTR_TRY(parts->ice, IceTransport::create(loop, parts->options.ice, parts->ice_events()));
  return std::unique_ptr<PeerConnection>(new PeerConnection(std::move(parts)));
}

PeerConnection::PeerConnection(std::shared_ptr<Parts> parts) : parts_(std::move(parts)) {}

PeerConnection::~PeerConnection() {
  Parts* p = parts_.get();
  // On the loop, where ICE and DTLS events run: none runs meanwhile. SCTP first (it sends
  // through DTLS from its own threads), then DTLS (it sends through ICE), then ICE.
  p->loop->run_sync([p] {
    p->sctp.reset();
    {
      std::lock_guard lock(p->mu);
      p->dtls.reset();
    }
    p->ice.reset();
    p->state = PeerState::Closed;
  });
}

Result<void> PeerConnection::start() {
  PeerState expected = PeerState::New;
  // No event for this one: events run on the loop, and this is the caller's thread.
  if (!parts_->state.compare_exchange_strong(expected, PeerState::Connecting)) return {};
  bool browser = parts_->options.offerer && parts_->options.full_sdp;
  {
    std::lock_guard lock(parts_->mu);
    browser |= parts_->sdp_mid.has_value();
  }
  return parts_->ice->gather(parts_->options.trickle && !browser);
}

Result<void> PeerConnection::set_remote_description(const std::string& text) {
  Description d;
  bool offerer = parts_->options.offerer;
  if (is_full_sdp(text)) {
    ACTR_TRY(SdpSession session, parse_sdp(text));
    d = std::move(session.description);
    if (offerer) {
      // A browser's answer; its candidates may follow (add_remote_candidate) unless it said
      // a=end-of-candidates, so `complete` stays as parsed.
      if (session.mid != kOfferMid) {
        return make_error("webrtc: the answer's data section is `" + session.mid +
                          "`, the offer's is `" + kOfferMid + "`");
      }
    } else {
      // A page offers once its gathering is done (it may not trickle): nothing more follows.
      d.complete = true;
      std::lock_guard lock(parts_->mu);
      parts_->sdp_mid = session.mid;
    }
  } else {
    ACTR_TRY(d, parse_description(text));
  }
  if (offerer && d.setup != "active") {
    return make_error("webrtc: the answer must take the DTLS client role (a=setup:active)");
  }
  if (!offerer && d.setup == "active") {
    return make_error("webrtc: the offer must leave the DTLS client role to us (a=setup:actpass)");
  }
  {
    std::unique_lock lock(parts_->mu);
    if (parts_->dtls) {
      // Set up already: an ICE restart, under the same certificate.
      if (d.fingerprint != parts_->remote_fingerprint) {
        return make_error("webrtc: a restart cannot change the peer's certificate");
      }
      lock.unlock();
      if (!offerer) ACTR_TRY_VOID(parts_->ice->restart());  // new credentials, then answer
      return parts_->ice->set_remote_description(d.ice, d.complete);
    }
    parts_->remote_fingerprint = d.fingerprint;
  }
  ACTR_TRY(std::unique_ptr<DtlsTransport> dtls,
           DtlsTransport::create(*parts_->loop, parts_->options.certificate,
                                 offerer ? DtlsRole::Server : DtlsRole::Client, d.fingerprint,
                                 parts_->dtls_events()));
  {
    std::lock_guard lock(parts_->mu);
    parts_->dtls = std::move(dtls);
  }
  ACTR_TRY_VOID(parts_->ice->set_remote_description(d.ice, d.complete));
  parts_->maybe_start_dtls();
  return {};
}

Result<void> PeerConnection::add_remote_candidate(const std::string& candidate) {
  if (!candidate.empty() && !candidate.starts_with("a=candidate:") &&
      !candidate.starts_with("candidate:")) {
    return make_error("webrtc: not a candidate line");
  }
  // A browser trickles TCP candidates and mDNS names too; libnice cannot use them (and would
  // refuse the line), so they are passed over like those of a full SDP.
  if (tcp_or_mdns_candidate(candidate)) return {};
  // Browsers write candidates without the "a=" of an SDP line.
  return parts_->ice->add_remote_candidate(candidate.starts_with("candidate:") ? "a=" + candidate
                                                                               : candidate);
}

Result<void> PeerConnection::restart_ice() {
  if (!parts_->options.offerer) return make_error("webrtc: the offerer restarts ICE");
  {
    std::lock_guard lock(parts_->mu);
    if (!parts_->dtls) return make_error("webrtc: nothing to restart yet");
  }
  return parts_->ice->restart();
}

Result<uint16_t> PeerConnection::open_channel(const std::string& label,
                                              ChannelReliability reliability) {
  if (parts_->state.load() != PeerState::Connected) return make_error("webrtc: not connected");
  return parts_->sctp->open_channel(label, reliability);
}

Result<void> PeerConnection::send(uint16_t stream, std::span<const uint8_t> message, bool binary) {
  if (parts_->state.load() != PeerState::Connected) return make_error("webrtc: not connected");
  return parts_->sctp->send(stream, message, binary);
}

PeerState PeerConnection::state() const { return parts_->state.load(); }
std::optional<bool> PeerConnection::relayed() const { return parts_->ice->relayed(); }

}  // namespace actr::webrtc
