// Resolved WIT types as the host's component types (component::TypeRef / FuncType), so that the
// host can define imports with types straight from the WIT. Named types carry their WIT name in
// `wit_name`; each TypeDef converts once, so shared uses share one TypeRef.
#pragma once

#include <map>
#include <memory>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "witgen/model.hpp"

namespace actr::witgen {

class ComponentTypes {
 public:
  // The resource type to use for a WIT resource (e.g. the one Linker::resource returned);
  // without one, the first use creates a fresh host-defined ResourceType.
  void bind_resource(const TypeDef& resource, std::shared_ptr<const component::ResourceType> type);

  Result<component::TypeRef> type(const Type& t);
  Result<component::TypeRef> type(const TypeDef& def);
  // Methods get their `self: borrow<R>` parameter first, as in the component binary.
  Result<component::FuncType> func(const Function& f, const TypeDef* resource = nullptr);

 private:
  std::map<const TypeDef*, component::TypeRef> done_;
  std::map<const TypeDef*, bool> busy_;
  std::map<const TypeDef*, std::shared_ptr<const component::ResourceType>> resources_;
  std::shared_ptr<const component::ResourceType> resource_of(const TypeDef& def);
  Result<component::TypeRef> convert(const TypeDef& def);
};

}  // namespace actr::witgen
