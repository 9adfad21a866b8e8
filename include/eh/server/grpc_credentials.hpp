#pragma once
// gRPC TLS credentials from PEM files, for both ends: the server adapter and the clients.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "eh/server/grpc_options.hpp"
#include "eh/server/self_signed.hpp"

namespace eh::server {

/// The client side of TLS. Files are PEM; an empty CA file means the system's roots.
struct GrpcClientTls {
    bool enabled = false;  ///< also on when any file below is given
    std::string ca_file;   ///< CA that signed the server's certificate
    std::string cert_file; ///< client certificate, for servers that require mutual TLS
    std::string key_file;  ///< its private key

    bool on() const noexcept { return enabled || !ca_file.empty() || !cert_file.empty() || !key_file.empty(); }
};

/// The contents of a PEM file; throws std::runtime_error naming the file and the reason.
inline std::string read_pem_file(const std::string& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + std::string(what) + " '" + path + "': " + std::strerror(errno));
    std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (pem.empty()) throw std::runtime_error(std::string(what) + " '" + path + "' is empty");
    return pem;
}

/// Plaintext without a cert file (unless tls.self_signed: a temporary certificate for `host`);
/// TLS with one; mutual TLS (client certs required and verified) with a client CA as well.
/// Throws std::runtime_error on unreadable or missing files.
inline std::shared_ptr<grpc::ServerCredentials> server_credentials(const GrpcServerTls& tls,
                                                                   std::string_view host = "localhost") {
    if (tls.cert_file.empty() && (!tls.key_file.empty() || (!tls.client_ca_file.empty() && !tls.self_signed)))
        throw std::runtime_error("gRPC TLS: a key or client CA file is set but no certificate file");
    if (!tls.on()) return grpc::InsecureServerCredentials();
    if (!tls.cert_file.empty() && tls.key_file.empty())
        throw std::runtime_error("gRPC TLS: certificate file set but no key file");
    const bool mutual = !tls.client_ca_file.empty();
    grpc::SslServerCredentialsOptions ssl(mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                                 : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    if (mutual) ssl.pem_root_certs = read_pem_file(tls.client_ca_file, "gRPC client CA file");
    if (tls.cert_file.empty()) {
        auto made = self_signed_certificate(host);
        ssl.pem_key_cert_pairs.push_back({std::move(made.key), std::move(made.cert)});
    } else {
        std::string cert = read_pem_file(tls.cert_file, "gRPC certificate file");
        ssl.pem_key_cert_pairs.push_back({read_pem_file(tls.key_file, "gRPC key file"), std::move(cert)});
    }
    return grpc::SslServerCredentials(ssl);
}

/// Insecure unless tls.on(). Throws std::runtime_error on unreadable files or a cert without key.
inline std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const GrpcClientTls& tls) {
    if (!tls.on()) return grpc::InsecureChannelCredentials();
    if (tls.cert_file.empty() != tls.key_file.empty())
        throw std::runtime_error("gRPC client TLS: a client certificate needs its key file and vice versa");
    grpc::SslCredentialsOptions ssl;
    if (!tls.ca_file.empty()) ssl.pem_root_certs = read_pem_file(tls.ca_file, "gRPC CA file");
    if (!tls.cert_file.empty()) {
        ssl.pem_cert_chain = read_pem_file(tls.cert_file, "gRPC client certificate file");
        ssl.pem_private_key = read_pem_file(tls.key_file, "gRPC client key file");
    }
    return grpc::SslCredentials(ssl);
}

} // namespace eh::server
