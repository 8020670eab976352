#!/usr/bin/env bats
# berthd on tcp:// with TLS (--tlsverify, --tlscacert, --tlscert, --tlskey): the docker CLI
# and berth connect with client certificates, attach and exec streams (stdin half-close
# included) pass through, and clients without a valid certificate, or plain HTTP, are refused.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() {
  berthd_setup_file
  [ -z "${BD_MISSING:-}" ] || return 0
  # certificates: a CA, berthd's (for 127.0.0.1), a client's, and a stranger CA's client
  local c="$BT/certs"
  mkdir -p "$c/client" "$c/stranger"
  (
    cd "$c"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
      -keyout ca-key.pem -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem
    openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout client/key.pem -out client.csr
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile client.ext -out client/cert.pem
    cp ca.pem client/ca.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stranger \
      -keyout stranger/key.pem -out stranger/cert.pem
    cp ca.pem stranger/ca.pem
  ) >/dev/null 2>&1
  BT_TLS_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export BT_TLS_PORT
  echo "$BT_TLS_PORT" >"$BT/tls-port"
  # the same daemon, now also on tcp:// with TLS
  kill "$(cat "$BT/berthd.pid")"
  while [ -S "$BT/berth.sock" ]; do sleep 0.05; done
  BT_DAEMON_ARGS="-H tcp://127.0.0.1:$BT_TLS_PORT --tlsverify --tlscacert $c/ca.pem --tlscert $c/server.pem --tlskey $c/server-key.pem" \
    berthd_launch
}

setup() { berthd_setup; }

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }

tcp() { echo "tcp://127.0.0.1:$(cat "$BT/tls-port")"; }

# A second berthd (BINARY, its dirs and socket named NAME) asked for TLS with CERT; expected
# to refuse to start.
berthd_tls_once() {
  timeout 10 "$1" --config-file /nonexistent --data-root "$BT/data-$2" --exec-root "$BT/exec-$2" \
    -H "unix://$BT/$2.sock" -H tcp://127.0.0.1:1 --tlsverify --tlscacert "$BT/certs/ca.pem" \
    --tlscert "$3" --tlskey "$BT/certs/server-key.pem"
}

# docker or berth with the client certificate, by flags
with_cert() {
  local client=$1
  shift
  local c="$BT/certs/client"
  timeout -k 2 30 env -u DOCKER_HOST "$client" --tlsverify --tlscacert "$c/ca.pem" \
    --tlscert "$c/cert.pem" --tlskey "$c/key.pem" -H "$(tcp)" "$@"
}

@test "TLS: the docker CLI and berth with a client certificate: run, stdin, exec, logs" {
  for client in docker "$BERTH_BUILD/cmd/berth"; do
    run with_cert "$client" version --format '{{.Server.Version}}'
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    run with_cert "$client" run --rm --network none busybox echo hello over tls
    [ "$status" -eq 0 ]
    [ "$output" = "hello over tls" ]
    # stdin through the hijacked stream, closed at its end (close_notify -> EOF)
    export -f with_cert tcp
    run bash -c "seq 1 5000 | with_cert $client run -i --rm --network none busybox wc -l"
    [ "$status" -eq 0 ]
    [ "$output" = 5000 ]
    with_cert "$client" run -d --name tl1 --network none busybox sh -c 'echo started; sleep 1000'
    run with_cert "$client" exec tl1 sh -c 'echo ex; exit 4'
    [ "$status" -eq 4 ]
    [ "$output" = ex ]
    run with_cert "$client" logs tl1
    [ "$output" = started ]
    with_cert "$client" rm -f tl1
  done
  # DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem there)
  run env DOCKER_HOST="$(tcp)" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$BT/certs/client" \
    timeout 30 docker ps -q
  [ "$status" -eq 0 ]
  run env DOCKER_HOST="$(tcp)" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$BT/certs/client" \
    timeout 30 "$BERTH_BUILD/cmd/berth" ps -q
  [ "$status" -eq 0 ]
  # the unix socket is plain as before
  run dk ps -q
  [ "$status" -eq 0 ]
}

@test "TLS: no client certificate, a stranger's, a wrong CA and plain HTTP are refused" {
  local c="$BT/certs"
  # no certificate
  run timeout 30 env -u DOCKER_HOST DOCKER_CERT_PATH=/nonexistent docker --tls -H "$(tcp)" version
  [ "$status" -ne 0 ]
  run timeout 30 curl -s --cacert "$c/ca.pem" "https://127.0.0.1:$(cat "$BT/tls-port")/_ping"
  [ "$status" -ne 0 ]
  # a certificate from another CA
  run timeout 30 curl -s --cacert "$c/ca.pem" --cert "$c/stranger/cert.pem" --key "$c/stranger/key.pem" \
    "https://127.0.0.1:$(cat "$BT/tls-port")/_ping"
  [ "$status" -ne 0 ]
  # the right one
  run timeout 30 curl -s --cacert "$c/ca.pem" --cert "$c/client/cert.pem" --key "$c/client/key.pem" \
    "https://127.0.0.1:$(cat "$BT/tls-port")/_ping"
  [ "$status" -eq 0 ]
  [ "$output" = OK ]
  # the client checks berthd's certificate against its CA
  run timeout 30 env -u DOCKER_HOST docker --tlsverify --tlscacert "$c/stranger/cert.pem" \
    --tlscert "$c/client/cert.pem" --tlskey "$c/client/key.pem" -H "$(tcp)" version
  [ "$status" -ne 0 ]
  [[ "$output" == *"certificate"* ]]
  run timeout 30 env -u DOCKER_HOST "$BERTH_BUILD/cmd/berth" --tlsverify --tlscacert "$c/stranger/cert.pem" \
    --tlscert "$c/client/cert.pem" --tlskey "$c/client/key.pem" -H "$(tcp)" version
  [ "$status" -ne 0 ]
  [[ "$output" == *"certificate verify failed"* ]]
  # plain HTTP to the TLS port gets no answer
  run timeout 30 curl -s "http://127.0.0.1:$(cat "$BT/tls-port")/_ping"
  [ "$status" -ne 0 ]
  # berthd kept serving all along
  run with_cert docker ps -q
  [ "$status" -eq 0 ]
}

@test "TLS: berthd refuses to start with --tlsverify and no usable certificate" {
  run berthd_tls_once "$BERTH_BUILD/cmd/berthd" two "$BT/nonexistent.pem"
  [ "$status" -ne 0 ]
  [[ "$output" == *"could not load TLS certificate $BT/nonexistent.pem"* ]]
  [ ! -e "$BT/two.sock" ]
}

@test "TLS: a client that trickles its handshake is cut off at the deadline; berthd keeps serving" {
  port=$(cat "$BT/tls-port")
  # one byte every 2 s never finishes a ClientHello: berthd closes within its 10 s deadline
  run timeout -k 5 30 /usr/bin/python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.time()
s.settimeout(2)
while time.time() - start < 25:
    try:
        s.send(b"\x16")
        if s.recv(1) == b"":
            break
    except socket.timeout:
        continue
    except OSError:
        break
print(int(time.time() - start))' "$port"
  [ "$status" -eq 0 ]
  [ "$output" -ge 9 ] && [ "$output" -le 14 ]
  run with_cert docker ps -q
  [ "$status" -eq 0 ]
}

@test "TLS: OpenSSL is loaded only for TLS; without berth-tls.so, TLS is refused with the reason" {
  # a plain berth command never maps libssl or libcrypto (they come with berth-tls.so)
  run env LD_DEBUG=libs "$BERTH_BUILD/cmd/berth" -H "unix://$BT/berth.sock" version
  [ "$status" -eq 0 ]
  [[ "$output" != *libssl* && "$output" != *libcrypto* ]]
  # binaries without the module beside them (nor in ../lib/berth)
  mkdir -p "$BT/nomod/bin"
  cp "$BERTH_BUILD/cmd/berth" "$BERTH_BUILD/cmd/berthd" "$BT/nomod/bin/"
  local c="$BT/certs/client"
  run timeout -k 2 30 env -u DOCKER_HOST "$BT/nomod/bin/berth" --tlsverify --tlscacert "$c/ca.pem" \
    --tlscert "$c/cert.pem" --tlskey "$c/key.pem" -H "$(tcp)" version
  [ "$status" -eq 1 ]
  [[ "$output" == *"TLS is not available: cannot find berth-tls.so (looked for $BT/nomod/bin/berth-tls.so and $BT/nomod/bin/../lib/berth/berth-tls.so)"* ]]
  run berthd_tls_once "$BT/nomod/bin/berthd" three "$BT/certs/server.pem"
  [ "$status" -ne 0 ]
  [[ "$output" == *"TLS is not available: cannot find berth-tls.so"* ]]
  [ ! -e "$BT/three.sock" ]
  # installed as scripts/setup.sh does: lib/berth beside bin
  mkdir -p "$BT/nomod/lib/berth"
  cp "$BERTH_BUILD/cmd/berth-tls.so" "$BT/nomod/lib/berth/"
  run with_cert "$BT/nomod/bin/berth" version --format '{{.Server.Version}}'
  [ "$status" -eq 0 ]
}
