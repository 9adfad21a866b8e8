#pragma once
// Stand-ins for the daemon's I/O stores in the configuration's tests and fuzzer, which build
// without cnats and hiredis: their names, and redis-sentinel's own settings and check (which
// need no hiredis: eh/store/redis_sentinel_settings.hpp). The real stores' checks run in the
// daemon's tests (tests/integration/test_daemon.cpp) and their own.
#include <string_view>

#include "eh/store/by_name.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/noop.hpp"
#include "eh/store/redis_sentinel_settings.hpp"
#include "eh/store/settings.hpp"

namespace eh::test {

struct NatsKvStandIn : eh::store::NoopStore {
    static constexpr std::string_view name = "nats-js-kv";
    static constexpr bool shared = true;
    static NatsKvStandIn make(const eh::store::StoreSettings&) { return {}; }
};
struct RedisStandIn : eh::store::NoopStore {
    static constexpr std::string_view name = "redis-sentinel";
    static constexpr bool shared = true;
    using Settings = eh::store::RedisSentinelSettings;
    static RedisStandIn make(const eh::store::StoreSettings&, const Settings&) { return {}; }
    static void check(const eh::store::StoreSettings& s, const Settings& own) { Settings::check(s, own); }
};

/// The daemon's store list, with the stand-ins.
using DaemonLikeStores = store::StoreList<store::MemoryStore, store::NoopStore, NatsKvStandIn, RedisStandIn>;

} // namespace eh::test
