// Streams on files (read-via-stream, write-via-stream, append-via-stream): reads and writes at
// the stream's own offset, through the descriptor's file.
#pragma once

#include <memory>

#include "wasi/file_handle.hpp"
#include "wasi/input_source.hpp"
#include "wasi/output_channel.hpp"

namespace actr::wasi {

class FileInput final : public InputSource {
 public:
  FileInput(std::shared_ptr<FileHandle> file, uint64_t offset)
      : InputSource({}), file_(std::move(file)), offset_(offset) {}
  std::variant<std::string_view, StreamError> read(uint64_t max) override;

 private:
  std::shared_ptr<FileHandle> file_;
  uint64_t offset_;
  std::string buffer_;
};

class FileOutput final : public OutputTarget {
 public:
  // `append`: every write goes to the end of the file.
  FileOutput(std::shared_ptr<FileHandle> file, uint64_t offset, bool append)
      : file_(std::move(file)), offset_(offset), append_(append) {}
  std::optional<StreamError> write(std::string_view bytes) override;
  std::optional<StreamError> flush() override;
  bool closed() const override { return false; }

 private:
  std::shared_ptr<FileHandle> file_;
  uint64_t offset_;
  bool append_;
};

}  // namespace actr::wasi
