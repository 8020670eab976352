#include "api/filters.h"

#include <nlohmann/json.hpp>

namespace berth::api {

Result<Filters> parse_filters(const std::string& text) {
  Filters out;
  if (text.empty()) return out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::InvalidArgument, "invalid filter: {:?}", text);
  for (auto& [k, v] : j.items()) {
    auto& vals = out[k];
    if (v.is_array()) {
      for (auto& x : v)
        if (x.is_string()) vals.push_back(x);
    } else if (v.is_object()) {
      for (auto& [x, on] : v.items())
        if (!on.is_boolean() || on.get<bool>()) vals.push_back(x);
    } else {
      return fail(ErrorKind::InvalidArgument, "invalid filter: {:?}", text);
    }
  }
  return out;
}

bool label_matches(const nlohmann::json& labels, const std::string& filter) {
  auto eq = filter.find('=');
  std::string key = filter.substr(0, eq);
  if (!labels.is_object()) return false;
  auto it = labels.find(key);
  if (it == labels.end()) return false;
  return eq == std::string::npos || (it->is_string() && *it == filter.substr(eq + 1));
}

}  // namespace berth::api
