// The ahead-of-time backend: wasm2c -> C -> system compiler -> cached shared object -> dlopen.
// See runtime.hpp for how traps, deadlines and call depth work, code_cache.hpp for the cache.
#pragma once

#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>

#include "actr/wasm/engine.hpp"

namespace actr::wasm {

// Knobs of the aot engine beyond EngineOptions.
struct AotOptions {
  // Start the linear memory of a module's instances from an image made once per module and mapped
  // copy-on-write (src/wasm/aot/memory_image.hpp), where the module qualifies. Off: every
  // instance copies its data segments into fresh pages (the plain path; tests compare the two).
  bool memory_images = true;
};

Result<std::unique_ptr<Engine>> make_aot_engine(const EngineOptions& options);
Result<std::unique_ptr<Engine>> make_aot_engine(const EngineOptions& options,
                                                const AotOptions& aot);
// Process-wide counts of memory images made and of instances whose memory started from one.
struct AotImageStats {
  uint64_t images = 0;
  uint64_t instances = 0;
};
AotImageStats aot_memory_image_stats();
// True when the C compiler the aot engine would use can be run.
bool aot_compiler_available();
// How many times this process ran the C compiler on a module (a cache hit runs it zero times).
uint64_t aot_compiler_invocations();

namespace aot_detail {

struct TypedTarget {
  void* store = nullptr;       // the store's runtime context
  void* instance = nullptr;    // the compiled instance
  void (*fn)(void) = nullptr;  // T fn(void* instance, params...)
};

// Succeeds when `func` is a guest function of an aot store with exactly type `expected`.
Result<TypedTarget> typed_target(const Func& func, const FuncType& expected);
// Runs thunk(context) as a guest entry of `store` (traps, poisoning, deadline, depth).
Result<void> typed_entry(void* store, void (*thunk)(void* context, uint64_t* unused),
                         void* context);

template <typename T>
constexpr ValType val_type_of() {
  static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t> ||
                    std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> ||
                    std::is_same_v<T, float> || std::is_same_v<T, double>,
                "typed calls take i32/i64/f32/f64 values");
  if constexpr (sizeof(T) == 4 && std::is_integral_v<T>) return ValType::I32;
  if constexpr (sizeof(T) == 8 && std::is_integral_v<T>) return ValType::I64;
  if constexpr (std::is_same_v<T, float>) return ValType::F32;
  return ValType::F64;
}

}  // namespace aot_detail

// A direct, typed call path into an aot-compiled guest function: no virtual dispatch and no slot
// marshaling, with the same guarantees as Func::call (traps become errors and poison the store,
// deadline, call depth). Bind once, call many times. Valid while the function's store lives.
template <typename Signature>
class AotTypedFunc;

template <typename R, typename... Args>
class AotTypedFunc<R(Args...)> {
 public:
  static Result<AotTypedFunc> bind(std::shared_ptr<Func> func) {
    FuncType type{{aot_detail::val_type_of<Args>()...}, {}};
    if constexpr (!std::is_void_v<R>) type.results.push_back(aot_detail::val_type_of<R>());
    ACTR_TRY(aot_detail::TypedTarget target, aot_detail::typed_target(*func, type));
    return AotTypedFunc(target, std::move(func));
  }

  Result<R> operator()(Args... args) const {
    Call call{target_, {args...}, {}};
    ACTR_TRY_VOID(aot_detail::typed_entry(target_.store, &Call::run, &call));
    if constexpr (!std::is_void_v<R>) {
      return call.result;
    } else {
      return {};
    }
  }

 private:
  struct Call {
    aot_detail::TypedTarget target;
    std::tuple<Args...> args;
    std::conditional_t<std::is_void_v<R>, char, R> result;

    static void run(void* context, uint64_t*) {
      auto* c = static_cast<Call*>(context);
      auto fn = reinterpret_cast<R (*)(void*, Args...)>(c->target.fn);
      std::apply(
          [&](Args... a) {
            if constexpr (std::is_void_v<R>) {
              fn(c->target.instance, a...);
            } else {
              c->result = fn(c->target.instance, a...);
            }
          },
          c->args);
    }
  };

  AotTypedFunc(aot_detail::TypedTarget target, std::shared_ptr<Func> func)
      : target_(target), func_(std::move(func)) {}

  aot_detail::TypedTarget target_;
  std::shared_ptr<Func> func_;
};

}  // namespace actr::wasm
