#include "text.hpp"

namespace guest {

const char* const kErrorCaseNames[kErrorCaseCount] = {
    "unavailable",
    "timed-out",
    "not-found",
    "permission-denied",
    "invalid-argument",
    "unknown-route",
    "dependency-not-found",
    "decode-failure",
    "not-implemented",
    "internal",
};

const char* const kErrorCategoryNames[5] = {
    "handler-panic",
    "handler-error",
    "signaling-failure",
    "transport-failure",
    "data-stream-delivery-uncertain",
};

const char* const kPayloadTypeNames[5] = {
    "rpc-reliable", "rpc-signal", "stream-reliable", "stream-latency-first", "media-rtp",
};

std::string decimal(uint64_t v) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  std::string out;
  while (n) out.push_back(buf[--n]);
  return out;
}

std::string decimal_signed(int64_t v) {
  if (v >= 0) return decimal(static_cast<uint64_t>(v));
  return "-" + decimal(0 - static_cast<uint64_t>(v));
}

std::string hex(const uint8_t* data, uint32_t len) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (uint32_t i = 0; i < len; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

std::string text(const ActrId& id) {
  std::string out = decimal(id.realm_id);
  out += '/';
  out += decimal(id.serial_number);
  out += '/';
  out += view(id.type.manufacturer);
  out += ':';
  out += view(id.type.name);
  out += ':';
  out += view(id.type.version);
  return out;
}

std::string text(const ActrError& e) {
  if (e.tag >= kErrorCaseCount) return "<bad actr-error case " + decimal(e.tag) + ">";
  std::string out = kErrorCaseNames[e.tag];
  if (e.tag == kTimedOut) return out;
  out += '(';
  if (e.tag == kDependencyNotFound) {
    out += view(e.dep.service_name);
    out += ',';
    out += view(e.dep.message);
  } else {
    out += view(e.text);
  }
  out += ')';
  return out;
}

std::string text_timestamp(uint64_t seconds, uint32_t nanoseconds) {
  return decimal(seconds) + "s+" + decimal(nanoseconds) + "ns";
}

std::string text(const DataStream& d) {
  std::string out = "stream-id=";
  out += view(d.stream_id);
  out += " sequence=" + decimal(d.sequence);
  out += " payload=" + hex(d.payload.ptr, d.payload.len);
  out += " metadata=[";
  for (uint32_t i = 0; i < d.metadata.len; ++i) {
    if (i) out += ',';
    out += view(d.metadata.ptr[i].key);
    out += '=';
    out += view(d.metadata.ptr[i].value);
  }
  out += "] timestamp-ms=";
  out += d.timestamp_ms.is_some ? decimal_signed(d.timestamp_ms.value) : std::string("none");
  return out;
}

int find_name(const char* const* names, int count, std::string_view name) {
  for (int i = 0; i < count; ++i) {
    if (name == names[i]) return i;
  }
  return -1;
}

std::optional<std::string_view> take_until(std::string_view& s, char sep) {
  size_t at = s.find(sep);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view head = s.substr(0, at);
  s.remove_prefix(at + 1);
  return head;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflow
    v = next;
  }
  return v;
}

std::optional<int64_t> parse_s64(std::string_view s) {
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  auto magnitude = parse_u64(s);
  if (!magnitude) return std::nullopt;
  if (negative) {
    if (*magnitude > (uint64_t{1} << 63)) return std::nullopt;
    return static_cast<int64_t>(0 - *magnitude);
  }
  if (*magnitude > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(*magnitude);
}

namespace {
Str borrowed(std::string_view s) {
  return {const_cast<char*>(s.data()), static_cast<uint32_t>(s.size())};
}
}  // namespace

std::optional<ActrType> parse_type(std::string_view s) {
  auto manufacturer = take_until(s, ':');
  if (!manufacturer) return std::nullopt;
  auto name = take_until(s, ':');
  if (!name) return std::nullopt;
  return ActrType{borrowed(*manufacturer), borrowed(*name), borrowed(s)};
}

std::optional<ActrId> parse_id(std::string_view s) {
  auto realm = take_until(s, '/');
  if (!realm) return std::nullopt;
  auto serial = take_until(s, '/');
  if (!serial) return std::nullopt;
  auto realm_id = parse_u64(*realm);
  auto serial_number = parse_u64(*serial);
  auto type = parse_type(s);
  if (!realm_id || *realm_id > UINT32_MAX || !serial_number || !type) return std::nullopt;
  return ActrId{static_cast<uint32_t>(*realm_id), *serial_number, *type};
}

std::optional<Dest> parse_dest(std::string_view s) {
  Dest d{};
  if (s == "shell") {
    d.tag = kDestShell;
  } else if (s == "local") {
    d.tag = kDestLocal;
  } else {
    auto id = parse_id(s);
    if (!id) return std::nullopt;
    d.tag = kDestActor;
    d.actor = *id;
  }
  return d;
}

}  // namespace guest
