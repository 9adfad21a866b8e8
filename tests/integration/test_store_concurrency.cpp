// Concurrent ingest and queries on the shared stores, against real servers: the ingest loop,
// query threads, and the stores' own threads (the nats-js-kv indexer, cnats' threads). CI
// runs this under ThreadSanitizer too (label `concurrency`).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "eh/event_history.hpp"
#include "eh/index/match.hpp"
#include "eh/store/nats_kv.hpp"
#include "eh/store/redis_sentinel.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "fixtures/nats_server.hpp"
#include "fixtures/redis_cluster.hpp"

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
    std::stop_source stop;
    std::jthread ingest([&] { h.run(stop.get_token()); });
    std::jthread publisher([&] {
        for (const auto& e : events) h.transport().publish(e.envelope);
    });
    std::atomic<bool> done{false};
    std::atomic<std::size_t> answers{0};
    std::vector<std::jthread> readers;
    for (std::size_t r = 0; r < 2; ++r)
        readers.emplace_back([&, r] {
            for (std::size_t i = r; !done; ++i) {
                try {
                    std::vector<std::string> ids{events[i % total].event.id, events[(i * 7) % total].event.id};
                    for (const auto& e : h.get_events(ids)) CHECK_FALSE(e.payload.empty());
                    answers += h.get_events_for_user(gen.users()[i % gen.users().size()]).size();
                } catch (const eh::StoreError&) {
                    // not connected yet: the next round asks again
                }
            }
        });

    publisher.join();
    REQUIRE(eh_test::eventually([&] { return h.counters().acks >= total; }, 180s, 5ms));
    done = true;
    stop.request_stop();
    ingest.join();
    readers.clear();

    CHECK(h.counters().acks == total);
    CHECK(h.counters().stored == total);
    CHECK(answers > 0);
    for (std::size_t u = 0; u < 3; ++u) { // exact, whatever the index caught up with
        const auto& user = gen.users()[u];
        std::size_t holding = 0;
        for (const auto& e : events) holding += eh::index::contains_bounded(e.event.payload, user);
        CHECK(h.get_events_for_user(user).size() == holding);
    }
}

} // namespace

TEST_CASE("store concurrency: nats-js-kv: ingest, queries and its indexer at once") {
    eh_test::NatsServer nats;
    eh::store::StoreSettings s;
    s.nodes = {nats.endpoint()};
    ingest_and_query(eh::store::NatsKvStore::make(s), 1500);
}

TEST_CASE("store concurrency: redis-sentinel: ingest and queries at once") {
    eh_test::RedisCluster cluster({.replicas = 1, .sentinels = 1});
    eh::store::StoreSettings s;
    s.nodes = cluster.nodes();
    s.table = "tsan:";
    ingest_and_query(eh::store::RedisSentinelStore::make(s), 1500);
}
