#include "network/nftables.h"

#include <nftables/libnftables.h>

#include <mutex>

namespace berth::network {

Status nft_run(const std::string& script) {
  // A context per batch: libnftables caches the kernel's ruleset in it, megabytes that an
  // idle daemon should not keep.
  static std::mutex mu;  // batches one at a time: each replaces the whole table
  std::lock_guard<std::mutex> l(mu);
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return fail(ErrorKind::Internal, "nftables: cannot create a context");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  int rc = nft_run_cmd_from_buffer(ctx, script.c_str());
  std::string err = nft_ctx_get_error_buffer(ctx);
  nft_ctx_free(ctx);
  if (rc != 0) return fail(ErrorKind::Internal, "nftables: {}", err);
  return ok();
}

}  // namespace berth::network
