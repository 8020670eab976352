// Whiteout entries (part of Extractor): ".wh.<name>" deletes name from the layers below,
// ".wh..wh..opq" hides everything below in its directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "archive/extractor.h"
#include "archive/safe_path.h"

namespace berth::archive {

namespace {
constexpr std::string_view kOpaque = ".wh..wh..opq";
}  // namespace

Status Extractor::whiteout(const std::string& parent, const std::string& base, const EntryMeta& m) {
  bool overlay = opts_.whiteouts == Whiteouts::Overlay;
  if (base == kOpaque) {
    if (overlay) {
      BERTH_ASSIGN(int pfd, parent_fd(parent, true));
      // setxattr (not l...) on the bare /proc magic link reaches the directory itself.
      if (setxattr(proc_path(pfd).c_str(), "trusted.overlay.opaque", "y", 1, 0) < 0)
        return sys_fail("mark \"{}\" opaque", parent);
      return ok();
    }
    auto pfd = parent_fd(parent, false);
    if (!pfd) {
      if (pfd.error().kind() == ErrorKind::NotFound) return ok();  // nothing below to hide
      return std::unexpected(std::move(pfd).error());
    }
    return clear_lower(*pfd, parent);
  }

  std::string name = base.substr(4);
  if (name.empty() || name == "." || name == "..")
    return fail(ErrorKind::InvalidArgument, "invalid whiteout");
  std::string target = join_rel(parent, name);
  if (overlay) {
    // overlayfs' form: a 0:0 character device, replacing whatever this layer put there.
    BERTH_ASSIGN(int pfd, parent_fd(parent, true));
    BERTH_TRY(remove_tree_at(pfd, name));
    invalidate(target);
    planted_.erase(target);
    if (mknodat(pfd, name.c_str(), S_IFCHR, makedev(0, 0)) < 0) return sys_fail("mknod whiteout");
    if (fchownat(pfd, name.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0)
      return sys_fail("chown whiteout");
    return ok();
  }
  auto pfd = parent_fd(parent, false);
  if (!pfd) {
    if (pfd.error().kind() == ErrorKind::NotFound) return ok();
    return std::unexpected(std::move(pfd).error());
  }
  BERTH_TRY(remove_tree_at(*pfd, name));
  invalidate(target);
  planted_.erase(target);
  unpacked_.erase(target);
  return ok();
}

Status Extractor::clear_lower(int dfd, const std::string& rel) {
  BERTH_ASSIGN(auto names, list_dir(dfd));
  for (const auto& n : names) {
    std::string child = join_rel(rel, n);
    if (!unpacked_.contains(child)) {
      BERTH_TRY(remove_tree_at(dfd, n));
      invalidate(child);
      planted_.erase(child);
      continue;
    }
    // Kept, but a directory of this layer may still hold lower entries (it merged).
    struct stat st;
    if (fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dfd, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return sys_fail("open \"{}\"", child);
      BERTH_TRY(clear_lower(sub.get(), child));
    }
  }
  return ok();
}

}  // namespace berth::archive
