// UTF-8 runes and Go's quoted strings, as Go's unicode/utf8 and strconv handle them.
// Internal to the Go template engine (go_*.h, go_*.cc); not for other callers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace berth::client::gotmpl {

// What Go decodes an invalid UTF-8 byte as.
inline constexpr char32_t kRuneError = 0xFFFD;

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// An ASCII letter, digit or '_': what Go's identifiers and strings.Title treat as a word.
inline bool is_ascii_alnum(char32_t c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Decodes the UTF-8 rune at s[i] into *r and returns its length; an invalid byte decodes
// as U+FFFD of length 1, as in Go.
size_t decode_rune(std::string_view s, size_t i, char32_t* r);

// Appends r as UTF-8; surrogates and values past U+10FFFF become U+FFFD.
void append_rune(std::string& out, char32_t r);

size_t rune_count(std::string_view s);

// The prefix of s holding its first n runes.
std::string_view first_runes(std::string_view s, size_t n);

// Go's unicode.IsPrint, roughly.
bool is_print(char32_t r);

// strconv.Quote, which is what %q and Go's error messages use.
std::string go_quote(std::string_view s);

// strconv.QuoteRune.
std::string go_quote_rune(char32_t r);

// One character of a Go string or rune literal: its value, and whether it is a raw byte
// (\x.., octal) rather than a rune to encode as UTF-8.
struct QuotedChar {
  char32_t value;
  bool byte;
};

// strconv.UnquoteChar: decodes the character at s[i] of a literal quoted with `quote` and
// advances i past it; nullopt for a malformed escape.
std::optional<QuotedChar> unquote_char(std::string_view s, size_t& i, char quote);

}  // namespace berth::client::gotmpl
