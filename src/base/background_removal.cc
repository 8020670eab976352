#include "base/background_removal.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "base/file.h"
#include "base/log.h"

namespace berth {

namespace {

struct Queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  uint64_t queued = 0, done = 0;
  bool enabled = false, running = false;
};

Queue& queue() {
  static Queue* q = new Queue;  // never destroyed: the worker may outlive main's statics
  return *q;
}

void run_task(const std::function<void()>& task) {
  try {
    task();
  } catch (const std::exception& e) {  // a detached thread must not take berthd down
    log::warn("background removal: {}", e.what());
  }
}

void work() {
  // signals are for the threads that wait for them (berthd's main thread)
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // Deletions yield to requests on a busy host (no gain was measurable apart on 2 idle
  // cores). Nice applies per thread on Linux.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  Queue& q = queue();
  std::unique_lock<std::mutex> l(q.mu);
  for (;;) {
    q.cv.wait(l, [&] { return !q.tasks.empty(); });
    auto task = std::move(q.tasks.front());
    q.tasks.pop_front();
    l.unlock();
    run_task(task);
    l.lock();
    q.done++;
    q.cv.notify_all();
  }
}

void remove_now(const std::string& path) {
  if (auto st = remove_all(path); !st) log::warn("remove {}: {}", path, st.error().message());
}

void remove_soon(std::string path) {
  run_in_background([path = std::move(path)] { remove_now(path); });
}

}  // namespace

void enable_background_removal() {
  std::lock_guard<std::mutex> l(queue().mu);
  queue().enabled = true;
}

Status remove_via(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return remove_all(from);
  remove_soon(to);
  return ok();
}

void run_in_background(std::function<void()> task) {
  Queue& q = queue();
  {
    std::lock_guard<std::mutex> l(q.mu);
    if (q.enabled) {
      if (!q.running) {
        try {
          std::thread(work).detach();
          q.running = true;
        } catch (const std::system_error&) {  // out of threads: this one is done here
        }
      }
    }
    if (q.enabled && q.running) {
      q.tasks.push_back(std::move(task));
      q.queued++;
      q.cv.notify_all();
      return;
    }
  }
  run_task(task);
}

void drain_background_removals() {
  Queue& q = queue();
  std::unique_lock<std::mutex> l(q.mu);
  uint64_t target = q.queued;
  q.cv.wait(l, [&] { return q.done >= target; });
}

void clear_renamed(const std::string& dir, const std::string& prefix, const std::string& suffix) {
  DIR* dp = opendir(dir.c_str());
  if (!dp) return;
  while (dirent* e = readdir(dp)) {
    std::string name = e->d_name;
    if ((!prefix.empty() && name.starts_with(prefix)) ||
        (!suffix.empty() && name.size() > suffix.size() && name.ends_with(suffix)))
      remove_soon(dir + "/" + name);
  }
  closedir(dp);
}

}  // namespace berth
