#include "wasm/interp/wabt_access.hpp"

namespace actr::wasm::interp {
namespace {

// Explicit template instantiation may name private members ([temp.spec.general]); each Tag gets
// a friend function returning the member pointer it was instantiated with.
template <typename Tag, typename Tag::type Member>
struct Expose {
  friend typename Tag::type member(Tag) { return Member; }
};

struct Frames {
  using type = std::vector<wi::Frame> wi::Thread::*;
  friend type member(Frames);
};
struct PushValues {
  using type = void (wi::Thread::*)(const wi::ValueTypes&, const wi::Values&);
  friend type member(PushValues);
};
struct PushCall {
  using type = wi::RunResult (wi::Thread::*)(const wi::DefinedFunc&, wi::Trap::Ptr*);
  friend type member(PushCall);
};
struct PopValues {
  using type = void (wi::Thread::*)(const wi::ValueTypes&, wi::Values*);
  friend type member(PopValues);
};
struct MemoryTypeField {
  using type = wi::MemoryType wi::Memory::*;
  friend type member(MemoryTypeField);
};

}  // namespace

template struct Expose<Frames, &wi::Thread::frames_>;
template struct Expose<PushValues, &wi::Thread::PushValues>;
template struct Expose<PushCall, &wi::Thread::PushCall>;
template struct Expose<PopValues, &wi::Thread::PopValues>;
template struct Expose<MemoryTypeField, &wi::Memory::type_>;

std::vector<wi::Frame>& thread_frames(wi::Thread& thread) { return thread.*member(Frames{}); }

void thread_push_values(wi::Thread& thread, const wi::ValueTypes& types, const wi::Values& values) {
  (thread.*member(PushValues{}))(types, values);
}

wi::RunResult thread_push_call(wi::Thread& thread, const wi::DefinedFunc& func,
                               wi::Trap::Ptr* out_trap) {
  return (thread.*member(PushCall{}))(func, out_trap);
}

void thread_pop_values(wi::Thread& thread, const wi::ValueTypes& types, wi::Values* out) {
  (thread.*member(PopValues{}))(types, out);
}

wi::MemoryType& memory_type(wi::Memory& memory) { return memory.*member(MemoryTypeField{}); }

}  // namespace actr::wasm::interp
