// Volumes of the `local` driver: a directory under <data-root>/volumes/<name>/_data, or,
// with the driver's type/device/o options, a filesystem mounted there while containers use
// it (tmpfs, a bind of a host path, a block device).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::daemon {

inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string driver = "local";
  std::string created_at;  // RFC 3339
  std::map<std::string, std::string> labels, options;
  std::string mountpoint;

  bool anonymous() const { return labels.count(kAnonymousLabel) > 0; }
  // Docker's Volume object (GET /volumes/{name}).
  nlohmann::json to_api() const;
};

// "[a-zA-Z0-9][a-zA-Z0-9_.-]+", as Docker's local driver requires.
Status validate_volume_name(const std::string& name);

class VolumeStore {
 public:
  static Result<std::unique_ptr<VolumeStore>> open(const std::string& root);

  // An existing name gives the existing volume, as in Docker (unless the driver differs).
  // An empty name makes an anonymous volume.
  Result<Volume> create(const std::string& name, const std::string& driver,
                        const std::map<std::string, std::string>& options,
                        const std::map<std::string, std::string>& labels);
  Result<Volume> get(const std::string& name);
  std::vector<Volume> list();
  // The caller has checked that no container uses it.
  Status remove(const std::string& name);

  // One more container uses the volume: its filesystem is mounted for the first.
  Result<std::string> acquire(const std::string& name);
  // One fewer: the last one out unmounts it.
  void release(const std::string& name);
  // Bytes used below the mountpoint (for system df and prune).
  int64_t size(const std::string& name);

 private:
  Status check_options(const std::map<std::string, std::string>& options);
  std::string dir(const std::string& name) const { return root_ + "/" + name; }

  std::string root_;
  std::mutex mu_;
  std::map<std::string, Volume> volumes_;
  std::map<std::string, int> users_;
};

}  // namespace berth::daemon
