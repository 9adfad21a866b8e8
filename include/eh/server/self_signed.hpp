#pragma once
// A temporary self-signed server certificate, made in memory at start-up, for gRPC TLS
// enabled without a certificate (ocis does the same: its clients then connect with
// OCIS_GRPC_CLIENT_TLS_MODE=insecure). EC P-256, valid for a year, for the listen host,
// localhost, 127.0.0.1 and ::1.
#include <stdexcept>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "eh/detail/c_handle.hpp"

namespace eh::server {

struct PemCertificate {
    std::string cert; ///< PEM certificate
    std::string key;  ///< PEM private key
};

namespace detail {

using Pkey = eh::detail::Handle<EVP_PKEY, EVP_PKEY_free>;
using X509Cert = eh::detail::Handle<X509, X509_free>;
using Bio = eh::detail::Handle<BIO, BIO_free_all>;
using Extension = eh::detail::Handle<X509_EXTENSION, X509_EXTENSION_free>;

inline void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("gRPC TLS: making a self-signed certificate: ") + what);
}

inline std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return {data, static_cast<std::size_t>(n)};
}

inline bool is_ip(std::string_view host) {
    unsigned char buf[16];
    const std::string h(host);
    return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

} // namespace detail

/// Throws std::runtime_error when OpenSSL fails.
inline PemCertificate self_signed_certificate(std::string_view host) {
    using namespace detail;
    const std::string name = host.empty() || host == "0.0.0.0" || host == "::" ? "localhost" : std::string(host);
    Pkey key(EVP_EC_gen("P-256"));
    require(key != nullptr, "key");
    X509Cert cert(X509_new());
    require(cert && X509_set_version(cert.get(), 2) == 1, "certificate");
    unsigned char serial[16];
    require(RAND_bytes(serial, sizeof serial) == 1, "serial");
    serial[0] &= 0x7F; // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    require(bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())), "serial");
    BN_free(bn);
    require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) && // clock skew between peers
                X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600),
            "validity");
    require(X509_set_pubkey(cert.get(), key.get()) == 1, "public key");
    X509_NAME* subject = X509_get_subject_name(cert.get());
    require(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("eventhistoryd temporary"), -1, -1, 0) &&
                X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                           reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0) &&
                X509_set_issuer_name(cert.get(), subject),
            "name");
    std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
    if (name != "localhost") san += (is_ip(name) ? ",IP:" : ",DNS:") + name;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                                    std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                                    std::pair{NID_ext_key_usage, "serverAuth"}}) {
        Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
        require(ext && X509_add_ext(cert.get(), ext.get(), -1) == 1, "extensions");
    }
    require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signature");

    Bio cert_pem(BIO_new(BIO_s_mem())), key_pem(BIO_new(BIO_s_mem()));
    require(cert_pem && key_pem && PEM_write_bio_X509(cert_pem.get(), cert.get()) == 1 &&
                PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
            "PEM");
    return {bio_text(cert_pem.get()), bio_text(key_pem.get())};
}

} // namespace eh::server
