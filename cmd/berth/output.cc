// The CLI's exit code and output helpers: errors, tables, human durations and sizes.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "commands.h"

namespace berth::cli {

int exit_code = 0;

int report(const Error& e, int code) {
  std::fprintf(stderr, "%s\n", e.message().c_str());
  return code;
}

int fail_with(const Result<client::Response>& r) {
  return report(r ? client::daemon_error(*r) : r.error());
}

std::pair<std::string, std::string> split_ref(const std::string& ref, const std::string& def) {
  auto colon = ref.rfind(':');
  if (colon == std::string::npos || ref.find('/', colon) != std::string::npos) return {ref, def};
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

std::pair<std::string, std::string> key_value(const std::string& s, char sep) {
  auto at = s.find(sep);
  return {s.substr(0, at), at == std::string::npos ? "" : s.substr(at + 1)};
}

std::string filters_query(const std::vector<std::string>& filters) {
  nlohmann::json f = nlohmann::json::object();
  for (auto& x : filters) {
    auto [k, v] = key_value(x);
    f[k][v] = true;
  }
  return "filters=" + client::Engine::query_escape(f.dump());
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(std::max<size_t>(width[i] + 3, 10) - r[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

double print_pruned(const nlohmann::json& answer, const char* key, const char* title) {
  nlohmann::json gone = answer.value(key, nlohmann::json::array());
  if (gone.is_array() && !gone.empty()) {
    std::printf("%s:\n", title);
    for (auto& g : gone) {
      if (g.is_string()) std::printf("%s\n", g.get<std::string>().c_str());
      if (g.is_object())
        for (auto& [k, v] : g.items())
          std::printf("%s: %s\n", k == "Untagged" ? "untagged" : "deleted",
                      v.is_string() ? v.get<std::string>().c_str() : "");
    }
    std::printf("\n");
  }
  return answer.value("SpaceReclaimed", 0.0);
}

std::string go_time(int64_t unix_seconds) {
  time_t tt = static_cast<time_t>(unix_seconds);
  tm local{};
  localtime_r(&tt, &local);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &local);
  return buf;
}

std::string human_duration(int64_t s) {
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return std::to_string(m) + " minutes";
  int64_t h = (m + 30) / 60;
  if (h == 1) return "About an hour";
  if (h < 48) return std::to_string(h) + " hours";
  if (h < 24 * 7 * 2) return std::to_string(h / 24) + " days";
  if (h < 24 * 30 * 2) return std::to_string(h / 24 / 7) + " weeks";
  if (h < 24 * 365 * 2) return std::to_string(h / 24 / 30) + " months";
  return std::to_string(h / 24 / 365) + " years";
}

std::string human_size(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return fmt::format("{:.3g}{}", b, units[u]);
}

}  // namespace berth::cli
