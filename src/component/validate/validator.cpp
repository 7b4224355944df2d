#include "component/validate/validator.hpp"

#include "component/validate/type_space.hpp"

namespace actr::component::validate {

Result<void> validate(const ast::Component& component, TypeModel* model) {
  TypeSpace space(TypeSpaceOptions{.imported_resource = {}, .record = model});
  return space.define_all(component);
}

}  // namespace actr::component::validate
