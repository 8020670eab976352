// Follows github.com/distribution/reference (normalize.go, regexp.go, reference.go), with the
// regular expressions written out as small scanners: the path-component pattern nests
// quantifiers and would backtrack exponentially in std::regex.
#include "image/reference.h"

#include <fmt/format.h>

#include "content/digest.h"

namespace berth::image {

namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool valid_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && !is_lower_alnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

// pathComponent(/pathComponent)*
bool valid_path(std::string_view s) {
  size_t i = 0;
  for (;;) {
    size_t j = s.find('/', i);
    if (!valid_path_component(s.substr(i, j == std::string_view::npos ? j : j - i))) return false;
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

// [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// (domainName | \[ipv6\]) (:[0-9]+)?
bool valid_domain(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!is_hex(c) && c != ':') return false;
    }
    host = {};
    port = s.substr(close + 1);
  } else if (size_t colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon);
  }
  if (!port.empty()) {
    if (port.front() != ':' || port.size() < 2) return false;
    for (char c : port.substr(1)) {
      if (!is_digit(c)) return false;
    }
  }
  if (host.empty()) return !s.empty() && s.front() == '[';
  size_t i = 0;
  for (;;) {
    size_t j = host.find('.', i);
    if (!valid_domain_component(host.substr(i, j == std::string_view::npos ? j : j - i))) {
      return false;
    }
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

// [\w][\w.-]{0,127}
bool valid_tag(std::string_view s) {
  if (s.empty() || s.size() > 128 || !is_word(s.front())) return false;
  for (char c : s) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}
bool valid_digest_syntax(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  bool at_start = true;  // a letter must open the algorithm and follow each separator
  for (char c : alg) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (at_start) {
      if (!letter) return false;
      at_start = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      at_start = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  if (at_start || hex.size() < 32) return false;
  for (char c : hex) {
    if (!is_hex(c)) return false;
  }
  return true;
}

std::unexpected<Error> invalid_format() {
  return fail(ErrorKind::InvalidArgument, "invalid reference format");
}

// Matches "domain/remainder" against the reference grammar (reference.Parse).
std::optional<Reference> match(std::string_view domain, std::string_view remainder) {
  Reference ref;
  ref.domain = std::string(domain);
  std::string_view name = remainder;
  if (size_t at = remainder.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(remainder.substr(at + 1));
    name = remainder.substr(0, at);
    if (!valid_digest_syntax(ref.digest)) return std::nullopt;
  }
  // The domain is split off already, so the first ':' left can only start a tag.
  if (size_t colon = name.find(':'); colon != std::string_view::npos) {
    ref.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (!valid_tag(ref.tag)) return std::nullopt;
  }
  ref.path = std::string(name);
  if (!valid_domain(domain) || !valid_path(name)) return std::nullopt;
  return ref;
}

std::string with_tag_and_digest(std::string out, const Reference& r) {
  if (!r.tag.empty()) out += ":" + r.tag;
  if (!r.digest.empty()) out += "@" + r.digest;
  return out;
}

}  // namespace

bool looks_like_id(std::string_view s) {
  if (s.starts_with("sha256:")) s.remove_prefix(7);
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

Result<Reference> parse_reference(std::string_view s, bool add_latest) {
  if (s.empty()) return invalid_format();
  if (s.size() == 64 && looks_like_id(s)) {
    return fail(ErrorKind::InvalidArgument,
                "invalid repository name ({}), cannot specify 64-byte hexadecimal strings", s);
  }
  // splitDockerDomain: the first component names a registry if it has '.' or ':', is
  // "localhost", or has uppercase (which no repository path may).
  std::string_view domain = kDefaultDomain;
  std::string_view rest = s;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = s.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
        to_lower(first) != first) {
      domain = first;
      rest = s.substr(slash + 1);
    }
  }
  if (domain == kLegacyDefaultDomain) domain = kDefaultDomain;
  std::string remainder(rest);
  if (domain == kDefaultDomain && remainder.find('/') == std::string::npos) {
    remainder.insert(0, kOfficialPrefix);
  }
  std::string_view remote = std::string_view(remainder).substr(0, remainder.find(':'));
  if (to_lower(remote) != remote) {
    return fail(ErrorKind::InvalidArgument,
                "invalid reference format: repository name must be lowercase");
  }

  auto ref = match(domain, remainder);
  if (!ref) return invalid_format();
  if (ref->domain.size() + 1 + ref->path.size() > kNameTotalLengthMax) {
    return fail(ErrorKind::InvalidArgument,
                "invalid reference format: repository name must not be more than {} characters",
                kNameTotalLengthMax);
  }
  if (!ref->digest.empty()) BERTH_TRY(content::Digest::parse(ref->digest));
  if (add_latest && ref->tag.empty() && ref->digest.empty()) ref->tag = "latest";
  return *ref;
}

std::string Reference::name() const {
  return domain + "/" + path;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  // Only single-level official names lose "library/" (docker.io/library/a/b stays a path).
  if (path.starts_with(kOfficialPrefix) &&
      path.find('/', kOfficialPrefix.size()) == std::string::npos) {
    return path.substr(kOfficialPrefix.size());
  }
  return path;
}

std::string Reference::full() const {
  return with_tag_and_digest(name(), *this);
}

std::string Reference::familiar() const {
  return with_tag_and_digest(familiar_name(), *this);
}

}  // namespace berth::image
