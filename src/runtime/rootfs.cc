#include "runtime/rootfs.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"
#include "runtime/devices.h"
#include "runtime/mount_options.h"
#include "runtime/secure_path.h"

namespace berth::runtime {

namespace {

constexpr unsigned long kLockableFlags =
    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME;

// Flags already on a mount; a bind remount must keep them or the kernel refuses
// (mounts inherited from a more privileged user namespace have them locked).
unsigned long current_flags(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) < 0) return 0;
  return sv.f_flag & kLockableFlags;
}

Status remount_bind(const std::string& path, unsigned long flags) {
  unsigned long f = MS_REMOUNT | MS_BIND | (flags & kLockableFlags) | current_flags(path);
  if (mount(nullptr, path.c_str(), nullptr, f, nullptr) < 0) return sys_fail("remount {}", path);
  return ok();
}

Status set_recursive_attrs(const std::string& path, const MountOptions& o) {
  if (!o.attr_set && !o.attr_clr) return ok();
  mount_attr attr{};
  attr.attr_set = o.attr_set;
  attr.attr_clr = o.attr_clr;
  if (syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), AT_RECURSIVE, &attr, sizeof attr) < 0)
    return sys_fail("mount_setattr {}", path);
  return ok();
}

Status mount_bind(int rootfd, const oci::Mount& m, const MountOptions& o) {
  struct stat st;
  if (stat(m.source.c_str(), &st) < 0) return sys_fail("stat source {}", m.source);
  Create kind = S_ISDIR(st.st_mode) ? Create::Dir : Create::File;
  BERTH_ASSIGN(UniqueFd target, open_in_root(rootfd, m.destination, kind));
  unsigned long bflags = MS_BIND | (o.flags & MS_REC);
  if (mount(m.source.c_str(), fd_path(target.get()).c_str(), nullptr, bflags, nullptr) < 0)
    return sys_fail("bind {}", m.source);
  // The fd still names the covered inode; reopen to reach the new mount.
  BERTH_ASSIGN(UniqueFd mounted, open_in_root(rootfd, m.destination, Create::None));
  std::string p = fd_path(mounted.get());
  unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (extra) BERTH_TRY(remount_bind(p, extra));
  if (o.propagation && mount(nullptr, p.c_str(), nullptr, o.propagation, nullptr) < 0)
    return sys_fail("set propagation");
  return set_recursive_attrs(p, o);
}

Status mount_fs(int rootfd, const std::string& source, const std::string& dest,
                const std::string& type, unsigned long flags, const std::string& data) {
  BERTH_ASSIGN(UniqueFd target, open_in_root(rootfd, dest, Create::Dir));
  if (mount(source.c_str(), fd_path(target.get()).c_str(), type.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) < 0)
    return sys_fail("mount {} ({})", source, type);
  return ok();
}

// Binds `source` (a host path) at `name` in `dir` with the flags already set: open_tree,
// mount_setattr, move_mount. false when that API is not there or not allowed (before 5.12, or
// a seccomp filter around berth): the caller binds the old way.
Result<bool> bind_with_flags(const std::string& source, int dir, const std::string& name,
                             unsigned long flags) {
  UniqueFd tree(static_cast<int>(
      syscall(SYS_open_tree, AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) return false;
  mount_attr attr{};
  if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return false;
  if (syscall(SYS_move_mount, tree.get(), "", dir, name.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return sys_fail("attach {}", source);
  return true;
}

// A "cgroup" mount on a v1/hybrid host: a tmpfs with one subdir per hierarchy, as runc does.
Status mount_cgroup_v1(const RootfsContext& ctx, int rootfd, const oci::Mount& m,
                       const MountOptions& o) {
  unsigned long base = o.flags & ~MS_RDONLY;
  BERTH_TRY(mount_fs(rootfd, "tmpfs", m.destination, "tmpfs",
                     base | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"));
  // The tmpfs is ours and new: nothing in it can be a symlink planted by the image, so its
  // subdirs need no safe walk from the root (~10 hierarchies, ~0.5 ms of the start).
  BERTH_ASSIGN(UniqueFd tmpfs, open_in_root(rootfd, m.destination, Create::None));
  for (const auto& h : ctx.hierarchies) {
    std::string name = h.mountpoint.substr(h.mountpoint.rfind('/') + 1);
    std::string dest = path_join(m.destination, name);
    if (ctx.new_cgroupns) {
      const char* fstype = h.v2 ? "cgroup2" : "cgroup";
      BERTH_TRY(mount_fs(rootfd, fstype, dest, fstype, o.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         h.options));
    } else {
      std::string source = path_join(h.mountpoint, h.path);
      unsigned long flags = o.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (mkdirat(tmpfs.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
        return sys_fail("mkdir {}", dest);
      BERTH_ASSIGN(bool bound, bind_with_flags(source, tmpfs.get(), name, flags));
      if (!bound) {
        oci::Mount b{dest, "bind", source, {}};
        MountOptions bo;
        bo.flags = MS_BIND | flags;
        BERTH_TRY(mount_bind(rootfd, b, bo));
      }
    }
    // Co-mounted controllers ("cpu,cpuacct") are also reachable by each name.
    if (name.find(',') != std::string::npos) {
      size_t i = 0;
      while (i < name.size()) {
        size_t j = name.find(',', i);
        if (j == std::string::npos) j = name.size();
        std::string alias = name.substr(i, j - i);
        symlinkat(name.c_str(), tmpfs.get(), alias.c_str());
        i = j + 1;
      }
    }
  }
  if (o.flags & MS_RDONLY) {
    BERTH_ASSIGN(UniqueFd t, open_in_root(rootfd, m.destination, Create::None));
    BERTH_TRY(remount_bind(fd_path(t.get()), MS_RDONLY));
  }
  return ok();
}

Status mount_cgroup2(const RootfsContext& ctx, int rootfd, const oci::Mount& m,
                     const MountOptions& o) {
  if (ctx.new_cgroupns)
    return mount_fs(rootfd, "cgroup2", m.destination, "cgroup2", o.flags, o.data);
  for (const auto& h : ctx.hierarchies) {
    if (!h.v2) continue;
    oci::Mount b{m.destination, "bind", path_join(h.mountpoint, h.path), {}};
    MountOptions bo;
    bo.flags = MS_BIND | o.flags;
    return mount_bind(rootfd, b, bo);
  }
  return fail(ErrorKind::Unavailable, "no cgroup2 hierarchy on this host");
}

Status mount_one(const RootfsContext& ctx, int rootfd, const oci::Mount& m) {
  MountOptions o = parse_mount_options(m.options);
  if (m.type == "bind" || o.bind()) return mount_bind(rootfd, m, o);
  if (m.type == "cgroup") {
    if (ctx.cgroup_mode == cgroup::Mode::V2) return mount_cgroup2(ctx, rootfd, m, o);
    return mount_cgroup_v1(ctx, rootfd, m, o);
  }
  if (m.type == "cgroup2") return mount_cgroup2(ctx, rootfd, m, o);
  std::string source = m.source.empty() ? m.type : m.source;
  auto st = mount_fs(rootfd, source, m.destination, m.type, o.flags, o.data);
  if (!st && m.type == "sysfs" && st.error().sys_errno() == EPERM) {
    // Without its own network namespace a container may not mount sysfs: bind the host's.
    oci::Mount b{m.destination, "bind", "/sys", {}};
    MountOptions bo;
    bo.flags = MS_BIND | MS_REC | (o.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
    return mount_bind(rootfd, b, bo);
  }
  BERTH_TRY(st);
  if (o.propagation) {
    BERTH_ASSIGN(UniqueFd t, open_in_root(rootfd, m.destination, Create::None));
    if (mount(nullptr, fd_path(t.get()).c_str(), nullptr, o.propagation, nullptr) < 0)
      return sys_fail("set propagation");
  }
  return ok();
}

// The mount point (from mountinfo) whose subtree holds `path`, and whether it is shared.
Status make_parent_mount_private(const std::string& path) {
  BERTH_ASSIGN(std::string info, read_file("/proc/self/mountinfo"));
  std::string best;
  bool shared = false;
  size_t pos = 0;
  while (pos < info.size()) {
    size_t eol = info.find('\n', pos);
    if (eol == std::string::npos) eol = info.size();
    std::string_view line(info.data() + pos, eol - pos);
    pos = eol + 1;
    // fields: id parent major:minor root mountpoint options [optional...] - fstype ...
    size_t f = 0;
    std::string_view mp, rest;
    for (int i = 0; i < 5 && f != std::string_view::npos; ++i) {
      size_t next = line.find(' ', f);
      if (i == 4) {
        mp = line.substr(f, next - f);
        rest = next == std::string_view::npos ? std::string_view() : line.substr(next);
      }
      f = next == std::string_view::npos ? next : next + 1;
    }
    std::string mps(mp);
    bool prefix = mps == "/" || path == mps || path.rfind(mps + "/", 0) == 0;
    if (prefix && mps.size() >= best.size()) {
      best = mps;
      shared = rest.substr(0, rest.find(" - ")).find("shared:") != std::string_view::npos;
    }
  }
  if (shared && mount(nullptr, best.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    return sys_fail("make {} private", best);
  return ok();
}

bool has_bind_dev(const oci::Spec& spec) {
  for (const auto& m : spec.mounts)
    if (m.destination == "/dev" && (m.type == "bind" || parse_mount_options(m.options).bind()))
      return true;
  return false;
}

}  // namespace

Status prepare_rootfs(const RootfsContext& ctx) {
  const oci::Spec& spec = *ctx.spec;
  unsigned long prop = MS_SLAVE | MS_REC;
  if (spec.linux && !spec.linux->rootfs_propagation.empty())
    prop = propagation_flag(spec.linux->rootfs_propagation);
  if (mount(nullptr, "/", nullptr, prop, nullptr) < 0)
    return sys_fail("linux.rootfsPropagation: set propagation of /");
  // With shared propagation, the rootfs bind and everything mounted in it would show up on the
  // host: make the mount holding the rootfs private first, as runc does.
  BERTH_TRY(make_parent_mount_private(ctx.rootfs));
  if (mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return sys_fail("root.path: bind {}", ctx.rootfs);

  UniqueFd rootfd(open(ctx.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return sys_fail("root.path: open {}", ctx.rootfs);
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    if (auto st = mount_one(ctx, rootfd.get(), m); !st)
      return std::unexpected(
          std::move(st.error()).context("mounts[{}] ({}): {}", i, m.destination, m.type));
  }
  if (!has_bind_dev(spec)) {
    BERTH_TRY(create_devices(rootfd.get(), spec, ctx.new_userns));
    BERTH_TRY(create_dev_symlinks(rootfd.get()));
  }
  return ok();
}

Status enter_rootfs(const RootfsContext& ctx) {
  if (ctx.no_pivot) {
    if (chdir(ctx.rootfs.c_str()) < 0) return sys_fail("chdir {}", ctx.rootfs);
    if (mount(ctx.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
      return sys_fail("move {} to /", ctx.rootfs);
    if (chroot(".") < 0) return sys_fail("chroot");
    if (chdir("/") < 0) return sys_fail("chdir /");
    return ok();
  }
  UniqueFd oldroot(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  UniqueFd newroot(open(ctx.rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!oldroot || !newroot) return sys_fail("open roots for pivot_root");
  if (fchdir(newroot.get()) < 0) return sys_fail("chdir {}", ctx.rootfs);
  // pivot_root(".", ".") stacks the old root under the new one; detach it from there.
  if (syscall(SYS_pivot_root, ".", ".") < 0) return sys_fail("pivot_root {}", ctx.rootfs);
  if (fchdir(oldroot.get()) < 0) return sys_fail("chdir old root");
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return sys_fail("make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) return sys_fail("detach old root");
  if (chdir("/") < 0) return sys_fail("chdir /");
  return ok();
}

Status finalize_rootfs(const RootfsContext& ctx) {
  const oci::Spec& spec = *ctx.spec;
  if (spec.linux) {
    // Sysctls first, as runc does: readonlyPaths usually covers /proc/sys.
    for (const auto& [key, value] : spec.linux->sysctl) {
      std::string path = "/proc/sys/" + key;
      for (size_t i = 10; i < path.size(); ++i)
        if (path[i] == '.') path[i] = '/';
      if (auto st = write_file(path, value); !st)
        return std::unexpected(std::move(st.error()).context("linux.sysctl.{}", key));
    }
    for (const auto& p : spec.linux->masked_paths) {
      struct stat st;
      if (stat(p.c_str(), &st) < 0) continue;  // nothing to hide
      int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, nullptr)
                                  : mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
      if (r < 0) return sys_fail("linux.maskedPaths: {}", p);
    }
    for (const auto& p : spec.linux->readonly_paths) {
      if (access(p.c_str(), F_OK) < 0) continue;
      if (mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        return sys_fail("linux.readonlyPaths: bind {}", p);
      if (auto st = remount_bind(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC); !st)
        return std::unexpected(std::move(st.error()).context("linux.readonlyPaths"));
    }
  }
  if (spec.root.readonly) {
    if (auto st = remount_bind("/", MS_RDONLY); !st)
      return std::unexpected(std::move(st.error()).context("root.readonly"));
  }
  return ok();
}

}  // namespace berth::runtime
