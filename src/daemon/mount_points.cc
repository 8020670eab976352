#include "daemon/mount_points.h"

#include <set>

#include "base/file.h"
#include "base/strings.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

bool is_propagation(const std::string& o) {
  return o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" ||
         o == "rslave";
}

Status absolute_target(const std::string& spec, const std::string& type, const std::string& dst) {
  if (dst.empty() || dst.front() != '/')
    return fail(ErrorKind::InvalidArgument,
                "invalid volume specification: '{}': invalid mount config for type \"{}\": "
                "invalid mount path: '{}' mount path must be absolute",
                spec, type, dst);
  if (clean_path(dst) == "/")
    return fail(ErrorKind::InvalidArgument,
                "invalid volume specification: '{}': invalid mount config for type \"{}\": "
                "invalid specification: destination can't be '/'",
                spec, type);
  return ok();
}

json volume_point(const Volume& v, const std::string& dst, bool rw, const std::string& mode,
                  bool copy) {
  return {{"Type", "volume"},
          {"Name", v.name},
          {"Source", v.mountpoint},
          {"Destination", dst},
          {"Driver", v.driver},
          {"Mode", mode},
          {"RW", rw},
          {"Propagation", ""},
          {"CopyData", copy},
          {"Anonymous", v.anonymous()}};
}

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> m;
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_string()) m[k] = v;
  return m;
}

}  // namespace

Result<BindSpec> parse_bind(const std::string& spec) {
  auto parts = split(spec, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return fail(ErrorKind::InvalidArgument, "invalid volume specification: '{}'", spec);
  BindSpec b;
  b.source = parts[0];
  b.destination = parts[1];
  b.volume = parts[0].front() != '/';
  BERTH_TRY(absolute_target(spec, b.volume ? "volume" : "bind", b.destination));
  if (b.volume) BERTH_TRY(validate_volume_name(b.source));
  if (parts.size() == 3) {
    b.mode = parts[2];
    for (auto& o : split(parts[2], ',')) {
      if (o == "ro")
        b.read_only = true;
      else if (o == "rw" || o == "z" || o == "Z")
        continue;
      else if (o == "nocopy" && b.volume)
        b.nocopy = true;
      else if (is_propagation(o) && !b.volume)
        b.propagation = o;
      else
        return fail(ErrorKind::InvalidArgument, "invalid mode: {}", o);
    }
  }
  return b;
}

Status validate_mounts(const json& hc) {
  std::set<std::string> targets;
  auto once = [&](const std::string& dst) -> Status {
    if (!targets.insert(clean_path(dst)).second)
      return fail(ErrorKind::InvalidArgument, "Duplicate mount point: {}", dst);
    return ok();
  };
  for (auto& b : hc.value("Binds", json::array())) {
    if (!b.is_string()) return fail(ErrorKind::InvalidArgument, "invalid bind: not a string");
    BERTH_ASSIGN(BindSpec s, parse_bind(b.get<std::string>()));
    BERTH_TRY(once(s.destination));
  }
  for (auto& m : hc.value("Mounts", json::array())) {
    if (!m.is_object()) return fail(ErrorKind::InvalidArgument, "invalid mount: not an object");
    std::string type = m.value("Type", "");
    std::string target = m.value("Target", "");
    std::string source = m.value("Source", "");
    if (type != "bind" && type != "tmpfs" && type != "volume")
      return fail(ErrorKind::InvalidArgument, "invalid mount config: mount type unknown: {:?}",
                  type);
    if (target.empty() || target.front() != '/')
      return fail(ErrorKind::InvalidArgument,
                  "invalid mount config for type {:?}: invalid mount path: {:?} mount path must "
                  "be absolute",
                  type, target);
    if (type == "bind" && !path_exists(source))
      return fail(ErrorKind::InvalidArgument,
                  "invalid mount config for type \"bind\": bind source path does not exist: {}",
                  source);
    if (type == "volume" && !source.empty()) BERTH_TRY(validate_volume_name(source));
    if (type != "volume" && m.contains("VolumeOptions"))
      return fail(ErrorKind::InvalidArgument,
                  "invalid mount config for type {:?}: field VolumeOptions must not be specified",
                  type);
    BERTH_TRY(once(target));
  }
  for (auto& v : hc.value("VolumesFrom", json::array())) {
    if (!v.is_string()) return fail(ErrorKind::InvalidArgument, "invalid VolumesFrom entry");
    auto parts = split(v.get<std::string>(), ':');
    if (parts.size() > 2 || parts[0].empty() ||
        (parts.size() == 2 && parts[1] != "ro" && parts[1] != "rw"))
      return fail(ErrorKind::InvalidArgument, "invalid mode for volumes-from: {}",
                  v.get<std::string>());
  }
  return ok();
}

Result<json> resolve_mount_points(
    const json& config, const json& hc, VolumeStore& volumes,
    const std::function<Result<json>(const std::string& container)>& mounts_of) {
  BERTH_TRY(validate_mounts(hc));
  std::map<std::string, json> points;  // by destination; later sources override earlier
  for (auto& v : hc.value("VolumesFrom", json::array())) {
    auto parts = split(v.get<std::string>(), ':');
    BERTH_ASSIGN(json theirs, mounts_of(parts[0]));
    for (json p : theirs) {
      if (parts.size() == 2) p["RW"] = parts[1] == "rw";
      p["CopyData"] = false;
      p["Anonymous"] = false;  // shared now: removing this container must not remove it
      points[p["Destination"]] = p;
    }
  }
  for (auto& b : hc.value("Binds", json::array())) {
    BERTH_ASSIGN(BindSpec s, parse_bind(b.get<std::string>()));
    std::string dst = clean_path(s.destination);
    if (s.volume) {
      BERTH_ASSIGN(Volume vol, volumes.create(s.source, "local", {}, {}));
      points[dst] = volume_point(vol, dst, !s.read_only, s.mode.empty() ? "z" : s.mode, !s.nocopy);
    } else {
      points[dst] = {{"Type", "bind"},
                     {"Source", clean_path(s.source)},
                     {"Destination", dst},
                     {"Mode", s.mode},
                     {"RW", !s.read_only},
                     {"Propagation", s.propagation.empty() ? "rprivate" : s.propagation}};
    }
  }
  std::set<std::string> tmpfs;
  json tmpfs_opts = hc.value("Tmpfs", json::object());  // named: items() must not dangle
  for (auto& [dst, o] : tmpfs_opts.items()) tmpfs.insert(clean_path(dst));
  for (auto& m : hc.value("Mounts", json::array())) {
    std::string type = m.value("Type", "");
    std::string dst = clean_path(m.value("Target", ""));
    bool rw = !m.value("ReadOnly", false);
    if (type == "tmpfs") {
      tmpfs.insert(dst);
      points.erase(dst);
    } else if (type == "bind") {
      json bo = m.value("BindOptions", json::object());
      points[dst] = {{"Type", "bind"},     {"Source", clean_path(m.value("Source", ""))},
                     {"Destination", dst}, {"Mode", ""},
                     {"RW", rw},           {"Propagation", bo.value("Propagation", "rprivate")}};
    } else {
      json vo = m.value("VolumeOptions", json::object());
      json dc = vo.value("DriverConfig", json::object());
      BERTH_ASSIGN(Volume vol, volumes.create(m.value("Source", ""), dc.value("Name", "local"),
                                              string_map(dc.value("Options", json::object())),
                                              string_map(vo.value("Labels", json::object()))));
      points[dst] = volume_point(vol, dst, rw, "", !vo.value("NoCopy", false));
    }
  }
  // The Config's Volumes (the image's VOLUMEs merged in): anonymous, where nothing else is.
  json cv = config.value("Volumes", json::object());
  if (cv.is_object()) {
    for (auto& [d, unused] : cv.items()) {
      std::string dst = clean_path(d);
      if (dst.empty() || dst.front() != '/' || points.count(dst) || tmpfs.count(dst)) continue;
      BERTH_ASSIGN(Volume vol, volumes.create("", "local", {}, {}));
      points[dst] = volume_point(vol, dst, true, "", true);
    }
  }
  json out = json::array();
  for (auto& [d, p] : points) out.push_back(p);
  return out;
}

json mounts_for_inspect(const json& mount_points) {
  json out = json::array();
  for (auto& p : mount_points) {
    json m = {{"Type", p.value("Type", "")},
              {"Source", p.value("Source", "")},
              {"Destination", p.value("Destination", "")},
              {"Mode", p.value("Mode", "")},
              {"RW", p.value("RW", true)},
              {"Propagation", p.value("Propagation", "")}};
    if (m["Type"] == "volume") {
      m["Name"] = p.value("Name", "");
      m["Driver"] = p.value("Driver", "local");
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace berth::daemon
