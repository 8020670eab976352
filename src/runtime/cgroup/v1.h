// The cgroup v1 manager (also hybrid: v1 controllers plus the cgroup2 hierarchy at unified/).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroup/manager.h"

namespace berth::cgroup::internal {

class V1Manager final : public Manager {
 public:
  V1Manager(Mode mode, std::vector<Hierarchy> hierarchies);

  Mode mode() const override { return mode_; }
  Status create() override;
  Status apply(const oci::Resources& res) override;  // v1_resources.cc
  Status add_pid(pid_t pid) override;
  Status freeze(bool frozen) override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Result<nlohmann::json> stats() override;
  Status destroy() override;
  std::vector<Hierarchy> hierarchies() const override;

 private:
  // The container's directory in the hierarchy holding `controller`, or nullopt.
  std::optional<std::string> dir_of(std::string_view controller) const;
  // dir_of or an error naming the OCI field: "<field>: cgroup controller <c> is not mounted".
  Result<std::string> need(std::string_view controller, std::string_view field) const;
  static std::string dir(const Hierarchy& h);
  // Named hierarchies (name=systemd) and the hybrid unified one only follow along: failures
  // there are not fatal.
  static bool optional(const Hierarchy& h);
  Status copy_cpuset_from_parents(const Hierarchy& h);

  Status apply_memory(const oci::Memory& m);
  Status apply_cpu(const oci::Cpu& c);
  Status apply_block_io(const oci::BlockIo& b);
  Status apply_hugetlb(const std::vector<oci::HugepageLimit>& limits);
  Status apply_devices(const std::vector<oci::DeviceRule>& rules);

  Mode mode_;
  std::vector<Hierarchy> v1_;         // controller hierarchies
  std::optional<Hierarchy> unified_;  // hybrid only
};

}  // namespace berth::cgroup::internal
