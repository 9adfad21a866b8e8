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

#include "daemon_process.hpp"
#include "eh/testing/nats_publisher.hpp"
#include "eh/testing/server_process.hpp"
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

struct DaemonIngest {
    double rate = 0;       ///< events per second from the first ack to the last
    double startup_ms = 0; ///< from the start of the process to its first ack
    double cpu_s = 0;      ///< the process's CPU time, start to stop
};

/// Starts `eventhistoryd server` (with flags added: consumer name, store nodes, database) on
/// the backlog, polls /metrics until it acked count events and checks they are stored, stops
/// it (SIGTERM; a non-zero exit is an error). once_up(grpc address) runs once the daemon
/// listens.
inline DaemonIngest daemon_ingest(const std::filesystem::path& daemon, const std::string& endpoint,
                                  std::size_t count, int batch, const std::string& store_type,
                                  std::vector<std::string> flags,
                                  const std::function<void(const std::string&)>& once_up = {}) {
    flags.insert(flags.end(), {"--consumer-fetch-batch", std::to_string(batch)});
    const auto t0 = Clock::now();
    DaemonProcess process(daemon, endpoint, store_type, flags);
    if (once_up) once_up(process.grpc_addr());
    // Acks follow the store's acceptance; the stored gauge (stores that count) must agree.
    DaemonIngest r;
    Clock::time_point first{};
    double at_first = 0;
    const bool done = eh::testing::eventually(
        [&] {
            if (!process.alive()) return true;
            const double n = process.metric("eventhistory_acks_total");
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
    const double stored = store_type == "noop" ? -1 : process.metric("eventhistory_stored_events");
    const std::string log = process.log();
    r.cpu_s = cpu_seconds(process.pid());
    const int status = process.terminate();
    if (!done || status != 0 || (stored >= 0 && stored < static_cast<double>(count)))
        throw std::runtime_error("eventhistoryd did not ingest " + std::to_string(count) + " events (stored " +
                                 std::to_string(stored) + ", exit status " + std::to_string(status) +
                                 "); its log:\n" + log);
    r.rate = (static_cast<double>(count) - at_first) / seconds;
    return r;
}

struct IngestSetup {
    std::filesystem::path daemon;
    std::string endpoint; ///< NATS host:port holding the published workload
    pid_t nats_pid = 0;   ///< the nats-server's, when it is ours: its CPU per event is reported
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

inline void bench_ingest(const IngestSetup& setup, const Workload& w, Report& report) {
    const auto store = store_bench(setup.store_type, setup.endpoint, w);
    // The daemon acks where its store is shared; a private store's consumer is AckNone.
    const Acks acks = store ? Acks::each : Acks::none;
    const auto nats_cpu = [&] { return setup.nats_pid > 0 ? cpu_seconds(setup.nats_pid) : 0.0; };
    struct Best {
        double rate = 0, nats_cpu_s = 1e300;
        void take(double r, double cpu) { rate = std::max(rate, r), nats_cpu_s = std::min(nats_cpu_s, cpu); }
    } consumer, consumer_acking, store_ceiling;
    DaemonIngest best;
    double daemon_nats_cpu_s = 1e300;
    static int runs = 0; // fresh consumer and database names: each run reads the whole stream into an empty store
    for (int i = 0; i < setup.repeat; ++i) {
        const std::string run = std::to_string(getpid()) + "-" + std::to_string(runs++);
        double cpu0 = nats_cpu();
        const double raw = raw_consumer_rate(setup.endpoint, w.count, setup.batch, "eh-bench-raw-" + run, {}, acks);
        consumer.take(raw, nats_cpu() - cpu0);
        if (acks == Acks::none) // the acking consumer too, to show what acks cost
            consumer_acking.take(raw_consumer_rate(setup.endpoint, w.count, setup.batch, "eh-bench-raw-ack-" + run), 0);
        const std::string consumer_name = "eh-bench-" + run;
        std::vector<std::string> flags{"--consumer-name", consumer_name};
        if (store) {
            store_ceiling.take(store->ceiling(setup.endpoint, w.count, setup.batch, run), 0);
            const auto more = store->daemon_flags(run);
            flags.insert(flags.end(), more.begin(), more.end());
        }
        cpu0 = nats_cpu();
        const DaemonIngest d =
            daemon_ingest(setup.daemon, setup.endpoint, w.count, setup.batch, setup.store_type, flags);
        daemon_nats_cpu_s = std::min(daemon_nats_cpu_s, nats_cpu() - cpu0);
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
    const std::string consumer_name = acks == Acks::each ? "raw consumer (ack each)" : "raw consumer (no ack)";
    // The memory store against the bare consumer; a shared store against its own ceiling.
    report.add({.figure = what, .value = best.rate, .unit = "ev/s", .reference = consumer.rate,
                .reference_name = consumer_name,
                .target = setup.store_type == "memory" ? std::optional(Target{0.9}) : std::nullopt});
    if (acks == Acks::none)
        report.add({.figure = what, .value = best.rate, .unit = "ev/s", .reference = consumer_acking.rate,
                    .reference_name = "raw consumer (ack each)"});
    if (store) {
        report.add({.figure = what, .value = best.rate, .unit = "ev/s", .reference = store_ceiling.rate,
                    .reference_name = store->ceiling_name(), .target = Target{0.8}});
        report.add({.figure = store->ceiling_name() + batch, .value = store_ceiling.rate, .unit = "ev/s",
                    .reference = consumer.rate, .reference_name = consumer_name});
    }
    const double per_event = 1e6 / static_cast<double>(w.count); // seconds -> us per event
    report.add({.figure = "ingest: daemon CPU per event", .value = best.cpu_s * per_event, .unit = "us"});
    if (setup.nats_pid > 0)
        report.add({.figure = "ingest: nats-server CPU per event, daemon", .value = daemon_nats_cpu_s * per_event,
                    .unit = "us", .reference = consumer.nats_cpu_s * per_event,
                    .reference_name = "the same, " + consumer_name});
    report.add({.figure = "ingest: daemon start to first ack", .value = best.startup_ms, .unit = "ms"});
}

} // namespace eh_bench
