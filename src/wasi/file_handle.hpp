// A file or directory a guest opened under a directory its policy grants (wasi:filesystem): the
// open file descriptor and what the guest may do with it. Closed when the last handle goes.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace actr::wasi {

struct FileHandle {
  int fd = -1;
  bool directory = false;
  bool readable = false;
  bool writable = false;       // this descriptor was opened for writing
  bool tree_writable = false;  // the granted directory it lies under allows writing
  std::string guest_path;      // for messages

  FileHandle() = default;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle() {
    if (fd >= 0) ::close(fd);
  }
};

// The wasi:filesystem error-code (FsErrorCode) of an errno value.
uint32_t fs_error_code(int errno_value);

// An open directory listing (read-directory).
struct DirectoryStream {
  std::shared_ptr<FileHandle> directory;
  std::unique_ptr<DIR, int (*)(DIR*)> dir{nullptr, &::closedir};
};

}  // namespace actr::wasi
