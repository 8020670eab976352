// On-disk layout of the content store, shared by Store and Writer.
#pragma once

#include <string>

#include "base/error.h"
#include "content/digest.h"

namespace berth::content::layout {

// <root>/blobs/<alg>/<hex>
std::string blob_path(const std::string& root, const Digest& d);
std::string blob_dir(const std::string& root, std::string_view algorithm);
// Temp files of writers in progress; whatever is here when no writer holds the lock is debris.
std::string ingest_dir(const std::string& root);
std::string ingest_lock(const std::string& root);
// Makes a rename/unlink in `dir` durable.
Status fsync_dir(const std::string& dir);

}  // namespace berth::content::layout
