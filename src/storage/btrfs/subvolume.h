// btrfs subvolume operations through the ioctls of linux/btrfs.h (no btrfs-progs).
#pragma once

#include <string>

#include "base/error.h"

namespace berth::storage::btrfs {

bool on_btrfs(const std::string& path);
// True if path is a subvolume's root directory.
bool is_subvolume(const std::string& path);
// Creates dir/name as an empty subvolume.
Status create_subvolume(const std::string& dir, const std::string& name);
// Creates dir/name as a writable snapshot of the subvolume src.
Status snapshot_subvolume(const std::string& src, const std::string& dir, const std::string& name);
// Deletes the subvolume dir/name and, first, any subvolumes nested in it (a container may
// have made some: docker-in-docker on btrfs does).
Status delete_subvolume(const std::string& dir, const std::string& name);

}  // namespace berth::storage::btrfs
