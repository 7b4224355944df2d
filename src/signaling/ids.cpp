#include "signaling/ids.hpp"

namespace actr::signaling {

ActrType from_proto(const proto::ActorType& type) {
  return ActrType{type.manufacturer(), type.name(), type.version()};
}

ActrId from_proto(const proto::ActorId& id) {
  ActrId out;
  out.realm.realm_id = id.realm();
  out.serial_number = id.serial();
  out.type = from_proto(id.type());
  return out;
}

proto::ActorType to_proto(const ActrType& type) {
  proto::ActorType out;
  out.set_manufacturer(type.manufacturer);
  out.set_name(type.name);
  out.set_version(type.version);
  return out;
}

proto::ActorId to_proto(const ActrId& id) {
  proto::ActorId out;
  out.set_realm(id.realm.realm_id);
  out.set_serial(id.serial_number);
  *out.mutable_type() = to_proto(id.type);
  return out;
}

bool exact_type_match(const ActrType& offered, const ActrType& wanted) {
  return offered.name == wanted.name &&
         (wanted.manufacturer.empty() || offered.manufacturer == wanted.manufacturer) &&
         (wanted.version.empty() || offered.version == wanted.version);
}

}  // namespace actr::signaling
