// Who may register actors at the signaling server. The server is closed by default: every
// WebSocket upgrade must carry one of its enrollment tokens ("Authorization: Bearer TOKEN"), and a
// token may be limited to some actor types. Open enrollment (anyone may register anything) exists
// for development only and must be asked for by name.
//
// Token files, one token a line, `#` starts a comment:
//   TOKEN [TYPE-PATTERN ...]     patterns: MANUFACTURER/NAME, MANUFACTURER/*, NAME (any
//                                manufacturer) or *; none: the token may register any type
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "signaling/acl_proto.hpp"
#include "signaling/ids.hpp"

namespace actr::signaling {

struct EnrollToken {
  std::string token;
  std::vector<std::string> types;  // patterns as written; empty: any type

  // Whether this token may register an actor of `type`.
  bool admits(const ActrType& type) const;
};

struct Enrollment {
  std::vector<EnrollToken> tokens;
  // Anyone who reaches the server may register any type: for development on a closed machine.
  bool open = false;

  // The token of an "Authorization" header value ("Bearer TOKEN"), compared in constant time;
  // nullptr when none matches.
  const EnrollToken* match(std::string_view authorization) const;
};

// Parses a token file's text; `source` names it in errors ("tokens:3: bad type pattern `a b/c`").
Result<std::vector<EnrollToken>> parse_enroll_tokens(std::string_view text,
                                                     std::string_view source);
Result<std::vector<EnrollToken>> read_enroll_tokens(const std::filesystem::path& path);

// The token a node sends: the first token of the file (a node may be pointed at the server's own
// token file in development).
Result<std::string> read_enroll_token_file(const std::filesystem::path& path);

// The server's default token file, `<data_dir>/enroll-token`: created with a fresh random token
// (32 bytes, hex) and mode 0600 when missing. Returns its path; `created` tells whether it is new.
Result<std::filesystem::path> ensure_enroll_token_file(const std::filesystem::path& data_dir,
                                                       bool* created = nullptr);

}  // namespace actr::signaling
