#include "wasm/aot/aot_engine.hpp"

#include <optional>

#include "wasm/aot/aot_externs.hpp"
#include "wasm/aot/aot_module.hpp"
#include "wasm/aot/aot_store.hpp"
#include "wasm/aot/c_translation.hpp"
#include "wasm/aot/code_cache.hpp"
#include "wasm/aot/compiler_jobs.hpp"
#include "wasm/aot/glue_writer.hpp"
#include "wasm/aot/instance_tags.hpp"
#include "wasm/aot/module_shape.hpp"
#include "wasm/aot/native_compiler.hpp"
#include "wasm/aot/runtime.hpp"
#include "wasm/exception_lowering.hpp"

namespace actr::wasm {
namespace {

using namespace actr::wasm::aot;

// `out` receives the module with try_table lowered to legacy try/catch (wabt reads only that),
// or stays empty when there is nothing to lower.
Result<void> lower_exceptions(std::span<const uint8_t> module, std::vector<uint8_t>& out) {
  auto lowered = lower_try_table(module);
  if (!lowered) return lowered.take_error();
  if (lowered->has_value()) out = std::move(**lowered);
  return {};
}

class AotEngine final : public Engine {
 public:
  AotEngine(std::unique_ptr<CodeCache> cache,
            std::function<void(const CompileProgress&)> on_compile, bool cache_only, AotOptions aot)
      : cache_(std::move(cache)),
        on_compile_(std::move(on_compile)),
        cache_only_(cache_only),
        aot_(aot) {}
  ~AotEngine() override { forget_owner(this); }

  void cancel_compiles() override { cancel_compiles_of(this); }

  std::string_view name() const override { return "aot"; }

  Result<std::shared_ptr<Module>> compile(std::span<const uint8_t> bytes,
                                          const CompileHints& hints) override {
    std::string key = cache_->key_for(bytes);
    // A cached object exists only for bytes that were validated before (the key covers them).
    ACTR_TRY(std::shared_ptr<LoadedObject> object, cache_->find(key));
    if (!object && cache_only_) return make_error("not in the code cache");
    if (!object) {
      OwnerScope owner(this);  // cancel_compiles() reaches this compile
      auto began = std::chrono::steady_clock::now();
      CompileProgress progress;
      progress.wasm_bytes = bytes.size();
      auto tell = [&](CompileProgress::Stage stage) {
        progress.stage = stage;
        progress.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - began);
        if (on_compile_) on_compile_(progress);
      };
      // wabt reads legacy exception handling only (exception_lowering.hpp). Only a compile needs
      // it: the lowering changes code, not the imports and exports a cache hit reads below.
      std::vector<uint8_t> lowered;
      ACTR_TRY_VOID(lower_exceptions(bytes, lowered));
      std::span<const uint8_t> code = lowered.empty() ? bytes : std::span<const uint8_t>(lowered);
      // Validation comes first: an invalid module never reaches the C compiler.
      ACTR_TRY(CTranslation c, translate_to_c(code, kGeneratedModuleName, kGeneratedHeaderName));
      ACTR_TRY(ModuleShape shape, read_module_shape(code));
      ACTR_TRY(c.tag_registrations,
               move_tags_into_instance(c, shape, std::string("Z_") + kGeneratedModuleName));
      ACTR_TRY(std::string source, write_module_source(shape, c, key));
      progress.c_bytes = source.size();
      // Asked now, so that what an earlier tier ran while this compile translated counts.
      UnitProfile profile{hints.hot_functions ? hints.hot_functions() : std::vector<uint32_t>{},
                          c.defined_functions};
      progress.functions = c.defined_functions;
      progress.profiled_functions = profile.hot_functions.size();
      tell(CompileProgress::Stage::Translated);  // a compile begins
      auto compiled = cache_->compile_and_load(
          key, source, c.header,
          [&](size_t done, size_t total) {
            progress.units_done = done;
            progress.units_total = total;
            tell(CompileProgress::Stage::Compiling);
          },
          profile);
      if (!compiled) {
        tell(CompileProgress::Stage::Failed);
        return compiled.take_error();
      }
      object = std::move(*compiled);
      progress.units_done = progress.units_total;
      tell(CompileProgress::Stage::Finished);
    }
    ACTR_TRY(ModuleShape shape, read_module_shape(bytes));
    const actr_glue_module_t& glue = object->glue();
    if (glue.import_count != shape.imports.size() || glue.export_count != shape.exports.size()) {
      return make_error("aot: the cached object for this module does not match it");
    }
    return std::shared_ptr<Module>(
        std::make_shared<AotModule>(std::move(shape), std::move(object), aot_.memory_images));
  }

  std::unique_ptr<Store> new_store(const StoreLimits& limits) override {
    return std::make_unique<AotStore>(limits);
  }

 private:
  std::unique_ptr<CodeCache> cache_;
  std::function<void(const CompileProgress&)> on_compile_;
  bool cache_only_;
  AotOptions aot_;
};

}  // namespace

Result<std::unique_ptr<Engine>> make_aot_engine(const EngineOptions& options) {
  return make_aot_engine(options, AotOptions{});
}

Result<std::unique_ptr<Engine>> make_aot_engine(const EngineOptions& options,
                                                const AotOptions& aot) {
  init_runtime();
  ACTR_TRY(NativeCompiler compiler,
           NativeCompiler::find(options.c_compiler.value_or(default_compiler_command())));
  ACTR_TRY(std::unique_ptr<CodeCache> cache,
           CodeCache::open(options.cache_dir, std::move(compiler), options.cache_max_bytes));
  return std::unique_ptr<Engine>(
      std::make_unique<AotEngine>(std::move(cache), options.on_compile, options.cache_only, aot));
}

bool aot_compiler_available() {
  static const bool available = NativeCompiler::find(default_compiler_command()).ok();
  return available;
}

uint64_t aot_compiler_invocations() { return compiler_invocations(); }

namespace aot_detail {

Result<TypedTarget> typed_target(const Func& func, const FuncType& expected) {
  const auto* guest = dynamic_cast<const GuestFunc*>(&func);
  if (guest == nullptr) return make_error("typed calls need a guest function of the aot engine");
  if (guest->type() != expected) {
    return make_error("typed call signature " + expected.to_string() + " does not match " +
                      guest->type().to_string());
  }
  return TypedTarget{guest->store(), guest->instance(), guest->typed()};
}

Result<void> typed_entry(void* store, void (*thunk)(void*, uint64_t*), void* context) {
  return guarded_call(*static_cast<StoreContext*>(store), thunk, context, nullptr);
}

}  // namespace aot_detail
}  // namespace actr::wasm
