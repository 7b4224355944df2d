// wasi:filesystem: types and preopens, without preopened directories. A guest can then hold no
// descriptor, so every descriptor operation answers `bad-descriptor`; the types must still be
// exact because guests import them whether they use files or not.
#include "wasi/host.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi {

using component::Kind;
using component::Param;
using component::primitive;
using component::TypeRef;
using component::Value;
using Args = std::span<const Value>;

namespace {

Value fs_error(FsErrorCode code) {
  return Value::err(Value::enumeration(static_cast<uint32_t>(code)));
}

void add_descriptor_methods(InterfaceBuilder& fs, const Host& host) {
  const auto& r = host.resources;
  const auto& t = host.types;
  TypeRef u64 = primitive(Kind::U64);  // filesize
  TypeRef string = primitive(Kind::String);
  TypeRef descriptor = component::borrow_of(r.descriptor);
  auto path = Param{"path", string};
  auto path_flags = Param{"path-flags", t.path_flags};

  struct Method {
    const char* name;
    std::vector<Param> params;
    TypeRef ok;  // of result<ok, error-code>; null: result<_, error-code>
  };
  const std::vector<Method> methods = {
      {"read-via-stream", {{"offset", u64}}, component::own_of(r.input_stream)},
      {"write-via-stream", {{"offset", u64}}, component::own_of(r.output_stream)},
      {"append-via-stream", {}, component::own_of(r.output_stream)},
      {"advise", {{"offset", u64}, {"length", u64}, {"advice", t.advice}}, nullptr},
      {"sync-data", {}, nullptr},
      {"get-flags", {}, t.descriptor_flags},
      {"get-type", {}, t.descriptor_type},
      {"set-size", {{"size", u64}}, nullptr},
      {"set-times",
       {{"data-access-timestamp", t.new_timestamp},
        {"data-modification-timestamp", t.new_timestamp}},
       nullptr},
      {"read",
       {{"length", u64}, {"offset", u64}},
       component::tuple_of({component::list_of(primitive(Kind::U8)), primitive(Kind::Bool)})},
      {"write", {{"buffer", component::list_of(primitive(Kind::U8))}, {"offset", u64}}, u64},
      {"read-directory", {}, component::own_of(r.directory_entry_stream)},
      {"sync", {}, nullptr},
      {"create-directory-at", {path}, nullptr},
      {"stat", {}, t.descriptor_stat},
      {"stat-at", {path_flags, path}, t.descriptor_stat},
      {"set-times-at",
       {path_flags,
        path,
        {"data-access-timestamp", t.new_timestamp},
        {"data-modification-timestamp", t.new_timestamp}},
       nullptr},
      {"link-at",
       {{"old-path-flags", t.path_flags},
        {"old-path", string},
        {"new-descriptor", descriptor},
        {"new-path", string}},
       nullptr},
      {"open-at",
       {path_flags, path, {"open-flags", t.open_flags}, {"flags", t.descriptor_flags}},
       component::own_of(r.descriptor)},
      {"readlink-at", {path}, string},
      {"remove-directory-at", {path}, nullptr},
      {"rename-at",
       {{"old-path", string}, {"new-descriptor", descriptor}, {"new-path", string}},
       nullptr},
      {"symlink-at", {{"old-path", string}, {"new-path", string}}, nullptr},
      {"unlink-file-at", {path}, nullptr},
      {"metadata-hash", {}, t.metadata_hash_value},
      {"metadata-hash-at", {path_flags, path}, t.metadata_hash_value},
  };
  for (const auto& m : methods) {
    fs.method(r.descriptor, m.name, m.params, component::result_of(m.ok, t.error_code),
              [](Args) -> Result<Value> { return fs_error(FsErrorCode::BadDescriptor); });
  }
  fs.method(r.descriptor, "is-same-object", {{"other", descriptor}}, primitive(Kind::Bool),
            [](Args) -> Result<Value> { return Value::boolean(false); });
  fs.method(r.directory_entry_stream, "read-directory-entry", {},
            component::result_of(component::option_of(t.directory_entry), t.error_code),
            [](Args) -> Result<Value> { return fs_error(FsErrorCode::BadDescriptor); });
}

}  // namespace

void add_filesystem(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder fs(linker, "wasi:filesystem/types");
  add_descriptor_methods(fs, *host);
  // None of this host's io errors comes from a filesystem operation.
  fs.func("filesystem-error-code", {{"err", component::borrow_of(host->resources.error)}},
          component::option_of(host->types.error_code), [host](Args args) -> Result<Value> {
            ACTR_TRY_VOID(host->find(host->state().errors, args[0]));
            return Value::none();
          });

  InterfaceBuilder(linker, "wasi:filesystem/preopens")
      .func("get-directories", {},
            component::list_of(component::tuple_of(
                {component::own_of(host->resources.descriptor), primitive(Kind::String)})),
            [](Args) -> Result<Value> { return Value::list({}); });
}

}  // namespace actr::wasi
