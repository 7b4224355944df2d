#include "wasm/aot/shared_tables.hpp"

#include <optional>
#include <string_view>

#include "wabt/cast.h"
#include "wabt/ir.h"

namespace actr::wasm::aot {
namespace {

// Clears the flag of every table an instruction in `exprs` names, but for call_indirect (which
// only reads an entry and calls it) and table.size.
void exclude_named_tables(const wabt::Module& module, const wabt::ExprList& exprs,
                          std::vector<bool>& shareable) {
  auto exclude = [&](const wabt::Var& table) {
    wabt::Index t = module.GetTableIndex(table);
    if (t < shareable.size()) shareable[t] = false;
  };
  for (const wabt::Expr& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::Block:
        exclude_named_tables(module, wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, shareable);
        break;
      case wabt::ExprType::Loop:
        exclude_named_tables(module, wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, shareable);
        break;
      case wabt::ExprType::If: {
        const auto* e = wabt::cast<wabt::IfExpr>(&expr);
        exclude_named_tables(module, e->true_.exprs, shareable);
        exclude_named_tables(module, e->false_, shareable);
        break;
      }
      case wabt::ExprType::Try: {
        const auto* e = wabt::cast<wabt::TryExpr>(&expr);
        exclude_named_tables(module, e->block.exprs, shareable);
        for (const wabt::Catch& c : e->catches) exclude_named_tables(module, c.exprs, shareable);
        break;
      }
      case wabt::ExprType::TableGet:
        exclude(wabt::cast<wabt::TableGetExpr>(&expr)->var);
        break;
      case wabt::ExprType::TableSet:
        exclude(wabt::cast<wabt::TableSetExpr>(&expr)->var);
        break;
      case wabt::ExprType::TableGrow:
        exclude(wabt::cast<wabt::TableGrowExpr>(&expr)->var);
        break;
      case wabt::ExprType::TableFill:
        exclude(wabt::cast<wabt::TableFillExpr>(&expr)->var);
        break;
      case wabt::ExprType::TableCopy: {
        const auto* e = wabt::cast<wabt::TableCopyExpr>(&expr);
        exclude(e->dst_table);
        exclude(e->src_table);  // would copy offsets into a table of absolute entries
        break;
      }
      case wabt::ExprType::TableInit:
        exclude(wabt::cast<wabt::TableInitExpr>(&expr)->table_index);
        break;
      case wabt::ExprType::ReturnCallIndirect:  // wasm2c writes it otherwise
        exclude(wabt::cast<wabt::ReturnCallIndirectExpr>(&expr)->table);
        break;
      default:
        break;
    }
  }
}

// The segment's constant offset, if it is one i32.const.
std::optional<uint32_t> constant_offset(const wabt::ElemSegment& segment) {
  if (segment.offset.size() != 1) return std::nullopt;
  const wabt::Expr& e = segment.offset.front();
  if (e.type() != wabt::ExprType::Const) return std::nullopt;
  const wabt::Const& c = wabt::cast<wabt::ConstExpr>(&e)->const_;
  if (c.type() != wabt::Type::I32) return std::nullopt;
  return c.u32();
}

bool only_functions_and_nulls(const wabt::ElemSegment& segment) {
  for (const wabt::ExprList& item : segment.elem_exprs) {
    if (item.size() != 1) return false;
    wabt::ExprType t = item.front().type();
    if (t != wabt::ExprType::RefFunc && t != wabt::ExprType::RefNull) return false;
  }
  return true;
}

struct Line {
  size_t begin, end;  // [begin, end), the newline excluded
};

// The body lines of the function whose definition starts with `head` ("\n" + signature), or an
// error. `close` is where its closing "}\n" starts.
Result<std::vector<Line>> body_lines(const std::string& source, std::string_view head,
                                     size_t& close) {
  size_t at = source.find(head);
  if (at == std::string::npos) {
    return make_error("aot: unexpected wasm2c output (no `" + std::string(head.substr(1)) + "`)");
  }
  size_t begin = source.find('\n', at + 1);
  close = source.find("\n}\n", at);
  if (begin == std::string::npos || close == std::string::npos || close < begin) {
    return make_error("aot: unexpected wasm2c output (open `" + std::string(head.substr(1)) + "`)");
  }
  std::vector<Line> lines;
  for (size_t b = begin + 1; b <= close;) {
    size_t e = source.find('\n', b);
    lines.push_back({b, e});
    b = e + 1;
  }
  close += 1;
  return lines;
}

// `text` with every "instance-><field>.data[<index>].module_instance" (call_indirect's first
// argument) replaced by that entry's offset added to the calling instance.
Result<std::string> relative_entries(const std::string& text, const std::string& field) {
  const std::string entry = "instance->" + field + ".data[";
  constexpr std::string_view kTail = "].module_instance";
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  size_t from = 0;
  for (size_t at = text.find(entry); at != std::string::npos; at = text.find(entry, from)) {
    size_t close = text.find(']', at + entry.size());
    if (close == std::string::npos || text.compare(close, kTail.size(), kTail) != 0) {
      return make_error(
          "aot: unexpected wasm2c output (a shared table read other than by "
          "call_indirect)");
    }
    size_t end = close + kTail.size();
    out.append(text, from, at - from);
    out += "(void*)((char*)instance + (uintptr_t)";
    out.append(text, at, end - at);
    out += ')';
    from = end;
  }
  out.append(text, from, std::string::npos);
  return out;
}

}  // namespace

std::vector<bool> shareable_tables(const wabt::Module& module) {
  std::vector<bool> shareable(module.tables.size(), false);
  for (size_t t = module.num_table_imports; t < module.tables.size(); ++t) {
    const wabt::Table& table = *module.tables[t];
    shareable[t] = table.elem_type == wabt::Type::FuncRef &&
                   table.elem_limits.initial <= kMaxSharedTableElements;
  }
  for (const wabt::Export* e : module.exports) {
    if (e->kind != wabt::ExternalKind::Table) continue;
    wabt::Index t = module.GetTableIndex(e->var);
    if (t < shareable.size()) shareable[t] = false;
  }
  for (size_t f = module.num_func_imports; f < module.funcs.size(); ++f) {
    exclude_named_tables(module, module.funcs[f]->exprs, shareable);
  }
  for (const wabt::ElemSegment* segment : module.elem_segments) {
    if (segment->kind != wabt::SegmentKind::Active) continue;
    wabt::Index t = module.GetTableIndex(segment->table_var);
    if (t >= shareable.size() || !shareable[t]) continue;
    std::optional<uint32_t> offset = constant_offset(*segment);
    shareable[t] =
        offset && only_functions_and_nulls(*segment) &&
        uint64_t{*offset} + segment->elem_exprs.size() <= module.tables[t]->elem_limits.initial;
  }
  return shareable;
}

Result<void> share_tables(const std::vector<bool>& shared, size_t imported_tables,
                          std::string& source) {
  bool any = false;
  for (bool s : shared) any = any || s;
  if (!any) return {};

  // init_tables allocates the module's own tables in index order, then fills them.
  size_t close = 0;
  ACTR_TRY(std::vector<Line> lines, body_lines(source, "\nstatic void init_tables(", close));
  struct Shared {
    std::string field, elements, max;
  };
  std::vector<Shared> templates;
  std::string per_instance, fills;
  size_t defined = 0;
  auto field_of = [&](std::string_view line, std::string_view call) {
    size_t begin = call.size();
    size_t comma = line.find(',', begin);
    return comma == std::string_view::npos ? std::string()
                                           : std::string(line.substr(begin, comma - begin));
  };
  auto shared_index = [&](const std::string& field) -> std::optional<size_t> {
    for (size_t k = 0; k < templates.size(); ++k) {
      if (templates[k].field == field) return k;
    }
    return std::nullopt;
  };
  constexpr std::string_view kAllocate = "  wasm_rt_allocate_funcref_table(&instance->";
  constexpr std::string_view kAllocateExtern = "  wasm_rt_allocate_externref_table(&instance->";
  constexpr std::string_view kFill = "  funcref_table_init(&instance->";
  constexpr std::string_view kFillTail = ", instance, func_types);";
  for (const Line& l : lines) {
    std::string_view line(source.data() + l.begin, l.end - l.begin);
    if (line.starts_with(kAllocate) || line.starts_with(kAllocateExtern)) {
      size_t t = imported_tables + defined++;
      if (line.starts_with(kAllocate) && t < shared.size() && shared[t]) {
        std::string field = field_of(line, kAllocate);
        size_t comma = line.find(", ", kAllocate.size());
        size_t second = line.find(", ", comma + 2);
        size_t paren = line.rfind(");");
        if (field.empty() || second == std::string_view::npos || paren == std::string_view::npos) {
          return make_error("aot: unexpected wasm2c output (table allocation)");
        }
        templates.push_back({field, std::string(line.substr(comma + 2, second - comma - 2)),
                             std::string(line.substr(second + 2, paren - second - 2))});
        per_instance += "  instance->" + field + " = actr_table_template_" +
                        std::to_string(templates.size() - 1) + ";\n";
        continue;
      }
    } else if (line.starts_with(kFill)) {
      if (std::optional<size_t> k = shared_index(field_of(line, kFill))) {
        if (!line.ends_with(kFillTail)) {
          return make_error("aot: unexpected wasm2c output (table initialization)");
        }
        size_t args = kFill.size() + templates[*k].field.size();
        fills += "  actr_template_init(&actr_table_template_" + std::to_string(*k) +
                 std::string(line.substr(args, line.size() - args - kFillTail.size())) +
                 ", func_types);\n";
        continue;
      }
    }
    per_instance.append(line);
    per_instance += '\n';
  }
  if (lines.empty() || defined != shared.size() - imported_tables) {
    return make_error("aot: unexpected wasm2c output (tables in init_tables)");
  }

  // The templates and their filling, right before init_tables; init_tables copies the structs.
  std::string definitions;
  for (size_t k = 0; k < templates.size(); ++k) {
    std::string name = "actr_table_template_" + std::to_string(k);
    definitions += "static wasm_rt_funcref_t " + name + "_data[" + templates[k].elements +
                   " + 1];\nstatic wasm_rt_funcref_table_t " + name + ";\n";
  }
  definitions += R"(
/* actr: an entry of a shared table holds the offset of its instance from the calling instance's
 * struct (shared_tables.hpp); the bounds were checked when the module was compiled. */
static __attribute__((unused)) void actr_template_init(wasm_rt_funcref_table_t* dest,
                               const wasm_elem_segment_expr_t* src, u32 src_size, u32 dest_addr,
                               u32 src_addr, u32 n, const u32* func_types) {
  (void)src_size;
  for (u32 i = 0; i < n; i++) {
    const wasm_elem_segment_expr_t* e = &src[src_addr + i];
    dest->data[dest_addr + i] = (wasm_rt_funcref_t){func_types[e->func_type_index], e->func,
                                                    (void*)(uintptr_t)e->module_offset};
  }
}
static void actr_init_table_templates(void) {
)";
  for (size_t k = 0; k < templates.size(); ++k) {
    std::string name = "actr_table_template_" + std::to_string(k);
    definitions += "  " + name + ".data = " + name + "_data;\n  " + name +
                   ".max_size = " + templates[k].max + "u;\n  " + name +
                   ".size = " + templates[k].elements + "u;\n";
  }
  definitions += fills + "}\n";

  size_t body_begin = lines.front().begin;
  std::string rewritten;
  rewritten.reserve(source.size() + definitions.size() + 4096);
  size_t head = source.rfind("\nstatic void init_tables(", body_begin);
  rewritten.append(source, 0, head + 1);
  rewritten += definitions;
  rewritten.append(source, head + 1, body_begin - head - 1);
  rewritten += per_instance;
  rewritten.append(source, close, std::string::npos);
  source = std::move(rewritten);

  // Filled once per loaded object, after the function types are registered.
  constexpr std::string_view kInitModule = "_init_module(void) {\n";
  size_t init = source.find(kInitModule);
  size_t init_end = init == std::string::npos ? init : source.find("\n}\n", init);
  if (init_end == std::string::npos) {
    return make_error("aot: unexpected wasm2c output (init_module)");
  }
  source.insert(init_end + 1, "  actr_init_table_templates();\n");

  for (const Shared& t : templates) {
    // The instance frees nothing of a shared table.
    std::string free_line = "  wasm_rt_free_funcref_table(&instance->" + t.field + ");\n";
    size_t at = source.find(free_line);
    if (at == std::string::npos) return make_error("aot: unexpected wasm2c output (table free)");
    source.erase(at, free_line.size());
    ACTR_TRY(source, relative_entries(source, t.field));
  }
  return {};
}

}  // namespace actr::wasm::aot
