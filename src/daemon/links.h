// Legacy container links (--link name[:alias]): on the default bridge they are /etc/hosts
// lines and environment variables; on a user-defined network, a name the embedded DNS
// answers for the linking container only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::daemon {

struct Link {
  std::string target;  // the linked container's name, without the leading '/'
  std::string alias;   // the name it has for the linking container
};

// "db", "db:alias" or the stored "/db:/web/alias".
Result<Link> parse_link(const std::string& spec);

// The form HostConfig.Links keeps: "/db:/web/alias".
std::string stored_link(const Link& l, const std::string& container_name);

// After a rename: HostConfig.Links of container `owner` (now named `owner_name`) with links to
// `old_name` pointing at `new_name` (names without '/'), in the stored form again.
nlohmann::json renamed_links(const nlohmann::json& links, const std::string& owner_name,
                             const std::string& old_name, const std::string& new_name);

// Docker's variables for a link: ALIAS_NAME, ALIAS_PORT, ALIAS_PORT_<port>_<PROTO>[_ADDR,
// _PORT, _PROTO] for each exposed port, ALIAS_ENV_<var> for the target's own variables.
std::vector<std::string> link_env(const Link& l, const std::string& container_name,
                                  const std::string& ip, const nlohmann::json& exposed_ports,
                                  const nlohmann::json& target_env);

// The /etc/hosts line: the alias, the target's hostname and its name (unless the alias is it).
std::string link_hosts_line(const Link& l, const std::string& ip, const std::string& hostname);

}  // namespace berth::daemon
