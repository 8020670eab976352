#include "content/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "content/layout.h"

namespace berth::content {

namespace {

constexpr std::string_view kAlgorithms[] = {"sha256", "sha512"};

std::unexpected<Error> not_found(const Digest& d) {
  return fail(ErrorKind::NotFound, "blob {} not found", d.str());
}

Status check_digest(const Digest& d) {
  if (d.empty()) return fail(ErrorKind::InvalidArgument, "empty digest");
  return ok();
}

Result<UniqueFd> open_lock(const std::string& root) {
  std::string path = layout::ingest_lock(root);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return sys_fail("open {}", path);
  return fd;
}

// Leftovers of crashed writers. Live writers (in this or another process) hold the ingest
// lock shared; if we cannot take it exclusively someone is writing and cleanup waits.
Status clean_ingest(const std::string& root) {
  BERTH_ASSIGN(UniqueFd lock, open_lock(root));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return ok();
    return sys_fail("lock {}", layout::ingest_lock(root));
  }
  std::string dir = layout::ingest_dir(root);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    BERTH_TRY(remove_all(entry.path().string()));
  }
  if (ec) return std::unexpected(Error(ErrorKind::Internal, "list " + dir, ec.value()));
  return ok();
}

}  // namespace

Result<Store> Store::open(const std::string& root) {
  for (auto alg : kAlgorithms) BERTH_TRY(mkdir_all(layout::blob_dir(root, alg), 0700));
  BERTH_TRY(mkdir_all(layout::ingest_dir(root), 0700));
  BERTH_TRY(clean_ingest(root));
  return Store(root);
}

Result<Writer> Store::writer(std::string_view algorithm) const {
  if (!Digest::supported(algorithm)) {
    return fail(ErrorKind::InvalidArgument, "unsupported digest algorithm \"{}\"", algorithm);
  }
  BERTH_ASSIGN(UniqueFd lock, open_lock(root_));
  while (::flock(lock.get(), LOCK_SH) < 0) {
    if (errno != EINTR) return sys_fail("lock {}", layout::ingest_lock(root_));
  }
  std::string tmp = path_join(layout::ingest_dir(root_), "blob-XXXXXX");
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return sys_fail("create temp in {}", layout::ingest_dir(root_));
  return Writer(root_, std::move(lock), std::move(fd), std::move(tmp), algorithm);
}

Result<Digest> Store::put(std::string_view data, const Digest& expected) const {
  std::string_view alg = expected.empty() ? "sha256" : expected.algorithm();
  Hasher h(alg);
  h.update(data.data(), data.size());
  Digest d = h.finish();
  if (!expected.empty() && d != expected) {
    return fail(ErrorKind::InvalidArgument, "digest mismatch: expected {}, got {}", expected.str(),
                d.str());
  }
  // Re-putting a manifest or config is common on pulls; skip the write and fsync then.
  if (exists(d)) return d;
  BERTH_ASSIGN(Writer w, writer(alg));
  BERTH_TRY(w.write(data.data(), data.size()));
  return w.commit(d, static_cast<int64_t>(data.size()));
}

Result<std::string> Store::get(const Digest& d) const {
  BERTH_TRY(check_digest(d));
  auto r = read_file(path(d));
  if (!r && r.error().kind() == ErrorKind::NotFound) return not_found(d);
  return r;
}

Result<UniqueFd> Store::open_blob(const Digest& d) const {
  BERTH_TRY(check_digest(d));
  std::string p = path(d);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return not_found(d);
    return sys_fail("open {}", p);
  }
  return fd;
}

bool Store::exists(const Digest& d) const {
  return !d.empty() && path_exists(path(d));
}

Result<uint64_t> Store::size(const Digest& d) const {
  BERTH_TRY(check_digest(d));
  std::string p = path(d);
  struct stat st;
  if (::stat(p.c_str(), &st) < 0) {
    if (errno == ENOENT) return not_found(d);
    return sys_fail("stat {}", p);
  }
  return static_cast<uint64_t>(st.st_size);
}

std::string Store::path(const Digest& d) const {
  return layout::blob_path(root_, d);
}

Status Store::remove(const Digest& d) const {
  BERTH_TRY(check_digest(d));
  std::string p = path(d);
  if (::unlink(p.c_str()) < 0) {
    if (errno == ENOENT) return not_found(d);
    return sys_fail("remove {}", p);
  }
  return ok();
}

Result<std::vector<Digest>> Store::list() const {
  std::vector<Digest> out;
  for (auto alg : kAlgorithms) {
    std::string dir = layout::blob_dir(root_, alg);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      // Anything not named like a digest is not ours to report.
      auto d = Digest::parse(fmt::format("{}:{}", alg, entry.path().filename().string()));
      if (d) out.push_back(std::move(*d));
    }
    if (ec) return std::unexpected(Error(ErrorKind::Internal, "list " + dir, ec.value()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<uint64_t> Store::gc(const std::set<Digest>& keep) const {
  BERTH_ASSIGN(auto all, list());
  uint64_t freed = 0;
  for (const auto& d : all) {
    if (keep.contains(d)) continue;
    auto sz = size(d);
    auto r = remove(d);
    // Someone else removing it first is fine: it is gone either way.
    if (!r && r.error().kind() != ErrorKind::NotFound) return std::unexpected(r.error());
    if (r && sz) freed += *sz;
  }
  return freed;
}

}  // namespace berth::content
