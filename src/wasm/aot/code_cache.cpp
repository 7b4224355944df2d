#include "wasm/aot/code_cache.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "wasm/aot/c_units.hpp"
#include "wasm/aot/embedded_text.hpp"
#include "wasm/aot/sha256.hpp"

namespace actr::wasm::aot {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEngineVersion = "actr-aot-1";

// One LoadedObject per key per process, so init_module runs once per loaded object.
std::mutex g_objects_mu;
std::map<std::string, std::weak_ptr<LoadedObject>>& loaded_objects() {
  static auto* objects = new std::map<std::string, std::weak_ptr<LoadedObject>>;
  return *objects;
}

// Serializes compiles of one key within the process; the flock then excludes other processes.
std::mutex g_key_locks_mu;
std::shared_ptr<std::mutex> key_lock(const std::string& key) {
  static auto* locks = new std::map<std::string, std::weak_ptr<std::mutex>>;
  std::lock_guard guard(g_key_locks_mu);
  auto& slot = (*locks)[key];
  auto lock = slot.lock();
  if (!lock) {
    lock = std::make_shared<std::mutex>();
    slot = lock;
  }
  return lock;
}

class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) {
      while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

bool owned_and_private(const struct stat& st) {
  return st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<fs::path> default_cache_dir() {
  if (const char* d = std::getenv("ACTR_CACHE_DIR"); d && *d) return fs::path(d);
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "actr";
  if (const char* d = std::getenv("HOME"); d && *d) return fs::path(d) / ".cache" / "actr";
  return std::nullopt;
}

Result<void> write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return make_error("aot: cannot write " + path.string());
  return {};
}

std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  return std::to_string(getpid()) + "." +
         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()) % 1000000) + "." +
         std::to_string(counter++);
}

// Work directories left by compiles that died (a compile takes seconds, not a day).
void remove_abandoned_work(const fs::path& tmp) {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24);
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    if (fs::last_write_time(it->path(), ignored) < cutoff) fs::remove_all(it->path(), ignored);
  }
}

}  // namespace

LoadedObject::~LoadedObject() {
  if (handle_ != nullptr) dlclose(handle_);
}

CodeCache::CodeCache(fs::path dir, NativeCompiler compiler, uint64_t max_bytes)
    : dir_(std::move(dir)), compiler_(std::move(compiler)), max_bytes_(max_bytes) {
  Sha256 h;
  h.update(kEngineVersion);
  h.update(std::to_string(ACTR_GLUE_ABI_VERSION));
  h.update(glue_abi_header_text());
  h.update(wasm_rt_header_text());
  h.update(aot_sources_fingerprint());
  h.update(compiler_.identity());
  auto digest = h.finish();
  fingerprint_ = to_hex(digest);
}

Result<std::unique_ptr<CodeCache>> CodeCache::open(std::optional<fs::path> dir,
                                                   NativeCompiler compiler,
                                                   std::optional<uint64_t> max_bytes) {
  if (!max_bytes) {
    max_bytes = uint64_t{2} << 30;
    if (const char* mb = std::getenv("ACTR_CACHE_MAX_MB"); mb && *mb) {
      max_bytes = std::strtoull(mb, nullptr, 10) << 20;
    }
  }
  if (!dir) dir = default_cache_dir();
  if (!dir) return make_error("aot: no cache directory (set ACTR_CACHE_DIR or HOME)");
  fs::path root = *dir / "aot";
  std::error_code ec;
  fs::create_directories(root / "locks", ec);
  fs::create_directories(root / "tmp", ec);
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error("aot: cannot create the cache directory " + root.string());
  }
  if (!owned_and_private(st)) {
    return make_error("aot: refusing to use the cache directory " + root.string() +
                      ": it must belong to this user and be writable by nobody else");
  }
  ::chmod(root.c_str(), 0700);
  remove_abandoned_work(root / "tmp");
  return std::unique_ptr<CodeCache>(new CodeCache(root, std::move(compiler), *max_bytes));
}

std::string CodeCache::key_for(std::span<const uint8_t> module_bytes) const {
  Sha256 h;
  h.update(fingerprint_);
  h.update(module_bytes);
  auto digest = h.finish();
  return to_hex(digest);
}

Result<std::shared_ptr<LoadedObject>> CodeCache::find(const std::string& key) {
  std::lock_guard guard(g_objects_mu);
  auto& registry = loaded_objects();
  if (auto it = registry.find(key); it != registry.end()) {
    if (auto object = it->second.lock()) return object;
  }
  fs::path path = dir_ / (key + ".so");
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::shared_ptr<LoadedObject>();
  if (!S_ISREG(st.st_mode) || !owned_and_private(st)) {
    return make_error("aot: refusing to load " + path.string() +
                      ": not a regular file owned by this user and private to it");
  }
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // used now: the last to be evicted
  auto object = std::make_shared<LoadedObject>();
  object->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (object->handle_ == nullptr) {
    // Unloadable (e.g. a leftover from an incompatible build): compile again and replace it.
    return std::shared_ptr<LoadedObject>();
  }
  object->glue_ =
      static_cast<const actr_glue_module_t*>(dlsym(object->handle_, "actr_glue_module"));
  if (object->glue_ == nullptr || object->glue_->abi_version != ACTR_GLUE_ABI_VERSION ||
      object->glue_->cache_key == nullptr || key != object->glue_->cache_key) {
    return std::shared_ptr<LoadedObject>();
  }
  object->glue_->init_module();
  registry[key] = object;
  return object;
}

Result<void> CodeCache::compile(const std::string& key, const std::string& c_source,
                                const std::string& header,
                                const std::function<void(size_t, size_t)>& progress,
                                const UnitProfile& profile) {
  fs::path work = dir_ / "tmp" / (key + "." + unique_suffix());
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) return make_error("aot: cannot create " + work.string() + ": " + ec.message());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{work};
  fs::path object = work / (key + ".so");
  ACTR_TRY_VOID(write_file(work / "module.h", header));
  ACTR_TRY_VOID(write_file(work / "wasm-rt.h", wasm_rt_header_text()));
  size_t unit_bytes = kUnitBytes;
  if (const char* kb = std::getenv("ACTR_AOT_UNIT_KB"); kb && *kb) {  // tests and tuning
    unit_bytes = std::max<size_t>(1, std::strtoull(kb, nullptr, 10)) << 10;
  }
  std::vector<bool> hot;
  if (!profile.hot_functions.empty()) {  // no profile (nothing ran yet): every unit is optimized
    hot.assign(profile.defined_functions, false);
    for (uint32_t f : profile.hot_functions) {
      if (f < hot.size()) hot[f] = true;
    }
  }
  ACTR_TRY(std::vector<CUnit> units, split_into_units(c_source, unit_bytes, hot));
  if (units.size() == 1) {
    fs::path source = work / "module.c";
    ACTR_TRY_VOID(write_file(source, units[0].source));
    ACTR_TRY_VOID(compiler_.compile_shared_object(source, work, object));
  } else {
    ACTR_TRY_VOID(compile_units(units, work, object, progress));
  }
  if (::rename(object.c_str(), (dir_ / (key + ".so")).c_str()) != 0) {
    return make_error("aot: cannot publish the compiled module: " +
                      std::string(std::strerror(errno)));
  }
  return {};
}

Result<void> CodeCache::compile_units(const std::vector<CUnit>& units, const fs::path& work,
                                      const fs::path& object,
                                      const std::function<void(size_t, size_t)>& progress) {
  fs::path unit_dir = dir_ / "units";
  std::error_code ec;
  fs::create_directories(unit_dir, ec);
  std::vector<fs::path> objects(units.size());
  std::vector<size_t> todo;
  // A huge module (a JavaScript engine: ~150 MB of C) compiles at -O1: measured 1.7x less
  // compiler time than -O2 on its units, which takes its compile from 5 minutes to about 3 on two
  // cores. So do units with a huge function. With a profile, the units of functions that never
  // ran compile at -O0 (~40% less time than -O1; see docs/DESIGN.md, "Tiered execution").
  using Effort = NativeCompiler::Effort;
  bool huge_module = units.size() > kHugeModuleUnits;
  auto effort = [&](const CUnit& unit) {
    if (huge_module && unit.cold) return Effort::O0;
    if (huge_module || unit.largest_function > kHugeFunctionBytes) return Effort::O1;
    return Effort::O2;
  };
  for (size_t u = 0; u < units.size(); ++u) {
    Sha256 h;
    h.update(fingerprint_);
    h.update(units[u].source);
    h.update(NativeCompiler::flag(effort(units[u])));
    objects[u] = unit_dir / (to_hex(h.finish()) + ".o");
    if (!fs::exists(objects[u], ec)) todo.push_back(u);
  }
  std::atomic<size_t> done{units.size() - todo.size()}, next{0};
  if (progress) progress(done.load(), units.size());
  std::mutex mu;
  std::optional<Error> failure;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= todo.size()) return;
      {
        std::lock_guard lock(mu);
        if (failure) return;
      }
      size_t u = todo[i];
      fs::path source = work / ("unit" + std::to_string(u) + ".c");
      fs::path partial = work / ("unit" + std::to_string(u) + ".o");
      Result<void> r = write_file(source, units[u].source);
      if (r) {
        r = compiler_.compile_object(source, work, partial, effort(units[u]));
      }
      if (r && ::rename(partial.c_str(), objects[u].c_str()) != 0) {
        r = make_error("aot: cannot keep a compiled unit: " + std::string(std::strerror(errno)));
      }
      std::error_code ignored;
      fs::remove(source, ignored);
      if (!r) {
        std::lock_guard lock(mu);
        if (!failure) failure = r.error();
        return;
      }
      size_t n = done.fetch_add(1) + 1;
      if (progress) {
        std::lock_guard lock(mu);
        progress(n, units.size());
      }
    }
  };
  // Two compilers at a time (one per core on the machines this is for): the machine stays
  // responsive and the compilers' memory stays bounded.
  unsigned jobs = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (failure) return *failure;
  ACTR_TRY_VOID(compiler_.link_shared_object(objects, object));
  for (const auto& o : objects) fs::remove(o, ec);  // linked: the units are not needed any more
  return {};
}

size_t CodeCache::evict(const std::string& keep) {
  struct Entry {
    fs::path path;
    uint64_t size;
    struct timespec used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".so") continue;
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    total += static_cast<uint64_t>(st.st_size);
    if (e.path().stem() == keep) continue;
    entries.push_back({e.path(), static_cast<uint64_t>(st.st_size), st.st_mtim});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.used.tv_sec != b.used.tv_sec ? a.used.tv_sec < b.used.tv_sec
                                          : a.used.tv_nsec < b.used.tv_nsec;
  });
  size_t removed = 0;
  for (const auto& e : entries) {
    if (total <= max_bytes_) break;
    if (::unlink(e.path.c_str()) == 0) {
      total -= e.size;
      ++removed;
    }
  }
  return removed;
}

Result<std::shared_ptr<LoadedObject>> CodeCache::compile_and_load(
    const std::string& key, const std::string& source, const std::string& header,
    const std::function<void(size_t, size_t)>& progress, const UnitProfile& profile) {
  auto in_process = key_lock(key);
  std::lock_guard guard(*in_process);
  FileLock across_processes(dir_ / "locks" / (key + ".lock"));
  ACTR_TRY(auto object, find(key));  // another thread or process may have finished meanwhile
  if (object) return object;
  ACTR_TRY_VOID(compile(key, source, header, progress, profile));
  evict(key);
  ACTR_TRY(object, find(key));
  if (!object) {
    const char* why = dlerror();
    return make_error("aot: the compiled module could not be loaded: " +
                      std::string(why ? why : "bad descriptor"));
  }
  return object;
}

}  // namespace actr::wasm::aot
