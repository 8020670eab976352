#include "network/dns_message.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <gtest/gtest.h>
#include <resolv.h>

#include <string>
#include <vector>

namespace berth::network {
namespace {

// A query as a container's resolver sends it (glibc's res_mkquery).
std::vector<uint8_t> query(const char* name, int type, int id = 0x1234) {
  std::vector<uint8_t> buf(512);
  int n = res_mkquery(ns_o_query, name, ns_c_in, type, nullptr, 0, nullptr, buf.data(),
                      static_cast<int>(buf.size()));
  EXPECT_GT(n, 0);
  buf.resize(static_cast<size_t>(n));
  buf[0] = static_cast<uint8_t>(id >> 8);
  buf[1] = static_cast<uint8_t>(id & 0xff);
  return buf;
}

struct Record {
  int type;
  uint32_t ttl;
  std::string owner;
  std::string address;
};

// What a resolver makes of an answer: its header bits and records (glibc's parser).
struct Parsed {
  int id = 0, rcode = -1, questions = 0;
  bool qr = false, aa = false, rd = false, ra = false;
  std::string question;
  std::vector<Record> answers;
};

Parsed parse_answer(const std::string& wire) {
  Parsed p;
  ns_msg m;
  auto* msg = reinterpret_cast<const uint8_t*>(wire.data());
  EXPECT_EQ(ns_initparse(msg, static_cast<int>(wire.size()), &m), 0);
  p.id = ns_msg_id(m);
  p.qr = ns_msg_getflag(m, ns_f_qr);
  p.aa = ns_msg_getflag(m, ns_f_aa);
  p.rd = ns_msg_getflag(m, ns_f_rd);
  p.ra = ns_msg_getflag(m, ns_f_ra);
  p.rcode = ns_msg_getflag(m, ns_f_rcode);
  p.questions = ns_msg_count(m, ns_s_qd);
  ns_rr rr;
  if (ns_parserr(&m, ns_s_qd, 0, &rr) == 0) p.question = ns_rr_name(rr);
  for (int i = 0; i < ns_msg_count(m, ns_s_an); ++i) {
    EXPECT_EQ(ns_parserr(&m, ns_s_an, i, &rr), 0);
    char text[64] = "";
    int family = ns_rr_type(rr) == ns_t_aaaa ? AF_INET6 : AF_INET;
    inet_ntop(family, ns_rr_rdata(rr), text, sizeof text);
    p.answers.push_back({ns_rr_type(rr), ns_rr_ttl(rr), ns_rr_name(rr), text});
  }
  return p;
}

TEST(DnsMessage, ParsesAQuestion) {
  auto q = query("Web.Example.", ns_t_aaaa);
  auto parsed = parse_dns_query(q.data(), q.size());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "web.example");  // lowercased, no final dot
  EXPECT_EQ(parsed->type, ns_t_aaaa);
  EXPECT_EQ(parsed->end, q.size());
  EXPECT_TRUE(parsed->recursion_desired);
}

TEST(DnsMessage, RefusesWhatIsNotOneStandardQuery) {
  auto q = query("web", ns_t_a);
  for (size_t cut = 0; cut < q.size(); ++cut)
    EXPECT_FALSE(parse_dns_query(q.data(), cut)) << "truncated at " << cut;
  auto response = q;
  response[2] |= 0x80;  // QR: an answer, not a question
  EXPECT_FALSE(parse_dns_query(response.data(), response.size()));
  auto two = q;
  two[5] = 2;  // QDCOUNT 2 with one question present
  EXPECT_FALSE(parse_dns_query(two.data(), two.size()));
  auto loop = q;
  loop[12] = 0xc0;  // the name points at itself
  loop[13] = 12;
  EXPECT_FALSE(parse_dns_query(loop.data(), loop.size()));
  auto notify = q;
  notify[2] = static_cast<uint8_t>((notify[2] & 0x87) | (ns_o_notify << 3));
  EXPECT_FALSE(parse_dns_query(notify.data(), notify.size()));
}

TEST(DnsMessage, AnswersTheAskedFamilyOnly) {
  std::vector<std::string> ips = {"10.1.0.2", "fd00::2", "10.1.0.3"};
  auto q = query("WEB", ns_t_a, 0xbeef);
  auto parsed = parse_dns_query(q.data(), q.size());
  ASSERT_TRUE(parsed);
  Parsed a = parse_answer(dns_answer(q.data(), *parsed, ips, 600));
  EXPECT_EQ(a.id, 0xbeef);
  EXPECT_TRUE(a.qr);
  EXPECT_TRUE(a.aa);
  EXPECT_TRUE(a.rd);
  EXPECT_TRUE(a.ra);
  EXPECT_EQ(a.rcode, ns_r_noerror);
  EXPECT_EQ(a.questions, 1);
  EXPECT_EQ(a.question, "WEB");  // the client's spelling, as asked
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[0].owner, "WEB");
  EXPECT_EQ(a.answers[0].type, ns_t_a);
  EXPECT_EQ(a.answers[0].ttl, 600u);
  EXPECT_EQ(a.answers[0].address, "10.1.0.2");
  EXPECT_EQ(a.answers[1].address, "10.1.0.3");

  q = query("web", ns_t_aaaa);
  parsed = parse_dns_query(q.data(), q.size());
  ASSERT_TRUE(parsed);
  a = parse_answer(dns_answer(q.data(), *parsed, ips, 600));
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].type, ns_t_aaaa);
  EXPECT_EQ(a.answers[0].address, "fd00::2");

  q = query("web", ns_t_any);
  parsed = parse_dns_query(q.data(), q.size());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parse_answer(dns_answer(q.data(), *parsed, ips, 600)).answers.size(), 3u);
}

TEST(DnsMessage, OtherTypesGetNoDataNotAnError) {
  auto q = query("web", ns_t_mx);
  auto parsed = parse_dns_query(q.data(), q.size());
  ASSERT_TRUE(parsed);
  Parsed a = parse_answer(dns_answer(q.data(), *parsed, {"10.1.0.2"}, 600));
  EXPECT_EQ(a.rcode, ns_r_noerror);
  EXPECT_TRUE(a.answers.empty());
  EXPECT_EQ(a.questions, 1);
}

}  // namespace
}  // namespace berth::network
