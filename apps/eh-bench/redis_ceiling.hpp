#pragma once
// `eh-bench ingest --store-type redis-sentinel`: a Redis master, a replica and a sentinel of
// our own (the integration tests' fixture); the daemon finds the master through the sentinel.
// The ceiling consumes the stream and, per batch, pipelines `SET <id> <StoreEvent JSON> EX
// <seconds left>` (ocis's record, as the store writes it with the default empty table) and
// `WAIT 1`, as the store waits for its replica before it returns, then acks the batch. No NX,
// no index: those are what the daemon adds to this. Both write to database 0, emptied after
// each run.
#include <chrono>
#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "eh/clock.hpp"
#include "eh/codec/ocis_store_event.hpp"
#include "eh/store/detail/redis/handles.hpp"
#include "eh/store/settings.hpp"
#include "eh/testing/redis_cluster.hpp"
#include "raw_consumer.hpp"
#include "store_bench.hpp"
#include "workload.hpp"

namespace eh_bench {

namespace redis = eh::store::detail::redis;

class RedisSentinelBench final : public StoreBench {
public:
    /// Starts the deployment and encodes every SET now, outside the measurement.
    explicit RedisSentinelBench(const Workload& w) : cluster_({.replicas = 1, .sentinels = 1}) {
        const eh::codec::OcisStoreEvent codec;
        const auto now = eh::SystemClock{}.now();
        std::string value;
        for (const auto& g : w.events()) {
            value.clear();
            codec.encode(g.event, value);
            // The store's TTL (the daemon's default) counts from the event's own timestamp.
            const auto left =
                std::chrono::ceil<std::chrono::seconds>(g.event.timestamp + eh::store::StoreSettings{}.ttl - now);
            const std::string ex = std::to_string(left.count());
            const char* argv[] = {"SET", g.event.id.data(), value.data(), "EX", ex.data()};
            const std::size_t lengths[] = {3, g.event.id.size(), value.size(), 2, ex.size()};
            char* command = nullptr;
            const long long size = redisFormatCommandArgv(&command, 5, argv, lengths);
            if (size < 0) throw std::runtime_error("redis ceiling: cannot format a SET");
            sets_.emplace_back(command, static_cast<std::size_t>(size));
            redisFreeCommand(command);
        }
    }

    std::string ceiling_name() const override { return "consume + redis-sentinel write"; }

    std::vector<std::string> daemon_flags(const std::string&) override {
        std::string nodes;
        for (const auto& n : cluster_.nodes()) nodes += (nodes.empty() ? "" : ",") + n;
        return {"--store-nodes", nodes};
    }

    double ceiling(const std::string& endpoint, std::size_t count, int batch, const std::string& run) override {
        const redis::Context master = connect_master();
        const double rate =
            raw_consumer_rate(endpoint, count, batch, "eh-bench-ceiling-" + run, [&](std::size_t first, std::size_t n) {
                for (std::size_t i = 0; i < n; ++i) {
                    const std::string& set = sets_[(first + i) % sets_.size()];
                    redisAppendFormattedCommand(master.get(), set.data(), set.size());
                }
                redisAppendCommand(master.get(), "WAIT 1 1000");
                for (std::size_t i = 0; i < n; ++i)
                    if (const auto r = reply(master.get()); r->type != REDIS_REPLY_STATUS)
                        throw std::runtime_error("redis ceiling: SET: " + std::string(redis::text(*r)));
                if (const auto r = reply(master.get()); r->type != REDIS_REPLY_INTEGER || r->integer < 1)
                    throw std::runtime_error("redis ceiling: WAIT: the replica did not acknowledge a batch");
            });
        const std::size_t held = keys(master.get());
        flush_all(master.get());
        if (held != std::min(count, sets_.size()))
            throw std::runtime_error("redis ceiling: database 0 holds " + std::to_string(held) + " records");
        return rate;
    }

    std::size_t records(const std::string&) override { return keys(connect_master().get()); }
    void drop(const std::string&) override { flush_all(connect_master().get()); }

private:
    redis::Context connect_master() {
        const int port = cluster_.master_port();
        redis::Context c(redisConnectWithTimeout("127.0.0.1", port, {.tv_sec = 2, .tv_usec = 0}));
        if (!c || c->err || redisSetTimeout(c.get(), {.tv_sec = 5, .tv_usec = 0}) != REDIS_OK)
            throw std::runtime_error("redis ceiling: cannot connect to the master on port " + std::to_string(port));
        return c;
    }
    static redis::Reply reply(redisContext* c) {
        void* raw = nullptr;
        if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr)
            throw std::runtime_error("redis ceiling: " + std::string(c->errstr));
        return redis::Reply(static_cast<redisReply*>(raw));
    }
    /// The keys of database 0: the records (the index is in another database).
    static std::size_t keys(redisContext* c) {
        redisAppendCommand(c, "DBSIZE");
        const auto r = reply(c);
        if (r->type != REDIS_REPLY_INTEGER)
            throw std::runtime_error("redis: DBSIZE: " + std::string(redis::text(*r)));
        return static_cast<std::size_t>(r->integer);
    }
    static void flush_all(redisContext* c) {
        redisAppendCommand(c, "FLUSHALL");
        if (const auto r = reply(c); r->type != REDIS_REPLY_STATUS)
            throw std::runtime_error("redis: FLUSHALL: " + std::string(redis::text(*r)));
    }

    eh::testing::RedisCluster cluster_;
    std::vector<std::string> sets_; ///< one formatted SET per workload event
};

} // namespace eh_bench
