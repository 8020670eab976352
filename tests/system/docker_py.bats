#!/usr/bin/env bats
# docker-py (Debian's python3-docker, run by /usr/bin/python3) against a private berthd: the
# scripts in docker_py/ use the SDK as its users do and print each check; the first mismatch
# ends a script with a FAIL line (an API error names the request, status and berthd's message).

bats_require_minimum_version 1.5.0

load lib/berthd

PY=/usr/bin/python3

setup_file() {
  # `skip` is not allowed here: setup() skips each test instead
  "$PY" -c 'import docker' 2>/dev/null || { export PY_MISSING=1; return 0; }
  berthd_start
}

setup() {
  [ -z "${PY_MISSING:-}" ] || skip "python3-docker is not installed"
}

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }

smoke() {
  run timeout -k 2 90 "$PY" "$BATS_TEST_DIRNAME/docker_py/$1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = OK ]
}

@test "docker-py: containers (run, logs, exec, wait, stop, kill, list, errors) and images" {
  smoke smoke.py
}

@test "docker-py: volumes (create, list, get, mount, remove, prune)" {
  smoke smoke_volumes.py
}
