// The serial numbers of the actors whose dispatch waits on a message (Message::chain): a
// sequence that is nearly always short (one entry per nested call), so the first few entries
// live inside the message. Every actor -> actor call builds one; a std::vector cost an allocation
// per call.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <vector>

namespace actr::workload {

class CallChain {
 public:
  using value_type = uint64_t;
  using iterator = const uint64_t*;
  using const_iterator = const uint64_t*;

  CallChain() = default;
  CallChain(std::initializer_list<uint64_t> serials) { assign(serials.begin(), serials.end()); }
  CallChain(const CallChain& other) { assign(other.begin(), other.end()); }
  CallChain(CallChain&& other) noexcept { take(other); }
  CallChain& operator=(const CallChain& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  CallChain& operator=(CallChain&& other) noexcept {
    if (this != &other) take(other);
    return *this;
  }
  CallChain& operator=(std::initializer_list<uint64_t> serials) {
    assign(serials.begin(), serials.end());
    return *this;
  }

  const uint64_t* begin() const { return data(); }
  const uint64_t* end() const { return data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint64_t operator[](size_t i) const { return data()[i]; }

  void clear() {
    size_ = 0;
    spilled_.clear();
  }
  void reserve(size_t n) {
    if (n > kInline) spilled_.reserve(n);
  }
  template <class It>
  void assign(It first, It last) {
    clear();
    reserve(static_cast<size_t>(std::distance(first, last)));
    for (; first != last; ++first) push_back(static_cast<uint64_t>(*first));
  }
  void push_back(uint64_t serial) {
    if (size_ < kInline) {
      inline_[size_++] = serial;
      return;
    }
    if (size_ == kInline) spilled_.assign(inline_, inline_ + kInline);
    spilled_.push_back(serial);
    ++size_;
  }

  friend bool operator==(const CallChain& a, const CallChain& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const CallChain& a, const std::vector<uint64_t>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  static constexpr size_t kInline = 4;
  const uint64_t* data() const { return size_ <= kInline ? inline_ : spilled_.data(); }
  void take(CallChain& other) {
    size_ = other.size_;
    std::copy(other.inline_, other.inline_ + std::min(size_, kInline), inline_);
    spilled_ = std::move(other.spilled_);
    other.clear();
  }

  size_t size_ = 0;
  uint64_t inline_[kInline] = {};
  std::vector<uint64_t> spilled_;  // every entry, once there are more than kInline
};

}  // namespace actr::workload
