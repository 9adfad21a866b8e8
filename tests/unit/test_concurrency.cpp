// Concurrent ingest and queries on the memory store (CI runs this under ThreadSanitizer).
#include <doctest/doctest.h>

#include <functional>
#include <thread>
#include <vector>

#include "eh/event_history.hpp"
#include "eh/store/memory.hpp"
#include "eh/testing/concurrent_load.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/scripted_transport.hpp"

using namespace std::chrono_literals;
using eh::testing::ScriptedTransport;

namespace {
/// Ingest, queries and (with_maintainer) a thread calling maintain(), all at once.
void ingest_and_query(bool with_maintainer, std::size_t index_lag) {
    constexpr std::size_t total = 4000;
    eh::testing::EventGenerator gen({.seed = 5, .users = 20, .start = eh::SystemClock{}.now() - 1h});
    std::vector<eh::testing::GeneratedEvent> events;
    for (std::size_t i = 0; i < total; ++i) events.push_back(gen.next());

    eh::EventHistory<ScriptedTransport, eh::store::MemoryStore> h(
        ScriptedTransport{}, eh::store::MemoryStore({.max_events = 3000, .index_lag = index_lag}), {},
        {.batch = 64, .fetch_wait = 1ms});
    std::function<void(std::stop_token)> maintainer;
    if (with_maintainer)
        maintainer = [&](std::stop_token stop) {
            while (!stop.stop_requested()) {
                h.store().maintain();
                std::this_thread::sleep_for(1ms);
            }
        };
    const auto load = eh::testing::ingest_while_querying(h, events, gen.users(), 3, 60s, maintainer);

    CHECK(h.counters().acks == total);
    CHECK(h.counters().stored == total);
    CHECK(h.store().size() <= 3000);
    CHECK(load.answers > 0);
    CHECK(load.empty_payloads == 0);
}
} // namespace

TEST_CASE("concurrency: one ingest loop, several query threads, a maintenance thread") {
    ingest_and_query(true, eh::store::MemoryOptions{}.index_lag);
}

TEST_CASE("concurrency: the index worker adds postings beside the writes (past the lag bound)") {
    ingest_and_query(false, 50);
}
