#pragma once
// Checks that need more than one value's syntax: the store's name against those the daemon
// can build, node lists, listen addresses, TLS files, ranges, settings that exclude each
// other, then the chosen store's own check. The first problem throws one ConfigError line
// naming where the offending value came from.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "eh/config/address.hpp"
#include "eh/config/draft.hpp"
#include "eh/config/duration.hpp"
#include "eh/config/error.hpp"
#include "eh/config/read_file.hpp"
#include "eh/config/store_settings.hpp"

namespace eh::config {

namespace detail {

inline std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// The core sections' checks; `stores`: the store names the daemon can build. Throws BadSetting.
inline void validate_core(const Settings& s, std::span<const std::string_view> stores) {
    auto fail = [](std::string_view key, const std::string& problem) { throw BadSetting(std::string(key), problem); };

    if (std::ranges::find(stores, std::string_view(s.store.type)) == stores.end()) {
        std::string names;
        for (std::string_view n : stores) names += (names.empty() ? "" : ", ") + std::string(n);
        fail("store.type", "unknown store " + in_quotes(s.store.type) + " (supported: " + names + ")");
    }

    check_nodes("events.endpoint", s.events.endpoint, is_nats_node, "NATS", "host:port");
    if (!parse_host_port(s.debug.addr))
        fail("debug.addr", "malformed address " + in_quotes(s.debug.addr) + " (expected host:port)");

    auto check_readable = [&](std::string_view key, const std::string& path) {
        std::string why;
        if (!path.empty() && !detail::read_file(path, why)) fail(key, "cannot read " + in_quotes(path) + ": " + why);
    };
    if (s.events.enable_tls) check_readable("events.tls_root_ca_certificate", s.events.tls_root_ca_certificate);
    if (s.store.enable_tls) check_readable("store.tls_root_ca_certificate", s.store.tls_root_ca_certificate);
    check_readable("grpc.tls_cert", s.grpc.tls_cert);
    check_readable("grpc.tls_key", s.grpc.tls_key);
    check_readable("grpc.tls_client_ca", s.grpc.tls_client_ca);
    if (s.grpc.tls_cert.empty() != s.grpc.tls_key.empty())
        fail(s.grpc.tls_cert.empty() ? "grpc.tls_key" : "grpc.tls_cert",
             "TLS needs both grpc.tls_cert and grpc.tls_key");
    if (!s.grpc.tls_client_ca.empty() && s.grpc.tls_cert.empty() && !s.grpc.tls_enabled)
        fail("grpc.tls_client_ca", "mutual TLS needs grpc.tls_enabled or grpc.tls_cert and grpc.tls_key as well");

    if (s.grpc.disabled && s.events.disabled)
        fail("grpc.disabled", "gRPC and event consumption are both disabled (events.disabled): nothing would run");
    if (!s.grpc.disabled && !s.registry.disabled && s.registry.type == RegistryType::nats_js_kv) {
        if (!parse_host_port(s.grpc.addr)) // the registered address is host:port
            fail("grpc.addr", "malformed address " + in_quotes(s.grpc.addr) + " (expected host:port)");
        check_nodes("registry.address", s.registry.address, is_nats_node, "registry", "host:port");
        if (s.registry.service_namespace.empty()) fail("registry.service_namespace", "must not be empty");
        if (s.registry.ttl.count() <= 0) fail("registry.ttl", "must be positive, not " + format_duration(s.registry.ttl));
        if (s.registry.interval.count() <= 0 || s.registry.interval >= s.registry.ttl)
            fail("registry.interval", "must be positive and shorter than registry.ttl (" +
                                          format_duration(s.registry.ttl) + "), not " +
                                          format_duration(s.registry.interval));
    }

    auto check_range = [&](std::string_view key, std::size_t v, std::size_t lo, std::size_t hi) {
        if (v >= lo && v <= hi) return;
        fail(key, hi == std::numeric_limits<std::size_t>::max()
                      ? "must be at least " + std::to_string(lo) + ", not " + std::to_string(v)
                      : "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", not " +
                            std::to_string(v));
    };
    constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();
    constexpr std::size_t max_replicas = 5; // JetStream's limit
    check_range("consumer.fetch_batch", s.consumer.fetch_batch, 1, unbounded);
    check_range("consumer.max_ack_pending", s.consumer.max_ack_pending, 1, unbounded);
    check_range("stream.replicas", s.stream.replicas, 1, max_replicas);
    check_range("store.replicas", s.store.replicas, 1, max_replicas);
    check_range("grpc.max_ids_per_request", s.grpc.max_ids_per_request, 1, unbounded);
    check_range("grpc.max_message_bytes", s.grpc.max_message_bytes, 1, INT_MAX); // gRPC takes an int
    check_range("grpc.max_in_flight", s.grpc.max_in_flight, 1, unbounded);
    check_range("consumer.max_message_bytes", s.consumer.max_message_bytes, 1, unbounded);
    check_range("consumer.max_refusals", s.consumer.max_refusals, 1, unbounded);
    check_range("query.max_events", s.query.max_events, 1, unbounded);
    check_range("query.max_candidates", s.query.max_candidates, 1, unbounded);
    check_range("query.max_user_id_bytes", s.query.max_user_id_bytes, 1, unbounded);
    check_range("query.max_user_id_runs", s.query.max_user_id_runs, 1, unbounded);

    auto check_positive = [&](std::string_view key, std::chrono::nanoseconds d) {
        if (d.count() <= 0) fail(key, "must be positive, not " + format_duration(d));
    };
    check_positive("consumer.ack_wait", s.consumer.ack_wait);
    check_positive("store.ttl", s.store.ttl);
}

} // namespace detail

/// Checks the settings of a daemon that offers Stores (an eh::store::StoreList): the chosen
/// store's own check first (eh::DaemonStore: its nodes, what it cannot do), then the rest.
template <class Stores>
void validate(const Draft<SettingsFor<Stores>>& draft) {
    try {
        Stores::visit(draft.settings().store.type, [&](auto store) {
            check_store<typename decltype(store)::type>(draft.settings());
        });
        detail::validate_core(draft.settings(), Stores::names());
    } catch (const BadSetting& e) {
        // A key that names no setting (a store's slip) is still one line and exit 2.
        const std::string* source = draft.find_source(e.key);
        throw ConfigError((source ? *source : e.key) + ": " + e.what());
    }
}

} // namespace eh::config
