// DNS messages of the embedded server: its queries parsed by glibc's resolver library (they
// come from containers: untrusted), its answers written here, since a few fixed-size A/AAAA
// records are all it ever sends. (ldns did both before, but it links OpenSSL for DNSSEC:
// 1.6 MiB of berthd's resident memory for nothing used.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::network {

// A query's one question: its name (lowercase, no final dot), type, and where it ends.
struct DnsQuestion {
  std::string name;
  int type = 0;
  size_t end = 0;
  bool recursion_desired = false;
};

// nullopt unless `msg` is a standard query with exactly one question.
std::optional<DnsQuestion> parse_dns_query(const uint8_t* msg, size_t n);

// An authoritative answer to `query` (its ID and question copied) with an A or AAAA record
// (TTL `ttl`) for each address of the asked type: none (NOERROR, no data) when it has none.
std::string dns_answer(const uint8_t* query, const DnsQuestion& q,
                       const std::vector<std::string>& ips, uint32_t ttl);

}  // namespace berth::network
