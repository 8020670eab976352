// UTF-8 runes and Go's quoted strings (see go_text.h).
#include "client/go_text.h"

#include <fmt/format.h>

namespace berth::client::gotmpl {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

}  // namespace

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

}  // namespace berth::client::gotmpl
