// Context::server/client: load berth-tls.so (OpenSSL's side of tls.h) on first use.
#include "base/module.h"
#include "tls/tls.h"

namespace berth::tls {

namespace {

Result<MakeContext*> load_module() {
  auto sym = module_symbol(kModuleName, kMakeContextSymbol);
  if (!sym) return fail(ErrorKind::Unavailable, "TLS is not available: {}", sym.error().message());
  return reinterpret_cast<MakeContext*>(*sym);
}

Result<std::shared_ptr<Context>> made(const Options& o, bool server) {
  BERTH_ASSIGN(MakeContext * make, load_module());
  Result<std::shared_ptr<Context>> out = std::shared_ptr<Context>();
  make(o, server, out);
  return out;
}

}  // namespace

Result<std::shared_ptr<Context>> Context::server(const Options& o) {
  return made(o, true);
}

Result<std::shared_ptr<Context>> Context::client(const Options& o) {
  return made(o, false);
}

}  // namespace berth::tls
