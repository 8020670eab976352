#include "storage/overlay2/support.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/unique_fd.h"
#include "storage/mounts.h"
#include "storage/overlay2/mount.h"

namespace berth::storage::overlay2 {

namespace {

Status kernel_has_overlay() {
  BERTH_ASSIGN(std::string fs, read_file("/proc/filesystems"));
  if (fs.find("\toverlay\n") == std::string::npos)
    return fail(ErrorKind::Unavailable,
                "overlay2: the kernel has no overlay filesystem (is the overlay module loaded?)");
  return ok();
}

// overlayfs needs readdir to report file types; xfs made with ftype=0 does not.
Status check_dtype(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return sys_fail("open {}", dir);
  bool known = true;
  while (dirent* e = readdir(d)) {
    if (e->d_type == DT_UNKNOWN) known = false;
  }
  closedir(d);
  if (!known)
    return fail(ErrorKind::Unavailable,
                "overlay2: the filesystem of {} does not report d_type, which overlayfs needs",
                dir);
  return ok();
}

Result<MountMode> try_mount(const std::string& scratch) {
  for (const char* sub : {"lower1", "lower2", "upper", "work", "merged"}) {
    std::string p = scratch + "/" + sub;
    if (mkdir(p.c_str(), 0700) < 0) return sys_fail("mkdir {}", p);
  }
  BERTH_TRY(write_file_atomic(scratch + "/lower1/f", "", 0600, false));
  BERTH_TRY(check_dtype(scratch + "/lower1"));
  OverlaySpec spec{.base = scratch,
                   .lowers = {"lower2", "lower1"},
                   .upper = "upper",
                   .work = "work",
                   .options = default_options(),
                   .target = scratch + "/merged"};
  MountMode mode = MountMode::Fsconfig;
  auto st = mount_overlay_fsconfig(spec);
  if (!st && st.error().sys_errno() == EINVAL &&
      st.error().message().find("lowerdir+") != std::string::npos) {
    mode = MountMode::Data;  // a kernel before 6.8
    st = mount_overlay_data(spec);
  }
  if (!st) return std::unexpected(std::move(st).error());
  bool visible = path_exists(scratch + "/merged/f");
  BERTH_TRY(unmount(scratch + "/merged"));
  if (!visible) return fail(ErrorKind::Unavailable, "overlay2: test mount shows no lower files");
  return mode;
}

}  // namespace

bool is_scratch_dir(std::string_view name) {
  return name.starts_with(kScratchPrefix);
}

Result<MountMode> check_support(const std::string& root) {
  BERTH_TRY(kernel_has_overlay());
  struct statfs sf;
  if (statfs(root.c_str(), &sf) < 0) return sys_fail("statfs {}", root);
  if (sf.f_type == static_cast<decltype(sf.f_type)>(OVERLAYFS_SUPER_MAGIC))
    return fail(ErrorKind::Unavailable,
                "overlay2: {} is on overlayfs, which cannot hold overlay upper dirs", root);
  // Scratch dirs of checks that were killed midway (their pid is gone) are removed first.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with(kScratchPrefix)) continue;
    auto pid = name.substr(kScratchPrefix.size(),
                           name.find('-', kScratchPrefix.size()) - kScratchPrefix.size());
    if (kill(static_cast<pid_t>(std::atoi(pid.c_str())), 0) == 0 || errno != ESRCH) continue;
    (void)unmount(e.path().string() + "/merged");
    (void)remove_all(e.path().string());
  }
  std::string scratch =
      root + "/" + std::string(kScratchPrefix) + std::to_string(getpid()) + "-XXXXXX";
  if (!mkdtemp(scratch.data())) return sys_fail("mkdtemp in {}", root);
  auto mode = try_mount(scratch);
  (void)unmount(scratch + "/merged");
  (void)remove_all(scratch);
  if (!mode)
    return std::unexpected(
        std::move(mode).error().context("overlay2: {} does not support overlay mounts", root));
  return mode;
}

}  // namespace berth::storage::overlay2
