// The debug HTTP server over real loopback sockets, its GET client, and the Prometheus text.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eh/counters.hpp"
#include "eh/server/debug_http.hpp"
#include "eh/server/prometheus.hpp"

using namespace std::chrono_literals;
using eh::server::DebugHttpServer;
using eh::server::http_get;

namespace {

std::string address_of(const DebugHttpServer& server) { return "127.0.0.1:" + std::to_string(server.port()); }

/// A plain TCP connection to the server, as a hostile client holds it.
class RawClient {
public:
    explicit RawClient(const DebugHttpServer& server) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(server.port());
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    RawClient(const RawClient&) = delete;
    ~RawClient() { ::close(fd_); }

    /// False once the server closed (or reset) the connection.
    bool send(std::string_view bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    /// What arrives within timeout, until the server closes; closed() says whether it did.
    std::string read(std::chrono::milliseconds timeout) {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (char buf[4096];;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    bool closed() const noexcept { return closed_; }

private:
    int fd_;
    bool closed_ = false;
};

/// Sends raw bytes and returns everything the server answers until it closes.
std::string exchange(const DebugHttpServer& server, const std::string& request) {
    RawClient c(server);
    REQUIRE(c.send(request));
    return c.read(5s);
}

/// The sample lines of a metric text: "name{labels}" -> value.
std::map<std::string, std::string> samples(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        out[line.substr(0, space)] = line.substr(space + 1);
    }
    return out;
}

} // namespace

TEST_CASE("debug http: /healthz, /readyz with the reason, /metrics, 404") {
    std::mutex mutex;
    std::string not_ready = "NATS not ready";
    DebugHttpServer server("127.0.0.1:0",
                           {.readiness =
                                [&] {
                                    std::lock_guard lock(mutex);
                                    return not_ready;
                                },
                            .metrics = [] { return std::string("eventhistory_up 1\n"); }});
    REQUIRE(server.port() != 0);
    const std::string addr = address_of(server);

    auto r = http_get(addr, "/healthz", 2s);
    CHECK(r.status == 200);
    CHECK(r.body == "ok\n");

    r = http_get(addr, "/readyz", 2s);
    CHECK(r.status == 503);
    CHECK(r.body == "NATS not ready\n");
    {
        std::lock_guard lock(mutex);
        not_ready.clear();
    }
    r = http_get(addr, "/readyz?verbose=1", 2s);
    CHECK(r.status == 200);
    CHECK(r.body == "ready\n");

    r = http_get(addr, "/metrics", 2s);
    CHECK(r.status == 200);
    CHECK(r.headers.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
    CHECK(r.headers.find("Content-Length: 18\r\n") != std::string::npos);
    CHECK(r.body == "eventhistory_up 1\n");

    CHECK(http_get(addr, "/", 2s).status == 404);
    CHECK(http_get(addr, "/healthz/x", 2s).status == 404);
}

TEST_CASE("debug http: methods, malformed and oversize requests") {
    DebugHttpServer server("127.0.0.1:0", {}, {.max_request_bytes = 1024});
    CHECK(exchange(server, "POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n").starts_with("HTTP/1.1 405 "));
    const std::string head = exchange(server, "HEAD /healthz HTTP/1.1\r\n\r\n");
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.find("Content-Length: 3\r\n") != std::string::npos); // the length of GET's body...
    CHECK(head.ends_with("\r\n\r\n"));                               // ...and no body
    CHECK(exchange(server, "hello\r\n\r\n").starts_with("HTTP/1.1 400 "));
    CHECK(exchange(server, "GET /healthz SPDY/3\r\n\r\n").starts_with("HTTP/1.1 400 "));
    CHECK(http_get(address_of(server), "/" + std::string(4000, 'a'), 2s).status == 431);
    CHECK(exchange(server, "GET /healthz HTTP/1.1\r\nContent-Length: 5000\r\n\r\n").starts_with("HTTP/1.1 413 "));
    // Without handlers: ready, and empty metrics.
    CHECK(http_get(address_of(server), "/readyz", 2s).status == 200);
    CHECK(http_get(address_of(server), "/metrics", 2s).body.empty());
}

TEST_CASE("debug http: a throwing handler gives 500 and the server keeps serving") {
    DebugHttpServer server("127.0.0.1:0", {.readiness = []() -> std::string { throw std::runtime_error("boom"); }});
    const auto r = http_get(address_of(server), "/readyz", 2s);
    CHECK(r.status == 500);
    CHECK(r.body == "boom\n");
    CHECK(http_get(address_of(server), "/healthz", 2s).status == 200);
}

TEST_CASE("debug http: a token guards /metrics only; /healthz and /readyz stay open") {
    DebugHttpServer server("127.0.0.1:0", {.metrics = [] { return std::string("m 1\n"); }}, {.token = "s3cret"});
    const std::string addr = address_of(server);
    const auto denied = http_get(addr, "/metrics", 2s);
    CHECK(denied.status == 401);
    CHECK(denied.headers.find("WWW-Authenticate: Bearer") != std::string::npos);
    CHECK(denied.body.find("m 1") == std::string::npos);
    CHECK(http_get(addr, "/metrics", 2s, "wrong").status == 401);
    CHECK(http_get(addr, "/metrics", 2s, "s3cret-and-more").status == 401);
    CHECK(http_get(addr, "/metrics", 2s, "s3cre").status == 401);
    const auto allowed = http_get(addr, "/metrics", 2s, "s3cret");
    CHECK(allowed.status == 200);
    CHECK(allowed.body == "m 1\n");
    CHECK(http_get(addr, "/healthz", 2s).status == 200);
    CHECK(http_get(addr, "/readyz", 2s).status == 200);
}

TEST_CASE("debug http: a client holding every connection idle does not keep a probe out") {
    // Idle connections would live a minute: the probe can only get in by taking one's place.
    DebugHttpServer server("127.0.0.1:0", {}, {.max_connections = 64, .timeout = 60s});
    std::vector<std::unique_ptr<RawClient>> idle;
    for (int i = 0; i < 100; ++i) idle.push_back(std::make_unique<RawClient>(server));
    for (int round = 0; round < 3; ++round) CHECK(http_get(address_of(server), "/healthz", 20s).status == 200);
    // Those that kept their places are still open: the probes did not wait for a timeout.
    std::size_t open = 0;
    for (auto& c : idle) {
        c->read(1ms);
        open += !c->closed();
    }
    CHECK(open > 0);
    const auto stopping = std::chrono::steady_clock::now();
    server.stop(); // does not wait for them either
    CHECK(std::chrono::steady_clock::now() - stopping < 20s);
    server.stop(); // idempotent
}

TEST_CASE("debug http: a client streaming bytes after its response loses its connection, not a probe") {
    DebugHttpServer server("127.0.0.1:0", {}, {.max_connections = 2, .timeout = 60s});
    std::vector<std::unique_ptr<RawClient>> streaming;
    for (int i = 0; i < 2; ++i) {
        auto c = std::make_unique<RawClient>(server);
        REQUIRE(c->send("GET /healthz HTTP/1.1\r\n\r\n"));
        CHECK(c->read(20s).starts_with("HTTP/1.1 200 "));
        streaming.push_back(std::move(c));
    }
    // They keep sending; the server has closed them after their responses.
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0};
    std::thread flood([&] {
        const std::string junk(4096, 'x');
        while (!stop)
            for (auto& c : streaming) refused += !c->send(junk);
    });
    for (int round = 0; round < 3; ++round) CHECK(http_get(address_of(server), "/healthz", 20s).status == 200);
    for (int i = 0; i < 2000 && refused < 2; ++i) std::this_thread::sleep_for(10ms); // until both saw the close
    stop = true;
    flood.join();
    CHECK(refused >= 2);
}

TEST_CASE("debug http: listen errors name the address; the client's errors name the URL") {
    DebugHttpServer server("127.0.0.1:0", {});
    const std::string taken = address_of(server);
    CHECK_THROWS_WITH(DebugHttpServer(taken, {}),
                      ("debug server: cannot listen on " + taken + ": Address already in use").c_str());
    CHECK_THROWS_WITH(DebugHttpServer("localhost", {}), "localhost: not host:port");

    // Refused: a port nothing listens on any more.
    std::string closed;
    {
        DebugHttpServer gone("127.0.0.1:0", {});
        closed = address_of(gone);
    }
    CHECK_THROWS_WITH(http_get(closed, "/healthz", 2s),
                      ("http://" + closed + "/healthz: " + closed + ": Connection refused").c_str());

    // A listener that never answers: the client gives up at its deadline.
    const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in bound{};
    bound.sin_family = AF_INET;
    bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0);
    REQUIRE(::listen(silent, 4) == 0);
    socklen_t len = sizeof bound;
    ::getsockname(silent, reinterpret_cast<sockaddr*>(&bound), &len);
    const std::string mute = "127.0.0.1:" + std::to_string(ntohs(bound.sin_port));
    CHECK_THROWS_WITH(http_get(mute, "/healthz", 200ms), ("http://" + mute + "/healthz: timed out reading").c_str());
    ::close(silent);
}

TEST_CASE("prometheus: HELP and TYPE once per family, labels escaped, values as Go writes them") {
    using eh::server::MetricType;
    eh::server::PrometheusText text;
    text.family("eventhistory_grpc_requests_total", MetricType::counter, "gRPC requests\nby method \\ code.")
        .sample({{"method", "GetEvents"}, {"code", "OK"}}, 3)
        .sample({{"method", "Get\"Events\"\n\\"}, {"code", "INVALID_ARGUMENT"}}, std::uint64_t{1});
    text.single("eventhistory_consumer_pending", MetricType::gauge, "Pending.", 0.25);
    text.single("eventhistory_small", MetricType::gauge, "Small.", 0.0001);
    text.single("eventhistory_inf", MetricType::gauge, "Inf.", 1.0 / 0.0);
    CHECK(text.text() ==
          "# HELP eventhistory_grpc_requests_total gRPC requests\\nby method \\\\ code.\n"
          "# TYPE eventhistory_grpc_requests_total counter\n"
          "eventhistory_grpc_requests_total{method=\"GetEvents\",code=\"OK\"} 3\n"
          "eventhistory_grpc_requests_total{method=\"Get\\\"Events\\\"\\n\\\\\",code=\"INVALID_ARGUMENT\"} 1\n"
          "# HELP eventhistory_consumer_pending Pending.\n"
          "# TYPE eventhistory_consumer_pending gauge\n"
          "eventhistory_consumer_pending 0.25\n"
          "# HELP eventhistory_small Small.\n"
          "# TYPE eventhistory_small gauge\n"
          "eventhistory_small 0.0001\n"
          "# HELP eventhistory_inf Inf.\n"
          "# TYPE eventhistory_inf gauge\n"
          "eventhistory_inf +Inf\n");
    CHECK(eh::server::detail::format_metric_value(5.0) == "5");
    CHECK(eh::server::detail::format_metric_value(0.1) == "0.1");
    CHECK(eh::server::detail::format_metric_value(1e21) == "1e+21");
    CHECK(eh::server::detail::format_metric_value(1.0 / 3) == "0.3333333333333333");
}

TEST_CASE("prometheus: eh::Counters as eventhistory_* metrics, the histogram with cumulative buckets") {
    eh::Counters c;
    eh::Counters::add(c.received, 10);
    eh::Counters::add(c.stored, 7);
    eh::Counters::add(c.duplicates, 1);
    eh::Counters::add(c.expired, 1);
    eh::Counters::add(c.malformed, 1);
    eh::Counters::add(c.id_fallbacks, 2);
    eh::Counters::add(c.store_errors, 4);
    eh::Counters::add(c.acks, 9);
    eh::Counters::add(c.naks, 5);
    eh::Counters::add(c.terms, 1);
    eh::Counters::add(c.batches, 6);
    // Two fast batches, three in the middle, one beyond the last bound.
    for (std::chrono::nanoseconds d : std::initializer_list<std::chrono::nanoseconds>{50us, 80us, 3ms, 3ms, 4ms, 10s})
        c.batch_latency.observe(d);

    eh::server::PrometheusText text;
    eh::server::write_counters(text, c);
    const auto s = samples(text.text());
    CHECK(s.at("eventhistory_events_received_total") == "10");
    CHECK(s.at("eventhistory_events_stored_total") == "7");
    CHECK(s.at("eventhistory_events_duplicates_total") == "1");
    CHECK(s.at("eventhistory_events_expired_total") == "1");
    CHECK(s.at("eventhistory_events_malformed_total") == "1");
    CHECK(s.at("eventhistory_event_id_fallbacks_total") == "2");
    CHECK(s.at("eventhistory_store_errors_total") == "4");
    CHECK(s.at("eventhistory_acks_total") == "9");
    CHECK(s.at("eventhistory_naks_total") == "5");
    CHECK(s.at("eventhistory_terms_total") == "1");
    CHECK(s.at("eventhistory_ingest_batches_total") == "6");
    CHECK(text.text().find("# TYPE eventhistory_ingest_batch_duration_seconds histogram\n") != std::string::npos);

    // Parse the buckets back: le ascending, counts cumulative, +Inf last and equal to _count.
    const std::string prefix = "eventhistory_ingest_batch_duration_seconds_bucket{le=\"";
    std::vector<std::pair<std::string, long>> buckets;
    std::istringstream in(text.text());
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with(prefix)) continue;
        const auto quote = line.find('"', prefix.size());
        buckets.emplace_back(line.substr(prefix.size(), quote - prefix.size()), std::stol(line.substr(quote + 3)));
    }
    REQUIRE(buckets.size() == eh::LatencyHistogram::bounds.size() + 1);
    for (std::size_t i = 0; i + 1 < buckets.size(); ++i) {
        CAPTURE(buckets[i].first);
        CHECK(std::stod(buckets[i].first) == eh::LatencyHistogram::bounds[i]);
        CHECK(buckets[i].second <= buckets[i + 1].second);
    }
    CHECK(buckets.front() == std::pair<std::string, long>{"0.0001", 2});
    CHECK(buckets[5] == std::pair<std::string, long>{"0.005", 5}); // 3ms, 3ms, 4ms fall at or under 0.005
    CHECK(buckets[buckets.size() - 2] == std::pair<std::string, long>{"5", 5});
    CHECK(buckets.back() == std::pair<std::string, long>{"+Inf", 6});
    CHECK(s.at("eventhistory_ingest_batch_duration_seconds_count") == "6");
    CHECK(std::stod(s.at("eventhistory_ingest_batch_duration_seconds_sum")) == doctest::Approx(10.01013));
}

TEST_CASE("debug http + prometheus: /metrics serves the counters as they change") {
    eh::Counters c;
    DebugHttpServer server("127.0.0.1:0", {.metrics = [&] {
                               eh::server::PrometheusText text;
                               eh::server::write_counters(text, c);
                               return text.text();
                           }});
    CHECK(samples(http_get(address_of(server), "/metrics", 2s).body).at("eventhistory_events_stored_total") == "0");
    eh::Counters::add(c.stored, 42);
    CHECK(samples(http_get(address_of(server), "/metrics", 2s).body).at("eventhistory_events_stored_total") == "42");
}
