#include "archive_test_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace berth::archive::test_support {

namespace {

void put_octal(char* field, size_t width, uint64_t v) {
  // width-1 digits and a NUL, as tar writers do.
  std::string s = fmt::format("{:0{}o}", v, width - 1);
  std::memcpy(field, s.data(), std::min(s.size(), width - 1));
}

}  // namespace

std::string ustar_header(const TarEntry& e) {
  char h[512] = {};
  std::memcpy(h, e.name.data(), std::min<size_t>(e.name.size(), 100));
  put_octal(h + 100, 8, static_cast<uint64_t>(e.mode));
  put_octal(h + 108, 8, e.uid);
  put_octal(h + 116, 8, e.gid);
  uint64_t size = e.size_override >= 0 ? static_cast<uint64_t>(e.size_override) : e.data.size();
  if (e.type != '0') size = e.size_override >= 0 ? size : 0;
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, 1600000000);
  h[156] = e.type;
  std::memcpy(h + 157, e.link.data(), std::min<size_t>(e.link.size(), 100));
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  put_octal(h + 329, 8, e.devmajor);
  put_octal(h + 337, 8, e.devminor);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::string s = fmt::format("{:06o}", sum);
  std::memcpy(h + 148, s.data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  return std::string(h, sizeof h);
}

std::string make_tar(const std::vector<TarEntry>& entries, bool end) {
  std::string out;
  for (const auto& e : entries) {
    out += ustar_header(e);
    out += e.data;
    if (e.data.size() % 512) out.append(512 - e.data.size() % 512, '\0');
  }
  if (end) out.append(1024, '\0');
  return out;
}

std::string gzip(const std::string& data) {
  // libarchive's gzip filter (zlib) over the raw format: a stock gzip stream.
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_raw(a);
  archive_write_set_bytes_in_last_block(a, 1);
  std::string out(data.size() + data.size() / 2 + 4096, '\0');
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_write_close(a);
  archive_entry_free(e);
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error("zstd");
  out.resize(n);
  return out;
}

int make_memfd() {
  return memfd_create("berth-test", MFD_CLOEXEC);
}

std::string read_fd(int fd) {
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

Result<ApplyResult> apply_bytes(const std::string& bytes, const std::string& dir,
                                const ApplyOptions& opts) {
  UniqueFd fd(make_memfd());
  if (::write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    return sys_fail("write memfd");
  lseek(fd.get(), 0, SEEK_SET);
  return apply_layer(fd.get(), dir, opts);
}

void write_file(const std::string& path, const std::string& data, int mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd || ::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    throw std::runtime_error("write " + path);
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "<missing>";
  return read_fd(fd.get());
}

namespace {

void list_into(const std::string& root, const std::string& rel, const std::string& skip,
               std::vector<std::string>& out) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    std::string full = root + "/" + r;
    if (full == skip) continue;
    struct stat st;
    if (lstat(full.c_str(), &st) < 0) continue;
    std::string extra;
    if (S_ISREG(st.st_mode)) extra = read_file(full);
    if (S_ISLNK(st.st_mode)) {
      char t[4096];
      ssize_t k = readlink(full.c_str(), t, sizeof t);
      extra = std::string(t, static_cast<size_t>(std::max<ssize_t>(k, 0)));
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      extra = fmt::format("{}:{}", major(st.st_rdev), minor(st.st_rdev));
    out.push_back(fmt::format("{} {:o} {}:{} {} {}", r, st.st_mode, st.st_uid, st.st_gid,
                              S_ISDIR(st.st_mode) ? 0 : st.st_size, extra));
    if (S_ISDIR(st.st_mode)) list_into(root, r, skip, out);
  }
}

}  // namespace

std::vector<std::string> listing(const std::string& root, const std::string& skip) {
  std::vector<std::string> out;
  list_into(root, "", skip, out);
  return out;
}

std::vector<std::string> tar_names(const std::string& tar) {
  std::vector<std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  struct archive_entry* e;
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) break;
    std::string n = archive_entry_pathname(e);
    if (const char* h = archive_entry_hardlink(e)) n += std::string(" -> ") + h;
    out.push_back(n);
  }
  archive_read_free(a);
  return out;
}

}  // namespace berth::archive::test_support
