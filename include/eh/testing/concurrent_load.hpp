#pragma once
// Ingest and queries at once, for concurrency tests of any store (run under ThreadSanitizer):
// the history's ingest loop runs while the events are published into its ScriptedTransport and
// reader threads query it by id and by user; a caller's own thread may run beside them.
#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "eh/error.hpp"
#include "eh/testing/generator.hpp"

namespace eh::testing {

struct LoadResult {
    std::size_t answers = 0;        ///< events the user queries returned
    std::size_t empty_payloads = 0; ///< events GetEvents returned without their payload (never expected)
};

/// Runs until every event is acked or timeout passes; beside(stop) runs on a thread of its own
/// meanwhile (e.g. calling maintain()). Store errors of the readers (not connected yet) are
/// retried.
template <class History>
LoadResult ingest_while_querying(History& h, const std::vector<GeneratedEvent>& events,
                                 const std::vector<std::string>& users, std::size_t readers,
                                 std::chrono::seconds timeout,
                                 std::function<void(std::stop_token)> beside = {}) {
    std::stop_source stop;
    std::jthread ingest([&] { h.run(stop.get_token()); });
    std::jthread publisher([&] {
        for (const auto& e : events) h.transport().publish(e.envelope);
    });
    std::atomic<std::size_t> answers{0}, empty{0};
    std::vector<std::jthread> threads;
    for (std::size_t r = 0; r < readers; ++r)
        threads.emplace_back([&, r](std::stop_token done) {
            // Until done, and once more after: each reader queries the whole history at least
            // once, however the threads were scheduled.
            for (std::size_t i = r, last = 0; !last; ++i) {
                last = done.stop_requested();
                try {
                    std::vector<std::string> ids{events[i % events.size()].event.id,
                                                 events[(i * 7) % events.size()].event.id};
                    for (const auto& e : h.get_events(ids)) empty += e.payload.empty();
                    answers += h.get_events_for_user(users[i % users.size()]).size();
                } catch (const StoreError&) {
                    // not reachable yet: the next round asks again
                }
            }
        });
    if (beside) threads.emplace_back(beside);
    publisher.join();
    for (const auto deadline = std::chrono::steady_clock::now() + timeout;
         h.counters().acks < events.size() && std::chrono::steady_clock::now() < deadline;)
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    threads.clear(); // stop and join the readers first: they query the history
    stop.request_stop();
    ingest.join();
    return {answers, empty};
}

} // namespace eh::testing
