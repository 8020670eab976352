#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>

namespace berth {

namespace {

void fill(void* buf, size_t n) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // cannot happen for these sizes once the pool is up
    p += got;
    n -= static_cast<size_t>(got);
  }
}

}  // namespace

std::string random_hex(size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string bytes((n + 1) / 2, '\0');
  fill(bytes.data(), bytes.size());
  std::string s;
  for (unsigned char c : bytes) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  s.resize(n);
  return s;
}

size_t random_index(size_t n) {
  uint64_t v = 0;
  fill(&v, sizeof v);
  return static_cast<size_t>(v % n);
}

}  // namespace berth
