// Container records: create, look-up, list, rename, remove, persistence.
#include "daemon/daemon.h"

#include <dirent.h>

#include <regex>

#include "base/background_removal.h"
#include "base/file.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "base/random.h"
#include "base/strings.h"
#include "base/time.h"
#include "base/trace.h"
#include "daemon/links.h"
#include "daemon/mount_points.h"
#include "daemon/spec.h"
#include "logs/log_file.h"

namespace berth::daemon {

// In a `run --rm` container's dir: its record is not synced, and an empty or missing record
// next to this mark (after a crash) means that container, which is then removed at start.
constexpr const char* kDisposableMark = "disposable";

using nlohmann::json;

namespace {

std::string random_name() {
  static const char* left[] = {"brave", "calm", "eager", "fervent", "gallant", "happy",
                               "jolly", "keen", "lucid", "nifty",   "quirky",  "serene"};
  static const char* right[] = {"albattani", "babbage", "curie",    "darwin",  "euclid",
                                "fermi",     "hopper",  "lovelace", "noether", "turing"};
  return std::string(left[random_index(12)]) + "_" + right[random_index(10)];
}

// Image defaults under the request's Config, as Docker merges them.
void merge_image_config(json& cfg, const json& img) {
  auto empty = [](const json& v) { return v.is_null() || (v.is_array() && v.empty()); };
  if (empty(cfg.value("Entrypoint", json())) && empty(cfg.value("Cmd", json())))
    cfg["Cmd"] = img.value("Cmd", json());
  if (cfg.value("Entrypoint", json()).is_null())
    cfg["Entrypoint"] = img.value("Entrypoint", json());
  std::vector<std::string> env = img.value("Env", std::vector<std::string>{});
  json req_env = cfg.value("Env", json());
  if (req_env.is_array())
    for (auto& e : req_env) {
      std::string s = e.get<std::string>();
      std::string key = s.substr(0, s.find('='));
      std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
      env.push_back(s);
    }
  cfg["Env"] = env;
  if (cfg.value("WorkingDir", "").empty()) cfg["WorkingDir"] = img.value("WorkingDir", "");
  if (cfg.value("User", "").empty()) cfg["User"] = img.value("User", "");
  json labels = img.value("Labels", json::object());
  if (labels.is_null()) labels = json::object();
  if (cfg.contains("Labels") && cfg["Labels"].is_object()) labels.update(cfg["Labels"]);
  cfg["Labels"] = labels;
  if (!cfg.contains("StopSignal") || cfg["StopSignal"].is_null() || cfg["StopSignal"] == "")
    if (img.contains("StopSignal")) cfg["StopSignal"] = img["StopSignal"];
  if (!cfg.contains("Healthcheck") && img.contains("Healthcheck"))
    cfg["Healthcheck"] = img["Healthcheck"];
  if (!cfg.contains("ExposedPorts") && img.contains("ExposedPorts"))
    cfg["ExposedPorts"] = img["ExposedPorts"];
  // the image's VOLUMEs and the request's together
  if (img.contains("Volumes") && img["Volumes"].is_object()) {
    json vols = img["Volumes"];
    if (cfg.contains("Volumes") && cfg["Volumes"].is_object()) vols.update(cfg["Volumes"]);
    cfg["Volumes"] = vols;
  }
}

// The CLI sends null for every unset list and map: drop them, so defaults apply.
void strip_nulls(json& j) {
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end();) {
    if (it->is_null()) {
      it = j.erase(it);
    } else {
      if (it->is_object() && it.key() != "Labels") strip_nulls(*it);
      ++it;
    }
  }
}

// Type checks for the fields we read, so a wrong type is a 400 rather than an exception.
Status check_types(const json& body) {
  // dockerd decodes into an anonymous struct: "Go struct field .Cmd"
  auto want = [](const json& obj, const char* key, GoType t, const char* tname) {
    return want_field(obj, key, t, "", tname);
  };
  using V = GoType;
  for (const char* k : {"Hostname", "Domainname", "User", "WorkingDir", "Image", "StopSignal"})
    BERTH_TRY(want(body, k, V::String, "string"));
  for (const char* k :
       {"Tty", "OpenStdin", "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr"})
    BERTH_TRY(want(body, k, V::Bool, "bool"));
  BERTH_TRY(want(body, "Env", V::StringList, "[]string"));
  BERTH_TRY(want(body, "Labels", V::StringMap, "map[string]string"));
  BERTH_TRY(want(body, "HostConfig", V::Object, "container.HostConfig"));
  if (body.contains("Healthcheck") && !body["Healthcheck"].is_null()) {
    // checked here: the probe loop reads these once the container runs
    BERTH_TRY(want(body, "Healthcheck", V::Object, "container.HealthConfig"));
    const json& h = body["Healthcheck"];
    BERTH_TRY(want_field(h, "Test", V::StringList, "HealthConfig"));
    for (const char* k : {"Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"})
      BERTH_TRY(want_field(h, k, V::Int64, "HealthConfig"));
  }
  if (body.contains("Cmd") && body["Cmd"].is_string()) return ok();  // strslice accepts both
  BERTH_TRY(want(body, "Cmd", V::List, "strslice.StrSlice"));
  if (body.contains("HostConfig") && body["HostConfig"].is_object()) {
    const json& hc = body["HostConfig"];
    for (const char* k : {"Memory", "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod", "ShmSize",
                          "MemorySwap", "MemoryReservation", "BlkioWeight", "OomScoreAdj"})
      BERTH_TRY(want(hc, k, V::Int64, "int64"));
    for (const char* k :
         {"Binds", "CapAdd", "CapDrop", "Ulimits", "Devices", "Mounts", "SecurityOpt"})
      BERTH_TRY(want(hc, k, V::List, "[]"));
    for (const char* k : {"Privileged", "ReadonlyRootfs", "AutoRemove", "Init"})
      BERTH_TRY(want(hc, k, V::Bool, "bool"));
    for (const char* k : {"NetworkMode", "Runtime", "CgroupParent", "IpcMode", "PidMode"})
      BERTH_TRY(want(hc, k, V::String, "string"));
  }
  return ok();
}

}  // namespace

Result<std::string> Daemon::resolve_runtime(const std::string& name) const {
  if (name.empty()) return cfg_.default_runtime;
  if (name == shim::kBuiltinRuntime || cfg_.runtimes.count(name)) return name;
  return fail(ErrorKind::InvalidArgument, "unknown or invalid runtime name: {}", name);
}

shim::RuntimeDriver Daemon::runtime_for(const Container& c) const {
  std::string name = c.host_config.value("Runtime", "");
  if (name.empty()) name = cfg_.default_runtime;
  auto it = cfg_.runtimes.find(name);
  // (a name no longer configured since the container was made: the built-in one)
  if (it == cfg_.runtimes.end() || it->second.builtin())
    return shim::RuntimeDriver({shim::kBuiltinRuntime, "", {}}, cfg_.exec_root + "/runtime");
  return shim::RuntimeDriver(it->second, cfg_.exec_root + "/runtimes/" + name);
}

Result<std::unique_ptr<Daemon>> Daemon::open(const Config& cfg) {
  auto d = std::unique_ptr<Daemon>(new Daemon());
  d->cfg_ = cfg;
  BERTH_TRY(mkdir_all(cfg.data_root + "/containers", 0710));
  BERTH_TRY(mkdir_all(cfg.exec_root + "/containers", 0700));
  BERTH_TRY(mkdir_all(cfg.exec_root + "/runtime", 0700));
  BERTH_ASSIGN(d->images_, image::Store::open(cfg.data_root, cfg.storage_driver));
  BERTH_ASSIGN(d->volumes_, VolumeStore::open(cfg.data_root + "/volumes"));
  network::ControllerConfig ncfg = cfg.net;
  ncfg.data_root = cfg.data_root;
  ncfg.exec_root = cfg.exec_root;
  BERTH_ASSIGN(d->net_, network::Controller::open(ncfg));
  d->shims_ = std::make_unique<ShimSpawner>(cfg.shim_path.empty() ? executable_dir() + "/berth-shim"
                                                                  : cfg.shim_path);
  Daemon* self = d.get();
  d->dns_ = std::make_unique<network::DnsServer>(
      [self](const std::string& id, const std::string& name) { return self->dns_lookup(id, name); },
      network::DnsServer::host_nameservers());
  // what removals of a berthd that died had not finished deleting
  clear_renamed(cfg.data_root + "/containers", "", kRemovingSuffix);
  clear_renamed(cfg.exec_root + "/containers", "", kRemovingSuffix);
  // container records
  std::string dir = cfg.data_root + "/containers";
  if (DIR* dp = opendir(dir.c_str())) {
    while (dirent* e = readdir(dp)) {
      std::string id = e->d_name;
      if (id.size() != 64) continue;
      const std::string record = dir + "/" + id + "/config.v2.json";
      auto text = read_file(record);
      const bool no_record = (!text && !path_exists(record)) || (text && text->empty());
      if (no_record && path_exists(dir + "/" + id + "/" + kDisposableMark)) {
        // A `run --rm` container whose unsynced record a crash took: nothing a user could
        // still want (it would be removed at start anyway). Its layer goes with the orphans
        // below. Without the mark, a dir keeps its files (saves of kept containers are not
        // synced either, and may come back empty after a power cut).
        log::warn("container {}: a --rm container without its record, removed", id);
        if (auto st = remove_all(dir + "/" + id); !st) log::warn("{}", st.error().message());
        continue;
      }
      if (!text) continue;
      auto j = json::parse(*text, nullptr, false);
      if (j.is_discarded()) {
        log::warn("container {}: unreadable record, skipped", id);
        continue;
      }
      auto c = Container::from_disk(j);
      if (!c) continue;
      std::shared_ptr<Container> sp(std::move(*c));
      d->names_[sp->name] = sp->id;
      d->containers_[sp->id] = sp;
    }
    closedir(dp);
  }
  // layers whose container's dir is gone: a removal or a create the process did not live to
  // finish (a dir with an unreadable record keeps its layer: the files may still be wanted)
  if (auto st = d->images_->remove_orphan_container_layers([&](const std::string& id) {
        return d->containers_.contains(id) || path_exists(dir + "/" + id);
      });
      !st)
    log::warn("container layers: {}", st.error().message());
  return d;
}

Daemon::~Daemon() = default;

std::string Daemon::container_dir(const std::string& id) const {
  return cfg_.data_root + "/containers/" + id;
}
std::string Daemon::shim_dir(const std::string& id) const {
  return cfg_.exec_root + "/containers/" + id;
}

Status Daemon::save(const Container& c, bool durable) {
  return write_file_atomic(container_dir(c.id) + "/config.v2.json", c.to_disk().dump(), 0600,
                           durable);
}

void Daemon::emit(const Container& c, const std::string& action,
                  std::map<std::string, std::string> extra) {
  json attrs = json::object();
  if (auto it = c.config.find("Labels"); it != c.config.end() && it->is_object())
    for (auto& [k, v] : it->items())
      if (v.is_string()) attrs[k] = v;
  attrs["image"] = c.image_ref;
  attrs["name"] = c.name.substr(1);
  for (auto& [k, v] : extra) attrs[k] = v;
  int64_t ns = now_ns();
  events_.publish({{"status", action},
                   {"id", c.id},
                   {"from", c.image_ref},
                   {"Type", "container"},
                   {"Action", action},
                   {"Actor", {{"ID", c.id}, {"Attributes", attrs}}},
                   {"scope", "local"},
                   {"time", ns / 1000000000},
                   {"timeNano", ns}});
}

Result<std::string> Daemon::reserve_name(const std::string& name, const std::string& id) {
  std::string n = name;
  if (n.empty()) {
    for (int i = 0; i < 100; ++i) {
      n = "/" + random_name();
      if (!names_.count(n)) break;
    }
  } else {
    static const std::regex valid("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
    if (!std::regex_match(n, valid))
      return fail(ErrorKind::InvalidArgument,
                  "Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", n);
    if (n.front() != '/') n = "/" + n;
  }
  if (auto it = names_.find(n); it != names_.end())
    return fail(ErrorKind::Conflict,
                "Conflict. The container name \"{}\" is already in use by container \"{}\". You "
                "have to remove (or rename) that container to be able to reuse that name.",
                n, it->second);
  names_[n] = id;
  return n;
}

Result<CreateResult> Daemon::create(const std::string& name, const json& body) {
  trace_step("create-begin");
  if (!body.is_object())
    return fail(ErrorKind::InvalidArgument,
                "config cannot be empty in order to create a container");
  BERTH_TRY(check_types(body));
  json stripped = body;
  strip_nulls(stripped);
  std::string image_ref = stripped.value("Image", "");
  if (image_ref.empty())
    return fail(ErrorKind::InvalidArgument,
                "config cannot be empty in order to create a container");
  json hc = stripped.value("HostConfig", json::object());
  BERTH_TRY(validate_host_config(hc));
  BERTH_ASSIGN(std::string runtime_name, resolve_runtime(hc.value("Runtime", "")));
  image::Image img;
  {
    auto got = images()->get(image_ref);
    if (!got) {
      if (got.error().kind() == ErrorKind::NotFound)
        return fail(ErrorKind::NotFound, "No such image: {}", image_ref);
      return std::unexpected(got.error());
    }
    img = std::move(*got);
  }
  json cfg = stripped;
  json networking = cfg.value("NetworkingConfig", json::object());
  cfg.erase("HostConfig");
  cfg.erase("NetworkingConfig");
  merge_image_config(cfg, img.config.container_config());
  json cmd = cfg.value("Cmd", json());
  if (cmd.is_string()) cmd = json::array({cmd});
  json ep = cfg.value("Entrypoint", json());
  if (ep.is_string()) ep = json::array({ep});
  std::vector<std::string> argv;
  for (auto* part : {&ep, &cmd})
    if (part->is_array())
      for (auto& a : *part) argv.push_back(a.get<std::string>());
  if (argv.empty()) return fail(ErrorKind::InvalidArgument, "No command specified");

  auto c = std::make_shared<Container>();
  c->id = random_id();
  {
    std::lock_guard<std::mutex> l(mu_);
    BERTH_ASSIGN(c->name, reserve_name(name, c->id));
  }
  auto unreserve = Defer([&] {
    std::lock_guard<std::mutex> l(mu_);
    names_.erase(c->name);
  });
  c->created = now_rfc3339();
  c->image_id = img.record.id;
  c->image_ref = image_ref;
  c->path = argv[0];
  c->args.assign(argv.begin() + 1, argv.end());
  if (cfg.value("Hostname", "").empty()) cfg["Hostname"] = c->id.substr(0, 12);
  cfg["Image"] = image_ref;
  c->config = cfg;
  if (!hc.contains("NetworkMode") || hc["NetworkMode"] == "") hc["NetworkMode"] = "default";
  hc["Runtime"] = runtime_name;
  if (!hc.contains("LogConfig") || hc["LogConfig"].is_null() ||
      hc["LogConfig"].value("Type", "") == "")
    hc["LogConfig"] = {{"Type", "json-file"}, {"Config", json::object()}};
  std::map<std::string, std::string> lopts;
  json log_cfg = hc["LogConfig"].value("Config", json::object());
  for (auto& [k, v] : log_cfg.items())
    if (v.is_string()) lopts[k] = v;
  BERTH_TRY(logs::parse_log_config(hc["LogConfig"].value("Type", ""), lopts));
  c->host_config = hc;
  BERTH_TRY(plan_networks(*c, networking));
  std::string dir = container_dir(c->id);
  BERTH_TRY(mkdir_all(dir, 0710));
  auto cleanup = Defer([&] { remove_all(dir); });
  c->log_path = dir + "/" + c->id + "-json.log";
  BERTH_TRY(write_etc_files(*c));
  const bool disposable = hc.value("AutoRemove", false);
  if (disposable) BERTH_TRY(write_file_atomic(dir + "/" + kDisposableMark, "", 0600, false));
  auto mounts_of = [this](const std::string& ref) -> Result<json> {
    BERTH_ASSIGN(auto other, get(ref));
    std::lock_guard<std::mutex> l(other->mu);
    return other->mount_points;
  };
  BERTH_ASSIGN(c->mount_points, resolve_mount_points(cfg, hc, *volumes_, mounts_of));
  auto drop_anonymous = Defer([&] {
    for (auto& p : c->mount_points)
      if (p.value("Anonymous", false)) volumes_->remove(p.value("Name", ""));
  });
  // run --rm: nothing of it is synced (it does not outlive a crash: see Daemon::open)
  { BERTH_TRY(images()->create_container_layer(c->id, img.record.id, disposable)); }
  trace_step("create-layer-made");
  if (auto st = save(*c, !disposable); !st) {
    images()->remove_container_layer(c->id);
    return std::unexpected(st.error());
  }
  drop_anonymous.dismiss();
  cleanup.dismiss();
  unreserve.dismiss();
  {
    std::lock_guard<std::mutex> l(mu_);
    containers_[c->id] = c;
  }
  emit(*c, "create");
  trace_step("create-end");
  return CreateResult{c->id, {}};
}

Status Daemon::write_etc_files(Container& c) {
  std::string dir = container_dir(c.id);
  std::string mode = c.host_config.value("NetworkMode", "default");
  std::string hostname = c.config.value("Hostname", c.id.substr(0, 12));
  c.hostname_path = dir + "/hostname";
  c.hosts_path = dir + "/hosts";
  c.resolv_conf_path = dir + "/resolv.conf";
  if (mode == "host") hostname = host_hostname();
  BERTH_TRY(write_file_atomic(c.hostname_path, hostname + "\n", 0644, false));
  std::string hosts;
  if (mode == "host") {
    hosts = read_file("/etc/hosts").value_or("127.0.0.1\tlocalhost\n");
  } else {
    hosts =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  }
  for (auto& h : c.host_config.value("ExtraHosts", json::array())) {
    std::string e = h.get<std::string>();
    auto colon = e.find(':');
    if (colon == std::string::npos)
      return fail(ErrorKind::InvalidArgument, "invalid argument {:?} for \"--add-host\" flag", e);
    std::string ip = e.substr(colon + 1);
    // Docker's special value: the host as the containers on the default bridge reach it
    if (ip == "host-gateway")
      if (auto n = net_->get("bridge"); n && n->has_ipam()) ip = network::ipv4_str(n->gateway);
    hosts += ip + "\t" + e.substr(0, colon) + "\n";
  }
  BERTH_TRY(write_file_atomic(c.hosts_path, hosts, 0644, false));
  std::string resolv;
  auto dns = c.host_config.value("Dns", json::array());
  auto search = c.host_config.value("DnsSearch", json::array());
  auto opts = c.host_config.value("DnsOptions", json::array());
  std::string host_resolv = read_file("/etc/resolv.conf").value_or("");
  if (dns.empty() && search.empty() && opts.empty()) {
    resolv = host_resolv;
  } else {
    for (auto& s : dns) resolv += "nameserver " + s.get<std::string>() + "\n";
    if (dns.empty())
      for (auto& line : split(host_resolv, '\n'))
        if (line.starts_with("nameserver")) resolv += line + "\n";
    if (!search.empty()) {
      resolv += "search";
      for (auto& s : search) resolv += " " + s.get<std::string>();
      resolv += "\n";
    }
    if (!opts.empty()) {
      resolv += "options";
      for (auto& s : opts) resolv += " " + s.get<std::string>();
      resolv += "\n";
    }
  }
  return write_file_atomic(c.resolv_conf_path, resolv, 0644, false);
}

Result<std::shared_ptr<Container>> Daemon::get(const std::string& ref) {
  std::lock_guard<std::mutex> l(mu_);
  if (ref.empty()) return fail(ErrorKind::NotFound, "No such container: {}", ref);
  if (auto it = containers_.find(ref); it != containers_.end()) return it->second;
  std::string n = ref.front() == '/' ? ref : "/" + ref;
  if (auto it = names_.find(n); it != names_.end()) {
    if (auto c = containers_.find(it->second); c != containers_.end()) return c->second;
  }
  std::shared_ptr<Container> found;
  for (auto& [id, c] : containers_) {
    if (id.starts_with(ref)) {
      if (found)
        return fail(ErrorKind::InvalidArgument, "multiple IDs found with provided prefix: {}", ref);
      found = c;
    }
  }
  if (!found) return fail(ErrorKind::NotFound, "No such container: {}", ref);
  return found;
}

std::vector<std::shared_ptr<Container>> Daemon::list() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::shared_ptr<Container>> out;
  for (auto& [id, c] : containers_) out.push_back(c);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a->created > b->created; });
  return out;
}

bool Daemon::image_in_use(const std::string& image_id) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [id, c] : containers_)
    if (c->image_id == image_id) return true;
  return false;
}

Status Daemon::rename(const std::string& ref, const std::string& new_name) {
  BERTH_ASSIGN(auto c, get(ref));
  std::string old, n;
  {
    std::lock_guard<std::mutex> l(mu_);
    old = c->name;
    BERTH_ASSIGN(n, reserve_name(new_name, c->id));
    names_.erase(old);
    std::lock_guard<std::mutex> cl(c->mu);
    c->name = n;
    BERTH_TRY(save(*c));
  }
  // Links name containers: those to it, and its own (which carry its name), follow the rename
  for (auto& other : list()) {
    std::lock_guard<std::mutex> ol(other->mu);
    json links = other->host_config.value("Links", json());
    if (!links.is_array() || links.empty()) continue;
    json now = renamed_links(links, other->name.substr(1), old.substr(1), n.substr(1));
    if (now == links) continue;
    other->host_config["Links"] = now;
    // a user network's DNS answers by the endpoint's "target:alias" entries
    json& nets = other->network_settings["Networks"];
    if (nets.is_object())
      for (auto& [name, ep] : nets.items())
        if (ep.is_object() && ep.contains("Links") && ep["Links"].is_array())
          for (auto& e : ep["Links"])
            if (e.is_string() && e.get<std::string>().starts_with(old.substr(1) + ":"))
              e = n.substr(1) + e.get<std::string>().substr(old.size() - 1);
    save(*other);
  }
  emit(*c, "rename", {{"oldName", old}});
  return ok();
}

Status Daemon::remove(const std::string& ref, bool force, bool volumes) {
  trace_step("remove-begin");
  BERTH_ASSIGN(auto c, get(ref));
  bool running;
  uint64_t exits;
  {
    std::lock_guard<std::mutex> l(c->mu);
    if (c->removed) return fail(ErrorKind::NotFound, "No such container: {}", ref);
    running = c->state.running;
    exits = c->exits;
    if (running && !force)
      return fail(ErrorKind::Conflict,
                  "cannot remove container \"{}\": container is running: stop the container "
                  "before removing or force remove",
                  c->name);
  }
  if (running) {
    // it may have exited since we looked: only a kill that failed for another reason counts
    if (auto k = kill(c->id, "KILL"); !k && k.error().kind() != ErrorKind::Conflict)
      return std::unexpected(k.error());
    // until the exit is handled (exits moves after `exiting` ends): ports, network, mounts
    std::unique_lock<std::mutex> l(c->mu);
    c->cv.wait_for(l, std::chrono::seconds(30), [&] { return c->exits != exits; });
    if (c->exits == exits) return fail(ErrorKind::Internal, "container {} did not stop", c->id);
  }
  std::lock_guard<std::mutex> op(c->op_mu);  // not while a start is half-way
  {
    std::unique_lock<std::mutex> l(c->mu);
    if (c->removed) return ok();
    if (c->state.running)
      return fail(ErrorKind::Conflict, "cannot remove container \"{}\": it was started again",
                  c->name);
    c->removed = true;
    c->state.status = "removing";
  }
  // unmounted, its SQLite row and files deleted after the answer (the driver's remove
  // unmounts first); image removal and prune wait for it
  images()->remove_container_layer_later(c->id);
  // renamed away now, their files unlinked after the answer (background_removal.h)
  remove_via(container_dir(c->id), container_dir(c->id) + kRemovingSuffix);
  // the exited shim may still be cleaning up with its bundle in there: then that dir goes
  // when it has left (monitor), without holding up the queue of removals meanwhile
  bool later;
  {
    std::lock_guard<std::mutex> l(c->mu);
    later = c->shim_leaving;
    if (later) c->remove_when_left = shim_dir(c->id);
  }
  if (!later) remove_via(shim_dir(c->id), shim_dir(c->id) + kRemovingSuffix);
  {
    std::lock_guard<std::mutex> l(mu_);
    containers_.erase(c->id);
    names_.erase(c->name);
  }
  forget_execs(c->id);
  if (volumes)
    for (auto& p : c->mount_points)
      if (p.value("Anonymous", false))
        if (auto st = remove_volume(p.value("Name", ""), false);
            !st && st.error().kind() != ErrorKind::NotFound)
          log::warn("remove volume {}: {}", p.value("Name", ""), st.error().message());
  emit(*c, "destroy");
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->gone = true;  // a wait for "removed" returns only now
    trace_step("remove-gone");
  }
  c->cv.notify_all();
  return ok();
}

nlohmann::json Daemon::inspect(const Container& c) {
  std::string merged;
  return inspect_json(c, images()->driver().name(), merged);
}

}  // namespace berth::daemon
