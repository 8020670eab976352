#!/usr/bin/env bats
# Volumes through the docker CLI against a private berthd: the local driver, named and
# anonymous volumes, copy-up, the driver's tmpfs and bind options, VolumesFrom, prune.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() { berthd_setup_file; }

setup() { berthd_setup; }

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }

api() { curl -s --unix-socket "$BT/berth.sock" "$@"; }

@test "volume create, ls with filters, inspect, rm, and their errors" {
  run dk volume create --label tier=db v1
  [ "$output" = v1 ]
  dk volume create v2
  run dk volume ls --format '{{.Driver}} {{.Name}}'
  [ "$output" = "$(printf 'local v1\nlocal v2')" ]
  run dk volume ls -q --filter label=tier=db
  [ "$output" = v1 ]
  run dk volume ls -q --filter name=2
  [ "$output" = v2 ]
  run dk volume inspect -f '{{.Name}} {{.Driver}} {{.Labels.tier}} {{.Scope}}' v1
  [ "$output" = "v1 local db local" ]
  mp=$(dk volume inspect -f '{{.Mountpoint}}' v1)
  [ "$mp" = "$BT/data/volumes/v1/_data" ]
  # creating an existing name gives the existing volume
  run dk volume create v1
  [ "$status" -eq 0 ]
  run dk volume create 'bad name'
  [ "$status" -ne 0 ]
  [[ "$output" == *'includes invalid characters for a local volume name'* ]]
  run api -w ' %{http_code}' -XPOST -H 'Content-Type: application/json' \
    -d '{"Name":"v3","DriverOpts":{"foo":"bar"}}' http://x/v1.45/volumes/create
  [[ "$output" == *'invalid option: \"foo\"'*' 400' ]]
  run api -w ' %{http_code}' -XPOST -H 'Content-Type: application/json' \
    -d '{"Name":"v3","Labels":["x"]}' http://x/v1.45/volumes/create
  [[ "$output" == *'cannot unmarshal'*' 400' ]]
  run dk volume inspect nosuch
  [ "$status" -ne 0 ]
  [[ "$output" == *'no such volume'* ]]
  run api -w ' %{http_code}' http://x/v1.45/volumes/nosuch
  [[ "$output" == *' 404' ]]
  dk volume rm v2
  run dk volume ls -q
  [ "$output" = v1 ]
}

@test "data outlives containers; ro; in use cannot be removed; dangling filter" {
  dk run --rm --network none -v v1:/data busybox sh -c 'echo kept > /data/f'
  run dk run --rm --network none -v v1:/data:ro busybox sh -c 'cat /data/f; echo x > /data/g'
  [ "$status" -ne 0 ]
  [[ "$output" == *kept* ]]
  [[ "$output" == *'Read-only file system'* ]]
  dk create --name holder --network none -v v1:/data busybox true
  run dk volume rm v1
  [ "$status" -ne 0 ]
  [[ "$output" == *'volume is in use'* ]]
  run dk volume ls -q --filter dangling=false
  [ "$output" = v1 ]
  run dk inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}' holder
  [ "$output" = "volume v1 /data true" ]
  dk rm holder
  run dk volume ls -q --filter dangling=true
  [ "$output" = v1 ]
  dk volume rm v1
}

@test "copy-up: an empty volume takes the image's content once; nocopy does not" {
  run dk run --rm --network none -v cu:/etc busybox cat /etc/passwd
  [[ "$output" == *root:* ]]
  [ -f "$BT/data/volumes/cu/_data/passwd" ]
  # not again: a changed volume stays as it is
  dk run --rm --network none -v cu:/etc busybox rm /etc/passwd
  run dk run --rm --network none -v cu:/etc busybox ls /etc
  [[ "$output" != *passwd* ]]
  run dk run --rm --network none --mount type=volume,source=nc,target=/etc,volume-nocopy busybox ls /etc
  [ -z "$output" ]
  dk volume rm cu nc
}

@test "anonymous volumes: made for -v /path, gone with rm -v and --rm, pruned by default" {
  dk run --name an --network none -v /data busybox sh -c 'echo a > /data/f'
  name=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' an)
  [ ${#name} -eq 64 ]
  run dk volume inspect -f '{{index .Labels "com.docker.volume.anonymous"}}|' "$name"
  [ "$output" = "|" ]
  dk rm -v an
  run dk volume inspect "$name"
  [ "$status" -ne 0 ]
  dk run --rm --network none -v /data busybox true
  run dk volume ls -q
  [ -z "$output" ]
  # prune: anonymous ones only, unless --all
  dk volume create named
  dk create --name an2 --network none -v /data busybox true
  dk rm an2
  run dk volume ls -q
  [ "$(echo "$output" | wc -l)" -eq 2 ]
  run dk volume prune -f
  [ "$(echo "$output" | grep -c '^[0-9a-f]\{64\}$')" -eq 1 ]
  run dk volume ls -q
  [ "$output" = named ]
  dk volume prune -af
  run dk volume ls -q
  [ -z "$output" ]
}

@test "the local driver's options: tmpfs while in use, a bind of a host directory" {
  dk volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=1m,uid=1000 tv
  run dk run --rm --network none -v tv:/t busybox sh -c 'grep " /t " /proc/mounts; stat -c %u /t'
  [[ "${lines[0]}" == "tmpfs /t tmpfs "*size=1024k* ]]
  [ "${lines[1]}" = 1000 ]
  # unmounted once no container uses it
  run grep -c "$BT/data/volumes/tv/_data" /proc/self/mountinfo
  [ "$output" = 0 ]
  mkdir -p "$BT/hostdir"
  echo from-host > "$BT/hostdir/f"
  dk volume create --opt type=none --opt o=bind --opt device="$BT/hostdir" bv
  run dk run --rm --network none -v bv:/b busybox cat /b/f
  [ "$output" = from-host ]
  run grep -c "$BT/data/volumes/bv/_data" /proc/self/mountinfo
  [ "$output" = 0 ]
  dk volume rm tv bv
}

@test "--volumes-from and --mount type=volume" {
  dk run --name src --network none -v shared:/s busybox sh -c 'echo shared > /s/f'
  run dk run --rm --network none --volumes-from src:ro busybox sh -c 'cat /s/f; touch /s/g'
  [[ "${lines[0]}" = shared ]]
  [[ "$output" == *'Read-only file system'* ]]
  run dk run --rm --network none --mount type=volume,source=mv,target=/m,volume-label=k=v busybox sh -c 'echo ok > /m/f && cat /m/f'
  [ "$output" = ok ]
  run dk volume inspect -f '{{.Labels.k}}' mv
  [ "$output" = v ]
  run dk run --rm --network none --tmpfs /t:size=1m --mount type=tmpfs,target=/u,tmpfs-size=2m \
    busybox grep -E ' /(t|u) ' /proc/mounts
  [[ "${lines[0]}" == "tmpfs /t tmpfs "*size=1024k* ]]
  [[ "${lines[1]}" == "tmpfs /u tmpfs "*size=2048k* ]]
  run dk run --rm --network none -v d1:/a -v d2:/a busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *'Duplicate mount point'* ]]
  dk rm src
  dk volume rm shared mv
}
