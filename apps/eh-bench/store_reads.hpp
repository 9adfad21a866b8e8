#pragma once
// `eh-bench get --store-type S` and `eh-bench user --store-type S` for the shared stores
// (nats-js-kv, redis-sentinel). The store runs on servers of its own, is filled with the
// workload through put() and queried once its index is complete:
//  - GetEvents through an in-process gRPC server over the store (the daemon's server code),
//    against, in the same run, a RAW READER that sends the same reads straight to the store's
//    server with the same concurrency (nats-js-kv: one direct get per id, replies on a
//    long-lived subscription, as nats.go's requests; redis-sentinel: pipelined GETs on a
//    connection per caller), and the gRPC floor server (get_qps.hpp): a call costs both;
//  - GetEventsForUser at each store size, users with ~100 events, checked against the
//    reference scan, and against reading every record (pipelined: less than ocis does).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>
#include <nats/nats.h>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/config/draft.hpp"
#include "eh/detail/chunks.hpp"
#include "eh/event_history.hpp"
#include "eh/index/match.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/store/detail/nats_kv/index.hpp"
#include "eh/store/detail/nats_kv/keys.hpp"
#include "eh/store/detail/nats_kv/pipeline.hpp"
#include "eh/store/detail/nats_kv/progress.hpp"
#include "eh/store/detail/nats_kv/replies.hpp"
#include "eh/store/detail/redis/handles.hpp"
#include "eh/store/nats_kv.hpp"
#include "eh/store/redis_sentinel.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/redis_cluster.hpp"
#include "get_qps.hpp"
#include "latency.hpp"
#include "raw_consumer.hpp"
#include "report.hpp"
#include "workload.hpp"

namespace eh_bench {

/// One caller of the raw reader: reads ids the shortest way the store's server allows.
class RawCaller {
public:
    virtual ~RawCaller() = default;
    /// Reads every id; throws when one is missing.
    virtual void read(std::span<const std::string> ids) = 0;
};

/// A shared store on servers of its own, served over gRPC in-process.
class StoreUnderTest {
public:
    virtual ~StoreUnderTest() = default;
    virtual std::string name() const = 0;
    /// Stores the events through put() and waits until the index holds them all.
    virtual void fill(const std::vector<eh::Event>& events) = 0;
    virtual std::string grpc_address() const = 0;
    virtual std::size_t find_by_user(const std::string& user) const = 0; ///< events found
    /// A caller of the raw reader (each caller thread has its own).
    virtual std::unique_ptr<RawCaller> raw_caller() = 0;
};

/// K threads calling the raw reader for a warm-up and then `seconds`, as run_load() keeps K
/// gRPC calls in flight.
inline LoadResult run_raw_load(StoreUnderTest& store, const std::vector<std::string>& ids, std::size_t per_call,
                               std::size_t in_flight, double seconds) {
    std::atomic<bool> measuring{false}, stopping{false};
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::vector<double> latencies;
    std::string failure;
    std::vector<std::unique_ptr<RawCaller>> callers;
    for (std::size_t i = 0; i < in_flight; ++i) callers.push_back(store.raw_caller());
    std::vector<std::jthread> threads;
    for (auto& caller : callers)
        threads.emplace_back([&, c = caller.get()] {
            std::vector<std::string> call(per_call);
            std::vector<double> mine;
            try {
                while (!stopping) {
                    for (auto& id : call) id = ids[next++ % ids.size()];
                    const auto t0 = Clock::now();
                    c->read(call);
                    if (measuring) mine.push_back(ms_since(t0));
                }
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex);
                failure = e.what();
            }
            std::lock_guard lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.3, seconds / 3))); // warm-up
    measuring = true;
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    measuring = false;
    const double window_ms = ms_since(t0);
    stopping = true;
    threads.clear();
    if (!failure.empty()) throw std::runtime_error(store.name() + " raw reader: " + failure);
    LoadResult r;
    r.qps = static_cast<double>(latencies.size()) / (window_ms / 1000);
    r.p50_ms = percentile(latencies, 0.5);
    r.p99_ms = percentile(latencies, 0.99);
    return r;
}

namespace detail {

/// The store S over backend B (its servers, settings and raw reader), in an EventHistory
/// served by the daemon's gRPC server.
template <class Backend>
class SharedStore final : public StoreUnderTest {
public:
    using Store = typename Backend::store_type;
    using History = eh::EventHistory<eh::testing::ScriptedTransport, Store>;

    SharedStore()
        : history_(eh::testing::ScriptedTransport{}, backend_.make_store()),
          server_(history_, eh::server::GrpcOptions{.address = "127.0.0.1:0"}) {
        server_.start();
    }

    std::string name() const override { return std::string(Store::name); }

    void fill(const std::vector<eh::Event>& events) override {
        constexpr std::size_t batch = 256;
        const eh::codec::OcisStoreEvent codec;
        const auto t0 = Clock::now();
        for (const auto part : eh::detail::chunks(std::span(events), batch)) {
            if (history_.store().put(part, codec).stored != part.size())
                throw std::runtime_error(name() + ": put() did not store a batch of new events");
        }
        const double put_s = ms_since(t0) / 1000;
        backend_.wait_indexed(events.size());
        std::printf("  %s: %zu events stored in %.1f s, indexed %.1f s later\n", name().c_str(), events.size(), put_s,
                    ms_since(t0) / 1000 - put_s);
    }

    std::string grpc_address() const override { return "127.0.0.1:" + std::to_string(server_.port()); }
    std::size_t find_by_user(const std::string& user) const override {
        return history_.get_events_for_user(user).size();
    }
    std::unique_ptr<RawCaller> raw_caller() override { return backend_.raw_caller(); }

private:
    Backend backend_; // first: the servers outlive the store
    History history_;
    eh::server::GrpcServer<History> server_;
};

/// nats-js-kv on a nats-server of its own.
class NatsKvBackend {
public:
    using store_type = eh::store::NatsKvStore;
    static constexpr const char* bucket = "eh-bench-reads";

    store_type make_store() const {
        eh::store::StoreSettings s;
        s.nodes = {server_.endpoint()};
        s.database = bucket;
        return store_type::make(s);
    }

    /// Until the indexer's progress reaches the bucket's last record.
    void wait_indexed(std::size_t records) {
        namespace kv = eh::store::detail::nats_kv;
        const kv::IndexNames names(bucket);
        const bool done = eh::testing::eventually(
            [&] {
                const auto replies = kv::run_pipeline(
                    connection_.get(), {{names.direct_get(), kv::IndexNames::last_of(names.progress())}},
                    std::chrono::seconds{10});
                if (!kv::direct_get_sequence(replies[0])) return false;
                const auto p = kv::Progress::parse(replies[0].data());
                return p && !p->pending && p->done >= records;
            },
            std::chrono::minutes{10}, std::chrono::milliseconds{50});
        if (!done) throw std::runtime_error("nats-js-kv: the index did not catch up within 10 minutes");
    }

    std::unique_ptr<RawCaller> raw_caller() { return std::make_unique<Caller>(connection_.get()); }

private:
    /// Direct gets of the records, replies on a subscription of its own that lives as long.
    class Caller final : public RawCaller {
    public:
        explicit Caller(natsConnection* nc) : nc_(nc), keys_(bucket, "") {
            natsInbox* box = nullptr;
            nats::require(natsInbox_Create(&box), "inbox");
            inbox_ = box;
            natsInbox_Destroy(box);
            natsSubscription* sub = nullptr;
            nats::require(natsConnection_SubscribeSync(&sub, nc_, inbox_.c_str()), "subscribing");
            natsSubscription_SetPendingLimits(sub, -1, -1);
            sub_.reset(sub);
        }
        void read(std::span<const std::string> ids) override {
            for (const auto& id : ids) {
                subject_ = keys_.direct_get_subject(keys_.record_key(id));
                nats::require(natsConnection_PublishRequest(nc_, subject_.c_str(), inbox_.c_str(), nullptr, 0), "request");
            }
            for (std::size_t i = 0; i < ids.size(); ++i) {
                natsMsg* m = nullptr;
                nats::require(natsSubscription_NextMsg(&m, sub_.get(), 10'000), "direct get reply");
                const nats::Message reply(m);
                if (reply.data().empty()) throw std::runtime_error("a record is missing");
            }
        }

    private:
        natsConnection* nc_;
        eh::store::detail::nats_kv::Keys keys_;
        std::string inbox_, subject_;
        nats::Subscription sub_;
    };

    eh::testing::NatsServer server_;
    nats::Connection connection_ = connect_nats(server_.endpoint()); // the raw reader's (SendAsap)
};

/// redis-sentinel on a master, a replica and a sentinel of its own.
class RedisSentinelBackend {
public:
    using store_type = eh::store::RedisSentinelStore;

    store_type make_store() const {
        eh::store::StoreSettings s;
        s.nodes = cluster_.nodes();
        return store_type::make(s, eh::config::defaults<store_type::Settings>());
    }
    void wait_indexed(std::size_t) {} // put() writes the index with the records

    std::unique_ptr<RawCaller> raw_caller() { return std::make_unique<Caller>(cluster_.master_port()); }

private:
    /// Pipelined GETs on a connection of its own to the master.
    class Caller final : public RawCaller {
    public:
        explicit Caller(int port) : c_(redisConnectWithTimeout("127.0.0.1", port, {.tv_sec = 2, .tv_usec = 0})) {
            if (!c_ || c_->err || redisSetTimeout(c_.get(), {.tv_sec = 10, .tv_usec = 0}) != REDIS_OK)
                throw std::runtime_error("redis: cannot connect to the master on port " + std::to_string(port));
        }
        void read(std::span<const std::string> ids) override {
            for (const auto& id : ids) redisAppendCommand(c_.get(), "GET %b", id.data(), id.size());
            for (std::size_t i = 0; i < ids.size(); ++i) {
                void* raw = nullptr;
                if (redisGetReply(c_.get(), &raw) != REDIS_OK || raw == nullptr)
                    throw std::runtime_error(std::string("redis: ") + c_->errstr);
                const eh::store::detail::redis::Reply reply(static_cast<redisReply*>(raw));
                if (reply->type != REDIS_REPLY_STRING) throw std::runtime_error("a record is missing");
            }
        }

    private:
        eh::store::detail::redis::Context c_;
    };

    eh::testing::RedisCluster cluster_{{.replicas = 1, .sentinels = 1}};
};

} // namespace detail

/// A shared store by name, on servers of its own; throws for the others.
inline std::unique_ptr<StoreUnderTest> shared_store(const std::string& store_type) {
    if (store_type == "nats-js-kv") return std::make_unique<detail::SharedStore<detail::NatsKvBackend>>();
    if (store_type == "redis-sentinel") return std::make_unique<detail::SharedStore<detail::RedisSentinelBackend>>();
    throw std::runtime_error("--store-type " + store_type + ": get and user measure memory, nats-js-kv or redis-sentinel");
}

/// GetEvents on a shared store against the raw reader and the gRPC floor (see the top).
inline void bench_store_gets(const std::string& store_type, const Workload& w, double seconds, Report& report) {
    constexpr std::size_t many = 100;
    const auto generated = w.events();
    if (generated.size() < many) throw std::runtime_error("get needs --count >= 100");
    std::vector<eh::Event> events;
    std::vector<std::string> ids;
    for (const auto& g : generated) {
        events.push_back(g.event);
        ids.push_back(g.event.id);
    }
    const auto store = shared_store(store_type);
    store->fill(events);
    FloorServer floor(generated, many);
    const LoadResult one_trip = run_raw_load(*store, ids, 1, 1, seconds); // a single read's round trip
    for (std::size_t per_call : {std::size_t{1}, many}) {
        for (std::size_t k : {std::size_t{1}, std::size_t{16}}) {
            const std::string what = "GetEvents " + store_type + " " + std::to_string(per_call) +
                                     (per_call == 1 ? " id" : " ids") + ", K=" + std::to_string(k);
            const LoadResult floor_result = run_load(floor.address(), ids, per_call, k, seconds);
            const LoadResult raw = run_raw_load(*store, ids, per_call, k, seconds);
            const LoadResult ours = run_load(store->grpc_address(), ids, per_call, k, seconds);
            // A call costs the reads and the gRPC round trip: on the same cores, at best
            // 1 / (1/raw + 1/floor) calls per second.
            const double ceiling = 1 / (1 / raw.qps + 1 / floor_result.qps);
            report.add({.figure = what + " calls/s", .value = ours.qps, .unit = "1/s", .reference = ceiling,
                        .reference_name = "raw reader + gRPC floor",
                        .target = k == 16 ? std::optional(Target{0.8}) : std::nullopt});
            report.add({.figure = what + " raw reader calls/s", .value = raw.qps, .unit = "1/s",
                        .reference = floor_result.qps, .reference_name = "gRPC floor"});
            if (per_call == 1 && k == 16)
                report.add({.figure = what + " p50", .value = ours.p50_ms, .unit = "ms",
                            .reference = one_trip.p50_ms + floor_result.p50_ms,
                            .reference_name = "one raw read + floor p50", .target = Target{1.0, false}});
            else if (per_call == many)
                report.add({.figure = what + " p50", .value = ours.p50_ms, .unit = "ms", .reference = raw.p50_ms,
                            .reference_name = "raw reader p50",
                            .target = Target{k == 1 ? 5.0 : 10.0, false, Target::Of::value}});
            report.add({.figure = what + " p99", .value = ours.p99_ms, .unit = "ms", .reference = raw.p99_ms,
                        .reference_name = "raw reader p99"});
        }
    }
}

/// GetEventsForUser on a shared store at each size (see the top); exactness is checked.
inline void bench_store_users(const std::string& store_type, const std::vector<std::size_t>& sizes,
                              std::uint64_t seed, Report& report) {
    std::vector<std::pair<std::size_t, double>> p50s;
    for (const std::size_t stored : sizes) {
        // Each event names ~1.67 users: this many users give each one ~100 events.
        const Workload w{.count = stored, .users = std::max<std::size_t>(1, stored * 167 / 10'000), .seed = seed};
        auto gen = w.generator();
        std::vector<eh::Event> events;
        events.reserve(stored);
        for (std::size_t i = 0; i < stored; ++i) events.push_back(gen.next().event);
        const auto store = shared_store(store_type);
        store->fill(events);

        const std::size_t sample = std::min<std::size_t>(gen.users().size(), 100);
        std::vector<double> best(sample, 1e300);
        std::size_t found = 0;
        for (int round = 0; round < 3; ++round)
            for (std::size_t u = 0; u < sample; ++u) {
                const auto t0 = Clock::now();
                const std::size_t n = store->find_by_user(gen.users()[u]);
                best[u] = std::min(best[u], ms_since(t0));
                if (round == 0) found += n;
            }
        // Exact: the reference scan of the same events agrees for the first few users.
        for (std::size_t u = 0; u < std::min<std::size_t>(sample, 5); ++u) {
            const std::string& user = gen.users()[u];
            const auto want = static_cast<std::size_t>(std::count_if(
                events.begin(), events.end(), [&](const eh::Event& e) { return eh::index::contains_bounded(e.payload, user); }));
            if (const std::size_t got = store->find_by_user(user); got != want)
                throw std::runtime_error(store_type + ": user " + user + ": the store finds " + std::to_string(got) +
                                         " events, the reference scan " + std::to_string(want));
        }
        std::printf("  %s user queries at %zu events: %.1f events per user on average\n", store_type.c_str(), stored,
                    static_cast<double>(found) / static_cast<double>(sample));

        // Against reading every record, pipelined, 1000 per round trip (ocis reads one at a time).
        double scan_ms = 0;
        if (stored <= 100'000) {
            std::vector<std::string> ids;
            for (const auto& e : events) ids.push_back(e.id);
            const auto caller = store->raw_caller();
            const auto t0 = Clock::now();
            for (std::size_t i = 0; i < ids.size(); i += 1000)
                caller->read(std::span(ids).subspan(i, std::min<std::size_t>(1000, ids.size() - i)));
            scan_ms = ms_since(t0);
        }
        const std::string at = " @" + std::to_string(stored);
        const double p50 = percentile(best, 0.5), p99 = percentile(best, 0.99);
        report.add({.figure = "user " + store_type + ": p50" + at, .value = p50, .unit = "ms",
                    .reference = scan_ms > 0 ? std::optional(scan_ms) : std::nullopt,
                    .reference_name = scan_ms > 0 ? "reading every record" : "",
                    .target = Target{10.0, false, Target::Of::value}});
        report.add({.figure = "user " + store_type + ": p99" + at, .value = p99, .unit = "ms"});
        p50s.emplace_back(stored, p50);
    }
    if (p50s.size() < 2) return;
    const auto& [small_size, small] = p50s.front();
    const auto& [large_size, large] = p50s.back();
    report.add({.figure = "user " + store_type + ": p50 @" + std::to_string(large_size) + " / p50 @" +
                          std::to_string(small_size),
                .value = large,
                .unit = "ms",
                .reference = small,
                .reference_name = "p50 @" + std::to_string(small_size),
                .target = Target{1.5, false}});
}

} // namespace eh_bench
