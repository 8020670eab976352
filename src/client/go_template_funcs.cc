// Go text/template's builtin functions and docker/cli's template functions, over decoded
// JSON (see go_template_funcs.h).
#include "client/go_template_funcs.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "client/go_fmt.h"
#include "client/go_text.h"

namespace berth::client::gotmpl {

using nlohmann::json;

// ---------------------------------------------------------------------- values

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

namespace {

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
        append_v(out, &e);
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

}  // namespace

const Builtin* find_builtin(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace berth::client::gotmpl
