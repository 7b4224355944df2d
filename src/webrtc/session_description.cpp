#include "webrtc/session_description.hpp"

#include <sstream>
#include <vector>

namespace actr::webrtc {

namespace {

constexpr uint16_t kSctpPort = 5000;  // what SctpAssociation uses on both ends
constexpr uint64_t kOurMaxMessage = 256 * 1024;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(std::move(line));
  }
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// A candidate libnice can use: UDP, and an address rather than an mDNS name.
bool usable_candidate(const std::string& line) {
  std::istringstream in(line.substr(12));  // after "a=candidate:"
  std::string foundation, component, transport, priority, address;
  in >> foundation >> component >> transport >> priority >> address;
  if (transport != "udp" && transport != "UDP") return false;
  return address.find(".local") == std::string::npos;
}

// Our full SDP: one data section with the ICE lines, fingerprint and role of `ours`.
std::string write_full_sdp(const Description& ours, const std::string& mid, uint64_t session_id,
                           uint64_t session_version, bool trickle_accepted) {
  std::string ufrag, pwd, candidates;
  for (const std::string& line : lines_of(ours.ice)) {
    if (starts_with(line, "a=ice-ufrag:")) {
      ufrag = line;
    } else if (starts_with(line, "a=ice-pwd:")) {
      pwd = line;
    } else if (starts_with(line, "a=candidate:")) {
      candidates += line + "\r\n";
    }
  }
  std::string out;
  out += "v=0\r\n";
  out += "o=- " + std::to_string(session_id) + " " + std::to_string(session_version) +
         " IN IP4 127.0.0.1\r\n";
  out += "s=-\r\n";
  out += "t=0 0\r\n";
  out += "a=group:BUNDLE " + mid + "\r\n";
  out += "a=msid-semantic: WMS\r\n";
  out += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  out += "c=IN IP4 0.0.0.0\r\n";
  out += ufrag + "\r\n" + pwd + "\r\n";
  // The browser may trickle its candidates to us (RFC 8840); we send every one of ours here.
  if (trickle_accepted) out += "a=ice-options:trickle\r\n";
  out += "a=fingerprint:" + ours.fingerprint + "\r\n";
  out += "a=setup:" + ours.setup + "\r\n";
  out += "a=mid:" + mid + "\r\n";
  out += "a=sctp-port:" + std::to_string(kSctpPort) + "\r\n";
  out += "a=max-message-size:" + std::to_string(kOurMaxMessage) + "\r\n";
  out += candidates;
  out += "a=end-of-candidates\r\n";
  return out;
}

}  // namespace

bool tcp_or_mdns_candidate(const std::string& line) {
  size_t at = starts_with(line, "a=") ? 2 : 0;
  if (line.compare(at, 10, "candidate:") != 0) return false;
  std::istringstream in(line.substr(at + 10));
  std::string foundation, component, transport, priority, address;
  if (!(in >> foundation >> component >> transport >> priority >> address)) return false;
  return transport == "tcp" || transport == "TCP" || address.find(".local") != std::string::npos;
}

bool is_full_sdp(const std::string& text) { return starts_with(text, "v=0"); }

Result<SdpSession> parse_sdp(const std::string& sdp) {
  SdpSession s;
  std::string session_fingerprint, session_setup, session_ufrag, session_pwd;
  std::string ufrag, pwd;
  std::vector<std::string> candidates;
  int data_sections = 0;
  bool in_data = false;
  bool end_of_candidates = false;
  for (const std::string& line : lines_of(sdp)) {
    if (starts_with(line, "m=")) {
      if (line.find("webrtc-datachannel") == std::string::npos) {
        return make_error("sdp: only a data channel section is supported, not `" + line + "`");
      }
      if (++data_sections > 1) return make_error("sdp: more than one data channel section");
      in_data = true;
      continue;
    }
    auto value = [&](const char* prefix) { return line.substr(std::string(prefix).size()); };
    if (starts_with(line, "a=fingerprint:")) {
      (in_data ? s.description.fingerprint : session_fingerprint) = value("a=fingerprint:");
    } else if (starts_with(line, "a=setup:")) {
      (in_data ? s.description.setup : session_setup) = value("a=setup:");
    } else if (starts_with(line, "a=ice-ufrag:")) {
      (in_data ? ufrag : session_ufrag) = value("a=ice-ufrag:");
    } else if (starts_with(line, "a=ice-pwd:")) {
      (in_data ? pwd : session_pwd) = value("a=ice-pwd:");
    } else if (in_data && starts_with(line, "a=mid:")) {
      s.mid = value("a=mid:");
    } else if (in_data && starts_with(line, "a=sctp-port:")) {
      s.sctp_port = static_cast<uint16_t>(std::strtoul(value("a=sctp-port:").c_str(), nullptr, 10));
    } else if (in_data && starts_with(line, "a=max-message-size:")) {
      s.max_message_size = std::strtoull(value("a=max-message-size:").c_str(), nullptr, 10);
    } else if (in_data && starts_with(line, "a=candidate:") && usable_candidate(line)) {
      candidates.push_back(line);
    } else if (line == "a=end-of-candidates") {
      end_of_candidates = true;
    }
  }
  if (data_sections == 0) return make_error("sdp: no data channel section (m=application)");
  if (s.description.fingerprint.empty()) s.description.fingerprint = session_fingerprint;
  if (s.description.setup.empty()) s.description.setup = session_setup;
  if (ufrag.empty()) ufrag = session_ufrag;
  if (pwd.empty()) pwd = session_pwd;
  if (ufrag.empty() || pwd.empty()) return make_error("sdp: no ICE credentials (a=ice-ufrag/pwd)");
  if (s.description.fingerprint.rfind("sha-256 ", 0) != 0) {
    return make_error("sdp: no sha-256 a=fingerprint");
  }
  if (s.sctp_port != kSctpPort) {
    return make_error("sdp: SCTP port " + std::to_string(s.sctp_port) + " (only " +
                      std::to_string(kSctpPort) + " is supported)");
  }
  if (s.mid.empty()) s.mid = "0";
  // The ICE part as libnice's own descriptions spell it: one stream, its credentials, candidates.
  std::string ice =
      "m=- 0 ICE/SDP\nc=IN IP4 0.0.0.0\na=ice-ufrag:" + ufrag + "\na=ice-pwd:" + pwd + "\n";
  for (const auto& c : candidates) ice += c + "\n";
  s.description.ice = std::move(ice);
  s.description.complete = end_of_candidates;
  return s;
}

std::string write_sdp_answer(const Description& ours, const std::string& mid, uint64_t session_id) {
  return write_full_sdp(ours, mid, session_id, 2, false);
}

std::string write_sdp_offer(const Description& ours, uint64_t session_id,
                            uint64_t session_version) {
  return write_full_sdp(ours, kOfferMid, session_id, session_version, true);
}

}  // namespace actr::webrtc
