// Go's fmt as the template engine needs it: values printed as %v, fmt.Sprint, Sprintln
// and Sprintf over decoded JSON, and encoding/json's Marshal for the `json` function.
// Internal to the Go template engine (go_*.cc, go_template*.cc); not for other callers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::client::gotmpl {

// Go's fmt rejects widths and precisions above this.
inline constexpr int kMaxWidth = 1000000;

// ---------------------------------------------------------------------- JSON as Go sees it

inline const std::string& str(const nlohmann::json& j) {
  return j.get_ref<const std::string&>();
}

// The Go type encoding/json would decode j into (%T); nullptr or JSON null is "<nil>".
std::string_view type_name(const nlohmann::json* j);

// An integer, from a JSON integer or an integral float; nullopt otherwise.
std::optional<int64_t> as_int(const nlohmann::json& j);

// ---------------------------------------------------------------------- printing

// Appends j as fmt prints an operand with %v; nullptr or JSON null prints as <nil>.
void append_v(std::string& out, const nlohmann::json* j);

// Go's %v of one value, for messages.
std::string sprint_v(const nlohmann::json* j);

// fmt.Sprint (spaces between operands when neither is a string) or fmt.Sprintln.
std::string go_sprint(const std::vector<const nlohmann::json*>& args, bool ln);

// fmt.Sprintf, with fmt's in-band errors such as %!d(string=hi) and %!(EXTRA ...).
std::string go_sprintf(std::string_view f, const std::vector<const nlohmann::json*>& args);

// json.Marshal of j (nullptr: null), with map keys sorted as Go sorts them.
void json_encode(std::string& out, const nlohmann::json* j);

}  // namespace berth::client::gotmpl
