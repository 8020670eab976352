#!/usr/bin/env bats
# Escape class: code loaded from the container (CVE-2019-14271, docker cp loading the
# container's libnss_*.so as root). berthd's archive work (cp both ways, export, commit, diff)
# never chroots into a container and never looks names up, so a planted NSS module must never
# run. The planted module's constructor leaves a marker wherever it runs: on the host, or in
# the container's root if it ran chrooted there; the test looks for both.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() {
  berthd_setup_file
  [ -z "${BD_MISSING:-}" ] || return 0
  export MARK="/tmp/berth-nss-pwned-$BT_ID"
  mkdir -p "$BT/evil/etc" "$BT/evil/lib/x86_64-linux-gnu" "$BT/evil/usr/lib/x86_64-linux-gnu"
  cat >"$BT/evil.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void pwn(void) {
  int fd = open("$MARK", O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) { write(fd, "pwned\n", 6); close(fd); }
}
int _nss_files_getpwuid_r(void) { pwn(); return 0; }
int _nss_files_getgrgid_r(void) { pwn(); return 0; }
EOF
  gcc -shared -fPIC -o "$BT/libnss_files.so.2" "$BT/evil.c"
  local d
  for d in lib lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
    cp "$BT/libnss_files.so.2" "$BT/evil/$d/"
    cp "$BT/libnss_files.so.2" "$BT/evil/$d/libnss_compat.so.2"
  done
  printf 'passwd: files compat\ngroup: files compat\n' >"$BT/evil/etc/nsswitch.conf"
}
setup() { berthd_setup; }
teardown() { berthd_teardown; }
teardown_file() {
  rm -f "${MARK:-/nonexistent}"
  berthd_cleanup
}

# Plants the module in container $1 (with files owned by users that have no name, so that a
# tar writer looking names up would call NSS).
plant() {
  (cd "$BT/evil" && tar -c --owner=4242 --group=4242 .) | dk cp - "$1:/"
}

no_marker() {
  [ ! -e "$MARK" ]
  run dk export "$1"
  [ "$status" -eq 0 ]
  dk export "$1" | tar -t | grep -q "berth-nss-pwned" && return 1
  return 0
}

@test "security (CVE-2019-14271): cp, export, commit and diff never load the container's NSS modules" {
  dk create --name nss-stopped busybox sleep 1000
  plant nss-stopped
  dk run -d --name nss-running busybox sleep 1000
  plant nss-running
  echo data >"$BT/in.txt"
  local c
  for c in nss-stopped nss-running; do
    dk cp "$c:/etc" "$BT/out-$c"
    [ -f "$BT/out-$c/nsswitch.conf" ]
    dk cp "$BT/in.txt" "$c:/tmp/in.txt"
    dk cp "$c:/tmp/in.txt" - | tar -xO | grep -q data
    dk diff "$c" >/dev/null
    dk commit "$c" "nss-$c:1" >/dev/null
    no_marker "$c"
  done
  # the committed image's containers start, and the marker is still nowhere
  run dk run --rm "nss-nss-running:1" cat /etc/nsswitch.conf
  [ "$status" -eq 0 ]
  [[ "$output" == *"passwd: files compat"* ]]
  [ ! -e "$MARK" ]
  dk rm -f nss-stopped nss-running >/dev/null
}

@test "security (CVE-2019-14271): the planted module is live (the check above could fail)" {
  # the same module, once loaded (as docker-tar did, chrooted), runs its constructor and
  # leaves the marker: so the marker check above is a real check
  [ ! -e "$MARK" ]
  env LD_PRELOAD="$BT/libnss_files.so.2" true
  [ -e "$MARK" ]
  rm -f "$MARK"
}
