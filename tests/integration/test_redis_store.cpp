// Store `redis-sentinel` against real Redis: a master, a replica and three sentinels started
// by eh/testing/redis_cluster.hpp. The ocis layout byte for byte, the user index against the
// reference scan, idempotence, the replica guarantee, a failover and a full outage.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/config/error.hpp"
#include "eh/detail/base64.hpp"
#include "eh/event_history.hpp"
#include "eh/index/match.hpp"
#include "eh/store/redis_sentinel.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "eh/testing/store_contract.hpp"
#include "eh/testing/redis_cluster.hpp"

using namespace std::chrono_literals;
using eh::Event;
using Store = eh::store::RedisSentinelStore;
using Codec = eh::codec::OcisStoreEvent;
using eh::testing::eventually;
using eh::testing::RedisCluster;
using Command = eh::store::detail::redis::Command;
using History = eh::EventHistory<eh::testing::ScriptedTransport, Store>;

static_assert(eh::Store<Store, Codec> && eh::NamedStore<Store> && eh::HasReady<Store> && eh::HasMaintain<Store>);

namespace {

const Codec codec;
constexpr long long ttl_seconds = 336 * 3600;
/// How long a test waits for what must happen: a bound on a hang, never a speed check.
constexpr auto patience = 60s;

/// One deployment for the tests that neither stop nor kill anything; each uses its own table.
RedisCluster& shared_cluster() {
    static RedisCluster cluster;
    return cluster;
}

eh::store::RedisSentinelOptions options_for(RedisCluster& cluster, std::string table) {
    return {.nodes = cluster.nodes(), .table = std::move(table)};
}

/// Events as the bus carries them, timestamped from an hour ago (the TTL counts from the
/// timestamp; one in the future would be clamped to the write).
struct Generated {
    std::vector<Event> events;
    std::vector<std::string> envelopes, ids;
    std::vector<std::string> users;
};
Generated generate(std::size_t n, eh::testing::GeneratorOptions options) {
    options.start = eh::SystemClock{}.now() - 1h;
    options.step = 1ms;
    eh::testing::EventGenerator gen(options);
    Generated out;
    for (std::size_t i = 0; i < n; ++i) {
        auto g = gen.next();
        out.ids.push_back(g.event.id);
        out.envelopes.push_back(std::move(g.envelope));
        out.events.push_back(std::move(g.event));
    }
    out.users = gen.users();
    return out;
}

std::vector<std::string> ids_of(const std::vector<Event>& events) {
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.id);
    return ids;
}

/// What a record keeps of an event (ocis's StoreEvent has no timestamp or trace context).
struct Kept {
    std::string id, type, payload;
    friend bool operator==(const Kept&, const Kept&) = default;
};
std::vector<Kept> kept(const std::vector<Event>& events) {
    std::vector<Kept> out;
    for (const auto& e : events) out.push_back({e.id, e.type, e.payload});
    return out;
}

void put_in_batches(Store& store, std::span<const Event> events, std::size_t batch = 256) {
    for (std::size_t i = 0; i < events.size(); i += batch)
        store.put(events.subspan(i, std::min(batch, events.size() - i)), codec);
}

std::string get_string(RedisCluster::Connection& c, const std::string& key) {
    auto r = c.call(Command("GET", key), "GET");
    return r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string("(nil)");
}
long long integer(RedisCluster::Connection& c, const Command& cmd) { return c.call(cmd, "command")->integer; }

namespace redis = eh::store::detail::redis;

/// A posting as the index should hold it: partition, tag, event id (redis/postings.hpp).
using Posting = std::tuple<std::size_t, std::string, std::string>;

/// Every posting each event should have in the index: one per distinct token of its payload.
std::multiset<Posting> postings_of(std::span<const Event> events) {
    std::multiset<Posting> out;
    for (const auto& e : events) {
        std::vector<eh::index::Token> tokens;
        eh::index::tokenize(e.payload, tokens);
        for (auto t : tokens) {
            std::string tag;
            redis::append_tag(tag, t);
            out.emplace(redis::partition_of(t), tag, e.id);
        }
    }
    return out;
}

std::vector<std::string> strings(const redisReply& array) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array.elements; ++i) out.emplace_back(redis::text(*array.element[i]));
    return out;
}

/// The names of partition k's lists, one per window.
std::vector<std::string> lists_of(RedisCluster::Connection& index_db, const redis::IndexKeys& keys, std::size_t k) {
    return strings(*index_db.call(Command("KEYS", keys.partition(k) + "*"), "KEYS"));
}

/// The blobs of one list: the batch's number, its postings.
struct Blob {
    std::string number, postings;
};
std::vector<Blob> blobs_in(RedisCluster::Connection& index_db, const std::string& list) {
    std::vector<Blob> out;
    for (const auto& blob : strings(*index_db.call(Command("LRANGE", list, 0, -1), "LRANGE"))) {
        REQUIRE(blob.size() > 16);
        REQUIRE((blob.size() - 16) % redis::posting_size == 0);
        out.push_back({blob.substr(0, 16), blob.substr(16)});
    }
    return out;
}

/// The ids of the events a blob names, once per posting, through its batch's list; "" when
/// that list has expired (a window's list may outlive it by up to a window).
std::vector<std::string> ids_in(RedisCluster::Connection& index_db, const redis::IndexKeys& keys, const Blob& blob) {
    std::vector<std::string> ids;
    for (std::size_t p = 0; p < blob.postings.size(); p += redis::posting_size) {
        const auto event =
            static_cast<unsigned char>(blob.postings[p + 4]) * 256 + static_cast<unsigned char>(blob.postings[p + 5]);
        auto entry = index_db.call(Command("LINDEX", keys.batch() + blob.number, event - 1), "LINDEX");
        REQUIRE((entry->type == REDIS_REPLY_NIL || redis::text(*entry).size() > 16)); // timestamp, id
        ids.emplace_back(entry->type == REDIS_REPLY_NIL ? "" : redis::text(*entry).substr(16));
    }
    return ids;
}

/// Every posting the index of a table holds.
std::multiset<Posting> postings_in(RedisCluster::Connection& index_db, const redis::IndexKeys& keys) {
    std::multiset<Posting> out;
    for (std::size_t k = 0; k < redis::partitions; ++k)
        for (const auto& list : lists_of(index_db, keys, k))
            for (const auto& blob : blobs_in(index_db, list)) {
                const auto ids = ids_in(index_db, keys, blob);
                for (std::size_t i = 0; i < ids.size(); ++i)
                    if (!ids[i].empty()) out.emplace(k, blob.postings.substr(i * redis::posting_size, 4), ids[i]);
            }
    return out;
}

/// Runs the ingest loop on its own thread.
class IngestLoop {
public:
    explicit IngestLoop(History& history)
        : thread_([&history](std::stop_token stop) {
              while (!stop.stop_requested()) {
                  const auto naks = history.counters().naks.load();
                  if (history.ingest_once() == 0) {
                      std::this_thread::sleep_for(1ms);
                  } else if (history.counters().naks.load() != naks) {
                      // A broker redelivers NAKed messages after a delay; ScriptedTransport at once.
                      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(history.transport().last_nak_delay(), 50ms));
                  }
              }
          }) {}

    void stop() {
        thread_.request_stop();
        if (thread_.joinable()) thread_.join();
    }

private:
    std::jthread thread_;
};

/// An ingest loop over the deployment whose transport redelivers NAKed messages, as JetStream does.
History ingesting(RedisCluster& cluster, std::string table) {
    return History(eh::testing::ScriptedTransport(/*redeliver_naks=*/true), Store(options_for(cluster, std::move(table))),
                   {}, {.batch = 64});
}

/// True when every message published so far was acked exactly once and none waits.
bool all_acked(const History& history, std::size_t published) {
    const auto acked = history.transport().acked();
    return history.transport().pending() == 0 && acked.size() == published &&
           std::set<std::uint64_t>(acked.begin(), acked.end()).size() == published;
}

} // namespace

TEST_CASE("store contract: redis-sentinel (a table of its own per clause)") {
    RedisCluster& cluster = shared_cluster();
    int table = 0;
    auto report = eh::testing::check_store_contract<Store>(
        [&] { return Store(options_for(cluster, "contract" + std::to_string(++table) + ":")); });
    INFO(report.text());
    CHECK(report.ok());
}

TEST_CASE("redis-sentinel: bad nodes are a configuration error, one line naming the node") {
    auto error_of = [](std::vector<std::string> nodes) -> std::string {
        try {
            Store store({.nodes = std::move(nodes)});
        } catch (const eh::config::ConfigError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK(error_of({}) == "redis-sentinel store: no nodes (nodes are host:port/master, e.g. 127.0.0.1:26379/mymaster)");
    for (std::string bad : {"127.0.0.1:26379", "127.0.0.1/m", "127.0.0.1:x/m", "127.0.0.1:26379/", ":26379/m",
                            "127.0.0.1:0/m", "::1:26379/m", "127.0.0.1:1/m/n", "127.0.0.1:70000/m"}) {
        CAPTURE(bad);
        CHECK(error_of({bad}).find("malformed node \"" + bad + "\"") != std::string::npos);
    }
    CHECK(error_of({"127.0.0.1:1/a", "127.0.0.1:2/b"}).find("different masters (\"a\" and \"b\")") != std::string::npos);

    // Well-formed nodes connect on first use, and no answer is a StoreError naming each sentinel.
    Store nobody({.nodes = {"127.0.0.1:1/m", "[::1]:2/m"}});
    CHECK_FALSE(nobody.ready());
    std::vector<Event> one{{.id = "x", .type = "events.X", .payload = "{}"}};
    try {
        nobody.put(one, codec);
        FAIL("put without any sentinel must throw");
    } catch (const eh::StoreError& e) {
        const std::string what = e.what();
        CHECK(what.find("no sentinel gave the address of master \"m\"") != std::string::npos);
        CHECK(what.find("127.0.0.1:1") != std::string::npos);
        CHECK(what.find("[::1]:2") != std::string::npos);
    }
    CHECK_FALSE(nobody.ready());
}

TEST_CASE("redis-sentinel: a sentinel that accepts but never answers costs one timeout, not a hang") {
    const int port = eh::testing::free_port();
    const int fd = socket(AF_INET, SOCK_STREAM, 0); // the kernel completes handshakes; nobody reads
    const sockaddr_in addr = eh::testing::loopback(port);
    REQUIRE(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 16) == 0);
    Store store({.nodes = {"127.0.0.1:" + std::to_string(port) + "/m"}, .sentinel_timeout = 300ms});
    std::vector<Event> one{{.id = "x", .type = "events.X", .payload = "{}"}};
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(store.put(one, codec), doctest::Contains("timed out"), eh::StoreError);
    CHECK(std::chrono::steady_clock::now() - start < patience); // a bound on a hang: without a timeout it never returns
    close(fd);
}

TEST_CASE("redis-sentinel: a sentinel answering with a gigantic array header is refused at once, nothing allocated") {
    const int port = eh::testing::free_port();
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in addr = eh::testing::loopback(port);
    REQUIRE(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 16) == 0);
    std::jthread hostile([fd] { // answers every connection with the header of 1.7 billion elements
        for (int i = 0; i < 4; ++i) {
            const int c = accept(fd, nullptr, nullptr);
            if (c < 0) return;
            const std::string_view header = "*1700000000\r\n";
            (void)!write(c, header.data(), header.size());
            std::this_thread::sleep_for(2s); // and nothing more while the client decides
            close(c);
        }
    });
    Store store({.nodes = {"127.0.0.1:" + std::to_string(port) + "/m"}, .sentinel_timeout = 1500ms});
    std::vector<Event> one{{.id = "x", .type = "events.X", .payload = "{}"}};
    CHECK_THROWS_WITH_AS(store.put(one, codec), doctest::Contains("a reply larger than this client accepts"),
                         eh::StoreError);
    shutdown(fd, SHUT_RDWR);
    close(fd);
}

TEST_CASE("redis-sentinel: the exact ocis record (SET id value EX ~336h); ocis's records are read back") {
    RedisCluster& cluster = shared_cluster();
    auto options = options_for(cluster, ""); // ocis's default: key = id
    options.mget_chunk = 3;                  // several MGETs in one round trip
    Store store(options);
    auto g = generate(10, {.seed = 7});
    auto stats = store.put(g.events, codec);
    CHECK(stats.stored == 10);
    CHECK(stats.duplicates == 0);
    CHECK(store.ready());

    auto master = cluster.connect(cluster.master_port());
    for (const auto& e : g.events) {
        CAPTURE(e.id);
        std::string expected = R"({"ID":")" + e.id + R"(","Type":")" + e.type + R"(","Event":")";
        eh::detail::base64::encode(e.payload, expected);
        expected += R"("})";
        CHECK(get_string(master, e.id) == expected);
        const long long ttl = integer(master, Command("TTL", e.id));
        CHECK(ttl > ttl_seconds - 3600 - 60); // the events are an hour old
        CHECK(ttl <= ttl_seconds);
    }

    // A record as ocis's eventhistory writes it.
    const std::string ocis_id = "5c9e0d1e-0c5b-4f7e-9d3a-ocis00000001";
    const std::string ocis_payload =
        R"({"UploadID":"9b7c","Filename":"ocis.txt","SpaceOwner":{"idp":"https://cloud.example.com","opaque_id":"ocis-user-1","type":1}})";
    master.call(Command("SET", ocis_id,
                        R"({"ID":")" + ocis_id + R"(","Type":"events.UploadReady","Event":")" +
                            "eyJVcGxvYWRJRCI6IjliN2MiLCJGaWxlbmFtZSI6Im9jaXMudHh0IiwiU3BhY2VPd25lciI6eyJpZHAiOiJodHRwczovL2Nsb3VkLmV4YW1wbGUuY29tIiwib3BhcXVlX2lkIjoib2Npcy11c2VyLTEiLCJ0eXBlIjoxfX0=" +
                            R"("})",
                        "EX", ttl_seconds),
                "SET");

    // Request order, unknown ids skipped, ours and ocis's alike.
    std::vector<std::string> ask{g.ids[3], "no-such-id", ocis_id, g.ids[0], g.ids[9], "", g.ids[5]};
    auto got = store.get(ask, codec);
    REQUIRE(ids_of(got) == std::vector<std::string>{g.ids[3], ocis_id, g.ids[0], g.ids[9], g.ids[5]});
    CHECK(got[1].type == "events.UploadReady");
    CHECK(got[1].payload == ocis_payload);
    CHECK(kept({got[0], got[2], got[3], got[4]}) == kept({g.events[3], g.events[0], g.events[9], g.events[5]}));
    CHECK(store.get(std::span<const std::string>{}, codec).empty());

    // The index is elsewhere: database 0 holds the records and nothing else of ours.
    auto keys = master.call(Command("KEYS", "*"), "KEYS");
    std::set<std::string> in_db0;
    for (std::size_t i = 0; i < keys->elements; ++i) in_db0.insert(keys->element[i]->str);
    std::set<std::string> ours(g.ids.begin(), g.ids.end());
    for (const auto& k : in_db0) CHECK((ours.count(k) || k == ocis_id || k.find(':') != std::string::npos));
}

TEST_CASE("redis-sentinel: find_by_user equals the reference scan (5,000 events, exotic ids, >= 100 queries)") {
    RedisCluster& cluster = shared_cluster();
    auto options = options_for(cluster, "prop:");
    options.index_scan_blobs = 3; // many resumed scan calls per query
    Store store(options);
    auto g = generate(5000, {.seed = 42, .users = 120, .exotic_user_ids = true});
    std::vector<Event> shuffled = g.events; // timestamp order differs from write order
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(3));
    put_in_batches(store, shuffled);

    std::vector<std::string> queries = g.users; // uuids, e-mails, regex metacharacters
    for (std::size_t i = 0; i < 20; ++i) {
        queries.push_back(g.users[i].substr(0, 8));                   // a prefix: bounded for uuids
        queries.push_back(g.users[i].substr(1, g.users[i].size() - 2)); // unbounded inside: no match
    }
    for (const char* q : {"https", "cloud.example.com", ".*", "$", "!", "\"", "type\":1", "opaque_id", "nobody",
                          "00000000-0000-0000-0000-000000000000", "a.b*c+(", "@@", ""})
        queries.emplace_back(q);
    REQUIRE(queries.size() >= 100);

    std::size_t answered = 0;
    for (const auto& q : queries) {
        CAPTURE(q);
        std::size_t runs = 0;
        eh::index::for_each_word_run(q, [&](std::string_view) { ++runs; });
        if (runs == 0) { // no word character: it would match nearly everything
            CHECK_THROWS_AS(store.find_by_user(q, codec), eh::InvalidQuery);
            continue;
        }
        std::vector<Event> expected; // the reference: a scan of every event, ordered by time
        for (const auto& e : g.events)
            if (eh::index::contains_bounded(e.payload, q)) expected.push_back(e);
        auto got = store.find_by_user(q, codec);
        REQUIRE(kept(got) == kept(expected));
        for (std::size_t i = 0; i < got.size(); ++i)
            CHECK(got[i].timestamp == std::chrono::floor<std::chrono::microseconds>(expected[i].timestamp));
        answered += !expected.empty();
    }
    CHECK(answered > 100); // real answers, not just empty ones

    // The index holds each token of each event once, in one blob per partition and batch.
    auto master = cluster.connect(cluster.master_port());
    master.call(Command("SELECT", "1"), "SELECT");
    const redis::IndexKeys keys("prop:");
    CHECK(postings_in(master, keys) == postings_of(g.events));
    const std::size_t batches = (g.events.size() + 255) / 256;
    for (std::size_t k = 0; k < redis::partitions; ++k) {
        std::size_t blobs = 0;
        for (const auto& list : lists_of(master, keys, k)) blobs += blobs_in(master, list).size();
        CHECK(blobs <= batches);
    }
    CHECK(master.call(Command("KEYS", keys.batch_pattern()), "KEYS")->elements == batches);
}

TEST_CASE("redis-sentinel: a redelivered id is a duplicate and adds nothing to the index; too old is not stored") {
    RedisCluster& cluster = shared_cluster();
    Store store(options_for(cluster, "dup:"));
    auto g = generate(20, {.seed = 9});
    std::vector<Event> batch = g.events;
    batch.push_back(g.events[0]); // twice in one batch
    auto stats = store.put(batch, codec);
    CHECK(stats.stored == 20);
    CHECK(stats.duplicates == 1);
    stats = store.put(batch, codec); // the whole batch redelivered
    CHECK(stats.stored == 0);
    CHECK(stats.duplicates == 21);

    // The same id again with another payload: the first write wins, the new one is not indexed.
    Event other = g.events[1];
    other.payload = R"({"Executant":{"opaque_id":"zz-second-writer"}})";
    CHECK(store.put(std::span(&other, 1), codec).duplicates == 1);
    auto master = cluster.connect(cluster.master_port());
    master.call(Command("SELECT", "1"), "SELECT");
    const redis::IndexKeys keys("dup:");
    CHECK(postings_in(master, keys) == postings_of(g.events)); // each event's tokens once, nothing of `other`
    // One batch list: the batches of duplicates wrote none.
    CHECK(master.call(Command("KEYS", keys.batch_pattern()), "KEYS")->elements == 1);
    CHECK(store.find_by_user("zz-second-writer", codec).empty());
    for (const auto& user : g.users) {
        auto found = ids_of(store.find_by_user(user, codec));
        CHECK(std::set<std::string>(found.begin(), found.end()).size() == found.size());
    }
    std::vector<std::string> one{other.id};
    CHECK(store.get(one, codec).at(0).payload == g.events[1].payload);

    // Older than the TTL on arrival: counted, not written. From the future: lives ttl, no longer.
    const auto now = eh::SystemClock{}.now();
    std::vector<Event> edge{{.id = "dup-too-old", .type = "events.X", .payload = "{}", .timestamp = now - 337h},
                            {.id = "dup-future", .type = "events.X", .payload = "{}", .timestamp = now + 24h}};
    stats = store.put(edge, codec);
    CHECK(stats.expired == 1);
    CHECK(stats.stored == 1);
    master.call(Command("SELECT", "0"), "SELECT");
    CHECK(integer(master, Command("EXISTS", "dup:dup-too-old")) == 0);
    CHECK(integer(master, Command("TTL", "dup:dup-future")) <= ttl_seconds);
}

TEST_CASE("redis-sentinel: two writers storing the same events at once: each stored and indexed once") {
    RedisCluster& cluster = shared_cluster();
    auto g = generate(3000, {.seed = 19, .users = 40});
    std::vector<Event> reversed(g.events.rbegin(), g.events.rend());
    Store first(options_for(cluster, "race:")), second(options_for(cluster, "race:"));
    std::atomic<std::size_t> stored{0}, duplicates{0};
    const auto writer = [&](Store& store, const std::vector<Event>& events, std::size_t batch) {
        for (std::size_t i = 0; i < events.size(); i += batch) {
            const auto stats = store.put(std::span(events).subspan(i, std::min(batch, events.size() - i)), codec);
            stored += stats.stored;
            duplicates += stats.duplicates;
        }
    };
    {
        std::jthread a(writer, std::ref(first), std::cref(g.events), 64);
        std::jthread b(writer, std::ref(second), std::cref(reversed), 50);
    }
    CHECK(stored.load() == g.events.size());
    CHECK(duplicates.load() == g.events.size());
    auto master = cluster.connect(cluster.master_port());
    master.call(Command("SELECT", "1"), "SELECT");
    CHECK(postings_in(master, redis::IndexKeys("race:")) == postings_of(g.events));
    for (std::size_t u = 0; u < 10; ++u) {
        std::size_t holding = 0;
        for (const auto& e : g.events) holding += eh::index::contains_bounded(e.payload, g.users[u]);
        CHECK(first.find_by_user(g.users[u], codec).size() == holding);
    }
}

TEST_CASE("redis-sentinel: batch numbers are unique among writers; the batch clock follows Redis' clock") {
    RedisCluster& cluster = shared_cluster();
    const redis::IndexKeys keys("numbers:");
    auto a = cluster.connect(cluster.master_port()), b = cluster.connect(cluster.master_port());
    redis::BatchClock on_a, on_b;
    std::set<std::int64_t> numbers;
    for (int i = 0; i < 300; ++i) { // several blocks each, interleaved
        auto [conn, clock] = i % 3 == 0 ? std::tie(b, on_b) : std::tie(a, on_a); // references
        const auto stamp = clock.next(conn, keys.seq(), 1, redis::events_db);
        CHECK(numbers.insert(stamp.number).second);
        const auto time = conn.call(Command("TIME"), "TIME");
        const long long redis_now = std::stoll(std::string(redis::text(*time->element[0])));
        CHECK(std::abs(stamp.now - redis_now) <= 1);
    }
    CHECK(numbers.size() == 300);
}

TEST_CASE("redis-sentinel: a record another writer stored first leaves the index again") {
    RedisCluster& cluster = shared_cluster();
    auto g = generate(30, {.seed = 23, .users = 4});
    std::vector<redis::Writable> writable;
    for (const auto& e : g.events) writable.push_back(*redis::writable(e, eh::SystemClock{}.now(), 336h));
    const redis::IndexKeys keys("late:");
    redis::WriteBatch batch;
    batch.build(writable, codec, keys, 1, 3600);
    auto writer = cluster.connect(cluster.master_port()), other = cluster.connect(cluster.master_port());
    other.call(Command("SET", "late:" + g.ids[7], "written by ocis"), "SET"); // before the batch
    redis::BatchClock batches;
    const auto stamp = batches.next(writer, keys.seq(), 1, redis::events_db);
    batch.plan(stamp.number, stamp.now);
    batch.append_store(writer);
    CHECK(batch.stored(batch.read_store(), writer) == 29);

    CHECK(get_string(other, "late:" + g.ids[7]) == "written by ocis");
    other.call(Command("SELECT", "1"), "SELECT");
    std::vector<Event> stored = g.events;
    stored.erase(stored.begin() + 7);
    CHECK(postings_in(other, keys) == postings_of(stored));
}

TEST_CASE("redis-sentinel: the index expires with its events, window by window, never before them") {
    RedisCluster& cluster = shared_cluster();
    auto options = options_for(cluster, "trim:");
    // Windows of 1 s. A has 6 s left, B 20 s: room for a slow machine to read A's index before
    // it expires, and B's after A's expired and before B's does.
    options.ttl = 20s;
    Store store(options);
    auto g = generate(20, {.seed = 17, .users = 5});
    const auto now = eh::SystemClock{}.now();
    for (std::size_t i = 0; i < 20; ++i) g.events[i].timestamp = i < 10 ? now - 14s : now; // batch A, batch B
    const auto a = std::span(g.events).first(10), b = std::span(g.events).subspan(10);
    REQUIRE(store.put(a, codec).stored == 10);
    REQUIRE(store.put(b, codec).stored == 10);

    // Every list expires after each event it names, and at most a window (+1 s rounding) later.
    auto records = cluster.connect(cluster.master_port()), index = cluster.connect(cluster.master_port());
    index.call(Command("SELECT", "1"), "SELECT");
    const redis::IndexKeys keys("trim:");
    const auto expires = [](RedisCluster::Connection& db, const std::string& key) {
        return integer(db, Command("PEXPIRETIME", key));
    };
    std::set<std::string> ids_of_a;
    for (const auto& e : a) ids_of_a.insert(e.id);
    std::size_t lists_of_a = 0, lists_of_b = 0;
    for (std::size_t k = 0; k < redis::partitions; ++k)
        for (const auto& list : lists_of(index, keys, k)) {
            CAPTURE(list);
            std::size_t from_a = 0, from_b = 0;
            for (const auto& blob : blobs_in(index, list))
                for (const auto& id : ids_in(index, keys, blob)) {
                    REQUIRE(!id.empty());
                    const long long record = expires(records, "trim:" + id);
                    CHECK(record > 0);
                    CHECK(expires(index, list) >= record);
                    CHECK(expires(index, list) <= record + 2000);
                    (ids_of_a.count(id) ? from_a : from_b) += 1;
                }
            CHECK((from_a == 0 || from_b == 0)); // A's window is not B's
            lists_of_a += from_a > 0;
            lists_of_b += from_b > 0;
        }
    CHECK(lists_of_a > 10);
    CHECK(lists_of_b > 10);

    // A expires: its lists go with it, B's stay whole; A's users are found no more.
    REQUIRE(eventually([&] { return integer(records, Command("EXISTS", "trim:" + a[0].id)) == 0; }, patience, 10ms));
    CHECK(eventually([&] { return postings_in(index, keys) == postings_of(b); }, patience, 10ms));
    for (const auto& user : g.users) {
        const auto holds = [&](const Event& e) { return eh::index::contains_bounded(e.payload, user); };
        CHECK(store.find_by_user(user, codec).size() == static_cast<std::size_t>(std::count_if(b.begin(), b.end(), holds)));
    }
    // Nothing of the index outlives its events.
    CHECK(eventually([&] { return index.call(Command("KEYS", "eh:trim:[pb]:*"), "KEYS")->elements == 0; }, patience, 50ms));
}

TEST_CASE("redis-sentinel: a batch fewer replicas acknowledged than required is refused, and safe to retry") {
    RedisCluster& cluster = shared_cluster();
    auto options = options_for(cluster, "wait:");
    options.min_replicas = 2; // the deployment has one
    options.wait_timeout = 200ms;
    Store demanding(options);
    auto g = generate(30, {.seed = 11, .users = 3});
    try {
        demanding.put(g.events, codec);
        FAIL("put must throw when too few replicas are connected");
    } catch (const eh::StoreError& e) {
        CHECK(std::string(e.what()).find("the master has 1 connected replicas, fewer than the 2 required") !=
              std::string::npos);
        CHECK(e.summary().find("fewer Redis replicas than required (2") != std::string::npos);
        CHECK(e.summary().find("127.0.0.1") == std::string::npos); // no topology for /readyz
    }
    CHECK_FALSE(demanding.ready());
    demanding.maintain(); // the health check says the same
    CHECK_FALSE(demanding.ready());
    // The redelivery (here through a store with the default: 1 replica) stores them.
    Store store(options_for(cluster, "wait:"));
    auto stats = store.put(g.events, codec);
    CHECK(stats.stored == 30);
    // ...and the retry, a duplicate, indexes nothing more.
    CHECK(store.put(g.events, codec).duplicates == 30);
    const std::string& user = g.users[0];
    std::size_t holding = 0;
    for (const auto& e : g.events) holding += eh::index::contains_bounded(e.payload, user);
    CHECK(holding > 0);
    CHECK(store.find_by_user(user, codec).size() == holding);
}

TEST_CASE("redis-sentinel: a master without replicas refuses every batch by default (1 required); 0 required "
          "stores them") {
    RedisCluster cluster({.replicas = 0, .sentinels = 1});
    auto g = generate(10, {.seed = 17});
    Store strict(options_for(cluster, "norep:"));
    CHECK_THROWS_WITH_AS(strict.put(g.events, codec), doctest::Contains("0 connected replicas, fewer than the 1 required"),
                         eh::StoreError);
    CHECK_FALSE(strict.ready());
    auto options = options_for(cluster, "norep:");
    options.min_replicas = 0; // an operator's explicit choice: a failover may lose what is acked
    Store lax(options);
    CHECK(lax.put(g.events, codec).stored == 10);
    CHECK(lax.ready());
}

TEST_CASE("redis-sentinel: records that existed before the index (ocis's) are indexed once, before the first write") {
    RedisCluster& cluster = shared_cluster();
    auto g = generate(300, {.seed = 29, .users = 6});
    const std::vector<Event> before(g.events.begin(), g.events.begin() + 200), after(g.events.begin() + 200, g.events.end());
    auto master = cluster.connect(cluster.master_port());
    for (const auto& e : before) { // as ocis wrote them
        std::string value;
        codec.encode(e, value);
        master.call(Command("SET", "old:" + e.id, value, "EX", 3600), "SET");
    }
    master.call(Command("SET", "old:not-an-event", "{\"x\":1}", "EX", 3600), "SET"); // someone else's key
    master.call(Command("SET", "older:" + before[0].id, "{}", "EX", 3600), "SET");    // another table's

    auto options = options_for(cluster, "old:");
    Store store(options);
    // The backfill first (over all of database 0, a bounded time per call), then the batch.
    REQUIRE(eventually(
        [&] {
            try {
                return store.put(after, codec).stored == 100;
            } catch (const eh::StoreError&) {
                return false; // still indexing: the batch would go back and come again
            }
        },
        60s, 10ms));
    for (const auto& user : g.users) {
        CAPTURE(user);
        std::vector<std::string> want;
        for (const auto& e : g.events)
            if (eh::index::contains_bounded(e.payload, user)) want.push_back(e.id);
        auto got = ids_of(store.find_by_user(user, codec));
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        CHECK(got == want);
    }
    master.call(Command("SELECT", "1"), "SELECT");
    const redis::IndexKeys keys("old:");
    CHECK(postings_in(master, keys) == postings_of(g.events)); // each once: ocis's and ours
    CHECK(get_string(master, keys.backfill()) == "done");
    // A second store on the table does not index them again.
    Store again(options);
    CHECK(again.put(std::span(after).first(1), codec).duplicates == 1);
    CHECK(postings_in(master, keys) == postings_of(g.events));
}

TEST_CASE("redis-sentinel: queries stop at their limits; a user id beyond its bounds is refused") {
    RedisCluster& cluster = shared_cluster();
    auto options = options_for(cluster, "limits:");
    options.limits = {.max_events = 40, .max_candidates = 300};
    Store store(options);
    auto g = generate(1000, {.seed = 31, .users = 50});
    put_in_batches(store, g.events);
    CHECK_THROWS_WITH_AS(store.find_by_user("opaque_id", codec), doctest::Contains("max_candidates"), eh::AnswerTooLarge);
    CHECK_THROWS_WITH_AS(store.get(g.ids, codec), doctest::Contains("max_events"), eh::AnswerTooLarge);
    CHECK(store.get(std::span(g.ids).first(40), codec).size() == 40);
    CHECK_THROWS_AS(store.find_by_user(":", codec), eh::InvalidQuery);
    CHECK_THROWS_AS(store.find_by_user(std::string(300, 'u'), codec), eh::InvalidQuery);
    std::size_t holding = 0;
    for (const auto& e : g.events) holding += eh::index::contains_bounded(e.payload, g.users[0]);
    REQUIRE(holding <= 40);
    CHECK(store.find_by_user(g.users[0], codec).size() == holding);
}

TEST_CASE("redis-sentinel: AUTH with the configured password") {
    RedisCluster cluster({.sentinels = 1, .password = "s3cret pass"});
    auto g = generate(5, {.seed = 13});
    auto options = options_for(cluster, "auth:");
    options.password = "s3cret pass";
    Store store(options);
    CHECK(store.put(g.events, codec).stored == 5);
    CHECK(store.get(g.ids, codec).size() == 5);

    options.password.clear();
    Store without(options);
    CHECK_THROWS_WITH_AS(without.put(g.events, codec), doctest::Contains("NOAUTH"), eh::StoreError);
    options.password = "wrong";
    Store wrong(options);
    CHECK_THROWS_WITH_AS(wrong.put(g.events, codec), doctest::Contains("WRONGPASS"), eh::StoreError);
}

TEST_CASE("redis-sentinel: kill -9 of the master during continuous ingest loses no event") {
    // How long ingest pauses around the failover is a figure of `eh-bench failover`; here:
    // nothing lost, the failover noticed, queries answered again afterwards. Two replicas: the
    // promoted one keeps one, which each batch still needs (min_replicas 1).
    RedisCluster cluster({.replicas = 2});
    History history = ingesting(cluster, "fo:");
    const std::size_t total = 4000, before_kill = 2000;
    auto g = generate(total, {.seed = 21, .users = 50});
    IngestLoop ingest(history);
    // Queries meanwhile, as the gRPC threads make them: they fail during the failover only.
    std::atomic<std::size_t> answered{0}, refused{0};
    std::atomic<std::chrono::steady_clock::rep> last_answer{0};
    std::jthread reader([&](std::stop_token stop) {
        while (!stop.stop_requested()) {
            try {
                history.get_events_for_user(g.users[0]);
                ++answered;
                last_answer = std::chrono::steady_clock::now().time_since_epoch().count();
            } catch (const eh::StoreError&) {
                ++refused;
            }
            std::this_thread::sleep_for(20ms);
        }
    });
    // Half the events before the kill, the rest once it happened: the failover falls
    // mid-publishing whatever the machine's speed.
    std::atomic<bool> killed{false};
    std::jthread publisher([&] {
        for (std::size_t i = 0; i < total; ++i) {
            if (i == before_kill) killed.wait(false);
            history.transport().publish(g.envelopes[i]);
            if (i % 8 == 7) std::this_thread::sleep_for(12ms); // ~650 events/s
        }
    });

    REQUIRE(eventually([&] { return history.counters().acks.load() >= before_kill / 2; }, patience));
    const int old_master = cluster.kill_master();
    killed = true;
    killed.notify_all();
    REQUIRE_MESSAGE(eventually([&] { return cluster.master_port() != old_master; }, patience, 5ms), cluster.logs());
    const auto promoted_at = std::chrono::steady_clock::now();
    publisher.join();
    REQUIRE_MESSAGE(eventually([&] { return all_acked(history, total); }, patience), history.last_store_error());
    ingest.stop();
    CHECK(eventually([&] { return last_answer.load() > promoted_at.time_since_epoch().count(); }, patience));
    reader.request_stop();
    reader.join();
    MESSAGE(answered.load() << " queries answered, " << refused.load() << " refused during the failover");
    CHECK(history.counters().naks.load() > 0); // the failover was noticed, not slept through

    auto got = history.get_events(g.ids);
    CHECK(got.size() == total); // 0 lost
    CHECK(kept(got) == kept(g.events));
    CHECK(history.ready());
}

TEST_CASE("redis-sentinel: Redis down for 10 s: not ready, nothing acked, everything stored after") {
    RedisCluster cluster;
    History history = ingesting(cluster, "down:");
    auto g = generate(800, {.seed = 31});
    IngestLoop ingest(history);
    for (std::size_t i = 0; i < 300; ++i) history.transport().publish(g.envelopes[i]);
    REQUIRE(eventually([&] { return all_acked(history, 300); }, patience));
    CHECK(history.ready());

    cluster.stop_all();
    const auto stopped = std::chrono::steady_clock::now();
    const auto acks_before = history.counters().acks.load();
    std::jthread publisher([&] {
        for (std::size_t i = 300; i < g.envelopes.size(); ++i) {
            history.transport().publish(g.envelopes[i]);
            std::this_thread::sleep_for(15ms); // spread over the outage
        }
    });
    CHECK(eventually([&] { return !history.ready(); }, patience));
    std::this_thread::sleep_until(stopped + 10s); // the outage itself, not a wait for a condition
    CHECK(history.counters().acks.load() == acks_before);
    CHECK(history.counters().naks.load() > 0);
    CHECK_FALSE(history.ready());
    publisher.join();

    cluster.start_all();
    REQUIRE_MESSAGE(eventually([&] { return all_acked(history, g.envelopes.size()); }, patience), history.last_store_error());
    ingest.stop();
    CHECK(history.ready());
    auto got = history.get_events(g.ids);
    CHECK(got.size() == g.ids.size()); // those from before the outage kept, those during it stored
    CHECK(kept(got) == kept(g.events));
}
