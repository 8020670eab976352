// Loading the cgroup device program with bpf(2) and attaching it to a cgroup2 directory.
#include "runtime/cgroup/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/strings.h"

namespace berth::cgroup {

namespace {

int bpf(int cmd, bpf_attr& attr) {
  return static_cast<int>(::syscall(SYS_bpf, cmd, &attr, sizeof attr));
}

uint64_t ptr(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

constexpr char kLicense[] = "Apache";

}  // namespace

Result<UniqueFd> load_device_filter(const std::vector<bpf_insn>& insns) {
  auto load = [&](char* log, uint32_t log_size) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = ptr(insns.data());
    attr.insn_cnt = static_cast<uint32_t>(insns.size());
    attr.license = ptr(kLicense);
    if (log) {
      attr.log_buf = ptr(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return bpf(BPF_PROG_LOAD, attr);
  };
  int fd = load(nullptr, 0);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if (err == EINVAL || err == EACCES) {
    // Load again with the verifier log so the error says what is wrong with the program.
    std::string log(64 * 1024, '\0');
    fd = load(log.data(), static_cast<uint32_t>(log.size()));
    if (fd >= 0) return UniqueFd(fd);
    log.resize(std::strlen(log.c_str()));
    errno = err;
    if (!log.empty()) return sys_fail("load cgroup device program: {}", trim(log));
  }
  errno = err;
  return sys_fail("load cgroup device program (bpf BPF_PROG_LOAD)");
}

Status attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& insns) {
  BERTH_ASSIGN(UniqueFd prog, load_device_filter(insns));
  UniqueFd dir(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return sys_fail("open {}", cgroup_dir);

  // The device programs attached directly to this cgroup before (an earlier apply).
  std::array<uint32_t, 64> old_ids{};
  bpf_attr query;
  std::memset(&query, 0, sizeof query);
  query.query.target_fd = static_cast<uint32_t>(dir.get());
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = ptr(old_ids.data());
  query.query.prog_cnt = old_ids.size();
  uint32_t old_count = 0;
  uint32_t old_flags = 0;
  if (bpf(BPF_PROG_QUERY, query) == 0) {
    old_count = std::min<uint32_t>(query.query.prog_cnt, old_ids.size());
    old_flags = query.query.attach_flags;
  }

  auto detach = [&](uint32_t id) -> Status {
    bpf_attr get;
    std::memset(&get, 0, sizeof get);
    get.prog_id = id;
    UniqueFd old(bpf(BPF_PROG_GET_FD_BY_ID, get));
    if (!old) {
      if (errno == ENOENT) return ok();
      return sys_fail("get cgroup device program {}", id);
    }
    bpf_attr det;
    std::memset(&det, 0, sizeof det);
    det.target_fd = static_cast<uint32_t>(dir.get());
    det.attach_bpf_fd = static_cast<uint32_t>(old.get());
    det.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, det) < 0 && errno != ENOENT)
      return sys_fail("detach cgroup device program {} from {}", id, cgroup_dir);
    return ok();
  };

  // A program attached without BPF_F_ALLOW_MULTI must go before a multi program can be added.
  bool detached_first = false;
  if (old_count == 1 && !(old_flags & BPF_F_ALLOW_MULTI)) {
    BERTH_TRY(detach(old_ids[0]));
    detached_first = true;
  }

  bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(dir.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attach) < 0)
    return sys_fail("attach cgroup device program to {}", cgroup_dir);

  if (!detached_first) {
    for (uint32_t i = 0; i < old_count; ++i) BERTH_TRY(detach(old_ids[i]));
  }
  return ok();
}

}  // namespace berth::cgroup
