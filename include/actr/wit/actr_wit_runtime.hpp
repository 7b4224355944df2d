// actr's binding runtime (include/actr/wit; hand-written, not generated): actr-witgen writes a
// copy of it beside the bindings it generates, which include it by its bare name.
// actr::wit::Result<T, E>: the C++ form of the WIT `result<T, E>`; T or E is void when the WIT
// result has no payload on that side (`result<_, E>`, `result<T>`, `result`).
// actr::wit::Map<K, V>: the C++ form of `map<K, V>`.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace actr::wit {

// The stored form of a payload: std::monostate stands for "none".
template <class T>
using Payload = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T, class E>
class Result {
 public:
  using ok_type = Payload<T>;
  using err_type = Payload<E>;

  Result() = default;  // ok, with a default payload
  static Result Ok(ok_type v = {}) { return Result(std::in_place_index<0>, std::move(v)); }
  static Result Err(err_type e = {}) { return Result(std::in_place_index<1>, std::move(e)); }

  bool is_ok() const { return v_.index() == 0; }
  bool is_err() const { return v_.index() == 1; }
  explicit operator bool() const { return is_ok(); }
  ok_type& value() { return std::get<0>(v_); }
  const ok_type& value() const { return std::get<0>(v_); }
  err_type& error() { return std::get<1>(v_); }
  const err_type& error() const { return std::get<1>(v_); }

  // The underlying variant (index 0: ok, 1: err), for the ABI code.
  const std::variant<ok_type, err_type>& raw() const { return v_; }
  std::variant<ok_type, err_type>& raw() { return v_; }

  bool operator==(const Result&) const = default;

 private:
  template <size_t I, class V>
  Result(std::in_place_index_t<I> i, V&& v) : v_(i, std::forward<V>(v)) {}
  std::variant<ok_type, err_type> v_;
};

// The entries of a `map<K, V>` in the order they were sent. Like the canonical ABI (which passes
// a map as list<tuple<K, V>>) it keeps duplicate keys; look-ups take the first match.
template <class K, class V>
struct Map : std::vector<std::pair<K, V>> {
  using std::vector<std::pair<K, V>>::vector;

  // The value of the first entry with `key`, or null.
  const V* find(const K& key) const {
    for (const auto& e : *this) {
      if (e.first == key) return &e.second;
    }
    return nullptr;
  }
  bool operator==(const Map&) const = default;
};

}  // namespace actr::wit
