#!/usr/bin/env bats
# The docker CLI against a private berthd: exec (plain, tty, detached, errors) and the
# lifecycle operations beyond run/stop/rm: restart policies, pause, rename, restart, kill -s,
# logs -f.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() { berthd_setup_file; }

setup() { berthd_setup; }

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }

api() { curl -s --unix-socket "$BT/berth.sock" "$@"; }

@test "exec: output, exit code, env, workdir, user, stdin" {
  dk run -d --name ex --network none busybox sleep 1000
  run --separate-stderr dk exec ex sh -c 'echo out; echo err >&2; exit 5'
  [ "$status" -eq 5 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
  run dk exec -e FOO=bar -w /tmp -u 1000:1000 ex sh -c 'echo $FOO $(pwd) $(id -u):$(id -g)'
  [ "$output" = "bar /tmp 1000:1000" ]
  run dk exec ex sh -c 'echo $PATH'
  [ "$output" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
  run bash -c 'printf "a\nb\n" | timeout -k 2 30 docker exec -i ex wc -l'
  [ "$output" = 2 ]
}

@test "exec -it: a tty with the client's size" {
  SHELL=/bin/bash run script -qec "stty rows 33 cols 77; timeout -k 2 30 docker exec -it ex sh -c 'tty; stty size; exit 3'" /dev/null </dev/null
  [ "$status" -eq 3 ]
  [[ "$output" == *"/dev/pts/"* ]]
  [[ "$output" == *"33 77"* ]]
}

@test "exec -d, exec inspect, and exec errors" {
  dk exec -d ex sh -c 'echo detached > /tmp/d; exit 7'
  sleep 0.5
  run dk exec ex cat /tmp/d
  [ "$output" = detached ]
  # detached through the API: the exit code is recorded
  id=$(api -XPOST -H 'Content-Type: application/json' -d '{"Cmd":["sh","-c","exit 9"]}' \
    http://x/v1.45/containers/ex/exec | jq -r .Id)
  run api -o /dev/null -w '%{http_code}' -XPOST -H 'Content-Type: application/json' \
    -d '{"Detach":true}' "http://x/v1.45/exec/$id/start"
  [ "$output" = 200 ]
  for _ in $(seq 50); do
    [ "$(api "http://x/v1.45/exec/$id/json" | jq -r .Running)" = false ] && break
    sleep 0.1
  done
  run api "http://x/v1.45/exec/$id/json"
  [ "$(echo "$output" | jq -r .ExitCode)" = 9 ]
  [ "$(echo "$output" | jq -r .ProcessConfig.entrypoint)" = sh ]
  run api -w ' %{http_code}' -XPOST -H 'Content-Type: application/json' -d '{"Detach":true}' \
    "http://x/v1.45/exec/$id/start"
  [[ "$output" == *"has already run"*' 409' ]]
  run api -w ' %{http_code}' http://x/v1.45/exec/nosuch/json
  [[ "$output" == *"No such exec instance: nosuch"*' 404' ]]
  run api -w ' %{http_code}' -XPOST -H 'Content-Type: application/json' -d '{"Cmd":[]}' \
    http://x/v1.45/containers/ex/exec
  [[ "$output" == *"No exec command specified"*' 400' ]]
  run api -w ' %{http_code}' -XPOST -H 'Content-Type: application/json' -d '{"Cmd":"true"}' \
    http://x/v1.45/containers/ex/exec
  [[ "$output" == *"cannot unmarshal"*' 400' ]]
  run dk exec ex nosuchcommand
  [ "$status" -eq 126 ]
  [[ "$output" == *'executable file not found'* ]]
  run dk exec nosuchcontainer true
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuchcontainer"* ]]
}

@test "pause/unpause, rename, restart, kill -s" {
  dk pause ex
  run dk inspect -f '{{.State.Status}} {{.State.Paused}}' ex
  [ "$output" = "paused true" ]
  run dk exec ex true
  [ "$status" -ne 0 ]
  [[ "$output" == *"is paused, unpause the container before exec"* ]]
  dk unpause ex
  run dk inspect -f '{{.State.Status}}' ex
  [ "$output" = running ]
  dk rename ex ex2
  run dk inspect -f '{{.Name}}' ex2
  [ "$output" = /ex2 ]
  run dk inspect ex
  [ "$status" -ne 0 ]
  pid1=$(dk inspect -f '{{.State.Pid}}' ex2)
  dk restart -t 1 ex2
  pid2=$(dk inspect -f '{{.State.Pid}}' ex2)
  [ "$pid1" != "$pid2" ]
  run dk inspect -f '{{.State.Running}}' ex2
  [ "$output" = true ]
  # a shell that traps TERM exits with the code it chooses: nothing above the container
  # leaves a signal blocked or ignored
  run dk run --rm --network none busybox grep -E '^Sig(Blk|Ign)' /proc/self/status
  [ "$output" = "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')" ]
  dk run -d --name trap --network none busybox sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
  sleep 0.3
  dk kill -s TERM trap
  run dk wait trap
  [ "$output" = 42 ]
  run dk kill -s NOSUCHSIG ex2
  [ "$status" -ne 0 ]
  dk rm -f ex2 trap
}

@test "restart policies: on-failure:N gives up, always restarts, --rm removes after exit" {
  dk run -d --name onf --restart on-failure:2 --network none busybox sh -c 'exit 3'
  for _ in $(seq 100); do
    [ "$(dk inspect -f '{{.RestartCount}} {{.State.Status}}' onf)" = "2 exited" ] && break
    sleep 0.1
  done
  run dk inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' onf
  [ "$output" = "2 exited 3" ]
  dk run -d --name alw --restart always --network none busybox sh -c 'sleep 0.2; exit 0'
  for _ in $(seq 100); do
    [ "$(dk inspect -f '{{.RestartCount}}' alw)" -ge 2 ] && break
    sleep 0.1
  done
  run dk inspect -f '{{.RestartCount}}' alw
  [ "$output" -ge 2 ]
  # a manual stop ends `always`
  dk stop -t 1 alw
  sleep 0.5
  run dk inspect -f '{{.State.Status}}' alw
  [ "$output" = exited ]
  dk run -d --rm --name gone --network none busybox true
  for _ in $(seq 50); do
    dk inspect gone >/dev/null 2>&1 || break
    sleep 0.1
  done
  run dk inspect gone
  [ "$status" -ne 0 ]
  dk rm onf alw
}

@test "logs -f follows until the container exits; --since, --timestamps" {
  dk run -d --name lf --network none busybox sh -c 'echo one; sleep 1; echo two'
  run dk logs -f lf
  [ "$output" = "$(printf 'one\ntwo')" ]
  run dk logs -t lf
  [[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ one$ ]]
  run dk logs --since 2099-01-01T00:00:00Z lf
  [ -z "$output" ]
  dk rm lf
}
