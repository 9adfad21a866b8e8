// Concurrent ingest and queries on the shared stores, against real servers: the ingest loop,
// query threads, and the stores' own threads (the nats-js-kv indexer, cnats' threads). CI
// runs this under ThreadSanitizer too (label `concurrency`).
#include <doctest/doctest.h>

#include <vector>

#include "eh/config/draft.hpp"
#include "eh/event_history.hpp"
#include "eh/index/match.hpp"
#include "eh/store/nats_kv.hpp"
#include "eh/store/redis_sentinel.hpp"
#include "eh/testing/concurrent_load.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/redis_cluster.hpp"

using namespace std::chrono_literals;
using eh::testing::ScriptedTransport;

namespace {

template <class Store>
void ingest_and_query(Store store, std::size_t total) {
    eh::testing::EventGenerator gen({.seed = 8, .users = 20, .start = eh::SystemClock{}.now() - 1h});
    std::vector<eh::testing::GeneratedEvent> events;
    for (std::size_t i = 0; i < total; ++i) events.push_back(gen.next());
    eh::EventHistory<ScriptedTransport, Store> h(ScriptedTransport{/*redeliver_naks=*/true}, std::move(store), {},
                                                 {.batch = 64, .fetch_wait = 1ms, .nak_delay = 10ms, .nak_delay_max = 50ms});
    const auto load = eh::testing::ingest_while_querying(h, events, gen.users(), 2, 180s);

    CHECK(h.counters().acks == total);
    CHECK(h.counters().stored == total);
    CHECK(load.answers > 0);
    CHECK(load.empty_payloads == 0);
    for (std::size_t u = 0; u < 3; ++u) { // exact, whatever the index caught up with
        const auto& user = gen.users()[u];
        std::size_t holding = 0;
        for (const auto& e : events) holding += eh::index::contains_bounded(e.event.payload, user);
        CHECK(h.get_events_for_user(user).size() == holding);
    }
}

} // namespace

TEST_CASE("store concurrency: nats-js-kv: ingest, queries and its indexer at once") {
    eh::testing::NatsServer nats;
    eh::store::StoreSettings s;
    s.nodes = {nats.endpoint()};
    ingest_and_query(eh::store::NatsKvStore::make(s), 1500);
}

TEST_CASE("store concurrency: redis-sentinel: ingest and queries at once") {
    eh::testing::RedisCluster cluster({.replicas = 1, .sentinels = 1});
    eh::store::StoreSettings s;
    s.nodes = cluster.nodes();
    s.table = "tsan:";
    ingest_and_query(eh::store::RedisSentinelStore::make(s, eh::config::defaults<eh::store::RedisSentinelSettings>()), 1500);
}
