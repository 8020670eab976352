// Go text/template over JSON: a lexer and parser after Go's text/template/parse, and an
// executor that treats the data as Go's encoding/json would decode it (objects are maps,
// arrays are []interface{}), which is what docker's CLI templates see.
#include "client/go_template.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace berth::client {

using nlohmann::json;

namespace {

// Go's json.Marshal escapes <, > and & so its output can sit inside HTML. (docker/cli's
// `json` function turns this off with SetEscapeHTML(false); flip this to match it.)
constexpr bool kJsonEscapeHtml = true;

// Guards the recursive parser and executor against a stack overflow.
constexpr int kMaxNesting = 200;

// Go's fmt rejects widths and precisions above this.
constexpr int kMaxWidth = 1000000;

constexpr char32_t kRuneError = 0xFFFD;

// ---------------------------------------------------------------------- text helpers

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ascii_alnum(char32_t c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Go accepts any Unicode letter in identifiers; any non-ASCII byte counts as one here.
bool is_alnum(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the UTF-8 rune at s[i] into *r and returns its length; an invalid byte decodes
// as U+FFFD of length 1, as in Go.
size_t decode_rune(std::string_view s, size_t i, char32_t* r) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) {
    *r = c;
    return 1;
  }
  *r = kRuneError;
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 1;
  char32_t v = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 1;
    v = (v << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 1;
  *r = v;
  return n;
}

void append_rune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

size_t rune_count(std::string_view s) {
  size_t n = 0;
  char32_t r;
  for (size_t i = 0; i < s.size(); i += decode_rune(s, i, &r)) ++n;
  return n;
}

std::string_view first_runes(std::string_view s, size_t n) {
  size_t i = 0;
  char32_t r;
  for (; i < s.size() && n > 0; --n) i += decode_rune(s, i, &r);
  return s.substr(0, i);
}

// Go's unicode.IsPrint, roughly: all of Unicode outside the C0/C1 controls and a few
// invisible format characters counts as printable.
bool is_print(char32_t r) {
  if (r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0)) return false;
  return r != 0xAD && r != 0x2028 && r != 0x2029 && r != 0xFEFF && r != kRuneError;
}

// Go's one-letter escapes, \a to \v, and the characters they stand for.
constexpr std::string_view kEscapeLetters = "abfnrtv";
constexpr std::string_view kEscapedChars = "\a\b\f\n\r\t\v";

// The char c stands for after a backslash, or 0.
char escaped_char(char c) {
  size_t e = kEscapeLetters.find(c);
  return e == std::string_view::npos ? '\0' : kEscapedChars[e];
}

void append_quoted_rune(std::string& out, char32_t r, char quote) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out += '\\';
    out += static_cast<char>(r);
    return;
  }
  if (is_print(r)) return append_rune(out, r);
  size_t e = r < 0x80 ? kEscapedChars.find(static_cast<char>(r)) : std::string_view::npos;
  if (e != std::string_view::npos) {
    out += '\\';
    out += kEscapeLetters[e];
  } else if (r < 0x20 || r == 0x7F) {
    out += fmt::format("\\x{:02x}", static_cast<unsigned>(r));
  } else if (r < 0x10000) {
    out += fmt::format("\\u{:04x}", static_cast<unsigned>(r));
  } else {
    out += fmt::format("\\U{:08x}", static_cast<unsigned>(r));
  }
}

// strconv.Quote, which is what %q and Go's error messages use.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  char32_t r;
  for (size_t i = 0; i < s.size();) {
    size_t n = decode_rune(s, i, &r);
    if (n == 1 && r == kRuneError) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
    } else {
      append_quoted_rune(out, r, '"');
    }
    i += n;
  }
  out += '"';
  return out;
}

std::string go_quote_rune(char32_t r) {
  std::string out = "'";
  append_quoted_rune(out, r > 0x10FFFF ? kRuneError : r, '\'');
  out += '\'';
  return out;
}

// Go's %#U, used by the lexer's messages: U+0022 '"'.
std::string char_desc(char32_t r) {
  std::string out = fmt::format("U+{:04X}", static_cast<unsigned>(r));
  if (is_print(r)) {
    out += " '";
    append_rune(out, r);
    out += '\'';
  }
  return out;
}

int line_of(std::string_view text, size_t pos) {
  std::string_view before = text.substr(0, std::min(pos, text.size()));
  return 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
}

// ---------------------------------------------------------------------- JSON values

// A value during execution. Go distinguishes "no value" (a missing map key) from a nil
// interface (JSON null): the first prints as <no value>, the second as <nil> inside
// arrays and maps and as a function argument.
struct Value {
  const json* j = nullptr;            // nullptr: no value
  std::shared_ptr<const json> owner;  // keeps j alive when execution computed it

  bool missing() const { return j == nullptr; }
  // Go's nil: no value or JSON null.
  const json* get() const { return j && !j->is_null() ? j : nullptr; }
};

Value owned(json v) {
  auto p = std::make_shared<const json>(std::move(v));
  const json* raw = p.get();
  return Value{raw, std::move(p)};
}

Value child(const Value& parent, const json& c) {
  return Value{&c, parent.owner};
}

const json& null_json() {
  static const json j;
  return j;
}

Value bool_value(bool b) {
  static const json t = true, f = false;
  return Value{b ? &t : &f, nullptr};
}

Value int_value(int64_t i) {
  return owned(json(i));
}

Value string_value(std::string s) {
  return owned(json(std::move(s)));
}

const std::string& str(const json& j) {
  return j.get_ref<const std::string&>();
}

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

// Text/template's notion of truth: the zero value of any type is false.
bool truth(const Value& v) {
  const json* j = v.get();
  if (!j) return false;
  if (j->is_boolean()) return j->get<bool>();
  if (j->is_number_unsigned()) return j->get<uint64_t>() != 0;
  if (j->is_number_integer()) return j->get<int64_t>() != 0;
  if (j->is_number_float()) return j->get<double>() != 0;
  if (j->is_string()) return !str(*j).empty();
  if (j->is_array() || j->is_object()) return !j->empty();
  return true;
}

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

// Go's %v of one value, for messages.
std::string sprint_v(const json* j) {
  std::string out;
  fmt_value(out, j, Spec{}, 0);
  return out;
}

// fmt.Sprint (spaces between operands when neither is a string) or fmt.Sprintln.
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

int parse_num(std::string_view f, size_t& i) {
  int n = 0;
  for (; i < f.size() && is_digit(f[i]); ++i) n = std::min(n * 10 + (f[i] - '0'), kMaxWidth + 1);
  return n;
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

// ---------------------------------------------------------------------- comparisons

enum class Kind { Nil, Bool, Int, Float, String, Other };

Kind kind_of(const json* j) {
  if (!j || j->is_null()) return Kind::Nil;
  if (j->is_boolean()) return Kind::Bool;
  if (j->is_number_integer()) return Kind::Int;
  if (j->is_number_float()) return Kind::Float;
  if (j->is_string()) return Kind::String;
  return Kind::Other;
}

bool is_number(Kind k) {
  return k == Kind::Int || k == Kind::Float;
}

__int128 wide_int(const json& j) {
  if (j.is_number_unsigned()) return static_cast<__int128>(j.get<uint64_t>());
  return static_cast<__int128>(j.get<int64_t>());
}

// Go refuses to compare int with float64; JSON gives no say in which one a number is, so
// mixed numbers compare by value.
std::expected<bool, std::string> go_eq(const json* a, const json* b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (is_number(ka) && is_number(kb) && ka != kb) return a->get<double>() == b->get<double>();
  if (ka != kb) {
    if (ka != Kind::Nil && kb != Kind::Nil) {
      return std::unexpected(std::string("incompatible types for comparison"));
    }
    return false;
  }
  switch (ka) {
    case Kind::Nil:
      return true;
    case Kind::Bool:
      return a->get<bool>() == b->get<bool>();
    case Kind::Int:
      return wide_int(*a) == wide_int(*b);
    case Kind::Float:
      return a->get<double>() == b->get<double>();
    case Kind::String:
      return str(*a) == str(*b);
    default:
      return std::unexpected(fmt::format("non-comparable type {}: {}", sprint_v(a), type_name(a)));
  }
}

std::expected<bool, std::string> go_lt(const json* a, const json* b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  auto basic = [](Kind k) { return k != Kind::Nil && k != Kind::Other; };
  if (!basic(ka) || !basic(kb)) return std::unexpected(std::string("invalid type for comparison"));
  if (is_number(ka) && is_number(kb) && ka != kb) return a->get<double>() < b->get<double>();
  if (ka != kb) return std::unexpected(std::string("incompatible types for comparison"));
  switch (ka) {
    case Kind::Int:
      return wide_int(*a) < wide_int(*b);
    case Kind::Float:
      return a->get<double>() < b->get<double>();
    case Kind::String:
      return str(*a) < str(*b);
    default:
      return std::unexpected(std::string("invalid type for comparison"));
  }
}

// ---------------------------------------------------------------------- functions

struct CallError {
  std::string msg;
  bool wrap = true;  // a failure of the function itself: "error calling NAME: msg"
  int arg = -1;      // for an argument of the wrong type: which one
};
using CallResult = std::expected<Value, CallError>;
using Args = std::vector<Value>;

std::unexpected<CallError> call_error(std::string msg) {
  return std::unexpected(CallError{std::move(msg)});
}

std::expected<std::string_view, CallError> want_string(const Args& a, int i) {
  const json* j = a[static_cast<size_t>(i)].j;
  if (!j) return std::unexpected(CallError{"invalid value; expected string", false, i});
  if (!j->is_string()) {
    return std::unexpected(CallError{
        fmt::format("wrong type for value; expected string; got {}", type_name(j)), false, i});
  }
  return std::string_view(str(*j));
}

std::expected<int64_t, CallError> want_int(const Args& a, int i) {
  const json* j = a[static_cast<size_t>(i)].j;
  if (!j) return std::unexpected(CallError{"invalid value; expected int", false, i});
  std::optional<int64_t> v = j->is_number() ? as_int(*j) : std::nullopt;
  if (!v) {
    return std::unexpected(CallError{
        fmt::format("wrong type for value; expected int; got {}", type_name(j)), false, i});
  }
  return *v;
}

std::vector<const json*> operands(const Args& a, size_t from = 0) {
  std::vector<const json*> v;
  for (size_t i = from; i < a.size(); ++i) v.push_back(a[i].get());
  return v;
}

CallResult fn_not(Args& a) {
  return bool_value(!truth(a[0]));
}

CallResult fn_len(Args& a) {
  const json* j = a[0].get();
  // A nil slice or map has length 0 in Docker's typed structs; JSON null is one of those.
  if (!j) return int_value(0);
  if (j->is_string()) return int_value(static_cast<int64_t>(str(*j).size()));
  if (j->is_array() || j->is_object()) return int_value(static_cast<int64_t>(j->size()));
  return call_error(fmt::format("len of type {}", type_name(j)));
}

std::expected<size_t, std::string> index_arg(const Value& v, size_t len, bool allow_len) {
  const json* j = v.get();
  if (!j) return std::unexpected(std::string("cannot index slice/array with nil"));
  std::optional<int64_t> x = j->is_number() ? as_int(*j) : std::nullopt;
  if (!x)
    return std::unexpected(fmt::format("cannot index slice/array with type {}", type_name(j)));
  if (*x < 0 || static_cast<uint64_t>(*x) > len ||
      (!allow_len && static_cast<uint64_t>(*x) == len)) {
    return std::unexpected(fmt::format("index out of range: {}", *x));
  }
  return static_cast<size_t>(*x);
}

CallResult fn_index(Args& a) {
  Value item = a[0];
  if (!item.get()) return call_error("index of untyped nil");
  for (size_t k = 1; k < a.size(); ++k) {
    const json* j = item.get();
    if (!j) return call_error("index of nil pointer");
    if (j->is_array() || j->is_string()) {
      size_t len = j->is_array() ? j->size() : str(*j).size();
      auto x = index_arg(a[k], len, false);
      if (!x) return call_error(x.error());
      if (j->is_array()) {
        item = child(item, (*j)[*x]);
      } else {
        item = int_value(static_cast<unsigned char>(str(*j)[*x]));  // a string's byte
      }
    } else if (j->is_object()) {
      const json* key = a[k].get();
      if (!key) return call_error("value is nil; should be of type string");
      if (!key->is_string()) {
        return call_error(fmt::format("value has type {}; should be string", type_name(key)));
      }
      auto it = j->find(str(*key));
      // A missing key gives the map's zero value, a nil interface.
      item = it == j->end() ? Value{&null_json(), nullptr} : child(item, *it);
    } else {
      return call_error(fmt::format("can't index item of type {}", type_name(j)));
    }
  }
  return item;
}

CallResult fn_slice(Args& a) {
  const json* j = a[0].get();
  if (!j) return call_error("slice of untyped nil");
  if (a.size() > 4) return call_error(fmt::format("too many slice indexes: {}", a.size() - 1));
  size_t len = 0;
  if (j->is_string()) {
    if (a.size() == 4) return call_error("cannot 3-index slice a string");
    len = str(*j).size();
  } else if (j->is_array()) {
    len = j->size();
  } else {
    return call_error(fmt::format("can't slice item of type {}", type_name(j)));
  }
  size_t idx[3] = {0, len, len};
  for (size_t k = 1; k < a.size(); ++k) {
    auto x = index_arg(a[k], len, true);
    if (!x) return call_error(x.error());
    idx[k - 1] = *x;
  }
  if (idx[0] > idx[1])
    return call_error(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  if (a.size() == 4 && idx[1] > idx[2]) {
    return call_error(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  }
  if (j->is_string()) return string_value(str(*j).substr(idx[0], idx[1] - idx[0]));
  json out = json::array();
  for (size_t i = idx[0]; i < idx[1]; ++i) out.push_back((*j)[i]);
  return owned(std::move(out));
}

CallResult fn_eq(Args& a) {
  if (a.size() < 2) return call_error("missing argument for comparison");
  for (size_t k = 1; k < a.size(); ++k) {
    auto r = go_eq(a[0].get(), a[k].get());
    if (!r) return call_error(r.error());
    if (*r) return bool_value(true);
  }
  return bool_value(false);
}

CallResult fn_ne(Args& a) {
  auto r = go_eq(a[0].get(), a[1].get());
  if (!r) return call_error(r.error());
  return bool_value(!*r);
}

CallResult fn_lt(Args& a) {
  auto r = go_lt(a[0].get(), a[1].get());
  if (!r) return call_error(r.error());
  return bool_value(*r);
}

// lt or eq, as Go defines le.
std::expected<bool, std::string> go_le(const json* a, const json* b) {
  auto lt = go_lt(a, b);
  if (!lt || *lt) return lt;
  return go_eq(a, b);
}

CallResult fn_le(Args& a) {
  auto r = go_le(a[0].get(), a[1].get());
  if (!r) return call_error(r.error());
  return bool_value(*r);
}

CallResult fn_gt(Args& a) {
  auto r = go_le(a[0].get(), a[1].get());
  if (!r) return call_error(r.error());
  return bool_value(!*r);
}

CallResult fn_ge(Args& a) {
  auto r = go_lt(a[0].get(), a[1].get());
  if (!r) return call_error(r.error());
  return bool_value(!*r);
}

CallResult fn_print(Args& a) {
  return string_value(go_sprint(operands(a), false));
}

CallResult fn_println(Args& a) {
  return string_value(go_sprint(operands(a), true));
}

CallResult fn_printf(Args& a) {
  auto f = want_string(a, 0);
  if (!f) return std::unexpected(f.error());
  return string_value(go_sprintf(*f, operands(a, 1)));
}

// The text the escaping functions work on: a lone string, else fmt.Sprint of the args.
std::string escape_input(const Args& a) {
  if (a.size() == 1 && a[0].j && a[0].j->is_string()) return str(*a[0].j);
  return go_sprint(operands(a), false);
}

struct Replacement {
  char c;
  std::string_view with;
};

CallResult fn_html(Args& a) {
  static constexpr Replacement kEntities[] = {
      {'"', "&#34;"}, {'\'', "&#39;"}, {'&', "&amp;"},
      {'<', "&lt;"},  {'>', "&gt;"},   {'\0', "\uFFFD"},
  };
  std::string out;
  for (char c : escape_input(a)) {
    auto it = std::find_if(std::begin(kEntities), std::end(kEntities),
                           [&](const Replacement& e) { return e.c == c; });
    if (it == std::end(kEntities)) {
      out += c;
    } else {
      out += it->with;
    }
  }
  return string_value(std::move(out));
}

CallResult fn_js(Args& a) {
  static constexpr Replacement kEscapes[] = {
      {'\\', "\\\\"},   {'\'', "\\'"},    {'"', "\\\""},    {'<', "\\u003C"},
      {'>', "\\u003E"}, {'&', "\\u0026"}, {'=', "\\u003D"},
  };
  std::string s = escape_input(a), out;
  char32_t r;
  for (size_t i = 0; i < s.size();) {
    size_t n = decode_rune(s, i, &r);
    auto it = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                           [&](const Replacement& e) { return static_cast<char32_t>(e.c) == r; });
    if (it != std::end(kEscapes)) {
      out += it->with;
    } else if (r < ' ' || (r >= 0x80 && !is_print(r))) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned>(r));
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return string_value(std::move(out));
}

CallResult fn_urlquery(Args& a) {
  std::string out;
  for (unsigned char c : escape_input(a)) {
    if (is_ascii_alnum(c) && c != '_') {
      out += static_cast<char>(c);
    } else if (c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return string_value(std::move(out));
}

CallResult fn_json(Args& a) {
  std::string out;
  json_encode(out, a[0].get());
  return string_value(std::move(out));
}

CallResult fn_split(Args& a) {
  auto s = want_string(a, 0);
  if (!s) return std::unexpected(s.error());
  auto sep = want_string(a, 1);
  if (!sep) return std::unexpected(sep.error());
  json out = json::array();
  if (sep->empty()) {
    // strings.Split with an empty separator splits after each UTF-8 sequence.
    char32_t r;
    for (size_t i = 0; i < s->size();) {
      size_t n = decode_rune(*s, i, &r);
      out.push_back(std::string(s->substr(i, n)));
      i += n;
    }
    return owned(std::move(out));
  }
  size_t start = 0;
  for (;;) {
    size_t x = s->find(*sep, start);
    if (x == std::string_view::npos) break;
    out.push_back(std::string(s->substr(start, x - start)));
    start = x + sep->size();
  }
  out.push_back(std::string(s->substr(start)));
  return owned(std::move(out));
}

CallResult fn_join(Args& a) {
  const json* list = a[0].get();
  if (list && !list->is_array()) {
    return std::unexpected(CallError{
        fmt::format("wrong type for value; expected []string; got {}", type_name(list)), false, 0});
  }
  auto sep = want_string(a, 1);
  if (!sep) return std::unexpected(sep.error());
  std::string out;
  if (list) {
    bool first = true;
    for (const json& e : *list) {
      if (!first) out += *sep;
      first = false;
      // Go wants []string; other elements print as %v rather than failing.
      if (e.is_string()) {
        out += str(e);
      } else {
        fmt_value(out, &e, Spec{}, 0);
      }
    }
  }
  return string_value(std::move(out));
}

// Simple case mapping for ASCII, Latin-1, Greek and Cyrillic; other runes stay as they are.
char32_t to_upper(char32_t r) {
  if (r >= 'a' && r <= 'z') return r - 0x20;
  if (r >= 0xE0 && r <= 0xFE && r != 0xF7) return r - 0x20;
  if (r == 0xFF) return 0x178;
  if (r == 0xB5) return 0x39C;
  if (r == 0x3C2) return 0x3A3;  // final sigma
  if (r >= 0x3B1 && r <= 0x3C9) return r - 0x20;
  if (r >= 0x430 && r <= 0x44F) return r - 0x20;
  if (r >= 0x450 && r <= 0x45F) return r - 0x50;
  return r;
}

char32_t to_lower(char32_t r) {
  if (r >= 'A' && r <= 'Z') return r + 0x20;
  if (r >= 0xC0 && r <= 0xDE && r != 0xD7) return r + 0x20;
  if (r == 0x178) return 0xFF;
  if (r >= 0x391 && r <= 0x3A9 && r != 0x3A2) return r + 0x20;
  if (r >= 0x410 && r <= 0x42F) return r + 0x20;
  if (r >= 0x400 && r <= 0x40F) return r + 0x50;
  return r;
}

// Maps each rune of s; bytes that are not UTF-8 pass through.
template <typename Map>
std::string map_runes(std::string_view s, Map map) {
  std::string out;
  char32_t r;
  for (size_t i = 0; i < s.size();) {
    size_t n = decode_rune(s, i, &r);
    if (n == 1 && r == kRuneError) {
      out += s[i];
    } else {
      append_rune(out, map(r));
    }
    i += n;
  }
  return out;
}

// strings.Title: upper-cases each letter that follows a separator, which is anything but
// a letter, a digit or '_'.
CallResult fn_title(Args& a) {
  auto s = want_string(a, 0);
  if (!s) return std::unexpected(s.error());
  char32_t prev = ' ';
  return string_value(map_runes(*s, [&](char32_t r) {
    bool after_separator = prev < 0x80 && !is_ascii_alnum(prev);
    prev = r;
    return after_separator ? to_upper(r) : r;
  }));
}

CallResult change_case(Args& a, bool upper) {
  auto s = want_string(a, 0);
  if (!s) return std::unexpected(s.error());
  return string_value(map_runes(*s, upper ? to_upper : to_lower));
}

CallResult fn_lower(Args& a) {
  return change_case(a, false);
}

CallResult fn_upper(Args& a) {
  return change_case(a, true);
}

// docker's padWithSpace: an empty string stays empty, so absent columns take no room.
CallResult fn_pad(Args& a) {
  auto s = want_string(a, 0);
  if (!s) return std::unexpected(s.error());
  auto left = want_int(a, 1);
  if (!left) return std::unexpected(left.error());
  auto right = want_int(a, 2);
  if (!right) return std::unexpected(right.error());
  if (*left < 0 || *right < 0) return call_error("strings: negative Repeat count");
  if (*left > kMaxWidth || *right > kMaxWidth)
    return call_error("strings: Repeat output too large");
  if (s->empty()) return string_value("");
  return string_value(std::string(static_cast<size_t>(*left), ' ') + std::string(*s) +
                      std::string(static_cast<size_t>(*right), ' '));
}

// docker's truncateWithLength: cuts bytes, as Go's s[:n] does.
CallResult fn_truncate(Args& a) {
  auto s = want_string(a, 0);
  if (!s) return std::unexpected(s.error());
  auto n = want_int(a, 1);
  if (!n) return std::unexpected(n.error());
  if (static_cast<int64_t>(s->size()) < *n) return string_value(std::string(*s));
  if (*n < 0) return call_error(fmt::format("slice bounds out of range [:{}]", *n));
  return string_value(std::string(s->substr(0, static_cast<size_t>(*n))));
}

struct Builtin {
  std::string_view name;
  size_t min_args;
  bool variadic;
  CallResult (*fn)(Args&);  // nullptr: and/or, which the executor evaluates lazily
};

constexpr Builtin kBuiltins[] = {
    // Go's text/template builtins.
    {"and", 1, true, nullptr},
    {"or", 1, true, nullptr},
    {"not", 1, false, fn_not},
    {"len", 1, false, fn_len},
    {"index", 1, true, fn_index},
    {"slice", 1, true, fn_slice},
    {"eq", 1, true, fn_eq},
    {"ne", 2, false, fn_ne},
    {"lt", 2, false, fn_lt},
    {"le", 2, false, fn_le},
    {"gt", 2, false, fn_gt},
    {"ge", 2, false, fn_ge},
    {"print", 0, true, fn_print},
    {"printf", 1, true, fn_printf},
    {"println", 0, true, fn_println},
    {"html", 0, true, fn_html},
    {"js", 0, true, fn_js},
    {"urlquery", 0, true, fn_urlquery},
    // docker/cli's templates.basicFunctions.
    {"json", 1, false, fn_json},
    {"split", 2, false, fn_split},
    {"join", 2, false, fn_join},
    {"title", 1, false, fn_title},
    {"lower", 1, false, fn_lower},
    {"upper", 1, false, fn_upper},
    {"pad", 3, false, fn_pad},
    {"truncate", 2, false, fn_truncate},
};

const Builtin* find_builtin(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

// ---------------------------------------------------------------------- lexer

enum class Tok {
  Error,
  Eof,
  Text,
  LeftDelim,
  RightDelim,
  Space,
  Field,
  Variable,
  Identifier,
  String,
  RawString,
  CharConst,
  Number,
  Bool,
  Pipe,
  Declare,
  Assign,
  LeftParen,
  RightParen,
  Char,
  // Keywords: Go's messages show these as <word>.
  Dot,
  Nil,
  Block,
  Break,
  Continue,
  Define,
  Else,
  End,
  If,
  Range,
  Template,
  With,
};

struct Token {
  Tok type;
  std::string val;
  size_t pos;
};

// Splits the whole template into tokens up front; a lexical error becomes the last token,
// so the parser reports earlier errors first, as Go's concurrent lexer makes it do.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}
  std::vector<Token> run();

 private:
  bool at(size_t p, std::string_view s) const {
    return p <= in_.size() && in_.substr(p).starts_with(s);
  }
  bool left_trim(size_t p) const {
    return at(p, "-") && p + 1 < in_.size() && is_space(in_[p + 1]);
  }
  bool right_trim(size_t p) const { return p < in_.size() && is_space(in_[p]) && at(p + 1, "-}}"); }
  bool at_right_delim(size_t p) const { return right_trim(p) || at(p, "}}"); }
  bool at_terminator(size_t p) const {
    if (p >= in_.size()) return true;
    char c = in_[p];
    return is_space(c) || std::string_view(".,|:()").find(c) != std::string_view::npos ||
           at(p, "}}");
  }
  void emit(Tok t, size_t start, size_t end) {
    toks_.push_back({t, std::string(in_.substr(start, end - start)), start});
  }
  bool error(size_t p, std::string msg) {
    toks_.push_back({Tok::Error, std::move(msg), p});
    return false;
  }
  bool bad_character(size_t p) {
    char32_t r;
    decode_rune(in_, p, &r);
    return error(p, "bad character " + char_desc(r));
  }

  bool comment(size_t& p);
  bool action(size_t& p);
  bool field_or_variable(size_t& p, Tok type);
  bool identifier(size_t& p);
  bool number(size_t& p);
  bool quoted(size_t& p, char quote, const char* unterminated);

  std::string_view in_;
  std::vector<Token> toks_;
};

std::vector<Token> Lexer::run() {
  size_t pos = 0;
  for (;;) {
    size_t x = in_.find("{{", pos);
    if (x == std::string_view::npos) {
      if (pos < in_.size()) emit(Tok::Text, pos, in_.size());
      toks_.push_back({Tok::Eof, "", in_.size()});
      return std::move(toks_);
    }
    bool trim = left_trim(x + 2);
    size_t end = x;
    if (trim) {
      while (end > pos && is_space(in_[end - 1])) --end;
    }
    if (end > pos) emit(Tok::Text, pos, end);
    size_t p = x + 2 + (trim ? 2 : 0);
    bool ok;
    if (at(p, "/*")) {
      ok = comment(p);
    } else {
      toks_.push_back({Tok::LeftDelim, "{{", x});
      ok = action(p);
    }
    if (!ok) return std::move(toks_);
    pos = p;
  }
}

// Past the closing delimiter, and past the following white space for " -}}".
void skip_right_delim(std::string_view in, size_t& p, bool trim) {
  p += trim ? 4 : 2;
  if (trim) {
    while (p < in.size() && is_space(in[p])) ++p;
  }
}

bool Lexer::comment(size_t& p) {
  size_t e = in_.find("*/", p + 2);
  if (e == std::string_view::npos) return error(p, "unclosed comment");
  p = e + 2;
  if (!at_right_delim(p)) return error(p, "comment ends before closing delimiter");
  skip_right_delim(in_, p, right_trim(p));
  return true;
}

bool Lexer::action(size_t& p) {
  int parens = 0;
  for (;;) {
    if (at_right_delim(p)) {
      if (parens > 0) return error(p, "unclosed left paren");
      toks_.push_back({Tok::RightDelim, "}}", p});
      skip_right_delim(in_, p, right_trim(p));
      return true;
    }
    if (p >= in_.size()) return error(p, "unclosed action");
    size_t start = p;
    char c = in_[p];
    if (is_space(c)) {
      while (p < in_.size() && is_space(in_[p]) && !right_trim(p)) ++p;
      emit(Tok::Space, start, p);
      continue;
    }
    switch (c) {
      case '=':
        emit(Tok::Assign, start, ++p);
        continue;
      case ':':
        if (!at(p + 1, "=")) return error(p, "expected :=");
        p += 2;
        emit(Tok::Declare, start, p);
        continue;
      case '|':
        emit(Tok::Pipe, start, ++p);
        continue;
      case '"':
        if (!quoted(p, '"', "unterminated quoted string")) return false;
        emit(Tok::String, start, p);
        continue;
      case '\'':
        if (!quoted(p, '\'', "unterminated character constant")) return false;
        emit(Tok::CharConst, start, p);
        continue;
      case '`': {
        size_t e = in_.find('`', p + 1);
        if (e == std::string_view::npos) return error(p, "unterminated raw quoted string");
        p = e + 1;
        emit(Tok::RawString, start, p);
        continue;
      }
      case '$':
        if (!field_or_variable(p, Tok::Variable)) return false;
        continue;
      case '(':
        ++parens;
        emit(Tok::LeftParen, start, ++p);
        continue;
      case ')':
        if (--parens < 0) return error(p, "unexpected right paren");
        emit(Tok::RightParen, start, ++p);
        continue;
      case '.':
        // ".5" is a number; anything else after a dot is a field.
        if (p + 1 >= in_.size() || !is_digit(in_[p + 1])) {
          if (!field_or_variable(p, Tok::Field)) return false;
          continue;
        }
        break;
      default:
        break;
    }
    if (c == '+' || c == '-' || c == '.' || is_digit(c)) {
      if (!number(p)) return false;
      continue;
    }
    if (is_alnum(c)) {
      if (!identifier(p)) return false;
      continue;
    }
    if (c >= 0x20 && c < 0x7F) {
      emit(Tok::Char, start, ++p);
      continue;
    }
    char32_t r;
    decode_rune(in_, p, &r);
    return error(p, "unrecognized character in action: " + char_desc(r));
  }
}

bool Lexer::field_or_variable(size_t& p, Tok type) {
  size_t start = p++;
  if (at_terminator(p)) {
    emit(type == Tok::Field ? Tok::Dot : Tok::Variable, start, p);
    return true;
  }
  while (p < in_.size() && is_alnum(in_[p])) ++p;
  if (!at_terminator(p)) return bad_character(p);
  emit(type, start, p);
  return true;
}

bool Lexer::identifier(size_t& p) {
  size_t start = p;
  while (p < in_.size() && is_alnum(in_[p])) ++p;
  if (!at_terminator(p)) return bad_character(p);
  static constexpr std::pair<std::string_view, Tok> kWords[] = {
      {"block", Tok::Block},
      {"break", Tok::Break},
      {"continue", Tok::Continue},
      {"define", Tok::Define},
      {"else", Tok::Else},
      {"end", Tok::End},
      {"if", Tok::If},
      {"range", Tok::Range},
      {"nil", Tok::Nil},
      {"template", Tok::Template},
      {"with", Tok::With},
      {"true", Tok::Bool},
      {"false", Tok::Bool},
  };
  std::string_view word = in_.substr(start, p - start);
  Tok type = Tok::Identifier;
  for (const auto& [w, t] : kWords) {
    if (w == word) type = t;
  }
  emit(type, start, p);
  return true;
}

// Go's scanNumber: a lenient scan; the parser decides whether the text is a number.
bool Lexer::number(size_t& p) {
  size_t start = p;
  auto accept = [&](std::string_view set) {
    if (p < in_.size() && set.find(in_[p]) != std::string_view::npos) {
      ++p;
      return true;
    }
    return false;
  };
  auto accept_run = [&](std::string_view set) {
    while (accept(set)) {
    }
  };
  constexpr std::string_view kDecimal = "0123456789_";
  constexpr std::string_view kHex = "0123456789abcdefABCDEF_";
  accept("+-");
  std::string_view digits = kDecimal;
  if (accept("0")) {
    if (accept("xX")) {
      digits = kHex;
    } else if (accept("oO")) {
      digits = "01234567_";
    } else if (accept("bB")) {
      digits = "01_";
    }
  }
  accept_run(digits);
  if (accept(".")) accept_run(digits);
  if (digits == kDecimal && accept("eE")) {
    accept("+-");
    accept_run(kDecimal);
  }
  if (digits == kHex && accept("pP")) {
    accept("+-");
    accept_run(kDecimal);
  }
  accept("i");
  if (p < in_.size() && is_alnum(in_[p])) {
    ++p;
    return error(start, "bad number syntax: " + go_quote(in_.substr(start, p - start)));
  }
  emit(Tok::Number, start, p);
  return true;
}

bool Lexer::quoted(size_t& p, char quote, const char* unterminated) {
  ++p;
  for (;;) {
    if (p >= in_.size() || in_[p] == '\n') return error(p, unterminated);
    char c = in_[p++];
    if (c == '\\') {
      if (p >= in_.size() || in_[p] == '\n') return error(p, unterminated);
      ++p;
    } else if (c == quote) {
      return true;
    }
  }
}

// ---------------------------------------------------------------------- syntax tree

struct Pipe;

enum class ArgKind { Dot, Nil, Literal, Field, Variable, Func, Pipe, Chain };

struct Arg {
  ArgKind kind = ArgKind::Dot;
  size_t pos = 0;
  std::string name;                 // Variable: "$x"; Func: the function
  std::string text;                 // Literal: the source text, for messages
  json lit;                         // Literal: the bool, number or string
  std::vector<std::string> fields;  // Field, Variable, Chain: .A.B is {"A", "B"}
  std::unique_ptr<Pipe> pipe;       // Pipe: a parenthesized pipeline
  std::unique_ptr<Arg> base;        // Chain: what (...).A.B applies its fields to
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;         // $x = ..., not $x := ...
  std::vector<std::string> decl;  // the variables it declares or assigns
  std::vector<Command> cmds;
};

// End and Else only pass from the parser's item lists to the control that owns them.
enum class NodeKind { Text, Action, If, Range, With, Break, Continue, End, Else };

struct Node {
  NodeKind kind = NodeKind::Text;
  size_t pos = 0;
  std::string text;
  std::unique_ptr<Pipe> pipe;
  std::vector<Node> list, else_list;
};

Node make_node(NodeKind kind, size_t pos) {
  Node n;
  n.kind = kind;
  n.pos = pos;
  return n;
}

std::string pipe_string(const Pipe& p);

std::string join_fields(const std::vector<std::string>& fields) {
  std::string s;
  for (const std::string& f : fields) s += "." + f;
  return s;
}

// Go's Node.String(), which execution errors quote.
std::string arg_string(const Arg& a) {
  switch (a.kind) {
    case ArgKind::Dot:
      return ".";
    case ArgKind::Nil:
      return "nil";
    case ArgKind::Literal:
      return a.text;
    case ArgKind::Field:
      return join_fields(a.fields);
    case ArgKind::Variable:
      return a.name + join_fields(a.fields);
    case ArgKind::Func:
      return a.name;
    case ArgKind::Pipe:
      return "(" + pipe_string(*a.pipe) + ")";
    case ArgKind::Chain:
      return arg_string(*a.base) + join_fields(a.fields);
  }
  return "";
}

std::string command_string(const Command& c) {
  std::string s;
  for (const Arg& a : c.args) {
    if (!s.empty()) s += ' ';
    s += arg_string(a);
  }
  return s;
}

std::string pipe_string(const Pipe& p) {
  std::string s;
  for (size_t i = 0; i < p.decl.size(); ++i) s += (i > 0 ? ", " : "") + p.decl[i];
  if (!p.decl.empty()) s += p.is_assign ? " = " : " := ";
  for (size_t i = 0; i < p.cmds.size(); ++i) s += (i > 0 ? " | " : "") + command_string(p.cmds[i]);
  return s;
}

// ---------------------------------------------------------------------- parser

// One character of a Go string or rune literal: its value, and whether it is a raw byte
// (\x.., octal) rather than a rune to encode as UTF-8.
struct QuotedChar {
  char32_t value;
  bool byte;
};

std::optional<QuotedChar> unquote_char(std::string_view s, size_t& i, char quote) {
  if (i >= s.size()) return std::nullopt;
  if (s[i] != '\\') {
    char32_t r;
    i += decode_rune(s, i, &r);
    return QuotedChar{r, false};
  }
  if (++i >= s.size()) return std::nullopt;
  char c = s[i++];
  auto hex = [&](int n) -> std::optional<char32_t> {
    if (i + static_cast<size_t>(n) > s.size()) return std::nullopt;
    char32_t v = 0;
    for (int k = 0; k < n; ++k) {
      int d = hex_value(s[i++]);
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<char32_t>(d);
    }
    return v;
  };
  if (char e = escaped_char(c)) return QuotedChar{static_cast<char32_t>(e), false};
  if (c == '\\' || c == quote) return QuotedChar{static_cast<char32_t>(c), false};
  if (c == 'x' || c == 'u' || c == 'U') {
    std::optional<char32_t> v = hex(c == 'x' ? 2 : c == 'u' ? 4 : 8);
    if (!v || *v > 0x10FFFF || (*v >= 0xD800 && *v <= 0xDFFF)) return std::nullopt;
    return QuotedChar{*v, c == 'x'};
  }
  if (c < '0' || c > '7') return std::nullopt;
  char32_t v = static_cast<char32_t>(c - '0');
  for (int k = 0; k < 2; ++k) {
    if (i >= s.size() || s[i] < '0' || s[i] > '7') return std::nullopt;
    v = v * 8 + static_cast<char32_t>(s[i++] - '0');
  }
  if (v > 255) return std::nullopt;
  return QuotedChar{v, true};
}

std::optional<std::string> unquote(const Token& t) {
  std::string_view body = std::string_view(t.val).substr(1, t.val.size() - 2);
  std::string out;
  if (t.type == Tok::RawString) {
    for (char c : body) {
      if (c != '\r') out += c;  // as strconv.Unquote drops them
    }
    return out;
  }
  for (size_t i = 0; i < body.size();) {
    auto c = unquote_char(body, i, '"');
    if (!c) return std::nullopt;
    if (c->byte) {
      out += static_cast<char>(c->value);
    } else {
      append_rune(out, c->value);
    }
  }
  return out;
}

// How Go's messages show a token: "x", <keyword>, EOF.
std::string token_string(const Token& t) {
  if (t.type == Tok::Eof) return "EOF";
  if (t.type == Tok::Error) return t.val;
  if (t.type >= Tok::Dot) return "<" + t.val + ">";
  if (rune_count(t.val) > 10) return go_quote(first_runes(t.val, 10)) + "...";
  return go_quote(t.val);
}

bool starts_operand(Tok t) {
  switch (t) {
    case Tok::Bool:
    case Tok::CharConst:
    case Tok::Dot:
    case Tok::Field:
    case Tok::Identifier:
    case Tok::Number:
    case Tok::Nil:
    case Tok::RawString:
    case Tok::String:
    case Tok::Variable:
    case Tok::LeftParen:
      return true;
    default:
      return false;
  }
}

// Recursive descent after Go's text/template/parse, with the same error messages.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> toks) : text_(text), toks_(std::move(toks)) {}

  Result<std::vector<Node>> parse();

 private:
  // Past the end, next() keeps returning the final Eof or Error token.
  const Token& next() {
    const Token& t = toks_[std::min(i_, toks_.size() - 1)];
    ++i_;
    return t;
  }
  void backup() { --i_; }
  const Token& peek() const { return toks_[std::min(i_, toks_.size() - 1)]; }
  const Token& next_non_space() {
    for (;;) {
      const Token& t = next();
      if (t.type != Tok::Space) return t;
    }
  }
  const Token& peek_non_space() {
    const Token& t = next_non_space();
    backup();
    return t;
  }

  std::unexpected<Error> error_at(size_t pos, std::string_view msg) const {
    return fail(ErrorKind::InvalidArgument, "template: :{}: {}", line_of(text_, pos), msg);
  }
  std::unexpected<Error> unexpected(const Token& t, std::string_view context) const;

  Result<Node> text_or_action();
  Result<Node> action();
  Result<Node> item_list(std::vector<Node>& list);
  Result<Node> control(const Token& keyword);
  Result<Node> loop_control(const Token& keyword);
  Result<Node> else_control();
  Result<std::unique_ptr<Pipe>> pipeline(std::string_view context, Tok end);
  Status check_pipeline(const Pipe& pipe, std::string_view context, size_t pos) const;
  Result<Command> command();
  Result<std::optional<Arg>> operand();
  Result<std::optional<Arg>> term();
  Result<json> number(const Token& t) const;

  std::string_view text_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  std::vector<std::string> vars_{"$"};  // variables in scope
  int range_depth_ = 0;                 // for {{break}} and {{continue}}
  int nesting_ = 0;
  int action_line_ = 0;  // where the action being parsed started, for lexer errors
};

std::unexpected<Error> Parser::unexpected(const Token& t, std::string_view context) const {
  if (t.type == Tok::Error) {
    std::string msg = t.val;
    int line = line_of(text_, t.pos);
    if (action_line_ != 0 && action_line_ != line) {
      // "unclosed action started at :1" rather than "... action in action started at".
      msg += msg.ends_with(" action") ? "" : " in action";
      msg += fmt::format(" started at :{}", action_line_);
    }
    return error_at(t.pos, msg);
  }
  return error_at(t.pos, fmt::format("unexpected {} in {}", token_string(t), context));
}

Result<std::vector<Node>> Parser::parse() {
  std::vector<Node> root;
  while (peek().type != Tok::Eof) {
    BERTH_ASSIGN(Node n, text_or_action());
    if (n.kind == NodeKind::End) return error_at(n.pos, "unexpected {{end}}");
    if (n.kind == NodeKind::Else) return error_at(n.pos, "unexpected {{else}}");
    root.push_back(std::move(n));
  }
  return root;
}

Result<Node> Parser::item_list(std::vector<Node>& list) {
  while (peek_non_space().type != Tok::Eof) {
    BERTH_ASSIGN(Node n, text_or_action());
    if (n.kind == NodeKind::End || n.kind == NodeKind::Else) return n;
    list.push_back(std::move(n));
  }
  return error_at(peek().pos, "unexpected EOF");
}

Result<Node> Parser::text_or_action() {
  const Token& t = next_non_space();
  if (t.type == Tok::Text) {
    Node n = make_node(NodeKind::Text, t.pos);
    n.text = t.val;
    return n;
  }
  if (t.type != Tok::LeftDelim) return unexpected(t, "input");
  int outer = action_line_;
  action_line_ = line_of(text_, t.pos);
  Result<Node> n = action();
  action_line_ = outer;
  return n;
}

Result<Node> Parser::action() {
  const Token& t = next_non_space();
  switch (t.type) {
    case Tok::Block:
    case Tok::Define:
    case Tok::Template:
      return error_at(t.pos, "{{" + t.val + "}} is not supported");
    case Tok::Break:
    case Tok::Continue:
      return loop_control(t);
    case Tok::Else:
      return else_control();
    case Tok::End: {
      const Token& d = next_non_space();
      if (d.type != Tok::RightDelim) return unexpected(d, "end");
      return make_node(NodeKind::End, t.pos);
    }
    case Tok::If:
    case Tok::Range:
    case Tok::With:
      return control(t);
    default:
      break;
  }
  backup();
  size_t pos = peek().pos;
  BERTH_ASSIGN(std::unique_ptr<Pipe> pipe, pipeline("command", Tok::RightDelim));
  Node n = make_node(NodeKind::Action, pos);
  n.pipe = std::move(pipe);
  return n;
}

Result<Node> Parser::control(const Token& keyword) {
  if (++nesting_ > kMaxNesting) return error_at(keyword.pos, "template nests too deeply");
  NodeKind kind = keyword.type == Tok::If      ? NodeKind::If
                  : keyword.type == Tok::Range ? NodeKind::Range
                                               : NodeKind::With;
  // Variables declared in the control's pipeline or body end with it.
  size_t nvars = vars_.size();
  BERTH_ASSIGN(std::unique_ptr<Pipe> pipe, pipeline(keyword.val, Tok::RightDelim));
  Node n = make_node(kind, pipe->pos);
  n.pipe = std::move(pipe);
  if (kind == NodeKind::Range) ++range_depth_;
  BERTH_ASSIGN(Node next, item_list(n.list));
  if (kind == NodeKind::Range) --range_depth_;
  if (next.kind == NodeKind::Else) {
    Tok chained = kind == NodeKind::If ? Tok::If : kind == NodeKind::With ? Tok::With : Tok::Eof;
    if (chained != Tok::Eof && peek().type == chained) {
      // {{else if p}} is {{else}}{{if p}}...{{end}}{{end}} with the inner {{end}} implied.
      const Token& inner_keyword = this->next();
      BERTH_ASSIGN(Node inner, control(inner_keyword));
      n.else_list.push_back(std::move(inner));
    } else {
      BERTH_ASSIGN(Node end, item_list(n.else_list));
      if (end.kind != NodeKind::End) return error_at(end.pos, "expected end; found {{else}}");
    }
  }
  vars_.resize(nvars);
  --nesting_;
  return n;
}

Result<Node> Parser::loop_control(const Token& keyword) {
  const Token& t = next_non_space();
  if (t.type != Tok::RightDelim) return unexpected(t, "{{" + keyword.val + "}}");
  if (range_depth_ == 0) return error_at(keyword.pos, "{{" + keyword.val + "}} outside {{range}}");
  return make_node(keyword.type == Tok::Break ? NodeKind::Break : NodeKind::Continue, keyword.pos);
}

Result<Node> Parser::else_control() {
  // "else if" and "else with" leave the keyword for the enclosing control to chain.
  const Token& p = peek_non_space();
  if (p.type == Tok::If || p.type == Tok::With) return make_node(NodeKind::Else, p.pos);
  const Token& t = next_non_space();
  if (t.type != Tok::RightDelim) return unexpected(t, "else");
  return make_node(NodeKind::Else, t.pos);
}

Result<std::unique_ptr<Pipe>> Parser::pipeline(std::string_view context, Tok end) {
  auto pipe = std::make_unique<Pipe>();
  pipe->pos = peek_non_space().pos;
  // Declarations: "$x :=", "$x =", and for range "$i, $v :=".
  for (;;) {
    const Token& v = peek_non_space();
    if (v.type != Tok::Variable) break;
    size_t save = i_;
    next();
    const Token& n = peek_non_space();
    if (n.type == Tok::Assign || n.type == Tok::Declare) {
      pipe->is_assign = n.type == Tok::Assign;
      next_non_space();
      pipe->decl.push_back(v.val);
      vars_.push_back(v.val);
      break;
    }
    if (n.type == Tok::Char && n.val == ",") {
      next_non_space();
      pipe->decl.push_back(v.val);
      vars_.push_back(v.val);
      if (context == "range" && pipe->decl.size() < 2) {
        Tok after = peek_non_space().type;
        if (after == Tok::Variable || after == Tok::RightDelim || after == Tok::RightParen)
          continue;
        return error_at(n.pos, "range can only initialize variables");
      }
      return error_at(n.pos, fmt::format("too many declarations in {}", context));
    }
    i_ = save;  // a variable used as an operand
    break;
  }
  for (;;) {
    const Token& t = next_non_space();
    if (t.type == end) {
      BERTH_TRY(check_pipeline(*pipe, context, t.pos));
      return pipe;
    }
    if (!starts_operand(t.type)) return unexpected(t, context);
    backup();
    BERTH_ASSIGN(Command c, command());
    pipe->cmds.push_back(std::move(c));
  }
}

Status Parser::check_pipeline(const Pipe& pipe, std::string_view context, size_t pos) const {
  if (pipe.cmds.empty()) return error_at(pos, fmt::format("missing value for {}", context));
  // Only the first command may be a plain value: "A | B" passes A to B as an argument.
  for (size_t k = 1; k < pipe.cmds.size(); ++k) {
    ArgKind a = pipe.cmds[k].args[0].kind;
    if (a == ArgKind::Literal || a == ArgKind::Dot || a == ArgKind::Nil) {
      return error_at(pipe.cmds[k].pos,
                      fmt::format("non executable command in pipeline stage {}", k + 1));
    }
  }
  return ok();
}

Result<Command> Parser::command() {
  Command cmd;
  cmd.pos = peek_non_space().pos;
  for (;;) {
    peek_non_space();
    BERTH_ASSIGN(std::optional<Arg> op, operand());
    if (op) cmd.args.push_back(std::move(*op));
    const Token& t = next();
    if (t.type == Tok::Space) continue;
    if (t.type == Tok::RightDelim || t.type == Tok::RightParen) {
      backup();
      break;
    }
    if (t.type == Tok::Pipe) break;
    return unexpected(t, "operand");
  }
  if (cmd.args.empty()) return error_at(cmd.pos, "empty command");
  return cmd;
}

Result<std::optional<Arg>> Parser::operand() {
  BERTH_ASSIGN(std::optional<Arg> term, this->term());
  if (!term || peek().type != Tok::Field) return term;
  // Fields right after a term, without a space: .A.B, $x.A, (pipeline).A
  size_t pos = peek().pos;
  std::vector<std::string> fields;
  while (peek().type == Tok::Field) fields.push_back(next().val.substr(1));
  switch (term->kind) {
    case ArgKind::Field:
    case ArgKind::Variable:
      term->fields.insert(term->fields.end(), fields.begin(), fields.end());
      term->pos = pos;
      return term;
    case ArgKind::Literal:
    case ArgKind::Nil:
    case ArgKind::Dot:
      return error_at(pos, "unexpected . after term " + go_quote(arg_string(*term)));
    default: {
      Arg chain;
      chain.kind = ArgKind::Chain;
      chain.pos = pos;
      chain.fields = std::move(fields);
      chain.base = std::make_unique<Arg>(std::move(*term));
      return std::optional<Arg>(std::move(chain));
    }
  }
}

Result<std::optional<Arg>> Parser::term() {
  const Token& t = next_non_space();
  Arg a;
  a.pos = t.pos;
  switch (t.type) {
    case Tok::Error:
      return unexpected(t, "operand");
    case Tok::Identifier:
      if (!find_builtin(t.val)) {
        return error_at(t.pos, fmt::format("function {} not defined", go_quote(t.val)));
      }
      a.kind = ArgKind::Func;
      a.name = t.val;
      break;
    case Tok::Dot:
      a.kind = ArgKind::Dot;
      break;
    case Tok::Nil:
      a.kind = ArgKind::Nil;
      break;
    case Tok::Variable:
      if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
        return error_at(t.pos, fmt::format("undefined variable {}", go_quote(t.val)));
      }
      a.kind = ArgKind::Variable;
      a.name = t.val;
      break;
    case Tok::Field:
      a.kind = ArgKind::Field;
      a.fields.push_back(t.val.substr(1));
      break;
    case Tok::Bool:
      a.kind = ArgKind::Literal;
      a.text = t.val;
      a.lit = t.val == "true";
      break;
    case Tok::CharConst:
    case Tok::Number: {
      a.kind = ArgKind::Literal;
      a.text = t.val;
      BERTH_ASSIGN(a.lit, number(t));
      break;
    }
    case Tok::String:
    case Tok::RawString: {
      std::optional<std::string> s = unquote(t);
      if (!s) return error_at(t.pos, "invalid syntax");
      a.kind = ArgKind::Literal;
      a.text = t.val;
      a.lit = std::move(*s);
      break;
    }
    case Tok::LeftParen: {
      if (++nesting_ > kMaxNesting) return error_at(t.pos, "template nests too deeply");
      a.kind = ArgKind::Pipe;
      BERTH_ASSIGN(a.pipe, pipeline("parenthesized pipeline", Tok::RightParen));
      --nesting_;
      break;
    }
    default:
      backup();
      return std::optional<Arg>();
  }
  return std::optional<Arg>(std::move(a));
}

// Go's number syntax; like Go, a number with '.' or an exponent is a float, else an int.
Result<json> Parser::number(const Token& t) const {
  auto illegal = [&] { return error_at(t.pos, "illegal number syntax: " + go_quote(t.val)); };
  if (t.type == Tok::CharConst) {
    std::string_view body = std::string_view(t.val).substr(1, t.val.size() - 2);
    size_t i = 0;
    std::optional<QuotedChar> c = unquote_char(body, i, '\'');
    if (!c || i != body.size()) return error_at(t.pos, "malformed character constant: " + t.val);
    return json(static_cast<int64_t>(c->value));
  }
  std::string s;
  for (char c : t.val) {
    if (c != '_') s += c;
  }
  bool neg = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.erase(0, 1);
  if (s.empty() || s.back() == 'i') return illegal();  // complex numbers: not supported
  const char* end = s.data() + s.size();
  int base = 10;
  size_t skip = 0;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16;
    if (p == 'o') base = 8;
    if (p == 'b') base = 2;
    if (base != 10) skip = 2;
  }
  if (base == 16 && s.find_first_of(".pP") != std::string::npos) return illegal();  // hex float
  if (base == 10 && s.find_first_of(".eE") != std::string::npos) {
    double d;
    auto [p, ec] = std::from_chars(s.data(), end, d);
    if (ec != std::errc() || p != end) return illegal();
    return json(neg ? -d : d);
  }
  uint64_t u = 0;
  auto parse = [&](size_t from, int b) {
    auto [p, ec] = std::from_chars(s.data() + from, end, u, b);
    if (ec == std::errc::result_out_of_range) return std::errc::result_out_of_range;
    return from < s.size() && p == end && ec == std::errc() ? std::errc()
                                                            : std::errc::invalid_argument;
  };
  std::errc ec = std::errc::invalid_argument;
  if (base == 10 && s.size() > 1 && s[0] == '0') ec = parse(1, 8);  // 017 is octal, as in Go
  if (ec == std::errc::invalid_argument) ec = parse(skip, base);
  if (ec == std::errc::result_out_of_range) return error_at(t.pos, t.val + " overflows int");
  if (ec != std::errc()) return illegal();
  constexpr uint64_t kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (u > kMaxInt + (neg ? 1 : 0)) return error_at(t.pos, t.val + " overflows int");
  if (neg)
    return json(u == kMaxInt + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(u));
  return json(static_cast<int64_t>(u));
}

// ---------------------------------------------------------------------- executor

enum class Flow { Normal, Break, Continue };

class Exec {
 public:
  Exec(std::string_view text, const json& data) : text_(text), data_(data) {}

  Result<std::string> run(const std::vector<Node>& root) {
    Value dot{&data_, nullptr};
    vars_.emplace_back("$", dot);
    BERTH_TRY(walk_list(root, dot));
    return std::move(out_);
  }

 private:
  std::unexpected<Error> fail_at(size_t pos, std::string_view context, std::string_view msg) const;

  Result<Flow> walk_list(const std::vector<Node>& list, const Value& dot);
  Result<Flow> walk(const Node& n, const Value& dot);
  Result<Flow> walk_range(const Node& n, const Value& dot);
  Result<Value> eval_pipeline(const Pipe& p, const Value& dot);
  Result<Value> eval_command(const Command& c, const Value& dot, const std::optional<Value>& final);
  Result<Value> eval_arg(const Arg& a, const Value& dot);
  Result<Value> eval_fields(const Arg& node, Value receiver, bool has_args);
  Result<Value> call(const Arg& fn, const Command* cmd, const Value& dot,
                     const std::optional<Value>& final);
  Status not_a_function(const Command& c, const std::optional<Value>& final) const;
  Result<Value> var_value(const Arg& a) const;
  Status set_var(const std::string& name, const Value& v, size_t pos);

  std::string_view text_;
  const json& data_;
  std::string out_;
  std::vector<std::pair<std::string, Value>> vars_;  // a stack, innermost last
  int depth_ = 0;
};

// Go's ExecError text: template: NAME:LINE:COL: executing "NAME" at <NODE>: message.
std::unexpected<Error> Exec::fail_at(size_t pos, std::string_view context,
                                     std::string_view msg) const {
  std::string ctx(context);
  if (rune_count(ctx) > 20) ctx = std::string(first_runes(ctx, 20)) + "...";
  std::string_view before = text_.substr(0, std::min(pos, text_.size()));
  size_t nl = before.rfind('\n');
  size_t col = nl == std::string_view::npos ? before.size() : before.size() - nl - 1;
  return fail(ErrorKind::InvalidArgument, "template: :{}:{}: executing \"\" at <{}>: {}",
              line_of(text_, pos), col, ctx, msg);
}

Result<Flow> Exec::walk_list(const std::vector<Node>& list, const Value& dot) {
  for (const Node& n : list) {
    BERTH_ASSIGN(Flow f, walk(n, dot));
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Result<Flow> Exec::walk(const Node& n, const Value& dot) {
  switch (n.kind) {
    case NodeKind::Text:
      out_ += n.text;
      return Flow::Normal;
    case NodeKind::Action: {
      // Variables an action declares live until the enclosing block's end.
      BERTH_ASSIGN(Value v, eval_pipeline(*n.pipe, dot));
      if (!n.pipe->decl.empty()) return Flow::Normal;
      if (v.missing()) {
        out_ += "<no value>";
      } else {
        fmt_value(out_, v.j, Spec{}, 0);
      }
      return Flow::Normal;
    }
    case NodeKind::If:
    case NodeKind::With: {
      if (++depth_ > kMaxNesting) return fail_at(n.pos, "", "template nests too deeply");
      size_t mark = vars_.size();
      BERTH_ASSIGN(Value v, eval_pipeline(*n.pipe, dot));
      Flow f = Flow::Normal;
      if (truth(v)) {
        BERTH_ASSIGN(f, walk_list(n.list, n.kind == NodeKind::With ? v : dot));
      } else {
        BERTH_ASSIGN(f, walk_list(n.else_list, dot));
      }
      vars_.resize(mark);
      --depth_;
      return f;
    }
    case NodeKind::Range: {
      if (++depth_ > kMaxNesting) return fail_at(n.pos, "", "template nests too deeply");
      BERTH_ASSIGN(Flow f, walk_range(n, dot));
      --depth_;
      return f;
    }
    case NodeKind::Break:
      return Flow::Break;
    case NodeKind::Continue:
      return Flow::Continue;
    default:
      return Flow::Normal;
  }
}

Result<Flow> Exec::walk_range(const Node& n, const Value& dot) {
  const Pipe& p = *n.pipe;
  size_t outer = vars_.size();
  BERTH_ASSIGN(Value val, eval_pipeline(p, dot));
  size_t mark = vars_.size();  // the pipeline pushed its declared variables
  bool ran = false;
  auto iteration = [&](const Value& index, const Value& elem) -> Result<Flow> {
    ran = true;
    // One variable gets the element; two get the index (or key) and the element.
    if (p.is_assign) {
      BERTH_TRY(set_var(p.decl[0], p.decl.size() > 1 ? index : elem, p.pos));
      if (p.decl.size() > 1) BERTH_TRY(set_var(p.decl[1], elem, p.pos));
    } else if (!p.decl.empty()) {
      vars_[mark - 1].second = elem;
      if (p.decl.size() > 1) vars_[mark - 2].second = index;
    }
    Result<Flow> f = walk_list(n.list, elem);
    vars_.resize(mark);
    return f;
  };
  // Go reports these at the node it evaluated last: the pipeline's final operand.
  const Command& last = p.cmds.back();
  const Arg& at = last.args.size() > 1 ? last.args.back() : last.args[0];
  const json* j = val.get();
  if (j && j->is_array()) {
    for (size_t k = 0; k < j->size(); ++k) {
      BERTH_ASSIGN(Flow f, iteration(int_value(static_cast<int64_t>(k)), child(val, (*j)[k])));
      if (f == Flow::Break) break;
    }
  } else if (j && j->is_object()) {
    // Sorted by key, as Go ranges over maps.
    for (auto it = j->begin(); it != j->end(); ++it) {
      BERTH_ASSIGN(Flow f, iteration(string_value(it.key()), child(val, it.value())));
      if (f == Flow::Break) break;
    }
  } else if (j && j->is_number_integer()) {
    if (p.decl.size() > 1) {
      return fail_at(
          at.pos, arg_string(at),
          fmt::format("can't use {} to iterate over more than one variable", sprint_v(j)));
    }
    int64_t count = as_int(*j).value_or(std::numeric_limits<int64_t>::max());
    for (int64_t k = 0; k < count; ++k) {
      Value v = int_value(k);
      BERTH_ASSIGN(Flow f, iteration(v, v));
      if (f == Flow::Break) break;
    }
  } else if (j) {
    return fail_at(at.pos, arg_string(at), fmt::format("range can't iterate over {}", sprint_v(j)));
  }
  // {{break}} and {{continue}} in the else branch belong to an enclosing range.
  Flow f = Flow::Normal;
  if (!ran) {
    BERTH_ASSIGN(f, walk_list(n.else_list, dot));
  }
  vars_.resize(outer);
  return f;
}

Result<Value> Exec::eval_pipeline(const Pipe& p, const Value& dot) {
  std::optional<Value> value;
  for (const Command& c : p.cmds) {
    BERTH_ASSIGN(Value v, eval_command(c, dot, value));
    // Go unwraps each interface{} result; a nil one becomes "no value".
    if (v.j && v.j->is_null()) v = Value{};
    value = std::move(v);
  }
  Value result = value ? std::move(*value) : Value{};
  for (const std::string& name : p.decl) {
    if (p.is_assign) {
      BERTH_TRY(set_var(name, result, p.pos));
    } else {
      vars_.emplace_back(name, result);
    }
  }
  return result;
}

// `final` is the previous command's value in a pipeline, which becomes the last argument.
Result<Value> Exec::eval_command(const Command& c, const Value& dot,
                                 const std::optional<Value>& final) {
  const Arg& first = c.args[0];
  bool has_args = c.args.size() > 1 || final.has_value();
  switch (first.kind) {
    case ArgKind::Field:
      return eval_fields(first, dot, has_args);
    case ArgKind::Chain: {
      BERTH_ASSIGN(Value base, eval_arg(*first.base, dot));
      return eval_fields(first, std::move(base), has_args);
    }
    case ArgKind::Func:
      return call(first, &c, dot, final);
    case ArgKind::Variable: {
      BERTH_ASSIGN(Value v, var_value(first));
      if (!first.fields.empty()) return eval_fields(first, std::move(v), has_args);
      BERTH_TRY(not_a_function(c, final));
      return v;
    }
    case ArgKind::Pipe:
      BERTH_TRY(not_a_function(c, final));
      return eval_pipeline(*first.pipe, dot);
    case ArgKind::Dot:
      BERTH_TRY(not_a_function(c, final));
      return dot;
    case ArgKind::Nil:
      return fail_at(first.pos, "nil", "nil is not a command");
    case ArgKind::Literal:
      BERTH_TRY(not_a_function(c, final));
      return Value{&first.lit, nullptr};
  }
  return Value{};
}

Status Exec::not_a_function(const Command& c, const std::optional<Value>& final) const {
  if (c.args.size() > 1 || final) {
    const Arg& a = c.args[0];
    return fail_at(a.pos, arg_string(a),
                   fmt::format("can't give argument to non-function {}", arg_string(a)));
  }
  return ok();
}

Result<Value> Exec::eval_arg(const Arg& a, const Value& dot) {
  switch (a.kind) {
    case ArgKind::Dot:
      return dot;
    case ArgKind::Nil:
      return Value{&null_json(), nullptr};
    case ArgKind::Literal:
      return Value{&a.lit, nullptr};
    case ArgKind::Field:
      return eval_fields(a, dot, false);
    case ArgKind::Variable: {
      BERTH_ASSIGN(Value v, var_value(a));
      if (a.fields.empty()) return v;
      return eval_fields(a, std::move(v), false);
    }
    case ArgKind::Pipe: {
      if (++depth_ > kMaxNesting) return fail_at(a.pos, "", "template nests too deeply");
      BERTH_ASSIGN(Value v, eval_pipeline(*a.pipe, dot));
      --depth_;
      return v;
    }
    case ArgKind::Func:
      return call(a, nullptr, dot, std::nullopt);
    case ArgKind::Chain: {
      BERTH_ASSIGN(Value base, eval_arg(*a.base, dot));
      return eval_fields(a, std::move(base), false);
    }
  }
  return Value{};
}

// Walks .A.B.C from receiver. A field of an object is its key; of a missing key or null,
// nothing (Go would fail on null, "nil pointer evaluating interface {}.B").
Result<Value> Exec::eval_fields(const Arg& node, Value receiver, bool has_args) {
  for (size_t i = 0; i < node.fields.size(); ++i) {
    const std::string& name = node.fields[i];
    const json* r = receiver.get();
    if (!r) {
      receiver = Value{};
      continue;
    }
    if (!r->is_object()) {
      return fail_at(node.pos, arg_string(node),
                     fmt::format("can't evaluate field {} in type {}", name, type_name(r)));
    }
    if (has_args && i + 1 == node.fields.size()) {
      return fail_at(node.pos, arg_string(node),
                     fmt::format("{} is not a method but has arguments", name));
    }
    auto it = r->find(name);
    receiver = it == r->end() ? Value{} : child(receiver, *it);
  }
  return receiver;
}

Result<Value> Exec::call(const Arg& fn, const Command* cmd, const Value& dot,
                         const std::optional<Value>& final) {
  const Builtin* b = find_builtin(fn.name);
  if (!b) return fail_at(fn.pos, fn.name, fmt::format("{} is not a defined function", fn.name));
  size_t nargs = cmd ? cmd->args.size() - 1 : 0;
  size_t num_in = nargs + (final ? 1 : 0);
  if (b->variadic && num_in < b->min_args) {
    return fail_at(fn.pos, fn.name,
                   fmt::format("wrong number of args for {}: want at least {} got {}", fn.name,
                               b->min_args, nargs));
  }
  if (!b->variadic && num_in != b->min_args) {
    return fail_at(
        fn.pos, fn.name,
        fmt::format("wrong number of args for {}: want {} got {}", fn.name, b->min_args, num_in));
  }
  if (!b->fn) {
    // and/or stop at the first argument that decides the answer and return it.
    bool is_or = fn.name == "or";
    Value v;
    for (size_t k = 1; k <= nargs; ++k) {
      BERTH_ASSIGN(v, eval_arg(cmd->args[k], dot));
      if (truth(v) == is_or) return v;
    }
    if (final) v = *final;
    return v;
  }
  Args args;
  for (size_t k = 1; k <= nargs; ++k) {
    BERTH_ASSIGN(Value v, eval_arg(cmd->args[k], dot));
    args.push_back(std::move(v));
  }
  if (final) args.push_back(*final);
  CallResult r = b->fn(args);
  if (r) return std::move(*r);
  const CallError& e = r.error();
  if (!e.wrap && e.arg >= 0 && static_cast<size_t>(e.arg) < nargs) {
    const Arg& at = cmd->args[static_cast<size_t>(e.arg) + 1];
    return fail_at(at.pos, arg_string(at), e.msg);
  }
  size_t pos = cmd ? cmd->pos : fn.pos;
  std::string context = cmd ? command_string(*cmd) : fn.name;
  if (!e.wrap) return fail_at(pos, context, e.msg);
  return fail_at(pos, context, fmt::format("error calling {}: {}", fn.name, e.msg));
}

Result<Value> Exec::var_value(const Arg& a) const {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == a.name) return it->second;
  }
  return fail_at(a.pos, a.name, "undefined variable: " + a.name);
}

Status Exec::set_var(const std::string& name, const Value& v, size_t pos) {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == name) {
      it->second = v;
      return ok();
    }
  }
  return fail_at(pos, name, "undefined variable: " + name);
}

}  // namespace

struct GoTemplate::Tree {
  std::string text;
  std::vector<Node> root;
};

Result<GoTemplate> GoTemplate::parse(std::string_view text) {
  try {
    auto tree = std::make_shared<Tree>();
    tree->text = std::string(text);
    Parser parser(tree->text, Lexer(tree->text).run());
    BERTH_ASSIGN(tree->root, parser.parse());
    return GoTemplate(std::move(tree));
  } catch (const std::exception& e) {
    return fail(ErrorKind::Internal, "template: {}", e.what());
  }
}

Result<std::string> GoTemplate::render(const nlohmann::json& data) const {
  if (!tree_) return fail(ErrorKind::InvalidArgument, "template: not parsed");
  try {
    return Exec(tree_->text, data).run(tree_->root);
  } catch (const std::exception& e) {
    return fail(ErrorKind::Internal, "template: {}", e.what());
  }
}

}  // namespace berth::client
