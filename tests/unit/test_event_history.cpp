// EventHistory<Transport, Store, Codec> with the mock policies of eh/testing/.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "broken_policies.hpp"
#include "eh/event_history.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/noop.hpp"
#include "eh/testing/failing_store.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/manual_clock.hpp"
#include "eh/testing/scripted_transport.hpp"

using namespace std::chrono_literals;
using eh::testing::ScriptedTransport;
using Memory = eh::store::BasicMemoryStore<eh::testing::ManualClock>;
using Failing = eh::testing::FailingStore<Memory>;

static_assert(eh::Transport<ScriptedTransport>);
static_assert(eh::Store<Failing, eh::codec::OcisStoreEvent>);

namespace {
// A policy that misses a requirement is not a Transport/Store/Codec.
static_assert(!eh::Transport<broken::Transport>);
static_assert(!eh::Store<broken::Store, eh::codec::OcisStoreEvent>);
static_assert(!eh::Codec<broken::Codec>);

template <class Store = Memory>
struct Fixture {
    // An hour after the generator's first event: the events are not in the future.
    eh::testing::ManualClock clock{eh::Timestamp{std::chrono::seconds{1'764'306'870 + 3600}}};
    eh::testing::EventGenerator gen{{.seed = 11, .users = 10}};
    std::vector<eh::testing::GeneratedEvent> published;

    void publish(eh::EventHistory<ScriptedTransport, Store>& h, int n) {
        for (int i = 0; i < n; ++i) {
            published.push_back(gen.next());
            h.transport().publish(published.back().envelope);
        }
    }
    std::vector<std::string> ids() const {
        std::vector<std::string> out;
        for (const auto& g : published) out.push_back(g.event.id);
        return out;
    }
};

/// A memory store that refuses (eh::StoreRefusal) every batch holding one of the ids in
/// `refused`, as a store does with a record it cannot hold.
struct RefusingStore {
    Memory inner;
    std::set<std::string> refused;
    std::size_t puts = 0;

    template <class Codec>
    eh::PutStats put(std::span<const eh::Event> batch, const Codec& codec) {
        ++puts;
        for (const auto& e : batch)
            if (refused.contains(e.id)) throw eh::StoreRefusal("the record of " + e.id + " is too large for the store");
        return inner.put(batch, codec);
    }
    template <class Codec>
    std::vector<eh::Event> get(std::span<const std::string> ids, const Codec& codec) const {
        return inner.get(ids, codec);
    }
    template <class Codec>
    std::vector<eh::Event> find_by_user(std::string_view user, const Codec& codec) const {
        return inner.find_by_user(user, codec);
    }
};

/// What spdlog's default logger writes while this lives.
class CapturedLog {
public:
    CapturedLog() : previous_(spdlog::default_logger()) {
        spdlog::set_default_logger(
            std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)));
    }
    ~CapturedLog() { spdlog::set_default_logger(previous_); }
    std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

/// Ingests until nothing is left to fetch (NAKed messages come back at once here).
template <class H>
void drain(H& h) {
    for (int i = 0; i < 1000 && (h.ingest_once() > 0 || h.transport().pending() > 0); ++i) {
    }
}
} // namespace

TEST_CASE("ingest: a batch is decoded, stored, then every message acked") {
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock), {}, {.batch = 64});
    f.publish(h, 100);
    CHECK(h.ingest_once() == 64);
    CHECK(h.ingest_once() == 36);
    CHECK(h.ingest_once() == 0);
    CHECK(h.transport().acked().size() == 100);
    CHECK(h.counters().stored == 100);
    CHECK(h.counters().acks == 100);
    CHECK(h.counters().batches == 2);
    auto ids = f.ids();
    auto got = h.get_events(ids);
    REQUIRE(got.size() == 100);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == f.published[i].event);
}

TEST_CASE("ingest: malformed messages among valid ones are terminated; the valid ones stored and acked") {
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock));
    f.publish(h, 2);                                   // seq 1, 2
    h.transport().publish("garbage");                  // seq 3
    f.publish(h, 1);                                   // seq 4
    h.transport().publish(R"({"ID":"x","Payload":"!"})"); // seq 5
    f.publish(h, 1);                                   // seq 6
    h.ingest_once();
    auto termed = h.transport().termed();
    CHECK(std::set<std::uint64_t>(termed.begin(), termed.end()) == std::set<std::uint64_t>{3, 5});
    auto acked = h.transport().acked();
    CHECK(std::set<std::uint64_t>(acked.begin(), acked.end()) == std::set<std::uint64_t>{1, 2, 4, 6});
    CHECK(h.counters().malformed == 2);
    CHECK(h.counters().stored == 4);
    auto ids = f.ids();
    CHECK(h.get_events(ids).size() == 4);
}

TEST_CASE("ingest: if the store fails, nothing of the batch is acked; it is NAKed with a growing backoff") {
    Fixture<Failing> f;
    eh::EventHistory<ScriptedTransport, Failing> h(ScriptedTransport{/*redeliver_naks=*/true},
                                                   Failing(Memory({}, f.clock)), {},
                                                   {.nak_delay = 100ms, .nak_delay_max = 350ms});
    f.publish(h, 10);
    h.store().fail();
    CHECK_FALSE(h.ready());
    h.ingest_once();
    CHECK(h.transport().acked().empty());
    CHECK(h.transport().naked().size() == 10);
    CHECK(h.transport().last_nak_delay() == 100ms);
    CHECK(h.counters().store_errors == 1);
    CHECK(h.last_store_error() == "the store is unavailable"); // what /readyz may say: no hosts
    h.ingest_once();
    CHECK(h.transport().last_nak_delay() == 200ms);
    h.ingest_once();
    CHECK(h.transport().last_nak_delay() == 350ms); // capped
    CHECK(h.transport().acked().empty());

    h.store().fail(false);
    CHECK(h.ready());
    h.ingest_once(); // the redelivered batch
    CHECK(h.transport().acked().size() == 10);
    CHECK(h.counters().stored == 10);
    auto ids = f.ids();
    CHECK(h.get_events(ids).size() == 10);
}

TEST_CASE("ingest: a redelivered event is stored once and counted as a duplicate") {
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock));
    f.publish(h, 5);
    h.transport().publish(f.published[2].envelope); // as after a lost ack
    h.ingest_once();
    CHECK(h.counters().stored == 5);
    CHECK(h.counters().duplicates == 1);
    CHECK(h.transport().acked().size() == 6);
    CHECK(h.store().size() == 5);
}

TEST_CASE("ingest: events without Metadata.eventid are stored under the envelope ID and counted") {
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock));
    h.transport().publish(R"({"ID":"micro-7","Metadata":{"eventtype":"events.X"},"Payload":"e30="})");
    h.ingest_once();
    CHECK(h.counters().id_fallbacks == 1);
    std::vector<std::string> q{"micro-7"};
    REQUIRE(h.get_events(q).size() == 1);
}

TEST_CASE("queries: request order, unknown ids skipped, user events in timestamp order") {
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock));
    f.publish(h, 200);
    while (h.ingest_once()) {
    }
    std::vector<std::string> q{f.published[7].event.id, "nope", f.published[3].event.id};
    auto got = h.get_events(q);
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == q[0]);
    CHECK(got[1].id == q[2]);
    auto user = h.get_events_for_user(f.gen.users()[0]);
    CHECK_FALSE(user.empty());
    CHECK(std::is_sorted(user.begin(), user.end(),
                         [](const eh::Event& a, const eh::Event& b) { return a.timestamp < b.timestamp; }));
}

TEST_CASE("run: a stop request ends the loop after the batch in hand is settled") {
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock), {},
                                                  {.batch = 16, .fetch_wait = 1ms});
    f.publish(h, 100);
    std::stop_source stop;
    std::jthread loop([&] { h.run(stop.get_token()); });
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         h.counters().acks < 100 && std::chrono::steady_clock::now() < deadline;)
        std::this_thread::yield();
    stop.request_stop();
    loop.join();
    CHECK(h.counters().acks == 100);
    CHECK(h.transport().pending() == 0);
}

TEST_CASE("noop store: every message is acked, nothing is kept") {
    Fixture<eh::store::NoopStore> f;
    eh::EventHistory<ScriptedTransport, eh::store::NoopStore> h(ScriptedTransport{}, eh::store::NoopStore{});
    f.publish(h, 3);
    h.ingest_once();
    CHECK(h.transport().acked().size() == 3);
    auto ids = f.ids();
    CHECK(h.get_events(ids).empty());
}

TEST_CASE("run: after a failed store write the loop pauses for the NAK delay instead of hammering") {
    Fixture<Failing> f;
    eh::EventHistory<ScriptedTransport, Failing> h(ScriptedTransport{/*redeliver_naks=*/true},
                                                   Failing(Memory({}, f.clock)), {},
                                                   {.fetch_wait = 1ms, .nak_delay = 100ms, .nak_delay_max = 100ms});
    f.publish(h, 5);
    h.store().fail();
    std::stop_source stop;
    const auto failing_since = std::chrono::steady_clock::now();
    std::jthread loop([&] { h.run(stop.get_token()); });
    std::this_thread::sleep_for(450ms); // an outage of at least this long
    h.store().fail(false);
    const auto outage = std::chrono::steady_clock::now() - failing_since;
    for (auto deadline = std::chrono::steady_clock::now() + 60s;
         h.counters().acks < 5 && std::chrono::steady_clock::now() < deadline;)
        std::this_thread::sleep_for(1ms);
    stop.request_stop();
    loop.join();
    // At most one attempt per NAK delay of outage (a slow machine makes fewer, never more):
    // about 5 in 450 ms, not thousands.
    CHECK(h.counters().store_errors >= 1);
    CHECK(h.counters().store_errors <= static_cast<std::uint64_t>(outage / 100ms) + 1);
    CHECK(h.counters().acks == 5);
}

TEST_CASE("ingest: an event the store refuses is isolated; the rest of its batch is stored, it is terminated after "
          "max_refusals tries with a log line and a count") {
    CapturedLog log;
    Fixture<RefusingStore> f;
    eh::EventHistory<ScriptedTransport, RefusingStore> h(ScriptedTransport{/*redeliver_naks=*/true},
                                                         RefusingStore{Memory({}, f.clock)}, {},
                                                         {.batch = 256, .max_refusals = 3});
    f.publish(h, 300);
    const std::string poison = f.published[100].event.id; // stream sequence 101
    h.store().refused.insert(poison);
    drain(h);
    CHECK(h.transport().acked().size() == 299);
    CHECK(h.counters().stored == 299);
    CHECK(h.transport().termed() == std::vector<std::uint64_t>{101});
    CHECK(h.transport().naked() == std::vector<std::uint64_t>{101, 101}); // tried three times in all
    CHECK(h.counters().refused == 1);
    CHECK(h.counters().store_errors == 0); // not an outage
    // The halving finds it in ~2 log2(256) writes, not one per event.
    CHECK(h.store().puts < 3 * 2 * 9 + 2);
    const std::string text = log.text();
    CHECK(text.find("stream sequence 101") != std::string::npos);
    CHECK(text.find(poison) != std::string::npos);
    CHECK(text.find("too large for the store") != std::string::npos);
    auto ids = f.ids();
    CHECK(h.get_events(ids).size() == 299);
}

TEST_CASE("ingest: a store that is down is retried without limit: nothing is terminated, whatever the tries") {
    Fixture<Failing> f;
    eh::EventHistory<ScriptedTransport, Failing> h(ScriptedTransport{/*redeliver_naks=*/true},
                                                   Failing(Memory({}, f.clock)), {}, {.max_refusals = 2});
    f.publish(h, 20);
    h.store().fail();
    for (int i = 0; i < 10; ++i) h.ingest_once();
    CHECK(h.transport().termed().empty());
    CHECK(h.transport().acked().empty());
    CHECK(h.counters().store_errors == 10);
    h.store().fail(false);
    drain(h);
    CHECK(h.transport().acked().size() == 20);
    CHECK(h.transport().termed().empty());
}

TEST_CASE("ingest: a malformed message is terminated with a log line naming its stream sequence and why") {
    CapturedLog log;
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock), {},
                                                  {.decode = {.max_bytes = 4000}});
    f.publish(h, 1);                                       // seq 1
    h.transport().publish("garbage");                      // seq 2
    h.transport().publish(R"({"ID":"big","Payload":")" + std::string(8000, 'A') + "\"}"); // seq 3: over 4000 bytes
    h.ingest_once();
    CHECK(h.transport().termed() == std::vector<std::uint64_t>{2, 3});
    const std::string text = log.text();
    CHECK(text.find("stream sequence 2 (7 bytes): not JSON") != std::string::npos);
    CHECK(text.find("stream sequence 3") != std::string::npos);
    CHECK(text.find("message too large") != std::string::npos);
}

TEST_CASE("log lines go to the logger the library user set, not spdlog's default") {
    CapturedLog default_log;
    std::ostringstream mine;
    eh::set_logger(std::make_shared<spdlog::logger>("mine", std::make_shared<spdlog::sinks::ostream_sink_mt>(mine)));
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({}, f.clock));
    h.transport().publish("garbage");
    h.ingest_once();
    eh::set_logger(nullptr); // back to the default for the other tests
    CHECK(mine.str().find("terminated message at stream sequence 1") != std::string::npos);
    CHECK(default_log.text().empty());
    CHECK(eh::logger() == spdlog::default_logger());
}

TEST_CASE("ingest: the events a bounded store evicts are counted and logged") {
    CapturedLog log;
    Fixture f;
    eh::EventHistory<ScriptedTransport, Memory> h(ScriptedTransport{}, Memory({.max_events = 10, .shards = 1}, f.clock));
    f.publish(h, 30);
    drain(h);
    CHECK(h.counters().stored == 30);
    CHECK(h.counters().evicted == 20);
    CHECK(log.text().find("20 events evicted") != std::string::npos);
}
