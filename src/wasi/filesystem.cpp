// wasi:filesystem: the directories the policy grants (WasiConfig::preopens), and nothing else.
// Every path a guest names is resolved beneath the descriptor it names it from: the kernel does
// it (openat2 with RESOLVE_BENEATH), so `..`, absolute paths and symlinks cannot lead out. A
// read-only grant refuses every change (error `read-only`). Without grants get-directories is
// empty and a guest holds no descriptor at all.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasi/file_streams.hpp"
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

enum class DescriptorType : uint32_t {
  Unknown,
  BlockDevice,
  CharacterDevice,
  Directory,
  Fifo,
  SymbolicLink,
  RegularFile,
  Socket
};

// descriptor-flags bits, in WIT order.
constexpr uint64_t kFlagRead = 1, kFlagWrite = 2, kFlagMutateDirectory = 32;
// path-flags, open-flags.
constexpr uint64_t kSymlinkFollow = 1;
constexpr uint64_t kOpenCreate = 1, kOpenDirectory = 2, kOpenExclusive = 4, kOpenTruncate = 8;

Value fs_error(FsErrorCode code) {
  return Value::err(Value::enumeration(static_cast<uint32_t>(code)));
}

FsErrorCode code_of(int err) {
  switch (err) {
    case EACCES:
      return FsErrorCode::Access;
    case EAGAIN:
      return FsErrorCode::WouldBlock;
    case EALREADY:
      return FsErrorCode::Already;
    case EBADF:
      return FsErrorCode::BadDescriptor;
    case EBUSY:
      return FsErrorCode::Busy;
    case EDEADLK:
      return FsErrorCode::Deadlock;
    case EDQUOT:
      return FsErrorCode::Quota;
    case EEXIST:
      return FsErrorCode::Exist;
    case EFBIG:
      return FsErrorCode::FileTooLarge;
    case EILSEQ:
      return FsErrorCode::IllegalByteSequence;
    case EINPROGRESS:
      return FsErrorCode::InProgress;
    case EINTR:
      return FsErrorCode::Interrupted;
    case EINVAL:
      return FsErrorCode::Invalid;
    case EIO:
      return FsErrorCode::Io;
    case EISDIR:
      return FsErrorCode::IsDirectory;
    case ELOOP:
      return FsErrorCode::Loop;
    case EMLINK:
      return FsErrorCode::TooManyLinks;
    case EMSGSIZE:
      return FsErrorCode::MessageSize;
    case ENAMETOOLONG:
      return FsErrorCode::NameTooLong;
    case ENODEV:
      return FsErrorCode::NoDevice;
    case ENOENT:
      return FsErrorCode::NoEntry;
    case ENOLCK:
      return FsErrorCode::NoLock;
    case ENOMEM:
      return FsErrorCode::InsufficientMemory;
    case ENOSPC:
      return FsErrorCode::InsufficientSpace;
    case ENOTDIR:
      return FsErrorCode::NotDirectory;
    case ENOTEMPTY:
      return FsErrorCode::NotEmpty;
    case ENOTRECOVERABLE:
      return FsErrorCode::NotRecoverable;
    case ENOTSUP:
      return FsErrorCode::Unsupported;
    case ENOTTY:
      return FsErrorCode::NoTty;
    case ENXIO:
      return FsErrorCode::NoSuchDevice;
    case EOVERFLOW:
      return FsErrorCode::Overflow;
    case EPERM:
      return FsErrorCode::NotPermitted;
    case EPIPE:
      return FsErrorCode::Pipe;
    case EROFS:
      return FsErrorCode::ReadOnly;
    case ESPIPE:
      return FsErrorCode::InvalidSeek;
    case ETXTBSY:
      return FsErrorCode::TextFileBusy;
    case EXDEV:
      return FsErrorCode::CrossDevice;
    default:
      break;
  }
  return FsErrorCode::Io;
}

Value errno_error() { return fs_error(code_of(errno)); }

}  // namespace

uint32_t fs_error_code(int errno_value) { return static_cast<uint32_t>(code_of(errno_value)); }

namespace {

DescriptorType type_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFBLK:
      return DescriptorType::BlockDevice;
    case S_IFCHR:
      return DescriptorType::CharacterDevice;
    case S_IFDIR:
      return DescriptorType::Directory;
    case S_IFIFO:
      return DescriptorType::Fifo;
    case S_IFLNK:
      return DescriptorType::SymbolicLink;
    case S_IFREG:
      return DescriptorType::RegularFile;
    case S_IFSOCK:
      return DescriptorType::Socket;
    default:
      return DescriptorType::Unknown;
  }
}

Value datetime(const struct timespec& t) {
  return Value::some(Value::record(
      {Value::u64(static_cast<uint64_t>(t.tv_sec)), Value::u32(static_cast<uint32_t>(t.tv_nsec))}));
}

Value stat_value(const struct stat& st) {
  return Value::record({Value::enumeration(static_cast<uint32_t>(type_of(st.st_mode))),
                        Value::u64(st.st_nlink), Value::u64(static_cast<uint64_t>(st.st_size)),
                        datetime(st.st_atim), datetime(st.st_mtim), datetime(st.st_ctim)});
}

Value hash_value(const struct stat& st) {
  return Value::record({Value::u64(st.st_dev), Value::u64(st.st_ino)});
}

// openat2(2) with RESOLVE_BENEATH: what every guest path goes through.
int open_beneath(int dir, const std::string& path, uint64_t flags, mode_t mode) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
}

// A path split into the directory that holds its last component (opened beneath `dir`) and that
// component, for the *at calls that take a name and not a path.
struct Parent {
  int fd = -1;
  bool owned = false;
  std::string name;
  ~Parent() {
    if (owned && fd >= 0) ::close(fd);
  }
};

// Fills `out`; false with errno set when the path cannot name something beneath `dir`.
bool parent_of(const FileHandle& dir, std::string path, Parent& out) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path.front() == '/') {
    errno = EPERM;
    return false;
  }
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name == ".." || name.empty()) {
    errno = EPERM;
    return false;
  }
  out.name = name;
  if (slash == std::string::npos) {
    out.fd = dir.fd;
    return true;
  }
  out.fd = open_beneath(dir.fd, path.substr(0, slash), O_PATH | O_DIRECTORY, 0);
  out.owned = true;
  return out.fd >= 0;
}

}  // namespace

namespace {

void add_descriptor_methods(InterfaceBuilder& fs, const std::shared_ptr<const Host>& host) {
  const auto& r = host->resources;
  const auto& t = host->types;
  TypeRef u64 = primitive(Kind::U64);  // filesize
  TypeRef string = primitive(Kind::String);
  TypeRef descriptor = component::borrow_of(r.descriptor);
  auto path = Param{"path", string};
  auto path_flags = Param{"path-flags", t.path_flags};
  auto result = [&](TypeRef ok) { return component::result_of(ok, t.error_code); };

  // The descriptor a borrowed handle names; null when unknown (a trap follows).
  auto file = [host](const Value& handle) -> Result<std::shared_ptr<FileHandle>> {
    ACTR_TRY(auto* f, host->find(host->state().descriptors, handle));
    return *f;
  };
  using Method = std::function<Result<Value>(Args)>;
  auto method = [&](const char* name, std::vector<Param> params, TypeRef ok, Method fn) {
    fs.method(r.descriptor, name, std::move(params), result(ok), std::move(fn));
  };

  method("read-via-stream", {{"offset", u64}}, component::own_of(r.input_stream),
         [host, file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           if (f->directory) return fs_error(FsErrorCode::IsDirectory);
           if (!f->readable) return fs_error(FsErrorCode::BadDescriptor);
           return Value::ok(Value(std::move(
               *host->give(host->state().input_streams, host->resources.input_stream,
                           WasiState::InputStream{std::make_shared<FileInput>(f, a[1].u)}))));
         });
  auto output = [host, file](bool append) {
    return [host, file, append](Args a) -> Result<Value> {
      ACTR_TRY(auto f, file(a[0]));
      if (f->directory) return fs_error(FsErrorCode::IsDirectory);
      if (!f->writable) return fs_error(FsErrorCode::BadDescriptor);
      uint64_t offset = append ? 0 : a[1].u;
      ACTR_TRY(
          Value stream,
          host->give(host->state().output_streams, host->resources.output_stream,
                     WasiState::OutputStream{std::make_shared<FileOutput>(f, offset, append)}));
      return Value::ok(std::move(stream));
    };
  };
  method("write-via-stream", {{"offset", u64}}, component::own_of(r.output_stream), output(false));
  method("append-via-stream", {}, component::own_of(r.output_stream), output(true));
  method("advise", {{"offset", u64}, {"length", u64}, {"advice", t.advice}}, nullptr,
         [file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           (void)f;
           return Value::ok();  // advice only
         });
  auto sync = [file](bool data_only) {
    return [file, data_only](Args a) -> Result<Value> {
      ACTR_TRY(auto f, file(a[0]));
      if (!f->writable && !f->directory) return fs_error(FsErrorCode::BadDescriptor);
      int rc = data_only ? ::fdatasync(f->fd) : ::fsync(f->fd);
      return rc == 0 ? Value::ok() : errno_error();
    };
  };
  method("sync-data", {}, nullptr, sync(true));
  method("sync", {}, nullptr, sync(false));
  method("get-flags", {}, t.descriptor_flags, [file](Args a) -> Result<Value> {
    ACTR_TRY(auto f, file(a[0]));
    uint64_t flags = (f->readable ? kFlagRead : 0) | (f->writable ? kFlagWrite : 0) |
                     (f->directory && f->tree_writable ? kFlagMutateDirectory : 0);
    return Value::ok(Value::flags(flags));
  });
  method("get-type", {}, t.descriptor_type, [file](Args a) -> Result<Value> {
    ACTR_TRY(auto f, file(a[0]));
    struct stat st {};
    if (::fstat(f->fd, &st) != 0) return errno_error();
    return Value::ok(Value::enumeration(static_cast<uint32_t>(type_of(st.st_mode))));
  });
  method("set-size", {{"size", u64}}, nullptr, [file](Args a) -> Result<Value> {
    ACTR_TRY(auto f, file(a[0]));
    if (!f->writable) return fs_error(FsErrorCode::BadDescriptor);
    return ::ftruncate(f->fd, static_cast<off_t>(a[1].u)) == 0 ? Value::ok() : errno_error();
  });
  auto times = [](const Value& access, const Value& modification, struct timespec out[2]) {
    const Value* v[2] = {&access, &modification};
    for (int i = 0; i < 2; ++i) {
      switch (v[i]->index) {
        case 0:
          out[i].tv_sec = 0;
          out[i].tv_nsec = UTIME_OMIT;
          break;
        case 1:
          out[i].tv_sec = 0;
          out[i].tv_nsec = UTIME_NOW;
          break;
        default:
          out[i].tv_sec = static_cast<time_t>(v[i]->payload().items[0].u);
          out[i].tv_nsec = static_cast<long>(v[i]->payload().items[1].u);
      }
    }
  };
  method("set-times",
         {{"data-access-timestamp", t.new_timestamp},
          {"data-modification-timestamp", t.new_timestamp}},
         nullptr, [file, times](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           if (!f->tree_writable) return fs_error(FsErrorCode::ReadOnly);
           struct timespec ts[2];
           times(a[1], a[2], ts);
           return ::futimens(f->fd, ts) == 0 ? Value::ok() : errno_error();
         });
  method("read", {{"length", u64}, {"offset", u64}},
         component::tuple_of({component::list_of(primitive(Kind::U8)), primitive(Kind::Bool)}),
         [file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           if (f->directory) return fs_error(FsErrorCode::IsDirectory);
           if (!f->readable) return fs_error(FsErrorCode::BadDescriptor);
           std::string buf(static_cast<size_t>(std::min<uint64_t>(a[1].u, 1 << 20)), '\0');
           ssize_t n = ::pread(f->fd, buf.data(), buf.size(), static_cast<off_t>(a[2].u));
           if (n < 0) return errno_error();
           bool eof = static_cast<size_t>(n) < buf.size() || buf.empty();
           buf.resize(static_cast<size_t>(n));
           return Value::ok(Value::tuple({Value::bytes(std::move(buf)), Value::boolean(eof)}));
         });
  method("write", {{"buffer", component::list_of(primitive(Kind::U8))}, {"offset", u64}}, u64,
         [file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           if (f->directory) return fs_error(FsErrorCode::IsDirectory);
           if (!f->writable) return fs_error(FsErrorCode::BadDescriptor);
           std::string scratch;
           std::string_view bytes = bytes_of(a[1], scratch);
           ssize_t n = ::pwrite(f->fd, bytes.data(), bytes.size(), static_cast<off_t>(a[2].u));
           if (n < 0) return errno_error();
           return Value::ok(Value::u64(static_cast<uint64_t>(n)));
         });
  method("read-directory", {}, component::own_of(r.directory_entry_stream),
         [host, file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           if (!f->directory) return fs_error(FsErrorCode::NotDirectory);
           int fd = open_beneath(f->fd, ".", O_RDONLY | O_DIRECTORY, 0);
           if (fd < 0) return errno_error();
           DirectoryStream stream;
           stream.directory = f;
           stream.dir.reset(::fdopendir(fd));
           if (!stream.dir) {
             ::close(fd);
             return errno_error();
           }
           ACTR_TRY(Value handle,
                    host->give(host->state().directory_streams,
                               host->resources.directory_entry_stream, std::move(stream)));
           return Value::ok(std::move(handle));
         });
  // The *at family: the path is split into its directory (opened beneath the descriptor) and
  // its last component.
  auto at =
      [file](const Value& handle, const Value& path_value, bool change,
             const std::function<Value(int parent, const std::string& name)>& op) -> Result<Value> {
    ACTR_TRY(auto f, file(handle));
    if (!f->directory) return fs_error(FsErrorCode::NotDirectory);
    if (change && !f->tree_writable) return fs_error(FsErrorCode::ReadOnly);
    Parent parent;
    if (!parent_of(*f, path_value.str, parent)) return errno_error();
    return op(parent.fd, parent.name);
  };
  method("create-directory-at", {path}, nullptr, [at](Args a) -> Result<Value> {
    return at(a[0], a[1], true, [](int dir, const std::string& name) {
      return ::mkdirat(dir, name.c_str(), 0755) == 0 ? Value::ok() : errno_error();
    });
  });
  method("stat", {}, t.descriptor_stat, [file](Args a) -> Result<Value> {
    ACTR_TRY(auto f, file(a[0]));
    struct stat st {};
    if (::fstat(f->fd, &st) != 0) return errno_error();
    return Value::ok(stat_value(st));
  });
  method("stat-at", {path_flags, path}, t.descriptor_stat, [at](Args a) -> Result<Value> {
    int follow = (a[1].u & kSymlinkFollow) ? 0 : AT_SYMLINK_NOFOLLOW;
    return at(a[0], a[2], false, [follow](int dir, const std::string& name) {
      struct stat st {};
      if (::fstatat(dir, name.c_str(), &st, follow) != 0) return errno_error();
      return Value::ok(stat_value(st));
    });
  });
  method("set-times-at",
         {path_flags,
          path,
          {"data-access-timestamp", t.new_timestamp},
          {"data-modification-timestamp", t.new_timestamp}},
         nullptr, [at, times](Args a) -> Result<Value> {
           int follow = (a[1].u & kSymlinkFollow) ? 0 : AT_SYMLINK_NOFOLLOW;
           struct timespec ts[2];
           times(a[3], a[4], ts);
           return at(a[0], a[2], true, [&](int dir, const std::string& name) {
             return ::utimensat(dir, name.c_str(), ts, follow) == 0 ? Value::ok() : errno_error();
           });
         });
  // Hard and symbolic links could reach outside the granted tree: not offered.
  method("link-at",
         {{"old-path-flags", t.path_flags},
          {"old-path", string},
          {"new-descriptor", descriptor},
          {"new-path", string}},
         nullptr, [file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           ACTR_TRY(auto target, file(a[3]));
           return fs_error(FsErrorCode::NotPermitted);
         });
  method("symlink-at", {{"old-path", string}, {"new-path", string}}, nullptr,
         [file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           return fs_error(FsErrorCode::NotPermitted);
         });
  method("open-at", {path_flags, path, {"open-flags", t.open_flags}, {"flags", t.descriptor_flags}},
         component::own_of(r.descriptor), [host, file](Args a) -> Result<Value> {
           ACTR_TRY(auto f, file(a[0]));
           if (!f->directory) return fs_error(FsErrorCode::NotDirectory);
           uint64_t open = a[3].u, want = a[4].u;
           bool write = (want & kFlagWrite) != 0;
           bool changes = write || (open & (kOpenCreate | kOpenTruncate)) != 0;
           if (changes && !f->tree_writable) return fs_error(FsErrorCode::ReadOnly);
           uint64_t flags = write ? ((want & kFlagRead) ? O_RDWR : O_WRONLY) : O_RDONLY;
           if (open & kOpenCreate) flags |= O_CREAT;
           if (open & kOpenDirectory) flags |= O_DIRECTORY;
           if (open & kOpenExclusive) flags |= O_EXCL;
           if (open & kOpenTruncate) flags |= O_TRUNC;
           if (!(a[1].u & kSymlinkFollow)) flags |= O_NOFOLLOW;
           const std::string& path = a[2].str;
           if (path.empty() || path.front() == '/') return fs_error(FsErrorCode::NotPermitted);
           int fd = open_beneath(f->fd, path, flags, 0644);
           if (fd < 0 && errno == EISDIR && !write) {
             fd = open_beneath(f->fd, path, O_RDONLY | O_DIRECTORY, 0);
           }
           if (fd < 0) return errno_error();
           auto opened = std::make_shared<FileHandle>();
           opened->fd = fd;
           struct stat st {};
           ::fstat(fd, &st);
           opened->directory = S_ISDIR(st.st_mode);
           opened->readable = (want & kFlagRead) != 0 || !write;
           opened->writable = write;
           opened->tree_writable = f->tree_writable;
           opened->guest_path = f->guest_path + "/" + path;
           ACTR_TRY(Value handle, host->give(host->state().descriptors, host->resources.descriptor,
                                             std::move(opened)));
           return Value::ok(std::move(handle));
         });
  method("readlink-at", {path}, string, [at](Args a) -> Result<Value> {
    return at(a[0], a[1], false, [](int dir, const std::string& name) {
      char buf[4096];
      ssize_t n = ::readlinkat(dir, name.c_str(), buf, sizeof buf);
      if (n < 0) return errno_error();
      return Value::ok(Value::string(std::string(buf, static_cast<size_t>(n))));
    });
  });
  method("remove-directory-at", {path}, nullptr, [at](Args a) -> Result<Value> {
    return at(a[0], a[1], true, [](int dir, const std::string& name) {
      return ::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0 ? Value::ok() : errno_error();
    });
  });
  method("rename-at", {{"old-path", string}, {"new-descriptor", descriptor}, {"new-path", string}},
         nullptr, [file](Args a) -> Result<Value> {
           ACTR_TRY(auto from, file(a[0]));
           ACTR_TRY(auto to, file(a[2]));
           if (!from->directory || !to->directory) return fs_error(FsErrorCode::NotDirectory);
           if (!from->tree_writable || !to->tree_writable) return fs_error(FsErrorCode::ReadOnly);
           Parent old_parent, new_parent;
           if (!parent_of(*from, a[1].str, old_parent)) return errno_error();
           if (!parent_of(*to, a[3].str, new_parent)) return errno_error();
           return ::renameat(old_parent.fd, old_parent.name.c_str(), new_parent.fd,
                             new_parent.name.c_str()) == 0
                      ? Value::ok()
                      : errno_error();
         });
  method("unlink-file-at", {path}, nullptr, [at](Args a) -> Result<Value> {
    return at(a[0], a[1], true, [](int dir, const std::string& name) {
      return ::unlinkat(dir, name.c_str(), 0) == 0 ? Value::ok() : errno_error();
    });
  });
  method("metadata-hash", {}, t.metadata_hash_value, [file](Args a) -> Result<Value> {
    ACTR_TRY(auto f, file(a[0]));
    struct stat st {};
    if (::fstat(f->fd, &st) != 0) return errno_error();
    return Value::ok(hash_value(st));
  });
  method("metadata-hash-at", {path_flags, path}, t.metadata_hash_value,
         [at](Args a) -> Result<Value> {
           int follow = (a[1].u & kSymlinkFollow) ? 0 : AT_SYMLINK_NOFOLLOW;
           return at(a[0], a[2], false, [follow](int dir, const std::string& name) {
             struct stat st {};
             if (::fstatat(dir, name.c_str(), &st, follow) != 0) return errno_error();
             return Value::ok(hash_value(st));
           });
         });
  fs.method(r.descriptor, "is-same-object", {{"other", descriptor}}, primitive(Kind::Bool),
            [file](Args a) -> Result<Value> {
              ACTR_TRY(auto x, file(a[0]));
              ACTR_TRY(auto y, file(a[1]));
              struct stat sx {
              }, sy{};
              if (::fstat(x->fd, &sx) != 0 || ::fstat(y->fd, &sy) != 0) {
                return Value::boolean(false);
              }
              return Value::boolean(sx.st_dev == sy.st_dev && sx.st_ino == sy.st_ino);
            });
  fs.method(r.directory_entry_stream, "read-directory-entry", {},
            component::result_of(component::option_of(t.directory_entry), t.error_code),
            [host](Args a) -> Result<Value> {
              ACTR_TRY(auto* stream, host->find(host->state().directory_streams, a[0]));
              for (;;) {
                errno = 0;
                struct dirent* e = ::readdir(stream->dir.get());
                if (!e) return errno == 0 ? Value::ok(Value::none()) : errno_error();
                std::string name = e->d_name;
                if (name == "." || name == "..") continue;
                DescriptorType type = DescriptorType::Unknown;
                switch (e->d_type) {
                  case DT_DIR:
                    type = DescriptorType::Directory;
                    break;
                  case DT_REG:
                    type = DescriptorType::RegularFile;
                    break;
                  case DT_LNK:
                    type = DescriptorType::SymbolicLink;
                    break;
                  case DT_FIFO:
                    type = DescriptorType::Fifo;
                    break;
                  case DT_SOCK:
                    type = DescriptorType::Socket;
                    break;
                  case DT_CHR:
                    type = DescriptorType::CharacterDevice;
                    break;
                  case DT_BLK:
                    type = DescriptorType::BlockDevice;
                    break;
                  default:
                    break;
                }
                return Value::ok(Value::some(Value::record(
                    {Value::enumeration(static_cast<uint32_t>(type)), Value::string(name)})));
              }
            });
}

}  // namespace

void add_filesystem(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder fs(linker, "wasi:filesystem/types");
  add_descriptor_methods(fs, host);
  fs.func("filesystem-error-code", {{"err", component::borrow_of(host->resources.error)}},
          component::option_of(host->types.error_code), [host](Args args) -> Result<Value> {
            ACTR_TRY(auto* error, host->find(host->state().errors, args[0]));
            if (!error->fs_code) return Value::none();
            return Value::some(Value::enumeration(*error->fs_code));
          });

  // A fresh descriptor per grant and call: the guest owns what it is given.
  InterfaceBuilder(linker, "wasi:filesystem/preopens")
      .func("get-directories", {},
            component::list_of(component::tuple_of(
                {component::own_of(host->resources.descriptor), primitive(Kind::String)})),
            [host](Args) -> Result<Value> {
              std::vector<Value> dirs;
              for (const Preopen& p : host->state().config().preopens) {
                int fd = ::open(p.host.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) continue;  // checked when the policy was read; gone since: not shown
                auto handle = std::make_shared<FileHandle>();
                handle->fd = fd;
                handle->directory = true;
                handle->readable = true;
                handle->tree_writable = p.writable;
                handle->guest_path = p.guest;
                ACTR_TRY(Value d, host->give(host->state().descriptors, host->resources.descriptor,
                                             std::move(handle)));
                dirs.push_back(Value::tuple({std::move(d), Value::string(p.guest)}));
              }
              return Value::list(std::move(dirs));
            });
}

}  // namespace actr::wasi
