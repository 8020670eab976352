#include <gtest/gtest.h>

#include <csignal>

#include "runtime/idmap.h"
#include "runtime/mount_options.h"
#include "runtime/names.h"

#include <sys/mount.h>
#include <sys/resource.h>

using namespace berth::runtime;

TEST(Capabilities, NamesRoundTrip) {
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(capability_from_name("cap_net_bind_service"), 10);
  EXPECT_FALSE(capability_from_name("SYS_ADMIN").has_value());
  EXPECT_FALSE(capability_from_name("CAP_NOT_A_CAP").has_value());
  EXPECT_EQ(capability_name(21), "CAP_SYS_ADMIN");
  EXPECT_GE(last_capability(), 37);
}

TEST(Signals, NamesAndNumbers) {
  EXPECT_EQ(parse_signal("KILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("SIGKILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("sigterm").value(), SIGTERM);
  EXPECT_EQ(parse_signal("usr1").value(), SIGUSR1);
  EXPECT_EQ(parse_signal("9").value(), 9);
  EXPECT_EQ(parse_signal("RTMIN").value(), SIGRTMIN);
  EXPECT_EQ(parse_signal("SIGRTMIN+3").value(), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("RTMAX-1").value(), SIGRTMAX - 1);
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("65"));
  EXPECT_FALSE(parse_signal("NOPE"));
  EXPECT_FALSE(parse_signal(""));
  EXPECT_NE(parse_signal("NOPE").error().message().find("invalid signal"), std::string::npos);
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
}

TEST(Rlimits, Names) {
  EXPECT_EQ(rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_FALSE(rlimit_from_name("NOFILE").has_value());
}

TEST(MountOptions, FlagsDataAndPropagation) {
  auto m = parse_mount_options({"nosuid", "noexec", "mode=755", "size=65536k", "strictatime"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_STRICTATIME));
  EXPECT_EQ(m.data, "mode=755,size=65536k");
  auto b = parse_mount_options({"rbind", "ro", "rprivate"});
  EXPECT_TRUE(b.bind());
  EXPECT_TRUE(b.recursive_bind());
  EXPECT_TRUE(b.flags & MS_RDONLY);
  EXPECT_EQ(b.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  // A later option clears an earlier one.
  auto rw = parse_mount_options({"ro", "rw", "nodev", "dev"});
  EXPECT_EQ(rw.flags, 0u);
  auto rec = parse_mount_options({"bind", "rro", "rnosuid"});
  EXPECT_FALSE(rec.recursive_bind());
  EXPECT_NE(rec.attr_set, 0u);
  EXPECT_EQ(propagation_flag("rslave"), static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(propagation_flag("bogus"), 0u);
}

TEST(IdMap, FormatAndLookup) {
  std::vector<berth::oci::IdMapping> maps = {{0, 100000, 1000}, {1000, 5000, 1}};
  EXPECT_EQ(format_id_map(maps), "0 100000 1000\n1000 5000 1\n");
  EXPECT_EQ(to_host_id(0, maps), 100000u);
  EXPECT_EQ(to_host_id(999, maps), 100999u);
  EXPECT_EQ(to_host_id(1000, maps), 5000u);
  EXPECT_FALSE(to_host_id(1001, maps).has_value());
}
