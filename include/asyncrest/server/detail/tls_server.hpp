// TLS on the server's side: the OpenSSL context made from `server_tls_settings`, and the transport
// a connection loop over TLS is instantiated with. Compiled only where OpenSSL is
// (ASYNCREST_WITH_OPENSSL, set by linking asyncrest::tls).
#pragma once

#include <asyncrest/core/detail/config.hpp>
#include <asyncrest/server/settings.hpp>

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL

#include <asyncrest/server/detail/tls_stream.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace asyncrest::detail {

inline constexpr bool server_has_tls = true;

/// The connection loop over TLS: the stream works on the connection's socket, and lives in the
/// connection's coroutine frame from the handshake on.
struct tls_over_tcp {
  static constexpr bool encrypted = true;
  using stream_type = tls_stream;
  using stream_storage = std::optional<stream_type>;

  /// Makes the stream over `socket`, with the server's context (an asio::ssl::context).
  static void open(stream_storage& storage, asio::ip::tcp::socket& socket, void* context) {
    storage.emplace(socket, static_cast<asio::ssl::context*>(context)->native_handle());
  }
  template <class CompletionToken>
  static auto handshake(stream_type& stream, CompletionToken&& token) {
    return stream.async_handshake(std::forward<CompletionToken>(token));
  }
};

/// ALPN: HTTP/1.1 when the client offers it; otherwise the handshake goes on without ALPN (a
/// client offering only h2 then speaks HTTP/1.1 or leaves), as a server without HTTP/2 should.
inline int select_http11(SSL*, const unsigned char** selected, unsigned char* selected_length,
                         const unsigned char* offered, unsigned offered_length, void*) {
  static constexpr unsigned char supported[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, selected_length, supported, sizeof supported, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *selected = chosen;
  return SSL_TLSEXT_ERR_OK;
}

/// The server's OpenSSL context: TLS 1.2 and later, no renegotiation, ALPN http/1.1, the
/// certificate chain and the key from their files, checked against each other. Throws with the
/// file and OpenSSL's reason when they do not load.
inline std::shared_ptr<asio::ssl::context> make_server_tls_context(const server_tls_settings& settings) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  static constexpr unsigned char session_context[] = "asyncrest";
  SSL_CTX_set_session_id_context(native, session_context, sizeof session_context - 1);
  const auto load = [](const char* what, const std::string& path, auto&& loader) {
    try {
      loader();
    } catch (const std::system_error& error) {
      throw std::runtime_error(std::string("asyncrest: cannot load the TLS ") + what + " from " + path + ": " +
                               error.what());
    }
  };
  load("certificate chain", settings.certificate_chain_file,
       [&] { context->use_certificate_chain_file(settings.certificate_chain_file); });
  load("private key", settings.private_key_file,
       [&] { context->use_private_key_file(settings.private_key_file, asio::ssl::context::pem); });
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("asyncrest: the TLS private key " + settings.private_key_file +
                             " does not belong to the certificate in " + settings.certificate_chain_file);
  }
  SSL_CTX_set_alpn_select_cb(native, &select_http11, nullptr);
  // tls_stream writes from wherever the caller's bytes are, a record at a time, and the retry of
  // a record the socket took in part may come from another address (a gathered copy).
  SSL_CTX_set_mode(native, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Idle connections give their record buffers back (about 34 KiB each).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // One recv(2) takes all that has arrived rather than a record header, then its body: fewer
  // calls, and a request that came with the handshake's last message is not left in the socket
  // where no readiness will announce it.
  SSL_CTX_set_read_ahead(native, 1);
  return context;
}

}  // namespace asyncrest::detail

#else

namespace asyncrest::detail {
inline constexpr bool server_has_tls = false;
}

#endif
