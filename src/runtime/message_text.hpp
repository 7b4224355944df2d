// Every string a message carries reaches a guest as a WIT string, which must be valid UTF-8. What
// clients and peers send is checked when it is delivered, so a bad byte is refused to its sender
// (`invalid-argument`) instead of failing later inside the actor.
#pragma once

#include <optional>
#include <string>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

// Names the first string of `message` that is not valid UTF-8 and why ("the route key is not
// valid UTF-8: invalid utf-8 sequence of 1 bytes from index 0"); nullopt when all are valid.
std::optional<std::string> invalid_text(const Message& message);

}  // namespace actr::runtime
