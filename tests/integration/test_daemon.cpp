// eventhistoryd end to end: the real binary, a real nats-server, events in the exact go-micro
// envelope from eh::testing::EventGenerator, a real gRPC client.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "eh/clock.hpp"
#include "eh/detail/nats/pull.hpp"
#include "eh/index/match.hpp"
#include "eh/testing/generator.hpp"
#include "fixtures/certs.hpp"
#include "fixtures/daemon.hpp"
#include "fixtures/daemon_checks.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/nats_publisher.hpp"

using namespace std::chrono_literals;
using eh::testing::ContinuousPublisher;
using eh_test::Daemon;
using eh::testing::NatsServer;
using eh_test::Published;
using eh::testing::NatsPublisher;
using eh_test::retrievable;

namespace {

/// How long a test waits for what must happen: a bound on a hang, never a speed check.
constexpr auto patience = 90s;

Published generate(std::size_t n, std::uint64_t seed, bool exotic = false) {
    eh::testing::EventGenerator gen({.seed = seed, .users = 30, .exotic_user_ids = exotic,
                                     .start = eh::SystemClock{}.now() - 1h});
    Published p;
    for (std::size_t i = 0; i < n; ++i) p.events.push_back(gen.next());
    p.users = gen.users();
    return p;
}

std::vector<std::string> envelopes(const Published& p) {
    std::vector<std::string> out;
    for (const auto& e : p.events) out.push_back(e.envelope);
    return out;
}

} // namespace

TEST_CASE("daemon: a backlog with malformed messages is ingested; GetEvents and GetEventsForUser are exact") {
    NatsServer nats;
    NatsPublisher pub(nats.endpoint());
    pub.create_stream();
    const Published p = generate(2000, 1, /*exotic=*/true);
    auto bodies = envelopes(p);
    const std::vector<std::string> malformed{"not json", R"({"ID":"x","Payload":"***"})", "[1,2]",
                                             R"({"Metadata":{"eventtype":"events.X"}})"};
    for (std::size_t i = 0; i < malformed.size(); ++i) bodies.insert(bodies.begin() + 300 * (i + 1), malformed[i]);
    pub.publish_all(bodies); // before the daemon starts: a backlog

    Daemon d(nats.endpoint());
    REQUIRE(d.wait_metric_at_least("eventhistory_acks_total", 2000, patience));
    CHECK(d.metric("eventhistory_events_stored_total") == 2000);
    CHECK(d.metric("eventhistory_events_malformed_total") == malformed.size());
    CHECK(d.metric("eventhistory_terms_total") == malformed.size());
    CHECK(d.status("/healthz") == 200);
    CHECK(d.status("/readyz") == 200);
    // The memory store's consumer is its own and not acked: the stream is its durable copy.
    const auto consumers = pub.consumers();
    REQUIRE(consumers.size() == 1);
    CHECK(pub.consumer_info(consumers[0])->Config->AckPolicy == js_AckNone);

    // Exact bytes, request order, unknown ids skipped.
    std::vector<std::string> ids{p.events[17].event.id, "no-such-id", p.events[3].event.id, p.events[1999].event.id};
    eh_test::pb::GetEventsResponse r;
    REQUIRE(d.get_events(ids, r).ok());
    REQUIRE(r.events_size() == 3);
    CHECK(r.events(0).id() == ids[0]);
    CHECK(r.events(1).id() == ids[2]);
    CHECK(r.events(2).id() == ids[3]);
    CHECK(r.events(0).event() == p.events[17].event.payload);
    CHECK(r.events(0).type() == p.events[17].event.type);
    CHECK(retrievable(d, p) == p.events.size());

    // GetEventsForUser equals the reference scan (ids compared in timestamp order).
    eh_test::check_users(d, p);
    eh_test::pb::GetEventsResponse empty;
    CHECK(d.get_events_for_user("", empty).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("daemon: the client commands and `health` work against the running daemon") {
    NatsServer nats;
    NatsPublisher pub(nats.endpoint());
    pub.create_stream();
    const Published p = generate(50, 2);
    pub.publish_all(envelopes(p));
    Daemon d(nats.endpoint());
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 50, patience));

    const auto dir = eh::testing::make_temp_dir("eh-client");
    auto run = [&](std::vector<std::string> argv) {
        eh::testing::ChildProcess c;
        const auto log = dir / ("out-" + std::to_string(argv.size()) + argv[1]);
        std::filesystem::remove(log);
        c.start(argv, log);
        const int code = c.terminate(patience, /*signal_first=*/false);
        return std::pair{code, eh::testing::read_text(log)};
    };
    auto [code, out] = run({EH_DAEMON_PATH, "get", "--grpc-addr", d.grpc_addr(), p.events[4].event.id, "nope",
                            p.events[2].event.id});
    CHECK(code == 0);
    CHECK(std::count(out.begin(), out.end(), '\n') == 2);
    CHECK(out.find("{\"id\":\"" + p.events[4].event.id + "\",\"type\":\"" + p.events[4].event.type + "\",\"event\":{") == 0);

    std::tie(code, out) = run({EH_DAEMON_PATH, "user", "--grpc-addr", d.grpc_addr(), p.users[0]});
    CHECK(code == 0);
    std::size_t expected = 0;
    for (const auto& e : p.events) expected += eh::index::contains_bounded(e.event.payload, p.users[0]);
    CHECK(static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) == expected);

    std::tie(code, out) = run({EH_DAEMON_PATH, "health", "--debug-addr", d.debug_addr()});
    CHECK(code == 0);
    std::tie(code, out) = run({EH_DAEMON_PATH, "health", "--debug-addr", "127.0.0.1:1"}); // nothing listens on port 1
    CHECK(code == 1);
    std::tie(code, out) = run({EH_DAEMON_PATH, "server", "--store-type", "postgres"});
    CHECK(code == 2);
    CHECK(out.find("unknown store \"postgres\" (supported: memory, noop") != std::string::npos);
    std::tie(code, out) = run({EH_DAEMON_PATH, "server", "--store-ttl", "2x"});
    CHECK(code == 2);
    // The stores' own checks (eh::DaemonStore), named by where the value came from.
    std::tie(code, out) = run({EH_DAEMON_PATH, "server", "--store-type", "nats-js-kv", "--store-nodes", "nats:4222/x"});
    CHECK(code == 2);
    CHECK(out.find("--store-nodes: malformed node \"nats:4222/x\" (nats-js-kv nodes are host:port)") != std::string::npos);
    std::tie(code, out) = run({EH_DAEMON_PATH, "server", "--store-type", "redis-sentinel", "--store-nodes", "s:26379"});
    CHECK(code == 2);
    CHECK(out.find("--store-nodes: malformed node \"s:26379\" (redis-sentinel nodes are host:port/master)") !=
          std::string::npos);
    std::tie(code, out) = run({EH_DAEMON_PATH, "server", "--store-type", "redis-sentinel", "--store-nodes", "s:26379/m",
                               "--redis-wait-timeout", "0s"});
    CHECK(code == 2);
    CHECK(out.find("--redis-wait-timeout: must be at least 1ms, not 0s") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("daemon: started while NATS is down, it waits (not ready), then becomes ready and ingests") {
    NatsServer nats(/*start_now=*/false);
    Daemon d(nats.endpoint());
    CHECK(d.status("/healthz") == 200);
    CHECK(d.status("/readyz") == 503);
    CHECK(d.body("/readyz").find("NATS not ready") != std::string::npos);
    CHECK(d.body("/readyz").find(nats.endpoint()) == std::string::npos); // where is for the log only
    std::this_thread::sleep_for(2s); // it keeps waiting instead of exiting
    CHECK(d.status("/healthz") == 200);

    nats.start();
    REQUIRE(eh::testing::eventually([&] { return d.status("/readyz") == 200; }, patience, 100ms));
    NatsPublisher pub(nats.endpoint());
    const Published p = generate(500, 3);
    pub.publish_all(envelopes(p));
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 500, patience));
    CHECK(retrievable(d, p) == 500);
}

TEST_CASE("daemon: nats-server killed and restarted mid-ingest: nothing is lost") {
    NatsServer nats;
    NatsPublisher(nats.endpoint()).create_stream();
    Daemon d(nats.endpoint());
    const Published p = generate(3000, 4);
    ContinuousPublisher publisher(nats.endpoint(), p.events, 1500);
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 500, patience));
    nats.kill();
    publisher.release(); // published across the outage, as soon as NATS is back
    std::this_thread::sleep_for(1s); // an outage, not a blip
    nats.start();
    REQUIRE(publisher.finish());
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 3000, patience));
    CHECK(retrievable(d, p) == 3000);
    CHECK(eh::testing::eventually([&] { return d.status("/readyz") == 200; }, patience));
}

TEST_CASE("daemon: SIGTERM mid-ingest exits 0 and has acked exactly what it stored") {
    NatsServer nats;
    NatsPublisher pub(nats.endpoint());
    pub.create_stream();
    const Published p = generate(20000, 5);
    // The last 5,000 are published after the stop: it stops with events still to come
    // however fast it ingests; when in its batches the SIGTERM falls is left to chance.
    std::vector<std::string> bodies = envelopes(p);
    const std::vector<std::string> after_stop(bodies.end() - 5000, bodies.end());
    bodies.resize(bodies.size() - after_stop.size());
    pub.publish_all(bodies);
    // A shared durable consumer outlives the process, so its ack floor can be read afterwards.
    Daemon d(nats.endpoint(), {"--consumer-mode", "shared", "--consumer-fetch-batch", "64"});
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 1, patience));
    CHECK(d.terminate() == 0);
    pub.publish_all(after_stop);

    const std::string log = d.log();
    const auto at = log.find("stopped: received ");
    REQUIRE(at != std::string::npos);
    const auto stored = std::stoull(log.substr(log.find("stored ", at) + 7));
    const auto acked = std::stoull(log.substr(log.find("acked ", at) + 6));
    CHECK(stored == acked); // no duplicates, no store errors: every ack is a stored event
    CHECK(stored <= bodies.size());

    auto info = pub.consumer_info("eventhistory");
    CHECK(info->AckFloor.Stream == stored); // acked in order, nothing beyond what was stored
    // The rest is still the consumer's to deliver: not yet delivered, or delivered ahead and
    // handed back (NAKed) at the stop, awaiting redelivery.
    CHECK(info->NumPending + info->NumAckPending == p.events.size() - stored);
    CHECK(info->NumAckPending <= eh::detail::nats::Puller::ahead * 64); // the batches requested ahead
}

TEST_CASE("daemon: NATS over TLS, the server verified with the configured root CA") {
    const eh_test::Certs certs;
    NatsServer nats(true, {"--tls", "--tlscert", certs("server.crt"), "--tlskey", certs("server.key")});
    // The registry connection has no TLS settings (as ocis's): registering is off here.
    Daemon trusting(nats.endpoint(), {"--events-enable-tls", "--events-tls-root-ca-certificate", certs("ca.crt"),
                                      "--registry-disabled"});
    CHECK(eh::testing::eventually([&] { return trusting.status("/readyz") == 200; }, patience, 100ms));
    // A CA that did not sign the server's certificate: the handshake fails, the daemon waits.
    Daemon distrusting(nats.endpoint(), {"--events-enable-tls", "--events-tls-root-ca-certificate", certs("rogue.crt"),
                                         "--registry-disabled"});
    // Once a connection attempt failed (the log says so), it is not ready, and stays alive.
    REQUIRE(eh::testing::eventually([&] { return distrusting.log().find("no connection to") != std::string::npos; }, patience));
    CHECK(distrusting.status("/readyz") == 503);
    CHECK(distrusting.status("/healthz") == 200);
}

TEST_CASE("daemon: a token in the NATS URL and the debug token stay out of the log and /readyz; /metrics needs "
          "the debug token; pprof and zpages are accepted and said to do nothing") {
    NatsServer nats(/*start_now=*/true, {"--auth", "s3cr3t-nats-token"});
    Daemon d("nats://s3cr3t-nats-token@" + nats.endpoint(),
             {"--debug-token", "dbg-t0ken", "--debug-pprof", "--debug-zpages"});
    REQUIRE(eh::testing::eventually([&] { return d.status("/readyz") == 200; }, 30s, 100ms));
    CHECK(d.status("/healthz") == 200);
    CHECK(d.status("/metrics") == 401);
    CHECK(eh::server::http_get(d.debug_addr(), "/metrics", 2s, "dbg-t0ken").body.find("eventhistory_acks_total") !=
          std::string::npos);
    const std::string log = d.log();
    CHECK(log.find("s3cr3t-nats-token") == std::string::npos);
    CHECK(log.find("dbg-t0ken") == std::string::npos);
    CHECK(log.find("nats://***@" + nats.endpoint()) != std::string::npos); // said where, without the token
    CHECK(log.find("debug.pprof is set") != std::string::npos);
    CHECK(log.find("debug.zpages is set") != std::string::npos);
}
