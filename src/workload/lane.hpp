// Delivery lanes of one mailbox.
#pragma once

#include <cstdint>

namespace actr::workload {

// Every queued Signal message is delivered before any Reliable one.
enum class Lane : uint8_t { Signal = 0, Reliable = 1 };

}  // namespace actr::workload
