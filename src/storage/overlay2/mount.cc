#include "storage/overlay2/mount.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <thread>

#include "base/file.h"
#include "base/unique_fd.h"

namespace berth::storage::overlay2 {

namespace {

std::string abs_path(const OverlaySpec& spec, const std::string& p) {
  return p.starts_with("/") ? p : spec.base + "/" + p;
}

// The kernel explains a failed fsconfig in the context's message log ("e overlay: ...").
std::string fs_messages(int fs) {
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = read(fs, buf, sizeof buf);
    if (n <= 0) break;
    if (!out.empty()) out += "; ";
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string data_string(const OverlaySpec& spec, bool absolute) {
  std::string data;
  for (const auto& o : spec.options) data += o + ",";
  data += "lowerdir=";
  for (size_t i = 0; i < spec.lowers.size(); ++i) {
    if (i) data += ':';
    data += absolute ? abs_path(spec, spec.lowers[i]) : spec.lowers[i];
  }
  if (!spec.upper.empty()) {
    data += ",upperdir=" + (absolute ? abs_path(spec, spec.upper) : spec.upper);
    data += ",workdir=" + (absolute ? abs_path(spec, spec.work) : spec.work);
  }
  return data;
}

}  // namespace

Status mount_overlay_fsconfig(const OverlaySpec& spec) {
  UniqueFd fs(fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return sys_fail("fsopen overlay");
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) == 0) return ok();
    int e = errno;
    std::string why = fs_messages(fs.get());
    errno = e;
    return sys_fail("overlay option {}={}{}{}", key, value, why.empty() ? "" : ": ", why);
  };
  BERTH_TRY(set("source", "overlay"));
  for (const auto& o : spec.options) {
    auto eq = o.find('=');
    if (eq != std::string::npos) {
      BERTH_TRY(set(o.substr(0, eq), o.substr(eq + 1)));
    } else if (fsconfig(fs.get(), FSCONFIG_SET_FLAG, o.c_str(), nullptr, 0) < 0) {
      int e = errno;
      std::string why = fs_messages(fs.get());
      errno = e;
      return sys_fail("overlay option {}{}{}", o, why.empty() ? "" : ": ", why);
    }
  }
  for (const auto& l : spec.lowers) BERTH_TRY(set("lowerdir+", abs_path(spec, l)));
  if (!spec.upper.empty()) {
    BERTH_TRY(set("upperdir", abs_path(spec, spec.upper)));
    BERTH_TRY(set("workdir", abs_path(spec, spec.work)));
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    int e = errno;
    std::string why = fs_messages(fs.get());
    errno = e;
    return sys_fail("create overlay for {}{}{}", spec.target, why.empty() ? "" : ": ", why);
  }
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) return sys_fail("fsmount overlay for {}", spec.target);
  if (move_mount(mnt.get(), "", AT_FDCWD, spec.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return sys_fail("attach overlay at {}", spec.target);
  return ok();
}

Status mount_overlay_data(const OverlaySpec& spec) {
  size_t limit = static_cast<size_t>(sysconf(_SC_PAGESIZE)) - 1;
  std::string data = data_string(spec, true);
  if (data.size() <= limit) {
    if (mount("overlay", spec.target.c_str(), "overlay", 0, data.c_str()) < 0)
      return sys_fail("mount overlay at {}", spec.target);
    return ok();
  }
  data = data_string(spec, false);
  if (data.size() > limit)
    return fail(ErrorKind::InvalidArgument,
                "overlay at {}: {} layers need {} bytes of mount options, more than the {} a "
                "kernel without lowerdir+ accepts",
                spec.target, spec.lowers.size(), data.size(), limit);
  // Relative paths resolve against the caller's cwd: give a thread its own (CLONE_FS) so the
  // process's cwd never moves, where Docker forks a child to chdir instead.
  Status result = ok();
  std::thread t([&] {
    if (unshare(CLONE_FS) < 0) {
      result = sys_fail("unshare CLONE_FS");
    } else if (chdir(spec.base.c_str()) < 0) {
      result = sys_fail("chdir {}", spec.base);
    } else if (mount("overlay", spec.target.c_str(), "overlay", 0, data.c_str()) < 0) {
      result = sys_fail("mount overlay at {}", spec.target);
    }
  });
  t.join();
  return result;
}

std::vector<std::string> default_options() {
  std::vector<std::string> out;
  for (const char* opt : {"index", "redirect_dir", "metacopy"}) {
    // The module lists the features it has as parameters.
    if (path_exists(std::string("/sys/module/overlay/parameters/") + opt))
      out.push_back(std::string(opt) + "=off");
  }
  return out;
}

}  // namespace berth::storage::overlay2
