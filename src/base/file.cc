#include "base/file.h"

#include "base/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

namespace berth {

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_fail("read {}", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

static Status write_all(int fd, std::string_view data, const std::string& path) {
  if (!berth::write_all(fd, data)) return sys_fail("write {}", path);
  return ok();
}

Status write_file(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  return write_all(fd.get(), data, path);
}

Status rewrite_file(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  return write_all(fd.get(), data, path);
}

Status write_file_atomic(const std::string& path, std::string_view data, int mode, bool durable) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return sys_fail("create {}", tmp);
  BERTH_TRY(write_all(fd.get(), data, tmp));
  if (durable && ::fsync(fd.get()) < 0) return sys_fail("fsync {}", tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) < 0) return sys_fail("rename {} to {}", tmp, path);
  return ok();
}

Status mkdir_all(const std::string& path, int mode) {
  if (path.empty() || path == "/") return ok();
  // The common case is that only the last levels are missing: try the leaf first and walk up
  // only on ENOENT, instead of one mkdir per level from the root.
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) return ok();
  if (errno == ENOENT) {
    auto slash = path.find_last_of('/', path.size() - 1);
    if (slash != std::string::npos && slash > 0) BERTH_TRY(mkdir_all(path.substr(0, slash), mode));
    if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 || errno == EEXIST) return ok();
    return sys_fail("mkdir {}", path);
  }
  if (errno != EEXIST) return sys_fail("mkdir {}", path);
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return sys_fail("stat {}", path);
  if (!S_ISDIR(st.st_mode))
    return fail(ErrorKind::Conflict, "{} exists and is not a directory", path);
  return ok();
}

Status remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return std::unexpected(Error(ErrorKind::Internal, "remove " + path, ec.value()));
  return ok();
}

std::string executable_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string path_join(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += '/';
  out += b;
  return out;
}

std::string clean_path(std::string_view p) {
  bool abs = !p.empty() && p.front() == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part.empty() || part == ".") {
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!abs) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = abs ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

std::string find_in_path(const std::string& name) {
  auto runnable = [](const std::string& p) { return access(p.c_str(), X_OK) == 0; };
  if (name.find('/') != std::string::npos) return runnable(name) ? name : "";
  const char* path = getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? "" : dirs.substr(colon + 1);
    std::string p = (dir.empty() ? "." : dir) + "/" + name;
    if (runnable(p)) return p;
  }
  return "";
}

}  // namespace berth
