// The nats_jetstream transport against a real nats-server with JetStream: what ocis
// publishes ends up stored, nothing is acked that is not stored, and NATS outages,
// restarts and vanished consumers cost no event.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "eh/clock.hpp"
#include "eh/event_history.hpp"
#include "eh/store/memory.hpp"
#include "eh/testing/failing_store.hpp"
#include "eh/testing/generator.hpp"
#include "eh/transport/nats_jetstream.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/nats_publisher.hpp"

using namespace std::chrono_literals;
using eh::transport::ConsumerMode;
using eh::transport::NatsJetStream;
using eh::transport::NatsOptions;
using Memory = eh::store::MemoryStore;
using History = eh::EventHistory<NatsJetStream, Memory>;
using FailingHistory = eh::EventHistory<NatsJetStream, eh::testing::FailingStore<Memory>>;

static_assert(eh::Transport<NatsJetStream>);

namespace {
using Clock = std::chrono::steady_clock;
/// How long a test waits for what must happen: only a bound on a hang, never a speed check.
/// Longer than the default ack wait (30 s): nats-server 2.9 may hold a NAKed message back
/// until then (see "the consumer's ack floor ...").
constexpr std::chrono::milliseconds patience = 60s;
/// Bounds a stop that must not hang (the stop itself takes one fetch wait: 100 ms).
constexpr std::chrono::milliseconds stop_bound = 10s;

/// Runs ingest_once() on this thread until pred holds; false if it still does not after `within`.
template <class H, class Pred>
bool ingest_until(H& h, Pred pred, std::chrono::milliseconds within = patience) {
    const auto deadline = Clock::now() + within;
    while (!pred()) {
        if (Clock::now() > deadline) return false;
        h.ingest_once();
    }
    return true;
}

NatsOptions options_for(const eh::testing::NatsServer& server, ConsumerMode mode = ConsumerMode::shared) {
    NatsOptions o;
    o.connection.endpoints = {server.endpoint()};
    o.connection.retry_max = 500ms; // the tests wait for reconnects: keep the backoff short
    o.mode = mode;
    return o;
}

eh::IngestOptions fast_ingest() {
    eh::IngestOptions o;
    o.fetch_wait = 100ms;
    o.nak_delay = 50ms;
    o.nak_delay_max = 200ms;
    return o;
}

/// Events stamped from an hour ago (none in the future, which the store would clamp), so that
/// the memory store's TTL (from the event's time) keeps them.
std::vector<eh::testing::GeneratedEvent> generate(std::size_t n, std::uint64_t seed) {
    eh::testing::EventGenerator gen({.seed = seed, .start = eh::SystemClock{}.now() - 1h, .step = 1ms});
    std::vector<eh::testing::GeneratedEvent> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(gen.next());
    return out;
}
std::vector<std::string> envelopes(const std::vector<eh::testing::GeneratedEvent>& events) {
    std::vector<std::string> out;
    for (const auto& g : events) out.push_back(g.envelope);
    return out;
}

/// How many of events the history does not return exactly as published (by id, in order;
/// asked for 1000 at a time, within an answer's limits).
template <class H>
std::size_t missing_or_different(const H& h, const std::vector<eh::testing::GeneratedEvent>& events) {
    std::size_t bad = 0;
    for (std::size_t first = 0; first < events.size(); first += 1000) {
        const std::size_t n = std::min<std::size_t>(1000, events.size() - first);
        std::vector<std::string> ids;
        for (std::size_t i = first; i < first + n; ++i) ids.push_back(events[i].event.id);
        const auto got = h.get_events(ids);
        bad += n - std::min(n, got.size());
        for (std::size_t i = 0; i < got.size() && i < n; ++i) bad += got[i] == events[first + i].event ? 0 : 1;
    }
    return bad;
}

std::uint64_t stored(const History& h) { return h.counters().stored.load(); }

/// A running nats-server with the ocis stream, and a publisher on it.
struct Bus {
    eh::testing::NatsServer server;
    eh::testing::NatsPublisher pub{server.endpoint()};
    Bus() { pub.create_stream(); }

    /// n new events, published and stored by the server.
    std::vector<eh::testing::GeneratedEvent> publish(std::size_t n, std::uint64_t seed) {
        auto events = generate(n, seed);
        pub.publish_all(envelopes(events));
        return events;
    }
};

/// Once the acks sent are processed: the consumer's ack floor is the stream's last sequence,
/// and nothing is pending or in flight.
template <class H>
void check_all_settled(H& h, eh::testing::NatsPublisher& pub, std::uint64_t last_sequence) {
    REQUIRE(h.transport().flush(patience));
    const auto consumer = pub.consumer_info("eventhistory");
    CHECK(consumer->AckFloor.Stream == last_sequence);
    CHECK(consumer->NumAckPending == 0);
    CHECK(consumer->NumPending == 0);
}
} // namespace

TEST_CASE("the stream is created when missing, as ocis creates it") {
    eh::testing::NatsServer server;
    NatsOptions o = options_for(server);
    o.max_ack_pending = 777;
    o.ack_wait = 7s;
    History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
    CHECK_FALSE(h.ready());
    REQUIRE(ingest_until(h, [&] { return h.ready(); }));

    eh::testing::NatsPublisher pub(server.endpoint());
    const auto stream = pub.stream_info();
    REQUIRE(stream->Config->SubjectsLen == 1);
    CHECK(std::string(stream->Config->Subjects[0]) == "main-queue");
    CHECK(stream->Config->Storage == js_FileStorage);
    CHECK(stream->Config->Retention == js_LimitsPolicy);
    CHECK(stream->Config->MaxAge == 0);

    const auto consumer = pub.consumer_info("eventhistory");
    CHECK(std::string(consumer->Config->Durable) == "eventhistory");
    CHECK(consumer->Config->AckPolicy == js_AckExplicit);
    CHECK(consumer->Config->DeliverPolicy == js_DeliverAll);
    CHECK(consumer->Config->MaxAckPending == 777);
    CHECK(consumer->Config->AckWait == std::chrono::nanoseconds(7s).count());
    CHECK(consumer->Config->DeliverSubject == nullptr); // a pull consumer
}

TEST_CASE("a backlog published before the consumer starts is ingested completely") {
    constexpr std::size_t n = 20'000;
    Bus bus;
    const auto events = bus.publish(n, 2);

    History h(NatsJetStream(options_for(bus.server)), Memory{}, {}, fast_ingest());
    h.ingest_once();
    CHECK(h.ready());
    CHECK(h.transport().pending() == n); // the lag as of binding
    REQUIRE(ingest_until(h, [&] { return stored(h) == n; }));

    CHECK(missing_or_different(h, events) == 0);
    CHECK(h.counters().received == n);
    CHECK(h.counters().acks == n);
    CHECK(h.counters().duplicates == 0);
    CHECK(h.counters().malformed == 0);
    // The lag is refreshed while ingesting goes on, and drops to nothing.
    CHECK(ingest_until(h, [&] { return h.transport().pending() == 0; }));
    check_all_settled(h, bus.pub, n);
}

TEST_CASE("malformed messages are terminated and counted, never redelivered; the valid ones are stored") {
    Bus bus;
    const auto events = generate(40, 3);
    const std::vector<std::string> malformed = {
        "not json at all",
        R"([1,2,3])",
        R"({"Metadata":{"eventid":"x1","eventtype":"events.X"},"Payload":"***not base64***"})",
        R"({"Timestamp":"yesterday","Metadata":{"eventid":"x2"},"Payload":""})",
        R"({"Metadata":{"eventid":"x3"},"Payload":"e30=")", // truncated
    };
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < events.size(); ++i) {
        bodies.push_back(events[i].envelope);
        if (i % 8 == 3) bodies.push_back(malformed[i / 8]);
    }
    REQUIRE(bodies.size() == events.size() + malformed.size());
    bus.pub.publish_all(bodies);

    NatsOptions o = options_for(bus.server);
    o.ack_wait = 2s; // a message left unsettled would come back within the test
    History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
    REQUIRE(ingest_until(h, [&] { return h.counters().received >= bodies.size(); }));
    CHECK(missing_or_different(h, events) == 0);
    CHECK(h.counters().stored == events.size());
    CHECK(h.counters().malformed == malformed.size());
    CHECK(h.counters().terms == malformed.size());

    // Longer than the ack wait: nothing comes again.
    const auto until = Clock::now() + 3s;
    while (Clock::now() < until) h.ingest_once();
    CHECK(h.counters().received == bodies.size());
    check_all_settled(h, bus.pub, bodies.size());
    CHECK(bus.pub.consumer_info("eventhistory")->NumRedelivered == 0);
}

TEST_CASE("the consumer's ack floor never passes an event the store does not hold") {
    constexpr std::size_t n = 500;
    Bus bus;
    const auto events = bus.publish(n, 4);

    // nats-server 2.9 sometimes delivers a NAKed message twice and holds another one back until
    // its ack wait ends (nats-server#5305, fixed in 2.10.15): a short ack wait keeps the test short.
    NatsOptions o = options_for(bus.server);
    o.ack_wait = 2s;
    FailingHistory h(NatsJetStream(o), eh::testing::FailingStore<Memory>{}, {}, fast_ingest());
    h.store().fail(true);
    // Refused by the store twice as often as there are messages.
    REQUIRE(ingest_until(h, [&] { return h.counters().naks >= 2 * n; }));
    REQUIRE(h.transport().flush(patience));
    {
        const auto consumer = bus.pub.consumer_info("eventhistory");
        CHECK(consumer->AckFloor.Stream == 0);
        CHECK(consumer->NumRedelivered > 0);
        CHECK(h.counters().acks == 0);
        CHECK(h.counters().stored == 0);
        CHECK(h.counters().store_errors > 0);
    }

    h.store().fail(false);
    REQUIRE(ingest_until(h, [&] { return h.counters().stored == n; }));
    CHECK(missing_or_different(h, events) == 0);
    check_all_settled(h, bus.pub, n);
}

TEST_CASE("NATS down at start: not ready, stoppable, and ready by itself once NATS comes") {
    constexpr std::size_t n = 2'000;
    eh::testing::NatsServer server(/*start_now=*/false);
    History h(NatsJetStream(options_for(server)), Memory{}, {}, fast_ingest());

    {
        std::jthread loop([&](std::stop_token stop) { h.run(stop); });
        std::this_thread::sleep_for(300ms); // a while without NATS (an absence: nothing to poll)
        CHECK_FALSE(h.ready());
        const auto asked = Clock::now();
        loop.request_stop();
        loop.join();
        CHECK(Clock::now() - asked < stop_bound); // the loop stays stoppable while NATS is away
    }

    std::jthread loop([&](std::stop_token stop) { h.run(stop); });
    server.start();
    REQUIRE(eh::testing::eventually([&] { return h.ready(); }, patience));
    eh::testing::NatsPublisher pub(server.endpoint());
    const auto events = generate(n, 5);
    pub.publish_all(envelopes(events)); // into the stream the transport created
    CHECK(eh::testing::eventually([&] { return stored(h) == n; }, patience));
    loop.request_stop();
    loop.join();
    CHECK(missing_or_different(h, events) == 0);
}

TEST_CASE("NATS killed and restarted mid-ingest under continuous publishing: nothing is lost") {
    constexpr std::size_t n = 6'000;
    Bus bus;
    const auto events = generate(n, 6);

    History h(NatsJetStream(options_for(bus.server, ConsumerMode::instance)), Memory{}, {}, fast_ingest());
    std::jthread loop([&](std::stop_token stop) { h.run(stop); });
    eh::testing::ContinuousPublisher producer(bus.server.endpoint(), events, n / 2);

    REQUIRE(eh::testing::eventually([&] { return stored(h) >= n / 4; }, patience));
    bus.server.kill();
    producer.release(); // the rest is published across the outage
    bus.server.start();
    REQUIRE(producer.finish());
    CHECK(eh::testing::eventually([&] { return h.store().size() == n; }, patience));
    loop.request_stop();
    loop.join();
    CHECK(missing_or_different(h, events) == 0);
    CHECK(h.counters().stored == n); // redeliveries, if any, are duplicates, not new events
}

TEST_CASE("instance mode: every instance stores every event") {
    constexpr std::size_t n = 5'000;
    Bus bus;
    const auto events = bus.publish(n, 7);
    {
        History a(NatsJetStream(options_for(bus.server, ConsumerMode::instance)), Memory{}, {}, fast_ingest());
        History b(NatsJetStream(options_for(bus.server, ConsumerMode::instance)), Memory{}, {}, fast_ingest());
        CHECK(a.transport().consumer() != b.transport().consumer());
        std::jthread la([&](std::stop_token stop) { a.run(stop); });
        std::jthread lb([&](std::stop_token stop) { b.run(stop); });
        CHECK(eh::testing::eventually([&] { return stored(a) == n && stored(b) == n; }, patience));
        la.request_stop();
        lb.request_stop();
        la.join();
        lb.join();
        CHECK(missing_or_different(a, events) == 0);
        CHECK(missing_or_different(b, events) == 0);
        CHECK(bus.pub.consumers().size() == 2);
    }
    CHECK(bus.pub.consumers().empty()); // a clean stop removes the instance's own consumer
}

TEST_CASE("acks off (a private store's own consumer): an AckNone consumer, every event stored, nothing tracked") {
    constexpr std::size_t n = 3'000;
    Bus bus;
    const auto events = bus.publish(n, 15);
    NatsOptions o = options_for(bus.server, ConsumerMode::instance);
    o.acks = false;
    History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
    REQUIRE(ingest_until(h, [&] { return stored(h) == n; }));
    CHECK(missing_or_different(h, events) == 0);
    const auto consumer = bus.pub.consumer_info(h.transport().consumer());
    CHECK(consumer->Config->AckPolicy == js_AckNone);
    CHECK(consumer->NumAckPending == 0);
    CHECK(consumer->NumPending == 0);
    CHECK(consumer->NumRedelivered == 0);
}

TEST_CASE("shared mode: instances on one durable consumer store every event exactly once between them") {
    // Which instance the server hands a message to is its scheduling, not a promise. So each
    // instance first runs alone (both take part, whatever the scheduler does), then both at
    // once; what must hold is that together they store every event once, each acking only
    // what it stored.
    constexpr std::size_t part = 2'000;
    Bus bus;
    auto run = [](History& h) { return std::jthread([&h](std::stop_token stop) { h.run(stop); }); };
    std::vector<eh::testing::GeneratedEvent> events;
    auto publish = [&](std::size_t n, std::uint64_t seed) {
        auto more = bus.publish(n, seed);
        events.insert(events.end(), more.begin(), more.end());
        return more;
    };
    auto check_acked_what_it_stored = [](const History& h) {
        CHECK(h.counters().acks == h.counters().stored + h.counters().duplicates);
        CHECK(h.counters().naks == 0);
    };

    std::uint64_t stored_by_first = 0;
    {
        History a(NatsJetStream(options_for(bus.server)), Memory{}, {}, fast_ingest());
        auto la = run(a);
        const auto first = publish(part, 8);
        REQUIRE(eh::testing::eventually([&] { return stored(a) == part; }, patience));
        la.request_stop();
        la.join();
        CHECK(missing_or_different(a, first) == 0);
        check_acked_what_it_stored(a);
        stored_by_first = stored(a);
    } // a stops: what its open requests brought since goes back to the consumer (NAK)

    History b(NatsJetStream(options_for(bus.server)), Memory{}, {}, fast_ingest());
    {
        auto lb = run(b);
        const auto second = publish(part, 9);
        REQUIRE(eh::testing::eventually([&] { return stored(b) == part; }, patience));
        CHECK(missing_or_different(b, second) == 0);
    }

    History c(NatsJetStream(options_for(bus.server)), Memory{}, {}, fast_ingest());
    {
        auto lc = run(c), lb = run(b);
        publish(2 * part, 10);
        CHECK(eh::testing::eventually([&] { return stored_by_first + stored(c) + stored(b) == 4 * part; }, patience));
    }
    CHECK(stored_by_first + stored(c) + stored(b) == 4 * part); // nothing stored twice
    check_acked_what_it_stored(c);
    check_acked_what_it_stored(b);
    // The two running ones hold every event published since the first stopped (asked for
    // 1000 at a time, within an answer's limits).
    std::set<std::string> held;
    for (std::size_t first = part; first < events.size(); first += 1000) {
        std::vector<std::string> ids;
        for (std::size_t i = first; i < std::min(events.size(), first + 1000); ++i) ids.push_back(events[i].event.id);
        for (const auto& e : c.get_events(ids)) held.insert(e.id);
        for (const auto& e : b.get_events(ids)) held.insert(e.id);
    }
    CHECK(held.size() == 3 * part);
    REQUIRE(c.transport().flush(patience));
    check_all_settled(b, bus.pub, 4 * part);
    CHECK(bus.pub.consumers() == std::vector<std::string>{"eventhistory"});
}

TEST_CASE("a consumer that vanished is created again: deleted, or lost with the server's store") {
    constexpr std::size_t n = 1'000;
    Bus bus;
    History h(NatsJetStream(options_for(bus.server)), Memory{}, {}, fast_ingest());
    std::jthread loop([&](std::stop_token stop) { h.run(stop); });

    const auto first = bus.publish(n, 9);
    REQUIRE(eh::testing::eventually([&] { return h.store().size() == n; }, patience));

    SUBCASE("deleted by an operator") {
        bus.pub.delete_consumer("eventhistory");
        const auto second = bus.publish(n, 10);
        CHECK(eh::testing::eventually([&] { return h.store().size() == 2 * n; }, patience));
        CHECK(missing_or_different(h, second) == 0);
    }
    SUBCASE("server restarted without its store: stream and consumer are created again") {
        bus.server.kill();
        bus.server.wipe_store();
        bus.server.start();
        // The new stream starts at sequence 1 again: the transport must not resume at the old position.
        REQUIRE(eh::testing::eventually([&] {
            try {
                bus.pub.stream_info();
                return true;
            } catch (const std::exception&) {
                return false;
            }
        }, patience));
        const auto second = bus.publish(n, 11);
        CHECK(eh::testing::eventually([&] { return h.store().size() == 2 * n; }, patience));
        CHECK(missing_or_different(h, second) == 0);
    }
    loop.request_stop();
    loop.join();
    CHECK(bus.pub.consumers() == std::vector<std::string>{"eventhistory"});
}

TEST_CASE("an existing durable consumer that would lose events is refused, never used or changed") {
    eh::testing::NatsServer server;
    eh::testing::NatsPublisher pub(server.endpoint());
    SUBCASE("no explicit acks: a message would count as stored before it is") {
        pub.create_stream();
        pub.add_pull_consumer("eventhistory", js_AckNone, "main-queue");
    }
    SUBCASE("another filter: the events of main-queue would pass it by") {
        pub.create_stream_with({"main-queue", "other"});
        pub.add_pull_consumer("eventhistory", js_AckExplicit, "other");
    }
    const auto events = generate(10, 31);
    pub.publish_all(envelopes(events));
    History h(NatsJetStream(options_for(server)), Memory{}, {}, fast_ingest());
    for (int i = 0; i < 10; ++i) h.ingest_once(); // each a fetch wait: it keeps trying to set up
    CHECK_FALSE(h.transport().ready());
    CHECK(stored(h) == 0);
    const auto consumer = pub.consumer_info("eventhistory");
    CHECK(consumer->NumAckPending == 0);
    CHECK(consumer->Delivered.Stream == 0); // nothing was fetched through it
}

TEST_CASE("where a new consumer starts: deliver policy new, and the instance replay window") {
    Bus bus;
    bus.publish(50, 12); // old: published before the consumer exists, and before the window
    const auto new_events = generate(50, 13);

    SUBCASE("deliver new: only what is published after the consumer was created") {
        NatsOptions o = options_for(bus.server);
        o.deliver = eh::transport::DeliverPolicy::new_only;
        History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
        REQUIRE(ingest_until(h, [&] { return h.ready(); }));
        bus.pub.publish_all(envelopes(new_events));
        REQUIRE(ingest_until(h, [&] { return stored(h) == new_events.size(); }));
        CHECK(missing_or_different(h, new_events) == 0);
        CHECK(h.counters().received == new_events.size());
    }
    SUBCASE("instance mode skips, server-side, what the stream stored before the window") {
        // Old events 4 s old, the window 2 s: the consumer may be created up to 2 s after the
        // new events were published (a slow machine) and still start between the two.
        std::this_thread::sleep_for(4s);
        bus.pub.publish_all(envelopes(new_events));
        NatsOptions o = options_for(bus.server, ConsumerMode::instance);
        o.replay_window = 2s;
        History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
        REQUIRE(ingest_until(h, [&] { return stored(h) == new_events.size(); }));
        CHECK(h.ingest_once() == 0); // nothing older follows
        CHECK(missing_or_different(h, new_events) == 0);
        CHECK(h.counters().received == new_events.size());
    }
}

TEST_CASE("user/password: the right ones ingest; wrong ones keep it unready but alive") {
    eh::testing::NatsServer server(true, {"--user", "eh", "--pass", "s3cret"});
    eh::testing::NatsPublisher pub(server.endpoint(), "eh", "s3cret");
    REQUIRE(eh::testing::eventually([&] { return pub.connected(); }, patience));
    pub.create_stream();
    const auto events = generate(100, 14);
    pub.publish_all(envelopes(events));

    SUBCASE("right") {
        NatsOptions o = options_for(server);
        o.connection.username = "eh";
        o.connection.password = "s3cret";
        History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
        REQUIRE(ingest_until(h, [&] { return stored(h) == events.size(); }));
        CHECK(missing_or_different(h, events) == 0);
    }
    SUBCASE("wrong") {
        NatsOptions o = options_for(server);
        o.connection.username = "eh";
        o.connection.password = "wrong";
        History h(NatsJetStream(o), Memory{}, {}, fast_ingest());
        std::jthread loop([&](std::stop_token stop) { h.run(stop); });
        std::this_thread::sleep_for(1500ms); // cnats gives up after two refusals; the transport starts over
        CHECK_FALSE(h.ready());
        CHECK(h.counters().received == 0);
        const auto asked = Clock::now();
        loop.request_stop();
        loop.join();
        CHECK(Clock::now() - asked < stop_bound);
    }
}

TEST_CASE("options cnats rejects fail at construction, naming what is wrong") {
    NatsOptions o;
    o.connection.endpoints = {"127.0.0.1:1"};
    o.connection.tls.enable = true;
    o.connection.tls.root_ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_WITH_AS(NatsJetStream{o}, "NATS: TLS root CA file /nonexistent/ca.pem is not readable",
                         std::invalid_argument);
    o.connection.tls = {};
    o.connection.endpoints = {" , "};
    CHECK_THROWS_WITH_AS(NatsJetStream{o}, "NATS: no endpoint given", std::invalid_argument);
}

TEST_CASE("backlog progress: logged at info every period with done/total, rate and time left") {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
    eh::transport::detail::BacklogProgress progress("consumer 'x'", 1'000, 5s);
    const auto t0 = Clock::now();

    progress.lag(500, t0); // small: no backlog
    progress.settled(500, t0 + 6s);
    CHECK(sink->last_formatted().empty());

    progress.lag(10'000, t0 + 10s);
    progress.settled(2'000, t0 + 12s); // within the period: silent
    CHECK(sink->last_formatted().empty());
    progress.settled(2'000, t0 + 15s);
    progress.lag(6'000, t0 + 16s);
    progress.settled(3'000, t0 + 20s);
    progress.lag(0, t0 + 21s);
    const auto lines = sink->last_formatted();
    spdlog::set_default_logger(previous);

    REQUIRE(lines.size() == 3);
    CHECK(lines[0].find("backlog 4000/10000 (40%), 800 events/s, about 8 s left") != std::string::npos);
    CHECK(lines[1].find("backlog 7000/10000 (70%), 700 events/s, about 4 s left") != std::string::npos);
    CHECK(lines[2].find("backlog caught up: 7000 events in 11.0 s") != std::string::npos);
}
