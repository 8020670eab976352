#include "image/config_changes.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace berth::image {

namespace {

// JSON array form ["a","b"] or shell form (wrapped in /bin/sh -c).
nlohmann::json command_value(const std::string& rest, bool shell_wrap) {
  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (!j.is_discarded() && j.is_array()) {
    bool strings = std::all_of(j.begin(), j.end(), [](const auto& v) { return v.is_string(); });
    if (strings) return j;
  }
  if (shell_wrap) return nlohmann::json::array({"/bin/sh", "-c", rest});
  return nlohmann::json::array({rest});
}

// "k=v k2=v2" or legacy "k v"; values may be double-quoted.
std::vector<std::pair<std::string, std::string>> key_values(const std::string& rest) {
  std::vector<std::pair<std::string, std::string>> out;
  if (rest.find('=') == std::string::npos) {
    auto sp = rest.find_first_of(" \t");
    if (sp != std::string::npos)
      out.emplace_back(rest.substr(0, sp), std::string(trim(rest.substr(sp + 1))));
    return out;
  }
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && std::isspace(static_cast<unsigned char>(rest[i]))) ++i;
    if (i >= rest.size()) break;
    std::string key, value;
    while (i < rest.size() && rest[i] != '=' && !std::isspace(static_cast<unsigned char>(rest[i])))
      key += rest[i++];
    if (i < rest.size() && rest[i] == '=') {
      ++i;
      bool quoted = i < rest.size() && rest[i] == '"';
      if (quoted) ++i;
      while (i < rest.size() &&
             (quoted ? rest[i] != '"' : !std::isspace(static_cast<unsigned char>(rest[i])))) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i++];
      }
      if (quoted && i < rest.size()) ++i;
    }
    out.emplace_back(key, value);
  }
  return out;
}

}  // namespace

Status apply_change(nlohmann::json& config, const std::string& line) {
  std::string_view t = trim(line);
  auto sp = t.find_first_of(" \t");
  std::string instr(t.substr(0, sp));
  std::string rest = sp == std::string_view::npos ? "" : std::string(trim(t.substr(sp)));
  std::transform(instr.begin(), instr.end(), instr.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (instr == "CMD") {
    config["Cmd"] = command_value(rest, true);
  } else if (instr == "ENTRYPOINT") {
    config["Entrypoint"] = command_value(rest, true);
  } else if (instr == "ENV") {
    auto& env = config["Env"];
    if (!env.is_array()) env = nlohmann::json::array();
    for (auto& [k, v] : key_values(rest)) {
      std::string entry = k + "=" + v;
      bool replaced = false;
      for (auto& e : env)
        if (e.is_string() && e.get<std::string>().rfind(k + "=", 0) == 0) {
          e = entry;
          replaced = true;
        }
      if (!replaced) env.push_back(entry);
    }
  } else if (instr == "LABEL") {
    auto& labels = config["Labels"];
    if (!labels.is_object()) labels = nlohmann::json::object();
    for (auto& [k, v] : key_values(rest)) labels[k] = v;
  } else if (instr == "EXPOSE") {
    auto& ports = config["ExposedPorts"];
    if (!ports.is_object()) ports = nlohmann::json::object();
    for (auto& p : split(rest, ' ')) {
      if (p.empty()) continue;
      ports[p.find('/') == std::string::npos ? p + "/tcp" : p] = nlohmann::json::object();
    }
  } else if (instr == "VOLUME") {
    auto& vols = config["Volumes"];
    if (!vols.is_object()) vols = nlohmann::json::object();
    auto j = nlohmann::json::parse(rest, nullptr, false);
    if (!j.is_discarded() && j.is_array()) {
      for (auto& v : j)
        if (v.is_string()) vols[v.get<std::string>()] = nlohmann::json::object();
    } else {
      for (auto& v : split(rest, ' '))
        if (!v.empty()) vols[v] = nlohmann::json::object();
    }
  } else if (instr == "USER") {
    config["User"] = rest;
  } else if (instr == "WORKDIR") {
    config["WorkingDir"] = rest;
  } else if (instr == "STOPSIGNAL") {
    config["StopSignal"] = rest;
  } else if (instr == "ONBUILD") {
    auto& ob = config["OnBuild"];
    if (!ob.is_array()) ob = nlohmann::json::array();
    ob.push_back(rest);
  } else {
    return fail(ErrorKind::InvalidArgument, "{} is not a valid change command", instr);
  }
  return ok();
}

}  // namespace berth::image
