#include "daemon/container.h"

#include <fmt/format.h>

#include "base/random.h"
#include "base/time.h"
#include "daemon/mount_points.h"

namespace berth::daemon {

std::string random_id() {
  return random_hex(64);
}

nlohmann::json Container::to_disk() const {
  return {{"ID", id},
          {"Name", name},
          {"Created", created},
          {"Image", image_id},
          {"ImageRef", image_ref},
          {"Path", path},
          {"Args", args},
          {"Config", config},
          {"HostConfig", host_config},
          {"MountPoints", mount_points},
          {"NetworkSettings", network_settings},
          {"State",
           {{"Status", state.status},
            {"Running", state.running},
            {"Paused", state.paused},
            {"Restarting", state.restarting},
            {"OOMKilled", state.oom_killed},
            {"Dead", state.dead},
            {"Pid", state.pid},
            {"ExitCode", state.exit_code},
            {"Error", state.error},
            {"StartedAt", state.started_at},
            {"FinishedAt", state.finished_at},
            {"ShimPid", state.shim_pid},
            {"Health",
             {{"Status", state.health.status},
              {"FailingStreak", state.health.failing_streak},
              {"Log", state.health.log}}}}},
          {"RestartCount", restart_count},
          {"HasBeenStarted", has_been_started},
          {"ManuallyStopped", manually_stopped},
          {"LogPath", log_path},
          {"HostnamePath", hostname_path},
          {"HostsPath", hosts_path},
          {"ResolvConfPath", resolv_conf_path}};
}

Result<std::unique_ptr<Container>> Container::from_disk(const nlohmann::json& j) {
  try {
    auto c = std::make_unique<Container>();
    c->id = j.at("ID");
    c->name = j.at("Name");
    c->created = j.value("Created", "");
    c->image_id = j.value("Image", "");
    c->image_ref = j.value("ImageRef", "");
    c->path = j.value("Path", "");
    c->args = j.value("Args", std::vector<std::string>{});
    c->config = j.value("Config", nlohmann::json::object());
    c->host_config = j.value("HostConfig", nlohmann::json::object());
    c->mount_points = j.value("MountPoints", nlohmann::json::array());
    c->network_settings = j.value("NetworkSettings", nlohmann::json::object());
    auto s = j.value("State", nlohmann::json::object());
    c->state.status = s.value("Status", "created");
    c->state.running = s.value("Running", false);
    c->state.paused = s.value("Paused", false);
    c->state.restarting = s.value("Restarting", false);
    c->state.oom_killed = s.value("OOMKilled", false);
    c->state.dead = s.value("Dead", false);
    c->state.pid = s.value("Pid", 0);
    c->state.exit_code = s.value("ExitCode", 0);
    c->state.error = s.value("Error", "");
    c->state.started_at = s.value("StartedAt", "0001-01-01T00:00:00Z");
    c->state.finished_at = s.value("FinishedAt", "0001-01-01T00:00:00Z");
    c->state.shim_pid = s.value("ShimPid", 0);
    auto h = s.value("Health", nlohmann::json::object());
    c->state.health.status = h.value("Status", "");
    c->state.health.failing_streak = h.value("FailingStreak", 0);
    c->state.health.log = h.value("Log", nlohmann::json::array());
    c->restart_count = j.value("RestartCount", 0);
    c->has_been_started = j.value("HasBeenStarted", false);
    c->manually_stopped = j.value("ManuallyStopped", false);
    c->log_path = j.value("LogPath", "");
    c->hostname_path = j.value("HostnamePath", "");
    c->hosts_path = j.value("HostsPath", "");
    c->resolv_conf_path = j.value("ResolvConfPath", "");
    return c;
  } catch (const std::exception& e) {
    return fail(ErrorKind::Internal, "container record: {}", e.what());
  }
}

std::string human_duration(int64_t s) {
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return fmt::format("{} seconds", s);
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return fmt::format("{} minutes", m);
  int64_t h = (s + 1800) / 3600;
  if (h == 1) return "About an hour";
  if (h < 48) return fmt::format("{} hours", h);
  if (h < 24 * 7 * 2) return fmt::format("{} days", h / 24);
  if (h < 24 * 30 * 2) return fmt::format("{} weeks", h / 24 / 7);
  if (h < 24 * 365 * 2) return fmt::format("{} months", h / 24 / 30);
  return fmt::format("{} years", h / 24 / 365);
}

std::string Container::status_text() const {
  int64_t now = now_ns();
  if (state.restarting)
    return fmt::format(
        "Restarting ({}) {} ago", state.exit_code,
        human_duration((now - parse_rfc3339_ns(state.finished_at).value_or(now)) / 1000000000));
  if (state.running) {
    auto since = parse_rfc3339_ns(state.started_at).value_or(now);
    std::string s = "Up " + human_duration((now - since) / 1000000000);
    if (state.paused) s += " (Paused)";
    if (!state.health.status.empty() && state.health.status != "none")
      s += state.health.status == "starting" ? " (health: starting)"
                                             : " (" + state.health.status + ")";
    return s;
  }
  if (state.status == "removing") return "Removal In Progress";
  if (state.dead) return "Dead";
  if (!has_been_started) return "Created";
  auto since = parse_rfc3339_ns(state.finished_at).value_or(now);
  return fmt::format("Exited ({}) {} ago", state.exit_code,
                     human_duration((now - since) / 1000000000));
}

nlohmann::json inspect_json(const Container& c, const std::string& driver,
                            const std::string& rootfs_dir) {
  nlohmann::json state = {{"Status", c.state.status},
                          {"Running", c.state.running},
                          {"Paused", c.state.paused},
                          {"Restarting", c.state.restarting},
                          {"OOMKilled", c.state.oom_killed},
                          {"Dead", c.state.dead},
                          {"Pid", c.state.pid},
                          {"ExitCode", c.state.exit_code},
                          {"Error", c.state.error},
                          {"StartedAt", c.state.started_at},
                          {"FinishedAt", c.state.finished_at}};
  if (!c.state.health.status.empty())
    state["Health"] = {{"Status", c.state.health.status},
                       {"FailingStreak", c.state.health.failing_streak},
                       {"Log", c.state.health.log}};
  nlohmann::json networks = nlohmann::json::object();
  if (auto it = c.network_settings.find("Networks");
      it != c.network_settings.end() && it->is_object())
    networks = *it;
  // Docker repeats the default bridge's endpoint at the top level
  nlohmann::json primary = networks.value("bridge", nlohmann::json::object());
  auto field = [&](const char* k, nlohmann::json def) {
    return primary.contains(k) ? primary[k] : def;
  };
  return {
      {"Id", c.id},
      {"Created", c.created},
      {"Path", c.path},
      {"Args", c.args},
      {"State", state},
      {"Image", c.image_id},
      {"ResolvConfPath", c.resolv_conf_path},
      {"HostnamePath", c.hostname_path},
      {"HostsPath", c.hosts_path},
      {"LogPath", c.log_path},
      {"Name", c.name},
      {"RestartCount", c.restart_count},
      {"Driver", driver},
      {"Platform", "linux"},
      {"MountLabel", ""},
      {"ProcessLabel", ""},
      {"AppArmorProfile", ""},
      {"ExecIDs", nullptr},
      {"HostConfig", c.host_config},
      {"GraphDriver",
       {{"Name", driver},
        {"Data", {{"MergedDir", rootfs_dir}, {"UpperDir", ""}, {"WorkDir", ""}}}}},
      {"Mounts", mounts_for_inspect(c.mount_points)},
      {"Config", c.config},
      {"NetworkSettings",
       {{"Bridge", ""},
        {"SandboxID", c.network_settings.value("SandboxID", "")},
        {"SandboxKey", c.network_settings.value("SandboxKey", "")},
        {"Ports", c.network_settings.value("Ports", nlohmann::json::object())},
        {"HairpinMode", false},
        {"LinkLocalIPv6Address", ""},
        {"LinkLocalIPv6PrefixLen", 0},
        {"SecondaryIPAddresses", nullptr},
        {"SecondaryIPv6Addresses", nullptr},
        {"EndpointID", field("EndpointID", "")},
        {"Gateway", field("Gateway", "")},
        {"GlobalIPv6Address", field("GlobalIPv6Address", "")},
        {"GlobalIPv6PrefixLen", field("GlobalIPv6PrefixLen", 0)},
        {"IPAddress", field("IPAddress", "")},
        {"IPPrefixLen", field("IPPrefixLen", 0)},
        {"IPv6Gateway", field("IPv6Gateway", "")},
        {"MacAddress", field("MacAddress", "")},
        {"Networks", networks}}},
  };
}

}  // namespace berth::daemon
