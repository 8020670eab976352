#include "runtime/state.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"
#include "base/time.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime {

const char* status_name(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::Creating:
      return "creating";
    case ContainerStatus::Created:
      return "created";
    case ContainerStatus::Running:
      return "running";
    case ContainerStatus::Paused:
      return "paused";
    case ContainerStatus::Stopped:
      return "stopped";
  }
  return "unknown";
}

berth::Status validate_id(const std::string& id) {
  if (id.empty() || id == "." || id == "..")
    return fail(ErrorKind::InvalidArgument, "invalid id format: {:?}", id);
  for (char c : id) {
    bool okc =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.';
    if (!okc) return fail(ErrorKind::InvalidArgument, "invalid id format: {:?}", id);
  }
  return ok();
}

unsigned long long process_start_time(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  // The comm field may contain spaces and parens: fields start after the last ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  auto fields = split(std::string_view(*stat).substr(close + 2), ' ');
  // fields[0] is field 3 (state); starttime is field 22.
  if (fields.size() < 20) return 0;
  return parse_uint(fields[19]).value_or(0);
}

bool process_alive(pid_t pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return false;
  char state = (*stat)[close + 2];
  if (state == 'Z' || state == 'X') return false;
  return start_time == 0 || process_start_time(pid) == start_time;
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  BERTH_TRY(validate_id(id));
  auto text = read_file(dir(id) + "/state.json");
  if (!text) {
    if (text.error().sys_errno() == ENOENT)
      return fail(ErrorKind::NotFound, "container does not exist");
    return std::unexpected(text.error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::Internal, "{}/state.json: corrupt", dir(id));
  ContainerState st;
  st.id = j.value("id", id);
  st.pid = j.value("pid", 0);
  st.pid_start = j.value("pid_start", 0ULL);
  st.bundle = j.value("bundle", "");
  st.rootfs = j.value("rootfs", "");
  st.created = j.value("created", "");
  st.owner = j.value("owner", "");
  st.cgroup_path = j.value("cgroup_path", "");
  if (j.contains("cgroup_paths") && j["cgroup_paths"].is_object())
    st.cgroup_paths = j["cgroup_paths"].get<std::map<std::string, std::string>>();
  if (j.contains("annotations") && j["annotations"].is_object())
    st.annotations = j["annotations"].get<std::map<std::string, std::string>>();
  if (auto it = j.find("poststart_hooks"); it != j.end() && it->is_boolean())
    st.poststart_hooks = it->get<bool>();
  return st;
}

berth::Status StateStore::save(const ContainerState& st) const {
  nlohmann::json j = {{"id", st.id},
                      {"pid", st.pid},
                      {"pid_start", st.pid_start},
                      {"bundle", st.bundle},
                      {"rootfs", st.rootfs},
                      {"created", st.created},
                      {"owner", st.owner},
                      {"cgroup_path", st.cgroup_path},
                      {"cgroup_paths", st.cgroup_paths},
                      {"annotations", st.annotations}};
  if (st.poststart_hooks) j["poststart_hooks"] = *st.poststart_hooks;
  return write_file_atomic(dir(st.id) + "/state.json", j.dump(), 0644, false);
}

Result<std::vector<std::string>> StateStore::list() const {
  std::vector<std::string> ids;
  DIR* d = opendir(root_.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    return sys_fail("open {}", root_);
  }
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (path_exists(dir(name) + "/state.json")) ids.push_back(name);
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<ContainerStatus> StateStore::status(const ContainerState& st) const {
  if (!process_alive(st.pid, st.pid_start)) return ContainerStatus::Stopped;
  if (path_exists(fifo(st.id))) return ContainerStatus::Created;
  if (!st.cgroup_path.empty()) {
    if (auto mgr = open_cgroup(st)) {
      if (auto frozen = (*mgr)->frozen(); frozen && *frozen) return ContainerStatus::Paused;
    }
  }
  return ContainerStatus::Running;
}

Result<std::unique_ptr<cgroup::Manager>> open_cgroup(const ContainerState& st) {
  if (!st.cgroup_paths.empty()) return cgroup::Manager::open_saved(st.cgroup_paths);
  return cgroup::Manager::open(st.cgroup_path);
}

std::map<std::string, std::string> cgroup_paths_of(const cgroup::Manager& m) {
  std::map<std::string, std::string> out;
  for (const auto& h : m.hierarchies()) out[h.mountpoint] = h.path;
  return out;
}

std::string state_json(const ContainerState& st, ContainerStatus status) {
  nlohmann::json j = {{"ociVersion", "1.2.0"},
                      {"id", st.id},
                      {"pid", status == ContainerStatus::Stopped ? 0 : st.pid},
                      {"status", status_name(status)},
                      {"bundle", st.bundle},
                      {"rootfs", st.rootfs},
                      {"created", st.created},
                      {"owner", st.owner}};
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  return j.dump(2);
}

}  // namespace berth::runtime
