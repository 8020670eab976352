// Go's fmt and encoding/json over decoded JSON (see go_fmt.h).
#include "client/go_fmt.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "client/go_text.h"

namespace berth::client::gotmpl {

using nlohmann::json;

namespace {

// Go's json.Marshal escapes <, > and & so its output can sit inside HTML; docker/cli's
// `json` function turns that off with SetEscapeHTML(false), so `<` stays `<`.
constexpr bool kJsonEscapeHtml = false;

}  // namespace

// ---------------------------------------------------------------------- JSON as Go sees it

// The Go type encoding/json would decode j into; JSON integers get int, the type Docker's
// typed API structs use, so that they print and compare as integers.
std::string_view type_name(const json* j) {
  if (!j || j->is_null()) return "<nil>";
  if (j->is_boolean()) return "bool";
  if (j->is_number_integer()) return "int";
  if (j->is_number_float()) return "float64";
  if (j->is_string()) return "string";
  if (j->is_array()) return "[]interface {}";
  if (j->is_object()) return "map[string]interface {}";
  return "interface {}";
}

// An integer, from a JSON integer or an integral float (JSON numbers are all float64 to
// Go's decoder, so templates that index with them work there too).
std::optional<int64_t> as_int(const json& j) {
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

namespace {

// ---------------------------------------------------------------------- float formatting

// A decimal: the value is 0.d × 10^dp, d has no trailing zeros and is empty for zero.
struct Digits {
  std::string d;
  int dp = 0;
};

Digits parse_scientific(std::string_view s) {
  Digits g;
  size_t e = s.find_first_of("eE");
  for (char c : s.substr(0, e)) {
    if (is_digit(c)) g.d += c;
  }
  while (!g.d.empty() && g.d.back() == '0') g.d.pop_back();
  if (g.d.empty()) return g;
  int exp = 0;
  size_t from = e + 1 + (s[e + 1] == '+' ? 1 : 0);
  std::from_chars(s.data() + from, s.data() + s.size(), exp);
  g.dp = exp + 1;
  return g;
}

// The fewest digits that read back as a (a >= 0), as Go's -1 precision means.
Digits shortest_digits(double a) {
  if (a == 0) return {};
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific);
  return parse_scientific(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

Digits rounded_digits(double a, int significant) {
  if (a == 0) return {};
  return parse_scientific(fmt::format("{:.{}e}", a, significant - 1));
}

std::string e_form(const Digits& g, int prec, char e) {
  int nd = static_cast<int>(g.d.size());
  std::string s(1, g.d.empty() ? '0' : g.d[0]);
  if (prec > 0) {
    s += '.';
    for (int i = 1; i <= prec; ++i) s += i < nd ? g.d[i] : '0';
  }
  int exp = g.d.empty() ? 0 : g.dp - 1;
  s += e;
  s += exp < 0 ? '-' : '+';
  exp = std::abs(exp);
  if (exp < 10) s += '0';
  s += std::to_string(exp);
  return s;
}

std::string f_form(const Digits& g, int prec) {
  int nd = static_cast<int>(g.d.size());
  std::string s;
  if (g.dp > 0) {
    for (int i = 0; i < g.dp; ++i) s += i < nd ? g.d[i] : '0';
  } else {
    s = "0";
  }
  if (prec > 0) {
    s += '.';
    for (int i = 0; i < prec; ++i) {
      int k = g.dp + i;
      s += k >= 0 && k < nd ? g.d[k] : '0';
    }
  }
  return s;
}

// strconv's %g: exponent form for small and large exponents. Shortest output switches to
// it from 1e+06 on (so 1000000.0 prints as 1e+06, as Go does).
std::string g_form(const Digits& g, int prec, bool shortest, char e) {
  int nd = static_cast<int>(g.d.size());
  int eprec = prec;
  if (eprec > nd && nd >= g.dp) eprec = nd;
  if (shortest) eprec = 6;
  int exp = g.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    return e_form(g, prec - 1, e);
  }
  if (prec > g.dp) prec = nd;
  return f_form(g, std::max(prec - g.dp, 0));
}

// Formats a >= 0 for verb e, E, f, F, g or G; prec < 0 means the shortest exact form.
std::string format_float(double a, char verb, int prec) {
  bool upper = verb == 'E' || verb == 'G';
  char e = upper ? 'E' : 'e';
  if (verb == 'e' || verb == 'E') {
    if (prec < 0) {
      Digits g = shortest_digits(a);
      return e_form(g, std::max(static_cast<int>(g.d.size()) - 1, 0), e);
    }
    return upper ? fmt::format("{:.{}E}", a, prec) : fmt::format("{:.{}e}", a, prec);
  }
  if (verb == 'f' || verb == 'F') {
    if (prec < 0) {
      Digits g = shortest_digits(a);
      return f_form(g, std::max(static_cast<int>(g.d.size()) - g.dp, 0));
    }
    return fmt::format("{:.{}f}", a, prec);
  }
  if (prec < 0) {
    Digits g = shortest_digits(a);
    return g_form(g, static_cast<int>(g.d.size()), true, e);
  }
  if (prec == 0) prec = 1;
  return g_form(rounded_digits(a, prec), prec, false, e);
}

// ---------------------------------------------------------------------- JSON encoding

void json_string(std::string& out, std::string_view s) {
  constexpr std::string_view kShort = "\"\\\b\f\n\r\t", kLetters = "\"\\bfnrt";
  out += '"';
  char32_t r;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      bool html = c == '<' || c == '>' || c == '&';
      size_t e = kShort.find(c);
      if (e != std::string_view::npos) {
        out += '\\';
        out += kLetters[e];
      } else if (c < 0x20 || (kJsonEscapeHtml && html)) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      } else {
        out += c;
      }
      ++i;
      continue;
    }
    size_t n = decode_rune(s, i, &r);
    if (n == 1) {
      out += "\\ufffd";  // invalid UTF-8, as Go replaces it
    } else if (r == 0x2028 || r == 0x2029) {
      // Go escapes the JavaScript line separators too.
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(r));
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

// encoding/json's float64: plain decimal unless tiny or huge, shortest digits.
void json_float(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // Go refuses these; JSON input cannot carry them anyway
    return;
  }
  double a = std::fabs(v);
  Digits g = shortest_digits(a);
  int nd = static_cast<int>(g.d.size());
  if (std::signbit(v)) out += '-';
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::string s = e_form(g, std::max(nd - 1, 0), 'e');
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    out += s;
  } else {
    out += f_form(g, std::max(nd - g.dp, 0));
  }
}

}  // namespace

void json_encode(std::string& out, const json* j) {
  if (!j || j->is_null()) {
    out += "null";
  } else if (j->is_boolean()) {
    out += j->get<bool>() ? "true" : "false";
  } else if (j->is_number_unsigned()) {
    out += std::to_string(j->get<uint64_t>());
  } else if (j->is_number_integer()) {
    out += std::to_string(j->get<int64_t>());
  } else if (j->is_number_float()) {
    json_float(out, j->get<double>());
  } else if (j->is_string()) {
    json_string(out, str(*j));
  } else if (j->is_array()) {
    out += '[';
    bool first = true;
    for (const json& e : *j) {
      if (!first) out += ',';
      first = false;
      json_encode(out, &e);
    }
    out += ']';
  } else if (j->is_object()) {
    // nlohmann::json keeps keys sorted, as json.Marshal sorts map keys.
    out += '{';
    bool first = true;
    for (auto it = j->begin(); it != j->end(); ++it) {
      if (!first) out += ',';
      first = false;
      json_string(out, it.key());
      out += ':';
      json_encode(out, &it.value());
    }
    out += '}';
  } else {
    out += "null";
  }
}

namespace {

// ---------------------------------------------------------------------- Go's fmt

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1;  // -1: none
  int prec = -1;   // -1: none
  char32_t verb = 'v';
};

// Pads to the width in runes, as fmt does.
void pad(std::string& out, std::string_view s, const Spec& sp) {
  size_t n = rune_count(s);
  if (sp.width < 0 || n >= static_cast<size_t>(sp.width)) {
    out += s;
    return;
  }
  size_t fill = static_cast<size_t>(sp.width) - n;
  if (sp.minus) {
    out += s;
    out.append(fill, ' ');
  } else {
    out.append(fill, ' ');
    out += s;
  }
}

void fmt_value(std::string& out, const json* j, const Spec& sp, int depth);

// %!d(string=hi): what fmt prints for a verb that does not fit the operand.
void bad_verb(std::string& out, const json* j, const Spec& sp) {
  out += "%!";
  append_rune(out, sp.verb);
  out += '(';
  if (j) {
    out += type_name(j);
    out += '=';
    Spec v = sp;
    v.verb = 'v';
    fmt_value(out, j, v, 0);
  } else {
    out += "<nil>";
  }
  out += ')';
}

void fmt_int(std::string& out, bool neg, uint64_t u, const Spec& sp) {
  int base = 10;
  bool upper = sp.verb == 'X';
  if (sp.verb == 'b') base = 2;
  if (sp.verb == 'o' || sp.verb == 'O') base = 8;
  if (sp.verb == 'x' || sp.verb == 'X') base = 16;
  Spec spaces = sp;
  spaces.zero = false;
  if (sp.prec == 0 && u == 0) return pad(out, "", spaces);  // fmt prints nothing but padding
  char buf[64];
  std::string digits(buf,
                     static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, u, base).ptr - buf));
  if (upper)
    std::transform(digits.begin(), digits.end(), digits.begin(), [](char c) {
      return c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c;
    });
  size_t prec = 0;
  if (sp.prec >= 0) {
    prec = static_cast<size_t>(sp.prec);
  } else if (sp.zero && sp.width >= 0 && !sp.minus) {
    // Zero padding goes between the sign and the digits.
    prec = static_cast<size_t>(sp.width);
    if ((neg || sp.plus || sp.space) && prec > 0) --prec;
  }
  if (digits.size() < prec) digits.insert(0, prec - digits.size(), '0');
  std::string prefix;
  if (sp.sharp && base == 2) prefix = "0b";
  if (sp.sharp && base == 8 && digits[0] != '0') prefix = "0";
  if (sp.sharp && base == 16) prefix = upper ? "0X" : "0x";
  if (sp.verb == 'O') prefix = "0o";
  std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  pad(out, sign + prefix + digits, spaces);
}

void fmt_float(std::string& out, double v, const Spec& sp) {
  char verb = sp.verb == 'v' ? 'g' : static_cast<char>(sp.verb);
  int prec = sp.prec;
  if (prec < 0 && (verb == 'e' || verb == 'E' || verb == 'f' || verb == 'F')) prec = 6;
  bool neg = std::signbit(v) && !std::isnan(v);
  std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  if (std::isnan(v)) return pad(out, sp.plus ? "+NaN" : sp.space ? " NaN" : "NaN", sp);
  if (std::isinf(v)) return pad(out, neg ? "-Inf" : sp.space && !sp.plus ? " Inf" : "+Inf", sp);
  std::string num = format_float(std::fabs(v), verb, prec);
  size_t len = sign.size() + num.size();
  if (sp.zero && !sp.minus && sp.width >= 0 && len < static_cast<size_t>(sp.width)) {
    out += sign;
    out.append(static_cast<size_t>(sp.width) - len, '0');
    out += num;
    return;
  }
  pad(out, sign + num, sp);
}

void fmt_string(std::string& out, std::string_view s, const Spec& sp) {
  std::string_view v = sp.prec >= 0 ? first_runes(s, static_cast<size_t>(sp.prec)) : s;
  switch (sp.verb) {
    case 'v':
    case 's':
      return pad(out, v, sp);
    case 'q':
      return pad(out, go_quote(v), sp);
    case 'x':
    case 'X': {
      std::string h;
      std::string_view b = sp.prec >= 0 ? s.substr(0, static_cast<size_t>(sp.prec)) : s;
      for (unsigned char c : b) {
        h += sp.verb == 'x' ? fmt::format("{:02x}", c) : fmt::format("{:02X}", c);
      }
      return pad(out, h, sp);
    }
    default: {
      json tmp(s);
      return bad_verb(out, &tmp, sp);
    }
  }
}

bool verb_in(char32_t verb, std::string_view verbs) {
  return verb < 0x80 && verbs.find(static_cast<char>(verb)) != std::string_view::npos;
}

constexpr std::string_view kFloatVerbs = "eEfFgG";

// Go's int verbs, and its float verbs too: Go's decoder makes every JSON number a float64,
// so those work on JSON integers there.
void fmt_json_int(std::string& out, const json& j, const Spec& sp) {
  bool neg = false;
  uint64_t u = 0;
  if (j.is_number_unsigned()) {
    u = j.get<uint64_t>();
  } else {
    int64_t i = j.get<int64_t>();
    neg = i < 0;
    u = neg ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
  }
  if (verb_in(sp.verb, "vdboOxX")) return fmt_int(out, neg, u, sp);
  if (verb_in(sp.verb, kFloatVerbs)) return fmt_float(out, j.get<double>(), sp);
  char32_t r = neg || u > 0x10FFFF ? kRuneError : static_cast<char32_t>(u);
  std::string s;
  if (sp.verb == 'c') {
    append_rune(s, r);
  } else if (sp.verb == 'q') {
    s = go_quote_rune(r);
  } else if (sp.verb == 'U') {
    s = fmt::format("{}U+{:04X}", neg ? "-" : "", u);
    if (sp.sharp && r != kRuneError && is_print(r)) {
      s += " '";
      append_rune(s, r);
      s += '\'';
    }
  } else {
    return bad_verb(out, &j, sp);
  }
  pad(out, s, sp);
}

void fmt_json_float(std::string& out, const json& j, const Spec& sp) {
  if (sp.verb == 'v' || verb_in(sp.verb, kFloatVerbs)) return fmt_float(out, j.get<double>(), sp);
  // An integral float is an integer that went through JSON; %d prints it as one.
  std::optional<int64_t> i = as_int(j);
  if (sp.verb != 'd' || !i) return bad_verb(out, &j, sp);
  bool neg = *i < 0;
  fmt_int(out, neg, neg ? 0 - static_cast<uint64_t>(*i) : static_cast<uint64_t>(*i), sp);
}

// Formats one operand like fmt's printArg/printValue; depth > 0 inside arrays and maps.
void fmt_value(std::string& out, const json* j, const Spec& sp, int depth) {
  if (j && j->is_null()) j = nullptr;
  if (sp.verb == 'T') return pad(out, type_name(j), sp);
  if (!j) {
    if (depth > 0 || sp.verb == 'v') return pad(out, "<nil>", sp);
    return bad_verb(out, nullptr, sp);
  }
  if (j->is_boolean()) {
    if (sp.verb == 't' || sp.verb == 'v') return pad(out, j->get<bool>() ? "true" : "false", sp);
    return bad_verb(out, j, sp);
  }
  if (j->is_number_integer()) return fmt_json_int(out, *j, sp);
  if (j->is_number_float()) return fmt_json_float(out, *j, sp);
  if (j->is_string()) return fmt_string(out, str(*j), sp);
  if (j->is_array()) {
    out += '[';
    bool first = true;
    for (const json& e : *j) {
      if (!first) out += ' ';
      first = false;
      fmt_value(out, &e, sp, depth + 1);
    }
    out += ']';
    return;
  }
  if (j->is_object()) {
    out += "map[";
    bool first = true;
    for (auto it = j->begin(); it != j->end(); ++it) {
      if (!first) out += ' ';
      first = false;
      fmt_string(out, it.key(), sp);
      out += ':';
      fmt_value(out, &it.value(), sp, depth + 1);
    }
    out += ']';
    return;
  }
  pad(out, "?", sp);
}

int parse_num(std::string_view f, size_t& i) {
  int n = 0;
  for (; i < f.size() && is_digit(f[i]); ++i) n = std::min(n * 10 + (f[i] - '0'), kMaxWidth + 1);
  return n;
}

}  // namespace

void append_v(std::string& out, const json* j) {
  fmt_value(out, j, Spec{}, 0);
}

std::string sprint_v(const json* j) {
  std::string out;
  fmt_value(out, j, Spec{}, 0);
  return out;
}

std::string go_sprint(const std::vector<const json*>& args, bool ln) {
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i] && args[i]->is_string();
    if (i > 0 && (ln || (!is_string && !prev_string))) out += ' ';
    fmt_value(out, args[i], Spec{}, 0);
    prev_string = is_string;
  }
  if (ln) out += '\n';
  return out;
}

std::string go_sprintf(std::string_view f, const std::vector<const json*>& args) {
  std::string out;
  size_t argn = 0;
  // A * width or precision: fmt takes an int operand, consuming it even when it is not one.
  auto int_arg = [&](int* v) {
    if (argn >= args.size()) return false;
    const json* j = args[argn++];
    if (!j || !j->is_number_integer()) return false;
    std::optional<int64_t> x = as_int(*j);
    if (!x || *x > kMaxWidth || *x < -kMaxWidth) return false;
    *v = static_cast<int>(*x);
    return true;
  };
  size_t i = 0;
  while (i < f.size()) {
    size_t start = i;
    while (i < f.size() && f[i] != '%') ++i;
    out.append(f.substr(start, i - start));
    if (i >= f.size()) break;
    ++i;
    Spec sp;
    for (; i < f.size(); ++i) {
      char c = f[i];
      if (c == '#') {
        sp.sharp = true;
      } else if (c == '0') {
        sp.zero = !sp.minus;  // only pad with zeros on the left
      } else if (c == '+') {
        sp.plus = true;
      } else if (c == '-') {
        sp.minus = true;
        sp.zero = false;
      } else if (c == ' ') {
        sp.space = true;
      } else {
        break;
      }
    }
    if (i < f.size() && f[i] == '*') {
      ++i;
      if (!int_arg(&sp.width)) {
        out += "%!(BADWIDTH)";
        sp.width = -1;
      } else if (sp.width < 0) {
        sp.minus = true;
        sp.zero = false;
        sp.width = -sp.width;
      }
    } else if (i < f.size() && is_digit(f[i])) {
      sp.width = std::min(parse_num(f, i), kMaxWidth);
    }
    if (i < f.size() && f[i] == '.') {
      ++i;
      if (i < f.size() && f[i] == '*') {
        ++i;
        if (!int_arg(&sp.prec)) {
          out += "%!(BADPREC)";
          sp.prec = -1;
        } else if (sp.prec < 0) {
          sp.prec = -1;
        }
      } else {
        sp.prec = std::min(parse_num(f, i), kMaxWidth);
      }
    }
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char32_t verb;
    i += decode_rune(f, i, &verb);
    sp.verb = verb;
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (argn >= args.size()) {
      out += "%!";
      append_rune(out, verb);
      out += "(MISSING)";
      continue;
    }
    if (verb == 'v') {
      // %+v and %#v only change how Go structs print; none here.
      sp.plus = false;
      sp.sharp = false;
    }
    fmt_value(out, args[argn++], sp, 0);
  }
  if (argn < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argn; k < args.size(); ++k) {
      if (k > argn) out += ", ";
      const json* j = args[k] && !args[k]->is_null() ? args[k] : nullptr;
      if (!j) {
        out += "<nil>";
        continue;
      }
      out += type_name(j);
      out += '=';
      fmt_value(out, j, Spec{}, 0);
    }
    out += ')';
  }
  return out;
}

}  // namespace berth::client::gotmpl
