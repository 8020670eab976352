#!/usr/bin/env bats
# Networking through the docker CLI against a private berthd: the default bridge, user
# networks with DNS, isolation, published ports (from the host and from an "outside"
# namespace this test makes), host/none/container modes, connect/disconnect, and a daemon
# killed with SIGKILL. Traffic goes only to loopback and to namespaces made here.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() {
  export BT_IPV6=1  # the default bridge gets fd42:4254:N::/64
  berthd_setup_file
  export WEB='mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && httpd -f -p 80 -h /www'
}

setup() { berthd_setup; }

teardown_file() {
  [ -f "$BT/busyport" ] && pkill -f "busybox nc -l -p $(cat "$BT/busyport")" 2>/dev/null || true
  ip netns delete "bt-out-$BT_ID" 2>/dev/null || true
  ip link delete "bto$BT_ID" 2>/dev/null || true
  ip netns delete "bt-out6-$BT_ID" 2>/dev/null || true
  ip link delete "bto6$BT_ID" 2>/dev/null || true
  ip link delete "btmv$BT_ID" 2>/dev/null || true
  ip netns delete "bt-out4-$BT_ID" 2>/dev/null || true
  ip link delete "bto4$BT_ID" 2>/dev/null || true
  berthd_cleanup
}

teardown() { berthd_teardown; }

# GET / from inside a container on `net` (busybox nc: its wget crashes in Debian 12)
get() { dk run --rm --network "$1" busybox sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $2 80 | tail -n 1"; }
free_port() {
  local p
  while :; do
    p=$(shuf -i 20000-29999 -n 1)
    ss -Htlnu "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

@test "default bridge: an address from --bip's subnet, a default route, /etc/hosts" {
  run dk run --rm busybox sh -c 'ip -4 -o addr show eth0; ip route; grep "$(hostname)" /etc/hosts'
  [[ "${lines[0]}" == *"inet $BT_NET.0."*/24* ]]
  [[ "$output" == *"default via $BT_NET.0.1 dev eth0"* ]]
  [[ "${lines[-1]}" == "$BT_NET.0."* ]]
  dk run -d --name b1 busybox sh -c "$WEB"
  ip=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' b1)
  [[ "$ip" == "$BT_NET.0."* ]]
  run dk inspect -f '{{.NetworkSettings.Networks.bridge.Gateway}} {{.NetworkSettings.IPPrefixLen}}' b1
  [ "$output" = "$BT_NET.0.1 24" ]
  run get bridge "$ip"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' b1)" ]
  # the default bridge has no name resolution (asked of a resolver on the container's own
  # loopback, so the query never leaves it)
  run dk run --rm --dns 127.0.0.1 busybox sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 b1 80"
  [[ "$output" != *hello* ]]
  [[ "$output" == *"bad address 'b1'"* ]]
  dk rm -f b1
}

@test "user networks: names and aliases resolve, other networks cannot reach, internal has no route out" {
  dk network create --label purpose=test un1
  dk network create --subnet "$BT_NET.9.0/24" --gateway "$BT_NET.9.254" un2
  run dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.purpose}}' un1
  [[ "$output" == "$BT_NET."*".0/24 $BT_NET."*".1 test" ]]
  dk run -d --name w1 --network un1 --network-alias www busybox sh -c "$WEB"
  dk run -d --name w2 --network un1 --ip "$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' un1 | sed 's#0/24#77#')" busybox sh -c "$WEB"
  run get un1 w1
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' w1)" ]
  run get un1 www
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' w1)" ]
  run dk run --rm --network un1 busybox sh -c 'cat /etc/resolv.conf; nslookup w2 127.0.0.11'
  [[ "$output" == *"nameserver 127.0.0.11"* ]]
  [[ "$output" == *"Address: $BT_NET."*".77"* ]]
  ip1=$(dk inspect -f '{{.NetworkSettings.Networks.un1.IPAddress}}' w1)
  run get un2 "$ip1"
  [[ "$output" != *hello* ]]
  run dk run --rm --network un2 busybox ip route
  [[ "$output" == *"default via $BT_NET.9.254"* ]]
  dk network create --internal uint
  run dk run --rm --network uint busybox ip route
  [[ "$output" != *default* ]]
  run dk network inspect -f '{{range .Containers}}{{.Name}} {{end}}' un1
  [[ "$output" == *w1* && "$output" == *w2* ]]
  run dk network rm un1
  [ "$status" -ne 0 ]
  [[ "$output" == *"has active endpoints"* ]]
  run dk network rm bridge
  [[ "$output" == *"pre-defined network and cannot be removed"* ]]
  run dk network create un2
  [[ "$output" == *"already exists"* ]]
  dk rm -f w1 w2
  dk network rm un1 un2 uint
}

@test "ports: -p serves 127.0.0.1 and an outside namespace; -P picks free ports; busy ports fail" {
  port=$(free_port)
  dk run -d --name p1 -p "$port:80" busybox sh -c "$WEB"
  sleep 0.3
  run curl -s -m 5 "http://127.0.0.1:$port/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' p1)" ]
  # and ::1 (relayed by berthd: IPv6 cannot DNAT from loopback)
  run curl -s -m 5 "http://[::1]:$port/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' p1)" ]
  run dk port p1
  [ "$output" = "80/tcp -> 0.0.0.0:$port
80/tcp -> [::]:$port" ]
  run dk ps --filter name=p1 --format '{{.Ports}}'
  [ "$output" = "0.0.0.0:$port->80/tcp, [::]:$port->80/tcp" ]
  # a port on ::1 only
  port6=$(free_port)
  dk run -d --name p6 -p "[::1]:$port6:80" busybox sh -c "$WEB"
  sleep 0.3
  run curl -s -m 5 "http://[::1]:$port6/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' p6)" ]
  run curl -s -m 2 "http://127.0.0.1:$port6/"
  [ "$status" -ne 0 ]
  dk rm -f p6
  # UDP is not relayed on IPv6 addresses: a clear error, not a silent gap
  run dk run -d --name p7 -p "[::1]:$port6:53/udp" busybox sleep 1
  [ "$status" -ne 0 ]
  [[ "$output" == *"publishing udp ports on IPv6 addresses is not supported"* ]]
  dk rm -f p7
  run curl -s -m 2 "http://[::1]:$port6/"
  [ "$status" -ne 0 ]
  # an "outside" client: a namespace of ours, through the host side of its own veth
  ip netns add "bt-out-$BT_ID"
  ip link add "bto$BT_ID" type veth peer name eth0 netns "bt-out-$BT_ID"
  ip addr add "$BT_NET.250.1/30" dev "bto$BT_ID"
  ip link set "bto$BT_ID" up
  ip -n "bt-out-$BT_ID" addr add "$BT_NET.250.2/30" dev eth0
  ip -n "bt-out-$BT_ID" link set eth0 up
  ip -n "bt-out-$BT_ID" link set lo up
  run ip netns exec "bt-out-$BT_ID" curl -s -m 5 "http://$BT_NET.250.1:$port/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' p1)" ]
  ip netns delete "bt-out-$BT_ID"
  # the same host port again
  run dk run -d --name p2 -p "$port:80" busybox sleep 100
  [ "$status" -ne 0 ]
  [[ "$output" == *"port is already allocated"* ]]
  dk rm -f p2
  # a port some host process holds
  busy=$(free_port)
  echo "$busy" >"$BT/busyport"
  (setsid busybox nc -l -p "$busy" >/dev/null 2>&1 </dev/null 3>&- &)
  sleep 0.3
  run dk run -d --name p3 -p "$busy:80" busybox sleep 100
  [ "$status" -ne 0 ]
  [[ "$output" == *"address already in use"* ]]
  pkill -f "nc -l -p $busy" || true
  dk rm -f p3
  dk run -d --name p4 -P --expose 81 --expose 82/udp busybox sleep 100
  run dk port p4
  [[ "$output" == *"81/tcp -> 0.0.0.0:"* && "$output" == *"82/udp -> 0.0.0.0:"* ]]
  # once `wait` answers, the exit is handled: the ports are released too
  dk run -d --name p5 -p 127.0.0.1::80 busybox sleep 100
  ip5=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' p5)
  run nft list chain ip "berth_$BT_BRIDGE" ports
  [[ "$output" == *"dnat to $ip5:80"* ]]
  dk kill p5
  dk wait p5
  run nft list chain ip "berth_$BT_BRIDGE" ports
  [[ "$output" != *"$ip5"* ]]
  dk rm -f p1 p4 p5
  run nft list chain ip "berth_$BT_BRIDGE" ports
  [[ "$output" != *dnat* ]]
}

@test "enable_icc=false: containers on one bridge cannot talk; on another network they can" {
  dk network create -o com.docker.network.bridge.enable_icc=false noicc
  dk run -d --name i1 --network noicc busybox sh -c "$WEB"
  ip1=$(dk inspect -f '{{.NetworkSettings.Networks.noicc.IPAddress}}' i1)
  run get noicc "$ip1"
  [[ "$output" != *hello* ]]
  dk network create yesicc
  dk run -d --name i2 --network yesicc busybox sh -c "$WEB"
  run get yesicc i2
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' i2)" ]
  dk rm -f i1 i2
  dk network rm noicc yesicc
}

@test "--add-host (host-gateway too), --dns, --dns-search, --dns-option, --hostname" {
  run dk run --rm --add-host db:10.1.2.3 --add-host host.docker.internal:host-gateway \
    --dns 10.9.9.9 --dns-search example.test --dns-option ndots:2 --hostname hn busybox \
    sh -c 'cat /etc/hosts /etc/resolv.conf; hostname'
  [[ "$output" == *"10.1.2.3"$'\t'"db"* ]]
  [[ "$output" == *"$BT_NET.0.1"$'\t'"host.docker.internal"* ]]
  [[ "$output" == *"nameserver 10.9.9.9"* ]]
  [[ "$output" == *"search example.test"* ]]
  [[ "$output" == *"options ndots:2"* ]]
  [ "${lines[-1]}" = hn ]
}

@test "--link: /etc/hosts and variables on the default bridge, a DNS name on a user network" {
  dk run -d --name lk-db -e FOO=bar --expose 5432 busybox sh -c "$WEB"
  ip=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' lk-db)
  run dk run --rm --link lk-db:database busybox sh -c \
    'grep database /etc/hosts; echo "$DATABASE_PORT $DATABASE_ENV_FOO $DATABASE_NAME"; printf "GET / HTTP/1.0\r\n\r\n" | nc -w 3 database 80 | tail -n 1'
  [ "${lines[0]}" = "$ip	database $(dk inspect -f '{{.Config.Hostname}}' lk-db) lk-db" ]
  [[ "${lines[1]}" == "tcp://$ip:5432 bar /"*"/database" ]]
  [ "${lines[2]}" = "hello from $(dk inspect -f '{{.Config.Hostname}}' lk-db)" ]
  dk create --name lk-web --link lk-db:x busybox true
  [ "$(dk inspect -f '{{json .HostConfig.Links}}' lk-web)" = '["/lk-db:/lk-web/x"]' ]
  run dk run --rm --link lk-nope:x busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"could not get container for lk-nope"* ]]
  run dk run --rm --network host --link lk-db busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"can't be used with links"* ]]
  # a user network: the alias is a name the embedded DNS answers (for the linking container)
  dk network create lkn
  dk run -d --name lk-db2 --network lkn busybox sh -c "$WEB"
  run get lkn lk-db2
  [[ "$output" == "hello from "* ]]
  run dk run --rm --network lkn --link lk-db2:dbalias busybox sh -c \
    "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 dbalias 80 | tail -n 1"
  [ "$output" = "$(get lkn lk-db2)" ]
  # links that name each other: each alias is its target's name, and lookups end
  dk run -d --name lk-db3 --network lkn busybox sleep 100
  run dk run --rm --network lkn --link lk-db2:lk-db3 --link lk-db3:lk-db2 busybox \
    nslookup lk-db3 127.0.0.11
  [[ "$output" == *"Address: $(dk inspect -f '{{.NetworkSettings.Networks.lkn.IPAddress}}' lk-db2)"* ]]
  run dk version -f '{{.Server.APIVersion}}'
  [ "$output" = 1.45 ]
  # a stopped target: the linking container does not start
  dk stop -t 0 lk-db
  run dk start lk-web
  [ "$status" -ne 0 ]
  [[ "$output" == *"Cannot link to a non running container: /lk-db AS /lk-web/x"* ]]
  # renames: the link follows its target, and carries its owner's new name
  dk rename lk-db lk-store
  dk rename lk-web lk-front
  [ "$(dk inspect -f '{{json .HostConfig.Links}}' lk-front)" = '["/lk-store:/lk-front/x"]' ]
  dk start lk-store
  dk start lk-front
  dk rm -f lk-store lk-front lk-db2 lk-db3
  dk network rm lkn
}

@test "IPv6: the default bridge (--fixed-cidr-v6), --ipv6 networks, --ip6, AAAA names, masquerade out" {
  v6="fd42:4254:${BT_NET#10.}"
  run dk run --rm busybox sh -c 'ip -6 -o addr show eth0 scope global; ip -6 route show default'
  [[ "${lines[0]}" == *"inet6 $v6::"*"/64"* ]]
  [[ "$output" == *"default via $v6::1 dev eth0"* ]]
  [ "$(dk network inspect -f '{{.EnableIPv6}}' bridge)" = true ]
  # the host reaches a container over IPv6
  dk run -d --name s6 busybox sh -c "$WEB"
  ip6=$(dk inspect -f '{{.NetworkSettings.GlobalIPv6Address}}' s6)
  [[ "$ip6" == "$v6::"* ]]
  [ "$(dk inspect -f '{{.NetworkSettings.IPv6Gateway}}' s6)" = "$v6::1" ]
  sleep 0.3
  run curl -s -m 5 "http://[$ip6]/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' s6)" ]
  # a user network with its own IPv6 subnet: a static address, AAAA names
  u6="fd42:4255:${BT_NET#10.}"
  dk network create --ipv6 --subnet "$u6::/64" n6
  [ "$(dk network inspect -f '{{.EnableIPv6}}' n6)" = true ]
  dk run -d --name t6 --network n6 --ip6 "$u6::66" busybox sh -c "$WEB"
  [ "$(dk inspect -f '{{.NetworkSettings.Networks.n6.GlobalIPv6Address}}' t6)" = "$u6::66" ]
  run dk run --rm --network n6 busybox sh -c \
    "nslookup -type=AAAA t6 127.0.0.11 | grep Address: | tail -n 1; printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $u6::66 80 | tail -n 1"
  [ "${lines[0]}" = "Address: $u6::66" ]
  [ "${lines[1]}" = "hello from $(dk inspect -f '{{.Config.Hostname}}' t6)" ]
  run dk network inspect -f '{{range .Containers}}{{.IPv6Address}}{{end}}' n6
  [ "$output" = "$u6::66/64" ]
  run dk run --rm --network n6 --ip6 "$u6::66" busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *"Address already in use"* ]]
  # a user network without IPv6 gets none, and refuses --ip6
  dk network create n4
  run dk run --rm --network n4 busybox ip -6 -o addr show eth0 scope global
  [ -z "$output" ]
  run dk run --rm --network n4 --ip6 "$u6::67" busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *"networks with IPv6 enabled"* ]]
  # outbound: routed by the host and masqueraded, here to an outside namespace of ours
  o6="fd42:4256:${BT_NET#10.}"
  ip netns add "bt-out6-$BT_ID"
  ip link add "bto6$BT_ID" type veth peer name eth0 netns "bt-out6-$BT_ID"
  ip addr add "$o6::1/64" dev "bto6$BT_ID" nodad
  ip link set "bto6$BT_ID" up
  ip -n "bt-out6-$BT_ID" addr add "$o6::2/64" dev eth0 nodad
  ip -n "bt-out6-$BT_ID" link set eth0 up
  (ip netns exec "bt-out6-$BT_ID" timeout -k 2 15 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8080)); s.listen(1)
c, peer = s.accept(); print(peer[0]); sys.stdout.flush()' >"$BT/peer6" 2>&1 </dev/null 3>&- &)
  sleep 0.5
  dk run --rm --network n6 busybox sh -c "echo hi | nc -w 3 $o6::2 8080"
  for _ in $(seq 20); do [ -s "$BT/peer6" ] && break; sleep 0.1; done
  [ "$(cat "$BT/peer6")" = "$o6::1" ]
  ip netns delete "bt-out6-$BT_ID"
  dk rm -f s6 t6
  dk network rm n6 n4
}

@test "macvlan: containers on one parent reach each other by name; connect, disconnect, errors" {
  # no parent given: berthd makes one (dm-<id>) and removes it with the network
  dk network create -d macvlan --subnet "$BT_NET.200.0/24" mv1
  parent="dm-$(dk network inspect -f '{{.Id}}' mv1 | cut -c1-12)"
  ip link show "$parent" >/dev/null
  dk run -d --name ma --network mv1 busybox sh -c "$WEB"
  run nsenter --net="$(dk inspect -f '{{.NetworkSettings.SandboxKey}}' ma)" ip -d link show eth0
  [[ "$output" == *"macvlan mode bridge"* ]]
  [ "$(dk inspect -f '{{.NetworkSettings.Networks.mv1.IPAddress}}' ma)" = "$BT_NET.200.2" ]
  sleep 0.3
  run dk run --rm --network mv1 busybox sh -c \
    "ip route show default; printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 ma 80 | tail -n 1"
  [[ "$output" == *"default via $BT_NET.200.1 dev eth0"* ]]
  [ "${lines[-1]}" = "hello from $(dk inspect -f '{{.Config.Hostname}}' ma)" ]
  # connect and disconnect a running container
  dk run -d --name mb busybox sleep 100
  dk network connect mv1 mb
  run dk exec mb ip -4 -o addr show eth1
  [[ "$output" == *"inet $BT_NET.200."* ]]
  dk network disconnect mv1 mb
  run dk exec mb ip link show eth1
  [ "$status" -ne 0 ]
  # one network per parent, a parent that is not there, a mode that is not one
  run dk network create -d macvlan -o parent="$parent" mv2
  [ "$status" -ne 0 ]
  [[ "$output" == *"is already using parent interface $parent"* ]]
  run dk network create -d macvlan -o parent=btnosuch0 mv2
  [[ "$output" == *"parent interface was not found on the host: btnosuch0"* ]]
  run dk network create -d macvlan -o macvlan_mode=sideways mv2
  [[ "$output" == *"macvlan mode 'sideways' is not valid"* ]]
  # a parent of the user's (here a link of the test's own) stays when the network goes
  ip link add "btmv$BT_ID" type bridge
  dk network create -d macvlan -o parent="btmv$BT_ID" -o macvlan_mode=private mv3
  dk run -d --name mc --network mv3 busybox sleep 100
  run nsenter --net="$(dk inspect -f '{{.NetworkSettings.SandboxKey}}' mc)" ip -d link show eth0
  [[ "$output" == *"macvlan mode private"* ]]
  dk rm -f ma mb mc
  dk network rm mv1 mv3
  run ip link show "$parent"
  [ "$status" -ne 0 ]
  ip link show "btmv$BT_ID" >/dev/null
  ip link delete "btmv$BT_ID"
}

# A TCP listener in namespace $1 on port $2 that writes the peer's address to $3.
peer_listener() {
  (ip netns exec "$1" timeout -k 2 15 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
c, peer = s.accept(); print(peer[0]); sys.stdout.flush()' "$2" >"$3" 2>&1 </dev/null 3>&- &)
  sleep 0.5
}

@test "outbound is masqueraded, internal networks cannot get out, --mac-address, --domainname, connect --ip, DNS forwarding" {
  # an outside namespace behind a veth of the host's
  ip netns add "bt-out4-$BT_ID"
  ip link add "bto4$BT_ID" type veth peer name eth0 netns "bt-out4-$BT_ID"
  ip addr add "$BT_NET.251.1/30" dev "bto4$BT_ID"
  ip link set "bto4$BT_ID" up
  ip -n "bt-out4-$BT_ID" addr add "$BT_NET.251.2/30" dev eth0
  ip -n "bt-out4-$BT_ID" link set eth0 up
  dk network create mq
  peer_listener "bt-out4-$BT_ID" 8081 "$BT/peer4"
  dk run --rm --network mq busybox sh -c "echo hi | nc -w 3 $BT_NET.251.2 8081"
  for _ in $(seq 20); do [ -s "$BT/peer4" ] && break; sleep 0.1; done
  [ "$(cat "$BT/peer4")" = "$BT_NET.251.1" ]
  # an internal network: no way out, even with a route the container adds itself
  dk network create --internal mi
  peer_listener "bt-out4-$BT_ID" 8082 "$BT/peer4i"
  gw=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' mi)
  run dk run --rm --network mi --cap-add NET_ADMIN busybox sh -c \
    "ip route add default via $gw || echo no-route; ip route; echo hi | nc -w 2 $BT_NET.251.2 8082"
  [[ "$output" == *"default via $gw"* && "$output" != *no-route* ]]
  sleep 0.3
  [ ! -s "$BT/peer4i" ]
  pkill -f "int(sys.argv\[1\])" 2>/dev/null || true
  # --mac-address, --domainname
  run dk run --rm --network mq --mac-address 02:42:0a:ff:00:99 --domainname example.test busybox \
    sh -c 'cat /sys/class/net/eth0/address; cat /proc/sys/kernel/domainname'
  [ "${lines[0]}" = 02:42:0a:ff:00:99 ]
  [ "${lines[1]}" = example.test ]
  # connect with a static address
  dk run -d --name ci busybox sleep 100
  sub=$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' mq)
  dk network connect --ip "${sub%0/24}88" mq ci
  [ "$(dk inspect -f '{{.NetworkSettings.Networks.mq.IPAddress}}' ci)" = "${sub%0/24}88" ]
  run dk exec ci ip -4 -o addr show eth1
  [[ "$output" == *"inet ${sub%0/24}88/24"* ]]
  dk rm -f ci
  # names the embedded DNS does not know go to the container's --dns server (here one in the
  # outside namespace, answering every A query with 10.9.8.7)
  (ip netns exec "bt-out4-$BT_ID" timeout -k 2 15 /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    q, peer = s.recvfrom(512)
    end = 12
    while q[end]: end += q[end] + 1
    qtype = q[end + 1:end + 3]
    end += 5
    a = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 9, 8, 7])
    answers = 1 if qtype == b"\x00\x01" else 0
    s.sendto(q[:2] + b"\x81\x80\x00\x01" + bytes([0, answers]) + b"\x00\x00\x00\x00"
             + q[12:end] + (a if answers else b""), peer)' >/dev/null 2>&1 </dev/null 3>&- &)
  sleep 0.5
  run dk run --rm --network mq --dns "$BT_NET.251.2" --dns-search corp.test busybox sh -c \
    'cat /etc/resolv.conf; nslookup -type=A outside.test 127.0.0.11'
  [[ "$output" == *"nameserver 127.0.0.11"* && "$output" == *"search corp.test"* ]]
  [[ "$output" == *"Address: 10.9.8.7"* ]]
  ip netns delete "bt-out4-$BT_ID"
  dk network rm mq mi
}

@test "host, none and container: modes" {
  run dk run --rm --network none busybox ip -o link
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"lo:"* ]]
  run dk run --rm --network host busybox ip -o link show "$BT_BRIDGE"
  [[ "$output" == *"$BT_BRIDGE"* ]]
  dk run -d --name holder busybox sleep 100
  ip=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' holder)
  run dk run --rm --network container:holder busybox ip -4 -o addr show eth0
  [[ "$output" == *"inet $ip/24"* ]]
  dk stop -t 1 holder
  run dk run --rm --network container:holder busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot join network of a non running container"* ]]
  dk rm holder
}

@test "connect and disconnect at runtime" {
  dk network create cn1
  dk run -d --name cw --network cn1 busybox sh -c "$WEB"
  dk run -d --name cc busybox sleep 100
  dk network connect --alias extra cn1 cc
  run dk exec cc ip -4 -o addr show eth1
  [[ "$output" == *"inet $BT_NET."* ]]
  run dk exec cc sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 cw 80 | tail -n 1"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' cw)" ]
  run dk run --rm --network cn1 busybox nslookup extra 127.0.0.11
  [[ "$output" == *"Address: $BT_NET."* ]]
  dk network disconnect cn1 cc
  run dk exec cc ip -o link show eth1
  [ "$status" -ne 0 ]
  run dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' cc
  [ "$output" = "bridge " ]
  dk rm -f cw cc
  dk network rm cn1
}

@test "a daemon killed with SIGKILL: addresses, names and ports survive; nothing is left after" {
  dk network create kn
  port=$(free_port)
  dk run -d --name k1 --network kn -p "$port:80" busybox sh -c "$WEB"
  dk run -d --name k2 --network kn busybox sleep 1000
  ip1=$(dk inspect -f '{{.NetworkSettings.Networks.kn.IPAddress}}' k1)
  kill -9 "$(cat "$BT/berthd.pid")"
  sleep 0.3
  berthd_launch
  run dk inspect -f '{{.NetworkSettings.Networks.kn.IPAddress}}' k1
  [ "$output" = "$ip1" ]
  run curl -s -m 5 "http://127.0.0.1:$port/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' k1)" ]
  run curl -s -m 5 "http://[::1]:$port/"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' k1)" ]
  run dk exec k2 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 k1 80 | tail -n 1"
  [ "$output" = "hello from $(dk inspect -f '{{.Config.Hostname}}' k1)" ]
  # a new container does not get k1's address
  run dk run --rm --network kn busybox ip -4 -o addr show eth0
  [[ "$output" != *"inet $ip1/"* ]]
  kbr="br-$(dk network inspect -f '{{.Id}}' kn | cut -c1-12)"
  ip link show "$kbr" >/dev/null
  dk rm -f k1 k2
  dk network rm kn
  # nothing left: veths on our bridge (deleted just after the exit), sandboxes, DNAT rules
  for _ in $(seq 20); do
    [ -z "$(ip -o link show master "$BT_BRIDGE")" ] && break
    sleep 0.1
  done
  run ip -o link show master "$BT_BRIDGE"
  [ -z "$output" ]
  run grep -c " $BT/exec/netns/" /proc/self/mountinfo
  [ "$output" = 0 ]
  run nft list chain ip "berth_$BT_BRIDGE" ports
  [[ "$output" != *dnat* ]]
  run ip link show "$kbr"
  [ "$status" -ne 0 ]
}

@test "a daemon without live restore stops its containers when it stops: nothing is left" {
  kill -TERM "$(cat "$BT/berthd.pid")"
  for _ in $(seq 50); do [ -S "$BT/berth.sock" ] && curl -sf --unix-socket "$BT/berth.sock" http://x/_ping >/dev/null || break; sleep 0.1; done
  BT_DAEMON_ARGS=--no-live-restore berthd_launch
  dk network create nl
  port=$(free_port)
  dk run -d --name nl1 --network nl -p "$port:80" busybox sh -c "$WEB"
  dk run -d --name nl2 busybox sleep 1000
  pid1=$(dk inspect -f '{{.State.Pid}}' nl1)
  nlbr="br-$(dk network inspect -f '{{.Id}}' nl | cut -c1-12)"
  [ -n "$(ip -o link show master "$nlbr")" ]
  dpid=$(cat "$BT/berthd.pid")
  kill -TERM "$dpid"
  for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$dpid" 2>/dev/null
  # the containers stopped, and their veths, sandboxes and DNAT rules went with them
  ! kill -0 "$pid1" 2>/dev/null
  for _ in $(seq 20); do
    [ -z "$(ip -o link show master "$nlbr")$(ip -o link show master "$BT_BRIDGE")" ] && break
    sleep 0.1
  done
  [ -z "$(ip -o link show master "$nlbr")" ]
  [ -z "$(ip -o link show master "$BT_BRIDGE")" ]
  run grep -c " $BT/exec/netns/" /proc/self/mountinfo
  [ "$output" = 0 ]
  run nft list chain ip "berth_$BT_BRIDGE" ports
  [[ "$output" != *dnat* ]]
  berthd_launch
  [ "$(dk inspect -f '{{.State.Status}}' nl1)" = exited ]
  dk rm nl1 nl2
  dk network rm nl
}

@test "bridge options (name, mtu, masquerade off), --ip-range, network prune" {
  dk network create -o com.docker.network.bridge.name="btn$BT_ID" \
    -o com.docker.network.driver.mtu=1400 -o com.docker.network.bridge.enable_ip_masquerade=false \
    --subnet "$BT_NET.30.0/24" --ip-range "$BT_NET.30.128/25" nopt
  run ip -o link show "btn$BT_ID"
  [[ "$output" == *"mtu 1400"* ]]
  run dk run --rm --network nopt busybox sh -c 'ip -4 -o addr show eth0; cat /sys/class/net/eth0/mtu'
  [[ "${lines[0]}" == *"inet $BT_NET.30.128/24"* ]]
  [ "${lines[1]}" = 1400 ]
  dk network create --subnet "$BT_NET.31.0/24" nprune1
  run nft list chain ip "berth_$BT_BRIDGE" postrouting
  [[ "$output" == *"ip saddr $BT_NET.31.0/24 oifname"*masquerade* ]]
  [[ "$output" != *"ip saddr $BT_NET.30.0/24 oifname"* ]]
  run dk network prune -f
  [[ "$output" == *nprune1* && "$output" == *nopt* ]]
  run ip link show "btn$BT_ID"
  [ "$status" -ne 0 ]
  run dk network ls --format '{{.Name}}'
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "bridge host none " ]
}
