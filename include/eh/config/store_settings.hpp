#pragma once
// From the daemon's settings to what every store policy is built from (S::make).
#include "eh/config/settings.hpp"
#include "eh/store/settings.hpp"

namespace eh::config {

inline store::StoreSettings to_store_settings(const Settings& s) {
    return {.nodes = s.store.nodes,
            .database = s.store.database,
            .table = s.store.table,
            .ttl = s.store.ttl,
            .username = s.store.auth_username,
            .password = s.store.auth_password,
            .disable_persistence = s.store.disable_persistence,
            .replicas = s.store.replicas,
            .max_events = s.memory.max_events,
            .max_bytes = s.memory.max_bytes};
}

} // namespace eh::config
