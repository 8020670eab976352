#include "daemon/shim_spawner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "base/io.h"
#include "base/log.h"

extern char** environ;

namespace berth::daemon {

namespace {

// posix_spawn of the shim with `fds` as its fds 3, 4, ... (everything else berthd holds is
// close-on-exec).
Result<pid_t> spawn_with(const std::string& path, std::vector<std::string> argv_s,
                         const std::vector<int>& fds) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (size_t i = 0; i < fds.size(); ++i)
    posix_spawn_file_actions_adddup2(&fa, fds[i], 3 + static_cast<int>(i));
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    return sys_fail("spawn {}", path);
  }
  return pid;
}

}  // namespace

ShimSpawner::~ShimSpawner() {
  std::unique_lock l(mu_);
  closing_ = true;
  // a refill in flight finishes first (it holds no lock while it spawns)
  while (refilling_) {
    l.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    l.lock();
  }
  spare_.reset();  // EOF: the spare exits
}

Result<ShimSpawner::Started> ShimSpawner::spawn(const std::vector<std::string>& args) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  std::vector<std::string> argv = {path_};
  argv.insert(argv.end(), args.begin(), args.end());
  BERTH_ASSIGN(pid_t pid, spawn_with(path_, std::move(argv), {wr.get()}));
  return Started{pid, std::move(rd)};
}

Result<ShimSpawner::Spare> ShimSpawner::spawn_spare() {
  int r[2], a[2];
  if (pipe2(r, O_CLOEXEC) < 0) return sys_fail("pipe");
  UniqueFd ready_r(r[0]), ready_w(r[1]);
  if (pipe2(a, O_CLOEXEC) < 0) return sys_fail("pipe");
  UniqueFd args_r(a[0]), args_w(a[1]);
  BERTH_ASSIGN(pid_t pid, spawn_with(path_, {path_, "--standby"}, {ready_w.get(), args_r.get()}));
  waitpid(pid, nullptr, 0);  // it forks away at once
  return Spare{std::move(ready_r), std::move(args_w)};
}

void ShimSpawner::refill() {
  {
    std::lock_guard l(mu_);
    if (spare_ || refilling_ || closing_) return;
    refilling_ = true;
  }
  std::thread([this] {
    auto spare = spawn_spare();
    std::lock_guard l(mu_);
    refilling_ = false;
    if (!spare) {
      log::warn("standby shim: {}", spare.error().message());
      return;
    }
    if (closing_ || spare_) return;  // dropped: it reads EOF and exits
    spare_ = std::move(*spare);
  }).detach();
}

Result<ShimSpawner::Started> ShimSpawner::start(const std::vector<std::string>& args) {
  std::optional<Spare> spare;
  {
    std::lock_guard l(mu_);
    spare.swap(spare_);
  }
  Result<Started> out = fail(ErrorKind::Internal, "no shim");
  if (spare) {
    // its arguments, each ended by NUL; a spare that died meanwhile is replaced by a spawn
    std::string blob;
    for (const auto& a : args) blob.append(a).push_back('\0');
    if (write_all(spare->args.get(), blob)) out = Started{-1, std::move(spare->ready)};
    spare.reset();
  }
  if (!out) out = spawn(args);
  refill();
  return out;
}

}  // namespace berth::daemon
