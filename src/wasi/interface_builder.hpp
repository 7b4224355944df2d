// Registers the functions and resources of one WASI interface with a linker, under the WASI
// version this host implements, with the Component Model's import names for resource methods
// ("[method]output-stream.write", first parameter `self: borrow<output-stream>`).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/linker.hpp"

namespace actr::wasi {

// Every 0.2.x release defines the same types for what this host implements (0.2.12 only adds
// exit-with-code), and the linker lets a definition of 0.2.12 satisfy an import of any 0.2.x.
inline constexpr std::string_view kWasiVersion = "0.2.12";

// "wasi:io/streams" -> "wasi:io/streams@0.2.12"
std::string versioned(std::string_view interface);

// A host function body: arguments in, the single result (ignored for functions without one)
// out. An Error traps the guest.
using Handler = std::function<Result<component::Value>(std::span<const component::Value> args)>;

class InterfaceBuilder {
 public:
  InterfaceBuilder(component::Linker& linker, std::string_view interface);

  const std::string& name() const { return name_; }

  std::shared_ptr<const component::ResourceType> resource(std::string_view name,
                                                          component::ResourceDestructor dtor);

  // `result` null: the function returns nothing.
  void func(std::string_view name, std::vector<component::Param> params, component::TypeRef result,
            Handler handler);
  void method(const std::shared_ptr<const component::ResourceType>& resource, std::string_view name,
              std::vector<component::Param> params, component::TypeRef result, Handler handler);

 private:
  component::Linker& linker_;
  std::string name_;
};

}  // namespace actr::wasi
