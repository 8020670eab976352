#!/usr/bin/env bats
# Crash safety of `load`: berth-image is killed (-9) at random points of a multi-layer load;
# the next start must recover to a consistent store (berth-image check) and a final load must
# give the complete image.

bats_require_minimum_version 1.5.0

BI="${BERTH_BUILD:?}/cmd/berth-image"

setup_file() {
  CTMP="$(mktemp -d /tmp/berth-crash.XXXXXX)"
  export CTMP
  # ~12 MB in 600 files of random sizes, split into 5 layers.
  python3 - "$CTMP/tree" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(7)
for d in range(30):
    os.makedirs(f"{root}/d{d}", exist_ok=True)
    for f in range(20):
        with open(f"{root}/d{d}/f{f}", "wb") as out:
            out.write(os.urandom(random.randint(0, 40000)))
PY
  python3 "${BERTH_SRC:?}/bench/make-archive.py" "$CTMP/tree" 5 crash/test:1 "$CTMP/img.tar"
}

teardown_file() {
  [ -n "${CTMP:-}" ] || return 0
  awk -v d="$CTMP" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$CTMP"
}

# Loads in the background, kills it after 0-300 ms, lets the next start recover, checks.
crash_loop() {
  local root=$1 iterations=$2
  shift 2
  local i pid
  for i in $(seq 1 "$iterations"); do
    "$BI" --data-root "$root" "$@" load -i "$CTMP/img.tar" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 300)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run "$BI" --data-root "$root" "$@" images
    echo "iteration $i: images: $output"
    [ "$status" -eq 0 ]
    run "$BI" --data-root "$root" "$@" check
    echo "iteration $i: check: $output"
    [ "$status" -eq 0 ]
    # Every other round starts from an empty store; the others find the layers present.
    if ((i % 2 == 0)); then
      "$BI" --data-root "$root" "$@" rmi crash/test:1 >/dev/null 2>&1 || true
    fi
  done
  run "$BI" --data-root "$root" "$@" load -i "$CTMP/img.tar"
  echo "final load: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image: crash/test:1"* ]]
  run "$BI" --data-root "$root" "$@" inspect crash/test:1
  [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" -eq 5 ]
  run "$BI" --data-root "$root" "$@" check
  echo "final check: $output"
  [ "$status" -eq 0 ]
  # Removing the image takes every layer with it (check: no driver dir without a row).
  "$BI" --data-root "$root" "$@" rmi crash/test:1 >/dev/null
  run "$BI" --data-root "$root" "$@" check
  [ "$status" -eq 0 ]
  [ "$(sqlite3 "$root"/image/*/metadata.db 'SELECT count(*) FROM layers')" -eq 0 ]
}

@test "kill -9 during load: recovery leaves a consistent store (default driver)" {
  crash_loop "$CTMP/default" 8
}

@test "kill -9 during load: recovery leaves a consistent store (vfs)" {
  crash_loop "$CTMP/vfs" 4 -s vfs
}

@test "kill -9 during import and after loads: acknowledged images survive, nothing leaks" {
  local root="$CTMP/import" i pid
  # Acknowledged before any crash: must be intact after all of them.
  "$BI" --data-root "$root" load -i "$CTMP/img.tar" >/dev/null
  tar -C "$CTMP/tree" -cf "$CTMP/tree.tar" .
  for i in $(seq 1 6); do
    "$BI" --data-root "$root" import "$CTMP/tree.tar" "imp:$i" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 250)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run "$BI" --data-root "$root" check
    echo "iteration $i: check: $output"
    [ "$status" -eq 0 ]
  done
  run "$BI" --data-root "$root" inspect crash/test:1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" -eq 5 ]
  # Whatever the imports left: once the images are gone, no layer remains.
  for i in $(seq 1 6); do "$BI" --data-root "$root" rmi "imp:$i" >/dev/null 2>&1 || true; done
  "$BI" --data-root "$root" rmi crash/test:1 >/dev/null
  run "$BI" --data-root "$root" images -q
  [ -z "$output" ] || "$BI" --data-root "$root" rmi -f $output >/dev/null
  run "$BI" --data-root "$root" check
  [ "$status" -eq 0 ]
  [ "$(sqlite3 "$root"/image/*/metadata.db 'SELECT count(*) FROM layers')" -eq 0 ]
}
