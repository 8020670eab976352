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

int print_inspected(const json& objects, const std::string& format) {
  if (format.empty()) {
    // the daemon's JSON as the docker CLI prints it: 4-space indent, Go's escaping
    std::printf("%s\n", go_escaped(objects.dump(4)).c_str());
    return 0;
  }
  // "json" is the template {{json .}}, as in the docker CLI
  auto t = client::GoTemplate::parse(format == "json" ? "{{json .}}" : format);
  if (!t) return report(t.error());
  for (auto& o : objects) {
    auto text = t->render(o);
    if (!text) return report(text.error());
    std::printf("%s\n", text->c_str());
  }
  return 0;
}

int print_formatted(const json& rows, const std::string& format, const json& header) {
  bool as_table = format.starts_with("table");
  std::string body = format == "json" ? "{{json .}}"  // as in the docker CLI
                     : as_table       ? std::string(trim(format.substr(5)))
                                      : format;
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
