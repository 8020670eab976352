// Docker's `filters` query parameter: {"name":{"x":true}} (the CLI) or {"label":["k=v"]}
// (docker-py, compose); both become name -> values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::api {

using Filters = std::map<std::string, std::vector<std::string>>;
Result<Filters> parse_filters(const std::string& text);

}  // namespace berth::api
