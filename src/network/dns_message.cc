#include "network/dns_message.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <cctype>

namespace berth::network {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void put16(std::string& out, unsigned v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

}  // namespace

std::optional<DnsQuestion> parse_dns_query(const uint8_t* msg, size_t n) {
  ns_msg m;
  if (ns_initparse(msg, static_cast<int>(n), &m) < 0) return std::nullopt;
  if (ns_msg_getflag(m, ns_f_qr) != 0 || ns_msg_getflag(m, ns_f_opcode) != ns_o_query ||
      ns_msg_count(m, ns_s_qd) != 1)
    return std::nullopt;
  ns_rr rr;
  if (ns_parserr(&m, ns_s_qd, 0, &rr) < 0) return std::nullopt;
  int name_len = dn_skipname(msg + NS_HFIXEDSZ, msg + n);
  if (name_len < 0) return std::nullopt;
  DnsQuestion q;
  q.name = lower(ns_rr_name(rr));
  if (q.name.ends_with('.')) q.name.pop_back();
  q.type = ns_rr_type(rr);
  q.end = NS_HFIXEDSZ + static_cast<size_t>(name_len) + NS_QFIXEDSZ;
  q.recursion_desired = ns_msg_getflag(m, ns_f_rd) != 0;
  return q;
}

std::string dns_answer(const uint8_t* query, const DnsQuestion& q,
                       const std::vector<std::string>& ips, uint32_t ttl) {
  bool want_a = q.type == ns_t_a || q.type == ns_t_any;
  bool want_aaaa = q.type == ns_t_aaaa || q.type == ns_t_any;
  std::string records;
  unsigned count = 0;
  for (const auto& ip : ips) {
    uint8_t addr[16];
    bool v6 = ip.find(':') != std::string::npos;
    if ((v6 ? !want_aaaa : !want_a) || inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), addr) != 1)
      continue;
    put16(records, 0xc000 | NS_HFIXEDSZ);  // the owner: a pointer to the question's name
    put16(records, v6 ? ns_t_aaaa : ns_t_a);
    put16(records, ns_c_in);
    put16(records, ttl >> 16);
    put16(records, ttl & 0xffff);
    put16(records, v6 ? 16 : 4);
    records.append(reinterpret_cast<char*>(addr), v6 ? 16 : 4);
    ++count;
  }
  std::string out(reinterpret_cast<const char*>(query), 2);                  // the ID
  out += static_cast<char>(0x80 | 0x04 | (q.recursion_desired ? 0x01 : 0));  // QR AA RD
  out += static_cast<char>(0x80);                                            // RA, NOERROR
  put16(out, 1);
  put16(out, count);
  put16(out, 0);
  put16(out, 0);
  out.append(reinterpret_cast<const char*>(query) + NS_HFIXEDSZ, q.end - NS_HFIXEDSZ);
  return out + records;
}

}  // namespace berth::network
