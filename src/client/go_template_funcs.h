// The values a Go template's execution passes around, and the functions a template can
// call: text/template's builtins and docker/cli's extras. Internal to the Go template
// engine (go_template*.cc); not for other callers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth::client::gotmpl {

// ---------------------------------------------------------------------- values

// A value during execution. Go distinguishes "no value" (a missing map key) from a nil
// interface (JSON null): the first prints as <no value>, the second as <nil> inside
// arrays and maps and as a function argument.
struct Value {
  const nlohmann::json* j = nullptr;            // nullptr: no value
  std::shared_ptr<const nlohmann::json> owner;  // keeps j alive when execution computed it

  bool missing() const { return j == nullptr; }
  // Go's nil: no value or JSON null.
  const nlohmann::json* get() const { return j && !j->is_null() ? j : nullptr; }
};

// A value execution computed, kept alive by the Value itself.
Value owned(nlohmann::json v);

// c, a part of parent's JSON, sharing what keeps parent alive.
Value child(const Value& parent, const nlohmann::json& c);

const nlohmann::json& null_json();
Value bool_value(bool b);
Value int_value(int64_t i);
Value string_value(std::string s);

// Text/template's notion of truth: the zero value of any type is false.
bool truth(const Value& v);

// ---------------------------------------------------------------------- functions

struct CallError {
  std::string msg;
  bool wrap = true;  // a failure of the function itself: "error calling NAME: msg"
  int arg = -1;      // for an argument of the wrong type: which one
};
using CallResult = std::expected<Value, CallError>;
using Args = std::vector<Value>;

struct Builtin {
  std::string_view name;
  size_t min_args;
  bool variadic;
  CallResult (*fn)(Args&);  // nullptr: and/or, which the executor evaluates lazily
};

// The function a template calls by this name, or nullptr.
const Builtin* find_builtin(std::string_view name);

}  // namespace berth::client::gotmpl
