#pragma once
// The store settings every store policy is built from: ocis's store type, nodes, database,
// table, TTL and auth (docs/ocis-contract.md sections 3 and 4), plus ours. A store the daemon
// can pick by name (eh::DaemonStore) offers `static S make(const StoreSettings&)` (and its own
// section as a second argument, when it has one) and decides there what of this it uses. What only one store needs is that store's own settings section
// (`using Settings = ...`, eh::DaemonStore), not a member here.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "eh/store/query_limits.hpp"

namespace eh::store {

struct StoreSettings {
    std::vector<std::string> nodes;                       ///< e.g. "127.0.0.1:26379/mymaster" or "nats://127.0.0.1:9233"
    std::string database = "eventhistory";                ///< nats-js-kv: bucket name
    std::string table;                                    ///< key prefix
    std::chrono::nanoseconds ttl = std::chrono::hours{336}; ///< counted from the event's own timestamp
    std::string username, password;
    struct Tls {
        bool enable = false, insecure = false;
        std::string root_ca_file;
    } tls; ///< TLS to the nodes (nats-js-kv)
    bool disable_persistence = false;                     ///< nats-js-kv: memory storage
    std::size_t replicas = 1;                             ///< nats-js-kv bucket replicas
    QueryLimits limits{}; ///< every store's query bounds
    /// The events connection, for a store that may live on the same servers when it has no
    /// nodes of its own (nats-js-kv, as ocis recommends).
    struct Connection {
        std::vector<std::string> nodes;
        std::string username, password;
        Tls tls;
    } events;
};

} // namespace eh::store
