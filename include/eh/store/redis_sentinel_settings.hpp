#pragma once
// The redis-sentinel store's own settings (section `redis`) and its check of the daemon's
// settings. Apart from the store (redis_sentinel.hpp) because they need no hiredis: the
// configuration's tests and tools read them without the store's I/O.
#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

#include <boost/hana/define_struct.hpp>

#include "eh/config/address.hpp"
#include "eh/config/duration.hpp"
#include "eh/config/error.hpp"
#include "eh/config/meta.hpp"
#include "eh/store/detail/redis/nodes.hpp"
#include "eh/store/settings.hpp"

namespace eh::store {

/// The daemon's settings of the redis-sentinel store (section `redis`; eh::HasOwnSettings).
struct RedisSentinelSettings {
    BOOST_HANA_DEFINE_STRUCT(RedisSentinelSettings,
        (std::size_t, min_replicas),
        (std::chrono::nanoseconds, wait_timeout));

    static constexpr std::string_view section = "redis";
    static constexpr std::string_view about =
        "The `redis-sentinel` store's durability: a batch is acknowledged only once enough replicas have it.";
    static constexpr std::array meta{
        config::Meta{.name = "min_replicas", .default_text = "1", .env = {"EVENTHISTORY_REDIS_MIN_REPLICAS"},
                     .help = "Replicas that must acknowledge each batch (WAIT); fewer: the batch is NAKed and /readyz "
                             "says why (0: none, a failover may then lose acknowledged events)"},
        config::Meta{.name = "wait_timeout", .default_text = "1s", .env = {"EVENTHISTORY_REDIS_WAIT_TIMEOUT"},
                     .help = "How long a batch waits for its replicas"},
    };

    /// What the store cannot work with: its nodes' form, TLS, a WAIT of less than 1 ms.
    static void check(const StoreSettings& s, const RedisSentinelSettings& own) {
        config::check_nodes("store.nodes", s.nodes, detail::redis::is_node, "redis-sentinel", "host:port/master");
        if (s.tls.enable)
            throw config::BadSetting("store.enable_tls",
                                     "redis-sentinel cannot use TLS in this build (Debian's hiredis 0.14 has none)");
        if (own.wait_timeout < std::chrono::milliseconds{1}) // WAIT counts milliseconds, and 0 waits for ever
            throw config::BadSetting("redis.wait_timeout",
                                     "must be at least 1ms, not " + config::format_duration(own.wait_timeout));
    }
};

} // namespace eh::store
