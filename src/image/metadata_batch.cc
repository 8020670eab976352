// Metadata updates meant to run inside a caller's transaction (Db::transaction does not
// nest), so that a stack of layers and the image on top are recorded all or nothing.
#include "image/metadata.h"

namespace berth::image {

Status Metadata::mark_layer_ready(const std::string& cache_id, const std::string& chain_id,
                                  const std::string& diff_id, int64_t size) {
  BERTH_ASSIGN(Stmt s, db_.prepare("UPDATE layers SET chain_id=?, diff_id=?, size=?, ready=1 "
                                   "WHERE cache_id=? AND ready=0"));
  BERTH_TRY(s.bind(1, chain_id).bind(2, diff_id).bind(3, size).bind(4, cache_id).run());
  if (db_.changes() != 1)
    return fail(ErrorKind::Internal, "layer {} is not being created", cache_id);
  BERTH_ASSIGN(Stmt p, db_.prepare("UPDATE layers SET refcount = refcount + 1 WHERE chain_id = "
                                   "(SELECT parent FROM layers WHERE cache_id=?)"));
  return p.bind(1, cache_id).run();
}

Status Metadata::set_layer_refcount(const std::string& chain_id, int64_t refcount) {
  BERTH_ASSIGN(Stmt s, db_.prepare("UPDATE layers SET refcount=? WHERE chain_id=?"));
  return s.bind(1, refcount).bind(2, chain_id).run();
}

}  // namespace berth::image
