// Container logs on disk, as the shim writes them and berthd reads them back.
// json-file: Docker's format, one {"log","stream","time"} object per line, rotated into
// <path>.1 ... <path>.N-1 at max-size. "local" uses the same line format in its own file
// (Docker's is protobuf; only berthd reads it). "none" writes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::logs {

struct LogConfig {
  std::string driver = "json-file";  // json-file | local | none
  uint64_t max_size = 20u << 20;     // bytes per file; 0 = unlimited
  int max_file = 5;
};

// Validates Docker's LogConfig {Type, Config{max-size, max-file, ...}}.
Result<LogConfig> parse_log_config(const std::string& type,
                                   const std::map<std::string, std::string>& opts);
// "10m", "1g", "512k", "100" -> bytes.
Result<uint64_t> parse_size(std::string_view s);

class Writer {
 public:
  static Result<std::unique_ptr<Writer>> open(const std::string& path, const LogConfig& cfg);
  // Output of stream 1 (stdout) or 2 (stderr), split into lines (a partial line waits for
  // its newline, up to 16 KiB).
  void write(int stream, std::string_view data);
  void flush_partial();

 private:
  void emit(int stream, std::string_view line);
  void rotate();
  std::string path_;
  LogConfig cfg_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string partial_[3];
};

struct Entry {
  int stream = 1;
  std::string line;
  int64_t time_ns = 0;
};

// Parses one json-file line; false if it is not one.
bool parse_line(std::string_view text, Entry& e);
// Every file of the log, oldest first.
std::vector<std::string> files_oldest_first(const std::string& path, int max_file);

}  // namespace berth::logs
