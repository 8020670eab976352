// The daemon's side of volumes: which containers use them, removal, and what a start does.
#include <dirent.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/time.h"
#include "daemon/daemon.h"
#include "storage/copy_tree.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

bool empty_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

bool is_dir(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::vector<std::string> Daemon::volume_users(const std::string& name) {
  std::vector<std::string> ids;
  for (auto& c : list()) {
    std::lock_guard<std::mutex> l(c->mu);
    if (c->removed) continue;
    for (auto& p : c->mount_points)
      if (p.value("Type", "") == "volume" && p.value("Name", "") == name) {
        ids.push_back(c->id);
        break;
      }
  }
  return ids;
}

Status Daemon::remove_volume(const std::string& name, bool force) {
  if (auto users = volume_users(name); !users.empty())
    return fail(ErrorKind::Conflict, "remove {}: volume is in use - [{}]", name,
                fmt::join(users, ", "));
  if (auto st = volumes_->remove(name); !st) {
    if (force && st.error().kind() == ErrorKind::NotFound) return ok();
    return st;
  }
  emit_volume(name, "destroy");
  return ok();
}

void Daemon::emit_volume(const std::string& name, const std::string& action) {
  int64_t ns = now_ns();
  events_.publish({{"Type", "volume"},
                   {"Action", action},
                   {"Actor", {{"ID", name}, {"Attributes", {{"driver", "local"}}}}},
                   {"scope", "local"},
                   {"time", ns / 1000000000},
                   {"timeNano", ns}});
}

Status Daemon::acquire_volumes(json& mount_points, const std::string& rootfs) {
  std::vector<std::string> taken;
  auto undo = Defer([&] {
    for (auto& n : taken) volumes_->release(n);
  });
  for (auto& p : mount_points) {
    if (p.value("Type", "") != "volume") continue;
    std::string name = p.value("Name", "");
    BERTH_ASSIGN(std::string path, volumes_->acquire(name));
    taken.push_back(name);
    if (!p.value("CopyData", false)) continue;
    // Docker's copy-up: an empty volume takes the image's content at its mount point once.
    std::string src = rootfs + clean_path(p.value("Destination", ""));
    if (is_dir(src) && empty_dir(path)) BERTH_TRY(storage::copy_tree(src, path));
    p["CopyData"] = false;
  }
  undo.dismiss();
  return ok();
}

void Daemon::release_volumes(const json& mount_points) {
  for (auto& p : mount_points)
    if (p.value("Type", "") == "volume") volumes_->release(p.value("Name", ""));
}

}  // namespace berth::daemon
