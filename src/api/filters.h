// Docker's `filters` query parameter: {"name":{"x":true}} (the CLI) or {"label":["k=v"]}
// (docker-py, compose); both become name -> values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::api {

using Filters = std::map<std::string, std::vector<std::string>>;
Result<Filters> parse_filters(const std::string& text);

// A `label` filter value, "key" or "key=value", against a labels object.
bool label_matches(const nlohmann::json& labels, const std::string& filter);

}  // namespace berth::api
