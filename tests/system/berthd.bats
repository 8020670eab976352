#!/usr/bin/env bats
# The real docker CLI (28) against a private berthd: output, exit codes, errors, and a
# berthd killed with SIGKILL while containers run (live restore).

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() { berthd_setup_file; }

setup() { berthd_setup; }

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }


@test "run: stdout, stderr and exit code pass through" {
  run --separate-stderr dk run --rm --network none busybox sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
}

@test "run: a short-lived container's output is never lost (attach confirmed before start)" {
  # this raced: 5-15% of runs printed nothing before the shim confirmed attaches
  for i in $(seq 60); do
    out=$(dk run --rm --network none busybox echo "ok$i")
    [ "$out" = "ok$i" ] || { echo "run $i printed '$out'"; return 1; }
  done
  # a daemon without TLS never maps OpenSSL (it costs 1.6 MiB of RSS; tls/tls.h)
  ! grep -E 'libssl|libcrypto' "/proc/$(cat "$BT/berthd.pid")/maps"
}

@test "run -it: a tty at /dev/pts/0 and the exit code" {
  SHELL=/bin/bash run script -qec "timeout -k 2 30 docker run --rm -it --network none busybox sh -c 'tty; exit 4'" /dev/null </dev/null
  [ "$status" -eq 4 ]
  [[ "$output" == *"/dev/pts/0"* ]]
}

@test "run -i: stdin is piped through and closed" {
  run sh -c "printf 'a\nb\n' | timeout -k 2 30 docker run --rm -i --network none busybox sh -c 'cat; echo done'"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'a\nb\ndone')" ]
}

@test "berth: every command of its help answers its own --help (its group is registered)" {
  local names
  names=$("$BERTH_BUILD/cmd/berth" --help | awk '/^Subcommands:/ {f = 1; next} f && /^  [a-z]/ {print $1}')
  [ "$(echo "$names" | wc -l)" -gt 30 ]
  for c in $names; do
    run "$BERTH_BUILD/cmd/berth" "$c" --help
    # the command's own help, not the top level's (what an unregistered word gets)
    [ "$status" -eq 0 ] && [[ "${lines[0]}" != "berth: a container engine's client"* ]] ||
      { echo "berth $c --help: $output"; return 1; }
  done
  # run's and create's options sit in groups (run_options.cc); help lists them as one
  for c in run create; do
    run "$BERTH_BUILD/cmd/berth" "$c" --help
    [ "$(grep -c '^Options:' <<<"$output")" = 1 ]
    [[ "$output" != *"Option Group"* ]]
    [ "$(grep -cE '^  (-d,--detach|--rm|-a,--attach|--volumes-from) ' <<<"$output")" = 4 ]
    [ "$(grep -c '^  --help' <<<"$output")" = 1 ]
  done
}

@test "start -a, start -ai: output, stdin and the container's exit code; several with -a refused" {
  dk create --name sa --network none busybox sh -c 'echo out; echo err >&2; exit 3'
  run --separate-stderr dk start -a sa
  [ "$status" -eq 3 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
  # again: the same container, attached again
  run --separate-stderr dk start -a sa
  [ "$status" -eq 3 ]
  [ "$output" = out ]
  dk create -i --name sai --network none busybox sh -c 'cat; echo done'
  export -f dk
  run bash -c "printf 'a\nb\n' | dk start -ai sai"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'a\nb\ndone')" ]
  run dk start -a sa sai
  [ "$status" -eq 1 ]
  [[ "$output" == *"you cannot start and attach multiple containers at once"* ]]
  dk rm sa sai
}

@test "run -d, logs, ps, inspect, stop, rm" {
  run dk run -d --name lg busybox sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done'
  [ "$status" -eq 0 ]
  [ "${#output}" -eq 64 ]
  sleep 0.6
  run dk logs --tail 1 lg
  [[ "$output" == line* ]]
  run dk ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "lg Up "* ]]
  run dk inspect -f '{{.State.Status}} {{.State.Running}} {{.Name}}' lg
  [ "$output" = "running true /lg" ]
  run dk stop -t 1 lg
  [ "$output" = lg ]
  run dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' lg
  [ "$output" = "exited 137" ]
  run dk rm lg
  [ "$status" -eq 0 ]
  run dk ps -a --format '{{.Names}}'
  [[ "$output" != *lg* ]]
}

@test "errors: docker's messages and exit codes" {
  run dk run --rm --network none --name bad/name busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Invalid container name"* ]]
  dk create --name dup busybox true
  run dk create --name dup busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *'The container name "/dup" is already in use'* ]]
  run dk rm nosuchcontainer
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuchcontainer"* ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -XPOST \
    -H 'Content-Type: application/json' -d '{"Image": ' http://x/v1.45/containers/create
  [[ "$output" == '{"message":'*' 400' ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -XPOST \
    -H 'Content-Type: application/json' -d '{"Image":"busybox","Tty":"yes"}' http://x/v1.45/containers/create
  [ "$output" = '{"message":"json: cannot unmarshal string into Go struct field .Tty of type bool"} 400' ]
  # wrong types elsewhere: Go's decoding errors, as dockerd answers them
  post() { curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -XPOST -H 'Content-Type: application/json' -d "$2" "http://x/v1.45$1"; }
  run post /containers/create '{"Image":"busybox","Env":["A=1",2]}'
  [ "$output" = '{"message":"json: cannot unmarshal number into Go struct field .Env of type string"} 400' ]
  run post /networks/create '{"Name":"tn","Internal":"no"}'
  [ "$output" = '{"message":"json: cannot unmarshal string into Go struct field CreateRequest.Internal of type bool"} 400' ]
  run post /networks/create '[1]'
  [ "$output" = '{"message":"json: cannot unmarshal array into Go value of type network.CreateRequest"} 400' ]
  run post /volumes/create '{"Labels":{"a":true}}'
  [ "$output" = '{"message":"json: cannot unmarshal bool into Go struct field CreateOptions.Labels of type string"} 400' ]
  run post /containers/dup/exec '{"Cmd":["true"],"Tty":1}'
  [ "$output" = '{"message":"json: cannot unmarshal number into Go struct field ExecOptions.Tty of type bool"} 400' ]
  run dk network ls -q --filter name=tn
  [ -z "$output" ]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" http://x/v1.12/containers/json
  [[ "$output" == *"too old"*' 400' ]]
  run -127 dk run --rm --network none busybox nosuchcmd
  [ "$status" -eq 127 ]
  run dk kill -s NOSUCHSIG dup
  [ "$status" -ne 0 ]
  dk rm dup
  # the daemon still serves
  run dk version -f '{{.Server.APIVersion}}'
  [ "$output" = 1.45 ]
}

@test "images: list, save and load" {
  run dk images --format '{{.Repository}}:{{.Tag}}'
  [ "$output" = busybox:latest ]
  dk save -o "$BT/bb.tar" busybox
  run dk load -i "$BT/bb.tar"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image: busybox:latest"* ]]
}

@test "live restore: berthd killed with SIGKILL, containers keep running, logs have no gap" {
  dk run -d --name lr busybox sh -c 'i=0; while true; do echo $i; i=$((i+1)); sleep 0.05; done'
  sleep 0.5
  kill -9 "$(cat "$BT/berthd.pid")"
  sleep 0.5
  berthd_launch
  run dk inspect -f '{{.State.Running}}' lr
  [ "$output" = true ]
  sleep 0.3
  # consecutive numbers: nothing lost while the daemon was down
  run sh -c "timeout -k 2 30 docker logs lr | awk 'NR > 1 && \$1 != prev + 1 { bad = 1 } { prev = \$1 } END { exit bad }'"
  [ "$status" -eq 0 ]
  run dk stop -t 1 lr
  [ "$status" -eq 0 ]
  run dk inspect -f '{{.State.Running}}' lr
  [ "$output" = false ]
  dk rm lr
}

# Whether PID is gone (a zombie counts: detached shims are reaped by whoever adopted them).
gone() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
  [ -z "$state" ] || [ "$state" = Z ]
}

# The standby shim this berthd keeps after a start (daemon/shim_spawner.h): its pid, or
# nothing. It is detached, so it is known by the pipe it reads, whose other end berthd holds.
standby_shim() {
  local b p pipe
  b=$(cat "$BT/berthd.pid")
  for p in $(pgrep -f '^[^ ]*berth-shim --standby$'); do
    pipe=$(readlink "/proc/$p/fd/4" 2>/dev/null) || continue
    if ls -l "/proc/$b/fd" 2>/dev/null | grep -qF "$pipe"; then
      echo "$p"
      return
    fi
  done
}

@test "standby shim: each start takes the spare and another is made; one that died is not missed; it ends with berthd" {
  dk run --rm --network none busybox true
  local spare=""
  for _ in $(seq 50); do spare=$(standby_shim); [ -n "$spare" ] && break; sleep 0.1; done
  [ -n "$spare" ]
  # the next start hands its arguments to that process: it is gone, and a new spare waits
  run dk run --rm --network none busybox echo taken
  [ "$output" = taken ]
  # (as that container's shim it lives on through its cleanup, after the run returned)
  for _ in $(seq 50); do gone "$spare" && break; sleep 0.1; done
  gone "$spare"
  local next=""
  for _ in $(seq 50); do next=$(standby_shim); [ -n "$next" ] && break; sleep 0.1; done
  [ -n "$next" ] && [ "$next" != "$spare" ]
  # a shim that was a spare shows its container's arguments (ps, and tools, find it by them)
  local id
  id=$(dk run -d --network none busybox sleep 1000)
  pgrep -f -- "berth-shim --id $id --bundle" >/dev/null
  dk rm -f "$id"
  for _ in $(seq 50); do next=$(standby_shim); [ -n "$next" ] && break; sleep 0.1; done
  # a spare killed meanwhile: the start spawns a shim itself
  kill -9 "$next"
  sleep 0.2
  run dk run --rm --network none busybox echo spawned
  [ "$output" = spawned ]
  for _ in $(seq 50); do next=$(standby_shim); [ -n "$next" ] && break; sleep 0.1; done
  [ -n "$next" ]
  # berthd stopping: the spare reads EOF and exits
  kill -9 "$(cat "$BT/berthd.pid")"
  for _ in $(seq 50); do gone "$next" && break; sleep 0.1; done
  gone "$next"
  berthd_launch
}

@test "rm -f of a container that already exited" {
  dk run --name ex --network none busybox true
  run dk rm -f ex
  [ "$status" -eq 0 ]
  [ "$output" = ex ]
}

@test "a start that fails leaves no mount, and a bad mount is refused at create" {
  run dk run --name nouser --network none --user nosuchuser busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"unable to find user nosuchuser"* ]]
  id=$(dk inspect -f '{{.Id}}' nouser)
  run grep -c "$id" /proc/self/mountinfo
  [ "$output" = 0 ]
  dk rm nouser
  run dk create --mount type=bind,source=/nonexistent-src,target=/data busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *"bind source path does not exist: /nonexistent-src"* ]]
}

@test "ps filters (map form from the CLI, list form on the wire) and events since/until" {
  since=$(date +%s.%N)
  dk run --name fa -l tier=a --network none busybox true
  dk run --name fb -l tier=b --network none busybox sh -c 'exit 2' || true
  run dk ps -a --filter label=tier=a --format '{{.Names}}'
  [ "$output" = fa ]
  run dk ps -a --filter exited=2 --format '{{.Names}}'
  [ "$output" = fb ]
  run dk ps -a --filter name=f --filter status=exited --format '{{.Names}}'
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "fa fb " ]
  run curl -s --unix-socket "$BT/berth.sock" -G http://x/v1.45/containers/json \
    --data-urlencode all=True --data-urlencode 'filters={"label":["tier=b"]}'
  [ "$(echo "$output" | jq -r '.[].Names[0]')" = /fb ]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -G http://x/v1.45/containers/json \
    --data-urlencode 'filters={"nosuchkey":["x"]}'
  [[ "$output" == *"invalid filter 'nosuchkey'"*' 400' ]]
  until=$(($(date +%s) + 1))
  run dk events --since "$since" --until "$until" --filter event=die --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'
  [ "$output" = "$(printf 'fa 0\nfb 2')" ]
  dk rm fa fb
  # volume, network, health, publish, expose
  dk volume create fvol >/dev/null
  dk network create fnet >/dev/null
  dk run -d --name fc -v fvol:/data --network fnet -p 127.0.0.1::80 --expose 81     --health-cmd true --health-interval 1s busybox sleep 1000
  dk run -d --name fd --network none -v /anon busybox sleep 1000
  run dk ps --filter volume=fvol --format '{{.Names}}'
  [ "$output" = fc ]
  run dk ps --filter volume=/anon --format '{{.Names}}'
  [ "$output" = fd ]
  run dk ps --filter network=fnet --format '{{.Names}}'
  [ "$output" = fc ]
  netid=$(dk network inspect -f '{{.Id}}' fnet)
  run dk ps --filter "network=${netid:0:12}" --format '{{.Names}}'
  [ "$output" = fc ]
  hostport=$(dk port fc 80/tcp | head -n1 | sed 's/.*://')
  run dk ps --filter "publish=$hostport" --format '{{.Names}}'
  [ "$output" = fc ]
  run dk ps --filter expose=80 --filter expose=81/tcp --format '{{.Names}}'
  [ "$output" = fc ]
  run dk ps --filter health=none --format '{{.Names}}'
  [ "$output" = fd ]
  for _ in $(seq 50); do
    [ "$(dk inspect -f '{{.State.Health.Status}}' fc)" = healthy ] && break
    sleep 0.2
  done
  run dk ps --filter health=healthy --format '{{.Names}}'
  [ "$output" = fc ]
  run dk ps --filter health=sick
  [ "$status" -ne 0 ]
  [[ "$output" == *"Unrecognised filter value for health: sick"* ]]
  dk rm -f -v fc fd >/dev/null
  dk network rm fnet >/dev/null
  dk volume rm fvol >/dev/null
}

@test "daemon.json: a key of the wrong type stops berthd before it makes anything, naming the key" {
  for cfg in '{"mtu":"big"}' '{"runtimes":{"x":{"path":5}}}' '{"default-address-pools":[{"base":"10.99.0.0/16","size":"24"}]}'; do
    echo "$cfg" >"$BT/daemon.json"
    run timeout 10 "$BERTH_BUILD/cmd/berthd" --config-file "$BT/daemon.json" --data-root "$BT/dj" \
      --exec-root "$BT/dj-exec" -H "unix://$BT/dj.sock" --bridge "$BT_BRIDGE-x"
    [ "$status" -eq 1 ]
    [[ "$output" == "unable to configure the daemon with file $BT/daemon.json: "*" has the wrong type" ]]
    [ ! -e "$BT/dj" ] && [ ! -e "$BT/dj.sock" ]
  done
  [[ "$output" == *'"default-address-pools.size"'* ]]
}
