// POST /containers/{id}/update: new resource limits (applied to a running container's
// cgroup at once) and a new restart policy.
#include "base/json_fields.h"
#include "daemon/daemon.h"
#include "daemon/spec.h"
#include "oci/spec.h"
#include "runtime/container.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

// What `docker update` may change, with the JSON type each has.
const std::vector<std::pair<const char*, json::value_t>>& updatable() {
  static const std::vector<std::pair<const char*, json::value_t>> fields = {
      {"Memory", json::value_t::number_integer},
      {"MemorySwap", json::value_t::number_integer},
      {"MemoryReservation", json::value_t::number_integer},
      {"NanoCpus", json::value_t::number_integer},
      {"CpuShares", json::value_t::number_integer},
      {"CpuPeriod", json::value_t::number_integer},
      {"CpuQuota", json::value_t::number_integer},
      {"CpusetCpus", json::value_t::string},
      {"CpusetMems", json::value_t::string},
      {"PidsLimit", json::value_t::number_integer},
      {"BlkioWeight", json::value_t::number_integer},
  };
  return fields;
}

// NanoCpus sets the CFS period and quota itself: a request may not give both, nor change
// one kind when the container has the other (Docker's messages).
Status check_cpu_conflicts(const json& req, const json& had) {
  auto set = [](const json& j, const char* k) {
    return j.contains(k) && j[k].is_number_integer() && j[k].get<int64_t>() > 0;
  };
  if (set(req, "NanoCpus") && set(req, "CpuPeriod"))
    return fail(ErrorKind::InvalidArgument,
                "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (set(req, "NanoCpus") && set(req, "CpuQuota"))
    return fail(ErrorKind::InvalidArgument,
                "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  auto conflict = [](const char* what) {
    return fail(ErrorKind::Conflict, "Conflicting options: {}", what);
  };
  if (set(req, "NanoCpus") && set(had, "CpuPeriod"))
    return conflict("Nano CPUs cannot be updated as CPU Period has already been set");
  if (set(req, "NanoCpus") && set(had, "CpuQuota"))
    return conflict("Nano CPUs cannot be updated as CPU Quota has already been set");
  if (set(req, "CpuPeriod") && set(had, "NanoCpus"))
    return conflict("CPU Period cannot be updated as NanoCPUs has already been set");
  if (set(req, "CpuQuota") && set(had, "NanoCpus"))
    return conflict("CPU Quota cannot be updated as NanoCPUs has already been set");
  return ok();
}

}  // namespace

Result<json> Daemon::update(const std::string& ref, const json& body) {
  if (!body.is_object()) return fail(ErrorKind::InvalidArgument, "invalid update request");
  BERTH_ASSIGN(auto c, get(ref));
  std::lock_guard<std::mutex> op(c->op_mu);
  json hc;
  bool running;
  {
    std::lock_guard<std::mutex> l(c->mu);
    hc = c->host_config;
    running = c->state.running;
  }
  const json old = hc;
  bool resources = false;
  for (auto& [name, type] : updatable()) {
    if (!body.contains(name) || body[name].is_null()) continue;
    const json& v = body[name];
    bool number = type == json::value_t::number_integer;
    BERTH_TRY(want_field(body, name, number ? GoType::Int64 : GoType::String, "UpdateConfig"));
    // zero leaves a limit as it is, as in Docker
    if (number && v.get<int64_t>() == 0) continue;
    if (number && name != std::string("MemorySwap") && name != std::string("PidsLimit") &&
        v.get<int64_t>() < 0)
      return fail(ErrorKind::InvalidArgument, "invalid {}: must not be negative", name);
    hc[name] = v;
    resources = true;
  }
  BERTH_TRY(check_cpu_conflicts(body, old));
  if (hc.value("Memory", int64_t{0}) > 0 && hc.value("MemorySwap", int64_t{0}) > 0 &&
      hc["MemorySwap"].get<int64_t>() < hc["Memory"].get<int64_t>())
    return fail(ErrorKind::InvalidArgument,
                "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (body.contains("RestartPolicy") && body["RestartPolicy"].is_object() &&
      !body["RestartPolicy"].value("Name", "").empty()) {
    std::string name = body["RestartPolicy"].value("Name", "");
    if (name != "no" && name != "always" && name != "unless-stopped" && name != "on-failure")
      return fail(ErrorKind::InvalidArgument, "invalid restart policy '{}'", name);
    if (hc.value("AutoRemove", false) && name != "no")
      return fail(ErrorKind::InvalidArgument,
                  "Restart policy cannot be updated because AutoRemove is enabled for the "
                  "container");
    hc["RestartPolicy"] = {
        {"Name", name}, {"MaximumRetryCount", body["RestartPolicy"].value("MaximumRetryCount", 0)}};
  }
  if (resources && running) {
    if (auto st = runtime_for(*c).update(c->id, resources_json(hc)); !st)
      return fail(ErrorKind::Internal, "Cannot update container {}: {}", c->id,
                  st.error().message());
  }
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->host_config = hc;
    save(*c);
  }
  emit(*c, "update");
  return json{{"Warnings", json::array()}};
}

}  // namespace berth::daemon
