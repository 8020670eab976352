// Reading and writing cgroupfs control files, walking and removing cgroup directories.
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup::internal {

Status write_control(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd) return sys_fail("write {}", path);
  for (;;) {
    ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("write {}", path);
    // cgroupfs consumes a value in one write; a short write means the kernel rejected the rest.
    if (static_cast<size_t>(n) != value.size())
      return fail(ErrorKind::Internal, "write {}: short write", path);
    return ok();
  }
}

Status write_field(std::string_view field, const std::string& path, std::string_view value) {
  auto st = write_control(path, value);
  if (!st) return std::unexpected(std::move(st).error().context("{}", field));
  return ok();
}

Result<std::string> read_control(const std::string& path) {
  BERTH_ASSIGN(std::string text, read_file(path));
  return std::string(trim(text));
}

std::optional<uint64_t> read_u64(const std::string& path) {
  auto text = read_control(path);
  if (!text) return std::nullopt;
  if (*text == "max") return UINT64_MAX;
  auto v = parse_uint(*text);
  if (!v) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

std::map<std::string, uint64_t> read_keyed(const std::string& path) {
  std::map<std::string, uint64_t> out;
  auto text = read_file(path);
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string_view value = trim(std::string_view(line).substr(sp + 1));
    auto v = value == "max" ? std::optional<unsigned long long>(UINT64_MAX) : parse_uint(value);
    if (v) out[line.substr(0, sp)] = static_cast<uint64_t>(*v);
  }
  return out;
}

std::vector<std::string> read_words(const std::string& path) {
  std::vector<std::string> out;
  auto text = read_file(path);
  if (!text) return out;
  std::string word;
  for (char c : *text + " ") {
    if (c == ' ' || c == '\n' || c == '\t') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

namespace {

// Names of the child cgroups (subdirectories) of `dir`.
Result<std::vector<std::string>> child_dirs(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return sys_fail("open {}", dir);
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::lstat(path_join(dir, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) out.push_back(std::move(name));
  }
  ::closedir(d);
  return out;
}

Status collect_procs(const std::string& dir, std::vector<pid_t>& out) {
  BERTH_ASSIGN(std::string text, read_file(path_join(dir, "cgroup.procs")));
  for (const auto& line : split(text, '\n')) {
    if (auto v = parse_int(trim(line)); v && *v > 0) out.push_back(static_cast<pid_t>(*v));
  }
  BERTH_ASSIGN(auto children, child_dirs(dir));
  for (const auto& c : children) {
    auto st = collect_procs(path_join(dir, c), out);
    // A child cgroup removed while walking is not an error.
    if (!st && st.error().sys_errno() != ENOENT) return st;
  }
  return ok();
}

}  // namespace

Result<std::vector<pid_t>> read_procs_tree(const std::string& dir) {
  std::vector<pid_t> out;
  BERTH_TRY(collect_procs(dir, out));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status remove_cgroup_dir(const std::string& dir) {
  auto children = child_dirs(dir);
  if (!children) {
    if (children.error().sys_errno() == ENOENT) return ok();
    return std::unexpected(std::move(children).error());
  }
  for (const auto& c : *children) BERTH_TRY(remove_cgroup_dir(path_join(dir, c)));
  // Processes that were just killed may keep the cgroup busy for a moment.
  auto delay = std::chrono::milliseconds(5);
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return ok();
    if (errno != EBUSY || attempt >= 10) return sys_fail("rmdir {}", dir);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(200));
  }
}

Result<bool> poll_until(const std::function<Result<bool>()>& done,
                        std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    BERTH_ASSIGN(bool d, done());
    if (d || std::chrono::steady_clock::now() >= deadline) return d;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

bool is_cgroup2_fs(const std::string& dir) {
  struct statfs sfs;
  return ::statfs(dir.c_str(), &sfs) == 0 &&
         static_cast<unsigned long>(sfs.f_type) == CGROUP2_SUPER_MAGIC;
}

Status make_cgroup_dirs(const std::string& mountpoint, const std::string& path) {
  // A shared parent (/berth) may be removed by whoever emptied it between our mkdir of the
  // parent and of the leaf: that is an ENOENT, and trying again recreates the parent.
  Status st;
  for (int i = 0; i < 3; ++i) {
    st = mkdir_all(path_join(mountpoint, path));
    if (st || st.error().sys_errno() != ENOENT) return st;
  }
  return st;
}

Status enable_controllers(const std::string& mountpoint, const std::string& path,
                          const std::vector<std::string>& wanted) {
  // The levels whose subtree_control matters: the root and every ancestor of the leaf. The leaf
  // itself keeps an empty subtree_control (no internal processes rule).
  std::vector<std::string> levels = {mountpoint};
  std::string cur = mountpoint;
  auto parts = split(path, '/');
  std::erase(parts, std::string());
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    cur = path_join(cur, parts[i]);
    levels.push_back(cur);
  }
  for (const auto& dir : levels) {
    auto available = read_words(path_join(dir, "cgroup.controllers"));
    auto enabled = read_words(path_join(dir, "cgroup.subtree_control"));
    for (auto& e : enabled) {
      if (!e.empty() && e[0] == '+') e.erase(0, 1);
    }
    std::vector<std::string> todo;
    for (const auto& c : available) {
      if ((wanted.empty() || contains(wanted, c)) && !contains(enabled, c)) todo.push_back(c);
    }
    if (todo.empty()) continue;
    std::string control = path_join(dir, "cgroup.subtree_control");
    std::string all;
    for (const auto& c : todo) all += (all.empty() ? "+" : " +") + c;
    if (write_control(control, all)) continue;
    // Like runc: when enabling all at once fails, enable what can be enabled one by one.
    for (const auto& c : todo) {
      auto st = write_control(control, "+" + c);
      if (!st) log::debug("cgroup: enable {}: {}", c, st.error().message());
    }
  }
  return ok();
}

}  // namespace berth::cgroup::internal
