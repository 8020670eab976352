#include "daemon/events.h"

#include <chrono>

namespace berth::daemon {

namespace {
constexpr size_t kHistory = 1024;
}

void Events::publish(nlohmann::json ev) {
  {
    std::lock_guard<std::mutex> l(mu_);
    history_.push_back(std::move(ev));
    if (history_.size() > kHistory) history_.pop_front();
    ++seq_;
  }
  cv_.notify_all();
}

uint64_t Events::first_seq() {
  std::lock_guard<std::mutex> l(mu_);
  return seq_ - history_.size();
}

std::vector<nlohmann::json> Events::next(uint64_t* cursor, int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(timeout_ms), [&] { return seq_ > *cursor; });
  std::vector<nlohmann::json> out;
  uint64_t first = seq_ - history_.size();
  if (*cursor < first) *cursor = first;
  for (uint64_t s = *cursor; s < seq_; ++s) out.push_back(history_[s - first]);
  *cursor = seq_;
  return out;
}

}  // namespace berth::daemon
