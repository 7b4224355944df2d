#include "wasi/interface_builder.hpp"

namespace actr::wasi {

std::string versioned(std::string_view interface) {
  return std::string(interface) + "@" + std::string(kWasiVersion);
}

InterfaceBuilder::InterfaceBuilder(component::Linker& linker, std::string_view interface)
    : linker_(linker), name_(versioned(interface)) {}

std::shared_ptr<const component::ResourceType> InterfaceBuilder::resource(
    std::string_view name, component::ResourceDestructor dtor) {
  return linker_.resource(name_, name, std::move(dtor));
}

void InterfaceBuilder::func(std::string_view name, std::vector<component::Param> params,
                            component::TypeRef result, Handler handler) {
  component::FuncType type;
  type.params = std::move(params);
  bool has_result = result != nullptr;
  if (has_result) type.results.push_back({"", std::move(result)});
  size_t arity = type.params.size();
  std::string what = name_ + "#" + std::string(name);
  auto fn = [arity, has_result, what, handler = std::move(handler)](
                std::span<const component::Value> args,
                std::vector<component::Value>& results) -> Result<void> {
    // The linker lifts arguments by the registered type, so this only guards against misuse.
    if (args.size() != arity) {
      return make_error(what + " takes " + std::to_string(arity) + " arguments, got " +
                        std::to_string(args.size()));
    }
    ACTR_TRY(component::Value out, handler(args));
    results.clear();
    if (has_result) results.push_back(std::move(out));
    return {};
  };
  linker_.func(name_, name, std::move(type), std::move(fn));
}

void InterfaceBuilder::method(const std::shared_ptr<const component::ResourceType>& resource,
                              std::string_view name, std::vector<component::Param> params,
                              component::TypeRef result, Handler handler) {
  params.insert(params.begin(), {"self", component::borrow_of(resource)});
  func("[method]" + resource->name + "." + std::string(name), std::move(params), std::move(result),
       std::move(handler));
}

}  // namespace actr::wasi
