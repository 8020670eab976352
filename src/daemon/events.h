// The event bus behind GET /events: a bounded history plus live subscribers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

namespace berth::daemon {

class Events {
 public:
  // Docker's event shape: {status,id,from,Type,Action,Actor{ID,Attributes},scope,time,timeNano}
  void publish(nlohmann::json ev);
  // Events with sequence number > *cursor, waiting up to timeout_ms for one; advances cursor.
  std::vector<nlohmann::json> next(uint64_t* cursor, int timeout_ms);
  // History still kept (for ?since=).
  uint64_t first_seq();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> history_;
  uint64_t seq_ = 0;  // of the last published event
};

}  // namespace berth::daemon
