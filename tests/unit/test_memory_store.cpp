// Store `memory`: idempotence, TTL from the event's timestamp, bounds, eviction order.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
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
#include "eh/testing/store_contract.hpp"

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
    Clock clock(t0 + 1h);
    Store store({.max_events = 3, .shards = 1}, clock);
    std::vector<Event> batch{ev("e2", t0 + 2s), ev("e0", t0), ev("e1", t0 + 1s), ev("e3", t0 + 3s), ev("e4", t0 + 4s)};
    store.put(batch, codec);
    CHECK(store.size() == 3);
    auto q = all_ids(5);
    CHECK(ids_of(store.get(q, codec)) == std::vector<std::string>{"e2", "e3", "e4"});
}

TEST_CASE("memory: bounded by bytes, counting what each event takes beside its text") {
    Clock clock(t0 + 1h);
    const std::string payload(100, 'x');
    Store probe({.shards = 1}, clock);
    std::vector<Event> one{ev("e0", t0, payload)};
    probe.put(one, codec);
    const std::size_t each = probe.bytes();
    CHECK(each > 110); // id (2) + type (8) + payload (100), and its slot, id and expiry entries
    Store store({.max_bytes = 3 * each + each / 2, .shards = 1}, clock);
    std::vector<Event> batch;
    for (int i = 0; i < 6; ++i) batch.push_back(ev("e" + std::to_string(i), t0 + std::chrono::seconds{i}, payload));
    CHECK(store.put(batch, codec).evicted == 3); // counted, not silent
    CHECK(store.bytes() <= 3 * each + each / 2);
    CHECK(store.size() == 3);
    auto q = all_ids(6);
    CHECK(ids_of(store.get(q, codec)) == std::vector<std::string>{"e3", "e4", "e5"});
}

TEST_CASE("memory: the byte count includes the index, and the bound evicts for it") {
    Clock clock(t0);
    std::string words; // 200 distinct tokens: 200 index entries
    for (int i = 0; i < 200; ++i) words += " w" + std::to_string(i);
    Store store({.shards = 1, .index_in_background = false}, clock);
    std::vector<Event> batch{ev("a", t0, words), ev("b", t0 + 1s, words)};
    store.put(batch, codec);
    const std::size_t unindexed = store.bytes();
    store.index_queued_now();
    CHECK(store.bytes() >= unindexed + 2 * 200 * 4); // at least a 4-byte slot number per entry

    Store bounded({.max_bytes = unindexed, .shards = 1, .index_in_background = false}, clock);
    bounded.put(batch, codec);
    bounded.index_queued_now(); // the index pushes it over its bound...
    std::vector<Event> more{ev("c", t0 + 2s, "{}")};
    CHECK(bounded.put(more, codec).evicted >= 1); // ...which the next write restores
    CHECK(bounded.bytes() <= unindexed);
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

TEST_CASE("memory: a user id beyond its bounds is refused before any work") {
    Clock clock(t0);
    Store store({.limits = {.max_user_id_bytes = 64, .max_user_id_runs = 4}}, clock);
    std::vector<Event> batch{ev("a", t0, R"({"u":":"})"), ev("b", t0, R"({"u":"a b c d e"})")};
    store.put(batch, codec);
    // No word character: bounded by non-word characters in nearly every payload.
    for (const char* user : {":", "-", "", "@@"}) CHECK_THROWS_AS(store.find_by_user(user, codec), eh::InvalidQuery);
    CHECK_THROWS_WITH_AS(store.find_by_user("a b c d e", codec), doctest::Contains("max_user_id_runs"), eh::InvalidQuery);
    CHECK_THROWS_WITH_AS(store.find_by_user(std::string(65, 'a'), codec), doctest::Contains("max_user_id_bytes"),
                         eh::InvalidQuery);
    CHECK(ids_of(store.find_by_user("a b c d", codec)) == std::vector<std::string>{"b"}); // at the bounds: answered
}

TEST_CASE("memory: an answer beyond its limits is refused, naming the limit") {
    Clock clock(t0);
    std::vector<Event> batch;
    for (int i = 0; i < 20; ++i) batch.push_back(ev("e" + std::to_string(i), t0, R"({"u":"carol","pad":")" + std::string(1000, 'p') + "\"}"));
    auto ids = all_ids(20);
    Store by_events({.limits = {.max_events = 10}}, clock);
    by_events.put(batch, codec);
    CHECK_THROWS_WITH_AS(by_events.find_by_user("carol", codec), doctest::Contains("max_events"), eh::AnswerTooLarge);
    CHECK_THROWS_WITH_AS(by_events.get(ids, codec), doctest::Contains("max_events"), eh::AnswerTooLarge);
    CHECK(by_events.get(std::span(ids).first(10), codec).size() == 10);

    Store by_bytes({.limits = {.max_bytes = 5 * 1024}}, clock); // ~1 KiB per event
    by_bytes.put(batch, codec);
    CHECK_THROWS_WITH_AS(by_bytes.find_by_user("carol", codec), doctest::Contains("max_bytes"), eh::AnswerTooLarge);
    CHECK_THROWS_WITH_AS(by_bytes.get(ids, codec), doctest::Contains("max_bytes"), eh::AnswerTooLarge);
    CHECK(by_bytes.get(std::span(ids).first(4), codec).size() == 4);
    // The bytes counted are those of the GetEventsResponse: within 4 KiB + a little per event.
    std::size_t encoded = 0;
    for (const auto& e : by_bytes.get(std::span(ids).first(4), codec)) encoded += eh::store::response_bytes(e);
    CHECK(encoded > 4 * 1000);
    CHECK(encoded < 4 * 1100);
}

TEST_CASE("memory: a user id whose words are in every event stops at max_candidates, not at the store's end") {
    Clock clock(t0);
    // Both runs are everywhere (saturated: no list), the literal nowhere: without the bound,
    // every event would be read.
    Store store({.saturation_floor = 16, .index_in_background = false, .limits = {.max_candidates = 500}}, clock);
    std::vector<Event> batch;
    for (int i = 0; i < 2000; ++i)
        batch.push_back(ev("e" + std::to_string(i), t0, R"({"idp":"x","opaque_id":")" + std::to_string(i) + R"("})"));
    store.put(batch, codec);
    store.index_queued_now();
    CHECK_THROWS_WITH_AS(store.find_by_user("idp opaque_id", codec), doctest::Contains("max_candidates"),
                         eh::AnswerTooLarge);
    CHECK_THROWS_AS(store.find_by_user("opaque_id", codec), eh::AnswerTooLarge);
    CHECK(ids_of(store.find_by_user("1999", codec)) == std::vector<std::string>{"e1999"}); // a rare run still answers
}

namespace {
/// A clock that, once armed, stops the thread that reads it the second time after until
/// released: a user query (which reads it once per chunk) paused after its first chunk.
struct GateClock {
    struct Gate {
        std::mutex m;
        std::condition_variable cv;
        int reads_to_pause = 0; // armed: > 0
        bool paused = false, released = false;
    };
    std::shared_ptr<Gate> gate = std::make_shared<Gate>();
    eh::Timestamp now() const {
        std::unique_lock lock(gate->m);
        if (gate->reads_to_pause > 0 && --gate->reads_to_pause == 0) {
            gate->paused = true;
            gate->cv.notify_all();
            gate->cv.wait(lock, [&] { return gate->released; });
        }
        return t0;
    }
};
} // namespace

TEST_CASE("memory: a long user query holds no lock between its chunks: writes go on meanwhile") {
    GateClock clock;
    eh::store::BasicMemoryStore<GateClock> store({.index_in_background = false}, clock);
    std::vector<Event> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(ev("e" + std::to_string(i), t0, R"({"u":"dave"})"));
    store.put(batch, codec);
    store.index_queued_now();
    {
        std::lock_guard lock(clock.gate->m);
        clock.gate->reads_to_pause = 2;
    }
    std::size_t answered = 0;
    std::thread query([&] { answered = store.find_by_user("dave", codec).size(); });
    {
        std::unique_lock lock(clock.gate->m); // the query is paused after its first chunk
        REQUIRE(clock.gate->cv.wait_for(lock, 60s, [&] { return clock.gate->paused; }));
    }
    // Every shard's write lock, while the query is paused: would wait for ever if it held one.
    std::atomic<bool> written{false};
    std::thread writer([&] {
        std::vector<Event> more;
        for (int i = 0; i < 64; ++i) more.push_back(ev("w" + std::to_string(i), t0, R"({"u":"erin"})"));
        store.put(more, codec);
        written = true;
    });
    for (int i = 0; i < 6000 && !written; ++i) std::this_thread::sleep_for(10ms);
    CHECK(written.load());
    {
        std::lock_guard lock(clock.gate->m);
        clock.gate->released = true;
        clock.gate->cv.notify_all();
    }
    query.join();
    writer.join();
    CHECK(answered == 1000);
}

TEST_CASE("memory: one expiry rule: a future timestamp lives TTL from the write; a huge TTL does not overflow") {
    Clock clock(t0);
    Store store({.ttl = 1h}, clock);
    std::vector<Event> batch{ev("future", t0 + 24h * 365 * 100)}; // dated 100 years ahead
    CHECK(store.put(batch, codec).stored == 1);
    std::vector<std::string> q{"future"};
    CHECK(store.get(q, codec).size() == 1);
    clock.advance(1h + 1s);
    CHECK(store.get(q, codec).empty()); // not kept for a century

    Store forever({.ttl = std::chrono::nanoseconds::max()}, clock);
    std::vector<Event> old{ev("old", t0 - 24h * 365)};
    CHECK(forever.put(old, codec).stored == 1); // not "expired" by an overflowing sum
    std::vector<std::string> q2{"old"};
    CHECK(forever.get(q2, codec).size() == 1);
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

TEST_CASE("store contract: memory (on a manual clock) and noop (keeps nothing)") {
    auto memory = eh::testing::check_store_contract<Store>([](Clock& clock) { return Store({}, clock); });
    INFO(memory.text());
    CHECK(memory.ok());
    CHECK(memory.clauses.size() == 10); // every clause, the two that move time included

    auto noop = eh::testing::check_store_contract<eh::store::NoopStore>([] { return eh::store::NoopStore{}; },
                                                                         {.keeps_events = false});
    INFO(noop.text());
    CHECK(noop.ok());
}

namespace {
/// Memory stores that each break one promise: the kit must say which.
struct ReversedGet : Store {
    using Store::Store;
    template <class C>
    std::vector<Event> get(std::span<const std::string> ids, const C& c) const {
        auto found = Store::get(ids, c);
        std::reverse(found.begin(), found.end());
        return found;
    }
};
struct UnorderedUserAnswer : Store {
    using Store::Store;
    template <class C>
    std::vector<Event> find_by_user(std::string_view user, const C& c) const {
        auto found = Store::find_by_user(user, c);
        std::reverse(found.begin(), found.end());
        return found;
    }
};
template <class Broken>
std::vector<std::string> broken_clauses() {
    const auto report = eh::testing::check_store_contract<Broken>([](Clock& clock) { return Broken({}, clock); });
    std::vector<std::string> out;
    for (const auto& f : report.failures) out.push_back(f.substr(0, f.find(':')));
    return out;
}
} // namespace

TEST_CASE("store contract: a store that breaks a promise fails the clause that holds it") {
    CHECK(broken_clauses<ReversedGet>() == std::vector<std::string>{"get"});
    CHECK(broken_clauses<UnorderedUserAnswer>() == std::vector<std::string>{"user queries"});
}
