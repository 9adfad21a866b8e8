#pragma once
// `eh-bench publish` and `eh-bench ingest`. Ingest publishes the workload first, then times
// the daemon storing the backlog (from its first ack to its last, read from /metrics) and, in
// the same run and on the same stream and batch size, the CEILING: a raw cnats pull consumer
// that only fetches and acks each message.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "eh/detail/nats/consumer.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/server/debug_http.hpp"
#include "eh/testing/nats_publisher.hpp"
#include "fixtures/server_process.hpp"
#include "latency.hpp"
#include "report.hpp"
#include "workload.hpp"

namespace eh_bench {

namespace nats = eh::detail::nats;

inline constexpr std::string_view stream = "main-queue";

/// Publishes the workload (creating the stream as ocis does); returns the average envelope size.
inline double publish(const std::string& endpoint, const Workload& w) {
    const auto t0 = Clock::now();
    std::vector<std::string> bodies;
    bodies.reserve(w.count);
    std::size_t bytes = 0;
    auto gen = w.generator();
    for (std::size_t i = 0; i < w.count; ++i) {
        bodies.push_back(gen.next().envelope);
        bytes += bodies.back().size();
    }
    eh::testing::NatsPublisher publisher(endpoint);
    publisher.create_stream(std::string(stream));
    publisher.publish_all(bodies, std::chrono::seconds{600});
    const double average = static_cast<double>(bytes) / static_cast<double>(std::max<std::size_t>(1, w.count));
    std::printf("published %zu events (%zu users, seed %llu, %.0f B per envelope) to %s on %s in %.2f s\n", w.count,
                w.users, static_cast<unsigned long long>(w.seed), average, std::string(stream).c_str(),
                endpoint.c_str(), ms_since(t0) / 1000);
    return average;
}

/// The ceiling: fetch `batch` at a time and ack each message, nothing else. Messages per second
/// from the first fetched message to the last ack flushed.
inline double raw_consumer_rate(const std::string& endpoint, std::size_t count, int batch, const std::string& name) {
    natsOptions* raw_options = nullptr;
    nats::require(natsOptions_Create(&raw_options), "NATS options");
    const nats::Options options(raw_options);
    const std::string url = "nats://" + endpoint;
    const char* urls[] = {url.c_str()};
    nats::require(natsOptions_SetServers(raw_options, urls, 1), "NATS servers");
    nats::require(natsOptions_SetSendAsap(raw_options, true), "NATS SendAsap"); // see issue 6: the flusher's 1 ms
    natsConnection* raw_connection = nullptr;
    nats::require(natsConnection_Connect(&raw_connection, raw_options), "connecting to " + url);
    const nats::Connection connection(raw_connection);
    jsCtx* raw_js = nullptr;
    nats::require(natsConnection_JetStream(&raw_js, raw_connection, nullptr), "JetStream context");
    const nats::JetStream js(raw_js);
    jsOptions api;
    jsOptions_Init(&api);
    api.Wait = 5000;
    const nats::PullConsumerSpec spec{.stream = std::string(stream), .subject = std::string(stream), .name = name,
                                      .max_ack_pending = 10'000, .ack_wait = std::chrono::seconds{30}};
    nats::ConsumerInfo info;
    if (auto s = nats::ensure_consumer(raw_js, spec, api, info); !s)
        throw std::runtime_error("raw consumer: " + s.text);
    jsSubOptions sub_options;
    jsSubOptions_Init(&sub_options);
    sub_options.Stream = spec.stream.c_str();
    sub_options.Consumer = name.c_str();
    natsSubscription* raw_sub = nullptr;
    nats::require(js_PullSubscribe(&raw_sub, raw_js, spec.subject.c_str(), name.c_str(), &api, &sub_options, nullptr),
                  "raw pull subscription");
    nats::Subscription sub(raw_sub);
    std::size_t got = 0;
    Clock::time_point first{};
    const auto deadline = Clock::now() + std::chrono::minutes{10};
    while (got < count) {
        if (Clock::now() > deadline) throw std::runtime_error("raw consumer: stalled at " + std::to_string(got));
        natsMsgList list{};
        if (natsSubscription_Fetch(&list, raw_sub, batch, 500, nullptr) != NATS_OK) continue;
        if (got == 0) first = Clock::now();
        for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
        got += static_cast<std::size_t>(list.Count);
        natsMsgList_Destroy(&list);
    }
    nats::require(natsConnection_FlushTimeout(raw_connection, 10'000), "flushing acks");
    const double seconds = ms_since(first) / 1000;
    sub.reset();
    js_DeleteConsumer(raw_js, spec.stream.c_str(), name.c_str(), &api, nullptr);
    return static_cast<double>(count) / seconds;
}

/// An unlabelled sample of a Prometheus text page; -1 when absent.
inline double metric(const std::string& page, std::string_view name) {
    const std::string key = "\n" + std::string(name) + " ";
    const auto at = page.find(key);
    return at == std::string::npos ? -1 : std::stod(page.substr(at + key.size()));
}

struct DaemonIngest {
    double rate = 0;       ///< events per second from the first ack to the last
    double startup_ms = 0; ///< from the start of the process to its first ack
};

/// Starts `eventhistoryd server` on the backlog, polls /metrics until it acked count events and
/// checks they are stored, stops it (SIGTERM; a non-zero exit is an error).
inline DaemonIngest daemon_ingest(const std::filesystem::path& daemon, const std::string& endpoint,
                                  std::size_t count, int batch, const std::string& store_type) {
    const auto dir = eh_test::make_temp_dir("eh-bench-daemon");
    const std::string debug_addr = "127.0.0.1:" + std::to_string(eh_test::free_port());
    eh_test::ChildProcess process;
    const auto t0 = Clock::now();
    process.start({daemon.string(), "server", "--events-endpoint", endpoint, "--store-type", store_type,
                   "--consumer-fetch-batch", std::to_string(batch), "--grpc-addr",
                   "127.0.0.1:" + std::to_string(eh_test::free_port()), "--debug-addr", debug_addr, "--log-level",
                   "warn"},
                  dir / "eventhistoryd.log");
    // Acks follow the store's acceptance; the stored gauge (stores that count) must agree.
    auto metrics = [&] {
        try {
            return eh::server::http_get(debug_addr, "/metrics", std::chrono::seconds{2}).body;
        } catch (const std::exception&) {
            return std::string(); // not listening yet
        }
    };
    DaemonIngest r;
    Clock::time_point first{};
    double at_first = 0;
    const bool done = eh_test::eventually(
        [&] {
            if (!process.alive()) return true;
            const double n = metric(metrics(), "eventhistory_acks_total");
            if (n > 0 && at_first == 0) {
                first = Clock::now();
                at_first = n;
                r.startup_ms = std::chrono::duration<double, std::milli>(first - t0).count();
            }
            return n >= static_cast<double>(count);
        },
        std::chrono::minutes{10}, std::chrono::milliseconds{2});
    const double seconds = ms_since(first) / 1000;
    // noop keeps nothing (it measures the daemon without a store); -1: the store does not count.
    const double stored = store_type == "noop" ? -1 : metric(metrics(), "eventhistory_stored_events");
    const std::string log = process.log();
    const bool alive = process.alive();
    const int status = alive ? process.terminate(std::chrono::seconds{20}) : -1;
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (!done || !alive || status != 0 || (stored >= 0 && stored < static_cast<double>(count)))
        throw std::runtime_error("eventhistoryd did not ingest " + std::to_string(count) + " events (stored " +
                                 std::to_string(stored) + ", exit status " + std::to_string(status) +
                                 "); its log:\n" + log);
    r.rate = (static_cast<double>(count) - at_first) / seconds;
    return r;
}

struct IngestSetup {
    std::filesystem::path daemon;
    std::string endpoint; ///< NATS host:port holding the published workload
    std::string store_type = "memory"; ///< the daemon's --store-type
    int batch = 256;
    int repeat = 1; ///< best of this many runs of each (the machine is shared)
};

inline void bench_ingest(const IngestSetup& setup, const Workload& w, Report& report) {
    double ceiling = 0;
    DaemonIngest best;
    static int run = 0; // fresh consumer names: each run reads the whole stream
    for (int i = 0; i < setup.repeat; ++i) {
        ceiling = std::max(ceiling, raw_consumer_rate(setup.endpoint, w.count, setup.batch,
                                                      "eh-bench-raw-" + std::to_string(getpid()) + "-" +
                                                          std::to_string(run++)));
        const DaemonIngest d = daemon_ingest(setup.daemon, setup.endpoint, w.count, setup.batch, setup.store_type);
        if (d.rate > best.rate) best = d;
    }
    const std::string what = "ingest " + setup.store_type + " store, batch " + std::to_string(setup.batch);
    std::optional<Target> target; // issue 6 sets it for memory; the other stores have their own ceilings
    if (setup.store_type == "memory") target = Target{0.9, true};
    report.add({.figure = what, .value = best.rate, .unit = "ev/s", .reference = ceiling,
                .reference_name = "raw consumer (ack each)", .target = target});
    report.add({.figure = what + " vs ocis", .value = best.rate, .unit = "ev/s", .reference = 27'000,
                .reference_name = "ocis (Go), issue 6"});
    report.add({.figure = "ingest: daemon start to first ack", .value = best.startup_ms, .unit = "ms"});
}

} // namespace eh_bench
