// eventhistoryd with store redis-sentinel, end to end: the real binary, a real nats-server, a
// real Redis master + replica + 3 sentinels (eh/testing/redis_cluster.hpp), events in the exact
// go-micro envelope, a real gRPC client. What the daemon must do with this store: the ocis
// record in Redis, no loss when the daemon or the Redis master is killed, and no ack while
// Redis is away.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "eh/clock.hpp"
#include "eh/detail/base64.hpp"
#include "eh/testing/generator.hpp"
#include "fixtures/daemon.hpp"
#include "fixtures/daemon_checks.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/nats_publisher.hpp"
#include "eh/testing/redis_cluster.hpp"

using namespace std::chrono_literals;
using eh::testing::ContinuousPublisher;
using eh_test::Daemon;
using eh::testing::eventually;
using eh::testing::NatsServer;
using eh::testing::NatsPublisher;
using eh::testing::RedisCluster;
using Command = eh::store::detail::redis::Command;

namespace {

using eh_test::Published;
using eh_test::retrievable;

constexpr long long ttl_seconds = 336 * 3600;
/// How long a test waits for what must happen: a bound on a hang, never a speed check. Longer
/// than a refused batch's longest NAK delay (30 s).
constexpr auto patience = 90s;

/// Events an hour old (their TTL counts from then), in the envelope reva publishes.
Published generate(std::size_t n, std::uint64_t seed) {
    eh::testing::EventGenerator gen({.seed = seed, .users = 30, .start = eh::SystemClock{}.now() - 1h});
    Published p;
    for (std::size_t i = 0; i < n; ++i) p.events.push_back(gen.next());
    p.users = gen.users();
    return p;
}

/// One deployment for the tests that kill nothing of Redis; each uses its own table.
RedisCluster& shared_cluster() {
    static RedisCluster cluster;
    return cluster;
}

/// A nats-server with the stream ocis creates, and eventhistoryd storing in a Redis deployment.
struct Rig {
    explicit Rig(RedisCluster& redis) : cluster(redis) { pub.create_stream(); }

    /// eventhistoryd storing under table, with extra flags.
    Daemon daemon(const std::string& table, std::vector<std::string> extra = {}) {
        std::string nodes;
        for (const auto& n : cluster.nodes()) nodes += (nodes.empty() ? "" : ",") + n;
        extra.insert(extra.begin(), {"--store-type", "redis-sentinel", "--store-nodes", nodes, "--store-table", table});
        return Daemon(nats.endpoint(), std::move(extra));
    }

    RedisCluster& cluster;
    NatsServer nats;
    NatsPublisher pub{nats.endpoint()};
};

bool all_retrievable(const Daemon& d, const Published& p) {
    return eventually([&] { return retrievable(d, p) == p.events.size(); }, patience, 200ms);
}

std::string redis_get(RedisCluster::Connection& c, const std::string& key) {
    auto r = c.call(Command("GET", key), "GET");
    return r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string("(nil)");
}

} // namespace

TEST_CASE("daemon redis-sentinel: ocis records in Redis (exact bytes, TTL ~336h); GetEvents and GetEventsForUser exact") {
    Rig rig(shared_cluster());
    const Published p = generate(600, 61);
    std::vector<std::string> bodies;
    for (const auto& e : p.events) bodies.push_back(e.envelope);
    rig.pub.publish_all(bodies);
    Daemon d = rig.daemon("rt:");
    REQUIRE(d.wait_metric_at_least("eventhistory_acks_total", 600, patience));
    CHECK(d.metric("eventhistory_events_stored_total") == 600);
    CHECK(d.status("/readyz") == 200);
    CHECK(retrievable(d, p) == 600);

    // In Redis: exactly the record ocis writes, expiring 336 h after the event's timestamp.
    auto master = rig.cluster.connect(rig.cluster.master_port());
    for (std::size_t i = 0; i < p.events.size(); i += 97) {
        const eh::Event& e = p.events[i].event;
        CAPTURE(e.id);
        std::string expected = R"({"ID":")" + e.id + R"(","Type":")" + e.type + R"(","Event":")";
        eh::detail::base64::encode(e.payload, expected);
        expected += R"("})";
        CHECK(redis_get(master, "rt:" + e.id) == expected);
        const long long ttl = master.call(Command("TTL", "rt:" + e.id), "TTL")->integer;
        CHECK(ttl > ttl_seconds - 3600 - 120); // the events are an hour old
        CHECK(ttl <= ttl_seconds - 3600 + 60);
    }

    eh_test::check_users(d, p);
}

TEST_CASE("daemon redis-sentinel: kill -9 of the daemon mid-ingest under continuous publishing, restart: 0 lost") {
    Rig rig(shared_cluster());
    const Published p = generate(4000, 62);
    // What the killed process had in hand comes back after the ack wait: short, to keep the test short.
    Daemon d = rig.daemon("kill:", {"--consumer-ack-wait", "3s"});
    ContinuousPublisher publisher(rig.nats.endpoint(), p.events, 2000, 10ms);
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 800, patience));
    d.kill();
    publisher.release(); // the rest arrives while the daemon is down and after its restart
    d.start();
    REQUIRE(publisher.finish());
    CHECK(all_retrievable(d, p));
    CHECK(d.status("/readyz") == 200);
}

TEST_CASE("daemon redis-sentinel: Redis down for 10 s: /readyz 503, no ack meanwhile, everything stored after") {
    RedisCluster cluster;
    Rig rig(cluster);
    const Published p = generate(1500, 63);
    Daemon d = rig.daemon("down:");
    ContinuousPublisher publisher(rig.nats.endpoint(), p.events, 500, 100ms); // the rest over ~6 s
    REQUIRE(d.wait_metric_at_least("eventhistory_acks_total", 300, patience));

    cluster.stop_all();
    const auto stopped = std::chrono::steady_clock::now();
    publisher.release();
    REQUIRE(eventually([&] { return d.status("/readyz") == 503; }, patience, 50ms));
    const double acks = d.metric("eventhistory_acks_total");
    CHECK(d.body("/readyz").find("store not ready") != std::string::npos);
    std::this_thread::sleep_until(stopped + 10s); // the outage itself, not a wait for a condition
    CHECK(d.status("/readyz") == 503);
    CHECK(d.metric("eventhistory_acks_total") == acks); // nothing acked while nothing could be stored
    CHECK(d.metric("eventhistory_naks_total") > 0);

    cluster.start_all();
    REQUIRE(publisher.finish());
    CHECK(all_retrievable(d, p)); // refused batches come back after their NAK delay (up to 30 s)
    CHECK(eventually([&] { return d.status("/readyz") == 200; }, patience, 50ms));
}

TEST_CASE("daemon redis-sentinel: kill -9 of the master under continuous publishing: 0 lost") {
    // How long ingest pauses is a figure of `eh-bench failover`; here: nothing lost, the
    // failover noticed (batches NAKed), ready again afterwards.
    // Two replicas: the promoted one keeps one, which each batch still needs (min_replicas 1).
    RedisCluster cluster({.replicas = 2});
    Rig rig(cluster);
    const Published p = generate(5000, 64);
    Daemon d = rig.daemon("fo:");
    ContinuousPublisher publisher(rig.nats.endpoint(), p.events, 2500, 20ms);

    REQUIRE(d.wait_metric_at_least("eventhistory_acks_total", 1000, patience));
    const int old_master = cluster.kill_master();
    publisher.release();
    REQUIRE_MESSAGE(eventually([&] { return cluster.master_port() != old_master; }, patience, 5ms), cluster.logs());
    REQUIRE(publisher.finish());
    CHECK(all_retrievable(d, p)); // 0 lost
    CHECK(d.metric("eventhistory_naks_total") > 0); // the failover was noticed, not slept through
    CHECK(eventually([&] { return d.status("/readyz") == 200; }, patience, 50ms));
}

TEST_CASE("daemon redis-sentinel: too few replicas: /readyz 503 saying so (no hosts), batches NAKed, none acked; "
          "with the requirement lowered everything is stored") {
    RedisCluster lonely({.replicas = 0, .sentinels = 1});
    Rig rig(lonely);
    const Published p = generate(50, 31);
    {
        Daemon d = rig.daemon("lonely:");
        std::vector<std::string> bodies;
        for (const auto& e : p.events) bodies.push_back(e.envelope);
        rig.pub.publish_all(bodies);
        REQUIRE(d.wait_metric_at_least("eventhistory_naks_total", 50, patience));
        CHECK(d.metric("eventhistory_acks_total") == 0);
        CHECK(d.status("/readyz") == 503);
        const std::string why = d.body("/readyz");
        CHECK(why.find("fewer Redis replicas than required (1") != std::string::npos);
        CHECK(why.find("127.0.0.1") == std::string::npos);
        CHECK(why.find(std::string(RedisCluster::master_name)) == std::string::npos);
    }
    Daemon d = rig.daemon("lonely:", {"--redis-min-replicas", "0"});
    CHECK(all_retrievable(d, p));
}
