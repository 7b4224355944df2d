// actr's binding runtime (include/actr/wit; hand-written, not generated): actr-witgen writes a
// copy of it beside the bindings it generates, which include it by its bare name.
// The canonical ABI for C++ values inside the guest: memory layout (store/load) and flat core
// values (lower/lift) per CanonicalABI.md. Flat values travel as 64-bit slots holding the value's
// bits zero-extended (i32 as unsigned, f32 as its bit pattern), which is exactly what the ABI's
// variant joining (i32|f32 -> i32, anything else -> i64) needs: a slot converts to whatever core
// type the joined position has without knowing which case wrote it.
//
// Ownership: lifted strings and lists were allocated through cabi_realloc by the host; lifting
// copies them into std::string / std::vector and gives the block back (HostBlocks). Lowering points
// strings and byte lists at the C++ values themselves (the import's arguments, or the export's
// result, kept alive until its cabi_post_ function runs) and allocates other lists in an Arena,
// released after the import call or by the cabi_post_ function.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "actr_wit_runtime.hpp"

static_assert(sizeof(void*) == 4, "guest bindings are for wasm32");

namespace actr::wit::abi {

constexpr uint32_t align_to(uint32_t offset, uint32_t alignment) {
  return (offset + alignment - 1) & ~(alignment - 1);
}
constexpr uint32_t max_of(uint32_t a, uint32_t b) { return a > b ? a : b; }
constexpr uint32_t discriminant_size(size_t cases) {
  return cases <= 256 ? 1 : cases <= 65536 ? 2 : 4;
}

[[noreturn]] inline void trap() { __builtin_trap(); }

inline uint32_t address(const void* p) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
}
inline uint8_t* pointer(uint32_t address) {
  return reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(address));
}

// Slots <-> core values.
inline int32_t core_i32(uint64_t s) { return static_cast<int32_t>(static_cast<uint32_t>(s)); }
inline int64_t core_i64(uint64_t s) { return static_cast<int64_t>(s); }
inline float core_f32(uint64_t s) { return std::bit_cast<float>(static_cast<uint32_t>(s)); }
inline double core_f64(uint64_t s) { return std::bit_cast<double>(s); }
inline uint64_t slot_of(int32_t v) { return static_cast<uint32_t>(v); }
inline uint64_t slot_of(int64_t v) { return static_cast<uint64_t>(v); }
inline uint64_t slot_of(float v) { return std::bit_cast<uint32_t>(v); }
inline uint64_t slot_of(double v) { return std::bit_cast<uint64_t>(v); }

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { release(); }

  // malloc aligns to at least 8, the most the canonical ABI asks for.
  uint8_t* alloc(uint32_t size) {
    void* p = std::malloc(size == 0 ? 1 : size);
    if (!p) trap();
    blocks_.push_back(p);
    return static_cast<uint8_t*>(p);
  }
  void release() {
    for (void* p : blocks_) std::free(p);
    blocks_.clear();
  }

  // False when the lowered values outlive the use of their memory (import arguments during the
  // call, export results until post-return): strings and byte lists are then not copied.
  bool copy_strings = true;

 private:
  std::vector<void*> blocks_;
};

// The blocks the host lowers strings, lists and spilled parameters into (cabi_realloc). Lifting
// copies them out and gives them back at once, so only the few blocks of one lowering are ever
// out: they come from a small bump area that starts over whenever all of them are back, instead
// of a malloc and a free each (dlmalloc's pair, in guest code, cost more than the rest of the
// lift). A block that does not fit, or one the host grows, is the heap's as before; a block never
// given back (a lowering that failed half-way) only keeps the area from starting over.
class HostBlocks {
 public:
  static constexpr uint32_t kBytes = 1024;

  void* realloc(void* old_ptr, size_t old_size, size_t new_size) {
    size_t size = new_size == 0 ? 1 : new_size;  // lifting gives back every block, even empty
    if (old_ptr == nullptr) {
      size_t start = (used_ + 7) & ~size_t{7};  // 8: the ABI's largest alignment
      if (size <= kBytes && start <= kBytes - size) {
        used_ = start + size;
        ++out_;
        return area_ + start;
      }
    } else if (owns(old_ptr)) {
      void* block = std::malloc(size);
      if (!block) trap();
      std::memcpy(block, old_ptr, old_size < size ? old_size : size);
      give_back(old_ptr);
      return block;
    }
    void* block = std::realloc(old_ptr, size);
    if (!block) trap();
    return block;
  }

  void give_back(void* p) {
    if (!owns(p)) {
      std::free(p);
      return;
    }
    if (--out_ == 0) used_ = 0;
  }

 private:
  bool owns(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p), base = reinterpret_cast<uintptr_t>(area_);
    return a >= base && a < base + kBytes;
  }

  alignas(8) uint8_t area_[kBytes];
  size_t used_ = 0;
  uint32_t out_ = 0;
};

// One per module (zero-initialized data: no constructor runs, no page is touched until used).
inline HostBlocks host_blocks;

// Blocks of the last export's results, freed by its cabi_post_ function.
inline Arena& post_return_arena() {
  static Arena arena;
  return arena;
}

template <class T, class Enable = void>
struct Abi;

template <class T>
inline T load_scalar(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store_scalar(T v, uint8_t* p) {
  std::memcpy(p, &v, sizeof v);
}

template <>
struct Abi<std::monostate> {
  static constexpr uint32_t size = 0, align = 1, flat = 0;
  static void store(const std::monostate&, uint8_t*, Arena&) {}
  static std::monostate load(const uint8_t*) { return {}; }
  static void lower(const std::monostate&, uint64_t*, Arena&) {}
  static std::monostate lift(const uint64_t*) { return {}; }
};

template <>
struct Abi<bool> {
  static constexpr uint32_t size = 1, align = 1, flat = 1;
  static void store(bool v, uint8_t* p, Arena&) { p[0] = v ? 1 : 0; }
  static bool load(const uint8_t* p) { return p[0] != 0; }
  static void lower(bool v, uint64_t* s, Arena&) { s[0] = v ? 1 : 0; }
  static bool lift(const uint64_t* s) { return static_cast<uint32_t>(s[0]) != 0; }
};

template <class T>
struct Abi<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static constexpr uint32_t size = sizeof(T), align = sizeof(T), flat = 1;
  static void store(T v, uint8_t* p, Arena&) { store_scalar(v, p); }
  static T load(const uint8_t* p) { return load_scalar<T>(p); }
  static void lower(T v, uint64_t* s, Arena&) {
    if constexpr (sizeof(T) == 8) {
      s[0] = static_cast<uint64_t>(v);
    } else if constexpr (std::is_signed_v<T>) {
      s[0] = static_cast<uint32_t>(static_cast<int32_t>(v));
    } else {
      s[0] = static_cast<uint32_t>(v);
    }
  }
  static T lift(const uint64_t* s) { return static_cast<T>(s[0]); }
};

template <class T>
struct Abi<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static constexpr uint32_t size = sizeof(T), align = sizeof(T), flat = 1;
  static void store(T v, uint8_t* p, Arena&) { store_scalar(v, p); }
  static T load(const uint8_t* p) { return load_scalar<T>(p); }
  static void lower(T v, uint64_t* s, Arena&) { s[0] = slot_of(v); }
  static T lift(const uint64_t* s) {
    if constexpr (sizeof(T) == 4) {
      return core_f32(s[0]);
    } else {
      return core_f64(s[0]);
    }
  }
};

template <>
struct Abi<std::string> {
  static constexpr uint32_t size = 8, align = 4, flat = 2;
  static void parts(const std::string& v, uint32_t& ptr, uint32_t& len, Arena& a) {
    len = static_cast<uint32_t>(v.size());
    if (a.copy_strings) {
      uint8_t* block = a.alloc(len);
      std::memcpy(block, v.data(), len);
      ptr = address(block);
    } else {
      ptr = address(v.data());
    }
  }
  static std::string take(uint32_t ptr, uint32_t len) {
    std::string s(reinterpret_cast<const char*>(pointer(ptr)), len);
    host_blocks.give_back(pointer(ptr));
    return s;
  }
  static void store(const std::string& v, uint8_t* p, Arena& a) {
    uint32_t ptr, len;
    parts(v, ptr, len, a);
    store_scalar(ptr, p);
    store_scalar(len, p + 4);
  }
  static std::string load(const uint8_t* p) {
    return take(load_scalar<uint32_t>(p), load_scalar<uint32_t>(p + 4));
  }
  static void lower(const std::string& v, uint64_t* s, Arena& a) {
    uint32_t ptr, len;
    parts(v, ptr, len, a);
    s[0] = ptr;
    s[1] = len;
  }
  static std::string lift(const uint64_t* s) {
    return take(static_cast<uint32_t>(s[0]), static_cast<uint32_t>(s[1]));
  }
};

template <class T>
struct Abi<std::vector<T>> {
  using E = Abi<T>;
  static constexpr uint32_t size = 8, align = 4, flat = 2;
  static constexpr bool kBytes =
      sizeof(T) == 1 && std::is_integral_v<T> && !std::is_same_v<T, bool>;
  static void parts(const std::vector<T>& v, uint32_t& ptr, uint32_t& len, Arena& a) {
    len = static_cast<uint32_t>(v.size());
    if (len == 0) {
      ptr = E::align;  // any aligned in-bounds address does for an empty list
      return;
    }
    if constexpr (kBytes) {
      if (!a.copy_strings) {
        ptr = address(v.data());
        return;
      }
    }
    uint8_t* block = a.alloc(len * E::size);
    if constexpr (kBytes) {
      std::memcpy(block, v.data(), len);
    } else {
      for (uint32_t i = 0; i < len; ++i) E::store(v[i], block + i * E::size, a);
    }
    ptr = address(block);
  }
  static std::vector<T> take(uint32_t ptr, uint32_t len) {
    std::vector<T> out;
    const uint8_t* base = pointer(ptr);
    if constexpr (kBytes) {
      out.assign(reinterpret_cast<const T*>(base), reinterpret_cast<const T*>(base) + len);
    } else {
      out.reserve(len);
      for (uint32_t i = 0; i < len; ++i) out.push_back(E::load(base + i * E::size));
    }
    host_blocks.give_back(pointer(ptr));
    return out;
  }
  static void store(const std::vector<T>& v, uint8_t* p, Arena& a) {
    uint32_t ptr, len;
    parts(v, ptr, len, a);
    store_scalar(ptr, p);
    store_scalar(len, p + 4);
  }
  static std::vector<T> load(const uint8_t* p) {
    return take(load_scalar<uint32_t>(p), load_scalar<uint32_t>(p + 4));
  }
  static void lower(const std::vector<T>& v, uint64_t* s, Arena& a) {
    uint32_t ptr, len;
    parts(v, ptr, len, a);
    s[0] = ptr;
    s[1] = len;
  }
  static std::vector<T> lift(const uint64_t* s) {
    return take(static_cast<uint32_t>(s[0]), static_cast<uint32_t>(s[1]));
  }
};

// Variants (and through them option and result): a discriminant, then the payload at the
// largest case alignment.
template <class... Ts>
struct Abi<std::variant<Ts...>> {
  using V = std::variant<Ts...>;
  static constexpr size_t cases = sizeof...(Ts);
  static constexpr uint32_t disc = discriminant_size(cases);
  static constexpr uint32_t payload_align = std::max({uint32_t{1}, Abi<Ts>::align...});
  static constexpr uint32_t align = max_of(disc, payload_align);
  static constexpr uint32_t payload_offset = align_to(disc, payload_align);
  static constexpr uint32_t size =
      align_to(payload_offset + std::max({uint32_t{0}, Abi<Ts>::size...}), align);
  static constexpr uint32_t flat = 1 + std::max({uint32_t{0}, Abi<Ts>::flat...});

  static void store_disc(uint32_t i, uint8_t* p) {
    if constexpr (disc == 1) {
      p[0] = static_cast<uint8_t>(i);
    } else if constexpr (disc == 2) {
      store_scalar(static_cast<uint16_t>(i), p);
    } else {
      store_scalar(i, p);
    }
  }
  static uint32_t load_disc(const uint8_t* p) {
    if constexpr (disc == 1) {
      return p[0];
    } else if constexpr (disc == 2) {
      return load_scalar<uint16_t>(p);
    } else {
      return load_scalar<uint32_t>(p);
    }
  }
  template <size_t I = 0>
  static void store_case(const V& v, uint8_t* p, Arena& a) {
    if constexpr (I < cases) {
      if (v.index() == I) {
        Abi<std::variant_alternative_t<I, V>>::store(std::get<I>(v), p, a);
      } else {
        store_case<I + 1>(v, p, a);
      }
    }
  }
  template <size_t I = 0>
  static V load_case(uint32_t i, const uint8_t* p) {
    if constexpr (I < cases) {
      if (i == I) return V(std::in_place_index<I>, Abi<std::variant_alternative_t<I, V>>::load(p));
      return load_case<I + 1>(i, p);
    } else {
      trap();  // discriminant out of range
    }
  }
  template <size_t I = 0>
  static void lower_case(const V& v, uint64_t* s, Arena& a) {
    if constexpr (I < cases) {
      if (v.index() == I) {
        Abi<std::variant_alternative_t<I, V>>::lower(std::get<I>(v), s, a);
      } else {
        lower_case<I + 1>(v, s, a);
      }
    }
  }
  template <size_t I = 0>
  static V lift_case(uint32_t i, const uint64_t* s) {
    if constexpr (I < cases) {
      if (i == I) return V(std::in_place_index<I>, Abi<std::variant_alternative_t<I, V>>::lift(s));
      return lift_case<I + 1>(i, s);
    } else {
      trap();
    }
  }

  static void store(const V& v, uint8_t* p, Arena& a) {
    store_disc(static_cast<uint32_t>(v.index()), p);
    store_case(v, p + payload_offset, a);
  }
  static V load(const uint8_t* p) { return load_case(load_disc(p), p + payload_offset); }
  static void lower(const V& v, uint64_t* s, Arena& a) {
    s[0] = v.index();
    lower_case(v, s + 1, a);
  }
  static V lift(const uint64_t* s) { return lift_case(static_cast<uint32_t>(s[0]), s + 1); }
};

template <class T>
struct Abi<std::optional<T>> {
  using L = Abi<std::variant<std::monostate, T>>;
  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;
  static void store(const std::optional<T>& v, uint8_t* p, Arena& a) {
    p[0] = v ? 1 : 0;
    if (v) Abi<T>::store(*v, p + L::payload_offset, a);
  }
  static std::optional<T> load(const uint8_t* p) {
    if (p[0] > 1) trap();
    if (p[0] == 0) return std::nullopt;
    return Abi<T>::load(p + L::payload_offset);
  }
  static void lower(const std::optional<T>& v, uint64_t* s, Arena& a) {
    s[0] = v ? 1 : 0;
    if (v) Abi<T>::lower(*v, s + 1, a);
  }
  static std::optional<T> lift(const uint64_t* s) {
    if (s[0] > 1) trap();
    if (s[0] == 0) return std::nullopt;
    return Abi<T>::lift(s + 1);
  }
};

template <class T, class E>
struct Abi<::actr::wit::Result<T, E>> {
  using R = ::actr::wit::Result<T, E>;
  using L = Abi<std::variant<typename R::ok_type, typename R::err_type>>;
  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;
  static void store(const R& v, uint8_t* p, Arena& a) { L::store(v.raw(), p, a); }
  static R load(const uint8_t* p) {
    R r;
    r.raw() = L::load(p);
    return r;
  }
  static void lower(const R& v, uint64_t* s, Arena& a) { L::lower(v.raw(), s, a); }
  static R lift(const uint64_t* s) {
    R r;
    r.raw() = L::lift(s);
    return r;
  }
};

// Records, tuples and parameter lists: fields in order, each at its own alignment.
template <class... Ts>
struct RecordLayout {
  static constexpr size_t count = sizeof...(Ts);
  static constexpr auto compute() {
    constexpr uint32_t sizes[] = {Abi<Ts>::size..., 0};
    constexpr uint32_t aligns[] = {Abi<Ts>::align..., 1};
    constexpr uint32_t flats[] = {Abi<Ts>::flat..., 0};
    struct Out {
      std::array<uint32_t, count + 1> offsets{};  // [count]: the end
      std::array<uint32_t, count + 1> slots{};    // first flat slot of each field; [count]: total
      uint32_t align = 1;
    } out;
    uint32_t off = 0, slot = 0;
    for (size_t i = 0; i < count; ++i) {
      off = align_to(off, aligns[i]);
      out.offsets[i] = off;
      off += sizes[i];
      out.slots[i] = slot;
      slot += flats[i];
      out.align = max_of(out.align, aligns[i]);
    }
    out.offsets[count] = off;
    out.slots[count] = slot;
    return out;
  }
  static constexpr auto layout = compute();
  static constexpr uint32_t align = layout.align;
  static constexpr uint32_t size = align_to(layout.offsets[count], layout.align);
  static constexpr uint32_t flat = layout.slots[count];
  static constexpr uint32_t offset(size_t i) { return layout.offsets[i]; }
  static constexpr uint32_t slot(size_t i) { return layout.slots[i]; }
};

template <class... Ts>
struct Abi<std::tuple<Ts...>> {
  using T = std::tuple<Ts...>;
  using L = RecordLayout<Ts...>;
  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;
  template <size_t... I>
  static void store_all(const T& v, uint8_t* p, Arena& a, std::index_sequence<I...>) {
    (Abi<Ts>::store(std::get<I>(v), p + L::offset(I), a), ...);
  }
  template <size_t... I>
  static T load_all(const uint8_t* p, std::index_sequence<I...>) {
    T out;
    ((std::get<I>(out) = Abi<Ts>::load(p + L::offset(I))), ...);
    return out;
  }
  template <size_t... I>
  static void lower_all(const T& v, uint64_t* s, Arena& a, std::index_sequence<I...>) {
    (Abi<Ts>::lower(std::get<I>(v), s + L::slot(I), a), ...);
  }
  template <size_t... I>
  static T lift_all(const uint64_t* s, std::index_sequence<I...>) {
    T out;
    ((std::get<I>(out) = Abi<Ts>::lift(s + L::slot(I))), ...);
    return out;
  }
  static void store(const T& v, uint8_t* p, Arena& a) {
    store_all(v, p, a, std::index_sequence_for<Ts...>{});
  }
  static T load(const uint8_t* p) { return load_all(p, std::index_sequence_for<Ts...>{}); }
  static void lower(const T& v, uint64_t* s, Arena& a) {
    lower_all(v, s, a, std::index_sequence_for<Ts...>{});
  }
  static T lift(const uint64_t* s) { return lift_all(s, std::index_sequence_for<Ts...>{}); }
};

// Maps: lists of (key, value) entries laid out as records.
template <class K, class V>
struct Abi<::actr::wit::Map<K, V>> {
  using M = ::actr::wit::Map<K, V>;
  using L = RecordLayout<K, V>;
  static constexpr uint32_t size = 8, align = 4, flat = 2;
  static void parts(const M& v, uint32_t& ptr, uint32_t& len, Arena& a) {
    len = static_cast<uint32_t>(v.size());
    if (len == 0) {
      ptr = L::align;  // any aligned in-bounds address does for an empty list
      return;
    }
    uint8_t* block = a.alloc(len * L::size);
    for (uint32_t i = 0; i < len; ++i) {
      Abi<K>::store(v[i].first, block + i * L::size + L::offset(0), a);
      Abi<V>::store(v[i].second, block + i * L::size + L::offset(1), a);
    }
    ptr = address(block);
  }
  static M take(uint32_t ptr, uint32_t len) {
    M out;
    out.reserve(len);
    const uint8_t* base = pointer(ptr);
    for (uint32_t i = 0; i < len; ++i) {
      K k = Abi<K>::load(base + i * L::size + L::offset(0));
      V v = Abi<V>::load(base + i * L::size + L::offset(1));
      out.emplace_back(std::move(k), std::move(v));
    }
    host_blocks.give_back(pointer(ptr));
    return out;
  }
  static void store(const M& v, uint8_t* p, Arena& a) {
    uint32_t ptr, len;
    parts(v, ptr, len, a);
    store_scalar(ptr, p);
    store_scalar(len, p + 4);
  }
  static M load(const uint8_t* p) {
    return take(load_scalar<uint32_t>(p), load_scalar<uint32_t>(p + 4));
  }
  static void lower(const M& v, uint64_t* s, Arena& a) {
    uint32_t ptr, len;
    parts(v, ptr, len, a);
    s[0] = ptr;
    s[1] = len;
  }
  static M lift(const uint64_t* s) {
    return take(static_cast<uint32_t>(s[0]), static_cast<uint32_t>(s[1]));
  }
};

// Enums: the discriminant alone.
template <class E, size_t N>
struct EnumAbi {
  static constexpr uint32_t size = discriminant_size(N), align = size, flat = 1;
  static void store(E v, uint8_t* p, Arena&) {
    auto i = static_cast<uint32_t>(v);
    if constexpr (size == 1) {
      p[0] = static_cast<uint8_t>(i);
    } else if constexpr (size == 2) {
      store_scalar(static_cast<uint16_t>(i), p);
    } else {
      store_scalar(i, p);
    }
  }
  static E check(uint32_t i) {
    if (i >= N) trap();
    return static_cast<E>(i);
  }
  static E load(const uint8_t* p) {
    if constexpr (size == 1) {
      return check(p[0]);
    } else if constexpr (size == 2) {
      return check(load_scalar<uint16_t>(p));
    } else {
      return check(load_scalar<uint32_t>(p));
    }
  }
  static void lower(E v, uint64_t* s, Arena&) { s[0] = static_cast<uint32_t>(v); }
  static E lift(const uint64_t* s) { return check(static_cast<uint32_t>(s[0])); }
};

// Flags: one bit per label, in 1, 2, 4 or 4n bytes; bits beyond the labels are ignored.
template <class F, size_t N>
struct FlagsAbi {
  static constexpr uint32_t size = N <= 8 ? 1 : N <= 16 ? 2 : N <= 32 ? 4 : 8;
  static constexpr uint32_t align = size > 4 ? 4 : size;
  static constexpr uint32_t flat = N <= 32 ? 1 : 2;
  static constexpr uint64_t mask = N >= 64 ? ~uint64_t{0} : (uint64_t{1} << N) - 1;
  static void store(const F& v, uint8_t* p, Arena&) {
    uint64_t b = static_cast<uint64_t>(v.bits) & mask;
    if constexpr (size == 1) {
      p[0] = static_cast<uint8_t>(b);
    } else if constexpr (size == 2) {
      store_scalar(static_cast<uint16_t>(b), p);
    } else if constexpr (size == 4) {
      store_scalar(static_cast<uint32_t>(b), p);
    } else {
      store_scalar(b, p);
    }
  }
  static F load(const uint8_t* p) {
    uint64_t b;
    if constexpr (size == 1) {
      b = p[0];
    } else if constexpr (size == 2) {
      b = load_scalar<uint16_t>(p);
    } else if constexpr (size == 4) {
      b = load_scalar<uint32_t>(p);
    } else {
      b = load_scalar<uint64_t>(p);
    }
    F f;
    f.bits = static_cast<decltype(f.bits)>(b & mask);
    return f;
  }
  static void lower(const F& v, uint64_t* s, Arena&) {
    uint64_t b = static_cast<uint64_t>(v.bits) & mask;
    s[0] = static_cast<uint32_t>(b);
    if constexpr (flat == 2) s[1] = b >> 32;
  }
  static F lift(const uint64_t* s) {
    uint64_t b = static_cast<uint32_t>(s[0]);
    if constexpr (flat == 2) b |= static_cast<uint64_t>(static_cast<uint32_t>(s[1])) << 32;
    F f;
    f.bits = static_cast<decltype(f.bits)>(b & mask);
    return f;
  }
};

// ---- Resource handles inside other types (list<own<r>>, option<borrow<r>>, records...) ----
// The bindings specialize Abi<> for each resource's C++ spellings with these. Lowering an own
// handle moves it out of the value (the bindings only lower values they own and then discard:
// an import's by-value arguments, an export's result).

// Borrowed handles an export received inside its arguments: the canonical ABI requires them
// dropped before the export returns, which the trampoline's BorrowScope does.
class BorrowScope {
 public:
  BorrowScope() = default;
  BorrowScope(const BorrowScope&) = delete;
  BorrowScope& operator=(const BorrowScope&) = delete;
  ~BorrowScope() {
    auto& all = held();
    for (auto& [object, drop] : all) drop(object);
    all.clear();
  }
  static void hold(void* object, void (*drop)(void*)) { held().push_back({object, drop}); }

 private:
  static std::vector<std::pair<void*, void (*)(void*)>>& held() {
    static std::vector<std::pair<void*, void (*)(void*)>> all;
    return all;
  }
};

template <class T>
struct HandleSlot {
  static constexpr uint32_t size = 4, align = 4, flat = 1;
  static void put(uint32_t h, uint8_t* p) { store_scalar(h, p); }
  static uint32_t get(const uint8_t* p) { return load_scalar<uint32_t>(p); }
};

// own<r> of an imported resource: the handle class C (Counter).
template <class C>
struct ImportedOwnAbi : HandleSlot<C> {
  static void store(const C& v, uint8_t* p, Arena&) {
    store_scalar(const_cast<C&>(v).release(), p);
  }
  static C load(const uint8_t* p) { return C::adopt(load_scalar<uint32_t>(p)); }
  static void lower(const C& v, uint64_t* s, Arena&) { s[0] = const_cast<C&>(v).release(); }
  static C lift(const uint64_t* s) { return C::adopt(static_cast<uint32_t>(s[0])); }
};

// borrow<r> of an imported resource: `const C*`, lent for the call; received in an export, the
// handle lives in a C the BorrowScope drops.
template <class C>
struct ImportedBorrowAbi : HandleSlot<C> {
  static uint32_t handle(const C* v) {
    if (!v || !v->valid()) trap();
    return v->handle();
  }
  static const C* take(uint32_t h) {
    C* c = new C(C::adopt(h));
    BorrowScope::hold(c, [](void* o) { delete static_cast<C*>(o); });
    return c;
  }
  static void store(const C* v, uint8_t* p, Arena&) { store_scalar(handle(v), p); }
  static const C* load(const uint8_t* p) { return take(load_scalar<uint32_t>(p)); }
  static void lower(const C* v, uint64_t* s, Arena&) { s[0] = handle(v); }
  static const C* lift(const uint64_t* s) { return take(static_cast<uint32_t>(s[0])); }
};

// own<r> of a resource the guest defines: std::unique_ptr<A>; `make` gives an object a new
// handle, `take` takes the object out of one.
template <class A, uint32_t (*make)(A*), std::unique_ptr<A> (*take)(uint32_t)>
struct ExportedOwnAbi : HandleSlot<A> {
  static uint32_t give(const std::unique_ptr<A>& v) {
    return make(const_cast<std::unique_ptr<A>&>(v).release());
  }
  static void store(const std::unique_ptr<A>& v, uint8_t* p, Arena&) { store_scalar(give(v), p); }
  static std::unique_ptr<A> load(const uint8_t* p) { return take(load_scalar<uint32_t>(p)); }
  static void lower(const std::unique_ptr<A>& v, uint64_t* s, Arena&) { s[0] = give(v); }
  static std::unique_ptr<A> lift(const uint64_t* s) { return take(static_cast<uint32_t>(s[0])); }
};

// borrow<r> of a resource the guest defines: `A*`; the canonical ABI passes the rep, the
// object's address. Only exports receive these (a result cannot borrow; an import cannot name
// a resource its world exports).
template <class A>
struct ExportedBorrowAbi : HandleSlot<A> {
  static A* object(uint32_t rep) { return static_cast<A*>(static_cast<void*>(pointer(rep))); }
  static void store(A*, uint8_t*, Arena&) { trap(); }
  static A* load(const uint8_t* p) { return object(load_scalar<uint32_t>(p)); }
  static void lower(A*, uint64_t*, Arena&) { trap(); }
  static A* lift(const uint64_t* s) { return object(static_cast<uint32_t>(s[0])); }
};

}  // namespace actr::wit::abi
