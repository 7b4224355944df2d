#include "support/wat.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "wabt/binary-writer.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace actr::test {

std::vector<uint8_t> wat_to_wasm(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", wat.data(), wat.size(), &errors);
  wabt::Features features;
  features.enable_exceptions();  // legacy try/catch, as both engines read it
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options))) {
    ADD_FAILURE() << "invalid WAT:\n"
                  << wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    return {};
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    ADD_FAILURE() << "wabt could not encode the module";
    return {};
  }
  return std::move(stream.output_buffer().data);
}

}  // namespace actr::test
