#include "base/module.h"

#include <dlfcn.h>

#include <map>
#include <mutex>

#include "base/file.h"

namespace berth {

namespace {

struct Loaded {
  void* handle = nullptr;
  std::string why;  // when handle is null
};

Loaded open_module(const std::string& name) {
  const std::string dir = executable_dir();
  const std::string paths[] = {dir + "/" + name, dir + "/../lib/berth/" + name};
  for (const auto& path : paths) {
    if (!path_exists(path)) continue;
    // RTLD_LOCAL: its copies of berth's helpers stay its own
    if (void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) return {h, ""};
    return {nullptr, dlerror()};
  }
  return {nullptr, "cannot find " + name + " (looked for " + paths[0] + " and " + paths[1] + ")"};
}

}  // namespace

Result<void*> module_symbol(const std::string& name, const std::string& symbol) {
  static std::mutex mu;
  static std::map<std::string, Loaded> loaded;
  std::lock_guard l(mu);
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(name, open_module(name)).first;
  const Loaded& m = it->second;
  if (!m.handle) return fail(ErrorKind::Unavailable, "{}", m.why);
  void* sym = dlsym(m.handle, symbol.c_str());
  if (!sym) return fail(ErrorKind::Unavailable, "{} has no {}", name, symbol);
  return sym;
}

}  // namespace berth
