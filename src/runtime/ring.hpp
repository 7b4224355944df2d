// A growable circular FIFO. A std::deque of a large element allocates a block per element (its
// blocks hold 512 bytes), so a queue that is pushed and popped once per message would allocate
// per message; a ring reuses its slots and only grows (doubling) when more wait at once than ever
// before. Not thread-safe: callers lock (an actor's mailbox) or own it (a worker's local tasks).
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace actr::runtime {

template <class T>
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  void push_back(T&& value) {
    grow_if_full();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }
  void push_back(const T& value) { push_back(T(value)); }
  // Appends by letting `fill(slot)` overwrite the slot (which holds a moved-from value or a
  // default one): a large element built from its parts moves once instead of twice.
  template <class Fill>
  void push_back_with(Fill&& fill) {
    grow_if_full();
    fill(slots_[(head_ + size_) & (slots_.size() - 1)]);
    ++size_;
  }
  void push_front(T&& value) {
    grow_if_full();
    head_ = (head_ + slots_.size() - 1) & (slots_.size() - 1);
    slots_[head_] = std::move(value);
    ++size_;
  }
  // The oldest element (not empty()).
  const T& front() const { return slots_[head_]; }
  // The oldest element, moved out; the slot keeps a moved-from value until it is reused.
  T pop_front() {
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return value;
  }
  // The oldest element moved straight into `out` (one move, for large elements).
  // `out`: a std::optional<T> or the like (emplace).
  template <class Optional>
  void pop_front_into(Optional& out) {
    out.emplace(std::move(slots_[head_]));
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }
  // Moves every element out, oldest first, and leaves the ring empty.
  template <class Fn>
  void drain(Fn&& fn) {
    while (size_ > 0) fn(pop_front());
  }

 private:
  void grow_if_full() {
    if (size_ < slots_.size()) return;
    std::vector<T> bigger(slots_.empty() ? 8 : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;  // a power of two in size
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace actr::runtime
