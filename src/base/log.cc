#include "base/log.h"

#include "base/time.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace berth::log {
namespace {
int g_fd = -1;
bool g_json = false;
bool g_debug = false;

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warning";
    case Level::Error:
      return "error";
  }
  return "info";
}

}  // namespace

void configure(const std::string& path, bool json, bool debug) {
  g_json = json;
  g_debug = debug;
  if (!path.empty()) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) g_fd = fd;
  }
}

void write(Level level, const std::string& msg) {
  if (level == Level::Debug && !g_debug) return;
  std::string line;
  if (g_json) {
    nlohmann::json j = {{"level", level_name(level)}, {"msg", msg}, {"time", now_rfc3339()}};
    line = j.dump() + "\n";
  } else {
    line = fmt::format("time=\"{}\" level={} msg=\"{}\"\n", now_rfc3339(), level_name(level), msg);
  }
  // runc writes errors to stderr as well as to the log file; callers (containerd) read the file.
  int fd = g_fd >= 0 ? g_fd : STDERR_FILENO;
  ssize_t r = ::write(fd, line.data(), line.size());
  (void)r;
}

}  // namespace berth::log
