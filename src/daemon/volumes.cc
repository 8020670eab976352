#include "daemon/volumes.h"

#include <dirent.h>
#include <sys/mount.h>

#include <regex>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/time.h"
#include "daemon/container.h"
#include "runtime/mount_options.h"
#include "storage/mounts.h"
#include "storage/usage.h"

namespace berth::daemon {

using nlohmann::json;

json Volume::to_api() const {
  return {{"Name", name},
          {"Driver", driver},
          {"Mountpoint", mountpoint},
          {"CreatedAt", created_at},
          {"Labels", labels},
          {"Options", options.empty() ? json(nullptr) : json(options)},
          {"Scope", "local"}};
}

Status validate_volume_name(const std::string& name) {
  static const std::regex ok_name("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!std::regex_match(name, ok_name))
    return fail(ErrorKind::InvalidArgument,
                "create {}: \"{}\" includes invalid characters for a local volume name, only "
                "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                "directory, use absolute path",
                name, name);
  return ok();
}

Result<std::unique_ptr<VolumeStore>> VolumeStore::open(const std::string& root) {
  auto s = std::unique_ptr<VolumeStore>(new VolumeStore());
  s->root_ = root;
  BERTH_TRY(mkdir_all(root, 0701));
  DIR* dp = opendir(root.c_str());
  if (!dp) return sys_fail("open {}", root);
  while (dirent* e = readdir(dp)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    auto text = read_file(s->dir(name) + "/opts.json");
    if (!text) continue;  // a create that did not finish
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) {
      log::warn("volume {}: unreadable record, skipped", name);
      continue;
    }
    Volume v;
    v.name = name;
    v.driver = j.value("Driver", "local");
    v.created_at = j.value("CreatedAt", "");
    v.labels = j.value("Labels", std::map<std::string, std::string>{});
    v.options = j.value("Options", std::map<std::string, std::string>{});
    v.mountpoint = s->dir(name) + "/_data";
    s->volumes_[name] = v;
  }
  closedir(dp);
  return s;
}

Status VolumeStore::check_options(const std::map<std::string, std::string>& options) {
  for (auto& [k, v] : options)
    if (k != "type" && k != "device" && k != "o")
      return fail(ErrorKind::InvalidArgument, "invalid option: {:?}", k);
  bool has_type = options.count("type"), has_device = options.count("device");
  if (has_type && !has_device)
    return fail(ErrorKind::InvalidArgument, "missing required option: \"device\"");
  if (has_device && !has_type)
    return fail(ErrorKind::InvalidArgument, "missing required option: \"type\"");
  if (!has_type && options.count("o"))
    return fail(ErrorKind::InvalidArgument, "missing required option: \"type\"");
  return ok();
}

Result<Volume> VolumeStore::create(const std::string& name_in, const std::string& driver,
                                   const std::map<std::string, std::string>& options,
                                   const std::map<std::string, std::string>& labels) {
  std::string name = name_in;
  auto lbl = labels;
  if (name.empty()) {
    name = random_id();
    lbl[kAnonymousLabel] = "";
  }
  BERTH_TRY(validate_volume_name(name));
  std::string drv = driver.empty() ? "local" : driver;
  if (drv != "local") return fail(ErrorKind::NotFound, "plugin {:?} not found", drv);
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = volumes_.find(name); it != volumes_.end()) return it->second;
  BERTH_TRY(check_options(options));
  Volume v;
  v.name = name;
  v.driver = drv;
  // whole seconds, as Docker's local driver shows it
  v.created_at = now_rfc3339().substr(0, 19) + "Z";
  v.labels = lbl;
  v.options = options;
  v.mountpoint = dir(name) + "/_data";
  BERTH_TRY(mkdir_all(v.mountpoint, 0755));
  json rec = {{"Driver", v.driver},
              {"CreatedAt", v.created_at},
              {"Labels", v.labels},
              {"Options", v.options}};
  // The record last: a volume directory without one is a create that did not finish.
  BERTH_TRY(write_file_atomic(dir(name) + "/opts.json", rec.dump(), 0600, true));
  volumes_[name] = v;
  return v;
}

Result<Volume> VolumeStore::get(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return fail(ErrorKind::NotFound, "get {}: no such volume", name);
  return it->second;
}

std::vector<Volume> VolumeStore::list() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Volume> out;
  for (auto& [n, v] : volumes_) out.push_back(v);
  return out;
}

Status VolumeStore::remove(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return fail(ErrorKind::NotFound, "get {}: no such volume", name);
  if (users_[name] > 0 || storage::is_mount_point(it->second.mountpoint))
    return fail(ErrorKind::Conflict, "remove {}: volume is in use", name);
  // The record first, so a crash half-way leaves no volume that looks whole.
  BERTH_TRY(remove_all(dir(name) + "/opts.json"));
  BERTH_TRY(remove_all(dir(name)));
  volumes_.erase(it);
  users_.erase(name);
  return ok();
}

Result<std::string> VolumeStore::acquire(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return fail(ErrorKind::NotFound, "get {}: no such volume", name);
  const Volume& v = it->second;
  // mounted already: another user, or a container that ran on across a daemon restart
  if (v.options.count("type") && !storage::is_mount_point(v.mountpoint)) {
    std::string type = v.options.at("type");
    auto mo =
        runtime::parse_mount_options(split(v.options.count("o") ? v.options.at("o") : "", ','));
    unsigned long flags = mo.flags;
    if (type == "none" || mo.bind()) flags |= MS_BIND;
    // a bind is made read-only by a remount; any other type takes MS_RDONLY at once
    unsigned long first = (flags & MS_BIND) ? flags & ~MS_RDONLY : flags;
    if (::mount(v.options.at("device").c_str(), v.mountpoint.c_str(), type.c_str(), first,
                mo.data.empty() ? nullptr : mo.data.c_str()) < 0)
      return sys_fail("error while mounting volume '{}'", v.mountpoint);
    if ((flags & MS_BIND) && (flags & MS_RDONLY))
      ::mount(nullptr, v.mountpoint.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr);
  }
  users_[name]++;
  return v.mountpoint;
}

void VolumeStore::release(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return;
  if (users_[name] > 0 && --users_[name] > 0) return;
  if (it->second.options.count("type")) {
    if (auto st = storage::unmount(it->second.mountpoint); !st)
      log::warn("volume {}: {}", name, st.error().message());
  }
}

int64_t VolumeStore::size(const std::string& name) {
  auto v = get(name);
  if (!v) return -1;
  auto n = storage::dir_usage(v->mountpoint);
  return n ? static_cast<int64_t>(*n) : -1;
}

}  // namespace berth::daemon
