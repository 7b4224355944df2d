#include "wasi/file_streams.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace actr::wasi {

std::variant<std::string_view, StreamError> FileInput::read(uint64_t max) {
  if (max == 0) return std::string_view{};
  buffer_.resize(static_cast<size_t>(std::min<uint64_t>(max, 1 << 20)));
  ssize_t n;
  do {
    n = ::pread(file_->fd, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return StreamError::failed("read of " + file_->guest_path + ": " + std::strerror(errno),
                               fs_error_code(errno));
  }
  if (n == 0) return StreamError::closed();
  offset_ += static_cast<uint64_t>(n);
  return std::string_view(buffer_.data(), static_cast<size_t>(n));
}

std::optional<StreamError> FileOutput::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n;
    if (append_) {
      struct stat st {};
      if (::fstat(file_->fd, &st) != 0) {
        return StreamError::failed("write to " + file_->guest_path + ": " + std::strerror(errno),
                                   fs_error_code(errno));
      }
      offset_ = static_cast<uint64_t>(st.st_size);
    }
    do {
      n = ::pwrite(file_->fd, bytes.data(), bytes.size(), static_cast<off_t>(offset_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return StreamError::failed("write to " + file_->guest_path + ": " + std::strerror(errno),
                                 fs_error_code(errno));
    }
    offset_ += static_cast<uint64_t>(n);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return std::nullopt;
}

std::optional<StreamError> FileOutput::flush() { return std::nullopt; }

}  // namespace actr::wasi
