// actr's binding runtime (include/actr/wit; hand-written, not generated): actr-witgen writes a
// copy of it beside the bindings it generates, which include it by its bare name.
// Conv<T>: the component type of a C++ binding type and its conversion to and from the host's
// dynamic component::Value. Conversions from values check the shape and name what is wrong.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "actr_wit_runtime.hpp"
#include "actr/common/result.hpp"
#include "actr/component/canonical/guest_memory.hpp"
#include "actr/component/linker.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"

namespace actr::wit::host {

using component::Kind;
using component::TypeRef;
using component::Value;

inline Error shape_error(const char* expected, const Value& v) {
  return make_error(std::string("expected a ") + expected + " value, got a " +
                    component::to_string(v.kind) + " value");
}

using component::named;

template <class T, class Enable = void>
struct Conv;

template <>
struct Conv<std::monostate> {};  // "no payload": handled by the containers

#define ACTR_WIT_SCALAR_CONV(CPP, KIND, MAKE, FIELD)                   \
  template <>                                                          \
  struct Conv<CPP> {                                                   \
    static TypeRef type() { return component::primitive(Kind::KIND); } \
    static Value to(CPP v) { return Value::MAKE(v); }                  \
    static ::actr::Result<CPP> from(const Value& v) {                  \
      if (v.kind != Kind::KIND) return shape_error(#KIND, v);          \
      return static_cast<CPP>(v.FIELD);                                \
    }                                                                  \
  };
ACTR_WIT_SCALAR_CONV(bool, Bool, boolean, b)
ACTR_WIT_SCALAR_CONV(int8_t, S8, s8, s)
ACTR_WIT_SCALAR_CONV(uint8_t, U8, u8, u)
ACTR_WIT_SCALAR_CONV(int16_t, S16, s16, s)
ACTR_WIT_SCALAR_CONV(uint16_t, U16, u16, u)
ACTR_WIT_SCALAR_CONV(int32_t, S32, s32, s)
ACTR_WIT_SCALAR_CONV(uint32_t, U32, u32, u)
ACTR_WIT_SCALAR_CONV(int64_t, S64, s64, s)
ACTR_WIT_SCALAR_CONV(uint64_t, U64, u64, u)
ACTR_WIT_SCALAR_CONV(float, F32, f32v, f32)
ACTR_WIT_SCALAR_CONV(double, F64, f64v, f64)
ACTR_WIT_SCALAR_CONV(char32_t, Char, character, u)
#undef ACTR_WIT_SCALAR_CONV

template <>
struct Conv<std::string> {
  static TypeRef type() { return component::primitive(Kind::String); }
  static Value to(const std::string& v) { return Value::string(v); }
  static ::actr::Result<std::string> from(const Value& v) {
    if (v.kind != Kind::String) return shape_error("string", v);
    return v.str;
  }
};

template <class T>
struct Conv<std::vector<T>> {
  static TypeRef type() { return component::list_of(Conv<T>::type()); }
  static Value to(const std::vector<T>& v) {
    if constexpr (std::is_same_v<T, uint8_t>) return Value::bytes(v.data(), v.size());
    std::vector<Value> items;
    items.reserve(v.size());
    for (const auto& e : v) items.push_back(Conv<T>::to(e));
    return Value::list(std::move(items));
  }
  static ::actr::Result<std::vector<T>> from(const Value& v) {
    if (v.kind != Kind::List) return shape_error("list", v);
    std::vector<T> out;
    if constexpr (std::is_same_v<T, uint8_t>) {
      // list<u8> comes compact from the guest, element-wise from hand-built values
      if (!v.copy_bytes(out)) return make_error("list<u8>: an element is not a u8");
      return out;
    }
    out.reserve(v.items.size());
    for (const auto& e : v.items) {
      ACTR_TRY(T item, Conv<T>::from(e));
      out.push_back(std::move(item));
    }
    return out;
  }
};

template <class K, class V>
struct Conv<::actr::wit::Map<K, V>> {
  using M = ::actr::wit::Map<K, V>;
  static TypeRef type() { return component::map_of(Conv<K>::type(), Conv<V>::type()); }
  static Value to(const M& m) {
    std::vector<Value> entries;
    entries.reserve(m.size());
    for (const auto& [k, v] : m)
      entries.push_back(Value::map_entry(Conv<K>::to(k), Conv<V>::to(v)));
    return Value::map(std::move(entries));
  }
  static ::actr::Result<M> from(const Value& v) {
    if (v.kind != Kind::Map) return shape_error("map", v);
    M out;
    out.reserve(v.items.size());
    for (const auto& e : v.items) {
      if (e.kind != Kind::Tuple || e.items.size() != 2) return make_error("map: malformed entry");
      ACTR_TRY(K key, Conv<K>::from(e.items[0]));
      ACTR_TRY(V value, Conv<V>::from(e.items[1]));
      out.emplace_back(std::move(key), std::move(value));
    }
    return out;
  }
};

template <class T>
struct Conv<std::optional<T>> {
  static TypeRef type() { return component::option_of(Conv<T>::type()); }
  static Value to(const std::optional<T>& v) {
    return v ? Value::some(Conv<T>::to(*v)) : Value::none();
  }
  static ::actr::Result<std::optional<T>> from(const Value& v) {
    if (v.kind != Kind::Option) return shape_error("option", v);
    if (!v.has_payload()) return std::optional<T>();
    ACTR_TRY(T inner, Conv<T>::from(v.payload()));
    return std::optional<T>(std::move(inner));
  }
};

// Payloads that may be absent (std::monostate).
template <class P>
TypeRef payload_type() {
  if constexpr (std::is_same_v<P, std::monostate>) {
    return nullptr;
  } else {
    return Conv<P>::type();
  }
}

template <class T, class E>
struct Conv<::actr::wit::Result<T, E>> {
  using R = ::actr::wit::Result<T, E>;
  using Ok = typename R::ok_type;
  using Err = typename R::err_type;
  static TypeRef type() { return component::result_of(payload_type<Ok>(), payload_type<Err>()); }
  static Value to(const R& v) {
    if (v.is_ok()) {
      if constexpr (std::is_same_v<Ok, std::monostate>) {
        return Value::ok();
      } else {
        return Value::ok(Conv<Ok>::to(v.value()));
      }
    }
    if constexpr (std::is_same_v<Err, std::monostate>) {
      return Value::err();
    } else {
      return Value::err(Conv<Err>::to(v.error()));
    }
  }
  static ::actr::Result<R> from(const Value& v) {
    if (v.kind != Kind::Result) return shape_error("result", v);
    if (v.is_ok) {
      if constexpr (std::is_same_v<Ok, std::monostate>) {
        return R::Ok();
      } else {
        if (!v.has_payload()) return make_error("result: ok without its payload");
        ACTR_TRY(Ok ok, Conv<Ok>::from(v.payload()));
        return R::Ok(std::move(ok));
      }
    }
    if constexpr (std::is_same_v<Err, std::monostate>) {
      return R::Err();
    } else {
      if (!v.has_payload()) return make_error("result: err without its payload");
      ACTR_TRY(Err err, Conv<Err>::from(v.payload()));
      return R::Err(std::move(err));
    }
  }
};

template <class... Ts>
struct Conv<std::tuple<Ts...>> {
  using T = std::tuple<Ts...>;
  static TypeRef type() { return component::tuple_of({Conv<Ts>::type()...}); }
  static Value to(const T& v) {
    return std::apply([](const Ts&... e) { return Value::tuple({Conv<Ts>::to(e)...}); }, v);
  }
  template <size_t I>
  static ::actr::Result<void> item(const Value& v, T& out) {
    using E = std::tuple_element_t<I, T>;
    ACTR_TRY(E e, Conv<E>::from(v.items[I]));
    std::get<I>(out) = std::move(e);
    return {};
  }
  template <size_t... I>
  static ::actr::Result<void> items(const Value& v, T& out, std::index_sequence<I...>) {
    ::actr::Result<void> r;
    ((r.ok() ? (void)(r = item<I>(v, out)) : (void)0), ...);
    return r;
  }
  static ::actr::Result<T> from(const Value& v) {
    if (v.kind != Kind::Tuple) return shape_error("tuple", v);
    if (v.items.size() != sizeof...(Ts)) return make_error("tuple: wrong number of items");
    T out;
    ACTR_TRY_VOID(items(v, out, std::index_sequence_for<Ts...>{}));
    return out;
  }
};

// Variants: case I of the C++ std::variant is case I of the WIT variant.
template <class V>
struct VariantConv;
template <class... Ts>
struct VariantConv<std::variant<Ts...>> {
  using V = std::variant<Ts...>;
  template <size_t I = 0>
  static Value to(const V& v) {
    if constexpr (I < sizeof...(Ts)) {
      using P = std::variant_alternative_t<I, V>;
      if (v.index() != I) return to<I + 1>(v);
      if constexpr (std::is_same_v<P, std::monostate>) {
        return Value::variant(I);
      } else {
        return Value::variant(I, Conv<P>::to(std::get<I>(v)));
      }
    } else {
      return Value::variant(0);  // unreachable: index() < sizeof...(Ts)
    }
  }
  template <size_t I = 0>
  static ::actr::Result<V> from(const Value& v) {
    if constexpr (I < sizeof...(Ts)) {
      if (v.index != I) return from<I + 1>(v);
      using P = std::variant_alternative_t<I, V>;
      if constexpr (std::is_same_v<P, std::monostate>) {
        return V(std::in_place_index<I>);
      } else {
        if (!v.has_payload()) return make_error("variant case without its payload");
        ACTR_TRY(P p, Conv<P>::from(v.payload()));
        return V(std::in_place_index<I>, std::move(p));
      }
    } else {
      return make_error("variant case " + std::to_string(v.index) + " out of range");
    }
  }
};

}  // namespace actr::wit::host
