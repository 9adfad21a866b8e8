// Concurrent ingest and queries on the memory store (CI runs this under ThreadSanitizer).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "eh/event_history.hpp"
#include "eh/store/memory.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/scripted_transport.hpp"

using namespace std::chrono_literals;
using eh::testing::ScriptedTransport;

namespace {
/// Ingest, queries and (with_maintainer) a thread calling maintain(), all at once.
void ingest_and_query(bool with_maintainer, std::size_t index_lag) {
    constexpr int total = 4000;
    eh::testing::EventGenerator gen({.seed = 5, .users = 20, .start = eh::SystemClock{}.now()});
    std::vector<eh::testing::GeneratedEvent> events;
    for (int i = 0; i < total; ++i) events.push_back(gen.next());

    eh::EventHistory<ScriptedTransport, eh::store::MemoryStore> h(
        ScriptedTransport{}, eh::store::MemoryStore({.max_events = 3000, .index_lag = index_lag}), {},
        {.batch = 64, .fetch_wait = 1ms});
    std::stop_source stop;
    std::jthread ingest([&] { h.run(stop.get_token()); });
    std::jthread publisher([&] {
        for (const auto& e : events) h.transport().publish(e.envelope);
    });

    std::atomic<bool> done{false};
    std::atomic<std::size_t> answers{0};
    std::vector<std::jthread> readers;
    for (int r = 0; r < 3; ++r)
        readers.emplace_back([&, r] {
            // Until done, and once more after: each reader queries the full store at least once,
            // however the threads were scheduled.
            std::size_t i = static_cast<std::size_t>(r);
            for (bool last = false; !last; ++i) {
                last = done;
                std::vector<std::string> ids{events[i % total].event.id, events[(i * 7) % total].event.id};
                for (const auto& e : h.get_events(ids)) CHECK_FALSE(e.payload.empty());
                answers += h.get_events_for_user(gen.users()[i % gen.users().size()]).size();
            }
        });
    std::jthread maintainer([&] {
        while (with_maintainer && !done) {
            h.store().maintain();
            std::this_thread::sleep_for(1ms);
        }
    });

    publisher.join();
    for (auto deadline = std::chrono::steady_clock::now() + 60s;
         h.counters().acks < static_cast<std::uint64_t>(total) && std::chrono::steady_clock::now() < deadline;)
        std::this_thread::sleep_for(1ms);
    done = true;
    stop.request_stop();
    ingest.join();
    readers.clear();
    maintainer.join();

    CHECK(h.counters().acks == total);
    CHECK(h.counters().stored == total);
    CHECK(h.store().size() <= 3000);
    CHECK(answers > 0);
}
} // namespace

TEST_CASE("concurrency: one ingest loop, several query threads, a maintenance thread") {
    ingest_and_query(true, eh::store::MemoryOptions{}.index_lag);
}

TEST_CASE("concurrency: the index worker adds postings beside the writes (past the lag bound)") {
    ingest_and_query(false, 50);
}
