// A bounded lock-free queue of small trivially copyable tasks, many producers and one consumer: how
// workers hand each other work (a message for an actor the other worker runs, the reply of a call
// waiting there) without the io_context's mutex and an allocated handler per hand-off. A full
// queue refuses (the producer falls back to posting through the io_context). The algorithm is
// Dmitry Vyukov's bounded queue: each cell carries a sequence number that says whether it is free
// for the producer of a position or filled for its consumer.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace actr::runtime {

template <class T, size_t kCapacity>
class TaskInbox {
  static_assert((kCapacity & (kCapacity - 1)) == 0, "a power of two");
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  TaskInbox() {
    for (size_t i = 0; i < kCapacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }
  TaskInbox(const TaskInbox&) = delete;
  TaskInbox& operator=(const TaskInbox&) = delete;

  // Any thread. False when full.
  bool push(const T& value) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & (kCapacity - 1)];
      size_t seq = cell.sequence.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value = value;
          cell.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // The consumer's thread only. False when empty.
  bool pop(T& out) {
    Cell& cell = cells_[head_ & (kCapacity - 1)];
    size_t seq = cell.sequence.load(std::memory_order_acquire);
    if (static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(head_ + 1) < 0) return false;
    out = cell.value;
    cell.sequence.store(head_ + kCapacity, std::memory_order_release);
    ++head_;
    return true;
  }

  // The consumer's thread: whether a producer has filled the next cell (or is about to).
  bool maybe_nonempty() const { return tail_.load(std::memory_order_acquire) != head_; }

 private:
  struct Cell {
    std::atomic<size_t> sequence;
    T value;
  };
  std::array<Cell, kCapacity> cells_;
  alignas(64) std::atomic<size_t> tail_{0};
  alignas(64) size_t head_ = 0;
};

}  // namespace actr::runtime
