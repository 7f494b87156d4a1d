#pragma once

// How every Weft process reaches another: plain TCP or mutual TLS, decided here and nowhere
// else (docs/cluster.md, "TLS and certificates"). A node publishes its gateway with
// publish_gateway(); a node or client connects through connector()'s actor, with a request
// and a timeout. With TLS files, CAF's openssl module is loaded with a CA file, a certificate
// and a key, which makes it require and verify a peer certificate on both sides; without
// them, plain TCP. Anonymous TLS (the module without files) is never used.

#include <caf/fwd.hpp>
#include <cstdint>
#include <string>

#include "config/settings.hpp"

namespace weft::actors {

/// Loads the middleman into `cfg` and, when `tls` is enabled, the openssl module with its
/// files. @throws std::invalid_argument when `tls` names a CA but no certificate or key.
void configure_transport(caf::actor_system_config& cfg, const config::tls_files& tls);

/// Whether `sys` was configured with TLS.
bool uses_tls(const caf::actor_system& sys);

/// The actor to connect through: request (connect_atom, host, port) with a timeout; it
/// answers (node_id, strong_actor_ptr, set<string>) or an error.
caf::actor connector(caf::actor_system& sys);

/// Publishes `gateway` on host:port (0: any port) over TLS or plain TCP as `sys` was
/// configured; the bound port, or an error.
caf::expected<uint16_t> publish_gateway(caf::actor_system& sys, const caf::actor& gateway,
                                        uint16_t port, const std::string& host);

/// Logs each refused TLS handshake of an accepted connection (a plain-TCP peer, a
/// certificate from another CA, no certificate): the peer's address and OpenSSL's reason,
/// once per peer address a minute and at most 20 lines a minute in all (a count of the
/// suppressed ones follows). Call once in a node.
void log_refused_peers();

/// Why the last outgoing TLS handshake of this process failed ("certificate verify failed"),
/// or "" when none failed since the last call (it clears it); for error messages.
std::string take_tls_connect_failure();

}  // namespace weft::actors
