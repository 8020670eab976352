#include <gtest/gtest.h>

#include "api/filters.h"
#include "api/router.h"

namespace berth::api {
namespace {

// A connection that records what a handler answered.
class FakeConn : public Conn {
 public:
  Result<std::string> body(size_t) override { return std::string(); }
  Result<size_t> read_body(char*, size_t) override { return size_t{0}; }
  void reply(int s, std::string_view, std::string_view b,
             const std::vector<std::pair<std::string, std::string>>&) override {
    status = s;
    text = std::string(b);
    done = true;
  }
  void begin(int s, std::string_view,
             const std::vector<std::pair<std::string, std::string>>&) override {
    status = s;
    done = true;
  }
  bool chunk(std::string_view d) override {
    text += d;
    return true;
  }
  void finish() override {}
  void abort() override {}
  std::unique_ptr<RawStream> hijack(std::string_view) override { return nullptr; }
  bool client_gone() override { return false; }
  bool replied() const override { return done; }
  int status = 0;
  std::string text;
  bool done = false;
};

struct Dispatch {
  FakeConn conn;
  Request req;
};

Dispatch run(const Router& r, const std::string& method, const std::string& target) {
  Dispatch d;
  d.req.method = method;
  d.req.target = target;
  r.dispatch(d.req, d.conn);
  return d;
}

Router test_router() {
  Router r;
  r.add("GET", "/containers/{id}/json", [](Request& req, Conn& c) -> Status {
    c.json(200, {{"id", req.params[0]}, {"v", req.version.str()}});
    return ok();
  });
  r.add("GET", "/images/{name*}/json", [](Request& req, Conn& c) -> Status {
    c.json(200, {{"name", req.params[0]}});
    return ok();
  });
  r.add("DELETE", "/containers/{id}", [](Request& req, Conn&) -> Status {
    return fail(ErrorKind::NotFound, "No such container: {}", req.params[0]);
  });
  r.add("GET", "/bool", [](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(bool b, req.q_bool("all"));
    c.json(200, {{"all", b}});
    return ok();
  });
  return r;
}

TEST(Router, VersionPrefixAndUnversionedPaths) {
  Router r = test_router();
  auto d = run(r, "GET", "/v1.41/containers/abc/json");
  EXPECT_EQ(d.conn.status, 200);
  EXPECT_EQ(nlohmann::json::parse(d.conn.text)["v"], "1.41");
  d = run(r, "GET", "/containers/abc/json");
  EXPECT_EQ(d.conn.status, 200);
  EXPECT_EQ(nlohmann::json::parse(d.conn.text)["v"], kApiVersion.str());
}

TEST(Router, VersionsOutsideTheRangeAreRefused) {
  Router r = test_router();
  auto d = run(r, "GET", "/v1.12/containers/abc/json");
  EXPECT_EQ(d.conn.status, 400);
  EXPECT_NE(d.conn.text.find("too old"), std::string::npos);
  d = run(r, "GET", "/v1.99/containers/abc/json");
  EXPECT_EQ(d.conn.status, 400);
  EXPECT_NE(d.conn.text.find("too new"), std::string::npos);
}

TEST(Router, ImageNamesSpanSlashesAndArePercentDecoded) {
  Router r = test_router();
  auto d = run(r, "GET", "/v1.45/images/localhost:5000/ns/app%3A1/json");
  EXPECT_EQ(d.conn.status, 200);
  EXPECT_EQ(nlohmann::json::parse(d.conn.text)["name"], "localhost:5000/ns/app:1");
}

TEST(Router, ErrorsBecomeDockerStatusAndMessage) {
  Router r = test_router();
  auto d = run(r, "DELETE", "/v1.45/containers/nope");
  EXPECT_EQ(d.conn.status, 404);
  EXPECT_EQ(nlohmann::json::parse(d.conn.text)["message"], "No such container: nope");
  d = run(r, "POST", "/v1.45/containers/x/json");
  EXPECT_EQ(d.conn.status, 405);
  d = run(r, "GET", "/v1.45/nothing/here");
  EXPECT_EQ(d.conn.status, 404);
}

TEST(Router, BooleansInEveryFormDockerAccepts) {
  Router r = test_router();
  for (auto [q, want] : {std::pair{"1", true},
                         {"true", true},
                         {"True", true},
                         {"0", false},
                         {"false", false},
                         {"False", false}}) {
    auto d = run(r, "GET", std::string("/bool?all=") + q);
    EXPECT_EQ(nlohmann::json::parse(d.conn.text)["all"], want) << q;
  }
  auto d = run(r, "GET", "/bool?all=maybe");
  EXPECT_EQ(d.conn.status, 400);
}

TEST(Filters, MapAndListFormsAgree) {
  auto m = parse_filters(R"({"label":{"a=1":true,"b":true},"name":{"x":false}})");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["label"], (std::vector<std::string>{"a=1", "b"}));
  EXPECT_TRUE((*m)["name"].empty());
  auto l = parse_filters(R"({"label":["a=1","b"]})");
  ASSERT_TRUE(l);
  EXPECT_EQ((*l)["label"], (std::vector<std::string>{"a=1", "b"}));
  EXPECT_FALSE(parse_filters("{not json"));
  EXPECT_FALSE(parse_filters(R"({"label":"a"})"));
}

TEST(Filters, LabelMatching) {
  nlohmann::json labels = {{"tier", "a"}, {"flag", ""}};
  EXPECT_TRUE(label_matches(labels, "tier"));
  EXPECT_TRUE(label_matches(labels, "tier=a"));
  EXPECT_FALSE(label_matches(labels, "tier=b"));
  EXPECT_TRUE(label_matches(labels, "flag="));
  EXPECT_FALSE(label_matches(labels, "other"));
  EXPECT_FALSE(label_matches(nullptr, "tier"));
}

}  // namespace
}  // namespace berth::api
