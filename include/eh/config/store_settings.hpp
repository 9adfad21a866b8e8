#pragma once
// From the daemon's settings to what every store policy is built from (S::make).
#include "eh/config/settings.hpp"
#include "eh/store/settings.hpp"

namespace eh::config {

inline store::StoreSettings to_store_settings(const Settings& s) {
    store::StoreSettings out{.nodes = s.store.nodes,
                             .database = s.store.database,
                             .table = s.store.table,
                             .ttl = s.store.ttl,
                             .username = s.store.auth_username,
                             .password = s.store.auth_password,
                             .disable_persistence = s.store.disable_persistence,
                             .replicas = s.store.replicas,
                             .max_events = s.memory.max_events,
                             .max_bytes = s.memory.max_bytes,
                             .min_replicas = s.redis.min_replicas,
                             .wait_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(s.redis.wait_timeout),
                             .limits = {.max_events = s.query.max_events,
                                        .max_bytes = s.grpc.max_message_bytes,
                                        .max_candidates = s.query.max_candidates,
                                        .max_user_id_bytes = s.query.max_user_id_bytes,
                                        .max_user_id_runs = s.query.max_user_id_runs},
                             .events = {.nodes = s.events.endpoint,
                                        .username = s.events.auth_username,
                                        .password = s.events.auth_password,
                                        .tls = {.enable = s.events.enable_tls,
                                                .insecure = s.events.tls_insecure,
                                                .root_ca_file = s.events.tls_root_ca_certificate}}};
    if (s.store.enable_tls)
        out.tls = {.enable = true, .insecure = s.store.tls_insecure, .root_ca_file = s.store.tls_root_ca_certificate};
    return out;
}

} // namespace eh::config
