#pragma once
// The store policies this build of eventhistoryd offers; `--store-type NAME` picks one at
// run time, and each becomes its own EventHistory<NatsJetStream, Store> instantiation. A store
// with settings of its own (eh::HasOwnSettings) brings them along: adding it here adds its
// section to the flags, environment, YAML and docs/configuration.md.
#include "eh/config/store_settings.hpp"
#include "eh/store/by_name.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/nats_kv.hpp"
#include "eh/store/noop.hpp"
#include "eh/store/redis_sentinel.hpp"

namespace eventhistoryd {

using Stores = eh::store::StoreList<eh::store::MemoryStore, eh::store::NoopStore, eh::store::RedisSentinelStore,
                                   eh::store::NatsKvStore>;
/// The daemon's settings: eh::config's core sections and its stores' own.
using Settings = eh::config::SettingsFor<Stores>;

} // namespace eventhistoryd
