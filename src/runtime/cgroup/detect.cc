// Finding the cgroup hierarchies, resolving linux.cgroupsPath and opening a manager.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>

#include "base/file.h"
#include "base/strings.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup {

namespace {

constexpr std::string_view kSystemRoot = "/sys/fs/cgroup";

constexpr std::array<std::string_view, 14> kV1Controllers = {
    "cpu",      "cpuacct", "cpuset",     "memory",  "devices", "freezer", "net_cls",
    "net_prio", "blkio",   "perf_event", "hugetlb", "pids",    "rdma",    "misc"};

bool is_v1_controller_option(std::string_view opt) {
  return opt.starts_with("name=") ||
         std::find(kV1Controllers.begin(), kV1Controllers.end(), opt) != kV1Controllers.end();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto oct = s.substr(i + 1, 3);
      if (std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool at_or_below(const std::string& path, const std::string& root) {
  return path == root || path.starts_with(root + "/");
}

// Fake trees (tests): each subdirectory of root is a hierarchy; one holding cgroup.controllers is
// cgroup2, any other is a v1 hierarchy named after its controllers ("cpu,cpuacct", "memory",
// "systemd" for name=systemd). Symlinks (cpu -> cpu,cpuacct) are aliases and skipped.
std::vector<Hierarchy> hierarchies_from_listing(const std::string& root) {
  std::vector<Hierarchy> out;
  DIR* d = ::opendir(root.c_str());
  if (!d) return out;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    struct stat st;
    if (name == "." || name == ".." || ::lstat(path_join(root, name).c_str(), &st) < 0 ||
        !S_ISDIR(st.st_mode))
      continue;
    names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    Hierarchy h;
    h.mountpoint = path_join(root, name);
    if (path_exists(path_join(h.mountpoint, "cgroup.controllers"))) {
      h.v2 = true;
    } else {
      h.options = name == "systemd" ? "name=systemd" : name;
    }
    out.push_back(std::move(h));
  }
  return out;
}

// The caller's cgroup in hierarchy `h`, from /proc/self/cgroup: the v2 "0::" line, or the v1
// line whose controller list is the hierarchy's.
Result<std::string> own_cgroup_in(const std::string& text, const Hierarchy& h) {
  for (const auto& line : split(text, '\n')) {
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path = line.substr(c2 + 1);
    if (h.v2 ? controllers.empty() : (!controllers.empty() && [&] {
          auto a = split(controllers, ','), b = split(h.options, ',');
          std::sort(a.begin(), a.end());
          std::sort(b.begin(), b.end());
          return a == b;
        }()))
      return path;
  }
  return fail(ErrorKind::NotFound, "no cgroup for {} in /proc/self/cgroup", h.mountpoint);
}

// "a-b.slice" -> "/a.slice/a-b.slice"; "" -> "/system.slice"; "-.slice" -> "" (the root slice).
Result<std::string> expand_slice(const std::string& slice_in) {
  std::string slice = slice_in.empty() ? "system.slice" : slice_in;
  if (!slice.ends_with(".slice") || slice.find('/') != std::string::npos)
    return fail(ErrorKind::InvalidArgument, "invalid slice name {:?}", slice);
  if (slice == "-.slice") return std::string();
  std::string base = slice.substr(0, slice.size() - 6);
  if (base.empty() || base.find("--") != std::string::npos || base.front() == '-' ||
      base.back() == '-')
    return fail(ErrorKind::InvalidArgument, "invalid slice name {:?}", slice);
  std::string out;
  for (size_t i = 0; i <= base.size(); ++i) {
    if (i == base.size() || base[i] == '-') out += "/" + base.substr(0, i) + ".slice";
  }
  return out;
}

// Rejects ".." components that climb above the start of `p`.
Status check_no_escape(const std::string& p, const std::string& original) {
  int depth = 0;
  for (const auto& part : split(p, '/')) {
    if (part == "..") {
      if (--depth < 0)
        return fail(ErrorKind::InvalidArgument,
                    "linux.cgroupsPath {:?}: \"..\" escapes the cgroup root", original);
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
  }
  return ok();
}

}  // namespace

namespace internal {

std::vector<Hierarchy> hierarchies_from_mountinfo(const std::string& mountinfo,
                                                  const std::string& root) {
  std::vector<Hierarchy> out;
  for (const auto& line : split(mountinfo, '\n')) {
    auto f = split(line, ' ');
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || sep == f.end() || f.end() - sep < 4) continue;
    const std::string& fstype = *(sep + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.mountpoint = unescape_octal(f[4]);
    if (!at_or_below(h.mountpoint, root)) continue;
    if (fstype == "cgroup2") {
      h.v2 = true;
    } else {
      for (const auto& opt : split(*(sep + 3), ',')) {
        if (!is_v1_controller_option(opt)) continue;
        h.options += (h.options.empty() ? "" : ",") + opt;
      }
      if (h.options.empty()) continue;
    }
    // The same hierarchy mounted twice (bind mounts) counts once.
    bool dup = std::any_of(out.begin(), out.end(), [&](const Hierarchy& o) {
      return o.v2 == h.v2 && o.options == h.options;
    });
    if (!dup) out.push_back(std::move(h));
  }
  return out;
}

}  // namespace internal

Mode detect_mode(const std::string& root) {
  if (path_exists(path_join(root, "cgroup.controllers"))) return Mode::V2;
  if (path_exists(path_join(root, "unified/cgroup.controllers"))) return Mode::Hybrid;
  return Mode::V1;
}

Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id) {
  std::string p;
  if (cgroups_path.empty()) {
    if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
      return fail(ErrorKind::InvalidArgument, "invalid container id {:?} for a cgroup path", id);
    p = "/berth/" + id;
  } else if (cgroups_path.find(':') != std::string::npos) {
    auto parts = split(cgroups_path, ':');
    if (parts.size() != 3 || parts[2].empty() || parts[2].find('/') != std::string::npos ||
        parts[1].find('/') != std::string::npos)
      return fail(ErrorKind::InvalidArgument,
                  "linux.cgroupsPath {:?}: expected \"slice:prefix:name\"", cgroups_path);
    auto slice = expand_slice(parts[0]);
    if (!slice) return std::unexpected(std::move(slice).error().context("linux.cgroupsPath"));
    std::string unit = parts[2];
    if (!unit.ends_with(".slice"))
      unit = (parts[1].empty() ? "" : parts[1] + "-") + parts[2] + ".scope";
    p = *slice + "/" + unit;
  } else if (cgroups_path.front() == '/') {
    BERTH_TRY(check_no_escape(cgroups_path, cgroups_path));
    p = cgroups_path;
  } else {
    BERTH_TRY(check_no_escape(cgroups_path, cgroups_path));
    std::string rel = clean_path(cgroups_path);
    if (rel == "." || rel.starts_with(".."))
      return fail(ErrorKind::InvalidArgument, "linux.cgroupsPath {:?}: not a usable cgroup",
                  cgroups_path);
    return rel;
  }
  p = clean_path(p);
  if (p == "/" || p.front() != '/')
    return fail(ErrorKind::InvalidArgument, "linux.cgroupsPath {:?}: not a usable cgroup",
                cgroups_path);
  return p;
}

namespace {
// Each hierarchy's path: `path` itself when absolute, else under the caller's own cgroup there.
Status assign_paths(std::vector<Hierarchy>& hs, const std::string& path) {
  if (path.front() == '/') {
    for (auto& h : hs) h.path = path;
    return ok();
  }
  BERTH_ASSIGN(std::string self, read_file("/proc/self/cgroup"));
  for (auto& h : hs) {
    BERTH_ASSIGN(std::string own, own_cgroup_in(self, h));
    h.path = clean_path(path_join(own, path));
  }
  return ok();
}
}  // namespace

Result<std::unique_ptr<Manager>> Manager::open_saved(
    const std::map<std::string, std::string>& paths, const std::string& root) {
  if (paths.empty()) return fail(ErrorKind::InvalidArgument, "no saved cgroup paths");
  BERTH_ASSIGN(auto m, open(paths.begin()->second, root));
  std::vector<Hierarchy> hs = m->hierarchies();
  for (auto& h : hs) {
    auto it = paths.find(h.mountpoint);
    if (it != paths.end()) h.path = it->second;
  }
  if (m->mode() == Mode::V2) return internal::make_v2_manager(hs.at(0));
  return internal::make_v1_manager(m->mode(), std::move(hs));
}

Result<std::unique_ptr<Manager>> Manager::open(const std::string& path, const std::string& root) {
  bool relative = !path.empty() && path.front() != '/';
  if (path.empty() || clean_path(path) != path || path == "/" || path.starts_with(".."))
    return fail(ErrorKind::InvalidArgument, "cgroup path {:?} must be clean and not /", path);
  if (relative && root != kSystemRoot)
    return fail(ErrorKind::InvalidArgument, "relative cgroup path {:?} needs the system root",
                path);
  struct stat st;
  if (::stat(root.c_str(), &st) < 0) return sys_fail("cgroup root {}", root);
  Mode mode = detect_mode(root);
  if (mode == Mode::V2) {
    std::vector<Hierarchy> one = {Hierarchy{root, "", true, path}};
    BERTH_TRY(assign_paths(one, path));
    return internal::make_v2_manager(one[0]);
  }
  std::vector<Hierarchy> found;
  if (root == kSystemRoot) {
    BERTH_ASSIGN(std::string mountinfo, read_file("/proc/self/mountinfo"));
    found = internal::hierarchies_from_mountinfo(mountinfo, root);
  } else {
    found = hierarchies_from_listing(root);
  }
  std::vector<Hierarchy> hs;
  for (auto& h : found) {
    // Only hybrid mode uses a cgroup2 mount, the one at <root>/unified.
    if (h.v2 && (mode != Mode::Hybrid || h.mountpoint != path_join(root, "unified"))) continue;
    hs.push_back(std::move(h));
  }
  BERTH_TRY(assign_paths(hs, path));
  if (std::none_of(hs.begin(), hs.end(), [](const Hierarchy& h) { return !h.v2; }))
    return fail(ErrorKind::NotFound, "no cgroup hierarchies found under {}", root);
  return internal::make_v1_manager(mode, std::move(hs));
}

}  // namespace berth::cgroup
