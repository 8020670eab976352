// cgroup v2 device control: linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE program,
// in the manner of runc's libcontainer/cgroups/ebpf/devicefilter.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace berth::cgroup {

// An entry of the v1 devices controller's exception list. access is BPF_DEVCG_ACC_* bits.
struct DeviceException {
  char type = 'c';                       // 'c' or 'b'
  std::optional<uint32_t> major, minor;  // nullopt is the wildcard '*'
  uint32_t access = 0;
};

// What the rules leave behind when written one by one to a v1 devices cgroup that starts as
// deny-all (like runc's devices emulator): a default and the exceptions to it.
struct DeviceState {
  bool default_allow = false;
  std::vector<DeviceException> exceptions;
};

Result<DeviceState> emulate_device_rules(const std::vector<oci::DeviceRule>& rules);

// The program for `rules`: the context is loaded into R2 (type), R3 (access), R4 (major),
// R5 (minor); then one block per exception that returns the opposite of the default when the
// access matches; the last block returns the default.
Result<std::vector<bpf_insn>> device_filter_program(const std::vector<oci::DeviceRule>& rules);

// bpf(BPF_PROG_LOAD) of a cgroup device program; the error carries the verifier log.
Result<UniqueFd> load_device_filter(const std::vector<bpf_insn>& insns);

// Loads `insns` and attaches it to the cgroup2 directory with BPF_F_ALLOW_MULTI, then detaches
// the device programs that were attached there before (so an update replaces the old filter).
Status attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& insns);

}  // namespace berth::cgroup
