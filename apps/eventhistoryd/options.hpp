#pragma once
// From the settings to each part's options. The consumer mode follows the store (its
// `shared`, eh::DaemonStore): a store private to the process (memory, noop) needs every event
// in every instance; a shared store lets instances split the work through one durable
// consumer. An in-memory store's own consumer is not acked (eh::in_memory()): it replays the
// stream at start, and its writes cannot fail.

#include "eh/config/settings.hpp"
#include "eh/event_history.hpp"
#include "eh/registry/nats_js_kv.hpp"
#include "eh/server/grpc_options.hpp"
#include "eh/transport/nats_options.hpp"

namespace eventhistoryd {

inline eh::transport::ConsumerMode consumer_mode(const eh::config::Settings& s, bool shared_store) {
    using eh::config::ConsumerModeChoice;
    switch (s.consumer.mode) {
    case ConsumerModeChoice::shared: return eh::transport::ConsumerMode::shared;
    case ConsumerModeChoice::instance: return eh::transport::ConsumerMode::instance;
    case ConsumerModeChoice::automatic: break;
    }
    return shared_store ? eh::transport::ConsumerMode::shared : eh::transport::ConsumerMode::instance;
}

/// What the daemon's options depend on about its store.
struct StoreTraits {
    bool shared = false;    ///< instances share what it holds
    bool in_memory = false; ///< answers from the process's memory, writes cannot fail
    template <class Store>
    static constexpr StoreTraits of() {
        return {.shared = Store::shared, .in_memory = eh::in_memory<Store>()};
    }
};

inline eh::transport::NatsOptions nats_options(const eh::config::Settings& s, StoreTraits store) {
    eh::transport::NatsOptions o;
    o.connection.endpoints = s.events.endpoint;
    o.connection.name = "eventhistory/" + s.events.cluster;
    o.connection.username = s.events.auth_username;
    o.connection.password = s.events.auth_password;
    o.connection.tls.enable = s.events.enable_tls;
    o.connection.tls.insecure = s.events.tls_insecure;
    o.connection.tls.root_ca_file = s.events.tls_root_ca_certificate;
    o.storage = s.stream.storage;
    o.replicas = static_cast<int>(s.stream.replicas);
    o.consumer = s.consumer.name;
    o.mode = consumer_mode(s, store.shared);
    o.deliver = s.consumer.deliver_policy;
    // Instance consumers replay the stream: what is older than the TTL is expired anyway.
    if (o.mode == eh::transport::ConsumerMode::instance) o.replay_window = s.store.ttl;
    o.acks = !(o.mode == eh::transport::ConsumerMode::instance && store.in_memory);
    o.max_ack_pending = static_cast<std::int64_t>(s.consumer.max_ack_pending);
    o.ack_wait = std::chrono::duration_cast<std::chrono::milliseconds>(s.consumer.ack_wait);
    return o;
}

inline eh::IngestOptions ingest_options(const eh::config::Settings& s) {
    eh::IngestOptions o;
    o.batch = s.consumer.fetch_batch;
    o.max_refusals = s.consumer.max_refusals;
    o.decode.max_bytes = s.consumer.max_message_bytes;
    return o;
}

inline eh::server::GrpcOptions grpc_options(const eh::config::Settings& s, StoreTraits store) {
    eh::server::GrpcOptions o;
    o.address = s.grpc.addr;
    o.max_ids = s.grpc.max_ids_per_request;
    o.max_receive_bytes = s.grpc.max_message_bytes;
    o.max_in_flight = s.grpc.max_in_flight;
    // An in-memory store answers at once: handing each call to a worker would cost more than
    // the answer.
    if (store.in_memory) o.workers = 0;
    o.tls = {.cert_file = s.grpc.tls_cert,
             .key_file = s.grpc.tls_key,
             .client_ca_file = s.grpc.tls_client_ca,
             .self_signed = s.grpc.tls_enabled && s.grpc.tls_cert.empty()};
    return o;
}

inline eh::registry::NatsJsKvOptions registry_options(const eh::config::Settings& s) {
    eh::registry::NatsJsKvOptions o;
    o.connection.endpoints = s.registry.address;
    o.connection.username = s.registry.auth_username;
    o.connection.password = s.registry.auth_password;
    o.ttl = s.registry.ttl;
    o.interval = s.registry.interval;
    return o;
}

} // namespace eventhistoryd
