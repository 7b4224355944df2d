#include "component/canonical/check.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "actr/component/canonical/layout.hpp"
#include "common/unicode.hpp"

namespace actr::component::canonical {

namespace {

std::string resource_name(const std::shared_ptr<const ResourceType>& r) {
  return r ? "`" + (r->name.empty() ? std::string("<anonymous>") : r->name) + "`" : "<none>";
}

// Recursive checker. The path to a failure is collected while unwinding, so a successful check
// of a large list allocates nothing.
class Checker {
 public:
  bool check(const ValueType& t, const Value& v) {
    if (v.kind != t.kind) {
      return fail("expected `" + to_wit(t) + "`, found a " + to_string(v.kind) + " value");
    }
    switch (t.kind) {
      case Kind::U8:
        return unsigned_range(v, UINT8_MAX);
      case Kind::U16:
        return unsigned_range(v, UINT16_MAX);
      case Kind::U32:
        return unsigned_range(v, UINT32_MAX);
      case Kind::S8:
        return signed_range(v, INT8_MIN, INT8_MAX);
      case Kind::S16:
        return signed_range(v, INT16_MIN, INT16_MAX);
      case Kind::S32:
        return signed_range(v, INT32_MIN, INT32_MAX);
      case Kind::Char:
        if (v.u > 0x10FFFF || !unicode::is_scalar(static_cast<uint32_t>(v.u)))
          return fail("char value " + std::to_string(v.u) + " is not a Unicode scalar value");
        return true;
      case Kind::String: {
        if (v.str.size() > kMaxStringByteLength) {
          return fail("string of " + std::to_string(v.str.size()) +
                      " bytes is too long (the limit is " + std::to_string(kMaxStringByteLength) +
                      ")");
        }
        std::string message;
        if (!unicode::validate_utf8(v.str, &message))
          return fail("string is not valid utf-8: " + message);
        return true;
      }
      case Kind::List:
        if (!t.elem) return fail("list type without an element type");
        if (v.is_bytes()) {
          if (v.as_bytes().empty() || t.elem->kind == Kind::U8) return true;
          fail("expected `" + to_wit(*t.elem) + "`, found a u8 value");
          return at("list element 0");
        }
        if (numbers_ok(t.elem->kind, v.items)) return true;
        for (size_t i = 0; i < v.items.size(); ++i) {
          if (!check(*t.elem, v.items[i])) return at("list element " + std::to_string(i));
        }
        return true;
      case Kind::FixedList:
        if (!t.elem) return fail("list type without an element type");
        if (v.items.size() != t.length) {
          return fail("`" + to_wit(t) + "` value has " + std::to_string(v.items.size()) +
                      " elements, its type has " + std::to_string(t.length));
        }
        if (numbers_ok(t.elem->kind, v.items)) return true;
        for (size_t i = 0; i < v.items.size(); ++i) {
          if (!check(*t.elem, v.items[i])) return at("list element " + std::to_string(i));
        }
        return true;
      case Kind::Map:
        if (!t.key || !t.elem) return fail("map type without key and value types");
        if (!is_map_key(t.key->kind)) {
          return fail("map key type `" + to_wit(*t.key) +
                      "` is not bool, an integer, char or string");
        }
        for (size_t i = 0; i < v.items.size(); ++i) {
          const Value& e = v.items[i];
          std::string where = "map entry " + std::to_string(i);
          if (e.kind != Kind::Tuple || e.items.size() != 2) {
            fail("expected a (key, value) tuple, found a " + std::string(to_string(e.kind)) +
                 " value" +
                 (e.kind == Kind::Tuple ? " of " + std::to_string(e.items.size()) + " items" : ""));
            return at(std::move(where));
          }
          if (!check(*t.key, e.items[0])) return at(where + " key");
          if (!check(*t.elem, e.items[1])) return at(where + " value");
        }
        return true;
      case Kind::Record:
        if (v.items.size() != t.fields.size()) {
          return fail("record value has " + std::to_string(v.items.size()) +
                      " fields, its type has " + std::to_string(t.fields.size()));
        }
        for (size_t i = 0; i < t.fields.size(); ++i) {
          if (!t.fields[i].type) return fail("record field without a type");
          if (!check(*t.fields[i].type, v.items[i])) return at("field `" + t.fields[i].name + "`");
        }
        return true;
      case Kind::Tuple:
        if (v.items.size() != t.items.size()) {
          return fail("tuple value has " + std::to_string(v.items.size()) +
                      " items, its type has " + std::to_string(t.items.size()));
        }
        for (size_t i = 0; i < t.items.size(); ++i) {
          if (!t.items[i]) return fail("tuple item without a type");
          if (!check(*t.items[i], v.items[i])) return at("tuple item " + std::to_string(i));
        }
        return true;
      case Kind::Variant:
        if (v.index >= t.cases.size()) {
          return fail("case index " + std::to_string(v.index) + " out of range for a variant of " +
                      std::to_string(t.cases.size()) + " cases");
        }
        return payload(t.cases[v.index].type.get(), v, "case `" + t.cases[v.index].name + "`");
      case Kind::Enum:
        if (v.index >= t.names.size()) {
          return fail("case index " + std::to_string(v.index) + " out of range for an enum of " +
                      std::to_string(t.names.size()) + " cases");
        }
        return true;
      case Kind::Option:
        if (v.items.empty()) return true;
        return payload(t.elem.get(), v, "option `some`");
      case Kind::Result:
        return payload(v.is_ok ? t.ok.get() : t.err.get(), v,
                       v.is_ok ? "result `ok`" : "result `err`");
      case Kind::Flags:
        if (t.names.size() > 64) return fail("flags types of more than 64 flags are unsupported");
        if (t.names.size() < 64 && (v.u >> t.names.size()) != 0) {
          return fail("flags value sets bits beyond the " + std::to_string(t.names.size()) +
                      " flags of its type");
        }
        return true;
      case Kind::Own:
      case Kind::Borrow:
        if (v.handle.type != t.resource) {
          return fail("handle of resource " + resource_name(v.handle.type) + " where resource " +
                      resource_name(t.resource) + " is expected");
        }
        return true;
      default:
        return true;
    }
  }

  Error error() const {
    std::string msg;
    if (!path_.empty()) {
      msg = "in ";
      for (size_t i = path_.size(); i-- > 0;) {
        msg += path_[i];
        if (i) msg += ", ";
      }
      msg += ": ";
    }
    return make_error(msg + what_);
  }

 private:
  // Lists of numbers (byte payloads above all) in one tight loop; on any doubt the caller
  // checks element by element for the message.
  static bool numbers_ok(Kind k, const std::vector<Value>& items) {
    auto all = [&](auto in_range) {
      for (const Value& v : items) {
        if (v.kind != k || !in_range(v)) return false;
      }
      return true;
    };
    auto any = [](const Value&) { return true; };
    switch (k) {
      case Kind::U8:
        return all([](const Value& v) { return v.u <= UINT8_MAX; });
      case Kind::U16:
        return all([](const Value& v) { return v.u <= UINT16_MAX; });
      case Kind::U32:
        return all([](const Value& v) { return v.u <= UINT32_MAX; });
      case Kind::S8:
        return all([](const Value& v) { return v.s >= INT8_MIN && v.s <= INT8_MAX; });
      case Kind::S16:
        return all([](const Value& v) { return v.s >= INT16_MIN && v.s <= INT16_MAX; });
      case Kind::S32:
        return all([](const Value& v) { return v.s >= INT32_MIN && v.s <= INT32_MAX; });
      case Kind::U64:
      case Kind::S64:
      case Kind::F32:
      case Kind::F64:
      case Kind::Bool:
        return all(any);
      default:
        return false;
    }
  }

  bool unsigned_range(const Value& v, uint64_t max) {
    if (v.u > max)
      return fail(std::to_string(v.u) + " is out of range for `" + to_string(v.kind) + "`");
    return true;
  }
  bool signed_range(const Value& v, int64_t min, int64_t max) {
    if (v.s < min || v.s > max)
      return fail(std::to_string(v.s) + " is out of range for `" + to_string(v.kind) + "`");
    return true;
  }

  bool payload(const ValueType* type, const Value& v, const std::string& what) {
    if (v.items.size() > 1) return fail(what + " has more than one payload");
    if (!type) {
      if (!v.items.empty()) return fail(what + " has a payload but its type has none");
      return true;
    }
    if (v.items.empty()) return fail(what + " is missing its payload");
    if (!check(*type, v.items[0])) return at(what);
    return true;
  }

  bool fail(std::string what) {
    what_ = std::move(what);
    return false;
  }
  bool at(std::string where) {
    path_.push_back(std::move(where));
    return false;
  }

  std::string what_;
  std::vector<std::string> path_;
};

}  // namespace

Result<void> check_value(const ValueType& t, const Value& v) {
  Checker c;
  if (!c.check(t, v)) return c.error();
  return {};
}

}  // namespace actr::component::canonical
