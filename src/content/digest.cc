#include "content/digest.h"

#include <openssl/evp.h>

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

const EVP_MD* evp_for(std::string_view algorithm) {
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "sha512") return EVP_sha512();
  return nullptr;
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

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  const EVP_MD* md = nullptr;
  std::string algorithm;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(std::string_view algorithm) : impl_(std::make_unique<Impl>()) {
  impl_->md = evp_for(algorithm);
  impl_->algorithm = std::string(algorithm);
  impl_->ctx = EVP_MD_CTX_new();
  // Only allocation failure or a caller bug gets here; there is no error channel in a ctor.
  if (!impl_->md || !impl_->ctx || EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1) {
    std::fprintf(stderr, "berth: cannot hash with \"%.*s\"\n", static_cast<int>(algorithm.size()),
                 algorithm.data());
    std::abort();
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t n) {
  if (n > 0) EVP_DigestUpdate(impl_->ctx, data, n);
}

Digest Hasher::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  // Re-arm so the hasher can be reused for another stream.
  EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = impl_->algorithm + ":";
  for (unsigned int i = 0; i < len; ++i) {
    text += kHex[md[i] >> 4];
    text += kHex[md[i] & 0xf];
  }
  return Digest(std::move(text));
}

}  // namespace berth::content
