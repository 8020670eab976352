#!/usr/bin/env bats
# Who can reach berthd's API: the unix socket is root's and one group's (-G, else "berth", else
# "docker", as dockerd's default), and plain TCP beyond loopback is refused unless asked for
# with --tls=false (dockerd 27 does the same: whoever reaches that port has root).

bats_require_minimum_version 1.5.0

load lib/berthd

setup() {
  export BT T
  BT="$(mktemp -d /tmp/berth-d.XXXXXX)"
  T=$BT
  export DOCKER_HOST="unix://$BT/berth.sock"
  export BT_ID="${BT##*.}"
  berthd_claim_net
}

teardown() {
  berthd_cleanup
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# berthd with private dirs, bridge and subnet (lib/berthd.bash); ARGS follow.
# Runs in the background; the test waits for the socket or for the exit.
berthd_bg() {
  (setsid "$BERTH_BUILD/cmd/berthd" --config-file "${CONFIG:-/nonexistent}" --data-root "$T/data" \
    --exec-root "$T/exec" -p "$T/berthd.pid" --cgroup-parent "/berth-test-$BT_ID" \
    --bridge "$BT_BRIDGE" --bip "$BT_NET.0.1/24" -H "unix://$T/berth.sock" "$@" \
    >"$T/log" 2>&1 </dev/null 3>&- &)
}

wait_ping() {
  local n=100
  until curl -sf --unix-socket "$T/berth.sock" http://x/_ping >/dev/null 2>&1; do
    n=$((n - 1))
    [ "$n" -gt 0 ] || { cat "$T/log"; return 1; }
    sleep 0.05
  done
}

@test "API access: plain TCP on a non-loopback address is refused without --tls=false" {
  port=$(free_port)
  run timeout 10 "$BERTH_BUILD/cmd/berthd" --config-file /nonexistent --data-root "$T/data" \
    --exec-root "$T/exec" -p "$T/berthd.pid" --bridge "$BT_BRIDGE" -H "unix://$T/berth.sock" \
    -H "tcp://0.0.0.0:$port"
  [ "$status" -eq 1 ]
  [[ "$output" == *"refusing to listen on tcp://0.0.0.0:$port without TLS"*"--tls=false"* ]]
  [ ! -e "$T/berth.sock" ]
  # the same in daemon.json
  echo '{"hosts": ["tcp://0.0.0.0:'"$port"'"]}' >"$T/daemon.json"
  run timeout 10 "$BERTH_BUILD/cmd/berthd" --config-file "$T/daemon.json" --data-root "$T/data" \
    --exec-root "$T/exec" -p "$T/berthd.pid" --bridge "$BT_BRIDGE"
  [ "$status" -eq 1 ]
  [[ "$output" == *"refusing to listen on tcp://0.0.0.0:$port without TLS"* ]]
}

@test "API access: --tls=false confirms plain TCP; loopback needs no confirmation" {
  port=$(free_port)
  berthd_bg -H "tcp://0.0.0.0:$port" --tls=false
  wait_ping
  run curl -sf "http://127.0.0.1:$port/_ping"
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
  grep -q "without --tlsverify" "$T/log"
  kill "$(cat "$T/berthd.pid")"
  while [ -S "$T/berth.sock" ]; do sleep 0.05; done
  # daemon.json's "tls": false says the same
  echo '{"tls": false}' >"$T/daemon.json"
  CONFIG="$T/daemon.json" berthd_bg -H "tcp://0.0.0.0:$port"
  wait_ping
  kill "$(cat "$T/berthd.pid")"
  while [ -S "$T/berth.sock" ]; do sleep 0.05; done
  port=$(free_port)
  berthd_bg -H "tcp://127.0.0.1:$port"
  wait_ping
  run curl -sf "http://127.0.0.1:$port/_ping"
  [ "$output" = OK ]
}

@test "API access: the unix socket is root's and -G's group's, mode 0660" {
  # groups that Debian always has: by name and by number
  berthd_bg -G adm
  wait_ping
  [ "$(stat -c '%U %G %a' "$T/berth.sock")" = "root adm 660" ]
  kill "$(cat "$T/berthd.pid")"
  while [ -S "$T/berth.sock" ]; do sleep 0.05; done
  berthd_bg -G "$(getent group staff | cut -d: -f3)"
  wait_ping
  [ "$(stat -c '%G %a' "$T/berth.sock")" = "staff 660" ]
  # someone outside the group cannot connect
  run setpriv --reuid=nobody --regid=nogroup --clear-groups \
    curl -s --unix-socket "$T/berth.sock" http://x/_ping
  [ "$status" -ne 0 ]
  kill "$(cat "$T/berthd.pid")"
  while [ -S "$T/berth.sock" ]; do sleep 0.05; done
  run timeout 10 "$BERTH_BUILD/cmd/berthd" --config-file /nonexistent --data-root "$T/data" \
    --exec-root "$T/exec" -p "$T/berthd.pid" --bridge "$BT_BRIDGE" -H "unix://$T/berth.sock" \
    -G no-such-group-here
  [ "$status" -eq 1 ]
  [[ "$output" == *'group "no-such-group-here" (-G) not found'* ]]
}

@test "API access: without -G the socket's group is berth, else docker, else root" {
  want=root
  getent group docker >/dev/null && want=docker
  getent group berth >/dev/null && want=berth
  berthd_bg
  wait_ping
  [ "$(stat -c '%U %G %a' "$T/berth.sock")" = "root $want 660" ]
}
