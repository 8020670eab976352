#!/usr/bin/env bats
# berth, our own client, against a private berthd: the everyday commands with Docker's
# output shapes and exit codes.

bats_require_minimum_version 1.5.0

load lib/berthd
load lib/dockerd

setup_file() {
  berthd_start
  export B="$BERTH_BUILD/cmd/berth"
}

teardown_file() { berthd_cleanup; }

teardown() {
  berthd_teardown
  # the dockerd of the last test, also when it failed
  [ -z "${DTMP:-}" ] || dk_cleanup >/dev/null 2>&1 || true
}

b() { timeout -k 2 30 "$B" "$@"; }

@test "berth run: output, stderr, exit codes, stdin, -d, --rm" {
  run --separate-stderr b run --rm --network none busybox sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
  run bash -c "printf 'a\nb\n' | timeout -k 2 30 $B run --rm -i --network none busybox wc -l"
  [ "$output" = 2 ]
  run b run --rm --network none nosuchimage
  [ "$status" -eq 125 ]
  [[ "$output" == *"No such image: nosuchimage"* ]]
  run -127 b run --rm --network none busybox nosuchcmd
  [ "$status" -eq 127 ]
  id=$(b run -d --name bd --network none busybox sleep 1000)
  [ ${#id} -eq 64 ]
  run b ps
  [[ "${lines[0]}" == "CONTAINER ID"*IMAGE*COMMAND*CREATED*STATUS*PORTS*NAMES ]]
  [[ "${lines[1]}" == "${id:0:12}   busybox"*"Up "*bd ]]
  run b rm bd
  [ "$status" -ne 0 ]
  [[ "$output" == *"container is running"* ]]
  b rm -f bd
  run b ps -aq
  [ -z "$output" ]
}

@test "berth run -it: a tty with the terminal's size" {
  SHELL=/bin/bash run script -qec "stty rows 21 cols 71; timeout -k 2 30 $B run --rm -it --network none busybox sh -c 'tty; stty size; exit 4'" /dev/null </dev/null
  [ "$status" -eq 4 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"21 71"* ]]
}

@test "berth exec, logs, port, stop, start, wait, inspect" {
  port=$(shuf -i 20000-29999 -n 1)
  b run -d --name web -p "$port:80" -e GREETING=hi busybox sh -c 'echo started; mkdir -p /www; echo page > /www/index.html; httpd -f -p 80 -h /www'
  run b exec web sh -c 'echo $GREETING; exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = hi ]
  run b logs web
  [ "$output" = started ]
  run b port web
  [ "$output" = "80/tcp -> 0.0.0.0:$port
80/tcp -> [::]:$port" ]
  sleep 0.3
  run curl -s -m 5 "http://127.0.0.1:$port/"
  [ "$output" = page ]
  b stop -t 1 web
  run b wait web
  [ "$output" = 137 ]
  b start web
  run b inspect web
  [ "$(echo "$output" | jq -r '.[0].State.Status')" = running ]
  run b inspect --type image busybox
  [ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = busybox:latest ]
  b rm -f web
}

@test "berth images, import, tag, rmi, volume and network commands" {
  tar -C "$BT/rootfs" -c . | b import - mybox:1
  b tag mybox:1 mybox:2
  run b images
  [[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE ]]
  [[ "$output" == *"mybox        1"* && "$output" == *"mybox        2"* ]]
  run b rmi mybox:1 mybox:2
  [[ "$output" == *"Untagged: mybox:1"* && "$output" == *"Deleted: sha256:"* ]]
  run b volume create bv
  [ "$output" = bv ]
  run b volume ls
  [[ "$output" == *"local     bv"* ]]
  b run --rm --network none -v bv:/data busybox sh -c 'echo kept > /data/f'
  run b run --rm --network none -v bv:/data busybox cat /data/f
  [ "$output" = kept ]
  b volume rm bv
  b network create --subnet "$BT_NET.40.0/24" bn
  run b network ls
  [[ "$output" == *" bn "* ]]
  b run -d --name n1 --network bn busybox sleep 1000
  run b run --rm --network bn busybox ping -c 1 -W 2 n1
  [ "$status" -eq 0 ]
  b rm -f n1
  b network rm bn
  run b version
  [[ "$output" == *"API version:      1.45"* ]]
}

@test "berth -H and DOCKER_HOST choose the daemon; a daemon that is not there" {
  run env -u DOCKER_HOST "$B" -H "unix://$BT/berth.sock" ps -q
  [ "$status" -eq 0 ]
  run env DOCKER_HOST="unix://$BT/nosuch.sock" "$B" ps
  [ "$status" -ne 0 ]
  [[ "$output" == *"Cannot connect to the Docker daemon at unix://$BT/nosuch.sock"* ]]
}

@test "berth against dockerd 20.10: the API version is negotiated down, streams are framed" {
  command -v dockerd >/dev/null && command -v containerd >/dev/null || skip "dockerd is not installed"
  dockerd_start
  tar -C "$BT/rootfs" -c . | "$B" -H "$DOCKER_HOST" import - busybox:latest
  run "$B" -H "$DOCKER_HOST" run --rm --network none busybox echo hi
  [ "$output" = hi ]
  "$B" -H "$DOCKER_HOST" run -d --name dd --network none busybox sleep 100
  run "$B" -H "$DOCKER_HOST" exec dd sh -c 'echo ex; exit 3'
  echo "exec: status $status, output '$output'"
  [ "$status" -eq 3 ]
  [ "$output" = ex ]
  "$B" -H "$DOCKER_HOST" rm -f dd
}
