// InCall<T>: an optional whose value lives in a heap block that each thread reuses, for an actor's
// members that hold something only while a call runs (the running message, the call context, the
// result of a wait). An idle actor keeps a pointer instead of the value's bytes (~700 of them for
// the three), and a running call takes its block from the thread's cache, not from malloc.
#pragma once

#include <new>
#include <utility>

namespace actr::runtime {

template <typename T>
class InCall {
 public:
  InCall() = default;
  InCall(const InCall&) = delete;
  InCall& operator=(const InCall&) = delete;
  ~InCall() { reset(); }

  template <typename... Args>
  T& emplace(Args&&... args) {
    reset();
    void* block = take_block();
    try {
      value_ = ::new (block) T(std::forward<Args>(args)...);
    } catch (...) {
      give_block(block);
      throw;
    }
    return *value_;
  }
  InCall& operator=(T&& value) {
    if (value_ != nullptr) {
      *value_ = std::move(value);
    } else {
      emplace(std::move(value));
    }
    return *this;
  }
  void reset() {
    if (value_ == nullptr) return;
    T* value = value_;
    value_ = nullptr;
    value->~T();
    give_block(value);
  }

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return value_ != nullptr; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_; }
  const T* operator->() const { return value_; }

 private:
  // One spare block per thread and type: a call's members go back to it when the call ends, and
  // the next call on the thread takes them again. Freed when the thread ends; a block given back
  // after that (an actor destroyed later on the exiting thread) is freed at once.
  struct Spare {
    void* block = nullptr;
    bool gone = false;
    ~Spare() {
      gone = true;
      if (block != nullptr) ::operator delete(block, std::align_val_t(alignof(T)));
      block = nullptr;
    }
  };
  static Spare& spare() {
    thread_local Spare s;
    return s;
  }
  static void* take_block() {
    Spare& s = spare();
    if (void* block = s.block) {
      s.block = nullptr;
      return block;
    }
    return ::operator new(sizeof(T), std::align_val_t(alignof(T)));
  }
  static void give_block(void* block) {
    Spare& s = spare();
    if (s.block == nullptr && !s.gone) {
      s.block = block;
    } else {
      ::operator delete(block, std::align_val_t(alignof(T)));
    }
  }

  T* value_ = nullptr;
};

}  // namespace actr::runtime
