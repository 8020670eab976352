// /images/...: list, inspect, history, tag, remove, save, load, prune.
#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "api/filters.h"
#include "api/routes.h"
#include "api/streams.h"
#include "base/io.h"
#include "base/log.h"
#include "base/time.h"
#include "image/reference.h"

namespace berth::api {

using nlohmann::json;

namespace {

std::string familiar(const std::string& full) {
  auto r = image::parse_reference(full, false);
  return r ? r->familiar() : full;
}

}  // namespace

void add_image_routes(Router& r, daemon::Daemon& d) {
  r.add("GET", "/images/json", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    BERTH_ASSIGN(bool all, req.q_bool("all"));
    (void)all;
    BERTH_ASSIGN(auto images, d.images()->list());
    json out = json::array();
    for (auto& img : images) {
      bool keep = true;
      for (auto& [k, vals] : f) {
        if (vals.empty()) continue;
        bool any = false;
        for (auto& v : vals) {
          if (k == "dangling")
            any |= (v == "true" || v == "1") == img.tags.empty();
          else if (k == "reference") {
            for (auto& t : img.tags) {
              std::string fam = familiar(t);
              any |= fnmatch(v.c_str(), fam.c_str(), 0) == 0 ||
                     fnmatch(v.c_str(), fam.substr(0, fam.rfind(':')).c_str(), 0) == 0;
            }
          } else if (k == "label") {
            any |= label_matches(img.config.container_config().value("Labels", json::object()), v);
          } else if (k == "before" || k == "since") {
            auto ref = d.images()->get(v);
            if (!ref) return std::unexpected(ref.error());
            any |= k == "before" ? img.record.created < ref->record.created
                                 : img.record.created > ref->record.created;
          } else {
            return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
          }
        }
        if (!any) keep = false;
      }
      if (!keep) continue;
      json tags = json::array(), digests = json::array();
      for (auto& t : img.tags) tags.push_back(familiar(t));
      for (auto& t : img.repo_digests) digests.push_back(familiar(t));
      out.push_back({{"Id", img.record.id},
                     {"ParentId", ""},
                     {"RepoTags", tags},
                     {"RepoDigests", digests},
                     {"Created", parse_rfc3339_ns(img.record.created).value_or(0) / 1000000000},
                     {"Size", img.record.size},
                     {"SharedSize", -1},
                     {"VirtualSize", img.record.size},
                     {"Labels", img.config.container_config().value("Labels", json::object())},
                     {"Containers", -1}});
    }
    c.json(200, out);
    return ok();
  });
  r.add("GET", "/images/{name*}/json", [&d](Request& req, Conn& c) -> Status {
    auto j = d.images()->inspect(req.params[0]);
    if (!j && j.error().kind() == ErrorKind::NotFound)
      return fail(ErrorKind::NotFound, "No such image: {}", req.params[0]);
    if (!j) return std::unexpected(j.error());
    c.json(200, *j);
    return ok();
  });
  r.add("GET", "/images/{name*}/history", [&d](Request& req, Conn& c) -> Status {
    auto j = d.images()->history(req.params[0]);
    if (!j && j.error().kind() == ErrorKind::NotFound)
      return fail(ErrorKind::NotFound, "No such image: {}", req.params[0]);
    if (!j) return std::unexpected(j.error());
    c.json(200, *j);
    return ok();
  });
  r.add("POST", "/images/{name*}/tag", [&d](Request& req, Conn& c) -> Status {
    std::string repo = req.q("repo").value_or("");
    std::string tag = req.q("tag").value_or("");
    if (repo.empty())
      return fail(ErrorKind::InvalidArgument, "repository name must have at least one component");
    std::string target = tag.empty() ? repo : repo + ":" + tag;
    auto st = d.images()->tag(req.params[0], target);
    if (!st && st.error().kind() == ErrorKind::NotFound)
      return fail(ErrorKind::NotFound, "No such image: {}", req.params[0]);
    if (!st) return std::unexpected(st.error());
    c.reply(201, "", "");
    return ok();
  });
  r.add("DELETE", "/images/{name*}", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(bool force, req.q_bool("force"));
    auto rep = d.images()->remove(req.params[0], force,
                                  [&d](const std::string& id) { return d.image_in_use(id); });
    if (!rep && rep.error().kind() == ErrorKind::NotFound)
      return fail(ErrorKind::NotFound, "No such image: {}", req.params[0]);
    if (!rep) return std::unexpected(rep.error());
    json out = json::array();
    for (auto& u : rep->untagged) out.push_back({{"Untagged", u}});
    for (auto& id : rep->deleted) out.push_back({{"Deleted", id}});
    c.json(200, out);
    return ok();
  });
  r.add("POST", "/images/load", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(bool quiet, req.q_bool("quiet"));
    (void)quiet;
    std::vector<std::string> loaded;
    BERTH_TRY(feed_body(c, [&](int fd) -> Status {
      BERTH_ASSIGN(loaded, d.images()->load(fd));
      return ok();
    }));
    c.begin(200, "application/json");
    for (auto& n : loaded) {
      bool is_id = n.starts_with("sha256:");
      std::string line = is_id ? "Loaded image ID: " + n : "Loaded image: " + familiar(n);
      c.chunk(json{{"stream", line + "\n"}}.dump() + "\n");
    }
    c.finish();
    return ok();
  });
  auto save = [&d](Conn& c, const std::vector<std::string>& names) -> Status {
    for (auto& n : names)
      if (auto g = d.images()->get(n); !g) return fail(ErrorKind::NotFound, "No such image: {}", n);
    return stream_out(c, "application/x-tar", [&](int fd) { return d.images()->save(names, fd); });
  };
  // import (fromSrc=- : the body is a rootfs tar); pulling from a registry is not built yet
  r.add("POST", "/images/create", [&d](Request& req, Conn& c) -> Status {
    std::string src = req.q("fromSrc").value_or("");
    if (src.empty()) {
      std::string img = req.q("fromImage").value_or("");
      return fail(ErrorKind::NotFound,
                  "pull {}: pulling from a registry is not implemented in berthd yet", img);
    }
    if (src != "-")
      return fail(ErrorKind::InvalidArgument,
                  "import from a URL is not supported: send the tar as the body (fromSrc=-)");
    std::string ref = req.q("repo").value_or("");
    if (auto tag = req.q("tag"); tag && !tag->empty() && !ref.empty()) ref += ":" + *tag;
    std::vector<std::string> changes = req.q_all("changes");
    std::string id;
    BERTH_TRY(feed_body(c, [&](int fd) -> Status {
      BERTH_ASSIGN(id, d.images()->import(fd, changes, req.q("message").value_or(""), ref));
      return ok();
    }));
    c.begin(200, "application/json");
    c.chunk(json{{"status", id}}.dump() + "\n");
    c.finish();
    return ok();
  });
  r.add("POST", "/commit", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    BERTH_ASSIGN(auto ct, d.get(req.q("container").value_or("")));
    image::CommitOptions o;
    o.container_id = ct->id;
    o.reference = req.q("repo").value_or("");
    if (auto tag = req.q("tag"); tag && !tag->empty() && !o.reference.empty())
      o.reference += ":" + *tag;
    o.author = req.q("author").value_or("");
    o.message = req.q("comment").value_or("");
    o.changes = req.q_all("changes");
    {
      std::lock_guard<std::mutex> l(ct->mu);
      // the container's config, with what the request gives over it
      o.config = ct->config;
      if (body.is_object())
        for (auto& [k, v] : body.items())
          if (!v.is_null()) o.config[k] = v;
      o.created_by = ct->path;
      for (auto& a : ct->args) o.created_by += " " + a;
    }
    BERTH_ASSIGN(std::string id, d.images()->commit(o));
    c.json(201, {{"Id", id}});
    return ok();
  });
  r.add("GET", "/images/get",
        [save](Request& req, Conn& c) { return save(c, req.q_all("names")); });
  r.add("GET", "/images/{name*}/get",
        [save](Request& req, Conn& c) { return save(c, {req.params[0]}); });
  r.add("POST", "/images/prune", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    bool all = f.count("dangling") && !f["dangling"].empty() &&
               (f["dangling"][0] == "false" || f["dangling"][0] == "0");
    BERTH_ASSIGN(auto rep, d.images()->prune(
                               all, [&d](const std::string& id) { return d.image_in_use(id); }));
    c.json(200, rep.to_json());
    return ok();
  });
}

}  // namespace berth::api
