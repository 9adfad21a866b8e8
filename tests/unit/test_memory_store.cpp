// Store `memory`: idempotence, TTL from the event's timestamp, bounds, eviction order.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/store/by_name.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/noop.hpp"
#include "eh/testing/manual_clock.hpp"

using namespace std::chrono_literals;
using eh::Event;
using Clock = eh::testing::ManualClock;
using Store = eh::store::BasicMemoryStore<Clock>;
using Codec = eh::codec::OcisStoreEvent;

static_assert(eh::Store<eh::store::MemoryStore, Codec>);
static_assert(eh::Store<eh::store::NoopStore, Codec>);
static_assert(eh::NamedStore<eh::store::MemoryStore> && eh::NamedStore<eh::store::NoopStore>);

namespace {
const Codec codec;
const eh::Timestamp t0{std::chrono::seconds{1'764'306'870}};

Event ev(std::string id, eh::Timestamp at, std::string payload = "{}") {
    return Event{.id = std::move(id), .type = "events.X", .payload = std::move(payload), .timestamp = at};
}
std::vector<std::string> ids_of(const std::vector<Event>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.id);
    return out;
}
std::vector<std::string> all_ids(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("e" + std::to_string(i));
    return out;
}
} // namespace

TEST_CASE("memory: put is idempotent by id; a redelivery is counted as a duplicate") {
    Clock clock(t0);
    Store store({}, clock);
    std::vector<Event> batch{ev("a", t0, R"({"v":1})"), ev("b", t0), ev("a", t0, R"({"v":2})")};
    auto s = store.put(batch, codec);
    CHECK(s.stored == 2);
    CHECK(s.duplicates == 1);
    s = store.put(std::span(batch).first(1), codec);
    CHECK(s.stored == 0);
    CHECK(s.duplicates == 1);
    CHECK(store.size() == 2);
    std::vector<std::string> q{"b", "missing", "a"};
    auto got = store.get(q, codec);
    REQUIRE(ids_of(got) == std::vector<std::string>{"b", "a"}); // request order, unknown skipped
    CHECK(got[1].payload == R"({"v":1})");                      // the first write wins
}

TEST_CASE("memory: TTL counts from the event's timestamp; expired is invisible at once, reclaimed after") {
    Clock clock(t0);
    Store store({.ttl = 1h}, clock);
    std::vector<Event> batch{ev("old", t0 - 50min, R"({"u":"alice"})"), ev("new", t0, R"({"u":"alice"})")};
    store.put(batch, codec);
    std::vector<std::string> q{"old", "new"};
    CHECK(store.get(q, codec).size() == 2);
    clock.advance(10min + 1ns);
    CHECK(ids_of(store.get(q, codec)) == std::vector<std::string>{"new"});
    CHECK(ids_of(store.find_by_user("alice", codec)) == std::vector<std::string>{"new"});
    CHECK(store.size() == 2); // invisible, not yet reclaimed
    store.maintain();
    CHECK(store.size() == 1);
    // An expired id may be stored again with a newer timestamp.
    std::vector<Event> again{ev("old", clock.now())};
    CHECK(store.put(again, codec).stored == 1);
}

TEST_CASE("memory: an event already older than the TTL on arrival is not stored") {
    Clock clock(t0);
    Store store({.ttl = 1h}, clock);
    std::vector<Event> batch{ev("ancient", t0 - 2h), ev("fresh", t0)};
    auto s = store.put(batch, codec);
    CHECK(s.expired == 1);
    CHECK(s.stored == 1);
    CHECK(store.size() == 1);
}

TEST_CASE("memory: an event without a timestamp lives from when it was stored") {
    Clock clock(t0);
    Store store({.ttl = 1h}, clock);
    std::vector<Event> batch{ev("x", eh::Timestamp{})};
    CHECK(store.put(batch, codec).stored == 1);
    std::vector<std::string> q{"x"};
    auto got = store.get(q, codec);
    REQUIRE(got.size() == 1);
    CHECK(got[0].timestamp == t0);
    clock.advance(1h);
    CHECK(store.get(q, codec).empty());
}

TEST_CASE("memory: bounded by events, evicting the oldest (by event timestamp) first") {
    Clock clock(t0);
    Store store({.max_events = 3, .shards = 1}, clock);
    std::vector<Event> batch{ev("e2", t0 + 2s), ev("e0", t0), ev("e1", t0 + 1s), ev("e3", t0 + 3s), ev("e4", t0 + 4s)};
    store.put(batch, codec);
    CHECK(store.size() == 3);
    auto q = all_ids(5);
    CHECK(ids_of(store.get(q, codec)) == std::vector<std::string>{"e2", "e3", "e4"});
}

TEST_CASE("memory: bounded by bytes") {
    Clock clock(t0);
    const std::string payload(100, 'x');
    // Each record counts id (2) + type (8) + payload (100) = 110 bytes.
    Store store({.max_bytes = 350, .shards = 1}, clock);
    std::vector<Event> batch;
    for (int i = 0; i < 6; ++i) batch.push_back(ev("e" + std::to_string(i), t0 + std::chrono::seconds{i}, payload));
    store.put(batch, codec);
    CHECK(store.bytes() <= 350);
    CHECK(store.size() == 3);
    auto q = all_ids(6);
    CHECK(ids_of(store.get(q, codec)) == std::vector<std::string>{"e3", "e4", "e5"});
}

TEST_CASE("memory: the bound holds across shards, and evicted events leave the user index") {
    Clock clock(t0);
    Store store({.max_events = 100, .shards = 16}, clock);
    std::vector<Event> batch;
    for (int i = 0; i < 1000; ++i)
        batch.push_back(ev("e" + std::to_string(i), t0 + std::chrono::milliseconds{i}, R"({"u":"bob"})"));
    for (std::size_t i = 0; i < batch.size(); i += 50) store.put(std::span(batch).subspan(i, 50), codec);
    CHECK(store.size() <= 100);
    auto found = store.find_by_user("bob", codec);
    CHECK(found.size() == store.size());
    CHECK(std::is_sorted(found.begin(), found.end(),
                         [](const Event& a, const Event& b) { return a.timestamp < b.timestamp; }));
}

TEST_CASE("memory: the index survives slot reuse and compaction") {
    Clock clock(t0);
    Store store({.ttl = 1h, .shards = 1, .index_in_background = false}, clock);
    // Many generations of short-lived events force slot reuse and index compaction; each is
    // indexed (maintain(), as the ingest loop does once caught up) before the next comes.
    std::size_t most_entries = 0;
    for (int gen = 0; gen < 20; ++gen) {
        std::vector<Event> batch;
        for (int i = 0; i < 500; ++i)
            batch.push_back(ev("g" + std::to_string(gen) + "-" + std::to_string(i), clock.now(),
                               R"({"owner":"u)" + std::to_string(i % 7) + R"(","gen":)" + std::to_string(gen) + "}"));
        store.put(batch, codec);
        store.maintain();
        CHECK(store.queued() == 0);
        most_entries = std::max(most_entries, store.index_entries());
        clock.advance(1h);
    }
    // Without compaction the index ends at 14,000 entries (700 per generation); with it, it
    // never holds more than 4,000.
    CHECK(most_entries <= 6'000);
    clock.advance(-1h); // the last generation is alive again
    auto found = store.find_by_user("u3", codec);
    CHECK(found.size() == 71); // i % 7 == 3 for 71 of 0..499
    for (const auto& e : found) CHECK(e.id.rfind("g19-", 0) == 0);
}

TEST_CASE("memory: the index waits while writes keep coming, until maintain() or the lag bound") {
    Clock clock(t0);
    Store store({.index_lag = 100}, clock);
    auto batch_of = [](int first, int n) {
        std::vector<Event> batch;
        for (int i = first; i < first + n; ++i) batch.push_back(ev("e" + std::to_string(i), t0, R"({"u":"alice"})"));
        return batch;
    };
    // The worker runs at the lowest priority: on a busy machine it may wait long for a core.
    auto settles = [&](auto done) {
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
        return done();
    };
    store.put(batch_of(0, 60), codec);
    std::this_thread::sleep_for(20ms);
    CHECK(store.queued() == 60);                          // a backlog: the worker was not asked
    CHECK(store.find_by_user("alice", codec).size() == 60); // still exact, from the queue
    store.maintain();                                     // caught up: index now
    CHECK(settles([&] { return store.queued() == 0; }));
    for (int i = 0; i < 20; ++i) store.put(batch_of(1000 + 10 * i, 10), codec);
    // 200 more: past the bound of 100 the worker indexes beside the writes.
    CHECK(settles([&] { return store.queued() <= 100; }));
    CHECK(store.find_by_user("alice", codec).size() == 260);
}

TEST_CASE("memory: the id table keeps every id findable through inserts, erases and collisions") {
    // Against std::unordered_map, with hashes from a small range: long probe runs that wrap
    // around the array, and backward-shift deletion in the middle of them.
    eh::store::detail::memory::IdTable table;
    std::unordered_map<std::uint32_t, std::uint64_t> model; // slot -> hash
    std::mt19937_64 rng(3);
    for (int step = 0; step < 200'000; ++step) {
        const std::uint32_t slot = static_cast<std::uint32_t>(rng() % 3000);
        const std::uint64_t hash = rng() % 512;
        auto same = [&](std::uint32_t s) { return s == slot; };
        if (auto it = model.find(slot); it == model.end()) {
            REQUIRE_FALSE(table.find(hash, same));
            table.insert(hash, slot);
            model[slot] = hash;
        } else if (rng() % 2) {
            REQUIRE(table.find(it->second, same) == slot);
            table.erase(it->second, slot);
            REQUIRE_FALSE(table.find(it->second, same));
            model.erase(it);
        }
        REQUIRE(table.size() == model.size());
    }
    for (const auto& [slot, hash] : model) CHECK(table.find(hash, [&](std::uint32_t s) { return s == slot; }) == slot);
}

TEST_CASE("memory: user ids without any word character are answered by a scan, still exactly") {
    Clock clock(t0);
    Store store({}, clock);
    std::vector<Event> batch{ev("a", t0, R"({"u":"@@"})"), ev("b", t0, R"({"u":"x@@"})"), ev("c", t0, R"({"u":"-@@"})")};
    store.put(batch, codec);
    CHECK(ids_of(store.find_by_user("@@", codec)) == std::vector<std::string>{"a", "c"});
    CHECK(store.find_by_user("", codec).empty());
}

TEST_CASE("noop: stores nothing, finds nothing, never fails") {
    eh::store::NoopStore store;
    std::vector<Event> batch{ev("a", t0)};
    auto s = store.put(batch, codec);
    CHECK(s.stored == 0);
    std::vector<std::string> q{"a"};
    CHECK(store.get(q, codec).empty());
    CHECK(store.find_by_user("a", codec).empty());
}

TEST_CASE("store list: a store is picked by name from a compile-time list") {
    using List = eh::store::StoreList<eh::store::MemoryStore, eh::store::NoopStore>;
    CHECK(List::names() == std::vector<std::string_view>{"memory", "noop"});
    std::string picked;
    CHECK(List::visit("noop", [&](auto type) { picked = decltype(type)::type::name; }));
    CHECK(picked == "noop");
    CHECK_FALSE(List::visit("redis", [&](auto) { picked = "wrong"; }));
    CHECK(picked == "noop");
}
