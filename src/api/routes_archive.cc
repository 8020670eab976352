// /containers/{id}/archive: HEAD (stat), GET (a tar of a path), PUT (extract a tar into a
// directory): what `docker cp` uses. Paths resolve inside the container's root (openat2
// RESOLVE_IN_ROOT), through /proc/<pid>/root while it runs (its volumes and binds too), or
// its mounted layer when it does not.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/routes.h"
#include "api/streams.h"
#include "archive/apply.h"
#include "archive/changes.h"
#include "archive/safe_path.h"
#include "base/base64.h"
#include "base/file.h"
#include "base/time.h"
#include "storage/mounts.h"

namespace berth::api {

using nlohmann::json;

namespace {

// The container's root, open, for as long as this lives.
class ContainerRoot {
 public:
  static Result<std::unique_ptr<ContainerRoot>> open(daemon::Daemon& d, const std::string& ref) {
    BERTH_ASSIGN(auto c, d.get(ref));
    auto r = std::unique_ptr<ContainerRoot>(new ContainerRoot(d));
    int pid;
    {
      std::lock_guard<std::mutex> l(c->mu);
      pid = c->state.running ? c->state.pid : 0;
    }
    std::string root;
    if (pid) {
      root = "/proc/" + std::to_string(pid) + "/root";
    } else {
      BERTH_ASSIGN(root, d.images()->mount_container_layer(c->id));
      r->mounted_ = c->id;
    }
    r->fd_.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!r->fd_) return sys_fail("open the container's root");
    return r;
  }
  ~ContainerRoot() {
    fd_.reset();
    if (!mounted_.empty()) d_.images()->unmount_container_layer(mounted_);
  }
  int fd() const { return fd_.get(); }

 private:
  explicit ContainerRoot(daemon::Daemon& d) : d_(d) {}
  daemon::Daemon& d_;
  UniqueFd fd_;
  std::string mounted_;
};

// Docker's X-Docker-Container-Path-Stat: base64 JSON with Go's FileMode bits.
std::string path_stat(const std::string& name, const struct stat& st, const std::string& link) {
  uint32_t mode = st.st_mode & 0777;
  if (S_ISDIR(st.st_mode)) mode |= 1u << 31;
  if (S_ISLNK(st.st_mode)) mode |= 1u << 27;
  if (st.st_mode & S_ISUID) mode |= 1u << 23;
  if (st.st_mode & S_ISGID) mode |= 1u << 22;
  if (st.st_mode & S_ISVTX) mode |= 1u << 20;
  json j = {
      {"name", name},
      {"size", st.st_size},
      {"mode", mode},
      {"mtime", rfc3339_from_ns(int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec)},
      {"linkTarget", link}};
  return base64_encode(j.dump());
}

struct Target {
  UniqueFd parent;  // O_PATH directory holding it
  std::string name;
  struct stat st;
  std::string link;
};

Result<Target> find(const ContainerRoot& root, const std::string& ref, const std::string& path) {
  auto rel = archive::clean_entry_path(path);
  if (!rel) return fail(ErrorKind::InvalidArgument, "invalid path {:?}", path);
  auto [parent, name] = archive::split_parent(*rel);
  Target t;
  auto pfd = archive::open_in_root(root.fd(), parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!pfd)
    return fail(ErrorKind::NotFound, "Could not find the file {} in container {}", path, ref);
  t.parent = std::move(*pfd);
  t.name = name.empty() ? "." : name;
  if (fstatat(t.parent.get(), t.name.c_str(), &t.st, AT_SYMLINK_NOFOLLOW) < 0)
    return fail(ErrorKind::NotFound, "Could not find the file {} in container {}", path, ref);
  if (S_ISLNK(t.st.st_mode)) {
    char buf[4096];
    ssize_t n = readlinkat(t.parent.get(), t.name.c_str(), buf, sizeof buf);
    if (n > 0) t.link.assign(buf, static_cast<size_t>(n));
  }
  return t;
}

}  // namespace

void add_archive_routes(Router& r, daemon::Daemon& d) {
  auto stat_route = [&d](Request& req, Conn& c, bool body) -> Status {
    std::string path = req.q("path").value_or("");
    if (path.empty()) return fail(ErrorKind::InvalidArgument, "path is required");
    BERTH_ASSIGN(auto root, ContainerRoot::open(d, req.params[0]));
    BERTH_ASSIGN(auto t, find(*root, req.params[0], path));
    std::string name = t.name == "." ? "/" : t.name;
    std::vector<std::pair<std::string, std::string>> h = {
        {"X-Docker-Container-Path-Stat", path_stat(name, t.st, t.link)}};
    if (!body) {
      c.reply(200, "application/x-tar", "", h);
      return ok();
    }
    return stream_out(
        c, "application/x-tar",
        [&](int fd) -> Status {
          BERTH_TRY(archive::write_entry_tar(fd, t.parent.get(), t.name));
          return ok();
        },
        h);
  };
  r.add("HEAD", "/containers/{id}/archive",
        [stat_route](Request& req, Conn& c) { return stat_route(req, c, false); });
  r.add("GET", "/containers/{id}/archive",
        [stat_route](Request& req, Conn& c) { return stat_route(req, c, true); });
  r.add("PUT", "/containers/{id}/archive", [&d](Request& req, Conn& c) -> Status {
    std::string path = req.q("path").value_or("");
    if (path.empty()) return fail(ErrorKind::InvalidArgument, "path is required");
    BERTH_ASSIGN(auto root, ContainerRoot::open(d, req.params[0]));
    auto rel = archive::clean_entry_path(path);
    if (!rel) return fail(ErrorKind::InvalidArgument, "invalid path {:?}", path);
    auto dir = archive::open_in_root(root->fd(), *rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (!dir)
      return fail(ErrorKind::NotFound, "Could not find the file {} in container {}", path,
                  req.params[0]);
    std::string target = "/proc/self/fd/" + std::to_string(dir->get());
    BERTH_TRY(feed_body(c, [&](int fd) -> Status {
      BERTH_TRY(archive::apply_layer(fd, target, {}));
      return ok();
    }));
    c.reply(200, "", "");
    return ok();
  });
}

}  // namespace berth::api
