#include "daemon/exec.h"

#include "base/json_fields.h"
#include "daemon/spec.h"
#include "runtime/names.h"

namespace berth::daemon {

using nlohmann::json;

nlohmann::json Exec::inspect_json() {
  std::lock_guard<std::mutex> l(mu);
  json cmd = config.value("Cmd", json::array());
  json args = json::array();
  for (size_t i = 1; i < cmd.size(); ++i) args.push_back(cmd[i]);
  return {{"ID", id},
          {"ContainerID", container_id},
          {"Running", running},
          {"ExitCode", exit_code ? json(*exit_code) : json(nullptr)},
          {"ProcessConfig",
           {{"tty", config.value("Tty", false)},
            {"entrypoint", cmd.empty() ? json("") : cmd[0]},
            {"arguments", args},
            {"privileged", config.value("Privileged", false)},
            {"user", config.value("User", "")}}},
          {"OpenStdin", config.value("AttachStdin", false)},
          {"OpenStdout", config.value("AttachStdout", false)},
          {"OpenStderr", config.value("AttachStderr", false)},
          {"CanRemove", false},
          {"DetachKeys", config.value("DetachKeys", "")},
          {"Pid", pid}};
}

std::string Exec::command_line() const {
  std::string s;
  for (auto& a : config.value("Cmd", json::array())) {
    if (!s.empty()) s += ' ';
    s += a.is_string() ? a.get<std::string>() : a.dump();
  }
  return s;
}

Status validate_exec_config(const json& config) {
  if (!config.is_object())
    return fail(ErrorKind::InvalidArgument,
                "json: cannot unmarshal {} into Go value of type container.ExecOptions",
                go_json_type(config));
  for (const char* k : {"User", "WorkingDir", "DetachKeys"})
    BERTH_TRY(want_field(config, k, GoType::String, "ExecOptions"));
  for (const char* k : {"Tty", "AttachStdin", "AttachStdout", "AttachStderr", "Privileged"})
    BERTH_TRY(want_field(config, k, GoType::Bool, "ExecOptions"));
  for (const char* k : {"Env", "Cmd"})
    BERTH_TRY(want_field(config, k, GoType::StringList, "ExecOptions"));
  json cmd = config.value("Cmd", json::array());
  if (cmd.is_null() || cmd.empty())
    return fail(ErrorKind::InvalidArgument, "No exec command specified");
  return ok();
}

Result<json> exec_process(const json& container_process, const std::string& rootfs,
                          const json& config, const std::vector<std::string>& group_add) {
  json p = container_process;
  p["args"] = config.value("Cmd", json::array());
  bool tty = config.value("Tty", false);
  p["terminal"] = tty;
  if (auto cs = config.value("ConsoleSize", json());
      cs.is_array() && cs.size() == 2 && cs[0].is_number() && cs[1].is_number())
    p["consoleSize"] = {{"height", cs[0]}, {"width", cs[1]}};
  else
    p.erase("consoleSize");

  // The exec's variables replace the container's of the same name.
  std::vector<std::string> env = p.value("env", std::vector<std::string>{});
  auto set = [&env](const std::string& kv) {
    std::string key = kv.substr(0, kv.find('='));
    std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
    env.push_back(kv);
  };
  if (tty && std::none_of(env.begin(), env.end(),
                          [](const std::string& e) { return e.starts_with("TERM="); }))
    env.push_back("TERM=xterm");
  for (auto& e : config.value("Env", json::array())) set(e.get<std::string>());
  p["env"] = env;

  if (auto wd = config.value("WorkingDir", ""); !wd.empty()) {
    if (!wd.starts_with("/"))
      return fail(ErrorKind::InvalidArgument,
                  "the working directory '{}' is invalid, it needs to be an absolute path", wd);
    p["cwd"] = wd;
  }
  if (auto user = config.value("User", ""); !user.empty()) {
    BERTH_ASSIGN(auto u, resolve_user(rootfs, user, group_add));
    p["user"] = {{"uid", u.uid}, {"gid", u.gid}};
    if (!u.additional.empty()) p["user"]["additionalGids"] = u.additional;
  }
  json& caps = p["capabilities"];
  if (config.value("Privileged", false)) {
    std::vector<std::string> all;
    for (int i = 0; i <= runtime::last_capability(); ++i)
      all.push_back(runtime::capability_name(i));
    caps = {{"bounding", all}, {"effective", all}, {"permitted", all}};
  }
  // As for the container's own process: a non-root user starts without effective caps.
  bool root = p["user"].value("uid", 0u) == 0;
  caps["effective"] = root ? caps.value("permitted", json::array()) : json::array();
  return p;
}

}  // namespace berth::daemon
