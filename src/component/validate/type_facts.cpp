#include "component/validate/type_facts.hpp"

#include <algorithm>
#include <vector>

namespace actr::component::validate {
namespace {

constexpr uint64_t kSaturate = uint64_t{1} << 40;

uint64_t sat_add(uint64_t a, uint64_t b) { return std::min(a + b, kSaturate); }
uint64_t align_to(uint64_t n, uint32_t a) { return std::min((n + a - 1) / a * a, kSaturate); }
uint64_t sat_mul(uint64_t a, uint64_t b) { return b != 0 && a > kSaturate / b ? kSaturate : a * b; }

}  // namespace

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
    uint64_t size = 0, size64 = 0;
    uint32_t align = 1, align64 = 1;
    for (const TypeRef* m : ms) {
      const TypeFacts& cf = child(*m);
      size = sat_add(align_to(size, cf.align), cf.size);
      align = std::max(align, cf.align);
      size64 = sat_add(align_to(size64, cf.align64), cf.size64);
      align64 = std::max(align64, cf.align64);
    }
    f.size = align_to(size, align);
    f.align = align;
    f.size64 = align_to(size64, align64);
    f.align64 = align64;
  };
  auto cases = [&](const std::vector<const TypeRef*>& payloads, size_t count) {
    uint32_t disc = canonical::discriminant_size(count);
    uint64_t max_size = 0, max_size64 = 0;
    uint32_t max_align = disc, max_align64 = disc;
    for (const TypeRef* p : payloads) {
      if (!p || !*p) continue;
      const TypeFacts& cf = child(*p);
      max_size = std::max(max_size, cf.size);
      max_align = std::max(max_align, cf.align);
      max_size64 = std::max(max_size64, cf.size64);
      max_align64 = std::max(max_align64, cf.align64);
    }
    f.size = align_to(sat_add(align_to(disc, max_align), max_size), max_align);
    f.align = max_align;
    f.size64 = align_to(sat_add(align_to(disc, max_align64), max_size64), max_align64);
    f.align64 = max_align64;
  };
  switch (t.kind) {
    case Kind::Map:
      child(t.key);
      [[fallthrough]];
    case Kind::List: {
      child(t.elem);
      f.size = 8, f.align = 4;
      f.size64 = 16, f.align64 = 8;
      f.has_string_or_list = true;
      break;
    }
    case Kind::FixedList: {
      const TypeFacts& ef = child(t.elem);
      f.size = sat_mul(ef.size, t.length), f.align = ef.align;
      f.size64 = sat_mul(ef.size64, t.length), f.align64 = ef.align64;
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
    case Kind::Own:
    case Kind::Borrow:
      f.size = 4, f.align = 4;
      f.size64 = 4, f.align64 = 4;
      f.has_handle = true;
      f.has_borrow = t.kind == Kind::Borrow;
      break;
    default: {
      // Leaves (scalars, strings, enums, flags): no composition, nothing to saturate.
      canonical::Layout l = canonical::layout_of(t);
      f.size = l.size, f.align = l.align;
      f.size64 = l.size, f.align64 = l.align;
      if (t.kind == Kind::String) f.size64 = 16, f.align64 = 8;
      f.has_string_or_list = t.kind == Kind::String;
      break;
    }
  }
  return memo_.emplace(tp.get(), std::make_pair(tp, f)).first->second.second;
}

}  // namespace actr::component::validate
