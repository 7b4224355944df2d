#include "actr/component/canonical/layout.hpp"

#include <algorithm>
#include <limits>

namespace actr::component::canonical {

uint32_t case_count(const ValueType& t) {
  switch (t.kind) {
    case Kind::Variant:
      return static_cast<uint32_t>(t.cases.size());
    case Kind::Enum:
      return static_cast<uint32_t>(t.names.size());
    case Kind::Option:
    case Kind::Result:
      return 2;
    default:
      return 0;
  }
}

const ValueType* case_type(const ValueType& t, uint32_t i) {
  switch (t.kind) {
    case Kind::Variant:
      return i < t.cases.size() ? t.cases[i].type.get() : nullptr;
    case Kind::Option:
      return i == 1 ? t.elem.get() : nullptr;
    case Kind::Result:
      return i == 0 ? t.ok.get() : i == 1 ? t.err.get() : nullptr;
    default:
      return nullptr;
  }
}

MapEntryLayout map_entry_layout(const Layout& key, const Layout& value) {
  MapEntryLayout e;
  e.align = std::max(key.align, value.align);
  e.value_offset = static_cast<uint32_t>(align_to(key.size, value.align));
  e.size = static_cast<uint32_t>(align_to(uint64_t{e.value_offset} + value.size, e.align));
  return e;
}

uint32_t flags_size(size_t num_labels) {
  if (num_labels <= 8) return 1;
  if (num_labels <= 16) return 2;
  return 4 * static_cast<uint32_t>((num_labels + 31) / 32);
}

uint32_t flags_flat_count(size_t num_labels) {
  return std::max<uint32_t>(1, static_cast<uint32_t>((num_labels + 31) / 32));
}

uint32_t scalar_size(Kind k) {
  switch (k) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8:
      return 1;
    case Kind::S16:
    case Kind::U16:
      return 2;
    case Kind::S32:
    case Kind::U32:
    case Kind::F32:
    case Kind::Char:
    case Kind::Own:
    case Kind::Borrow:
      return 4;
    case Kind::S64:
    case Kind::U64:
    case Kind::F64:
    case Kind::String:
    case Kind::List:
      return 8;
    default:
      return 0;
  }
}

Layout compound_layout(const ValueType& t) {
  // One pass over the type tree: size and alignment of every node are computed once.
  Layout l;
  switch (t.kind) {
    case Kind::String:
    case Kind::List:
    case Kind::Map:
      l.size = 8;
      l.align = 4;
      return l;
    case Kind::Record:
    case Kind::Tuple: {
      uint64_t s = 0;
      auto add = [&](const ValueType* f) {
        if (!f) return;
        Layout fl = layout_of(*f);
        s = align_to(s, fl.align) + fl.size;
        l.align = std::max(l.align, fl.align);
      };
      if (t.kind == Kind::Record) {
        for (const Field& f : t.fields) add(f.type.get());
      } else {
        for (const TypeRef& i : t.items) add(i.get());
      }
      l.size = static_cast<uint32_t>(align_to(s, l.align));
      return l;
    }
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      uint32_t case_align = 1, payload = 0;
      for (uint32_t i = 0, n = case_count(t); i < n; ++i) {
        if (const ValueType* c = case_type(t, i)) {
          Layout cl = layout_of(*c);
          case_align = std::max(case_align, cl.align);
          payload = std::max(payload, cl.size);
        }
      }
      uint32_t disc = discriminant_size(case_count(t));
      l.align = std::max(disc, case_align);
      l.payload_offset = static_cast<uint32_t>(align_to(disc, case_align));
      l.size = static_cast<uint32_t>(align_to(uint64_t{l.payload_offset} + payload, l.align));
      return l;
    }
    case Kind::Flags:
      l.size = flags_size(t.names.size());
      l.align = std::min<uint32_t>(l.size, 4);
      return l;
    case Kind::FixedList: {
      // A tuple of `length` elements: the element size is already a multiple of its alignment.
      // Validation keeps the product under 2^28.
      Layout el = layout_of(*t.elem);
      l.align = el.align;
      l.size = static_cast<uint32_t>(uint64_t{el.size} * t.length);
      return l;
    }
    default:
      l.size = l.align = scalar_size(t.kind);
      return l;
  }
}

uint32_t alignment(const ValueType& t) {
  if (uint32_t s = scalar_size(t.kind); s && t.kind != Kind::String && t.kind != Kind::List)
    return s;
  return layout_of(t).align;
}

uint32_t size_of(const ValueType& t) {
  if (uint32_t s = scalar_size(t.kind)) return s;
  return layout_of(t).size;
}

uint32_t payload_offset(const ValueType& t) { return layout_of(t).payload_offset; }

namespace {

wasm::ValType join(wasm::ValType a, wasm::ValType b) {
  using wasm::ValType;
  if (a == b) return a;
  if ((a == ValType::I32 && b == ValType::F32) || (a == ValType::F32 && b == ValType::I32))
    return ValType::I32;
  return ValType::I64;
}

}  // namespace

void flatten(const ValueType& t, std::vector<wasm::ValType>& out) {
  using wasm::ValType;
  switch (t.kind) {
    case Kind::S64:
    case Kind::U64:
      out.push_back(ValType::I64);
      return;
    case Kind::F32:
      out.push_back(ValType::F32);
      return;
    case Kind::F64:
      out.push_back(ValType::F64);
      return;
    case Kind::String:
    case Kind::List:
    case Kind::Map:
      out.push_back(ValType::I32);
      out.push_back(ValType::I32);
      return;
    case Kind::Record:
      for (const Field& f : t.fields)
        if (f.type) flatten(*f.type, out);
      return;
    case Kind::Tuple:
      for (const TypeRef& i : t.items)
        if (i) flatten(*i, out);
      return;
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      out.push_back(ValType::I32);
      size_t start = out.size();
      std::vector<ValType> one;
      for (uint32_t i = 0, n = case_count(t); i < n; ++i) {
        const ValueType* c = case_type(t, i);
        if (!c) continue;
        one.clear();
        flatten(*c, one);
        for (size_t j = 0; j < one.size(); ++j) {
          if (start + j < out.size()) {
            out[start + j] = join(out[start + j], one[j]);
          } else {
            out.push_back(one[j]);
          }
        }
      }
      return;
    }
    case Kind::Flags:
      out.insert(out.end(), flags_flat_count(t.names.size()), ValType::I32);
      return;
    case Kind::FixedList: {
      // As a tuple of `length` elements. A long list is passed in memory anyway (the flat
      // count is over kMaxFlatParams), so only short ones are written out here.
      std::vector<ValType> one;
      flatten(*t.elem, one);
      for (uint32_t i = 0; i < t.length; ++i) out.insert(out.end(), one.begin(), one.end());
      return;
    }
    default:
      out.push_back(ValType::I32);
      return;
  }
}

std::vector<wasm::ValType> flatten(const ValueType& t) {
  std::vector<wasm::ValType> out;
  flatten(t, out);
  return out;
}

uint32_t flat_count(const ValueType& t) {
  return flat_count(t, std::numeric_limits<uint32_t>::max());
}

uint32_t flat_count(std::span<const Param> params) {
  return flat_count(params, std::numeric_limits<uint32_t>::max());
}

uint32_t flat_count(const ValueType& t, uint32_t limit) {
  switch (t.kind) {
    case Kind::Record:
    case Kind::Tuple: {
      uint32_t n = 0;
      auto add = [&](const TypeRef& m) {
        if (m) n += flat_count(*m, limit - n);
        return n <= limit;
      };
      for (const Field& f : t.fields)
        if (!add(f.type)) return n;
      for (const TypeRef& i : t.items)
        if (!add(i)) return n;
      return n;
    }
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      uint32_t payload = 0;
      uint32_t payload_limit = limit == 0 ? 0 : limit - 1;
      for (uint32_t i = 0, n = case_count(t); i < n && payload <= payload_limit; ++i) {
        if (const ValueType* c = case_type(t, i))
          payload = std::max(payload, flat_count(*c, payload_limit));
      }
      return 1 + payload;
    }
    case Kind::String:
    case Kind::List:
    case Kind::Map:
      return 2;
    case Kind::Flags:
      return flags_flat_count(t.names.size());
    case Kind::FixedList: {
      uint32_t per = flat_count(*t.elem, limit);
      if (per == 0) return 0;
      uint64_t n = uint64_t{per} * t.length;
      if (n > limit)
        return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{limit} + 1, UINT32_MAX));
      return static_cast<uint32_t>(n);
    }
    default:
      return 1;
  }
}

uint32_t flat_count(std::span<const Param> params, uint32_t limit) {
  uint32_t n = 0;
  for (const Param& p : params) {
    if (p.type) n += flat_count(*p.type, limit - n);
    if (n > limit) return n;
  }
  return n;
}

Layout tuple_layout(std::span<const Param> params) {
  Layout l;
  uint64_t s = 0;
  for (const Param& p : params) {
    if (!p.type) continue;
    Layout pl = layout_of(*p.type);
    s = align_to(s, pl.align) + pl.size;
    l.align = std::max(l.align, pl.align);
  }
  l.size = static_cast<uint32_t>(align_to(s, l.align));
  return l;
}

uint32_t tuple_alignment(std::span<const Param> params) { return tuple_layout(params).align; }

uint32_t tuple_size(std::span<const Param> params) { return tuple_layout(params).size; }

wasm::FuncType flatten_func(const FuncType& ft, Direction d) {
  wasm::FuncType core;
  if (flat_count(ft.params, kMaxFlatParams) > kMaxFlatParams) {
    core.params.push_back(wasm::ValType::I32);
  } else {
    for (const Param& p : ft.params)
      if (p.type) flatten(*p.type, core.params);
  }
  if (flat_count(ft.results, kMaxFlatResults) > kMaxFlatResults) {
    if (d == Direction::Lift) {
      core.results.push_back(wasm::ValType::I32);
    } else {
      core.params.push_back(wasm::ValType::I32);
    }
  } else {
    for (const Param& p : ft.results)
      if (p.type) flatten(*p.type, core.results);
  }
  return core;
}

void LayoutCache::add(const ValueType& t) {
  auto k = static_cast<size_t>(t.kind);
  bool compound =
      k > static_cast<size_t>(Kind::List) && t.kind != Kind::Own && t.kind != Kind::Borrow;
  if (compound) {
    if (find(t)) return;
    entries_.push_back({&t, compound_layout(t), canonical::flat_count(t)});
  }
  auto visit = [&](const TypeRef& r) {
    if (r) add(*r);
  };
  visit(t.key);
  visit(t.elem);
  visit(t.ok);
  visit(t.err);
  for (const Field& f : t.fields) visit(f.type);
  for (const TypeRef& i : t.items) visit(i);
  for (const Case& c : t.cases) visit(c.type);
}

const LayoutCache::Entry* LayoutCache::find(const ValueType& t) const {
  for (const Entry& e : entries_) {
    if (e.type == &t) return &e;
  }
  return nullptr;
}

Layout LayoutCache::layout(const ValueType& t) const {
  auto k = static_cast<size_t>(t.kind);
  if (k <= static_cast<size_t>(Kind::List) || t.kind == Kind::Own || t.kind == Kind::Borrow)
    return layout_of(t);
  if (const Entry* e = find(t)) return e->layout;
  return compound_layout(t);
}

uint32_t LayoutCache::flat_count(const ValueType& t) const {
  if (const Entry* e = find(t)) return e->flat_count;
  return canonical::flat_count(t);
}

}  // namespace actr::component::canonical
