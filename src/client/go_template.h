// Go text/template for the CLI's --format/-f flags: the subset docker's CLI templates use
// (with docker's extra functions), rendered over API objects as nlohmann::json.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace berth::client {

class GoTemplate {
 public:
  // Errors read like Go's, e.g. `template: :1: function "foo" not defined`.
  static Result<GoTemplate> parse(std::string_view text);

  // Errors read like Go's, e.g. `template: :1:4: executing "" at <.A.B>: can't evaluate
  // field B in type string`.
  Result<std::string> render(const nlohmann::json& data) const;

 private:
  struct Tree;  // the parsed template (go_template.cc)

  explicit GoTemplate(std::shared_ptr<const Tree> tree) : tree_(std::move(tree)) {}

  // Shared and immutable: copies are cheap and one template can render concurrently.
  std::shared_ptr<const Tree> tree_;
};

}  // namespace berth::client
