#include "base/time.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

namespace berth {

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

std::string rfc3339_from_ns(int64_t ns) {
  time_t sec = static_cast<time_t>(ns / 1000000000);
  long frac = static_cast<long>(ns % 1000000000);
  tm t;
  gmtime_r(&sec, &t);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  return fmt::format("{}.{:09d}Z", buf, frac);
}

std::string now_rfc3339() {
  return rfc3339_from_ns(now_ns());
}

std::optional<int64_t> parse_rfc3339_ns(std::string_view s) {
  tm t{};
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || sscanf(std::string(s.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y,
                              &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = sec;
  int64_t ns = int64_t{timegm(&t)} * 1000000000;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    int64_t scale = 100000000;
    for (++i; i < s.size() && isdigit(static_cast<unsigned char>(s[i])); ++i) {
      ns += (s[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-') && s.size() >= i + 6) {
    int oh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    int om = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
    int64_t off = (int64_t{oh} * 3600 + om * 60) * 1000000000;
    ns += s[i] == '+' ? -off : off;
  }
  return ns;
}

std::optional<int64_t> parse_duration_ns(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (start == i) return std::nullopt;
    double v = std::stod(std::string(s.substr(start, i - start)));
    size_t u = i;
    while (i < s.size() && isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view unit = s.substr(u, i - u);
    double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "µs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else
      return std::nullopt;
    total += static_cast<int64_t>(v * mult);
  }
  return total;
}

std::optional<int64_t> parse_timestamp_ns(std::string_view s, int64_t now) {
  if (s.empty()) return std::nullopt;
  bool numeric = true;
  for (char c : s)
    if (!isdigit(static_cast<unsigned char>(c)) && c != '.') numeric = false;
  if (numeric) {
    auto dot = s.find('.');
    int64_t sec = std::stoll(std::string(s.substr(0, dot)));
    int64_t frac = 0;
    if (dot != std::string_view::npos) {
      std::string f(s.substr(dot + 1));
      f.resize(9, '0');
      frac = std::stoll(f);
    }
    return sec * 1000000000 + frac;
  }
  if (s.size() >= 10 && s[4] == '-') {
    if (s.size() == 10) return parse_rfc3339_ns(std::string(s) + "T00:00:00Z");
    return parse_rfc3339_ns(s);
  }
  auto d = parse_duration_ns(s);
  if (!d) return std::nullopt;
  return now - *d;
}

}  // namespace berth
