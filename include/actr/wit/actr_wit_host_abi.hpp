// actr's binding runtime (include/actr/wit; hand-written, not generated): actr-witgen writes a
// copy of it beside the bindings it generates, which include it by its bare name.
// Abi<T>: the fast path of host bindings, lowering and lifting T in the guest's memory directly.
#pragma once

#include "actr/component/canonical/layout.hpp"
#include "actr/wasm/trap.hpp"
#include "actr_wit_host_conv.hpp"

namespace actr::wit::host {

// ---- The fast path: canonical ABI lowering and lifting of the C++ binding types ----
//
// Abi<T> reads and writes T in the guest's linear memory and flat core values directly
// (CanonicalABI.md: store/load, lower_flat/lift_flat, UTF-8 strings), with every check the spec
// makes on what the guest supplies (canonical::GuestMemory does the bounds, alignment and UTF-8
// checks). Flat values are 64-bit slots holding the value's bits zero-extended (i32 unsigned, f32
// as its bit pattern), which is what variant joining (i32|f32 -> i32, else i64) needs: a payload
// writes and reads its own slots whatever the joined type, and reading an i32 from an i64 slot is
// taking its low 32 bits. Callers zero the slot array first (unused joined slots must be zero).
//
//   static constexpr uint32_t size, align, flat;
//   static Status store(GuestMemory&, uint32_t ptr, const T&);      // [ptr, ptr+size) checked
//   static Status load(const GuestMemory&, uint32_t ptr, T& out);   // [ptr, ptr+size) checked
//   static Status lower(GuestMemory&, const T&, Slot* s);
//   static Status lift(const GuestMemory&, const Slot* s, T& out);

using component::canonical::GuestMemory;
using Slot = ::actr::wasm::Slot;
using Status = ::actr::Result<void>;

// The canonical ABI's layout rules are the host's (canonical/layout.hpp), at compile time here.
constexpr uint32_t align_to(uint32_t offset, uint32_t alignment) {
  return static_cast<uint32_t>(component::canonical::align_to(offset, alignment));
}
constexpr uint32_t max_of(uint32_t a, uint32_t b) { return a > b ? a : b; }
using component::canonical::discriminant_size;
// Above these counts, parameters (results) travel through memory.
using component::canonical::kMaxFlatParams;
using component::canonical::kMaxFlatResults;

template <class T, class Enable = void>
struct Abi;

template <>
struct Abi<std::monostate> {
  static constexpr uint32_t size = 0, align = 1, flat = 0;
  static Status store(GuestMemory&, uint32_t, const std::monostate&) { return {}; }
  static Status load(const GuestMemory&, uint32_t, std::monostate&) { return {}; }
  static Status lower(GuestMemory&, const std::monostate&, Slot*) { return {}; }
  static Status lift(const GuestMemory&, const Slot*, std::monostate&) { return {}; }
};

template <>
struct Abi<bool> {
  static constexpr uint32_t size = 1, align = 1, flat = 1;
  static Status store(GuestMemory& m, uint32_t p, bool v) {
    m.store<uint8_t>(p, v ? 1 : 0);
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, bool& out) {
    out = m.load<uint8_t>(p) != 0;
    return {};
  }
  static Status lower(GuestMemory&, bool v, Slot* s) {
    s[0] = v ? 1 : 0;
    return {};
  }
  static Status lift(const GuestMemory&, const Slot* s, bool& out) {
    out = static_cast<uint32_t>(s[0]) != 0;
    return {};
  }
};

template <class T>
struct Abi<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                               !std::is_same_v<T, char32_t>>> {
  static constexpr uint32_t size = sizeof(T), align = sizeof(T), flat = 1;
  static Status store(GuestMemory& m, uint32_t p, T v) {
    m.store<T>(p, v);
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, T& out) {
    out = m.load<T>(p);
    return {};
  }
  static Status lower(GuestMemory&, T v, Slot* s) {
    if constexpr (sizeof(T) == 8) {
      s[0] = static_cast<uint64_t>(v);
    } else if constexpr (std::is_signed_v<T>) {
      s[0] = static_cast<uint32_t>(static_cast<int32_t>(v));  // sign-extended to i32
    } else {
      s[0] = static_cast<uint32_t>(v);
    }
    return {};
  }
  static Status lift(const GuestMemory&, const Slot* s, T& out) {
    out = static_cast<T>(s[0]);
    return {};
  }
};

template <>
struct Abi<char32_t> {
  static constexpr uint32_t size = 4, align = 4, flat = 1;
  static Status store(GuestMemory& m, uint32_t p, char32_t v) {
    ACTR_TRY_VOID(check_host(v));
    m.store<uint32_t>(p, static_cast<uint32_t>(v));
    return {};
  }
  static Status check(uint32_t c, char32_t& out) {
    if (!GuestMemory::is_scalar(c)) return GuestMemory::bad_char(c);
    out = static_cast<char32_t>(c);
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, char32_t& out) {
    return check(m.load<uint32_t>(p), out);
  }
  static Status lower(GuestMemory&, char32_t v, Slot* s) {
    ACTR_TRY_VOID(check_host(v));
    s[0] = static_cast<uint32_t>(v);
    return {};
  }
  // A host char that is no Unicode scalar value never reaches the guest (as in check_value).
  static Status check_host(char32_t v) {
    if (GuestMemory::is_scalar(static_cast<uint32_t>(v))) return {};
    return make_error("char value " + std::to_string(static_cast<uint32_t>(v)) +
                      " is not a Unicode scalar value");
  }
  static Status lift(const GuestMemory&, const Slot* s, char32_t& out) {
    return check(static_cast<uint32_t>(s[0]), out);
  }
};

// Floats cross with NaNs canonicalized, as the Value path does.
template <class T>
struct Abi<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static constexpr uint32_t size = sizeof(T), align = sizeof(T), flat = 1;
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  static constexpr Bits kCanonicalNan =
      sizeof(T) == 4 ? Bits(0x7fc00000) : Bits(0x7ff8000000000000);
  static Bits bits(T v) { return v != v ? kCanonicalNan : std::bit_cast<Bits>(v); }
  static T from_bits(Bits b) {
    T v = std::bit_cast<T>(b);
    return v != v ? std::bit_cast<T>(kCanonicalNan) : v;
  }
  static Status store(GuestMemory& m, uint32_t p, T v) {
    m.store<Bits>(p, bits(v));
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, T& out) {
    out = from_bits(m.load<Bits>(p));
    return {};
  }
  static Status lower(GuestMemory&, T v, Slot* s) {
    s[0] = bits(v);
    return {};
  }
  static Status lift(const GuestMemory&, const Slot* s, T& out) {
    out = from_bits(static_cast<Bits>(s[0]));
    return {};
  }
};

template <>
struct Abi<std::string> {
  static constexpr uint32_t size = 8, align = 4, flat = 2;
  static Status store(GuestMemory& m, uint32_t p, const std::string& v) {
    ACTR_TRY(uint32_t ptr, m.write_string(v));
    m.store<uint32_t>(p, ptr);
    m.store<uint32_t>(p + 4, static_cast<uint32_t>(v.size()));
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, std::string& out) {
    return m.read_string(m.load<uint32_t>(p), m.load<uint32_t>(p + 4), out);
  }
  static Status lower(GuestMemory& m, const std::string& v, Slot* s) {
    ACTR_TRY(uint32_t ptr, m.write_string(v));
    s[0] = ptr;
    s[1] = static_cast<uint32_t>(v.size());
    return {};
  }
  static Status lift(const GuestMemory& m, const Slot* s, std::string& out) {
    return m.read_string(static_cast<uint32_t>(s[0]), static_cast<uint32_t>(s[1]), out);
  }
};

template <class T>
struct Abi<std::vector<T>> {
  using E = Abi<T>;
  static constexpr uint32_t size = 8, align = 4, flat = 2;
  // list<u8> and list<s8>: one copy.
  static constexpr bool kBytes =
      sizeof(T) == 1 && std::is_integral_v<T> && !std::is_same_v<T, bool>;

  static ::actr::Result<uint32_t> write(GuestMemory& m, const std::vector<T>& v) {
    if constexpr (kBytes) {
      return m.write_bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size());
    } else {
      ACTR_TRY(uint32_t ptr, m.alloc_list(v.size(), E::size, E::align));
      for (size_t i = 0; i < v.size(); ++i) {
        ACTR_TRY_VOID(E::store(m, ptr + static_cast<uint32_t>(i) * E::size, v[i]));
      }
      return ptr;
    }
  }
  static Status read(const GuestMemory& m, uint32_t ptr, uint32_t len, std::vector<T>& out) {
    ACTR_TRY_VOID(m.check_list(ptr, len, E::size, E::align));
    if constexpr (kBytes) {
      const uint8_t* at = m.data() + ptr;
      out.assign(reinterpret_cast<const T*>(at), reinterpret_cast<const T*>(at) + len);
    } else {
      if constexpr (E::size == 0) {
        if (len > (1u << 28)) {
          return wasm::make_trap(wasm::TrapKind::Other, "list of empty values too long");
        }
      }
      out.clear();
      out.resize(len);
      for (uint32_t i = 0; i < len; ++i) ACTR_TRY_VOID(E::load(m, ptr + i * E::size, out[i]));
    }
    return {};
  }
  static Status store(GuestMemory& m, uint32_t p, const std::vector<T>& v) {
    ACTR_TRY(uint32_t ptr, write(m, v));
    m.store<uint32_t>(p, ptr);
    m.store<uint32_t>(p + 4, static_cast<uint32_t>(v.size()));
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, std::vector<T>& out) {
    return read(m, m.load<uint32_t>(p), m.load<uint32_t>(p + 4), out);
  }
  static Status lower(GuestMemory& m, const std::vector<T>& v, Slot* s) {
    ACTR_TRY(uint32_t ptr, write(m, v));
    s[0] = ptr;
    s[1] = static_cast<uint32_t>(v.size());
    return {};
  }
  static Status lift(const GuestMemory& m, const Slot* s, std::vector<T>& out) {
    return read(m, static_cast<uint32_t>(s[0]), static_cast<uint32_t>(s[1]), out);
  }
};

template <class... Ts>
struct RecordLayout;

// Maps: lists of (key, value) entries laid out as records.
template <class K, class V>
struct Abi<::actr::wit::Map<K, V>> {
  using M = ::actr::wit::Map<K, V>;
  using L = RecordLayout<K, V>;
  static constexpr uint32_t size = 8, align = 4, flat = 2;

  static ::actr::Result<uint32_t> write(GuestMemory& m, const M& v) {
    ACTR_TRY(uint32_t ptr, m.alloc_list(v.size(), L::size, L::align));
    for (size_t i = 0; i < v.size(); ++i) {
      uint32_t at = ptr + static_cast<uint32_t>(i) * L::size;
      ACTR_TRY_VOID(Abi<K>::store(m, at + L::offset(0), v[i].first));
      ACTR_TRY_VOID(Abi<V>::store(m, at + L::offset(1), v[i].second));
    }
    return ptr;
  }
  static Status read(const GuestMemory& m, uint32_t ptr, uint32_t len, M& out) {
    ACTR_TRY_VOID(m.check_list(ptr, len, L::size, L::align));
    out.clear();
    out.resize(len);
    for (uint32_t i = 0; i < len; ++i) {
      uint32_t at = ptr + i * L::size;
      ACTR_TRY_VOID(Abi<K>::load(m, at + L::offset(0), out[i].first));
      ACTR_TRY_VOID(Abi<V>::load(m, at + L::offset(1), out[i].second));
    }
    return {};
  }
  static Status store(GuestMemory& m, uint32_t p, const M& v) {
    ACTR_TRY(uint32_t ptr, write(m, v));
    m.store<uint32_t>(p, ptr);
    m.store<uint32_t>(p + 4, static_cast<uint32_t>(v.size()));
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, M& out) {
    return read(m, m.load<uint32_t>(p), m.load<uint32_t>(p + 4), out);
  }
  static Status lower(GuestMemory& m, const M& v, Slot* s) {
    ACTR_TRY(uint32_t ptr, write(m, v));
    s[0] = ptr;
    s[1] = static_cast<uint32_t>(v.size());
    return {};
  }
  static Status lift(const GuestMemory& m, const Slot* s, M& out) {
    return read(m, static_cast<uint32_t>(s[0]), static_cast<uint32_t>(s[1]), out);
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

  static void store_disc(GuestMemory& m, uint32_t p, uint32_t i) {
    if constexpr (disc == 1) {
      m.store<uint8_t>(p, static_cast<uint8_t>(i));
    } else if constexpr (disc == 2) {
      m.store<uint16_t>(p, static_cast<uint16_t>(i));
    } else {
      m.store<uint32_t>(p, i);
    }
  }
  static uint32_t load_disc(const GuestMemory& m, uint32_t p) {
    if constexpr (disc == 1) {
      return m.load<uint8_t>(p);
    } else if constexpr (disc == 2) {
      return m.load<uint16_t>(p);
    } else {
      return m.load<uint32_t>(p);
    }
  }
  template <size_t I = 0>
  static Status store_case(GuestMemory& m, uint32_t p, const V& v) {
    if constexpr (I < cases) {
      if (v.index() == I) return Abi<std::variant_alternative_t<I, V>>::store(m, p, std::get<I>(v));
      return store_case<I + 1>(m, p, v);
    } else {
      return {};
    }
  }
  template <size_t I = 0>
  static Status load_case(const GuestMemory& m, uint32_t i, uint32_t p, V& out) {
    if constexpr (I < cases) {
      if (i != I) return load_case<I + 1>(m, i, p, out);
      return Abi<std::variant_alternative_t<I, V>>::load(m, p, out.template emplace<I>());
    } else {
      return GuestMemory::bad_discriminant(i, cases);
    }
  }
  template <size_t I = 0>
  static Status lower_case(GuestMemory& m, const V& v, Slot* s) {
    if constexpr (I < cases) {
      if (v.index() == I) return Abi<std::variant_alternative_t<I, V>>::lower(m, std::get<I>(v), s);
      return lower_case<I + 1>(m, v, s);
    } else {
      return {};
    }
  }
  template <size_t I = 0>
  static Status lift_case(const GuestMemory& m, uint32_t i, const Slot* s, V& out) {
    if constexpr (I < cases) {
      if (i != I) return lift_case<I + 1>(m, i, s, out);
      return Abi<std::variant_alternative_t<I, V>>::lift(m, s, out.template emplace<I>());
    } else {
      return GuestMemory::bad_discriminant(i, cases);
    }
  }

  static Status store(GuestMemory& m, uint32_t p, const V& v) {
    if (v.valueless_by_exception()) return make_error("variant without a value");
    store_disc(m, p, static_cast<uint32_t>(v.index()));
    return store_case(m, p + payload_offset, v);
  }
  static Status load(const GuestMemory& m, uint32_t p, V& out) {
    return load_case(m, load_disc(m, p), p + payload_offset, out);
  }
  static Status lower(GuestMemory& m, const V& v, Slot* s) {
    if (v.valueless_by_exception()) return make_error("variant without a value");
    s[0] = v.index();
    return lower_case(m, v, s + 1);
  }
  static Status lift(const GuestMemory& m, const Slot* s, V& out) {
    return lift_case(m, static_cast<uint32_t>(s[0]), s + 1, out);
  }
};

template <class T>
struct Abi<std::optional<T>> {
  using L = Abi<std::variant<std::monostate, T>>;
  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;
  static Status store(GuestMemory& m, uint32_t p, const std::optional<T>& v) {
    m.store<uint8_t>(p, v ? 1 : 0);
    if (v) return Abi<T>::store(m, p + L::payload_offset, *v);
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, std::optional<T>& out) {
    uint8_t d = m.load<uint8_t>(p);
    if (d > 1) return GuestMemory::bad_discriminant(d, 2);
    if (d == 0) {
      out.reset();
      return {};
    }
    return Abi<T>::load(m, p + L::payload_offset, out.emplace());
  }
  static Status lower(GuestMemory& m, const std::optional<T>& v, Slot* s) {
    s[0] = v ? 1 : 0;
    if (v) return Abi<T>::lower(m, *v, s + 1);
    return {};
  }
  static Status lift(const GuestMemory& m, const Slot* s, std::optional<T>& out) {
    auto d = static_cast<uint32_t>(s[0]);
    if (d > 1) return GuestMemory::bad_discriminant(d, 2);
    if (d == 0) {
      out.reset();
      return {};
    }
    return Abi<T>::lift(m, s + 1, out.emplace());
  }
};

template <class T, class E>
struct Abi<::actr::wit::Result<T, E>> {
  using R = ::actr::wit::Result<T, E>;
  using L = Abi<std::variant<typename R::ok_type, typename R::err_type>>;
  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;
  static Status store(GuestMemory& m, uint32_t p, const R& v) { return L::store(m, p, v.raw()); }
  static Status load(const GuestMemory& m, uint32_t p, R& out) { return L::load(m, p, out.raw()); }
  static Status lower(GuestMemory& m, const R& v, Slot* s) { return L::lower(m, v.raw(), s); }
  static Status lift(const GuestMemory& m, const Slot* s, R& out) {
    return L::lift(m, s, out.raw());
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

// Fields of a record-like value given as references, in order. Each field's Status is built in
// place and the walk stops at the first error (no Status is assigned over another: that moves
// its message string, once per field).
template <class... Ts>
struct Fields {
  using L = RecordLayout<std::remove_const_t<Ts>...>;
  static constexpr size_t count = sizeof...(Ts);
  template <size_t I>
  using At = std::remove_const_t<std::tuple_element_t<I, std::tuple<Ts...>>>;

  template <size_t I = 0>
  static Status store_from(GuestMemory& m, uint32_t p, const std::tuple<const Ts&...>& v) {
    if constexpr (I == count) {
      (void)m, (void)p, (void)v;  // unused without fields
      return {};
    } else {
      Status r = Abi<At<I>>::store(m, p + L::offset(I), std::get<I>(v));
      if (!r.ok()) [[unlikely]]
        return r;
      return store_from<I + 1>(m, p, v);
    }
  }
  template <size_t I = 0>
  static Status load_from(const GuestMemory& m, uint32_t p, const std::tuple<Ts&...>& v) {
    if constexpr (I == count) {
      (void)m, (void)p, (void)v;  // unused without fields
      return {};
    } else {
      Status r = Abi<At<I>>::load(m, p + L::offset(I), std::get<I>(v));
      if (!r.ok()) [[unlikely]]
        return r;
      return load_from<I + 1>(m, p, v);
    }
  }
  template <size_t I = 0>
  static Status lower_from(GuestMemory& m, const std::tuple<const Ts&...>& v, Slot* s) {
    if constexpr (I == count) {
      (void)m, (void)s, (void)v;  // unused without fields
      return {};
    } else {
      Status r = Abi<At<I>>::lower(m, std::get<I>(v), s + L::slot(I));
      if (!r.ok()) [[unlikely]]
        return r;
      return lower_from<I + 1>(m, v, s);
    }
  }
  template <size_t I = 0>
  static Status lift_from(const GuestMemory& m, const Slot* s, const std::tuple<Ts&...>& v) {
    if constexpr (I == count) {
      (void)m, (void)s, (void)v;  // unused without fields
      return {};
    } else {
      Status r = Abi<At<I>>::lift(m, s + L::slot(I), std::get<I>(v));
      if (!r.ok()) [[unlikely]]
        return r;
      return lift_from<I + 1>(m, s, v);
    }
  }

  template <size_t... I>
  static Status store(GuestMemory& m, uint32_t p, std::tuple<const Ts&...> v,
                      std::index_sequence<I...>) {
    return store_from(m, p, v);
  }
  template <size_t... I>
  static Status load(const GuestMemory& m, uint32_t p, std::tuple<Ts&...> v,
                     std::index_sequence<I...>) {
    return load_from(m, p, v);
  }
  template <size_t... I>
  static Status lower(GuestMemory& m, std::tuple<const Ts&...> v, Slot* s,
                      std::index_sequence<I...>) {
    return lower_from(m, v, s);
  }
  template <size_t... I>
  static Status lift(const GuestMemory& m, const Slot* s, std::tuple<Ts&...> v,
                     std::index_sequence<I...>) {
    return lift_from(m, s, v);
  }
};

template <class... Ts>
struct Abi<std::tuple<Ts...>> {
  using T = std::tuple<Ts...>;
  using L = RecordLayout<Ts...>;
  using F = Fields<Ts...>;
  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;
  static constexpr auto seq = std::index_sequence_for<Ts...>{};
  static Status store(GuestMemory& m, uint32_t p, const T& v) {
    return F::store(m, p, std::apply([](const Ts&... e) { return std::tie(e...); }, v), seq);
  }
  static Status load(const GuestMemory& m, uint32_t p, T& out) {
    return F::load(m, p, std::apply([](Ts&... e) { return std::tie(e...); }, out), seq);
  }
  static Status lower(GuestMemory& m, const T& v, Slot* s) {
    return F::lower(m, std::apply([](const Ts&... e) { return std::tie(e...); }, v), s, seq);
  }
  static Status lift(const GuestMemory& m, const Slot* s, T& out) {
    return F::lift(m, s, std::apply([](Ts&... e) { return std::tie(e...); }, out), seq);
  }
};

// Enums: the discriminant alone.
template <class E, size_t N>
struct EnumAbi {
  static constexpr uint32_t size = discriminant_size(N), align = size, flat = 1;
  static Status store(GuestMemory& m, uint32_t p, E v) {
    auto i = static_cast<uint32_t>(v);
    if constexpr (size == 1) {
      m.store<uint8_t>(p, static_cast<uint8_t>(i));
    } else if constexpr (size == 2) {
      m.store<uint16_t>(p, static_cast<uint16_t>(i));
    } else {
      m.store<uint32_t>(p, i);
    }
    return {};
  }
  static Status check(uint32_t i, E& out) {
    if (i >= N) return GuestMemory::bad_discriminant(i, N);
    out = static_cast<E>(i);
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, E& out) {
    if constexpr (size == 1) {
      return check(m.load<uint8_t>(p), out);
    } else if constexpr (size == 2) {
      return check(m.load<uint16_t>(p), out);
    } else {
      return check(m.load<uint32_t>(p), out);
    }
  }
  static Status lower(GuestMemory&, E v, Slot* s) {
    s[0] = static_cast<uint32_t>(v);
    return {};
  }
  static Status lift(const GuestMemory&, const Slot* s, E& out) {
    return check(static_cast<uint32_t>(s[0]), out);
  }
};

// Flags: one bit per label, in 1, 2, 4 or 4n bytes; bits beyond the labels are ignored.
template <class F, size_t N>
struct FlagsAbi {
  static constexpr uint32_t size = N <= 8 ? 1 : N <= 16 ? 2 : N <= 32 ? 4 : 8;
  static constexpr uint32_t align = size > 4 ? 4 : size;
  static constexpr uint32_t flat = N <= 32 ? 1 : 2;
  static constexpr uint64_t mask = N >= 64 ? ~uint64_t{0} : (uint64_t{1} << N) - 1;
  static Status store(GuestMemory& m, uint32_t p, const F& v) {
    uint64_t b = static_cast<uint64_t>(v.bits) & mask;
    if constexpr (size == 1) {
      m.store<uint8_t>(p, static_cast<uint8_t>(b));
    } else if constexpr (size == 2) {
      m.store<uint16_t>(p, static_cast<uint16_t>(b));
    } else if constexpr (size == 4) {
      m.store<uint32_t>(p, static_cast<uint32_t>(b));
    } else {
      m.store<uint32_t>(p, static_cast<uint32_t>(b));
      m.store<uint32_t>(p + 4, static_cast<uint32_t>(b >> 32));
    }
    return {};
  }
  static Status load(const GuestMemory& m, uint32_t p, F& out) {
    uint64_t b;
    if constexpr (size == 1) {
      b = m.load<uint8_t>(p);
    } else if constexpr (size == 2) {
      b = m.load<uint16_t>(p);
    } else if constexpr (size == 4) {
      b = m.load<uint32_t>(p);
    } else {
      b = m.load<uint32_t>(p) | (uint64_t{m.load<uint32_t>(p + 4)} << 32);
    }
    out.bits = static_cast<decltype(out.bits)>(b & mask);
    return {};
  }
  static Status lower(GuestMemory&, const F& v, Slot* s) {
    uint64_t b = static_cast<uint64_t>(v.bits) & mask;
    s[0] = static_cast<uint32_t>(b);
    if constexpr (flat == 2) s[1] = b >> 32;
    return {};
  }
  static Status lift(const GuestMemory&, const Slot* s, F& out) {
    uint64_t b = static_cast<uint32_t>(s[0]);
    if constexpr (flat == 2) b |= static_cast<uint64_t>(static_cast<uint32_t>(s[1])) << 32;
    out.bits = static_cast<decltype(out.bits)>(b & mask);
    return {};
  }
};

// A function's parameters: flat core values, or above kMaxFlatParams a tuple in memory that
// the caller allocates (export) or the guest points to (import).
template <class... Ps>
struct Params {
  using L = RecordLayout<Ps...>;
  using F = Fields<Ps...>;
  static constexpr bool in_memory = L::flat > kMaxFlatParams;
  static constexpr uint32_t core_count = in_memory ? 1 : L::flat;
  static constexpr auto seq = std::index_sequence_for<Ps...>{};

  static Status lower(GuestMemory& m, Slot* args, const Ps&... ps) {
    if constexpr (in_memory) {
      ACTR_TRY(uint32_t ptr, m.alloc(L::align, L::size));
      args[0] = ptr;
      return F::store(m, ptr, std::tie(ps...), seq);
    } else {
      return F::lower(m, std::tie(ps...), args, seq);
    }
  }
  static Status lift(const GuestMemory& m, const Slot* args, Ps&... ps) {
    if constexpr (in_memory) {
      auto ptr = static_cast<uint32_t>(args[0]);
      ACTR_TRY_VOID(m.check(ptr, L::size, L::align));
      return F::load(m, ptr, std::tie(ps...), seq);
    } else {
      return F::lift(m, args, std::tie(ps...), seq);
    }
  }
};

// A function's result: one flat core value, or above kMaxFlatResults a pointer to it in memory
// (returned by the export, or the import's last core argument).
template <class R>
struct Ret {
  static constexpr bool in_memory = Abi<R>::flat > kMaxFlatResults;
  static Status lift(const GuestMemory& m, const Slot* core_results, R& out) {
    if constexpr (in_memory) {
      auto ptr = static_cast<uint32_t>(core_results[0]);
      ACTR_TRY_VOID(m.check(ptr, Abi<R>::size, Abi<R>::align));
      return Abi<R>::load(m, ptr, out);
    } else {
      return Abi<R>::lift(m, core_results, out);
    }
  }
  static Status lower(GuestMemory& m, const R& v, Slot* core_results, const Slot* retptr) {
    if constexpr (in_memory) {
      auto ptr = static_cast<uint32_t>(retptr[0]);
      ACTR_TRY_VOID(m.check(ptr, Abi<R>::size, Abi<R>::align));
      return Abi<R>::store(m, ptr, v);
    } else {
      return Abi<R>::lower(m, v, core_results);
    }
  }
};

}  // namespace actr::wit::host
