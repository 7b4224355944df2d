// A signaling server's name among the servers of its realm (NATS keys and subjects carry it):
// random on the first start, then kept in DATA_DIR/server-id, so a restarted server recognises
// (and withdraws) the live entries it left behind when it stopped or died.
#pragma once

#include <filesystem>
#include <string>

#include "actr/common/result.hpp"

namespace actr::signaling::server {

inline constexpr const char* kServerIdFileName = "server-id";

actr::Result<std::string> ensure_server_id(const std::filesystem::path& data_dir);

}  // namespace actr::signaling::server
