#include "runtime/mount_options.h"

#include <linux/mount.h>
#include <sys/mount.h>

#include <cstring>

namespace berth::runtime {

namespace {
struct FlagOpt {
  const char* name;
  bool clear;
  unsigned long flag;
};

// The table runc uses (libcontainer/specconv), so configs written for runc mean the same here.
const FlagOpt kFlags[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, 256 /* MS_NOSYMFOLLOW */},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, 256},
};

struct AttrOpt {
  const char* name;
  bool clear;
  unsigned long long attr;
};

const AttrOpt kRecursive[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};
}  // namespace

bool MountOptions::bind() const {
  return flags & MS_BIND;
}
bool MountOptions::recursive_bind() const {
  return (flags & MS_BIND) && (flags & MS_REC);
}

unsigned long propagation_flag(const std::string& name) {
  if (name == "private") return MS_PRIVATE;
  if (name == "rprivate") return MS_PRIVATE | MS_REC;
  if (name == "shared") return MS_SHARED;
  if (name == "rshared") return MS_SHARED | MS_REC;
  if (name == "slave") return MS_SLAVE;
  if (name == "rslave") return MS_SLAVE | MS_REC;
  if (name == "unbindable") return MS_UNBINDABLE;
  if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
  return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions m;
  for (const auto& o : options) {
    bool matched = false;
    for (const auto& f : kFlags) {
      if (o == f.name) {
        if (f.clear)
          m.flags &= ~f.flag;
        else
          m.flags |= f.flag;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (unsigned long p = propagation_flag(o)) {
      m.propagation = p;
      continue;
    }
    for (const auto& a : kRecursive) {
      if (o == a.name) {
        if (a.clear)
          m.attr_clr |= a.attr;
        else
          m.attr_set |= a.attr;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (o == "tmpcopyup") continue;  // runc extension; a no-op here
    if (!m.data.empty()) m.data += ',';
    m.data += o;
  }
  return m;
}

}  // namespace berth::runtime
