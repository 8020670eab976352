// Content digests ("sha256:<64 hex>", "sha512:<128 hex>") and streaming hashing (OpenSSL).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::content {

class Digest {
 public:
  Digest() = default;
  // Validates algorithm and hex length/charset: "invalid digest \"...\"" otherwise.
  static Result<Digest> parse(std::string_view s);
  static Digest sha256_of(std::string_view data);
  // The algorithms parse() and Hasher accept: "sha256" and "sha512".
  static bool supported(std::string_view algorithm);

  const std::string& str() const { return text_; }  // "sha256:abcd..."
  std::string_view algorithm() const;               // "sha256"
  std::string_view hex() const;                     // "abcd..."
  std::string short_id() const { return std::string(hex().substr(0, 12)); }
  bool empty() const { return text_.empty(); }
  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string t) : text_(std::move(t)) {}
  friend class Hasher;
  std::string text_;
};

// Incremental hash; algorithm "sha256" or "sha512" (check Digest::supported first: an
// unsupported algorithm is a programming error and aborts).
class Hasher {
 public:
  explicit Hasher(std::string_view algorithm = "sha256");
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void update(const void* data, size_t n);
  Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::content
