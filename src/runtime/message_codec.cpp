#include "runtime/message_codec.hpp"

#include <cstring>

namespace actr::runtime {

namespace {

constexpr uint8_t kVersion = 1;

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void bytes(const Bytes& b) {
    u32(static_cast<uint32_t>(b.size()));
    raw(b.data(), b.size());
  }
  void id(const ActrId& id) {
    u32(id.realm.realm_id);
    u64(id.serial_number);
    str(id.type.manufacturer);
    str(id.type.name);
    str(id.type.version);
  }
  Bytes out;

 private:
  void raw(const void* p, size_t n) {
    if (n == 0) return;
    size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, p, n);
  }
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  uint8_t u8() {
    uint8_t v = 0;
    raw(&v, 1);
    return v;
  }
  uint32_t u32() {
    uint32_t v = 0;
    raw(&v, 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    raw(&v, 8);
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    if (!check(n)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  Bytes bytes() {
    uint32_t n = u32();
    if (!check(n)) return {};
    Bytes b(in_.begin() + pos_, in_.begin() + pos_ + n);
    pos_ += n;
    return b;
  }
  ActrId id() {
    ActrId id;
    id.realm.realm_id = u32();
    id.serial_number = u64();
    id.type.manufacturer = str();
    id.type.name = str();
    id.type.version = str();
    return id;
  }

 private:
  bool check(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  void raw(void* p, size_t n) {
    if (!check(n)) return;
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

Bytes encode_body(const Message& m) {
  Writer w;
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(m.kind));
  w.str(m.route_key);
  w.bytes(m.payload);
  w.u8(m.caller ? 1 : 0);
  if (m.caller) w.id(*m.caller);
  w.u32(static_cast<uint32_t>(m.chain.size()));
  for (uint64_t s : m.chain) w.u64(s);
  w.u8(static_cast<uint8_t>(m.payload_type.tag()));
  w.u8(m.chunk ? 1 : 0);
  if (m.chunk) {
    const DataStream& c = *m.chunk;
    w.str(c.stream_id);
    w.u64(c.sequence);
    w.bytes(c.payload);
    w.u32(static_cast<uint32_t>(c.metadata.size()));
    for (const auto& e : c.metadata) {
      w.str(e.key);
      w.str(e.value);
    }
    w.u8(c.timestamp_ms ? 1 : 0);
    if (c.timestamp_ms) w.u64(static_cast<uint64_t>(*c.timestamp_ms));
  }
  return std::move(w.out);
}

Result<Message> decode_body(std::span<const uint8_t> body) {
  Reader r(body);
  Message m;
  uint8_t version = r.u8();
  if (r.ok() && version != kVersion) {
    return make_error("mailbox message of unknown format version " + std::to_string(version));
  }
  uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(Message::Kind::Stream)) {
    return make_error("mailbox message of unknown kind " + std::to_string(kind));
  }
  m.kind = static_cast<Message::Kind>(kind);
  m.route_key = r.str();
  m.payload = r.bytes();
  if (r.u8()) m.caller = r.id();
  uint32_t chain = r.u32();
  if (chain > body.size() / 8) return make_error("mailbox message: damaged call chain");
  for (uint32_t i = 0; i < chain; ++i) m.chain.push_back(r.u64());
  uint8_t ptype = r.u8();
  if (ptype > static_cast<uint8_t>(PayloadType::Tag::MediaRtp)) {
    return make_error("mailbox message: unknown payload type " + std::to_string(ptype));
  }
  m.payload_type.value = [&]() -> PayloadType::Value {
    switch (ptype) {
      case 0:
        return PayloadType::Value(std::in_place_index<0>);
      case 1:
        return PayloadType::Value(std::in_place_index<1>);
      case 2:
        return PayloadType::Value(std::in_place_index<2>);
      case 3:
        return PayloadType::Value(std::in_place_index<3>);
      default:
        return PayloadType::Value(std::in_place_index<4>);
    }
  }();
  if (r.u8()) {
    DataStream c;
    c.stream_id = r.str();
    c.sequence = r.u64();
    c.payload = r.bytes();
    uint32_t n = r.u32();
    if (n > body.size() / 8) return make_error("mailbox message: damaged metadata");
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      workload::types::MetadataEntry e;
      e.key = r.str();
      e.value = r.str();
      c.metadata.push_back(std::move(e));
    }
    if (r.u8()) c.timestamp_ms = static_cast<int64_t>(r.u64());
    m.chunk = std::move(c);
  }
  if (!r.ok()) return make_error("mailbox message is truncated");
  if (!r.at_end()) return make_error("mailbox message has trailing bytes");
  return m;
}

}  // namespace actr::runtime
