// The C compilers the aot engine runs, as processes: started with a clean signal mask, default
// signal dispositions and a lower CPU priority (nice 10) than the actors they compile for, killed
// with the process that started them (PR_SET_PDEATHSIG), and cancellable from any thread.
//
// cancel_all() kills every running compiler and its children (cc1, as) at once, and makes later
// compiles fail at once: a node stopping on SIGINT/SIGTERM does not wait for a compile.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::wasm::aot {

struct ProcessRun {
  int exit_code = -1;  // 128 + signal when killed
  bool cancelled = false;
};

// Runs `argv` (argv[0] searched in PATH) with stdin from /dev/null and stdout+stderr to `log`,
// and waits for it.
Result<ProcessRun> run_compiler_process(const std::vector<std::string>& argv,
                                        const std::filesystem::path& log);

void cancel_all_compiles();
bool compiles_cancelled();
// Lets compiles run again after cancel_all_compiles() (tests; a node that is started again).
void allow_compiles();

// Compiles started on this thread while an OwnerScope lives belong to `owner` (an engine):
// cancel_compiles_of(owner) kills them and refuses that owner's later compiles, leaving other
// owners' alone. forget_owner() when the owner goes away.
class OwnerScope {
 public:
  explicit OwnerScope(const void* owner);
  ~OwnerScope();
  OwnerScope(const OwnerScope&) = delete;
  OwnerScope& operator=(const OwnerScope&) = delete;

 private:
  const void* previous_;
};
void cancel_compiles_of(const void* owner);
void forget_owner(const void* owner);

}  // namespace actr::wasm::aot
