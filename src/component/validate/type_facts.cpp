#include "component/validate/type_facts.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace actr::component::validate {
namespace {

constexpr uint64_t kSaturate = uint64_t{1} << 40;

uint64_t sat_add(uint64_t a, uint64_t b) { return std::min(a + b, kSaturate); }
uint64_t align_to(uint64_t n, uint32_t a) { return std::min((n + a - 1) / a * a, kSaturate); }

uint32_t discriminant_size(size_t cases) { return cases <= 256 ? 1 : cases <= 65536 ? 2 : 4; }

void set_primitive_layout(Kind k, TypeFacts& f) {
  switch (k) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8:
      f.size = 1, f.align = 1;
      break;
    case Kind::S16:
    case Kind::U16:
      f.size = 2, f.align = 2;
      break;
    case Kind::S32:
    case Kind::U32:
    case Kind::F32:
    case Kind::Char:
      f.size = 4, f.align = 4;
      break;
    case Kind::S64:
    case Kind::U64:
    case Kind::F64:
      f.size = 8, f.align = 8;
      break;
    case Kind::String:
      f.size = 8, f.align = 4, f.has_string_or_list = true;
      break;
    default:
      break;
  }
}

using Flat = std::vector<wasm::ValType>;

wasm::ValType join(wasm::ValType a, wasm::ValType b) {
  using V = wasm::ValType;
  if (a == b) return a;
  if ((a == V::I32 && b == V::F32) || (a == V::F32 && b == V::I32)) return V::I32;
  return V::I64;
}

// Appends the flattening of `t` to `out`, giving up (leaving `out` longer than `limit`) as soon
// as it exceeds `limit`: callers only need to know whether it fits.
void flatten(const ValueType& t, Flat& out, size_t limit) {
  using V = wasm::ValType;
  if (out.size() > limit) return;
  switch (t.kind) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8:
    case Kind::S16:
    case Kind::U16:
    case Kind::S32:
    case Kind::U32:
    case Kind::Char:
    case Kind::Enum:
    case Kind::Own:
    case Kind::Borrow:
      out.push_back(V::I32);
      return;
    case Kind::S64:
    case Kind::U64:
      out.push_back(V::I64);
      return;
    case Kind::F32:
      out.push_back(V::F32);
      return;
    case Kind::F64:
      out.push_back(V::F64);
      return;
    case Kind::String:
    case Kind::List:
    case Kind::Map:
      out.push_back(V::I32);
      out.push_back(V::I32);
      return;
    case Kind::Flags:
      for (size_t i = 0; i < (t.names.size() + 31) / 32 && out.size() <= limit; ++i)
        out.push_back(V::I32);
      return;
    case Kind::Record:
      for (const auto& f : t.fields) flatten(*f.type, out, limit);
      return;
    case Kind::Tuple:
      for (const auto& i : t.items) flatten(*i, out, limit);
      return;
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      std::vector<const ValueType*> payloads;
      if (t.kind == Kind::Variant) {
        for (const auto& c : t.cases) payloads.push_back(c.type.get());
      } else if (t.kind == Kind::Option) {
        payloads = {nullptr, t.elem.get()};
      } else {
        payloads = {t.ok.get(), t.err.get()};
      }
      out.push_back(V::I32);
      Flat joined;
      for (const ValueType* p : payloads) {
        if (!p) continue;
        Flat f;
        flatten(*p, f, limit);
        for (size_t i = 0; i < f.size() && i <= limit; ++i) {
          if (i < joined.size()) {
            joined[i] = join(joined[i], f[i]);
          } else {
            joined.push_back(f[i]);
          }
        }
      }
      for (V v : joined) {
        if (out.size() > limit) break;
        out.push_back(v);
      }
      return;
    }
  }
}

Flat flatten_all(const std::vector<Param>& ps, size_t limit) {
  Flat out;
  for (const auto& p : ps) flatten(*p.type, out, limit);
  return out;
}

}  // namespace

TypeRef primitive_type(Kind k) {
  static const auto table = [] {
    std::array<TypeRef, static_cast<size_t>(Kind::String) + 1> t;
    for (size_t i = 0; i < t.size(); ++i) {
      auto v = std::make_shared<ValueType>();
      v->kind = static_cast<Kind>(i);
      t[i] = std::move(v);
    }
    return t;
  }();
  size_t i = static_cast<size_t>(k);
  return i < table.size() ? table[i] : nullptr;
}

const TypeFacts& TypeFactsCache::of(const TypeRef& tp) {
  static const TypeFacts kNone;
  if (!tp) return kNone;
  if (auto it = memo_.find(tp.get()); it != memo_.end()) return it->second.second;
  const ValueType& t = *tp;
  TypeFacts f;
  auto child = [&](const TypeRef& c) -> const TypeFacts& {
    const TypeFacts& cf = of(c);
    f.depth = std::max(f.depth, cf.depth + 1);
    f.nodes = sat_add(f.nodes, cf.nodes);
    f.has_string_or_list |= cf.has_string_or_list;
    f.has_borrow |= cf.has_borrow;
    f.has_handle |= cf.has_handle;
    return cf;
  };
  // Canonical ABI layout: records and tuples lay out their members in order; variants put the
  // discriminant first and align the payload area to the strictest case.
  auto members = [&](const std::vector<const TypeRef*>& ms) {
    uint64_t size = 0;
    uint32_t align = 1;
    for (const TypeRef* m : ms) {
      const TypeFacts& cf = child(*m);
      size = sat_add(align_to(size, cf.align), cf.size);
      align = std::max(align, cf.align);
    }
    f.size = align_to(size, align);
    f.align = align;
  };
  auto cases = [&](const std::vector<const TypeRef*>& payloads, size_t count) {
    uint32_t disc = discriminant_size(count);
    uint64_t max_size = 0;
    uint32_t max_align = disc;
    for (const TypeRef* p : payloads) {
      if (!p || !*p) continue;
      const TypeFacts& cf = child(*p);
      max_size = std::max(max_size, cf.size);
      max_align = std::max(max_align, cf.align);
    }
    f.size = align_to(sat_add(align_to(disc, max_align), max_size), max_align);
    f.align = max_align;
  };
  switch (t.kind) {
    case Kind::Map:
      child(t.key);
      [[fallthrough]];
    case Kind::List: {
      child(t.elem);
      f.size = 8, f.align = 4;
      f.has_string_or_list = true;
      break;
    }
    case Kind::Record: {
      std::vector<const TypeRef*> ms;
      for (const auto& fl : t.fields) ms.push_back(&fl.type);
      members(ms);
      break;
    }
    case Kind::Tuple: {
      std::vector<const TypeRef*> ms;
      for (const auto& i : t.items) ms.push_back(&i);
      members(ms);
      break;
    }
    case Kind::Variant: {
      std::vector<const TypeRef*> ps;
      for (const auto& c : t.cases) ps.push_back(&c.type);
      cases(ps, t.cases.size());
      break;
    }
    case Kind::Option:
      cases({&t.elem}, 2);
      break;
    case Kind::Result:
      cases({&t.ok, &t.err}, 2);
      break;
    case Kind::Enum:
      cases({}, t.names.size());
      break;
    case Kind::Flags: {
      size_t n = t.names.size();
      f.size = n == 0 ? 0 : n <= 8 ? 1 : n <= 16 ? 2 : 4 * ((n + 31) / 32);
      f.align = n <= 8 ? 1 : n <= 16 ? 2 : 4;
      break;
    }
    case Kind::Own:
    case Kind::Borrow:
      f.size = 4, f.align = 4;
      f.has_handle = true;
      f.has_borrow = t.kind == Kind::Borrow;
      break;
    default:
      set_primitive_layout(t.kind, f);
      break;
  }
  return memo_.emplace(tp.get(), std::make_pair(tp, f)).first->second.second;
}

size_t flat_count(const ValueType& t, size_t limit) {
  Flat out;
  flatten(t, out, limit);
  return out.size();
}

wasm::FuncType flatten_functype(const FuncType& ft, bool lift) {
  wasm::FuncType core;
  Flat params = flatten_all(ft.params, kMaxFlatParams);
  Flat results = flatten_all(ft.results, kMaxFlatResults);
  if (params.size() > kMaxFlatParams) params = {wasm::ValType::I32};
  if (results.size() > kMaxFlatResults) {
    if (lift) {
      results = {wasm::ValType::I32};
    } else {
      params.push_back(wasm::ValType::I32);
      results.clear();
    }
  }
  core.params = std::move(params);
  core.results = std::move(results);
  return core;
}

}  // namespace actr::component::validate
