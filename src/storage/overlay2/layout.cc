#include "storage/overlay2/layout.h"

#include <sys/random.h>
#include <unistd.h>

#include "base/file.h"

namespace berth::storage::overlay2 {

Result<std::string> Layout::link(const std::string& id) const {
  BERTH_ASSIGN(std::string lid, read_file(dir(id) + "/link"));
  while (!lid.empty() && (lid.back() == '\n' || lid.back() == ' ')) lid.pop_back();
  if (lid.empty() || lid.find('/') != std::string::npos)
    return fail(ErrorKind::Internal, "overlay2: layer {} has a bad link file", id);
  return lid;
}

bool Layout::has_parent(const std::string& id) const {
  return path_exists(dir(id) + "/lower");
}

Result<std::vector<std::string>> Layout::lowers(const std::string& id) const {
  std::vector<std::string> out;
  if (!has_parent(id)) return out;
  BERTH_ASSIGN(std::string text, read_file(dir(id) + "/lower"));
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(':', i);
    if (j == std::string::npos) j = text.size();
    std::string entry = text.substr(i, j - i);
    while (!entry.empty() && entry.back() == '\n') entry.pop_back();
    if (!entry.starts_with("l/") || entry.find('/', 2) != std::string::npos || entry.size() == 2)
      return fail(ErrorKind::Internal, "overlay2: layer {} has a bad lower entry \"{}\"", id,
                  entry);
    out.push_back(std::move(entry));
    i = j + 1;
  }
  return out;
}

Result<std::vector<std::string>> Layout::lower_diffs(const std::string& id) const {
  BERTH_ASSIGN(auto entries, lowers(id));
  std::vector<std::string> out;
  for (const auto& e : entries) {
    std::string p = root_ + "/" + e;
    char buf[4096];
    ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
    if (n < 0) return sys_fail("overlay2: layer {}: lower link {}", id, p);
    out.push_back(clean_path(links() + "/" + std::string(buf, static_cast<size_t>(n))));
  }
  return out;
}

Result<std::string> new_link_id() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_fail("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;  // 128 bits → 26 chars
}

}  // namespace berth::storage::overlay2
