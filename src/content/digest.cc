#include "content/digest.h"

#include <nettle/sha2.h>

#include <cstdio>
#include <cstdlib>

namespace berth::content {

namespace {

// Lowercase only: the OCI spec requires it, and one spelling per blob keeps paths unique.
bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

size_t hex_length(std::string_view algorithm) {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha512") return 128;
  return 0;
}

}  // namespace

bool Digest::supported(std::string_view algorithm) {
  return hex_length(algorithm) != 0;
}

Result<Digest> Digest::parse(std::string_view s) {
  auto colon = s.find(':');
  if (colon != std::string_view::npos) {
    std::string_view alg = s.substr(0, colon);
    std::string_view hex = s.substr(colon + 1);
    size_t want = hex_length(alg);
    if (want != 0 && hex.size() == want && is_lower_hex(hex)) return Digest(std::string(s));
  }
  return fail(ErrorKind::InvalidArgument, "invalid digest \"{}\"", s);
}

Digest Digest::sha256_of(std::string_view data) {
  Hasher h("sha256");
  h.update(data.data(), data.size());
  return h.finish();
}

std::string_view Digest::algorithm() const {
  std::string_view t = text_;
  return t.substr(0, t.find(':'));
}

std::string_view Digest::hex() const {
  std::string_view t = text_;
  auto colon = t.find(':');
  return colon == std::string_view::npos ? std::string_view() : t.substr(colon + 1);
}

// Nettle, not OpenSSL's EVP: as fast here (both use the CPU's SHA instructions), and the
// daemon's first digest does not page in OpenSSL's provider machinery (~1.2 MiB of RSS).
struct Hasher::Impl {
  bool sha512 = false;
  sha256_ctx ctx256;
  sha512_ctx ctx512;
  std::string algorithm;
  void init() {
    if (sha512) {
      sha512_init(&ctx512);
    } else {
      sha256_init(&ctx256);
    }
  }
};

Hasher::Hasher(std::string_view algorithm) : impl_(std::make_unique<Impl>()) {
  // Only a caller bug gets here (callers check Digest::supported); a ctor has no error channel.
  if (!Digest::supported(algorithm)) {
    std::fprintf(stderr, "berth: cannot hash with \"%.*s\"\n", static_cast<int>(algorithm.size()),
                 algorithm.data());
    std::abort();
  }
  impl_->sha512 = algorithm == "sha512";
  impl_->algorithm = std::string(algorithm);
  impl_->init();
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t n) {
  if (n == 0) return;
  auto* bytes = static_cast<const uint8_t*>(data);
  if (impl_->sha512) {
    sha512_update(&impl_->ctx512, n, bytes);
  } else {
    sha256_update(&impl_->ctx256, n, bytes);
  }
}

Digest Hasher::finish() {
  uint8_t md[SHA512_DIGEST_SIZE];
  size_t len = impl_->sha512 ? SHA512_DIGEST_SIZE : SHA256_DIGEST_SIZE;
  // nettle's digest functions also re-arm the context, so the hasher can hash another stream
  if (impl_->sha512) {
    sha512_digest(&impl_->ctx512, len, md);
  } else {
    sha256_digest(&impl_->ctx256, len, md);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = impl_->algorithm + ":";
  for (size_t i = 0; i < len; ++i) {
    text += kHex[md[i] >> 4];
    text += kHex[md[i] & 0xf];
  }
  return Digest(std::move(text));
}

}  // namespace berth::content
