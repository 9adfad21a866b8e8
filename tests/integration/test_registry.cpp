// Reachable by ocis: the real eventhistoryd and a real nats-server, and a client that does what
// an ocis service does (fixtures/go_micro_client.hpp): it finds the daemon through the service
// registry alone, dials the registered address and calls go-micro's method paths. Also the
// registry's lifetime (TTL refresh, SIGTERM, kill -9, NATS restarts and outages), ocis's
// inter-service TLS, OpenCloud's names, the disabled parts, and the log settings.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "eh/clock.hpp"
#include "eh/detail/natsjskv/record.hpp"
#include "eh/index/match.hpp"
#include "eh/registry/node_address.hpp"
#include "eh/registry/service.hpp"
#include "eh/server/grpc_credentials.hpp"
#include "eh/testing/generator.hpp"
#include "fixtures/certs.hpp"
#include "fixtures/daemon.hpp"
#include "fixtures/daemon_checks.hpp"
#include "fixtures/go_micro_client.hpp"
#include "fixtures/kv_client.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/nats_publisher.hpp"

using namespace std::chrono_literals;
using eh_test::Daemon;
using eh_test::EnvVars;
using eh::testing::eventually;
using eh_test::KvClient;
using eh::testing::NatsServer;
using eh_test::Published;
using eh::testing::NatsPublisher;
using eh_test::RegisteredNode;
namespace pb = eh_test::pb;

namespace {

/// Bounds a wait that a hang would make endless; a busy host may need much of it.
constexpr auto patience = 90s;

const std::string ocis_name = "com.owncloud.api.eventhistory";
const std::string go_micro_prefix = "/" + ocis_name + ".EventHistoryService/";

Published publish(const NatsServer& nats, std::size_t n, std::uint64_t seed) {
    NatsPublisher pub(nats.endpoint());
    pub.create_stream();
    eh::testing::EventGenerator gen({.seed = seed, .users = 20, .start = eh::SystemClock{}.now() - 1h});
    Published p;
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < n; ++i) {
        p.events.push_back(gen.next());
        bodies.push_back(p.events.back().envelope);
    }
    p.users = gen.users();
    pub.publish_all(bodies);
    return p;
}

/// The registry bucket, once it exists.
std::unique_ptr<KvClient> registry_of(const NatsServer& nats) {
    auto kv = std::make_unique<KvClient>(nats.endpoint());
    REQUIRE(eventually([&] { return kv->bind("service-registry"); }, patience, 50ms));
    return kv;
}

/// The nodes of `name` once there are `count`.
std::vector<RegisteredNode> nodes_of(const KvClient& kv, const std::string& name, std::size_t count = 1) {
    std::vector<RegisteredNode> nodes;
    REQUIRE(eventually([&] { return (nodes = eh_test::lookup(kv, name)).size() == count; }, patience, 50ms));
    return nodes;
}

std::shared_ptr<grpc::Channel> dial(const std::string& address,
                                    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials()) {
    return grpc::CreateChannel(address, std::move(credentials));
}

/// Every published event through go-micro's GetEvents on the node, exact; every user's events
/// through GetEventsForUser equal to the reference scan, in timestamp order.
void check_answers(const std::shared_ptr<grpc::Channel>& channel, const Published& p,
                   const std::string& prefix = go_micro_prefix) {
    for (std::size_t i = 0; i < p.events.size(); i += 500) {
        pb::GetEventsRequest request;
        for (std::size_t k = i; k < std::min(i + 500, p.events.size()); ++k) request.add_ids(p.events[k].event.id);
        request.add_ids("no-such-id");
        const auto a = eh_test::call_path(channel, prefix + "GetEvents", eh_test::bytes_of(request));
        REQUIRE_MESSAGE(a.status.ok(), a.status.error_message());
        REQUIRE(a.response.events_size() == request.ids_size() - 1);
        for (int k = 0; k < a.response.events_size(); ++k) {
            const auto& want = p.events[i + static_cast<std::size_t>(k)].event;
            CHECK(a.response.events(k).id() == want.id);
            CHECK(a.response.events(k).type() == want.type);
            CHECK(a.response.events(k).event() == want.payload);
        }
    }
    for (const auto& user : p.users) {
        pb::GetEventsForUserRequest request;
        request.set_userid(user);
        const auto a = eh_test::call_path(channel, prefix + "GetEventsForUser", eh_test::bytes_of(request));
        REQUIRE(a.status.ok());
        std::vector<std::string> want, got;
        for (const auto& e : p.events)
            if (eh::index::contains_bounded(e.event.payload, user)) want.push_back(e.event.id);
        for (const auto& e : a.response.events()) got.push_back(e.id());
        CAPTURE(user);
        CHECK(got == want);
    }
}

/// A command run to its end: exit status and output.
std::pair<int, std::string> run(const std::vector<std::string>& argv, const EnvVars& env = {}) {
    const auto dir = eh::testing::make_temp_dir("eh-run");
    eh::testing::ChildProcess c;
    c.start(argv, dir / "out", env);
    const int code = c.terminate(patience, /*signal_first=*/false);
    std::string out = eh::testing::read_text(dir / "out");
    std::filesystem::remove_all(dir);
    return {code, out};
}

/// A gRPC call by curl over HTTP/2 with the exact headers go-micro's client (grpc-go) sends:
/// content type application/grpc+proto. Returns grpc-status and the answer's message bytes.
std::pair<std::string, std::string> curl_call(const std::string& url, const std::string& message,
                                              std::vector<std::string> extra = {}) {
    const auto dir = eh::testing::make_temp_dir("eh-curl");
    std::string frame(5, '\0'); // gRPC length-prefixed message: not compressed, 4-byte big-endian length
    for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>((message.size() >> (8 * (3 - i))) & 0xFF);
    std::ofstream((dir / "request").string(), std::ios::binary) << frame << message;
    std::vector<std::string> argv{"curl", "-sS", "--data-binary", "@" + (dir / "request").string(),
                                  "-H", "content-type: application/grpc+proto", "-H", "te: trailers",
                                  "-H", "micro-from-service: com.owncloud.api.userlog", "-H", "timeout: 10000000000",
                                  "-D", (dir / "headers").string(), "-o", (dir / "response").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    eh::testing::ChildProcess c;
    c.start(argv, dir / "log");
    REQUIRE_MESSAGE(c.terminate(patience, false) == 0, eh::testing::read_text(dir / "log"));
    const std::string headers = eh::testing::read_text(dir / "headers");
    const std::string body = eh::testing::read_text(dir / "response");
    std::filesystem::remove_all(dir);
    std::smatch m;
    std::string status = std::regex_search(headers, m, std::regex("grpc-status: *([0-9]+)")) ? m[1].str() : "none";
    return {status, body.size() >= 5 ? body.substr(5) : std::string()};
}

} // namespace

TEST_CASE("registry: an ocis client finds eventhistoryd through the registry alone and gets exact answers") {
    NatsServer nats;
    const Published p = publish(nats, 1000, 11);
    Daemon d(nats.endpoint(), {"--grpc-addr", "127.0.0.1:0"});
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 1000, patience));

    const auto kv = registry_of(nats);
    const RegisteredNode node = nodes_of(*kv, ocis_name).at(0);
    // The record as ocis writes it: key, record, service.
    const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    const std::string server_id = node.node_id.substr(ocis_name.size() + 1);
    CHECK(node.node_id == ocis_name + "-" + server_id);
    CHECK(std::regex_match(server_id, uuid));
    CHECK(node.version == EH_VERSION);
    CHECK(node.plain_key == ocis_name + "@" + server_id + "@" + EH_VERSION);
    std::string key;
    eh::detail::natsjskv::base32("service-registry_" + node.plain_key, key);
    CHECK(node.kv_key == key);
    CHECK(node.record_key == node.plain_key);
    CHECK(node.record.starts_with(R"({"key":")" + node.plain_key + R"(","data":")"));
    CHECK(node.record.ends_with(R"(","metadata":null})"));
    CHECK(node.address.starts_with("127.0.0.1:"));
    CHECK(node.address != "127.0.0.1:0"); // the bound port
    // Byte for byte as tests/unit/test_registry.cpp pins it, for this node.
    CHECK(node.service_json == eh::registry::service_json({.name = ocis_name, .version = EH_VERSION,
                                                           .server_id = server_id, .address = node.address}));

    // Dialled at the registered address only, called on go-micro's paths.
    check_answers(dial(node.address), p);

    // The literal content type grpc-go sends (gRPC C++ clients always send their own).
    pb::GetEventsRequest request;
    request.add_ids(p.events[5].event.id);
    const auto [status, bytes] = curl_call("http://" + node.address + go_micro_prefix + "GetEvents",
                                           eh_test::bytes_of(request), {"--http2-prior-knowledge"});
    CHECK(status == "0");
    pb::GetEventsResponse response;
    REQUIRE(response.ParseFromString(bytes));
    REQUIRE(response.events_size() == 1);
    CHECK(response.events(0).event() == p.events[5].event.payload);

    CHECK(d.metric("eventhistory_registry_registered") == 1);
    CHECK(d.status("/readyz") == 200);
}

TEST_CASE("registry: refreshed within its TTL, removed on SIGTERM, gone after kill -9 when the TTL passes") {
    NatsServer nats;
    // Ten refreshes per TTL: a busy host may delay one, not the record's expiry.
    const EnvVars short_ttl{{"EXPERIMENTAL_REGISTER_TTL", "3s"}, {"EXPERIMENTAL_REGISTER_INTERVAL", "300ms"}};
    const auto kv = [&] {
        Daemon d(nats.endpoint(), {}, short_ttl);
        auto client = registry_of(nats);
        const RegisteredNode node = nodes_of(*client, ocis_name).at(0);
        // The bucket was created as ocis creates it: memory storage, max age = the TTL.
        jsStreamInfo* si = nullptr;
        REQUIRE(js_GetStreamInfo(&si, client->js.get(), "KV_service-registry", nullptr, nullptr) == NATS_OK);
        eh::detail::nats::StreamInfo info(si);
        CHECK(si->Config->Storage == js_MemoryStorage);
        CHECK(si->Config->MaxAge == std::chrono::nanoseconds(3s).count());

        // Three TTLs later it is still there: every look finds it.
        const auto until = std::chrono::steady_clock::now() + 9s;
        while (std::chrono::steady_clock::now() < until) {
            REQUIRE(client->find(node.kv_key).has_value());
            std::this_thread::sleep_for(100ms);
        }
        // A graceful stop deletes the record before the process exits.
        CHECK(d.terminate() == 0);
        CHECK_FALSE(client->find(node.kv_key).has_value());
        CHECK(eh_test::lookup(*client, ocis_name).empty());
        return client;
    }();

    Daemon crashed(nats.endpoint(), {}, short_ttl);
    const RegisteredNode node = nodes_of(*kv, ocis_name).at(0);
    crashed.kill();
    CHECK(eventually([&] { return !kv->find(node.kv_key).has_value(); }, patience, 100ms));
}

TEST_CASE("registry: registered again after nats-server restarted and lost the memory bucket") {
    NatsServer nats;
    Daemon d(nats.endpoint(), {}, {{"EXPERIMENTAL_REGISTER_TTL", "10s"}, {"EXPERIMENTAL_REGISTER_INTERVAL", "5s"}});
    const auto kv = registry_of(nats);
    const RegisteredNode before = nodes_of(*kv, ocis_name).at(0);
    nats.stop();
    nats.start();
    const auto again = registry_of(nats); // the bucket is back: the daemon created it again
    const RegisteredNode after = nodes_of(*again, ocis_name).at(0);
    CHECK(after.kv_key == before.kv_key);
    CHECK(after.service_json == before.service_json);
    CHECK(eventually([&] { return d.status("/readyz") == 200; }, patience, 100ms));
}

TEST_CASE("registry: unreachable registry: events are stored and served, /readyz and a metric say why; then it registers") {
    NatsServer nats;
    NatsServer registry(/*start_now=*/false);
    const Published p = publish(nats, 300, 12);
    Daemon d(nats.endpoint(), {}, {{"MICRO_REGISTRY_ADDRESS", registry.endpoint()},
                                   {"EXPERIMENTAL_REGISTER_TTL", "2s"}, {"EXPERIMENTAL_REGISTER_INTERVAL", "500ms"}});
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 300, patience));
    CHECK(eh_test::retrievable(d, p) == 300);
    REQUIRE(d.wait_metric_at_least("eventhistory_registry_failures_total", 1, patience));
    CHECK(d.metric("eventhistory_registry_registered") == 0);
    CHECK(d.status("/readyz") == 503);
    const std::string why = d.body("/readyz");
    CHECK(why.find("registry: not registered: no connection to NATS") != std::string::npos);
    CHECK(why.find(registry.endpoint()) == std::string::npos); // where is for the log only
    CHECK(eventually([&] { return d.log().find("registry: not registered: no connection to NATS at " +
                                               registry.url()) != std::string::npos; }, patience));

    registry.start();
    const RegisteredNode node = nodes_of(*registry_of(registry), ocis_name).at(0);
    CHECK(node.address == d.grpc_addr());
    CHECK(eventually([&] { return d.status("/readyz") == 200; }, patience, 100ms));
}

TEST_CASE("registry: MICRO_REGISTRY_AUTH_* for a NATS that requires them; a wrong password: /readyz says so") {
    NatsServer nats(true, {"--user", "eh", "--pass", "secret"});
    const EnvVars events_auth{{"OCIS_EVENTS_AUTH_USERNAME", "eh"}, {"OCIS_EVENTS_AUTH_PASSWORD", "secret"},
                              {"MICRO_REGISTRY_AUTH_USERNAME", "eh"}};
    auto with_password = [&](const std::string& password) {
        EnvVars env = events_auth;
        env.emplace_back("MICRO_REGISTRY_AUTH_PASSWORD", password);
        return env;
    };
    Daemon good(nats.endpoint(), {}, with_password("secret"));
    CHECK(good.wait_metric_at_least("eventhistory_registry_registered", 1, patience));
    CHECK(eventually([&] { return good.status("/readyz") == 200; }, patience, 100ms));
    Daemon bad(nats.endpoint(), {}, with_password("wrong"));
    REQUIRE(bad.wait_metric_at_least("eventhistory_registry_failures_total", 1, patience));
    CHECK(bad.status("/readyz") == 503);
    CHECK(bad.body("/readyz").find("registry: not registered") != std::string::npos);
    CHECK(bad.body("/readyz").find("wrong") == std::string::npos); // no password in what anyone may read
}

TEST_CASE("registry: listening on 0.0.0.0:0 registers an address of this host and the port picked") {
    NatsServer nats;
    Daemon d(nats.endpoint(), {"--grpc-addr", "0.0.0.0:0"});
    const RegisteredNode node = nodes_of(*registry_of(nats), ocis_name).at(0);
    const auto colon = node.address.rfind(':');
    std::string host = node.address.substr(0, colon);
    if (host.starts_with('[')) host = host.substr(1, host.size() - 2);
    const std::string port = node.address.substr(colon + 1);
    CAPTURE(node.address);
    CHECK(host != "0.0.0.0");
    CHECK(port != "0");
    const auto interfaces = eh::registry::interface_addresses();
    CHECK(std::any_of(interfaces.begin(), interfaces.end(), [&](const auto& a) { return a.ip == host; }));
    // The port picked serves (dialled on loopback, which 0.0.0.0 includes).
    pb::GetEventsRequest none;
    CHECK(eh_test::call_path(dial("127.0.0.1:" + port), go_micro_prefix + "GetEvents", eh_test::bytes_of(none)).status.ok());
}

TEST_CASE("OpenCloud: OC_ names and the eu.opencloud.api namespace") {
    NatsServer nats;
    const Published p = publish(nats, 200, 13);
    Daemon d("", {}, {{"OC_EVENTS_ENDPOINT", nats.endpoint()}, {"OC_PERSISTENT_STORE", "nats-js-kv"},
                      {"OC_PERSISTENT_STORE_NODES", nats.endpoint()}, {"OC_PERSISTENT_STORE_TTL", "2h"},
                      {"MICRO_REGISTRY_ADDRESS", nats.endpoint()},
                      {"EVENTHISTORY_REGISTRY_NAMESPACE", "eu.opencloud.api"}});
    REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 200, patience));
    CHECK(KvClient(nats.endpoint(), "eventhistory").keys().size() == 200); // the store came from OC_ names
    const auto kv = registry_of(nats);
    const RegisteredNode node = nodes_of(*kv, "eu.opencloud.api.eventhistory").at(0);
    CHECK(eh_test::lookup(*kv, ocis_name).empty());
    check_answers(dial(node.address), p, "/eu.opencloud.api.eventhistory.EventHistoryService/");
}

TEST_CASE("TLS between services: OCIS_GRPC_TLS_* with a private CA; enabled without a certificate: self-signed") {
    const eh_test::Certs certs;
    NatsServer nats;
    const Published p = publish(nats, 100, 14);
    pb::GetEventsRequest one;
    one.add_ids(p.events[3].event.id);
    SUBCASE("a certificate of the private CA") {
        Daemon d(nats.endpoint(), {}, {{"OCIS_GRPC_TLS_ENABLED", "true"},
                                       {"OCIS_GRPC_TLS_CERTIFICATE", certs("server.crt")},
                                       {"OCIS_GRPC_TLS_KEY", certs("server.key")}});
        REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 100, patience));
        const RegisteredNode node = nodes_of(*registry_of(nats), ocis_name).at(0);
        // OCIS_GRPC_CLIENT_TLS_MODE=on with OCIS_GRPC_CLIENT_TLS_CACERT: verified against the CA.
        const auto trusting = dial(node.address, eh::server::channel_credentials({.ca_file = certs("ca.crt")}));
        check_answers(trusting, p);
        const auto rogue = dial(node.address, eh::server::channel_credentials({.ca_file = certs("rogue.crt")}));
        CHECK(eh_test::call_path(rogue, go_micro_prefix + "GetEvents", eh_test::bytes_of(one)).status.error_code() ==
              grpc::StatusCode::UNAVAILABLE);
        CHECK(eh_test::call_path(dial(node.address), go_micro_prefix + "GetEvents", eh_test::bytes_of(one))
                  .status.error_code() == grpc::StatusCode::UNAVAILABLE);
    }
    SUBCASE("no certificate: a temporary self-signed one, for clients that skip verification") {
        Daemon d(nats.endpoint(), {}, {{"OCIS_GRPC_TLS_ENABLED", "true"}});
        REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 100, patience));
        const RegisteredNode node = nodes_of(*registry_of(nats), ocis_name).at(0);
        CHECK(d.log().find("temporary self-signed certificate") != std::string::npos);
        // OCIS_GRPC_CLIENT_TLS_MODE=insecure: TLS without verification (curl -k).
        const auto [status, bytes] =
            curl_call("https://" + node.address + go_micro_prefix + "GetEvents", eh_test::bytes_of(one), {"-k", "--http2"});
        CHECK(status == "0");
        pb::GetEventsResponse response;
        REQUIRE(response.ParseFromString(bytes));
        REQUIRE(response.events_size() == 1);
        CHECK(response.events(0).event() == p.events[3].event.payload);
        // A client that verifies does not trust it.
        const auto verifying = dial(node.address, eh::server::channel_credentials({.ca_file = certs("ca.crt")}));
        CHECK(eh_test::call_path(verifying, go_micro_prefix + "GetEvents", eh_test::bytes_of(one)).status.error_code() ==
              grpc::StatusCode::UNAVAILABLE);
    }
}

TEST_CASE("disabled parts: gRPC off (events only), events off (gRPC only); both, or a registry that cannot work: exit 2") {
    NatsServer nats;
    const Published p = publish(nats, 100, 15);
    SUBCASE("EVENTHISTORY_GRPC_DISABLED: events are stored, nothing listens, nothing registers") {
        Daemon d(nats.endpoint(), {}, {{"EVENTHISTORY_GRPC_DISABLED", "true"}});
        REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 100, patience));
        // Nothing on the gRPC address it would have had: the connection is refused.
        CHECK(eh_test::call_path(dial(d.grpc_addr()), go_micro_prefix + "GetEvents", "").status.error_code() ==
              grpc::StatusCode::UNAVAILABLE);
        KvClient kv(nats.endpoint());
        CHECK_FALSE(kv.bind("service-registry")); // never created: nothing registered
        CHECK(d.status("/readyz") == 200);
    }
    SUBCASE("EVENTHISTORY_EVENTS_DISABLED: gRPC answers and is registered, no consumer is made") {
        Daemon d(nats.endpoint(), {"--store-type", "nats-js-kv"}, {{"EVENTHISTORY_EVENTS_DISABLED", "true"}});
        const RegisteredNode node = nodes_of(*registry_of(nats), ocis_name).at(0);
        pb::GetEventsRequest one;
        one.add_ids(p.events[0].event.id);
        const auto a = eh_test::call_path(dial(node.address), go_micro_prefix + "GetEvents", eh_test::bytes_of(one));
        CHECK(a.status.ok());
        CHECK(a.response.events_size() == 0); // nothing consumed
        CHECK(NatsPublisher(nats.endpoint()).stream_info()->State.Consumers == 0);
        CHECK(d.metric("eventhistory_events_received_total") == 0);
        CHECK(eventually([&] { return d.status("/readyz") == 200; }, patience, 100ms));
    }
    SUBCASE("exit 2 with one line") {
        auto [code, out] = run({EH_DAEMON_PATH, "server"},
                               {{"EVENTHISTORY_GRPC_DISABLED", "1"}, {"EVENTHISTORY_EVENTS_DISABLED", "1"}});
        CHECK(code == 2);
        CHECK(out == "eventhistoryd: EVENTHISTORY_GRPC_DISABLED: gRPC and event consumption are both disabled "
                     "(events.disabled): nothing would run\n");
        std::tie(code, out) = run({EH_DAEMON_PATH, "server"}, {{"MICRO_REGISTRY", "kubernetes"}});
        CHECK(code == 2);
        CHECK(std::count(out.begin(), out.end(), '\n') == 1);
        CHECK(out.find("MICRO_REGISTRY: bad value \"kubernetes\"") != std::string::npos);
    }
    SUBCASE("MICRO_REGISTRY=memory: serves, says that nothing registers") {
        Daemon d(nats.endpoint(), {}, {{"MICRO_REGISTRY", "memory"}});
        REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 100, patience));
        CHECK(eh_test::retrievable(d, p) == 100);
        CHECK(d.log().find("nothing is registered") != std::string::npos);
        KvClient kv(nats.endpoint());
        CHECK_FALSE(kv.bind("service-registry"));
    }
}

TEST_CASE("log: JSON lines by default, readable ones with OCIS_LOG_PRETTY, colored with OCIS_LOG_COLOR, into OCIS_LOG_FILE") {
    NatsServer nats;
    SUBCASE("JSON into the file") {
        const auto dir = eh::testing::make_temp_dir("eh-log");
        const std::string file = (dir / "eventhistory.log").string();
        Daemon d(nats.endpoint(), {}, {{"OCIS_LOG_FILE", file}});
        REQUIRE(eventually([&] { return d.status("/readyz") == 200; }, patience, 100ms));
        CHECK(d.terminate() == 0);
        const std::string text = eh::testing::read_text(file);
        CHECK(d.log().find("stopped: received") == std::string::npos); // not on standard error
        std::istringstream lines(text);
        std::string line;
        std::size_t n = 0;
        simdjson::dom::parser parser;
        for (; std::getline(lines, line); ++n) {
            simdjson::dom::element e;
            REQUIRE_MESSAGE(parser.parse(line).get(e) == simdjson::SUCCESS, line);
            CHECK(std::string_view(e["service"]) == "eventhistory");
            CHECK(!std::string_view(e["level"]).empty());
            CHECK(!std::string_view(e["time"]).empty());
            CHECK(e["message"].is_string());
        }
        CHECK(n > 3);
        CHECK(text.find(R"("message":"stopped: received)") != std::string::npos);
        std::filesystem::remove_all(dir);
    }
    SUBCASE("pretty and colored, on standard error") {
        Daemon d(nats.endpoint(), {}, {{"OCIS_LOG_PRETTY", "true"}, {"OCIS_LOG_COLOR", "true"}});
        REQUIRE(eventually([&] { return d.status("/readyz") == 200; }, patience, 100ms));
        const std::string text = d.log();
        CHECK(text.find("INF\x1b[m registry: registered") != std::string::npos); // the level colored
        CHECK(text.find("\x1b[") != std::string::npos);
        CHECK(text.find("service=eventhistory") != std::string::npos);
        CHECK(text.find(R"({"level")") == std::string::npos);
    }
}
