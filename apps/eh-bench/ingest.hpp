#pragma once
// `eh-bench publish` and `eh-bench ingest`. Ingest publishes the workload first, then times
// the daemon storing the backlog (from its first ack to its last, read from /metrics) and, in
// the same run and on the same stream and batch size, the CEILING: a raw cnats pull consumer
// that only fetches and acks each message (raw_consumer.hpp). A shared store has a second
// ceiling: that consumer plus the raw write of the same records (store_bench.hpp).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eh/server/debug_http.hpp"
#include "eh/testing/nats_publisher.hpp"
#include "fixtures/server_process.hpp"
#include "latency.hpp"
#include "nats_kv_ceiling.hpp"
#include "raw_consumer.hpp"
#include "redis_ceiling.hpp"
#include "report.hpp"
#include "store_bench.hpp"
#include "workload.hpp"

namespace eh_bench {

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

/// Starts `eventhistoryd server` (with flags added: consumer name, store nodes, database; on
/// grpc_addr, or a free port) on the backlog, polls /metrics until it acked count events and
/// checks they are stored, stops it (SIGTERM; a non-zero exit is an error). once_up(grpc_addr)
/// runs as soon as the daemon answers (its gRPC server listens before the debug server).
inline DaemonIngest daemon_ingest(const std::filesystem::path& daemon, const std::string& endpoint,
                                  std::size_t count, int batch, const std::string& store_type,
                                  const std::vector<std::string>& flags,
                                  const std::function<void(const std::string&)>& once_up = {}) {
    const std::string grpc_addr = "127.0.0.1:" + std::to_string(eh_test::free_port());
    const auto dir = eh_test::make_temp_dir("eh-bench-daemon");
    const std::string debug_addr = "127.0.0.1:" + std::to_string(eh_test::free_port());
    eh_test::ChildProcess process;
    const auto t0 = Clock::now();
    std::vector<std::string> argv{daemon.string(), "server", "--events-endpoint", endpoint, "--store-type", store_type,
                                  "--consumer-fetch-batch", std::to_string(batch), "--grpc-addr", grpc_addr,
                                  "--debug-addr", debug_addr, "--log-level", "warn"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process.start(argv, dir / "eventhistoryd.log");
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
    bool up = false;
    const bool done = eh_test::eventually(
        [&] {
            if (!process.alive()) return true;
            const std::string page = metrics();
            if (!up && !page.empty() && once_up) once_up(grpc_addr);
            up = up || !page.empty();
            const double n = metric(page, "eventhistory_acks_total");
            if (n > 0 && at_first == 0) {
                first = Clock::now();
                at_first = n;
                r.startup_ms = std::chrono::duration<double, std::milli>(first - t0).count();
            }
            return n >= static_cast<double>(count);
        },
        // Every 10 ms: a scrape costs the daemon CPU too, and 10 ms is 0.5% of a 2 s run.
        std::chrono::minutes{10}, std::chrono::milliseconds{10});
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

/// The bench of a shared store; none for the daemon's private stores (memory, noop).
inline std::unique_ptr<StoreBench> store_bench(const std::string& store_type, const std::string& endpoint,
                                               const Workload& w) {
    if (store_type == "nats-js-kv") return std::make_unique<NatsKvBench>(endpoint, w);
    if (store_type == "redis-sentinel") return std::make_unique<RedisSentinelBench>(w);
    return nullptr;
}

/// ocis's ingest rate into the same store, where issue 6 measured it.
inline std::optional<double> ocis_ingest_rate(const std::string& store_type) {
    if (store_type == "memory") return 27'000;
    if (store_type == "nats-js-kv") return 5'600;
    return std::nullopt;
}

inline void bench_ingest(const IngestSetup& setup, const Workload& w, Report& report) {
    const auto store = store_bench(setup.store_type, setup.endpoint, w);
    double consumer = 0, store_ceiling = 0;
    DaemonIngest best;
    static int runs = 0; // fresh consumer and database names: each run reads the whole stream into an empty store
    for (int i = 0; i < setup.repeat; ++i) {
        const std::string run = std::to_string(getpid()) + "-" + std::to_string(runs++);
        consumer = std::max(consumer, raw_consumer_rate(setup.endpoint, w.count, setup.batch, "eh-bench-raw-" + run));
        const std::string consumer_name = "eh-bench-" + run;
        std::vector<std::string> flags{"--consumer-name", consumer_name};
        if (store) {
            store_ceiling = std::max(store_ceiling, store->ceiling(setup.endpoint, w.count, setup.batch, run));
            const auto more = store->daemon_flags(run);
            flags.insert(flags.end(), more.begin(), more.end());
        }
        const DaemonIngest d =
            daemon_ingest(setup.daemon, setup.endpoint, w.count, setup.batch, setup.store_type, flags);
        if (store) {
            delete_consumer(setup.endpoint, consumer_name); // the shared one it left
            const std::size_t held = store->records(run);
            store->drop(run);
            if (held != w.count)
                throw std::runtime_error(setup.store_type + ": the daemon left " + std::to_string(held) + " of " +
                                         std::to_string(w.count) + " records");
        }
        if (d.rate > best.rate) best = d;
    }
    const std::string batch = ", batch " + std::to_string(setup.batch);
    const std::string what = "ingest " + setup.store_type + " store" + batch;
    std::optional<Target> target; // issue 6 sets it for memory; the shared stores against their own ceiling
    if (setup.store_type == "memory") target = Target{0.9, true};
    report.add({.figure = what, .value = best.rate, .unit = "ev/s", .reference = consumer,
                .reference_name = "raw consumer (ack each)", .target = target});
    if (store) {
        report.add({.figure = what, .value = best.rate, .unit = "ev/s", .reference = store_ceiling,
                    .reference_name = store->ceiling_name(), .target = Target{0.8, true}});
        report.add({.figure = store->ceiling_name() + batch, .value = store_ceiling, .unit = "ev/s",
                    .reference = consumer, .reference_name = "raw consumer (ack each)"});
    }
    if (const auto ocis = ocis_ingest_rate(setup.store_type))
        report.add({.figure = what + " vs ocis", .value = best.rate, .unit = "ev/s", .reference = *ocis,
                    .reference_name = "ocis (Go), issue 6"});
    report.add({.figure = "ingest: daemon start to first ack", .value = best.startup_ms, .unit = "ms"});
}

} // namespace eh_bench
