#include "wasi/wit_types.hpp"

namespace actr::wasi {

using component::Kind;
using component::primitive;
using component::TypeRef;

WasiTypes make_wasi_types(const WasiResources& r) {
  WasiTypes t;
  TypeRef u64 = primitive(Kind::U64);
  TypeRef string = primitive(Kind::String);

  t.stream_error =
      named(component::variant_of(
                {{"last-operation-failed", component::own_of(r.error)}, {"closed", nullptr}}),
            "stream-error");
  t.datetime = named(
      component::record_of({{"seconds", u64}, {"nanoseconds", primitive(Kind::U32)}}), "datetime");

  t.descriptor_type =
      named(component::enum_of({"unknown", "block-device", "character-device", "directory", "fifo",
                                "symbolic-link", "regular-file", "socket"}),
            "descriptor-type");
  t.descriptor_flags =
      named(component::flags_of({"read", "write", "file-integrity-sync", "data-integrity-sync",
                                 "requested-write-sync", "mutate-directory"}),
            "descriptor-flags");
  TypeRef timestamp = component::option_of(t.datetime);
  t.descriptor_stat = named(component::record_of({{"type", t.descriptor_type},
                                                  {"link-count", u64},
                                                  {"size", u64},
                                                  {"data-access-timestamp", timestamp},
                                                  {"data-modification-timestamp", timestamp},
                                                  {"status-change-timestamp", timestamp}}),
                            "descriptor-stat");
  t.path_flags = named(component::flags_of({"symlink-follow"}), "path-flags");
  t.open_flags =
      named(component::flags_of({"create", "directory", "exclusive", "truncate"}), "open-flags");
  t.new_timestamp = named(
      component::variant_of({{"no-change", nullptr}, {"now", nullptr}, {"timestamp", t.datetime}}),
      "new-timestamp");
  t.directory_entry = named(component::record_of({{"type", t.descriptor_type}, {"name", string}}),
                            "directory-entry");
  t.error_code = named(component::enum_of({"access",
                                           "would-block",
                                           "already",
                                           "bad-descriptor",
                                           "busy",
                                           "deadlock",
                                           "quota",
                                           "exist",
                                           "file-too-large",
                                           "illegal-byte-sequence",
                                           "in-progress",
                                           "interrupted",
                                           "invalid",
                                           "io",
                                           "is-directory",
                                           "loop",
                                           "too-many-links",
                                           "message-size",
                                           "name-too-long",
                                           "no-device",
                                           "no-entry",
                                           "no-lock",
                                           "insufficient-memory",
                                           "insufficient-space",
                                           "not-directory",
                                           "not-empty",
                                           "not-recoverable",
                                           "unsupported",
                                           "no-tty",
                                           "no-such-device",
                                           "overflow",
                                           "not-permitted",
                                           "pipe",
                                           "read-only",
                                           "invalid-seek",
                                           "text-file-busy",
                                           "cross-device"}),
                       "error-code");
  t.advice = named(
      component::enum_of({"normal", "sequential", "random", "will-need", "dont-need", "no-reuse"}),
      "advice");
  t.metadata_hash_value =
      named(component::record_of({{"lower", u64}, {"upper", u64}}), "metadata-hash-value");
  return t;
}

}  // namespace actr::wasi
