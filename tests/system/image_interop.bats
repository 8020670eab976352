#!/usr/bin/env bats
# The image store against the real tools: archives from `docker save` load into Berth, Berth's
# saves load back into dockerd with the same image IDs, skopeo converts Berth's OCI layout to
# and from docker-archive, and umoci unpacks it.

bats_require_minimum_version 1.5.0
load lib/dockerd

BI="${BERTH_BUILD:?}/cmd/berth-image"

setup_file() {
  dockerd_start || return 1
  [ -z "${DK_MISSING:-}" ] || return 0
  bash "${BERTH_SRC:?}/scripts/mkrootfs.sh" "$DTMP/rootfs"
  tar -C "$DTMP/rootfs" -c . | docker import -c 'CMD ["sh"]' - berth-busybox:1 >/dev/null
  # A second layer, made by dockerd itself (runc), with a file, a deletion and a new dir.
  docker run --network none --name mk berth-busybox:1 sh -c \
    'echo layer2 > /hello; rm /bin/vi; mkdir -p /data/sub; echo x > /data/sub/y' >/dev/null
  docker commit -c 'ENV FOO=bar' mk berth-busybox:2 >/dev/null
  docker rm mk >/dev/null
  docker save -o "$DTMP/docker-save.tar" berth-busybox:1 berth-busybox:2
}

teardown_file() {
  [ -z "${DK_MISSING:-}" ] || return 0
  dk_cleanup
}

setup() {
  [ -z "${DK_MISSING:-}" ] || skip "dockerd/containerd (docker.io) is not installed"
  ROOT="$(mktemp -d /tmp/berth-img.XXXXXX)"
}

teardown() {
  [ -n "${ROOT:-}" ] || return 0
  # A driver may leave overlay mounts only if a test failed mid-way: detach before removal.
  awk -v d="$ROOT" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$ROOT"
}

bi() { "$BI" --data-root "$ROOT/data" "$@"; }

@test "docker save loads into berth with the same image IDs and content" {
  run bi load -i "$DTMP/docker-save.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image: berth-busybox:1"* ]]
  [[ "$output" == *"Loaded image: berth-busybox:2"* ]]
  for t in 1 2; do
    want=$(docker inspect -f '{{.Id}}' berth-busybox:$t)
    got=$(bi inspect berth-busybox:$t | jq -r '.[0].Id')
    [ "$got" = "$want" ]
  done
  [ "$(bi inspect berth-busybox:2 | jq -r '.[0].RootFS.Layers | length')" -eq 2 ]
  [ "$(bi inspect berth-busybox:2 | jq -r '.[0].Config.Env[]' | grep -c FOO=bar)" -eq 1 ]
  run bi images
  [[ "$output" == *"berth-busybox"*"1"* ]]
}

@test "berth's save loads back into dockerd with the same IDs, and runs" {
  bi load -i "$DTMP/docker-save.tar"
  bi save -o "$ROOT/berth-save.tar" berth-busybox:1 berth-busybox:2
  tar -tf "$ROOT/berth-save.tar" | grep -qx manifest.json
  tar -tf "$ROOT/berth-save.tar" | grep -qx index.json
  tar -tf "$ROOT/berth-save.tar" | grep -qx oci-layout
  id1=$(docker inspect -f '{{.Id}}' berth-busybox:1)
  id2=$(docker inspect -f '{{.Id}}' berth-busybox:2)
  docker rmi berth-busybox:1 berth-busybox:2 >/dev/null
  run docker load -i "$ROOT/berth-save.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(docker inspect -f '{{.Id}}' berth-busybox:1)" = "$id1" ]
  [ "$(docker inspect -f '{{.Id}}' berth-busybox:2)" = "$id2" ]
  # stdout and stderr travel in separate streams: their relative order is not fixed
  run --separate-stderr docker run --rm --network none berth-busybox:2 sh -c 'cat /hello /data/sub/y; ls /bin/vi'
  [ "$(echo "$output" | head -2 | tr '\n' ' ')" = "layer2 x " ]
  [[ "$stderr" == *"No such file"* ]]
}

@test "skopeo copies berth's OCI layout to docker-archive and back; berth loads both" {
  command -v skopeo >/dev/null || skip "skopeo is not installed"
  bi load -i "$DTMP/docker-save.tar"
  bi save -o "$ROOT/berth.tar" berth-busybox:2
  mkdir "$ROOT/oci" && tar -C "$ROOT/oci" -xf "$ROOT/berth.tar"
  skopeo copy -q "oci:$ROOT/oci:2" "docker-archive:$ROOT/skopeo-docker.tar:berth-busybox:from-skopeo"
  skopeo copy -q "docker-archive:$ROOT/skopeo-docker.tar" "oci:$ROOT/oci2:again"
  tar -C "$ROOT/oci2" -cf "$ROOT/skopeo-oci.tar" .
  want=$(docker inspect -f '{{.Id}}' berth-busybox:2)
  run bi load -i "$ROOT/skopeo-docker.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(bi inspect berth-busybox:from-skopeo | jq -r '.[0].Id')" = "$want" ]
  # Converting Docker's schema 2 to OCI, skopeo rewrites the config in OCI form (dropping
  # Docker-only fields), so that image's ID is the digest of the new config.
  m=$(jq -r '.manifests[0].digest' "$ROOT/oci2/index.json")
  want_oci=$(jq -r .config.digest "$ROOT/oci2/blobs/sha256/${m#sha256:}")
  run bi load -i "$ROOT/skopeo-oci.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image ID: $want_oci"* ]]
  [ "$(bi inspect "$want_oci" | jq -r '.[0].RootFS.Layers | length')" -eq 2 ]
}

@test "umoci unpacks berth's OCI layout" {
  command -v umoci >/dev/null || skip "umoci is not installed"
  bi load -i "$DTMP/docker-save.tar"
  bi save -o "$ROOT/berth.tar" berth-busybox:2
  mkdir "$ROOT/oci" && tar -C "$ROOT/oci" -xf "$ROOT/berth.tar"
  umoci unpack --image "$ROOT/oci:2" "$ROOT/bundle"
  [ "$(cat "$ROOT/bundle/rootfs/hello")" = "layer2" ]
  [ ! -e "$ROOT/bundle/rootfs/bin/vi" ]
  [ -x "$ROOT/bundle/rootfs/bin/busybox" ]
}

@test "import with --change, tag, history and rmi semantics" {
  tar -C "$DTMP/rootfs" -c . > "$ROOT/rootfs.tar"
  run bi import -c 'CMD ["/bin/sh","-c","echo hi"]' -c 'ENV A=1' -m "from a test" "$ROOT/rootfs.tar" imp:1
  [ "$status" -eq 0 ]
  id=$output
  [ "$(bi inspect imp:1 | jq -r '.[0].Config.Cmd[2]')" = "echo hi" ]
  [ "$(bi inspect imp:1 | jq -r '.[0].Config.Env[0]')" = "A=1" ]
  [ "$(bi inspect imp:1 | jq -r '.[0].Comment')" = "from a test" ]
  bi tag imp:1 other/imp:2
  run bi history imp:1
  [[ "$output" == *"from a test"* ]]
  # the same id under two repositories: removing by id needs -f
  run bi rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"referenced in multiple repositories"* ]]
  run bi rmi imp:1
  [ "$output" = "Untagged: imp:1" ]
  run bi rmi other/imp:2
  [[ "$output" == *"Untagged: other/imp:2"* ]]
  [[ "$output" == *"Deleted: $id"* ]]
  run bi inspect imp:1
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such image"* ]]
}

@test "berth commit of a changed RW layer loads into dockerd with deletion, rename and chmod" {
  cp -a "$DTMP/rootfs" "$ROOT/rootfs"
  echo layer2 > "$ROOT/rootfs/hello"
  mkdir -p "$ROOT/rootfs/data/sub" && echo x > "$ROOT/rootfs/data/sub/y"
  tar -C "$ROOT/rootfs" -cf "$ROOT/base.tar" .
  bi import -c 'CMD ["sh"]' "$ROOT/base.tar" berth-base:1
  c=$(printf 'c%.0s' $(seq 64))
  bi rw-create "$c" berth-base:1
  m=$(bi rw-mount "$c")
  rm -r "$m/data/sub"
  mv "$m/hello" "$m/renamed"
  chmod 0604 "$m/renamed"
  echo new > "$m/new"
  run bi diff "$c"
  echo "$output"
  [[ "$output" == *"D /data/sub"* ]]
  [[ "$output" == *"D /hello"* ]]
  [[ "$output" == *"A /renamed"* ]]
  [[ "$output" == *"A /new"* ]]
  bi rw-umount "$c"
  run bi commit -a tester -m "berth commit" -c 'ENV BERTH=1' "$c" berth-commit:1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == sha256:* ]]
  id=$output
  bi rw-rm "$c"
  bi save -o "$ROOT/commit.tar" berth-commit:1
  docker load -i "$ROOT/commit.tar"
  [ "$(docker inspect -f '{{.Id}}' berth-commit:1)" = "$id" ]
  [ "$(docker inspect -f '{{.Comment}} {{.Author}}' berth-commit:1)" = "berth commit tester" ]
  run docker run --rm --network none berth-commit:1 sh -c \
    'cat /renamed /new; stat -c %a /renamed; echo $BERTH; ls /hello /data/sub 2>&1'
  docker rmi berth-commit:1 >/dev/null
  echo "$output"
  [ "$status" -ne 0 ]  # ls of the gone paths fails
  [ "$(echo "$output" | head -4 | tr '\n' ' ')" = "layer2 new 604 1 " ]
  [[ "$output" == *"/hello: No such file"* ]]
  [[ "$output" == *"/data/sub: No such file"* ]]
}

@test "rmi: an image used by a container layer is a conflict unless forced" {
  tar -C "$DTMP/rootfs" -c . > "$ROOT/rootfs.tar"
  id=$(bi import "$ROOT/rootfs.tar" used:1)
  bi rw-create c1 used:1
  run bi rmi used:1
  [ "$status" -eq 1 ]
  [[ "$output" == *"conflict: unable to remove repository reference \"used:1\" (must force)"* ]]
  run bi rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"conflict: unable to delete ${id:7:12} (must be forced)"* ]]
  # forced: the name goes, the container keeps its image's layers
  run bi rmi -f used:1
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: used:1" ]
  [ "$(bi diff c1 | wc -l)" -eq 0 ]
  bi rw-rm c1
  bi image-prune -a
  run bi check
  [ "$status" -eq 0 ]
}

@test "a docker-archive whose layer does not match its diff id is refused, nothing kept" {
  mkdir "$ROOT/x" && tar -C "$ROOT/x" -xf "$DTMP/docker-save.tar"
  # berth-busybox:2's top layer replaced by other bytes (a valid tar, wrong content)
  top=$(jq -r '.[] | select(.RepoTags[0]=="berth-busybox:2") | .Layers[-1]' "$ROOT/x/manifest.json")
  tar -C "$DTMP/rootfs" -cf "$ROOT/other.tar" etc
  cp --remove-destination "$ROOT/other.tar" "$ROOT/x/$top"
  tar -C "$ROOT/x" -cf "$ROOT/bad.tar" .
  run bi load -i "$ROOT/bad.tar"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"diff id mismatch"* ]]
  run bi check
  [ "$status" -eq 0 ]
  # the claimed digest was never published as a blob
  claimed=$(tar -xOf "$DTMP/docker-save.tar" "$(jq -r '.[] | select(.RepoTags[0]=="berth-busybox:2") | .Config' "$ROOT/x/manifest.json")" | jq -r '.rootfs.diff_ids[-1]')
  blobs=$(echo "$ROOT"/data/image/*/content/blobs/sha256)
  [ -d "$blobs" ]
  [ ! -e "$blobs/${claimed#sha256:}" ]
}

@test "an image named by digest in an OCI layout is found by that digest reference" {
  bi load -i "$DTMP/docker-save.tar"
  bi save -o "$ROOT/b.tar" berth-busybox:1
  mkdir "$ROOT/o" && tar -C "$ROOT/o" -xf "$ROOT/b.tar"
  m=$(jq -r '.manifests[0].digest' "$ROOT/o/index.json")
  jq --arg n "docker.io/library/dg@$m" '.manifests[0].annotations = {"io.containerd.image.name": $n}' \
    "$ROOT/o/index.json" > "$ROOT/o/i" && mv "$ROOT/o/i" "$ROOT/o/index.json"
  rm "$ROOT/o/manifest.json"  # the OCI layout alone
  tar -C "$ROOT/o" -cf "$ROOT/dg.tar" .
  ROOT2="$ROOT/second"
  "$BI" --data-root "$ROOT2" load -i "$ROOT/dg.tar"
  run "$BI" --data-root "$ROOT2" inspect "dg@$m"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.[0].Id')" = "$(docker inspect -f '{{.Id}}' berth-busybox:1)" ]
  [ "$(echo "$output" | jq -r '.[0].RepoDigests[0]')" = "dg@$m" ]
}
