// Context::server/client: load berth-tls.so (OpenSSL's side of tls.h) on first use.
#include <dlfcn.h>

#include <mutex>
#include <vector>

#include "base/file.h"
#include "tls/tls.h"

namespace berth::tls {

namespace {

// The module sits beside the binaries in the build tree (build/cmd) and in lib/berth next
// to bin/ once installed (/usr/local/bin -> /usr/local/lib/berth).
Result<MakeContext*> load_module() {
  static std::once_flag once;
  static MakeContext* make = nullptr;
  static std::string why;
  std::call_once(once, [] {
    std::string dir = executable_dir();
    std::vector<std::string> tried;
    for (const auto& path : {dir + "/" + kModuleName, dir + "/../lib/berth/" + kModuleName}) {
      if (!path_exists(path)) {
        tried.push_back(path);
        continue;
      }
      // RTLD_LOCAL: its copies of berth's helpers stay its own
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        why = dlerror();
        return;
      }
      make = reinterpret_cast<MakeContext*>(dlsym(h, kMakeContextSymbol));
      if (!make) why = path + " has no " + kMakeContextSymbol;
      return;
    }
    why = "cannot find " + std::string(kModuleName) + " (looked for " + tried[0] + " and " +
          tried[1] + ")";
  });
  if (!make) return fail(ErrorKind::Unavailable, "TLS is not available: {}", why);
  return make;
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
