// Healthchecks: a probe exec'd in the container every Interval, as Docker runs them; the
// status (starting, healthy, unhealthy) is in inspect, ps and health_status events.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/time.h"
#include "daemon/daemon.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

constexpr int64_t kSecond = 1000000000;
constexpr size_t kMaxOutput = 4096;  // Docker keeps this much of a probe's output
constexpr size_t kMaxLog = 5;        // and this many probes

int64_t duration(const json& hc, const char* key, int64_t def) {
  int64_t v = hc.value(key, int64_t{0});
  return v > 0 ? v : def;
}

}  // namespace

Result<std::pair<int, std::string>> Daemon::run_probe(const std::shared_ptr<Container>& c,
                                                      const json& cmd, int64_t timeout_ns) {
  std::string dir = shim_dir(c->id);
  BERTH_ASSIGN(std::string text, read_file(dir + "/config.json"));
  json spec = json::parse(text, nullptr, false);
  if (spec.is_discarded() || !spec.contains("process"))
    return fail(ErrorKind::Internal, "container {}: unreadable runtime spec", c->id);
  BERTH_ASSIGN(json process,
               exec_process(spec["process"], spec["root"].value("path", ""), {{"Cmd", cmd}}, {}));
  BERTH_ASSIGN(UniqueFd conn,
               shim::connect(dir, {{"op", "exec"}, {"process", process}, {"stdin", false}}));
  shim::FrameReader fr;
  std::string output;
  int pid = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  char buf[8192];
  for (;;) {
    uint8_t s;
    std::string payload;
    while (fr.next(s, payload)) {
      if (s == shim::kStarted) pid = std::atoi(payload.c_str());
      if (s == shim::kExit) {
        auto j = json::parse(payload, nullptr, false);
        int code = j.is_discarded() ? -1 : shim::ExitStatus::from_json(j).exit_code;
        return std::pair{code, output};
      }
      if ((s == shim::kStdout || s == shim::kStderr) && output.size() < kMaxOutput)
        output += payload.substr(0, kMaxOutput - output.size());
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    struct pollfd p {
      conn.get(), POLLIN, 0
    };
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
      if (pid > 0) ::kill(pid, SIGKILL);
      return std::pair{-1,
                       fmt::format("Health check exceeded timeout ({}s)", timeout_ns / kSecond)};
    }
    ssize_t n = ::read(conn.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorKind::Unavailable, "the shim went away during a healthcheck");
    fr.feed(buf, static_cast<size_t>(n));
  }
}

void Daemon::start_health(const std::shared_ptr<Container>& c, bool fresh) {
  json hc;
  uint64_t starts;
  {
    std::lock_guard<std::mutex> l(c->mu);
    hc = c->config.value("Healthcheck", json::object());
    starts = c->starts;
  }
  json test = hc.value("Test", json::array());
  if (!test.is_array() || test.empty() || test[0] == "NONE") return;
  json cmd;
  if (test[0] == "CMD-SHELL" && test.size() >= 2)
    cmd = {"/bin/sh", "-c", test[1]};
  else if (test[0] == "CMD" && test.size() >= 2)
    cmd = json(std::vector<json>(test.begin() + 1, test.end()));
  else
    return;
  int64_t interval = duration(hc, "Interval", 30 * kSecond);
  int64_t timeout = duration(hc, "Timeout", 30 * kSecond);
  int64_t start_period = duration(hc, "StartPeriod", 0);
  int64_t start_interval = duration(hc, "StartInterval", 5 * kSecond);
  int retries = hc.value("Retries", 0) > 0 ? hc.value("Retries", 0) : 3;
  {
    std::lock_guard<std::mutex> l(c->mu);
    if (fresh || c->state.health.status.empty())
      c->state.health = Health{"starting", 0, json::array()};
  }
  std::thread([this, c, cmd, interval, timeout, start_period, start_interval, retries, starts] {
    int64_t started = now_ns();
    for (;;) {
      bool in_start = now_ns() - started < start_period;
      int64_t wait = in_start ? std::min(interval, start_interval) : interval;
      // wait, but notice at once when this run of the container is over
      for (int64_t waited = 0; waited < wait; waited += 100000000) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::lock_guard<std::mutex> l(c->mu);
        if (!c->state.running || c->starts != starts || c->removed) return;
      }
      {
        std::lock_guard<std::mutex> l(c->mu);
        if (c->state.paused) continue;
      }
      std::string begin = now_rfc3339();
      auto r = run_probe(c, cmd, timeout);
      int code = r ? r->first : -1;
      std::string output = r ? r->second : r.error().message();
      std::string changed;
      {
        std::lock_guard<std::mutex> l(c->mu);
        if (!c->state.running || c->starts != starts) return;
        Health& h = c->state.health;
        h.log.push_back(
            {{"Start", begin}, {"End", now_rfc3339()}, {"ExitCode", code}, {"Output", output}});
        while (h.log.size() > kMaxLog) h.log.erase(h.log.begin());
        std::string before = h.status;
        if (code == 0) {
          h.failing_streak = 0;
          h.status = "healthy";
        } else if (!(in_start && h.status == "starting")) {
          // failures in the start period do not count
          if (++h.failing_streak >= retries) h.status = "unhealthy";
        }
        if (h.status != before) changed = h.status;
        save(*c, false);
      }
      if (!changed.empty()) emit(*c, "health_status: " + changed);
    }
  }).detach();
}

}  // namespace berth::daemon
