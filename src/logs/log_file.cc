#include "logs/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/io.h"
#include "base/strings.h"
#include "base/time.h"

namespace berth::logs {

Result<uint64_t> parse_size(std::string_view s) {
  std::string t(trim(s));
  if (t.empty()) return fail(ErrorKind::InvalidArgument, "invalid size: {:?}", std::string(s));
  uint64_t mult = 1;
  char last = static_cast<char>(tolower(static_cast<unsigned char>(t.back())));
  if (last == 'b' && t.size() > 1) {
    t.pop_back();
    last = static_cast<char>(tolower(static_cast<unsigned char>(t.back())));
  }
  if (last == 'k') mult = 1024;
  if (last == 'm') mult = 1024 * 1024;
  if (last == 'g') mult = 1024ull * 1024 * 1024;
  if (mult != 1) t.pop_back();
  auto n = parse_uint(t);
  if (!n) return fail(ErrorKind::InvalidArgument, "invalid size: {:?}", std::string(s));
  return *n * mult;
}

Result<LogConfig> parse_log_config(const std::string& type,
                                   const std::map<std::string, std::string>& opts) {
  LogConfig c;
  c.driver = type.empty() ? "json-file" : type;
  if (c.driver != "json-file" && c.driver != "local" && c.driver != "none")
    return fail(ErrorKind::NotFound,
                "failed to create task for container: failed to initialize logging driver: "
                "logger: no log driver named '{}' is registered",
                c.driver);
  for (auto& [k, v] : opts) {
    if (k == "max-size") {
      if (v == "-1") {
        c.max_size = 0;
        continue;
      }
      BERTH_ASSIGN(c.max_size, parse_size(v));
    } else if (k == "max-file") {
      auto n = parse_int(v);
      if (!n || *n < 1) return fail(ErrorKind::InvalidArgument, "max-file cannot be less than 1");
      c.max_file = static_cast<int>(*n);
    } else if (k == "compress" || k == "labels" || k == "env" || k == "tag" || k == "mode" ||
               k == "max-buffer-size" || k == "env-regex" || k == "labels-regex") {
      continue;
    } else {
      return fail(ErrorKind::InvalidArgument, "unknown log opt '{}' for {} log driver", k,
                  c.driver);
    }
  }
  return c;
}

Result<std::unique_ptr<Writer>> Writer::open(const std::string& path, const LogConfig& cfg) {
  auto w = std::unique_ptr<Writer>(new Writer());
  w->path_ = path;
  w->cfg_ = cfg;
  if (cfg.driver == "none") return w;
  w->fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!w->fd_) return sys_fail("open log {}", path);
  struct stat st;
  if (fstat(w->fd_.get(), &st) == 0) w->size_ = static_cast<uint64_t>(st.st_size);
  return w;
}

void Writer::write(int stream, std::string_view data) {
  if (cfg_.driver == "none" || stream < 1 || stream > 2) return;
  std::string& part = partial_[stream];
  while (!data.empty()) {
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      part.append(data);
      if (part.size() >= 16384) {
        emit(stream, part);
        part.clear();
      }
      return;
    }
    part.append(data.substr(0, nl + 1));
    emit(stream, part);
    part.clear();
    data.remove_prefix(nl + 1);
  }
}

void Writer::flush_partial() {
  for (int s = 1; s <= 2; ++s)
    if (!partial_[s].empty()) {
      emit(s, partial_[s]);
      partial_[s].clear();
    }
}

void Writer::emit(int stream, std::string_view line) {
  nlohmann::json j = {{"log", std::string(line)},
                      {"stream", stream == 2 ? "stderr" : "stdout"},
                      {"time", now_rfc3339()}};
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (cfg_.max_size > 0 && size_ > 0 && size_ + text.size() > cfg_.max_size) rotate();
  if (!fd_) return;
  if (!write_all(fd_.get(), text)) return;  // a full disk drops log lines, never the container
  size_ += text.size();
}

void Writer::rotate() {
  if (cfg_.max_file <= 1) {
    if (ftruncate(fd_.get(), 0) == 0) size_ = 0;
    return;
  }
  for (int i = cfg_.max_file - 1; i >= 1; --i) {
    std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
    ::rename(from.c_str(), (path_ + "." + std::to_string(i)).c_str());
  }
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  size_ = 0;
}

bool parse_line(std::string_view text, Entry& e) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  e.line = j.value("log", "");
  e.stream = j.value("stream", "stdout") == "stderr" ? 2 : 1;
  e.time_ns = parse_rfc3339_ns(j.value("time", "")).value_or(0);
  return true;
}

std::vector<std::string> files_oldest_first(const std::string& path, int max_file) {
  std::vector<std::string> out;
  for (int i = std::max(max_file, 1) + 8; i >= 1; --i) {
    std::string p = path + "." + std::to_string(i);
    if (path_exists(p)) out.push_back(p);
  }
  if (path_exists(path)) out.push_back(path);
  return out;
}

}  // namespace berth::logs
