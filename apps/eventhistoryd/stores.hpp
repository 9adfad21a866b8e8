#pragma once
// The store policies this build of eventhistoryd offers; `--store-type NAME` picks one at
// run time, and each becomes its own EventHistory<NatsJetStream, Store> instantiation.
#include "eh/store/by_name.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/nats_kv.hpp"
#include "eh/store/noop.hpp"
#include "eh/store/redis_sentinel.hpp"

namespace eventhistoryd {

using Stores = eh::store::StoreList<eh::store::MemoryStore, eh::store::NoopStore, eh::store::RedisSentinelStore,
                                   eh::store::NatsKvStore>;

} // namespace eventhistoryd
