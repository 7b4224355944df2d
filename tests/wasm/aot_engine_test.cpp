// The aot backend's own behaviour: the code cache (hits, concurrent compiles from threads and
// processes, refusing foreign objects), the compiled-code ABI (import fast paths, funcrefs of host
// functions, repeated imports), the typed call path, and native-stack safety. Behaviour shared
// with the interpreter is tested for both engines in engine_test.cpp.
#include "wasm/aot/aot_engine.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/missing.hpp"
#include "support/wat.hpp"

extern char** environ;

namespace actr::wasm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Slots = std::vector<Slot>;

std::shared_ptr<Func> as_func(const std::optional<Extern>& e) {
  if (!e || kind_of(*e) != ExternKind::Func) return nullptr;
  return std::get<std::shared_ptr<Func>>(*e);
}

Result<Slots> invoke(Func& f, Slots args = {}) {
  Slots results(f.type().results.size() + 1);
  auto r = f.call(args.data(), results.data());
  if (!r) return r.take_error();
  results.pop_back();
  return results;
}

bool is_trap(const Result<Slots>& r, TrapKind kind) {
  return !r.ok() && trap_kind(r.error()) == kind;
}

// A cache directory of its own, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("actr-aot-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::unique_ptr<Engine> aot_engine(const fs::path& cache_dir) {
  EngineOptions options;
  options.cache_dir = cache_dir;
  auto engine = make_aot_engine(options);
  EXPECT_TRUE(engine.ok()) << engine.error().message;
  return engine.ok() ? std::move(*engine) : nullptr;
}

// A module nobody compiled before in this cache: `seed` is baked into its code.
std::vector<uint8_t> seeded_module(uint64_t seed) {
  return test::wat_to_wasm("(module (func (export \"seed\") (result i64) (i64.const " +
                           std::to_string(seed) + ")))");
}

uint64_t fresh_seed() {
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
         (uint64_t(getpid()) << 40);
}

class AotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aot_compiler_available())
      ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
    engine_ = aot_engine(fs::path(ACTR_BINARY_DIR) / "test-aot-cache");
    ASSERT_TRUE(engine_);
  }

  std::shared_ptr<Module> compile(std::string_view wat) {
    auto module = engine_->compile(test::wat_to_wasm(wat));
    EXPECT_TRUE(module.ok()) << module.error().message;
    return module.ok() ? *module : nullptr;
  }

  std::shared_ptr<Instance> instantiate(Store& store, std::string_view wat,
                                        std::vector<Extern> imports = {}) {
    auto module = compile(wat);
    if (!module) return nullptr;
    auto instance = store.instantiate(*module, imports);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    return instance.ok() ? *instance : nullptr;
  }

  std::unique_ptr<Engine> engine_;
};

// ---- the code cache
// ------------------------------------------------------------------------------

TEST_F(AotTest, ASecondLoadCompilesNothing) {
  ScratchDir dir;
  auto bytes = seeded_module(fresh_seed());
  const uint64_t before = aot_compiler_invocations();
  {
    auto first = aot_engine(dir.path());
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->compile(bytes).ok());
  }
  EXPECT_EQ(aot_compiler_invocations(), before + 1);

  // A new engine (as in a new process) finds the object on disk.
  auto second = aot_engine(dir.path());
  ASSERT_TRUE(second);
  auto module = second->compile(bytes);
  ASSERT_TRUE(module.ok()) << module.error().message;
  ASSERT_TRUE(second->compile(bytes).ok());
  EXPECT_EQ(aot_compiler_invocations(), before + 1);

  auto store = second->new_store();
  auto instance = store->instantiate(**module, {});
  ASSERT_TRUE(instance.ok());
  EXPECT_TRUE(invoke(*as_func((*instance)->get_export("seed"))).ok());
}

TEST_F(AotTest, ConcurrentLoadsFromThreadsCompileOnce) {
  ScratchDir dir;
  auto engine = aot_engine(dir.path());
  ASSERT_TRUE(engine);
  const uint64_t seed = fresh_seed();
  auto bytes = seeded_module(seed);
  const uint64_t before = aot_compiler_invocations();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto module = engine->compile(bytes);
      if (!module) return;
      auto store = engine->new_store();
      auto instance = store->instantiate(**module, {});
      if (!instance) return;
      auto r = invoke(*as_func((*instance)->get_export("seed")));
      if (r && (*r)[0] == seed) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(aot_compiler_invocations(), before + 1);
}

// Run only as a child of ConcurrentLoadsFromProcessesCompileOnce: compiles the module the parent
// names and writes how many times it ran the compiler.
TEST(AotChildProcess, CompileForParent) {
  const char* dir = std::getenv("ACTR_AOT_TEST_CHILD_DIR");
  const char* seed = std::getenv("ACTR_AOT_TEST_CHILD_SEED");
  if (dir == nullptr || seed == nullptr) GTEST_SKIP() << "only run by a parent test";
  auto engine = aot_engine(dir);
  ASSERT_TRUE(engine);
  auto module = engine->compile(seeded_module(std::strtoull(seed, nullptr, 10)));
  ASSERT_TRUE(module.ok()) << module.error().message;
  std::ofstream(fs::path(dir) / ("child-" + std::to_string(getpid())))
      << aot_compiler_invocations();
}

TEST_F(AotTest, ConcurrentLoadsFromProcessesCompileOnce) {
  ScratchDir dir;
  fs::create_directories(dir.path());
  const std::string seed = std::to_string(fresh_seed());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("ACTR_AOT_TEST_CHILD_DIR=" + dir.path().string());
  env_strings.push_back("ACTR_AOT_TEST_CHILD_SEED=" + seed);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string self = fs::read_symlink("/proc/self/exe");
  std::string filter = "--gtest_filter=AotChildProcess.CompileForParent";
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    char* argv[] = {self.data(), filter.data(), nullptr};
    pid_t pid = 0;
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    ASSERT_EQ(posix_spawn(&pid, self.c_str(), &quiet, nullptr, argv, envp.data()), 0);
    posix_spawn_file_actions_destroy(&quiet);
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  uint64_t total = 0;
  int reports = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("child-", 0) != 0) continue;
    uint64_t n = 0;
    std::ifstream(entry.path()) >> n;
    total += n;
    ++reports;
  }
  EXPECT_EQ(reports, 3);
  EXPECT_EQ(total, 1u) << "the processes compiled the module " << total << " times";
}

TEST_F(AotTest, RefusesObjectsOthersCouldHaveWritten) {
  ScratchDir dir;
  auto bytes = seeded_module(fresh_seed());
  {
    auto engine = aot_engine(dir.path());
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->compile(bytes).ok());
  }
  fs::path object;
  for (const auto& entry : fs::directory_iterator(dir.path() / "aot")) {
    if (entry.path().extension() == ".so") object = entry.path();
  }
  ASSERT_FALSE(object.empty());
  ASSERT_EQ(::chmod(object.c_str(), 0666), 0);
  auto engine = aot_engine(dir.path());
  ASSERT_TRUE(engine);
  auto refused = engine->compile(bytes);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("refusing"), std::string::npos) << refused.error().message;

  // A world-writable cache directory is refused outright.
  ScratchDir open_dir;
  fs::create_directories(open_dir.path() / "aot");
  ASSERT_EQ(::chmod((open_dir.path() / "aot").c_str(), 0777), 0);
  EngineOptions options;
  options.cache_dir = open_dir.path();
  EXPECT_FALSE(make_aot_engine(options).ok());
}

TEST_F(AotTest, ACorruptCachedObjectIsRebuilt) {
  ScratchDir dir;
  const uint64_t seed = fresh_seed();
  auto bytes = seeded_module(seed);
  {
    auto engine = aot_engine(dir.path());
    ASSERT_TRUE(engine && engine->compile(bytes).ok());
  }
  for (const auto& entry : fs::directory_iterator(dir.path() / "aot")) {
    if (entry.path().extension() == ".so") std::ofstream(entry.path(), std::ios::trunc) << "junk";
  }
  const uint64_t before = aot_compiler_invocations();
  auto engine = aot_engine(dir.path());
  ASSERT_TRUE(engine);
  auto module = engine->compile(bytes);
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_EQ(aot_compiler_invocations(), before + 1);
  auto store = engine->new_store();
  auto instance = store->instantiate(**module, {});
  ASSERT_TRUE(instance.ok());
  auto r = invoke(*as_func((*instance)->get_export("seed")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], seed);
}

TEST_F(AotTest, RejectsWhatWasm2cCannotTranslate) {
  auto simd =
      engine_->compile(test::wat_to_wasm("(module (func (export \"f\") (result i32) "
                                         "(i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))"));
  ASSERT_FALSE(simd.ok());
  EXPECT_NE(simd.error().message.find("at byte 0x"), std::string::npos) << simd.error().message;

  auto clash = engine_->compile(test::wat_to_wasm(R"(
    (module (import "m" "x" (func (param i32))) (import "m" "x" (func (param i64)))))"));
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message.find("twice"), std::string::npos) << clash.error().message;
}

// ---- imports, exports and the glue ABI
// ------------------------------------------------------------

TEST_F(AotTest, ImportsFromOtherInstancesAndTheHostMix) {
  auto store = engine_->new_store();
  auto lib = instantiate(*store, R"(
    (module
      (func (export "pair") (param i32 f64) (result f64 i32)
        (f64.mul (local.get 1) (f64.const 2)) (i32.add (local.get 0) (i32.const 1)))
      (func (export "scale") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5))))
  )");
  ASSERT_TRUE(lib);
  auto host_pair = store->host_func(FuncType{{ValType::I64}, {ValType::F64, ValType::I64}},
                                    [](const Slot* a, Slot* r) {
                                      r[0] = std::bit_cast<uint64_t>(static_cast<double>(a[0]) / 4);
                                      r[1] = a[0] * 3;
                                      return Result<void>();
                                    });
  auto user = instantiate(*store, R"(
    (module
      (import "lib" "pair" (func $pair (param i32 f64) (result f64 i32)))
      (import "lib" "scale" (func $scale (param f32) (result f32)))
      (import "host" "pair" (func $hpair (param i64) (result f64 i64)))
      (export "reexported" (func $scale))
      (func (export "run") (result f64)
        (local $d f64) (local $i i32) (local $hd f64) (local $hi i64)
        (call $pair (i32.const 41) (f64.const 1.5))
        (local.set $i) (local.set $d)
        (call $hpair (i64.const 8))
        (local.set $hi) (local.set $hd)
        ;; 3 + 42 + f32 0.25 + 2 + 24
        (f64.add (f64.add (local.get $d) (f64.convert_i32_s (local.get $i)))
          (f64.add (f64.promote_f32 (call $scale (f32.const 0.5)))
            (f64.add (local.get $hd) (f64.convert_i64_s (local.get $hi)))))))
  )",
                          {*lib->get_export("pair"), *lib->get_export("scale"), host_pair});
  ASSERT_TRUE(user);
  auto r = invoke(*as_func(user->get_export("run")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::bit_cast<double>((*r)[0]), 3 + 42 + 0.25 + 2 + 24);
  // Exporting an import hands out the imported function itself.
  EXPECT_EQ(as_func(user->get_export("reexported")), as_func(lib->get_export("scale")));
}

// An instance's function exports are one array of GuestFuncs made at instantiation; a handle to
// one shares ownership of the instance.
TEST_F(AotTest, AFunctionExportIsOneObjectThatKeepsItsInstance) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module
      (memory (export "mem") 1)
      (global $g (mut i32) (i32.const 0))
      (func (export "bump") (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
      (func (export "five") (result i32) (i32.const 5)))
  )");
  ASSERT_TRUE(instance);
  auto bump = as_func(instance->get_export("bump"));
  ASSERT_TRUE(bump);
  EXPECT_EQ(bump, as_func(instance->get_export("bump")));
  EXPECT_EQ(bump, as_func(instance->export_at(1)));
  EXPECT_NE(bump, as_func(instance->get_export("five")));
  auto mem = instance->get_export("mem");
  ASSERT_TRUE(mem);
  EXPECT_EQ(std::get<std::shared_ptr<Memory>>(*mem),
            std::get<std::shared_ptr<Memory>>(*instance->get_export("mem")));
  EXPECT_FALSE(instance->get_export("missing"));

  // The store keeps the instance; the handle alone reaches it as well.
  std::weak_ptr<Instance> weak = instance;
  instance.reset();
  EXPECT_FALSE(weak.expired());
  auto r = invoke(*bump);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 1u);
  r = invoke(*bump);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 2u);

  // Once the store is gone the function cannot run, but the handle (its type) stays valid.
  store.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(bump->type(), (FuncType{{}, {ValType::I32}}));
  bump.reset();
  EXPECT_TRUE(weak.expired());
}

TEST_F(AotTest, RepeatedImportsOfOneNameMustBindOneExtern) {
  auto store = engine_->new_store();
  int calls = 0;
  auto f = store->host_func(FuncType{}, [&](const Slot*, Slot*) {
    ++calls;
    return Result<void>();
  });
  auto g = store->host_func(FuncType{}, [](const Slot*, Slot*) { return Result<void>(); });
  auto module = compile(R"(
    (module (import "m" "f" (func $a)) (import "m" "f" (func $b))
      (func (export "run") (call $a) (call $b)))
  )");
  ASSERT_TRUE(module);
  std::vector<Extern> same = {f, f};
  auto instance = store->instantiate(*module, same);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  ASSERT_TRUE(invoke(*as_func((*instance)->get_export("run"))).ok());
  EXPECT_EQ(calls, 2);
  std::vector<Extern> different = {f, g};
  auto refused = store->instantiate(*module, different);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("m.f"), std::string::npos) << refused.error().message;
}

TEST_F(AotTest, ExternsOfOtherStoresAndEnginesAreRefused) {
  auto a = engine_->new_store();
  auto b = engine_->new_store();
  auto host = a->host_func(FuncType{}, [](const Slot*, Slot*) { return Result<void>(); });
  auto module = compile(R"((module (import "h" "f" (func))))");
  ASSERT_TRUE(module);
  std::vector<Extern> imports = {host};
  auto r = b->instantiate(*module, imports);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("another store"), std::string::npos) << r.error().message;

  auto interp = make_engine(EngineKind::Interp);
  if (!interp.ok()) return;
  auto other = (*interp)->new_store();
  std::vector<Extern> foreign = {
      other->host_func(FuncType{}, [](const Slot*, Slot*) { return Result<void>(); })};
  auto r2 = a->instantiate(*module, foreign);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("another engine"), std::string::npos) << r2.error().message;
  auto interp_module = (*interp)->compile(test::wat_to_wasm("(module)"));
  ASSERT_TRUE(interp_module.ok());
  EXPECT_FALSE(a->instantiate(**interp_module, {}).ok());
}

TEST_F(AotTest, HostExceptionsBecomeTraps) {
  auto store = engine_->new_store();
  auto thrower = store->host_func(
      FuncType{}, [](const Slot*, Slot*) -> Result<void> { throw std::runtime_error("boom"); });
  auto instance = instantiate(*store, R"(
    (module (import "h" "t" (func $t)) (func (export "run") (call $t)))
  )",
                              {thrower});
  ASSERT_TRUE(instance);
  auto r = invoke(*as_func(instance->get_export("run")));
  ASSERT_TRUE(is_trap(r, TrapKind::Host));
  EXPECT_EQ(r.error().message, "host function threw: boom");
  EXPECT_TRUE(store->poisoned());
}

TEST_F(AotTest, ExternrefsCrossTheBoundaryAsSlots) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module
      (global $g (export "g") (mut externref) (ref.null extern))
      (func (export "keep") (param externref) (result externref)
        (global.set $g (local.get 0)) (global.get $g)))
  )");
  ASSERT_TRUE(instance);
  int token = 0;
  const Slot ref = reinterpret_cast<uintptr_t>(&token);
  auto r = invoke(*as_func(instance->get_export("keep")), {ref});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], ref);
  EXPECT_EQ(std::get<std::shared_ptr<Global>>(*instance->get_export("g"))->get(), ref);
}

// ---- the typed call path
// ----------------------------------------------------------------------------

TEST_F(AotTest, TypedCallsMatchFuncCall) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "mix") (param i64 f64) (result f64)
        (f64.add (f64.convert_i64_s (local.get 0)) (local.get 1)))
      (func (export "nop"))
      (func (export "boom") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))
  )");
  ASSERT_TRUE(instance);
  auto add = AotTypedFunc<uint32_t(uint32_t, uint32_t)>::bind(as_func(instance->get_export("add")));
  ASSERT_TRUE(add.ok()) << add.error().message;
  auto sum = (*add)(40, 2);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 42u);
  auto mix = AotTypedFunc<double(int64_t, double)>::bind(as_func(instance->get_export("mix")));
  ASSERT_TRUE(mix.ok());
  EXPECT_EQ(*(*mix)(-3, 0.5), -2.5);
  auto nop = AotTypedFunc<void()>::bind(as_func(instance->get_export("nop")));
  ASSERT_TRUE(nop.ok());
  EXPECT_TRUE((*nop)().ok());

  EXPECT_FALSE(
      AotTypedFunc<uint64_t(uint32_t, uint32_t)>::bind(as_func(instance->get_export("add"))).ok());
  auto host = store->host_func(FuncType{}, [](const Slot*, Slot*) { return Result<void>(); });
  EXPECT_FALSE(AotTypedFunc<void()>::bind(host).ok());

  auto boom = AotTypedFunc<uint32_t(uint32_t)>::bind(as_func(instance->get_export("boom")));
  ASSERT_TRUE(boom.ok());
  auto trapped = (*boom)(0);
  ASSERT_FALSE(trapped.ok());
  EXPECT_EQ(trap_kind(trapped.error()), TrapKind::IntegerDivideByZero);
  EXPECT_EQ(trap_kind((*add)(1, 2).error()), TrapKind::Poisoned);
}

// ---- native stacks
// ------------------------------------------------------------------------------------

constexpr const char* kRecurse = R"(
  (module
    (func $r (export "recurse") (param i64) (result i64)
      (i64.add (call $r (i64.add (local.get 0) (i64.const 1))) (local.get 0))))
)";

TEST_F(AotTest, DeepRecursionOnASmallThreadStackTraps) {
  StoreLimits limits;
  limits.max_call_depth = 10'000'000;  // the native stack runs out first
  auto module = compile(kRecurse);
  ASSERT_TRUE(module);
  Result<Slots> r = make_error("not run");
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  struct Context {
    Engine* engine;
    Module* module;
    StoreLimits limits;
    Result<Slots>* result;
  } context{engine_.get(), module.get(), limits, &r};
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* p) -> void* {
                  auto* c = static_cast<Context*>(p);
                  auto store = c->engine->new_store(c->limits);
                  auto instance = store->instantiate(*c->module, {});
                  if (instance)
                    *c->result = invoke(*as_func((*instance)->get_export("recurse")), {0});
                  return nullptr;
                },
                &context),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(is_trap(r, TrapKind::StackExhausted)) << (r.ok() ? "returned" : r.error().message);
}

TEST_F(AotTest, DeepRecursionOnAFiberTraps) {
  StoreLimits limits;
  limits.max_call_depth = 10'000'000;
  auto store = engine_->new_store(limits);
  auto instance = instantiate(*store, kRecurse);
  ASSERT_TRUE(instance);
  auto recurse = as_func(instance->get_export("recurse"));
  namespace ctx = boost::context;
  for (size_t stack : {size_t{128} * 1024, size_t{1} << 20}) {
    SCOPED_TRACE(std::to_string(stack / 1024) + " KiB fiber stack");
    auto fresh = engine_->new_store(limits);
    auto inst = fresh->instantiate(*compile(kRecurse), {});
    ASSERT_TRUE(inst.ok());
    auto f = as_func((*inst)->get_export("recurse"));
    Result<Slots> r = make_error("not run");
    ctx::fiber fiber{std::allocator_arg, ctx::protected_fixedsize_stack(stack),
                     [&](ctx::fiber&& main_side) {
                       r = invoke(*f, {0});
                       return std::move(main_side);
                     }};
    std::move(fiber).resume();
    EXPECT_TRUE(is_trap(r, TrapKind::StackExhausted)) << (r.ok() ? "returned" : r.error().message);
  }
}

// Host code that used up most of a fiber's stack calls back into the guest: the stack limit
// cannot know how little is left, so the guest runs into the fiber's guard page, and the fault
// handler (on the thread's alternate signal stack) turns that into a trap.
__attribute__((noinline)) Result<void> use_stack_then(int kib,
                                                      const std::function<Result<void>()>& f) {
  volatile char pad[1024];
  pad[0] = static_cast<char>(kib);
  if (kib > 0) return use_stack_then(kib - 1, f);
  Result<void> r = f();
  (void)pad[0];
  return r;
}

TEST_F(AotTest, GuardPageFaultOnAFiberTraps) {
  StoreLimits limits;
  limits.max_call_depth = 10'000'000;
  auto store = engine_->new_store(limits);
  std::shared_ptr<Func> recurse;
  auto deep_host = store->host_func(FuncType{}, [&](const Slot*, Slot*) {
    return use_stack_then(160, [&]() -> Result<void> {
      Slot arg = 0, result = 0;
      return recurse->call(&arg, &result);
    });
  });
  auto instance = instantiate(*store, R"(
    (module
      (import "h" "deep" (func $deep))
      (func $r (export "recurse") (param i64) (result i64)
        (i64.add (call $r (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
      (func (export "run") (call $deep)))
  )",
                              {deep_host});
  ASSERT_TRUE(instance);
  recurse = as_func(instance->get_export("recurse"));
  auto run = as_func(instance->get_export("run"));
  namespace ctx = boost::context;
  Result<Slots> r = make_error("not run");
  ctx::fiber fiber{std::allocator_arg, ctx::protected_fixedsize_stack(256 * 1024),
                   [&](ctx::fiber&& main_side) {
                     r = invoke(*run);
                     return std::move(main_side);
                   }};
  std::move(fiber).resume();
  EXPECT_TRUE(is_trap(r, TrapKind::StackExhausted)) << (r.ok() ? "returned" : r.error().message);
  // The thread is fine afterwards: guest code and traps still work.
  auto again = engine_->new_store();
  auto small = instantiate(*again, kRecurse);
  ASSERT_TRUE(small);
  EXPECT_TRUE(
      is_trap(invoke(*as_func(small->get_export("recurse")), {0}), TrapKind::StackExhausted));
}

// ---- deadlines
// ----------------------------------------------------------------------------------------

// A CPU-bound host function outlasting the deadline: the watchdog must neither count it nor
// interrupt it; the guest goes on afterwards.
TEST_F(AotTest, DeadlineNeverInterruptsBusyHostCode) {
  StoreLimits limits;
  limits.deadline = 50ms;
  auto store = engine_->new_store(limits);
  std::atomic<bool> finished{false};
  auto busy = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
    const auto until = std::chrono::steady_clock::now() + 200ms;
    volatile uint64_t sink = 0;
    while (std::chrono::steady_clock::now() < until) sink = sink + 1;
    finished = true;
    return {};
  });
  auto instance = instantiate(*store, R"(
    (module (import "h" "busy" (func $b)) (func (export "f") (result i32) (call $b) (i32.const 7)))
  )",
                              {busy});
  ASSERT_TRUE(instance);
  auto r = invoke(*as_func(instance->get_export("f")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 7u);
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace actr::wasm
