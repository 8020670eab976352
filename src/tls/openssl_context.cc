#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <system_error>
#include <thread>

#include "tls/relay.h"
#include "tls/tls.h"

namespace berth::tls {

namespace {

// OpenSSL's error queue as text ("SSL routines::certificate verify failed").
std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    std::string s = buf;
    // "error:0A000086:SSL routines::certificate verify failed" -> the part after "::"
    if (auto at = s.find("::"); at != std::string::npos) s = s.substr(at + 2);
    if (!out.empty()) out += ": ";
    out += s;
  }
  return out.empty() ? "unknown TLS error" : out;
}

Result<SSL_CTX*> make(const Options& o, bool server) {
  // No atexit cleanup: a relay thread may still be inside OpenSSL when a client exits.
  OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, nullptr);
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!ctx) return fail(ErrorKind::Internal, "TLS: {}", ssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // as dockerd
  // A peer that closes TCP without close_notify ends its side like one that sent it.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  auto bad = [&](std::string what) -> Result<SSL_CTX*> {
    SSL_CTX_free(ctx);
    return fail(ErrorKind::InvalidArgument, "{}: {}", what, ssl_errors());
  };
  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1)
      return bad("could not load TLS certificate " + o.cert_file);
    if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return bad("could not load TLS key " + o.key_file);
    if (SSL_CTX_check_private_key(ctx) != 1)
      return bad("TLS key " + o.key_file + " does not match " + o.cert_file);
  } else if (server) {
    SSL_CTX_free(ctx);
    return fail(ErrorKind::InvalidArgument,
                "TLS needs a certificate and a key (--tlscert/--tlskey)");
  }
  if (o.verify_peer) {
    if (o.ca_file.empty()) {
      SSL_CTX_free(ctx);
      return fail(ErrorKind::InvalidArgument, "verifying TLS peers needs a CA (--tlscacert)");
    }
    if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1)
      return bad("could not read CA certificate " + o.ca_file);
    int mode = SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(ctx, mode, nullptr);
    if (server) {
      // tell clients which CA we accept, as Go's servers do
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str()))
        SSL_CTX_set_client_CA_list(ctx, names);
    }
  }
  return ctx;
}

class OpenSslContext final : public Context {
 public:
  OpenSslContext(SSL_CTX* ctx, bool server, bool verify)
      : ctx_(ctx), server_(server), verify_(verify) {}
  ~OpenSslContext() override { SSL_CTX_free(ctx_); }
  OpenSslContext(const OpenSslContext&) = delete;
  OpenSslContext& operator=(const OpenSslContext&) = delete;
  Result<UniqueFd> wrap(UniqueFd tcp, const std::string& peer_host, int timeout_ms) const override;

 private:
  SSL_CTX* ctx_;
  bool server_;
  bool verify_;
};

}  // namespace

Result<UniqueFd> OpenSslContext::wrap(UniqueFd tcp, const std::string& peer_host,
                                      int timeout_ms) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return fail(ErrorKind::Internal, "TLS: {}", ssl_errors());
  std::unique_ptr<SSL, decltype(&SSL_free)> owned(ssl, &SSL_free);
  SSL_set_fd(ssl, tcp.get());
  if (!server_ && !peer_host.empty()) {
    unsigned char addr[16];
    bool is_ip = inet_pton(AF_INET, peer_host.c_str(), addr) == 1 ||
                 inet_pton(AF_INET6, peer_host.c_str(), addr) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(ssl, peer_host.c_str());
    if (verify_) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, peer_host.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, peer_host.c_str(), 0);
    }
  }
  // The whole handshake has a deadline: a client that connects and then trickles bytes (or
  // says nothing) must not hold a thread for longer.
  int fl = fcntl(tcp.get(), F_GETFL);
  if (fl >= 0) fcntl(tcp.get(), F_SETFL, fl | O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int rc = server_ ? SSL_accept(ssl) : SSL_connect(ssl);
    if (rc == 1) break;
    int e = SSL_get_error(ssl, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      std::string why = ssl_errors();
      if (long v = SSL_get_verify_result(ssl); v != X509_V_OK)
        why += std::string(" (") + X509_verify_cert_error_string(v) + ")";
      return fail(ErrorKind::PermissionDenied, "TLS handshake: {}", why);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{tcp.get(), static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0)
      return fail(ErrorKind::PermissionDenied, "TLS handshake: timed out");
  }

  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) return sys_fail("socketpair");
  UniqueFd plain(sp[0]), relay_end(sp[1]);
  try {
    std::thread([ssl, tcp_fd = tcp.get(), local = relay_end.get()] {
      relay(ssl, tcp_fd, local);
    }).detach();
  } catch (const std::system_error&) {  // out of threads: this connection fails, not berthd
    return fail(ErrorKind::Unavailable, "TLS: no thread for the connection");
  }
  // the relay owns them now
  owned.release();
  tcp.release();
  relay_end.release();
  return plain;
}

}  // namespace berth::tls

// C linkage, so load.cc finds it by name; the types are C++, built by the same compiler.
extern "C" [[gnu::visibility("default")]] void berth_tls_make_context(
    const berth::tls::Options& o, bool server,
    berth::Result<std::shared_ptr<berth::tls::Context>>& out) {
  auto ctx = berth::tls::make(o, server);
  if (!ctx) {
    out = std::unexpected(ctx.error());
    return;
  }
  out = std::shared_ptr<berth::tls::Context>(
      std::make_shared<berth::tls::OpenSslContext>(*ctx, server, o.verify_peer));
}
