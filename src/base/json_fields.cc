#include "base/json_fields.h"

namespace berth {

using nlohmann::json;

std::string_view go_json_type(const json& v) {
  if (v.is_boolean()) return "bool";
  if (v.is_number()) return "number";
  return v.type_name();  // string, array, object
}

namespace {

std::string_view default_name(GoType t) {
  switch (t) {
    case GoType::String:
      return "string";
    case GoType::Bool:
      return "bool";
    case GoType::Int64:
      return "int64";
    case GoType::StringList:
      return "[]string";
    case GoType::StringMap:
      return "map[string]string";
    case GoType::List:
      return "[]interface {}";
    case GoType::Object:
      return "map[string]interface {}";
  }
  return "";
}

bool matches(const json& v, GoType t) {
  switch (t) {
    case GoType::String:
      return v.is_string();
    case GoType::Bool:
      return v.is_boolean();
    case GoType::Int64:
      return v.is_number_integer();
    case GoType::StringList:
    case GoType::List:
      return v.is_array();
    case GoType::StringMap:
    case GoType::Object:
      return v.is_object();
  }
  return false;
}

}  // namespace

Status want_field(const json& obj, std::string_view key, GoType type, std::string_view go_struct,
                  std::string_view go_type_name) {
  if (!obj.is_object()) return ok();
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return ok();
  std::string_view tname = go_type_name.empty() ? default_name(type) : go_type_name;
  auto bad = [&](const json& v, std::string_view as) {
    return fail(ErrorKind::InvalidArgument,
                "json: cannot unmarshal {} into Go struct field {}.{} of type {}", go_json_type(v),
                go_struct, key, as);
  };
  if (!matches(*it, type)) return bad(*it, tname);
  if (type == GoType::StringList || type == GoType::StringMap)
    for (auto& e : *it)
      if (!e.is_string()) return bad(e, "string");
  return ok();
}

}  // namespace berth
