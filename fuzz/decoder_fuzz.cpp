// libFuzzer target for the component front end: any input must either decode or fail with an
// error, and any decoded component must either validate or fail with an error; valid ones are
// printed as WIT too. Crashes, sanitizer reports, timeouts and memory blow-ups are the bugs.
#include <cstddef>
#include <cstdint>
#include <span>

#include "component/binary/decoder.hpp"
#include "component/validate/validator.hpp"
#include "component/wit/wit_printer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace actr::component;
  auto c = binary::decode(std::span<const uint8_t>(data, size));
  if (!c.ok()) return 0;
  if (!validate::validate(**c).ok()) return 0;
  wit::WitOptions deps;
  deps.dependencies = true;
  (void)wit::print_wit(**c, deps);
  return 0;
}
