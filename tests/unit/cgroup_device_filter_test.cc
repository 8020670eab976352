#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "base/file.h"
#include "runtime/cgroup/device_filter.h"
#include "runtime/cgroup/manager.h"

// The eBPF device filter for cgroup v2: the generated program, checked by interpreting it, by the
// kernel's verifier and on a real cgroup2 hierarchy.
namespace berth::cgroup {
namespace {

oci::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major,
                     std::optional<int64_t> minor, std::string access) {
  return oci::DeviceRule{allow, std::move(type), major, minor, std::move(access)};
}

// Runs a cgroup device program the way the kernel would for one access.
int run_filter(const std::vector<bpf_insn>& prog, char type, const char* access, uint32_t major,
               uint32_t minor) {
  uint32_t acc = 0;
  for (const char* c = access; *c; ++c)
    acc |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  uint32_t ctx[3] = {acc << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major,
                     minor};
  uint64_t r[11] = {};
  bool r1_is_ctx = true;
  for (size_t pc = 0; pc < prog.size();) {
    const bpf_insn& i = prog[pc++];
    uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    if (BPF_CLASS(i.code) == BPF_ALU && i.dst_reg == BPF_REG_1) r1_is_ctx = false;
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_TRUE(r1_is_ctx && i.src_reg == BPF_REG_1 && i.off % 4 == 0 && i.off <= 8);
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & imm);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]);
        break;
      case BPF_ALU | BPF_MOV | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(i.imm);
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != imm) pc += i.off;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (r[i.dst_reg] == imm) pc += i.off;
        break;
      case BPF_JMP | BPF_JNE | BPF_X:
        if (r[i.dst_reg] != r[i.src_reg]) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code);
        return -1;
    }
  }
  ADD_FAILURE() << "program fell off its end";
  return -1;
}

TEST(CgroupDeviceFilter, InstructionShape) {
  std::vector<oci::DeviceRule> rules = {rule(false, "a", {}, {}, "rwm"),
                                        rule(true, "c", 1, 3, "rwm"), rule(true, "c", {}, {}, "m"),
                                        rule(true, "b", 8, 0, "r")};
  auto prog = device_filter_program(rules).value();
  // 6 to load the context; c 1:3 rwm: type, major, minor, return = 5; c *:* m: type, 3 for the
  // access, return = 6; b 8:0 r: 1 + 3 + 2 + 2 = 8; the default: 2.
  ASSERT_EQ(prog.size(), 6u + 5 + 6 + 8 + 2);
  EXPECT_EQ(prog[0].code, BPF_LDX | BPF_MEM | BPF_W);
  EXPECT_EQ(prog[6].code, BPF_JMP | BPF_JNE | BPF_K);
  EXPECT_EQ(prog[6].imm, BPF_DEVCG_DEV_CHAR);
  EXPECT_EQ(prog[6].off, 4);  // to the next block
  EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(prog[prog.size() - 2].imm, 0);  // default deny
  EXPECT_EQ(run_filter(prog, 'c', "rw", 1, 3), 1);
  EXPECT_EQ(run_filter(prog, 'c', "r", 1, 5), 0);
  EXPECT_EQ(run_filter(prog, 'c', "m", 4, 7), 1);
  EXPECT_EQ(run_filter(prog, 'b', "r", 8, 0), 1);
  EXPECT_EQ(run_filter(prog, 'b', "w", 8, 0), 0);
  EXPECT_EQ(run_filter(prog, 'b', "m", 8, 1), 0);
}

TEST(CgroupDeviceFilter, EmulatesV1Semantics) {
  // Allow-list semantics with later rules taking access away again.
  auto prog = device_filter_program({rule(true, "c", 1, 5, "rwm"), rule(false, "c", 1, 5, "w"),
                                     rule(true, "c", 1, 7, "r"), rule(true, "c", 1, 7, "w")})
                  .value();
  EXPECT_EQ(run_filter(prog, 'c', "r", 1, 5), 1);
  EXPECT_EQ(run_filter(prog, 'c', "rw", 1, 5), 0);
  EXPECT_EQ(run_filter(prog, 'c', "rw", 1, 7), 1);  // identical entries merge
  // Deny-list: allow all, then deny writes to 8:*.
  prog =
      device_filter_program({rule(true, "a", {}, {}, "rwm"), rule(false, "b", 8, {}, "w")}).value();
  EXPECT_EQ(run_filter(prog, 'b', "r", 8, 16), 1);
  EXPECT_EQ(run_filter(prog, 'b', "rw", 8, 16), 0);  // any denied access denies
  EXPECT_EQ(run_filter(prog, 'c', "rwm", 8, 16), 1);
  auto state = emulate_device_rules({rule(true, "a", {}, {}, "rwm"), rule(false, "c", 1, 3, "rwm"),
                                     rule(false, "a", {}, {}, "rwm")})
                   .value();
  EXPECT_FALSE(state.default_allow);
  EXPECT_TRUE(state.exceptions.empty());
  EXPECT_FALSE(device_filter_program({rule(true, "x", 1, 3, "rwm")}));
  EXPECT_FALSE(device_filter_program({rule(true, "c", 1, 3, "")}));
}

TEST(CgroupDeviceFilter, KernelAcceptsProgram) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto prog = device_filter_program({rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rw"),
                                     rule(true, "b", {}, 0, "m")})
                  .value();
  auto fd = load_device_filter(prog);
  if (!fd && fd.error().sys_errno() == EPERM) GTEST_SKIP() << fd.error().message();
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_GE(fd->get(), 0);
}

// A child that waits for a byte on `fd` and then runs `then`.
template <typename F>
pid_t spawn_waiting(int fd, F then) {
  pid_t pid = ::fork();
  if (pid == 0) {
    char c;
    while (::read(fd, &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(then());
  }
  return pid;
}

// Hybrid hosts have a real cgroup2 hierarchy at unified/: enough for the eBPF device filter and
// the v2 freezer.
TEST(CgroupReal, V2DeviceFilterAndFreeze) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Mode mode = detect_mode();
  if (mode == Mode::V1) GTEST_SKIP() << "no cgroup2 hierarchy";
  const std::string root = mode == Mode::Hybrid ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
  const std::string subtree = read_file(root + "/cgroup.subtree_control").value_or("");
  auto opened = Manager::open(fmt::format("/berth-unittest-bpf-{}", getpid()), root);
  ASSERT_TRUE(opened) << opened.error().message();
  auto& m = *opened;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  pid_t child = spawn_waiting(p[0], [] {
    int null_fd = ::open("/dev/null", O_RDONLY);
    bool null_denied = null_fd < 0 && errno == EPERM;
    bool zero_ok = ::open("/dev/zero", O_RDONLY) >= 0;
    return (null_denied ? 1 : 0) | (zero_ok ? 2 : 0);
  });
  ASSERT_GT(child, 0);
  int status = -1;
  Defer cleanup([&] {
    (void)m->freeze(false);
    if (status == -1) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    ::close(p[0]);
    ::close(p[1]);
    auto st = m->destroy();
    EXPECT_TRUE(st) << st.error().message();
    if (mode == Mode::Hybrid && read_file(root + "/cgroup.subtree_control").value_or("") != subtree)
      (void)write_file(root + "/cgroup.subtree_control", "-hugetlb");
  });
  auto st = m->create();
  ASSERT_TRUE(st) << st.error().message();
  oci::Resources res;
  // The second apply (an update) must replace the first program, which denies /dev/zero.
  res.devices = {rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rwm")};
  st = m->apply(res);
  ASSERT_TRUE(st) << st.error().message();
  res.devices = {rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 5, "rwm")};
  st = m->apply(res);
  ASSERT_TRUE(st) << st.error().message();
  st = m->add_pid(child);
  ASSERT_TRUE(st) << st.error().message();
  st = m->freeze(true);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_TRUE(m->frozen().value_or(false));
  st = m->freeze(false);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_FALSE(m->frozen().value_or(true));
  ASSERT_EQ(::write(p[1], "x", 1), 1);
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << "1: /dev/null denied, 2: /dev/zero allowed";
}

}  // namespace
}  // namespace berth::cgroup
