#include "network/nftables.h"

#include <nftables/libnftables.h>

#include <mutex>

namespace berth::network {

Status nft_run(const std::string& script) {
  static std::mutex mu;  // one context, used by one thread at a time
  static nft_ctx* ctx = [] {
    nft_ctx* c = nft_ctx_new(NFT_CTX_DEFAULT);
    if (c) {
      nft_ctx_buffer_output(c);
      nft_ctx_buffer_error(c);
    }
    return c;
  }();
  std::lock_guard<std::mutex> l(mu);
  if (!ctx) return fail(ErrorKind::Internal, "nftables: cannot create a context");
  int rc = nft_run_cmd_from_buffer(ctx, script.c_str());
  std::string err = nft_ctx_get_error_buffer(ctx);
  nft_ctx_get_output_buffer(ctx);  // drained, so it does not grow
  if (rc != 0) return fail(ErrorKind::Internal, "nftables: {}", err);
  return ok();
}

}  // namespace berth::network
