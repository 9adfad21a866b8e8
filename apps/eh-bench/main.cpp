// eh-bench: eventhistory's benchmark, each figure against a ceiling or floor measured in the
// same run (the machine may be shared: ratios hold, absolute numbers drift). See
// docs/performance.md for the method and the targets.
//   eh-bench publish --url HOST:PORT --count N    publish generated events (demo data, too)
//   eh-bench ingest | get | user | memory | all   measure; `all` prints one table
//   eh-bench failover                             redis-sentinel: ingest across a master kill
//   eh-bench hostile                               ingest with and without hostile queries
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "eh/testing/nats_server.hpp"
#include "failover.hpp"
#include "get_qps.hpp"
#include "hostile.hpp"
#include "ingest.hpp"
#include "memory_use.hpp"
#include "report.hpp"
#include "store_reads.hpp"
#include "user_query.hpp"
#include "workload.hpp"

namespace {

/// The daemon installed or built next to eh-bench.
std::filesystem::path default_daemon() {
    const auto here = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    for (const auto& candidate : {here / "eventhistoryd", here.parent_path() / "eventhistoryd" / "eventhistoryd"})
        if (std::filesystem::exists(candidate)) return candidate;
    return here / "eventhistoryd";
}

struct Options {
    eh_bench::Workload workload;
    std::string url;    ///< NATS host:port; empty: a nats-server of our own
    std::string target; ///< a running daemon's gRPC address for `get`; empty: in-process
    std::string daemon = default_daemon().string();
    std::string store_type = "memory";
    int batch = 256;
    int repeat = 1;
    double seconds = 2;
    std::size_t memory_count = 200'000;
    std::size_t failover_count = 8'000;
    std::size_t hostile_clients = 2;
    double hostile_rate = 100;
    std::vector<std::size_t> sizes{10'000, 100'000, 1'000'000};
    std::string csv, plot;
};

/// The workload published on --url, or on a nats-server of its own (kept in `own`); the
/// daemon's ingest settings on it.
eh_bench::IngestSetup published(const Options& o, std::unique_ptr<eh::testing::NatsServer>& own) {
    std::string endpoint = o.url;
    if (endpoint.empty()) {
        own = std::make_unique<eh::testing::NatsServer>();
        endpoint = own->endpoint();
    }
    eh_bench::publish(endpoint, o.workload);
    return {.daemon = o.daemon,
            .endpoint = endpoint,
            .nats_pid = own ? own->pid() : 0,
            .store_type = o.store_type,
            .batch = o.batch,
            .repeat = o.repeat};
}

void ingest(const Options& o, eh_bench::Report& report) {
    std::unique_ptr<eh::testing::NatsServer> own;
    eh_bench::bench_ingest(published(o, own), o.workload, report);
}

/// Ingest with and without hostile queries.
void hostile(const Options& o, eh_bench::Report& report) {
    std::unique_ptr<eh::testing::NatsServer> own;
    eh_bench::bench_hostile({.ingest = published(o, own), .threads = o.hostile_clients, .rate = o.hostile_rate},
                            o.workload, report);
}

void memory(const Options& o, eh_bench::Report& report) {
    eh_bench::Workload w = o.workload;
    w.count = o.memory_count;
    eh_bench::bench_memory(w, report);
}

void finish(const Options& o, const eh_bench::Report& report) {
    report.print(std::cout);
    if (!o.csv.empty()) report.write_csv(o.csv);
    if (!o.plot.empty()) report.write_plot(o.plot);
}

} // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    Options o;
    CLI::App app{"eh-bench: eventhistory benchmarks, each figure against a ceiling or floor measured in the same run"};
    app.require_subcommand(1);
    auto workload_flags = [&](CLI::App* cmd) {
        cmd->add_option("--count", o.workload.count, "Events to publish / store")->capture_default_str();
        cmd->add_option("--users", o.workload.users, "Distinct users in the events")->capture_default_str();
        cmd->add_option("--seed", o.workload.seed, "Generator seed (same seed and count: same ids)")
            ->capture_default_str();
    };
    auto ingest_flags = [&](CLI::App* cmd) {
        cmd->add_option("--url", o.url, "NATS host:port (default: start a nats-server of its own)");
        cmd->add_option("--daemon", o.daemon, "eventhistoryd binary")->capture_default_str();
        cmd->add_option("--store-type", o.store_type,
                        "The daemon's store (redis-sentinel: a Redis master, replica and sentinel of its own)")
            ->capture_default_str();
        cmd->add_option("--batch", o.batch, "Fetch batch of the daemon and the raw consumer")->capture_default_str();
        cmd->add_option("--repeat", o.repeat, "Best of this many runs")->capture_default_str();
    };
    auto get_flags = [&](CLI::App* cmd) {
        cmd->add_option("--target", o.target,
                        "gRPC address of a daemon holding the events of `publish` with the same --count and --seed "
                        "(default: an in-process memory-store server)");
        cmd->add_option("--duration", o.seconds, "Seconds measured per point")->capture_default_str();
    };
    auto read_store_flag = [&](CLI::App* cmd) {
        cmd->add_option("--store-type", o.store_type,
                        "memory, or a shared store on servers of its own (nats-js-kv, redis-sentinel) read in-process "
                        "against a raw reader of the same records")
            ->capture_default_str();
    };
    auto user_flags = [&](CLI::App* cmd) {
        cmd->add_option("--sizes", o.sizes, "Store sizes for the user query")->delimiter(',')->capture_default_str();
    };
    auto memory_flags = [&](CLI::App* cmd) {
        cmd->add_option("--memory-count", o.memory_count, "Events stored for the memory figure")
            ->capture_default_str();
    };
    auto output_flags = [&](CLI::App* cmd) {
        cmd->add_option("--csv", o.csv, "Write the table as CSV to this file");
        cmd->add_option("--plot", o.plot, "Write a PNG of user-query latency against store size (gnuplot)");
    };

    auto* publish = app.add_subcommand("publish", "Publish generated events to JetStream (creates the stream)");
    workload_flags(publish);
    publish->add_option("--url", o.url, "NATS host:port")->required();
    bool list = false;
    publish->add_flag("--list", list, "Then print each event's id and type, and the user ids (for demos)");
    auto* ingest = app.add_subcommand(
        "ingest", "Daemon ingest rate against a raw pull consumer (nats-js-kv, redis-sentinel: and against consume + "
                  "the raw write of the same records)");
    workload_flags(ingest);
    ingest_flags(ingest);
    auto* get = app.add_subcommand("get", "GetEvents calls/s and latency against a floor server (shared stores: and "
                                          "against a raw reader)");
    workload_flags(get);
    get_flags(get);
    read_store_flag(get);
    auto* user = app.add_subcommand("user", "GetEventsForUser latency by store size against a scan of every event");
    user->add_option("--seed", o.workload.seed, "Generator seed")->capture_default_str();
    user_flags(user);
    read_store_flag(user);
    auto* memory_cmd = app.add_subcommand("memory", "Memory store bytes per event against the payload");
    memory_cmd->add_option("--seed", o.workload.seed, "Generator seed")->capture_default_str();
    memory_flags(memory_cmd);
    auto* failover = app.add_subcommand(
        "failover", "redis-sentinel: the daemon's ingest pause when the Redis master is killed, against the sentinels' "
                    "promotion time");
    failover->add_option("--count", o.failover_count, "Events published, at ~800/s, the master killed midway")
        ->capture_default_str();
    failover->add_option("--seed", o.workload.seed, "Generator seed")->capture_default_str();
    failover->add_option("--daemon", o.daemon, "eventhistoryd binary")->capture_default_str();
    auto* hostile_cmd = app.add_subcommand(
        "hostile", "Daemon ingest rate while clients send hostile queries, against the same ingest without them");
    workload_flags(hostile_cmd);
    ingest_flags(hostile_cmd);
    hostile_cmd->add_option("--clients", o.hostile_clients, "Hostile client threads")->capture_default_str();
    hostile_cmd->add_option("--rate", o.hostile_rate, "Calls per second of each client (0: as fast as answered)")
        ->capture_default_str();
    auto* all = app.add_subcommand("all", "Everything but failover and hostile; one table");
    workload_flags(all);
    ingest_flags(all);
    get_flags(all);
    user_flags(all);
    memory_flags(all);
    for (auto* cmd : {ingest, get, user, memory_cmd, failover, hostile_cmd, all}) output_flags(cmd);

    CLI11_PARSE(app, argc, argv);
    eh_bench::Report report;
    try {
        if (*publish) {
            eh_bench::publish(o.url, o.workload);
            if (list) o.workload.list(std::cout);
            return 0;
        }
        // Memory first: what later sections free and the allocator keeps would hide growth.
        if (*memory_cmd || *all) memory(o, report);
        // `all` reads the memory store; --store-type there is the ingest's.
        const bool memory_reads = *all || o.store_type == "memory";
        if (*all || (*user && memory_reads)) eh_bench::bench_user_queries(o.sizes, o.workload.seed, report);
        if (*user && !memory_reads) eh_bench::bench_store_users(o.store_type, o.sizes, o.workload.seed, report);
        if (*all || (*get && memory_reads)) eh_bench::bench_get_events(o.workload, o.target, o.seconds, report);
        if (*get && !memory_reads) eh_bench::bench_store_gets(o.store_type, o.workload, o.seconds, report);
        if (*ingest || *all) ::ingest(o, report);
        if (*failover) {
            eh_bench::Workload w = o.workload;
            w.count = o.failover_count;
            eh_bench::bench_failover(o.daemon, w, report);
        }
        if (*hostile_cmd) ::hostile(o, report);
        finish(o, report);
    } catch (const std::exception& e) {
        std::cerr << "eh-bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
