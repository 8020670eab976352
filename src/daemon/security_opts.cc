#include "daemon/security_opts.h"

#include "base/json_fields.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

Result<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
    return false;
  return fail(ErrorKind::InvalidArgument, "not a boolean");
}

}  // namespace

Result<SecurityOpts> parse_security_opts(const json& hc) {
  SecurityOpts out;
  if (!hc.is_object() || !hc.contains("SecurityOpt") || hc["SecurityOpt"].is_null()) return out;
  if (!hc["SecurityOpt"].is_array())
    return fail(ErrorKind::InvalidArgument,
                "json: cannot unmarshal {} into Go struct field HostConfig.SecurityOpt of type "
                "[]string",
                go_json_type(hc["SecurityOpt"]));
  for (auto& o : hc["SecurityOpt"]) {
    if (!o.is_string())
      return fail(ErrorKind::InvalidArgument, "invalid --security-opt: {}", o.dump());
    std::string opt = o.get<std::string>();
    if (opt == "no-new-privileges") {
      out.no_new_privileges = true;
      continue;
    }
    if (opt == "systempaths=unconfined") {
      out.unconfined_system_paths = true;
      continue;
    }
    if (opt == "disable") continue;  // SELinux labels: none here
    // key=value, or the old key:value
    size_t at = opt.find('=');
    if (at == std::string::npos) at = opt.find(':');
    if (at == std::string::npos)
      return fail(ErrorKind::InvalidArgument, "invalid --security-opt 1: {:?}", opt);
    std::string key = opt.substr(0, at), value = opt.substr(at + 1);
    if (key == "seccomp") {
      out.seccomp = value;
    } else if (key == "no-new-privileges") {
      auto b = parse_bool(value);
      if (!b) return fail(ErrorKind::InvalidArgument, "invalid --security-opt 2: {:?}", opt);
      out.no_new_privileges = *b;
    } else if (key == "label" || key == "apparmor" || key == "writable-cgroups") {
      // accepted as dockerd does on a host without SELinux or AppArmor
    } else {
      return fail(ErrorKind::InvalidArgument, "invalid --security-opt 2: {:?}", opt);
    }
  }
  return out;
}

}  // namespace berth::daemon
