#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>

#include "base/file.h"
#include "runtime/cgroup/internal.h"
#include "runtime/cgroup/manager.h"
#include "temp_dir.h"

namespace berth::cgroup {
namespace {

using test_util::TempDir;

void touch(const std::string& path, const std::string& content = "") {
  ASSERT_TRUE(mkdir_all(path.substr(0, path.rfind('/'))));
  std::ofstream(path) << content;
}

std::string slurp(const std::string& path) {
  return read_file(path).value_or("<missing>");
}

// A v1 (optionally hybrid) tree: one directory per hierarchy, the container at /berth/c1 with
// empty control files, as the kernel would show them.
struct FakeV1 {
  explicit FakeV1(bool hybrid = false) {
    const std::map<std::string, std::vector<std::string>> files = {
        {"cpu",
         {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_period_us",
          "cpu.rt_runtime_us", "cpu.stat"}},
        {"cpuacct", {"cpuacct.usage"}},
        {"cpuset", {"cpuset.cpus", "cpuset.mems"}},
        {"memory",
         {"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
          "memory.swappiness", "memory.oom_control"}},
        {"devices", {"devices.allow", "devices.deny"}},
        {"freezer", {"freezer.state"}},
        {"blkio", {"blkio.weight", "blkio.throttle.read_bps_device"}},
        {"pids", {"pids.max"}},
        {"systemd", {}}};
    for (const auto& [h, names] : files) {
      touch(c1(h, "cgroup.procs"));
      for (const auto& n : names) touch(c1(h, n));
    }
    touch(root() + "/cpuset/cpuset.cpus", "0-3\n");
    touch(root() + "/cpuset/cpuset.mems", "0\n");
    if (hybrid) {
      touch(root() + "/unified/cgroup.controllers", "hugetlb\n");
      touch(root() + "/unified/cgroup.subtree_control");
      touch(root() + "/unified/berth/cgroup.controllers", "hugetlb\n");
      touch(root() + "/unified/berth/cgroup.subtree_control");
      touch(c1("unified", "cgroup.procs"));
    }
  }
  std::string root() const { return tmp.path(); }
  std::string c1(const std::string& h, const std::string& file) const {
    return root() + "/" + h + "/berth/c1/" + file;
  }
  std::unique_ptr<Manager> open() const {
    auto m = Manager::open("/berth/c1", root());
    EXPECT_TRUE(m) << m.error().message();
    return m ? std::move(*m) : nullptr;
  }
  TempDir tmp;
};

// A v2 tree: controllers at the root and /berth, the container at /berth/c1.
struct FakeV2 {
  FakeV2() {
    for (const std::string& dir : {root(), root() + "/berth"}) {
      touch(dir + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
      touch(dir + "/cgroup.subtree_control");
    }
    for (const char* f :
         {"cgroup.procs", "cgroup.subtree_control", "cgroup.freeze", "memory.max", "memory.low",
          "memory.swap.max", "memory.high", "cpu.weight", "cpu.max", "cpuset.cpus", "cpuset.mems",
          "pids.max", "io.weight", "io.max", "hugetlb.2MB.max"})
      touch(c1(f));
    touch(c1("cgroup.events"), "populated 1\nfrozen 1\n");
  }
  std::string root() const { return tmp.path(); }
  std::string c1(const std::string& file) const { return root() + "/berth/c1/" + file; }
  std::unique_ptr<Manager> open() const {
    auto m = Manager::open("/berth/c1", root());
    EXPECT_TRUE(m) << m.error().message();
    return m ? std::move(*m) : nullptr;
  }
  TempDir tmp;
};

oci::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major,
                     std::optional<int64_t> minor, std::string access) {
  return oci::DeviceRule{allow, std::move(type), major, minor, std::move(access)};
}

TEST(CgroupDetect, ModeFromLayout) {
  TempDir v1;
  ASSERT_TRUE(mkdir_all(v1.path() + "/memory"));
  EXPECT_EQ(detect_mode(v1.path()), Mode::V1);
  TempDir hybrid;
  touch(hybrid.path() + "/unified/cgroup.controllers");
  EXPECT_EQ(detect_mode(hybrid.path()), Mode::Hybrid);
  TempDir v2;
  touch(v2.path() + "/cgroup.controllers");
  EXPECT_EQ(detect_mode(v2.path()), Mode::V2);
}

TEST(CgroupDetect, Mountinfo) {
  std::string mi =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 31 0:32 / /mnt/elsewhere rw - cgroup cgroup rw,memory\n"
      "51 31 0:32 / /sys/fs/cgroup/memory2 rw - cgroup cgroup rw,memory\n";
  auto hs = internal::hierarchies_from_mountinfo(mi, "/sys/fs/cgroup");
  ASSERT_EQ(hs.size(), 4u);
  EXPECT_EQ(hs[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(hs[0].options, "cpu,cpuacct");
  EXPECT_EQ(hs[1].options, "memory");
  EXPECT_EQ(hs[2].options, "name=systemd");
  EXPECT_TRUE(hs[3].v2);
  EXPECT_EQ(hs[3].mountpoint, "/sys/fs/cgroup/unified");
}

TEST(CgroupResolve, Paths) {
  auto r = [&](const std::string& p, const std::string& id = "c1") {
    return resolve_cgroups_path(p, id);
  };
  EXPECT_EQ(r("").value(), "/berth/c1");
  EXPECT_EQ(r("/a/b").value(), "/a/b");
  EXPECT_EQ(r("/a/./b/../c/").value(), "/a/c");
  // Relative paths stay relative: Manager::open resolves them per hierarchy.
  EXPECT_EQ(r("foo/bar").value(), "foo/bar");
  EXPECT_EQ(r("foo/./x/../bar/").value(), "foo/bar");
  EXPECT_EQ(r("system.slice:docker:abc").value(), "/system.slice/docker-abc.scope");
  EXPECT_EQ(r(":docker:abc").value(), "/system.slice/docker-abc.scope");
  EXPECT_EQ(r("a-b-c.slice:p:n").value(), "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
  EXPECT_EQ(r("user.slice::n").value(), "/user.slice/n.scope");
  EXPECT_EQ(r("-.slice:p:n").value(), "/p-n.scope");
  for (const char* bad : {"/../x", "/a/../../x", "../x", "a/../../x", "bad:x", "a--b.slice:p:n",
                          "foo:p:n", "x.slice:p:", "/", "/a/.."}) {
    EXPECT_FALSE(r(bad)) << bad;
  }
  EXPECT_FALSE(r("", ""));
  auto e = r("/../x");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("linux.cgroupsPath"), std::string::npos);
}

TEST(CgroupV1, OpenFindsHierarchies) {
  FakeV1 fake(/*hybrid=*/true);
  auto m = fake.open();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mode(), Mode::Hybrid);
  auto hs = m->hierarchies();
  ASSERT_EQ(hs.size(), 10u);
  bool saw_systemd = false;
  for (const auto& h : hs) {
    EXPECT_EQ(h.path, "/berth/c1");
    saw_systemd |= h.options == "name=systemd";
  }
  EXPECT_TRUE(saw_systemd);
  EXPECT_TRUE(hs.back().v2);
  EXPECT_EQ(hs.back().mountpoint, fake.root() + "/unified");
}

TEST(CgroupV1, CreateCopiesCpusetFromParent) {
  FakeV1 fake;
  touch(fake.root() + "/cpuset/berth/cpuset.cpus");
  touch(fake.root() + "/cpuset/berth/cpuset.mems", "0\n");
  auto m = fake.open();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create());
  EXPECT_EQ(slurp(fake.root() + "/cpuset/berth/cpuset.cpus"), "0-3");
  EXPECT_EQ(slurp(fake.root() + "/cpuset/berth/cpuset.mems"), "0\n");  // already set: kept
  EXPECT_EQ(slurp(fake.c1("cpuset", "cpuset.cpus")), "0-3");
  EXPECT_EQ(slurp(fake.c1("cpuset", "cpuset.mems")), "0");
}

TEST(CgroupV1, ApplyWritesEveryController) {
  FakeV1 fake;
  auto m = fake.open();
  ASSERT_TRUE(m);
  oci::Resources res;
  res.memory = oci::Memory{};
  res.memory->limit = 64 << 20;
  res.memory->reservation = 32 << 20;
  res.memory->swap = 128 << 20;
  res.memory->swappiness = 10;
  res.memory->disable_oom_killer = true;
  res.cpu = oci::Cpu{};
  res.cpu->shares = 512;
  res.cpu->quota = 50000;
  res.cpu->period = 100000;
  res.cpu->realtime_period = 1000000;
  res.cpu->realtime_runtime = 950000;
  res.cpu->cpus = "0-1";
  res.cpu->mems = "0";
  res.pids_limit = 0;
  res.block_io = oci::BlockIo{};
  res.block_io->weight = 500;
  res.block_io->read_bps = {oci::ThrottleDevice{8, 0, 1048576}};
  res.devices = {rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rwm"),
                 rule(true, "c", {}, {}, "m"), rule(true, "b", 8, 0, "r")};
  auto st = m->apply(res);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(slurp(fake.c1("memory", "memory.limit_in_bytes")), "67108864");
  EXPECT_EQ(slurp(fake.c1("memory", "memory.memsw.limit_in_bytes")), "134217728");
  EXPECT_EQ(slurp(fake.c1("memory", "memory.soft_limit_in_bytes")), "33554432");
  EXPECT_EQ(slurp(fake.c1("memory", "memory.swappiness")), "10");
  EXPECT_EQ(slurp(fake.c1("memory", "memory.oom_control")), "1");
  EXPECT_EQ(slurp(fake.c1("cpu", "cpu.shares")), "512");
  EXPECT_EQ(slurp(fake.c1("cpu", "cpu.cfs_period_us")), "100000");
  EXPECT_EQ(slurp(fake.c1("cpu", "cpu.cfs_quota_us")), "50000");
  EXPECT_EQ(slurp(fake.c1("cpu", "cpu.rt_period_us")), "1000000");
  EXPECT_EQ(slurp(fake.c1("cpu", "cpu.rt_runtime_us")), "950000");
  EXPECT_EQ(slurp(fake.c1("cpuset", "cpuset.cpus")), "0-1");
  EXPECT_EQ(slurp(fake.c1("cpuset", "cpuset.mems")), "0");
  EXPECT_EQ(slurp(fake.c1("pids", "pids.max")), "max");
  EXPECT_EQ(slurp(fake.c1("blkio", "blkio.weight")), "500");
  EXPECT_EQ(slurp(fake.c1("blkio", "blkio.throttle.read_bps_device")), "8:0 1048576");
  EXPECT_EQ(slurp(fake.c1("devices", "devices.deny")), "a\n");
  EXPECT_EQ(slurp(fake.c1("devices", "devices.allow")), "c 1:3 rwm\nc *:* m\nb 8:0 r\n");
}

TEST(CgroupV1, DevicesWithoutWildcardStartFromDenyAll) {
  FakeV1 fake;
  auto m = fake.open();
  oci::Resources res;
  res.pids_limit = 20;
  res.devices = {rule(true, "c", 1, 5, "rw"), rule(false, "c", 1, 5, "w")};
  ASSERT_TRUE(m->apply(res));
  EXPECT_EQ(slurp(fake.c1("devices", "devices.deny")), "a\nc 1:5 w\n");
  EXPECT_EQ(slurp(fake.c1("devices", "devices.allow")), "c 1:5 rw\n");
  EXPECT_EQ(slurp(fake.c1("pids", "pids.max")), "20");
  res.devices = {rule(true, "c", 1, 5, "rwx")};
  auto st = m->apply(res);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.devices[0].access"), std::string::npos);
}

TEST(CgroupV1, ErrorsNameFieldAndFile) {
  FakeV1 fake;
  ASSERT_EQ(::unlink(fake.c1("memory", "memory.memsw.limit_in_bytes").c_str()), 0);
  ASSERT_EQ(::unlink(fake.c1("memory", "memory.limit_in_bytes").c_str()), 0);
  auto m = fake.open();
  oci::Resources res;
  res.memory = oci::Memory{};
  res.memory->limit = 1 << 20;
  auto st = m->apply(res);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "linux.resources.memory.limit: write " +
                                      fake.c1("memory", "memory.limit_in_bytes") +
                                      ": No such file or directory");
  res.memory->swap = 2 << 20;
  st = m->apply(res);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.memory.swap"), std::string::npos);
  oci::Resources huge;
  huge.hugepage_limits = {oci::HugepageLimit{"2MB", 1 << 21}};
  st = m->apply(huge);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.hugepageLimits"), std::string::npos);
}

TEST(CgroupV1, UnifiedKeysNeedCgroup2) {
  FakeV1 v1;
  oci::Resources res;
  res.unified = {{"memory.high", "1G"}};
  auto st = v1.open()->apply(res);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.unified: memory.high requires cgroup v2"),
            std::string::npos);

  FakeV1 hybrid(/*hybrid=*/true);
  auto m = hybrid.open();
  EXPECT_FALSE(m->apply(res));  // memory is a v1 controller here
  touch(hybrid.c1("unified", "hugetlb.2MB.max"));
  res.unified = {{"hugetlb.2MB.max", "4194304"}};
  ASSERT_TRUE(m->apply(res));
  EXPECT_EQ(slurp(hybrid.c1("unified", "hugetlb.2MB.max")), "4194304");
  EXPECT_EQ(slurp(hybrid.root() + "/unified/cgroup.subtree_control"), "+hugetlb");
  EXPECT_EQ(slurp(hybrid.root() + "/unified/berth/cgroup.subtree_control"), "+hugetlb");
  // hugepageLimits fall back to the unified hugetlb controller on hybrid hosts.
  oci::Resources huge;
  huge.hugepage_limits = {oci::HugepageLimit{"2MB", 2097152}};
  ASSERT_TRUE(m->apply(huge));
  EXPECT_EQ(slurp(hybrid.c1("unified", "hugetlb.2MB.max")), "41943042097152");
}

TEST(CgroupV1, PidsFreezeStatsAndDestroy) {
  FakeV1 fake;
  touch(fake.c1("pids", "cgroup.procs"), "12\n7\n");
  touch(fake.c1("pids", "sub/cgroup.procs"), "30\n");
  touch(fake.c1("cpuacct", "cpuacct.usage"), "123456\n");
  touch(fake.c1("cpuacct", "cpuacct.usage_percpu"), "100000 23456 \n");
  touch(fake.c1("cpu", "cpu.stat"), "nr_periods 5\nnr_throttled 1\nthrottled_time 999\n");
  touch(fake.c1("memory", "memory.usage_in_bytes"), "4096\n");
  touch(fake.c1("memory", "memory.max_usage_in_bytes"), "8192\n");
  touch(fake.c1("memory", "memory.stat"), "cache 10\nrss 20\n");
  touch(fake.c1("pids", "pids.current"), "3\n");
  touch(fake.c1("pids", "pids.max"), "max\n");
  auto m = fake.open();
  EXPECT_EQ(m->pids().value(), (std::vector<pid_t>{7, 12, 30}));

  ASSERT_TRUE(m->freeze(true));
  EXPECT_EQ(slurp(fake.c1("freezer", "freezer.state")), "FROZEN");
  EXPECT_TRUE(m->frozen().value());

  auto s = m->stats().value();
  EXPECT_EQ(s["cpu"]["usage"]["total"], 123456);
  EXPECT_EQ(s["cpu"]["usage"]["percpu"], nlohmann::json({100000, 23456}));
  EXPECT_EQ(s["cpu"]["throttling"]["throttledPeriods"], 1);
  EXPECT_EQ(s["cpu"]["throttling"]["throttledTime"], 999);
  EXPECT_EQ(s["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ(s["memory"]["usage"]["max"], 8192);
  EXPECT_EQ(s["memory"]["raw"]["rss"], 20);
  EXPECT_EQ(s["memory"]["cache"], 10);
  EXPECT_EQ(s["pids"]["current"], 3);
  EXPECT_EQ(s["pids"]["limit"], 0);
  EXPECT_TRUE(s["blkio"].is_object());
  EXPECT_TRUE(s["hugetlb"].is_object());

  // A fresh cgroup (empty directories, as mkdir leaves them on a fake tree) is removed again,
  // children first; the /berth parent stays.
  FakeV1 other;
  auto n = Manager::open("/berth/c2", other.root()).value();
  ASSERT_TRUE(n->create());
  ASSERT_TRUE(mkdir_all(other.root() + "/memory/berth/c2/child"));
  ASSERT_TRUE(n->destroy());
  EXPECT_FALSE(path_exists(other.root() + "/memory/berth/c2"));
  EXPECT_FALSE(path_exists(other.root() + "/systemd/berth/c2"));
  EXPECT_TRUE(path_exists(other.root() + "/memory/berth"));
  EXPECT_TRUE(n->destroy());  // already gone is fine
}

TEST(CgroupV2, CreateEnablesControllersInParents) {
  FakeV2 fake;
  auto m = fake.open();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mode(), Mode::V2);
  ASSERT_TRUE(m->create());
  const std::string all = "+cpuset +cpu +io +memory +hugetlb +pids";
  EXPECT_EQ(slurp(fake.root() + "/cgroup.subtree_control"), all);
  EXPECT_EQ(slurp(fake.root() + "/berth/cgroup.subtree_control"), all);
  EXPECT_EQ(slurp(fake.c1("cgroup.subtree_control")), "");  // the leaf keeps none
}

TEST(CgroupV2, ApplyConvertsV1Values) {
  FakeV2 fake;
  auto m = fake.open();
  oci::Resources res;
  res.memory = oci::Memory{};
  res.memory->limit = 64 << 20;
  res.memory->swap = 128 << 20;
  res.memory->reservation = 16 << 20;
  res.cpu = oci::Cpu{};
  res.cpu->shares = 1024;
  res.cpu->quota = 50000;
  res.cpu->period = 100000;
  res.cpu->cpus = "1";
  res.pids_limit = -1;
  res.block_io = oci::BlockIo{};
  res.block_io->weight = 500;
  res.block_io->read_bps = {oci::ThrottleDevice{8, 0, 1000}};
  res.block_io->write_iops = {oci::ThrottleDevice{8, 0, 50}};
  res.hugepage_limits = {oci::HugepageLimit{"2MB", 0}};
  res.unified = {{"memory.high", "50M"}};
  res.devices = {rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rwm")};
  auto st = m->apply(res);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(slurp(fake.c1("memory.max")), "67108864");
  EXPECT_EQ(slurp(fake.c1("memory.swap.max")), "67108864");
  EXPECT_EQ(slurp(fake.c1("memory.low")), "16777216");
  EXPECT_EQ(slurp(fake.c1("cpu.weight")), "39");
  EXPECT_EQ(slurp(fake.c1("cpu.max")), "50000 100000");
  EXPECT_EQ(slurp(fake.c1("cpuset.cpus")), "1");
  EXPECT_EQ(slurp(fake.c1("pids.max")), "max");
  EXPECT_EQ(slurp(fake.c1("io.weight")), "4950");
  EXPECT_EQ(slurp(fake.c1("io.max")), "8:0 rbps=1000 wiops=50");
  EXPECT_EQ(slurp(fake.c1("hugetlb.2MB.max")), "0");
  EXPECT_EQ(slurp(fake.c1("memory.high")), "50M");

  FakeV2 other;
  oci::Resources unlimited;
  unlimited.cpu = oci::Cpu{};
  unlimited.cpu->quota = -1;
  unlimited.cpu->period = 250000;
  unlimited.memory = oci::Memory{};
  unlimited.memory->limit = -1;
  ASSERT_TRUE(other.open()->apply(unlimited));
  EXPECT_EQ(slurp(other.c1("cpu.max")), "max 250000");
  EXPECT_EQ(slurp(other.c1("memory.max")), "max");
  EXPECT_EQ(slurp(other.c1("memory.swap.max")), "max");
}

TEST(CgroupV2, Errors) {
  FakeV2 fake;
  auto m = fake.open();
  oci::Resources res;
  res.unified = {{"io.latency", "8:0 target=10"}};
  auto st = m->apply(res);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.unified.io.latency"), std::string::npos);
  oci::Resources swap;
  swap.memory = oci::Memory{};
  swap.memory->swap = 1 << 20;
  st = m->apply(swap);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.memory.swap"), std::string::npos);
  oci::Resources huge;
  huge.hugepage_limits = {oci::HugepageLimit{"1GB", 0}};
  st = m->apply(huge);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources.hugepageLimits"), std::string::npos);
}

TEST(CgroupV2, FreezePidsStats) {
  FakeV2 fake;
  touch(fake.c1("cgroup.procs"), "5\n");
  touch(fake.c1("cpu.stat"), "usage_usec 10\nuser_usec 4\nsystem_usec 6\nnr_throttled 2\n");
  touch(fake.c1("memory.current"), "4096\n");
  touch(fake.c1("memory.max"), "max\n");
  touch(fake.c1("memory.stat"), "anon 1\nfile 2\n");
  touch(fake.c1("pids.current"), "1\n");
  touch(fake.c1("io.stat"), "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
  auto m = fake.open();
  ASSERT_TRUE(m->freeze(true));
  EXPECT_EQ(slurp(fake.c1("cgroup.freeze")), "1");
  EXPECT_TRUE(m->frozen().value());
  EXPECT_EQ(m->pids().value(), std::vector<pid_t>{5});
  auto s = m->stats().value();
  EXPECT_EQ(s["cpu"]["usage"]["total"], 10000);
  EXPECT_EQ(s["cpu"]["usage"]["kernel"], 6000);
  EXPECT_EQ(s["cpu"]["throttling"]["throttledPeriods"], 2);
  EXPECT_EQ(s["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ(s["memory"]["usage"]["limit"], UINT64_MAX);
  EXPECT_EQ(s["memory"]["cache"], 2);
  EXPECT_EQ(s["pids"]["current"], 1);
  EXPECT_EQ(s["blkio"]["ioServiceBytesRecursive"][1]["value"], 200);
  EXPECT_EQ(s["blkio"]["ioServicedRecursive"][0]["op"], "Read");
  EXPECT_EQ(s["hugetlb"]["2MB"]["failcnt"], 0);
}

TEST(CgroupV2, Conversions) {
  using namespace internal;
  EXPECT_EQ(cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(swap_to_v2(0, -1).value(), -1);
  EXPECT_EQ(swap_to_v2(-1, 100).value(), -1);
  EXPECT_EQ(swap_to_v2(300, 100).value(), 200);
  EXPECT_FALSE(swap_to_v2(50, 100));
  EXPECT_FALSE(swap_to_v2(50, 0));
  EXPECT_EQ(cpu_max(0, 0), std::nullopt);
  EXPECT_EQ(cpu_max(20000, 0).value(), "20000");
  EXPECT_EQ(cpu_max(0, 100000).value(), "max 100000");
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

TEST(CgroupReal, V1Lifecycle) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  if (detect_mode() == Mode::V2) GTEST_SKIP() << "host is cgroup v2";
  const std::string path = fmt::format("/berth-unittest-{}", getpid());
  auto opened = Manager::open(path);
  ASSERT_TRUE(opened) << opened.error().message();
  auto& m = *opened;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  pid_t child = spawn_waiting(p[0], [] { return 0; });
  ASSERT_GT(child, 0);
  Defer cleanup([&] {
    (void)m->freeze(false);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(p[0]);
    ::close(p[1]);
    auto st = m->destroy();
    EXPECT_TRUE(st) << st.error().message();
    for (const auto& h : m->hierarchies())
      EXPECT_FALSE(path_exists(path_join(h.mountpoint, h.path))) << h.mountpoint;
  });
  auto st = m->create();
  ASSERT_TRUE(st) << st.error().message();
  oci::Resources res;
  res.memory = oci::Memory{};
  res.memory->limit = 64 << 20;
  res.pids_limit = 20;
  st = m->apply(res);
  ASSERT_TRUE(st) << st.error().message();
  st = m->add_pid(child);
  ASSERT_TRUE(st) << st.error().message();
  auto pids = m->pids();
  ASSERT_TRUE(pids) << pids.error().message();
  EXPECT_NE(std::find(pids->begin(), pids->end(), child), pids->end());
  EXPECT_EQ(read_file("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes").value_or(""),
            "67108864\n");
  EXPECT_EQ(read_file("/sys/fs/cgroup/pids" + path + "/pids.max").value_or(""), "20\n");
  st = m->freeze(true);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_TRUE(m->frozen().value_or(false));
  st = m->freeze(false);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_FALSE(m->frozen().value_or(true));
  auto stats = m->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ((*stats)["memory"]["usage"]["limit"], 67108864);
  EXPECT_EQ((*stats)["pids"]["current"], 1);
  EXPECT_EQ((*stats)["pids"]["limit"], 20);
}

}  // namespace
}  // namespace berth::cgroup
