#include "runtime/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/secure_path.h"

namespace berth::runtime {

const std::vector<oci::Device>& default_devices() {
  static const std::vector<oci::Device> kDevices = {
      {"c", "/dev/null", 1, 3, 0666, 0, 0},    {"c", "/dev/zero", 1, 5, 0666, 0, 0},
      {"c", "/dev/full", 1, 7, 0666, 0, 0},    {"c", "/dev/random", 1, 8, 0666, 0, 0},
      {"c", "/dev/urandom", 1, 9, 0666, 0, 0}, {"c", "/dev/tty", 5, 0, 0666, 0, 0},
  };
  return kDevices;
}

std::vector<oci::DeviceRule> effective_device_rules(const oci::Spec& spec) {
  std::vector<oci::DeviceRule> rules;
  if (spec.linux && spec.linux->resources) rules = spec.linux->resources->devices;
  auto allow = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                   const char* access) {
    rules.push_back(oci::DeviceRule{true, type, major, minor, access});
  };
  // Creating nodes (mknod) of any kind is harmless without read/write access.
  allow("c", std::nullopt, std::nullopt, "m");
  allow("b", std::nullopt, std::nullopt, "m");
  for (const auto& d : default_devices()) allow("c", d.major, d.minor, "rwm");
  allow("c", 136, std::nullopt, "rwm");  // /dev/pts/*
  allow("c", 5, 2, "rwm");               // /dev/ptmx
  allow("c", 5, 1, "rwm");               // /dev/console
  allow("c", 10, 200, "rwm");            // /dev/net/tun, as runc allows
  if (spec.linux) {
    for (const auto& d : spec.linux->devices) {
      if (d.type == "p") continue;
      allow(d.type == "b" ? "b" : "c", d.major, d.minor, "rwm");
    }
  }
  return rules;
}

namespace {
Status create_one(int rootfd, const oci::Device& d, bool in_userns) {
  if (in_userns) {
    // mknod is not allowed in a user namespace: bind the host's node over an empty file.
    BERTH_ASSIGN(UniqueFd target, open_in_root(rootfd, d.path, Create::File));
    if (mount(d.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      return sys_fail("bind device {}", d.path);
    return ok();
  }
  auto slash = d.path.rfind('/');
  std::string dir = d.path.substr(0, slash);
  std::string name = d.path.substr(slash + 1);
  BERTH_ASSIGN(UniqueFd parent, open_in_root(rootfd, dir.empty() ? "/" : dir, Create::Dir));
  mode_t mode = d.file_mode.value_or(0666) & 07777;
  if (d.type == "c" || d.type == "u")
    mode |= S_IFCHR;
  else if (d.type == "b")
    mode |= S_IFBLK;
  else
    mode |= S_IFIFO;
  dev_t dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  UniqueFd dirfd(openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return sys_fail("open {}", dir);
  unlinkat(dirfd.get(), name.c_str(), 0);
  if (mknodat(dirfd.get(), name.c_str(), mode, dev) < 0) return sys_fail("mknod {}", d.path);
  // mknod honours umask; chmod makes the mode exactly what the config says.
  if (fchmodat(dirfd.get(), name.c_str(), mode & 07777, 0) < 0) return sys_fail("chmod {}", d.path);
  if (fchownat(dirfd.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0),
               AT_SYMLINK_NOFOLLOW) < 0)
    return sys_fail("chown {}", d.path);
  return ok();
}
}  // namespace

Status create_devices(int rootfd, const oci::Spec& spec, bool in_userns) {
  for (const auto& d : default_devices()) {
    bool overridden = false;
    if (spec.linux)
      for (const auto& c : spec.linux->devices) overridden |= c.path == d.path;
    if (overridden) continue;
    if (auto st = create_one(rootfd, d, in_userns); !st)
      return std::unexpected(std::move(st.error()).context("default device {}", d.path));
  }
  if (spec.linux) {
    for (size_t i = 0; i < spec.linux->devices.size(); ++i) {
      if (auto st = create_one(rootfd, spec.linux->devices[i], in_userns); !st)
        return std::unexpected(std::move(st.error()).context("linux.devices[{}]", i));
    }
  }
  return ok();
}

Status create_dev_symlinks(int rootfd) {
  static const std::pair<const char*, const char*> kLinks[] = {
      {"/proc/self/fd", "dev/fd"},       {"/proc/self/fd/0", "dev/stdin"},
      {"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
      {"pts/ptmx", "dev/ptmx"},
  };
  BERTH_ASSIGN(UniqueFd dev, open_in_root(rootfd, "/dev", Create::Dir));
  UniqueFd dirfd(openat(dev.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return sys_fail("open /dev");
  for (auto& [target, link] : kLinks) {
    const char* name = link + 4;
    if (std::string(name) == "ptmx") unlinkat(dirfd.get(), name, 0);
    if (symlinkat(target, dirfd.get(), name) < 0 && errno != EEXIST)
      return sys_fail("symlink /{}", link);
  }
  if (access("/proc/kcore", F_OK) == 0) symlinkat("/proc/kcore", dirfd.get(), "core");
  return ok();
}

}  // namespace berth::runtime
