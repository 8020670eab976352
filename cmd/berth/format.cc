#include "format.h"

#include <cstdio>

#include "base/strings.h"
#include "client/go_template.h"
#include "commands.h"

namespace berth::cli {

using nlohmann::json;

namespace {

std::string go_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string go_json(const json& j) {
  return go_escaped(j.dump());
}

int print_inspected(const json& objects, const std::string& format) {
  if (format.empty() || format == "json") {
    if (format.empty()) {
      // Docker indents inspect output with 4 spaces and escapes as Go does
      std::printf("%s\n", go_escaped(objects.dump(4)).c_str());
    } else {
      for (auto& o : objects) std::printf("%s\n", go_json(o).c_str());
    }
    return 0;
  }
  auto t = client::GoTemplate::parse(format);
  if (!t) return report(t.error());
  for (auto& o : objects) {
    auto text = t->render(o);
    if (!text) return report(text.error());
    std::printf("%s\n", text->c_str());
  }
  return 0;
}

int print_formatted(const json& rows, const std::string& format, const json& header) {
  if (format == "json") {
    for (auto& r : rows) std::printf("%s\n", go_json(r).c_str());
    return 0;
  }
  bool as_table = format.starts_with("table");
  std::string body = as_table ? std::string(trim(format.substr(5))) : format;
  auto t = client::GoTemplate::parse(body);
  if (!t) return report(t.error());
  std::vector<std::vector<std::string>> cells;
  auto add = [&](const json& data) -> bool {
    auto text = t->render(data);
    if (!text) {
      report(text.error());
      return false;
    }
    // Docker's table columns are the template's tab-separated parts
    auto parts = split(*text, '\t');
    cells.push_back(parts);
    return true;
  };
  if (as_table && !add(header)) return 1;
  for (auto& r : rows)
    if (!add(r)) return 1;
  if (as_table) {
    std::fputs(table(cells).c_str(), stdout);
  } else {
    for (auto& c : cells) {
      std::string line;
      for (size_t i = 0; i < c.size(); ++i) line += (i ? "\t" : "") + c[i];
      std::printf("%s\n", line.c_str());
    }
  }
  return 0;
}

}  // namespace berth::cli
