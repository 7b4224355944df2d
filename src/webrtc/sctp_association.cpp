#include "webrtc/sctp_association.hpp"

#include <arpa/inet.h>
#include <usrsctp.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

namespace actr::webrtc {

const char* const kBufferFull = "sctp: the send buffer is full";

namespace {

constexpr uint16_t kPort = 5000;
// Payload protocol identifiers (RFC 8831 8): control, string, binary, and their empty forms.
constexpr uint32_t kPpidControl = 50, kPpidString = 51, kPpidBinary = 53;
constexpr uint32_t kPpidStringEmpty = 56, kPpidBinaryEmpty = 57;
// DATA_CHANNEL_OPEN / ACK message types and channel types (RFC 8832 5.1).
constexpr uint8_t kOpen = 0x03, kAck = 0x02;
constexpr uint8_t kReliable = 0x00, kPartialRexmit = 0x01, kUnorderedBit = 0x80;
// The SCTP packet must fit in a DTLS record inside the 1200-byte datagram (record header,
// explicit nonce and tag of AES-GCM: < 40 bytes).
constexpr uint32_t kPathMtu = 1150;
constexpr size_t kMaxMessage = 256 * 1024;  // as browsers announce (a=max-message-size)
constexpr int kBufferBytes = 4 << 20;       // send and receive buffers
// on_writable fires when this much of the send buffer is free again after a send found it full.
constexpr uint32_t kWritableThreshold = kBufferBytes / 2;

// Associations by their usrsctp address, for usrsctp's callbacks, which may run after an
// association began to go away. Recursive: an outgoing packet may be sent while an incoming one
// is processed on the same thread. Addresses are numbers never used twice (not pointers, which
// the allocator reuses while usrsctp may still know the old association).
std::recursive_mutex g_mu;
uintptr_t g_next_address = 0;
std::unordered_map<void*, std::weak_ptr<SctpAssociation::Impl>>& live() {
  static auto* map = new std::unordered_map<void*, std::weak_ptr<SctpAssociation::Impl>>();
  return *map;
}

std::shared_ptr<SctpAssociation::Impl> find_live(void* address) {
  std::lock_guard lock(g_mu);
  auto it = live().find(address);
  return it == live().end() ? nullptr : it->second.lock();
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

int conn_output(void* address, void* buffer, size_t length, uint8_t, uint8_t);
void init_usrsctp() {
  static std::once_flag once;
  std::call_once(once, [] {
    usrsctp_init(0, conn_output, nullptr);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    // Retransmission timers for real-time paths, not SCTP's WAN defaults (RTO 1 s minimum,
    // 3 s initial, 60 s maximum): one lost datagram would stall a channel for a second or more
    // and a few in a row for a minute. 100 ms / 1 s / 5 s, as data channel stacks choose.
    usrsctp_sysctl_set_sctp_rto_min_default(100);
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_max_default(5000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(5000);
    // Acknowledge within 20 ms rather than 200: the sender's window opens sooner.
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
  });
}

}  // namespace

struct SctpAssociation::Impl : std::enable_shared_from_this<Impl> {
  void* address = nullptr;  // usrsctp's name of this association
  GlibLoop* loop = nullptr;
  bool dtls_client = false;
  SctpEvents events;
  struct socket* sock = nullptr;

  std::mutex mu;
  std::map<uint16_t, Channel> channels;
  std::map<uint16_t, std::vector<uint8_t>> partial;  // messages delivered in pieces
  uint16_t next_stream = 0;
  bool started = false;
  // Packets that came before start(): the peer's INIT may beat our own connect, and a socket
  // that has not connected would answer it with an ABORT.
  std::vector<std::vector<uint8_t>> early;
  bool open = false;
  bool closed = false;
  std::set<uint16_t> discarding;  // streams whose current message went over kMaxMessage
  // A send found the buffer full: on_writable runs when usrsctp reports room again.
  std::atomic<bool> blocked{false};

  // On the loop, never inside usrsctp.
  void post(std::function<void(Impl&)> fn) {
    loop->post([weak = weak_from_this(), fn = std::move(fn)] {
      if (auto self = weak.lock()) fn(*self);
    });
  }

  Result<void> sendv(uint16_t stream, uint32_t ppid, const ChannelReliability& r,
                     std::span<const uint8_t> payload) {
    sctp_sendv_spa spa{};
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = stream;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = SCTP_EOR | (r.ordered ? 0 : SCTP_UNORDERED);
    if (r.max_retransmits) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
      spa.sendv_prinfo.pr_value = *r.max_retransmits;
    }
    ssize_t n = usrsctp_sendv(sock, payload.data(), payload.size(), nullptr, 0, &spa, sizeof spa,
                              SCTP_SENDV_SPA, 0);
    if (n < 0) {
      if (errno == EWOULDBLOCK || errno == EAGAIN) {
        blocked = true;
        return make_error(kBufferFull);
      }
      return make_error(std::string("sctp: send failed: ") + std::strerror(errno));
    }
    return {};
  }

  void on_notification(const uint8_t* data, size_t length) {
    if (length < sizeof(sctp_notification::sn_header)) return;
    const auto* n = reinterpret_cast<const sctp_notification*>(data);
    if (n->sn_header.sn_type != SCTP_ASSOC_CHANGE || length < sizeof(sctp_assoc_change)) return;
    switch (n->sn_assoc_change.sac_state) {
      case SCTP_COMM_UP:
        post([](Impl& self) {
          {
            std::lock_guard lock(self.mu);
            self.open = true;
          }
          if (self.events.on_open) self.events.on_open();
        });
        break;
      case SCTP_COMM_LOST:
      case SCTP_SHUTDOWN_COMP:
      case SCTP_CANT_STR_ASSOC:
        post([state = n->sn_assoc_change.sac_state](Impl& self) {
          self.close(state == SCTP_CANT_STR_ASSOC ? "sctp: the association could not start"
                                                  : "sctp: the association ended");
        });
        break;
      default:
        break;
    }
  }

  void close(std::string why) {
    {
      std::lock_guard lock(mu);
      if (closed) return;
      closed = true;
      open = false;
    }
    if (events.on_closed) events.on_closed(std::move(why));
  }

  // A complete message of `stream`, on the loop.
  void on_message(uint16_t stream, uint32_t ppid, std::vector<uint8_t> message) {
    switch (ppid) {
      case kPpidControl:
        on_control(stream, message);
        return;
      case kPpidString:
      case kPpidBinary:
      case kPpidStringEmpty:
      case kPpidBinaryEmpty: {
        {
          std::lock_guard lock(mu);
          if (!channels.contains(stream)) return;  // data before any OPEN: not a channel
        }
        bool empty = ppid == kPpidStringEmpty || ppid == kPpidBinaryEmpty;
        bool binary = ppid == kPpidBinary || ppid == kPpidBinaryEmpty;
        if (events.on_message) {
          events.on_message(stream, empty ? std::span<const uint8_t>() : message, binary);
        }
        return;
      }
      default:
        return;  // an unknown payload protocol: dropped
    }
  }

  void on_control(uint16_t stream, const std::vector<uint8_t>& m) {
    if (m.empty()) return;
    if (m[0] == kAck) return;  // our OPEN arrived; messages were allowed already
    if (m[0] != kOpen || m.size() < 12) return;
    uint16_t label_len = get16(&m[8]), protocol_len = get16(&m[10]);
    if (m.size() < 12u + label_len + protocol_len) return;  // malformed: ignored
    Channel c;
    c.stream = stream;
    uint8_t type = m[1];
    c.reliability.ordered = (type & kUnorderedBit) == 0;
    if ((type & 0x7f) == kPartialRexmit) c.reliability.max_retransmits = get32(&m[4]);
    c.label.assign(m.begin() + 12, m.begin() + 12 + label_len);
    c.protocol.assign(m.begin() + 12 + label_len, m.begin() + 12 + label_len + protocol_len);
    {
      std::lock_guard lock(mu);
      if (channels.contains(stream)) return;  // a second OPEN for the stream: ignored
      channels[stream] = c;
    }
    const uint8_t ack[] = {kAck};
    (void)sendv(stream, kPpidControl, ChannelReliability{}, ack);
    if (events.on_channel) events.on_channel(c);
  }
};

namespace {

int conn_output(void* address, void* buffer, size_t length, uint8_t, uint8_t) {
  std::lock_guard lock(g_mu);
  auto it = live().find(address);
  if (it == live().end()) return -1;
  auto impl = it->second.lock();
  if (!impl || !impl->events.send_packet) return -1;
  impl->events.send_packet(std::span<const uint8_t>(static_cast<const uint8_t*>(buffer), length));
  return 0;
}

int receive(struct socket*, union sctp_sockstore, void* data, size_t length,
            struct sctp_rcvinfo info, int flags, void* ulp_info) {
  auto impl = find_live(ulp_info);
  if (!data) {  // the association is gone
    if (impl)
      impl->post([](SctpAssociation::Impl& self) { self.close("sctp: the association ended"); });
    return 1;
  }
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (impl) {
    if (flags & MSG_NOTIFICATION) {
      impl->on_notification(bytes, length);
    } else {
      uint16_t stream = info.rcv_sid;
      uint32_t ppid = ntohl(info.rcv_ppid);
      std::vector<uint8_t> piece(bytes, bytes + length);
      bool complete = (flags & MSG_EOR) != 0;
      std::vector<uint8_t> message;
      {
        std::lock_guard lock(impl->mu);
        auto& buffer = impl->partial[stream];
        if (impl->discarding.contains(stream)) {
          // The rest of an oversized message: dropped up to its end.
          if (complete) impl->discarding.erase(stream);
          complete = false;
        } else if (buffer.size() + piece.size() > kMaxMessage) {
          buffer.clear();  // an oversized message: dropped whole
          if (!complete) impl->discarding.insert(stream);
          complete = false;
        } else {
          buffer.insert(buffer.end(), piece.begin(), piece.end());
        }
        if (complete) message.swap(buffer);
      }
      if (complete) {
        impl->post(
            [stream, ppid, message = std::move(message)](SctpAssociation::Impl& self) mutable {
              self.on_message(stream, ppid, std::move(message));
            });
      }
    }
  }
  free(data);  // usrsctp's callback API hands the buffer over
  return 1;
}

// usrsctp calls this when acknowledged data left at least the threshold free in the send buffer.
int send_ready(struct socket*, uint32_t, void* ulp_info) {
  auto impl = find_live(ulp_info);
  if (impl && impl->blocked.exchange(false)) {
    impl->post([](SctpAssociation::Impl& self) {
      if (self.events.on_writable) self.events.on_writable();
    });
  }
  return 1;
}

}  // namespace

Result<std::unique_ptr<SctpAssociation>> SctpAssociation::create(GlibLoop& loop, bool dtls_client,
                                                                 SctpEvents events) {
  init_usrsctp();
  auto impl = std::make_shared<Impl>();
  impl->loop = &loop;
  impl->dtls_client = dtls_client;
  impl->events = std::move(events);
  impl->next_stream = dtls_client ? 0 : 1;
  {
    std::lock_guard lock(g_mu);
    impl->address = reinterpret_cast<void*>(++g_next_address);
    live()[impl->address] = impl;
  }
  usrsctp_register_address(impl->address);
  impl->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive, send_ready,
                              kWritableThreshold, impl->address);
  if (!impl->sock) {
    std::lock_guard lock(g_mu);
    live().erase(impl->address);
    usrsctp_deregister_address(impl->address);
    return make_error(std::string("sctp: cannot make a socket: ") + std::strerror(errno));
  }
  return std::unique_ptr<SctpAssociation>(new SctpAssociation(std::move(impl)));
}

SctpAssociation::SctpAssociation(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

SctpAssociation::~SctpAssociation() {
  Impl* impl = impl_.get();
  // SO_LINGER 0: close aborts at once instead of a graceful shutdown that would outlive us. The
  // ABORT goes out during the close, while the association is still found, so that the peer
  // learns at once that it is gone (not only when its heartbeats go unanswered).
  linger l{1, 0};
  usrsctp_setsockopt(impl->sock, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  usrsctp_close(impl->sock);
  {
    std::lock_guard lock(g_mu);
    live().erase(impl->address);  // usrsctp's callbacks find nothing from here on
  }
  usrsctp_deregister_address(impl->address);
  // Events already posted may still run (they hold a weak reference): on the loop, where none
  // is running meanwhile, they lose their handlers.
  impl->loop->run_sync([impl] { impl->events = SctpEvents{}; });
}

Result<void> SctpAssociation::start() {
  struct socket* s = impl_->sock;
  usrsctp_set_non_blocking(s, 1);
  // usrsctp's default buffers (256 KiB) cap a loopback transfer near 200 Mbit/s; browsers use
  // a few MiB.
  int buffer = kBufferBytes;
  usrsctp_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  usrsctp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  uint32_t on = 1;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
  sctp_assoc_value reset{};
  reset.assoc_id = SCTP_ALL_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset);
  sctp_initmsg init{};
  init.sinit_num_ostreams = 1024;
  init.sinit_max_instreams = 1024;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init);
  sctp_event event{};
  event.se_assoc_id = SCTP_ALL_ASSOC;
  event.se_on = 1;
  event.se_type = SCTP_ASSOC_CHANGE;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_EVENT, &event, sizeof event);
  sctp_paddrparams params{};
  params.spp_assoc_id = SCTP_FUTURE_ASSOC;
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = kPathMtu;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params, sizeof params);

  sockaddr_conn address{};
  address.sconn_family = AF_CONN;
  address.sconn_port = htons(kPort);
  address.sconn_addr = impl_->address;
  if (usrsctp_bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    return make_error(std::string("sctp: bind failed: ") + std::strerror(errno));
  }
  if (usrsctp_connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 &&
      errno != EINPROGRESS) {
    return make_error(std::string("sctp: connect failed: ") + std::strerror(errno));
  }
  std::vector<std::vector<uint8_t>> early;
  {
    std::lock_guard lock(impl_->mu);
    impl_->started = true;
    early.swap(impl_->early);
  }
  for (const auto& packet : early) {
    usrsctp_conninput(impl_->address, packet.data(), packet.size(), 0);
  }
  return {};
}

void SctpAssociation::receive_packet(std::span<const uint8_t> packet) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started) {
      if (impl_->early.size() < 16) impl_->early.emplace_back(packet.begin(), packet.end());
      return;
    }
  }
  usrsctp_conninput(impl_->address, packet.data(), packet.size(), 0);
}

Result<uint16_t> SctpAssociation::open_channel(const std::string& label,
                                               ChannelReliability reliability,
                                               const std::string& protocol) {
  if (label.size() > 0xffff || protocol.size() > 0xffff) {
    return make_error("sctp: a channel label or protocol is too long");
  }
  uint16_t stream;
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->open) return make_error("sctp: the association is not open");
    if (impl_->next_stream >= 1024) return make_error("sctp: no stream left for a channel");
    stream = impl_->next_stream;
    impl_->next_stream = static_cast<uint16_t>(impl_->next_stream + 2);
    impl_->channels[stream] = Channel{stream, label, protocol, reliability};
  }
  std::vector<uint8_t> open{kOpen};
  uint8_t type = reliability.max_retransmits ? kPartialRexmit : kReliable;
  if (!reliability.ordered) type |= kUnorderedBit;
  open.push_back(type);
  put16(open, 256);  // priority: normal
  put32(open, reliability.max_retransmits.value_or(0));
  put16(open, static_cast<uint16_t>(label.size()));
  put16(open, static_cast<uint16_t>(protocol.size()));
  open.insert(open.end(), label.begin(), label.end());
  open.insert(open.end(), protocol.begin(), protocol.end());
  // The OPEN itself is reliable and ordered whatever the channel is (RFC 8832 6).
  ACTR_TRY_VOID(impl_->sendv(stream, kPpidControl, ChannelReliability{}, open));
  return stream;
}

Result<void> SctpAssociation::send(uint16_t stream, std::span<const uint8_t> message, bool binary) {
  if (message.size() > kMaxMessage) return make_error("sctp: the message is over 256 KiB");
  ChannelReliability reliability;
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->open) return make_error("sctp: the association is not open");
    auto it = impl_->channels.find(stream);
    if (it == impl_->channels.end()) return make_error("sctp: no channel on that stream");
    reliability = it->second.reliability;
  }
  if (message.empty()) {
    const uint8_t zero[] = {0};
    return impl_->sendv(stream, binary ? kPpidBinaryEmpty : kPpidStringEmpty, reliability, zero);
  }
  return impl_->sendv(stream, binary ? kPpidBinary : kPpidString, reliability, message);
}

bool SctpAssociation::is_open() const {
  std::lock_guard lock(impl_->mu);
  return impl_->open;
}

}  // namespace actr::webrtc
