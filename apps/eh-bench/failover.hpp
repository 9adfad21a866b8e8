#pragma once
// `eh-bench failover`: eventhistoryd on redis-sentinel (a master, a replica and three
// sentinels of its own) ingesting events published at a steady rate; the master is killed
// (kill -9) in the middle. Figures: how long after the kill the sentinels promoted the
// replica (the reference, measured in the same run), and how long after that promotion the
// daemon stored again (the first ack after its first refused batch; target <= 5 s). Every
// event must then be in Redis, once (checked).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "daemon_process.hpp"
#include "eh/store/detail/redis/handles.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/nats_publisher.hpp"
#include "eh/testing/redis_cluster.hpp"
#include "latency.hpp"
#include "report.hpp"
#include "workload.hpp"

namespace eh_bench {

inline void bench_failover(const std::filesystem::path& daemon, const Workload& w, Report& report) {
    using namespace std::chrono_literals;
    eh::testing::NatsServer nats;
    eh::testing::NatsPublisher(nats.endpoint()).create_stream();
    // Three sentinels (a quorum of two promotes a replica) and two replicas: the promoted one
    // keeps one, which each batch still needs (redis.min_replicas 1).
    eh::testing::RedisCluster cluster({.replicas = 2});
    std::string nodes;
    for (const auto& n : cluster.nodes()) nodes += (nodes.empty() ? "" : ",") + n;
    DaemonProcess d(daemon, nats.endpoint(), "redis-sentinel", {"--store-nodes", nodes});

    const auto events = w.events();
    // Half before the kill, the rest after it; ~800 events/s, so the kill falls mid-stream.
    eh::testing::ContinuousPublisher publisher(nats.endpoint(), events, events.size() / 2, 20ms);
    // When the acks moved and when the first refused batch was seen, sampled every 20 ms.
    std::mutex mutex;
    std::vector<Clock::time_point> acked;
    std::optional<Clock::time_point> first_nak;
    std::jthread sampler([&](std::stop_token stop) {
        double last = 0;
        while (!stop.stop_requested()) {
            const std::string page = d.metrics();
            const double acks = metric(page, "eventhistory_acks_total"), naks = metric(page, "eventhistory_naks_total");
            {
                std::lock_guard lock(mutex);
                if (acks > last) acked.push_back(Clock::now());
                if (naks > 0 && !first_nak) first_nak = Clock::now();
            }
            last = std::max(last, acks);
            std::this_thread::sleep_for(20ms);
        }
    });

    const auto acks_at_least = [&](double n) {
        return eh::testing::eventually([&] { return d.metric("eventhistory_acks_total") >= n; }, 10min, 20ms);
    };
    if (!acks_at_least(static_cast<double>(events.size() / 4))) throw std::runtime_error("failover: no ingest");
    const auto killed_at = Clock::now();
    const int old_master = cluster.kill_master();
    publisher.release();
    if (!eh::testing::eventually([&] { return cluster.master_port() != old_master; }, 2min, 5ms))
        throw std::runtime_error("failover: the sentinels promoted no replica; logs:\n" + cluster.logs());
    const auto promoted_at = Clock::now();
    if (!publisher.finish()) throw std::runtime_error("failover: publishing failed");
    if (!acks_at_least(static_cast<double>(events.size())))
        throw std::runtime_error("failover: the daemon did not store every event; its log:\n" + d.log());
    const double all_stored_s = ms_since(killed_at) / 1000;
    sampler.request_stop();
    sampler.join();

    std::optional<Clock::time_point> resumed;
    {
        std::lock_guard lock(mutex);
        if (!first_nak) throw std::runtime_error("failover: the daemon refused no batch (was the master killed?)");
        for (const auto t : acked)
            if (t > *first_nak) {
                resumed = t;
                break;
            }
    }
    // Every event in the new master's database 0, once.
    const eh::store::detail::redis::Context master(
        redisConnectWithTimeout("127.0.0.1", cluster.master_port(), {.tv_sec = 2, .tv_usec = 0}));
    if (!master || master->err) throw std::runtime_error("failover: cannot connect to the new master");
    const eh::store::detail::redis::Reply size(static_cast<redisReply*>(redisCommand(master.get(), "DBSIZE")));
    if (!size || size->type != REDIS_REPLY_INTEGER || static_cast<std::size_t>(size->integer) != events.size())
        throw std::runtime_error("failover: the new master holds " +
                                 std::to_string(size && size->type == REDIS_REPLY_INTEGER ? size->integer : -1) +
                                 " records of " + std::to_string(events.size()));
    const auto seconds = [](Clock::duration t) { return std::chrono::duration<double>(t).count(); };
    const double promotion_s = seconds(promoted_at - killed_at);
    std::printf("  failover: %zu events, %.0f duplicates on redelivery, all stored %.1f s after the kill\n",
                events.size(), d.metric("eventhistory_events_duplicates_total"), all_stored_s);
    d.terminate();
    report.add({.figure = "redis-sentinel failover: kill -9 to promotion", .value = promotion_s, .unit = "s"});
    report.add({.figure = "redis-sentinel failover: promotion to next ack",
                .value = resumed ? seconds(*resumed - promoted_at) : 1e9,
                .unit = "s",
                .reference = promotion_s,
                .reference_name = "kill -9 to promotion",
                .target = Target{5.0, false, Target::Of::value}});
}

} // namespace eh_bench
