#include <gtest/gtest.h>

#include "gateway/error_mapping.hpp"
#include "gateway/json.hpp"
#include "gateway/uri.hpp"

namespace actr::gateway {
namespace {

TEST(GatewayUri, PercentEncodingRoundTrips) {
  EXPECT_EQ(percent_encode("acme/echo"), "acme%2Fecho");
  EXPECT_EQ(percent_encode("a b+c~d_e.f-g"), "a%20b%2Bc~d_e.f-g");
  EXPECT_EQ(percent_encode(std::string("\0\xff", 2)), "%00%FF");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(percent_decode(percent_encode(all)), all);
  EXPECT_EQ(percent_decode("a+b%2f"), "a+b/");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%g0"));
}

TEST(GatewayUri, ActorPaths) {
  auto p = parse_actor_path("/actors/acme%2Fecho/ping?x=1");
  ASSERT_TRUE(p && p->ok());
  EXPECT_EQ(p->value().target, "acme/echo");
  EXPECT_EQ(p->value().route_key, "ping");
  p = parse_actor_path("/actors/a/b/c/route%2Fkey");
  ASSERT_TRUE(p && p->ok());
  EXPECT_EQ(p->value().target, "a/b/c");
  EXPECT_EQ(p->value().route_key, "route/key");
  for (const char* unknown : {"/", "/actors", "/actors/", "/actors/x", "/actors//r", "/actors/x/",
                              "/actorsx/a/b", "/metrics"})
    EXPECT_FALSE(parse_actor_path(unknown)) << unknown;
  p = parse_actor_path("/actors/x/%zz");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->ok());
  // Targets and route keys are WIT strings: bytes that are not UTF-8, escaped or raw, are refused.
  for (const char* bad : {"/actors/alpha/%ff", "/actors/alpha/\xff\xfe", "/actors/%c3%28/echo",
                          "/actors/alpha/%ed%a0%80"}) {
    auto p = parse_actor_path(bad);
    ASSERT_TRUE(p) << bad;
    ASSERT_FALSE(p->ok()) << bad;
    EXPECT_NE(p->error().message.find("not valid UTF-8"), std::string::npos) << bad;
  }
  auto accented = parse_actor_path("/actors/acme%2Fecho/gr%C3%BC%C3%9F");
  ASSERT_TRUE(accented && accented->ok());
  EXPECT_EQ(accented->value().route_key, "grüß");
}

TEST(GatewayUri, NodeUrls) {
  auto u = parse_node_url("http://127.0.0.1:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->prefix, "");
  u = parse_node_url("http://node.local/base/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "node.local");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->prefix, "/base");
  u = parse_node_url("http://[::1]:9000/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  for (const char* bad :
       {"https://x", "127.0.0.1:8080", "http://", "http://:80", "http://x:0", "http://x:65536",
        "http://x:", "http://x:8a", "http://[::1", "http://u@x", "http://x/?q"})
    EXPECT_FALSE(parse_node_url(bad).ok()) << bad;
}

TEST(GatewayJson, QuotesAndParsesStringObjects) {
  EXPECT_EQ(json::quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(json::quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json::quote("bad\xff"), "\"bad\xef\xbf\xbd\"");
  auto m =
      json::parse_string_object(R"( {"error" : "not-found", "message":"a\"b\u00e9\ud83d\ude00"} )");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["error"], "not-found");
  EXPECT_EQ((*m)["message"], "a\"b\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(json::parse_string_object("{}"));
  for (const char* bad : {"", "{", "[]", "{\"a\":1}", "{\"a\":\"b\",}", "{\"a\":\"b\"} x",
                          "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":{}}"})
    EXPECT_FALSE(json::parse_string_object(bad)) << bad;
  std::string nasty = "\"\\\n\t\x7f\xc3\xa9";
  auto back = json::parse_string_object("{\"k\":" + json::quote(nasty) + "}");
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)["k"], nasty);
}

TEST(GatewayErrors, BodiesRoundTripEveryCase) {
  for (const char* name :
       {"unavailable", "timed-out", "not-found", "permission-denied", "invalid-argument",
        "unknown-route", "dependency-not-found", "decode-failure", "not-implemented", "internal"}) {
    auto error = make_actr_error(name, std::string("why \"") + name + "\"", "svc");
    ASSERT_TRUE(error) << name;
    EXPECT_EQ(error_case(*error), name);
    auto back = parse_error_body(error_body(*error));
    ASSERT_TRUE(back) << error_body(*error);
    EXPECT_EQ(*back, *error);
  }
  EXPECT_FALSE(make_actr_error("no-such-case", ""));
  EXPECT_FALSE(parse_error_body("{\"error\":\"payload-too-large\",\"message\":\"x\"}"));
  EXPECT_EQ(error_body(ActrError::dependency_not_found({"billing", "gone"})),
            R"({"error":"dependency-not-found","message":"gone","service":"billing"})");
}

}  // namespace
}  // namespace actr::gateway
