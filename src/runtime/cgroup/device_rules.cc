// Validating linux.resources.devices, the v1 devices.allow/deny syntax and the devices emulator.
#include <algorithm>

#include "runtime/cgroup/device_filter.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup {

namespace {

constexpr uint32_t kAccessAll = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// A checked rule: type 'a', 'c' or 'b'; access as BPF_DEVCG_ACC_* bits.
struct Rule {
  char type = 'a';
  std::optional<uint32_t> major, minor;
  uint32_t access = 0;
  bool allow = false;
};

Result<std::optional<uint32_t>> check_number(const std::optional<int64_t>& v, size_t index,
                                             const char* what) {
  // runc treats -1 (and absence) as the wildcard.
  if (!v || *v < 0) return std::optional<uint32_t>();
  if (*v > INT32_MAX)
    return fail(ErrorKind::InvalidArgument, "linux.resources.devices[{}].{}: {} is too large",
                index, what, *v);
  return std::optional<uint32_t>(static_cast<uint32_t>(*v));
}

Result<Rule> check_rule(const oci::DeviceRule& r, size_t index) {
  Rule out;
  out.allow = r.allow;
  if (r.type.empty() || r.type == "a") {
    out.type = 'a';
  } else if (r.type == "c" || r.type == "b") {
    out.type = r.type[0];
  } else {
    return fail(ErrorKind::InvalidArgument, "linux.resources.devices[{}].type: invalid type {:?}",
                index, r.type);
  }
  BERTH_ASSIGN(out.major, check_number(r.major, index, "major"));
  BERTH_ASSIGN(out.minor, check_number(r.minor, index, "minor"));
  for (char c : r.access) {
    if (c == 'r') {
      out.access |= BPF_DEVCG_ACC_READ;
    } else if (c == 'w') {
      out.access |= BPF_DEVCG_ACC_WRITE;
    } else if (c == 'm') {
      out.access |= BPF_DEVCG_ACC_MKNOD;
    } else {
      out.access = 0;
      break;
    }
  }
  if (out.access == 0)
    return fail(ErrorKind::InvalidArgument,
                "linux.resources.devices[{}].access: invalid access {:?} (want r, w, m)", index,
                r.access);
  return out;
}

std::string access_string(uint32_t access) {
  std::string s;
  if (access & BPF_DEVCG_ACC_READ) s += 'r';
  if (access & BPF_DEVCG_ACC_WRITE) s += 'w';
  if (access & BPF_DEVCG_ACC_MKNOD) s += 'm';
  return s;
}

std::string number_string(const std::optional<uint32_t>& v) {
  return v ? std::to_string(*v) : std::string("*");
}

}  // namespace

namespace internal {

Result<std::string> device_rule_string(const oci::DeviceRule& rule, size_t index) {
  BERTH_ASSIGN(Rule r, check_rule(rule, index));
  // The kernel reads only the 'a' of a wildcard rule.
  if (r.type == 'a') return std::string("a");
  return fmt::format("{} {}:{} {}", r.type, number_string(r.major), number_string(r.minor),
                     access_string(r.access));
}

}  // namespace internal

Result<DeviceState> emulate_device_rules(const std::vector<oci::DeviceRule>& rules) {
  DeviceState state;
  for (size_t i = 0; i < rules.size(); ++i) {
    BERTH_ASSIGN(Rule r, check_rule(rules[i], i));
    if (r.type == 'a') {
      state.default_allow = r.allow;
      state.exceptions.clear();
      continue;
    }
    auto same = std::find_if(state.exceptions.begin(), state.exceptions.end(),
                             [&](const DeviceException& e) {
                               return e.type == r.type && e.major == r.major && e.minor == r.minor;
                             });
    if (r.allow == state.default_allow) {
      // Like the kernel's dev_exception_rm: take the access away from the identical exception.
      if (same != state.exceptions.end()) {
        same->access &= ~r.access;
        if (same->access == 0) state.exceptions.erase(same);
      }
    } else if (same != state.exceptions.end()) {
      same->access |= r.access;  // dev_exception_add merges identical entries
    } else {
      state.exceptions.push_back(DeviceException{r.type, r.major, r.minor, r.access});
    }
  }
  return state;
}

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_word(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// A conditional jump to the next block; the offset is patched once the block is complete.
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, -1, imm);
}
bpf_insn jump_reg(uint8_t op, uint8_t dst, uint8_t src) {
  return insn(BPF_JMP | op | BPF_X, dst, src, -1, 0);
}
void append_return(std::vector<bpf_insn>& out, bool allow) {
  out.push_back(alu32_imm(BPF_MOV, BPF_REG_0, allow ? 1 : 0));
  out.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

}  // namespace

Result<std::vector<bpf_insn>> device_filter_program(const std::vector<oci::DeviceRule>& rules) {
  BERTH_ASSIGN(DeviceState state, emulate_device_rules(rules));
  std::vector<bpf_insn> prog = {
      // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; }
      load_word(BPF_REG_2, 0), alu32_imm(BPF_AND, BPF_REG_2, 0xFFFF),
      load_word(BPF_REG_3, 0), alu32_imm(BPF_RSH, BPF_REG_3, 16),
      load_word(BPF_REG_4, 4), load_word(BPF_REG_5, 8),
  };
  for (const auto& e : state.exceptions) {
    std::vector<bpf_insn> block;
    int32_t type = e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    block.push_back(jump_imm(BPF_JNE, BPF_REG_2, type));
    if (e.access != kAccessAll) {
      block.push_back(mov32_reg(BPF_REG_1, BPF_REG_3));
      block.push_back(alu32_imm(BPF_AND, BPF_REG_1, static_cast<int32_t>(e.access)));
      if (state.default_allow) {
        // A deny exception matches when any requested access is denied (kernel: partial match).
        block.push_back(jump_imm(BPF_JEQ, BPF_REG_1, 0));
      } else {
        // An allow exception matches when every requested access is allowed.
        block.push_back(jump_reg(BPF_JNE, BPF_REG_1, BPF_REG_3));
      }
    }
    if (e.major) block.push_back(jump_imm(BPF_JNE, BPF_REG_4, static_cast<int32_t>(*e.major)));
    if (e.minor) block.push_back(jump_imm(BPF_JNE, BPF_REG_5, static_cast<int32_t>(*e.minor)));
    append_return(block, !state.default_allow);
    for (size_t j = 0; j < block.size(); ++j) {
      if (block[j].off == -1 && BPF_CLASS(block[j].code) == BPF_JMP)
        block[j].off = static_cast<int16_t>(block.size() - j - 1);
    }
    prog.insert(prog.end(), block.begin(), block.end());
  }
  append_return(prog, state.default_allow);
  return prog;
}

}  // namespace berth::cgroup
