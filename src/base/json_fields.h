// Type checks of request bodies with the errors Go's encoding/json gives dockerd's clients:
// "json: cannot unmarshal string into Go struct field CreateOptions.Name of type string".
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/error.h"

namespace berth {

enum class GoType { String, Bool, Int64, StringList, StringMap, List, Object };

// Checks obj[key] (absent or null is fine) against the Go type; `go_struct` names the struct
// the field belongs to ("" for an anonymous one, as dockerd's create reports). For lists and
// maps of strings, each element is checked too.
Status want_field(const nlohmann::json& obj, std::string_view key, GoType type,
                  std::string_view go_struct, std::string_view go_type_name = "");

// The JSON type as Go names it in those errors ("bool", not "boolean").
std::string_view go_json_type(const nlohmann::json& v);

}  // namespace berth
