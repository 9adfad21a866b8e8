#pragma once
// What the gRPC adapter is configured with. Plain data: the daemon's settings fill it.
#include <cstddef>
#include <string>

namespace eh::server {

/// PEM files of the server side of TLS. No cert file: plaintext, unless self_signed.
struct GrpcServerTls {
    std::string cert_file;      ///< server certificate chain; TLS is on when set
    std::string key_file;       ///< its private key
    std::string client_ca_file; ///< set: mutual TLS, clients must present a certificate this CA signed
    /// No cert file: TLS with a temporary self-signed certificate made at start (as ocis does
    /// for OCIS_GRPC_TLS_ENABLED without a certificate; clients must skip verification).
    bool self_signed = false;

    bool on() const noexcept { return !cert_file.empty() || self_signed; }
};

struct GrpcOptions {
    std::string address = "127.0.0.1:9274";     ///< host:port; port 0 picks a free one (see GrpcServer::port())
    std::size_t max_ids = 10'000;               ///< ids per GetEvents request; more get INVALID_ARGUMENT
    std::size_t max_receive_bytes = 4u << 20;   ///< larger requests get RESOURCE_EXHAUSTED from gRPC itself
    /// Calls admitted at once, queued or running; beyond, RESOURCE_EXHAUSTED at once.
    std::size_t max_in_flight = 64;
    /// Threads running the calls (at most max_in_flight). 0: gRPC's own threads run them,
    /// for histories whose queries never wait on I/O (a slow store would hold up health checks).
    std::size_t workers = 8;
    GrpcServerTls tls;
};

} // namespace eh::server
