// Output of --format / -f (Go templates, as the docker CLI renders them) and of inspect.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::cli {

// inspect: the objects as an indented JSON array, or each rendered through `format` (a Go
// template) on a line of its own. Returns the exit code (a bad template: 1, as docker).
int print_inspected(const nlohmann::json& objects, const std::string& format);

// One line per object through `format`; "table ..." adds `header` (a row rendered from the
// same template over column titles) and lines the columns up, as Docker's tabwriter does.
// "json" prints each object as compact JSON (the template {{json .}}).
int print_formatted(const nlohmann::json& rows, const std::string& format,
                    const nlohmann::json& header);

}  // namespace berth::cli
