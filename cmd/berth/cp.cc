// docker cp: between a container (GET/PUT/HEAD /containers/{id}/archive) and the local
// filesystem. Tars are made and read by the archive layer, in the module berth-cp.so
// (cp_tar.h); a copy under a new name goes
// through a staging directory (out) or has its root entry renamed (in), as Docker's CLI does.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "base/base64.h"
#include "base/file.h"
#include "base/io.h"
#include "base/module.h"
#include "base/unique_fd.h"
#include "commands.h"
#include "cp_tar.h"
#include "io.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

struct CpPath {
  std::string container;  // "" for a local path
  std::string path;
};

// Docker's rule: a path is local if it starts with / or ., or has no colon.
CpPath parse_cp_arg(const std::string& arg) {
  if (arg.starts_with("/") || arg.starts_with(".")) return {"", arg};
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

std::string dirname_of(const std::string& p) {
  auto slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string basename_of(std::string p) {
  while (p.size() > 1 && p.ends_with('/')) p.pop_back();
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// The container path's stat header: is it a directory (Go's ModeDir bit)?
bool stat_is_dir(const std::string& header) {
  if (header.empty()) return false;
  auto text = base64_decode(header);
  if (!text) return false;
  auto j = json::parse(*text, nullptr, false);
  return j.is_object() && (j.value("mode", uint64_t{0}) & (uint64_t{1} << 31));
}

Result<const CpTar*> cp_tar() {
  auto sym = module_symbol(kCpTarModule, kCpTarSymbol);
  if (!sym) return fail(ErrorKind::Unavailable, "cp is not available: {}", sym.error().message());
  return static_cast<const CpTar*>(*sym);
}

int copy_out(Engine& e, const std::string& ctr, const std::string& src, const std::string& dest) {
  std::string target = "/containers/" + ctr + "/archive?path=" + Engine::query_escape(src);
  if (dest == "-") return stream_to(e, target, "");
  auto tar = cp_tar();
  if (!tar) return report(tar.error());
  struct stat st {};
  bool exists = ::stat(dest.c_str(), &st) == 0;
  bool into_dir = exists && S_ISDIR(st.st_mode);
  std::string dir = into_dir ? dest : dirname_of(dest);
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
    return report(Error(ErrorKind::NotFound,
                        fmt::format("invalid output path: directory {} does not exist", dir)));
  // a new name: extracted beside it first, then renamed
  std::string stage;
  if (!into_dir) {
    std::string tmpl = dir + "/.berth-cp-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      return report(
          Error(ErrorKind::Internal, fmt::format("mkdtemp in {}: {}", dir, strerror(errno))));
    stage = tmpl;
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return report(Error(ErrorKind::Internal, "pipe"));
  UniqueFd rd(p[0]), wr(p[1]);
  std::optional<Error> fetch_error;  // the daemon's (stream() turns an error status into one)
  std::thread fetch([&] {
    auto r = e.stream("GET", Engine::api(target),
                      [&](std::string_view d) { return write_all(wr.get(), d); });
    if (!r) fetch_error = r.error();
    wr.reset();
  });
  Status applied = (*tar)->extract(rd.get(), stage.empty() ? dest : stage);
  rd.reset();
  fetch.join();
  auto cleanup = [&] {
    if (!stage.empty()) remove_all(stage);
  };
  if (fetch_error) {
    cleanup();
    return report(*fetch_error);
  }
  if (!applied) {
    cleanup();
    return report(applied.error());
  }
  if (!stage.empty()) {
    std::string from = stage + "/" + basename_of(src);
    if (exists && !S_ISDIR(st.st_mode)) {
      struct stat fs {};
      if (::lstat(from.c_str(), &fs) == 0 && S_ISDIR(fs.st_mode)) {
        cleanup();
        return report(Error(ErrorKind::InvalidArgument,
                            "cannot copy a directory to an existing file: " + dest));
      }
    }
    if (::rename(from.c_str(), dest.c_str()) < 0) {
      int err = errno;
      cleanup();
      return report(
          Error(ErrorKind::Internal, fmt::format("rename to {}: {}", dest, strerror(err))));
    }
    cleanup();
  }
  return 0;
}

int copy_in(Engine& e, const std::string& src, const std::string& ctr, const std::string& dest) {
  std::string base = "/containers/" + ctr + "/archive?path=";
  if (src == "-") {
    auto r = e.call_raw("PUT", Engine::api(base + Engine::query_escape(dest)), "application/x-tar",
                        STDIN_FILENO);
    return !r || r->status >= 400 ? fail_with(r) : 0;
  }
  auto tar = cp_tar();
  if (!tar) return report(tar.error());
  struct stat st {};
  if (::lstat(src.c_str(), &st) != 0)
    return report(
        Error(ErrorKind::NotFound, fmt::format("lstat {}: no such file or directory", src)));
  auto h = e.head(Engine::api(base + Engine::query_escape(dest)));
  if (!h) return report(h.error());
  if (h->status >= 400 && h->status != 404) return fail_with(h);
  bool dest_dir = h->status == 200 && stat_is_dir(h->path_stat);
  if (h->status == 200 && !dest_dir && S_ISDIR(st.st_mode))
    return report(
        Error(ErrorKind::InvalidArgument, "cannot copy a directory to an existing file: " + dest));
  // into an existing directory under its own name; else under the destination's name
  std::string dir = dest_dir ? dest : dirname_of(dest);
  std::string rename_to = dest_dir ? "" : basename_of(dest);
  UniqueFd parent(::open(dirname_of(src).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return report(Error(ErrorKind::NotFound, "open " + dirname_of(src)));
  int p1[2], p2[2];
  if (::pipe2(p1, O_CLOEXEC) < 0) return report(Error(ErrorKind::Internal, "pipe"));
  UniqueFd tar_rd(p1[0]), tar_wr(p1[1]);
  UniqueFd body_rd, body_wr;
  if (!rename_to.empty()) {
    if (::pipe2(p2, O_CLOEXEC) < 0) return report(Error(ErrorKind::Internal, "pipe"));
    body_rd.reset(p2[0]);
    body_wr.reset(p2[1]);
  }
  std::thread writer([&] {
    (void)(*tar)->write_entry(tar_wr.get(), parent.get(), basename_of(src));
    tar_wr.reset();
  });
  std::thread rebaser;
  if (!rename_to.empty())
    rebaser = std::thread([&] {
      (void)(*tar)->rebase(tar_rd.get(), body_wr.get(), rename_to);
      body_wr.reset();
    });
  auto r = e.call_raw("PUT", Engine::api(base + Engine::query_escape(dir)), "application/x-tar",
                      rename_to.empty() ? tar_rd.get() : body_rd.get());
  // a failed PUT leaves the writers blocked on a full pipe: closing the read ends frees them
  (rename_to.empty() ? tar_rd : body_rd).reset();
  if (rebaser.joinable()) {
    rebaser.join();
    tar_rd.reset();
  }
  writer.join();
  return !r || r->status >= 400 ? fail_with(r) : 0;
}

}  // namespace

void add_cp_command(CLI::App& app, EngineRef engine) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto archive_mode = std::make_shared<bool>(false), follow = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto* cp =
      app.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
  cp->add_option("paths", *args, "SRC_PATH DEST_PATH")->required()->expected(2);
  cp->add_flag("-a,--archive", *archive_mode, "archive mode (copy all uid/gid information)");
  cp->add_flag("-L,--follow-link", *follow, "always follow symbol link in SRC_PATH");
  cp->add_flag("-q,--quiet", *quiet, "suppress progress output");
  cp->callback([=] {
    CpPath src = parse_cp_arg((*args)[0]), dst = parse_cp_arg((*args)[1]);
    if (src.container.empty() == dst.container.empty()) {
      exit_code =
          report(Error(ErrorKind::InvalidArgument,
                       src.container.empty() ? "must specify at least one container source"
                                             : "copying between containers is not supported"));
      return;
    }
    exit_code = src.container.empty() ? copy_in(engine(), src.path, dst.container, dst.path)
                                      : copy_out(engine(), src.container, src.path, dst.path);
  });
}

}  // namespace berth::cli
