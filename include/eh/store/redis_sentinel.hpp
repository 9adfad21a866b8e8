#pragma once
// Store `redis-sentinel`: ocis's Redis layout behind Redis Sentinel (docs/ocis-contract.md section 3),
// plus a user index, and no acked event lost when the master fails over.
//
// Layout. Each event is exactly the record ocis writes: key table + id in database 0, value
// the codec's bytes (ocis's StoreEvent JSON), `SET key value EX <seconds>` with the TTL
// counted from the event's own timestamp. ocis reads our records and get() reads ocis's.
//
// Index. It lives in another logical database (index_db, default 1), because with the
// default empty table ocis lists every key of database 0 as an event: no key prefix there
// would stay out of its way. Another database is replicated like database 0 and covered by
// the same WAIT. Each batch appends one blob per partition of the index (64, by token hash):
// the postings (token, event) of the events it stored whose tokens (eh/index/tokens.hpp) fall
// in that partition; and one list of its events' ids and timestamps (names:
// detail/redis/keys.hpp, bytes: detail/redis/postings.hpp). So a batch costs about 130 index
// commands whatever its events hold, and the index expires window by window with its events.
// find_by_user() reads the partition of the user id's longest word run (more when that run is
// common), takes the events under the run, and keeps those whose payload holds the id:
// exactly the reference scan, in steps that each cost Redis a bounded time and stop at the
// query limits (detail/redis/user_lookup.hpp). Records that existed before the index (ocis's)
// are indexed once, before this store's first write (detail/redis/backfill.hpp).
//
// Writes. A batch is one MULTI/EXEC: SET NX EX per record and the index entries of the
// events, then WAIT and ROLE in the same pipeline: one round trip per batch (per 4096 events
// of a larger one); a record that existed already is taken out of the index again in a
// second one (detail/redis/write_batch.hpp). An id already stored is counted as a duplicate.
//
// Guarantee. put() returns (and so the batch is acked) only after the master stored the
// batch AND at least min_replicas replicas (default 1) acknowledged it (WAIT). Fewer within
// wait_timeout: StoreError, so the batch is NAKed and redelivered, which idempotence makes
// safe; the store is not ready (/readyz says why) until enough replicas are connected again. An acked event therefore survives the loss of the master whenever
// Sentinel promotes a replica that acknowledged it: with one replica always; with several,
// Sentinel prefers the one with the largest replication offset. Redis keeps data in memory:
// losing every Redis process at once loses what they had not persisted (appendonly).
//
// Failures. Every socket operation has a timeout. Any failure is an eh::StoreError and the
// next call resolves the master through the sentinels again (detail/redis/sentinel.hpp).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "eh/clock.hpp"
#include "eh/codec/ocis_store_event.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/match.hpp"
#include "eh/store/answer.hpp"
#include "eh/store/detail/redis/backfill.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/keys.hpp"
#include "eh/store/detail/redis/nodes.hpp"
#include "eh/store/detail/redis/pool.hpp"
#include "eh/store/detail/redis/user_lookup.hpp"
#include "eh/store/detail/redis/write_batch.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/query_limits.hpp"
#include "eh/store/redis_sentinel_settings.hpp"
#include "eh/store/settings.hpp"

namespace eh::store {

struct RedisSentinelOptions {
    std::vector<std::string> nodes; ///< sentinels, "host:port/master"; all name the same master
    std::string table;              ///< key prefix of the records, as in ocis
    std::chrono::nanoseconds ttl = std::chrono::hours{336};
    std::string username, password; ///< AUTH to the master, when password is set
    int index_db = 1;               ///< the logical database of the index
    /// Replicas that must acknowledge a batch before it counts as stored (0: none, for a
    /// master without replicas: a failover then loses what it had not replicated).
    std::size_t min_replicas = 1;
    std::chrono::milliseconds wait_timeout{1000};     ///< how long WAIT may wait for them
    std::chrono::milliseconds sentinel_timeout{500};  ///< connect and reply, per sentinel
    std::chrono::milliseconds connect_timeout{1000};  ///< connect to the master
    std::chrono::milliseconds command_timeout{5000};  ///< each socket read or write on the master
    std::chrono::milliseconds health_interval{1000};  ///< maintain(): how often an idle store checks the master
    std::size_t mget_chunk = 256;                     ///< ids per MGET (get(), find_by_user())
    std::size_t index_scan_blobs = 1024;              ///< index blobs one lookup script reads (~1 ms of Redis)
    QueryLimits limits{};
};

class RedisSentinelStore {
public:
    static constexpr std::string_view name = "redis-sentinel";
    using Settings = RedisSentinelSettings;

    /// Parses the nodes (eh::config::ConfigError on a bad one); connects on first use.
    explicit RedisSentinelStore(RedisSentinelOptions options)
        : options_(std::move(options)), keys_(options_.table), backfill_(std::make_unique<detail::redis::Backfill>()),
          pool_(std::make_unique<detail::redis::MasterPool>(
              detail::redis::parse_nodes(options_.nodes),
              detail::redis::Credentials{options_.username, options_.password},
              detail::redis::Timeouts{.connect = options_.connect_timeout,
                                      .command = std::max(options_.command_timeout, 2 * options_.wait_timeout)},
              options_.sentinel_timeout)) {}

    static constexpr bool shared = true; ///< instances of the service share what it holds

    static RedisSentinelStore make(const StoreSettings& s, const RedisSentinelSettings& own) {
        return RedisSentinelStore(
            {.nodes = s.nodes,
             .table = s.table,
             .ttl = s.ttl,
             .username = s.username,
             .password = s.password,
             .min_replicas = own.min_replicas,
             .wait_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(own.wait_timeout),
             .limits = s.limits});
    }

    /// What this store cannot work with, refused before anything starts (eh::DaemonStore).
    static void check(const StoreSettings& s, const RedisSentinelSettings& own) { RedisSentinelSettings::check(s, own); }

    /// Stores each event once by id (see the guarantee above); throws StoreError otherwise.
    template <class Codec>
    PutStats put(std::span<const Event> batch, const Codec& codec) {
        PutStats stats;
        const Timestamp now = SystemClock{}.now();
        thread_local Scratch scratch; // keeps its capacity: no allocation per batch
        scratch.writable.clear();
        for (const Event& e : batch) {
            if (auto w = detail::redis::writable(e, now, options_.ttl))
                scratch.writable.push_back(*w);
            else
                ++stats.expired;
        }
        if (!backfill_->done()) finish_backfill(codec);
        for (std::size_t i = 0; i < scratch.writable.size(); i += detail::redis::max_events_per_batch) {
            const auto part = std::span(scratch.writable)
                                  .subspan(i, std::min(detail::redis::max_events_per_batch, scratch.writable.size() - i));
            scratch.batch.build(part, codec, keys_, options_.index_db, detail::redis::window_width(options_.ttl));
            stats.stored += pool_->run([&](detail::redis::MasterLink& link) { return write(link, scratch.batch); });
        }
        stats.duplicates = scratch.writable.size() - stats.stored;
        return stats;
    }

    /// Found events in request order; unknown ids are skipped. The record holds no
    /// timestamp, so the events' timestamps are zero (as in ocis). AnswerTooLarge beyond the
    /// answer limits.
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec& codec) const {
        if (ids.empty()) return {};
        return pool_->run([&](detail::redis::MasterLink& link) {
            AnswerBudget budget(options_.limits);
            std::vector<Event> found;
            read_records(link, ids.size(), [&](std::size_t i, std::string& key) { key.append(keys_.table()).append(ids[i]); },
                         [&](std::size_t, const redisReply& value) {
                             if (decode_into(found, codec, value)) budget.add(found.back());
                         });
            return found;
        });
    }

    /// Events whose payload holds user as a bounded literal, in order_user_answer()'s order.
    /// InvalidQuery for a user id beyond its bounds, AnswerTooLarge beyond the query limits.
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec& codec) const {
        check_user_id(user, options_.limits);
        namespace redis = detail::redis;
        auto found = pool_->run([&](redis::MasterLink& link) {
            AnswerBudget budget(options_.limits);
            const auto hits =
                redis::candidate_postings(link.conn, keys_, options_.index_db, user, options_.limits.max_candidates,
                                          options_.index_scan_blobs);
            if (!hits) budget.examine(options_.limits.max_candidates + 1); // every run too common
            budget.examine(hits->size());
            const auto entries = redis::latest_per_id(
                redis::entries_of(link.conn, keys_, options_.index_db, *hits, options_.mget_chunk), keys_.table());
            std::vector<Event> out;
            read_records(link, entries.size(), [&](std::size_t i, std::string& key) { key.append(entries[i].second); },
                         [&](std::size_t i, const redisReply& value) {
                             if (!decode_into(out, codec, value)) return;
                             if (!index::contains_bounded(out.back().payload, user)) {
                                 out.pop_back(); // a candidate only: another id shares the token
                                 return;
                             }
                             out.back().timestamp = timestamp_of(entries[i].first);
                             budget.add(out.back());
                         });
            return out;
        });
        order_user_answer(found);
        return found;
    }

    /// Whether the last operation reached the master with enough replicas connected (false
    /// until the first one did).
    bool ready() const noexcept { return pool_->ready(); }

    /// Called when the ingest loop is idle: checks the master now and then, so that ready()
    /// notices an outage, too few replicas, and a recovery, without traffic; and goes on
    /// indexing the records that existed before. Never throws.
    void maintain() {
        const auto now = std::chrono::steady_clock::now();
        if (now < next_health_check_) return;
        next_health_check_ = now + options_.health_interval;
        try {
            pool_->run([&](detail::redis::MasterLink& link) {
                link.replicas = detail::redis::replicas_in_role(*link.conn.call(detail::redis::Command("ROLE"), "ROLE"),
                                                                link.conn.peer());
                require_connected_replicas(link);
                return link.replicas;
            });
            if (!backfill_->done()) finish_backfill(codec::OcisStoreEvent{}, std::chrono::milliseconds{200});
        } catch (const StoreError&) {
            // ready() is false now; the ingest loop reports the error of the next put
        }
    }

    const RedisSentinelOptions& options() const noexcept { return options_; }

private:
    struct Scratch {
        std::vector<detail::redis::Writable> writable;
        detail::redis::WriteBatch batch;
    };

    /// The write of one batch, its WAIT and ROLE in the same pipeline; returns how many
    /// events were stored.
    std::size_t write(detail::redis::MasterLink& link, detail::redis::WriteBatch& batch) const {
        using detail::redis::Command;
        const std::size_t want = options_.min_replicas;
        require_connected_replicas(link);
        const auto stamp = link.batches.next(link.conn, keys_.seq(), options_.index_db, detail::redis::events_db);
        batch.plan(stamp.number, stamp.now);
        batch.append_store(link.conn);
        if (want > 0) link.conn.append(Command("WAIT", want, options_.wait_timeout.count()));
        link.conn.append(Command("ROLE"));
        // Read every reply before judging any: the connection stays in step whatever they say.
        auto written = batch.read_store();
        auto acked = want > 0 ? link.conn.read() : detail::redis::Reply{};
        auto role = link.conn.read();
        const std::size_t count = batch.stored(std::move(written), link.conn);
        link.replicas = detail::redis::replicas_in_role(*link.conn.expect(std::move(role), "ROLE"), link.conn.peer());
        if (want > 0) {
            require_replicas(link, std::move(acked), want);
            if (batch.repaired()) // the repair's writes came after that WAIT
                require_replicas(link, link.conn.call(Command("WAIT", want, options_.wait_timeout.count()), "WAIT"), want);
        }
        return count;
    }

    /// StoreError unless a WAIT's reply counts at least want replicas.
    void require_replicas(detail::redis::MasterLink& link, detail::redis::Reply acked, std::size_t want) const {
        acked = link.conn.expect(std::move(acked), "WAIT");
        if (acked->integer < static_cast<long long>(want))
            throw StoreError("redis " + link.conn.peer() + ": " + std::to_string(acked->integer) + " of " +
                                 std::to_string(want) + " replicas acknowledged the batch within " +
                                 std::to_string(options_.wait_timeout.count()) +
                                 " ms; the batch is refused (a retry is safe: writes are idempotent)",
                             too_few_replicas());
    }

    /// StoreError unless the master reported (ROLE) as many connected replicas as required:
    /// a write would wait for WAIT's timeout and fail anyway.
    void require_connected_replicas(const detail::redis::MasterLink& link) const {
        if (link.replicas < options_.min_replicas)
            throw StoreError("redis " + link.conn.peer() + ": the master has " + std::to_string(link.replicas) +
                                 " connected replicas, fewer than the " + std::to_string(options_.min_replicas) +
                                 " required; writes are refused until they are back",
                             too_few_replicas());
    }
    std::string too_few_replicas() const {
        return "fewer Redis replicas than required (" + std::to_string(options_.min_replicas) +
               ", redis.min_replicas) acknowledge writes";
    }

    /// Indexes the records that existed before (or waits while another instance does), for up
    /// to `budget`; StoreError while not done (the batch goes back and comes again).
    template <class Codec>
    void finish_backfill(const Codec& codec, std::chrono::milliseconds budget = std::chrono::seconds{5}) {
        using Step = detail::redis::Backfill::Step;
        const auto deadline = std::chrono::steady_clock::now() + budget;
        for (;;) {
            const Step step = pool_->run([&](detail::redis::MasterLink& link) {
                return backfill_->step(link, codec, keys_, options_.index_db, options_.ttl);
            });
            if (step == Step::done) return;
            if (std::chrono::steady_clock::now() >= deadline)
                throw StoreError("redis-sentinel: indexing the records of table \"" + keys_.table() +
                                     "\" that existed before (" +
                                     (step == Step::elsewhere ? std::string("by another instance")
                                                              : std::to_string(backfill_->scanned()) + " keys so far") +
                                     "); writes wait until it is done",
                                 "the store is indexing the records it held already; writes wait");
            if (step == Step::elsewhere) std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
    }

    /// Reads n records, `mget_chunk` a time, calling key(i, out) to name the i-th and
    /// f(i, value) for each that exists.
    template <class Key, class F>
    void read_records(detail::redis::MasterLink& link, std::size_t n, Key&& key, F&& f) const {
        for (std::size_t first = 0; first < n; first += options_.mget_chunk) {
            const std::size_t last = std::min(n, first + options_.mget_chunk);
            detail::redis::Command mget("MGET");
            for (std::size_t i = first; i < last; ++i) mget.add_written([&](std::string& out) { key(i, out); });
            const auto values = link.conn.call(mget, "MGET");
            for (std::size_t i = 0; i < values->elements; ++i)
                if (values->element[i]->type == REDIS_REPLY_STRING) f(first + i, *values->element[i]);
        }
    }

    /// Decodes a record onto found; false (and nothing added) when it is not a StoreEvent,
    /// e.g. a key of another service in database 0.
    template <class Codec>
    static bool decode_into(std::vector<Event>& found, const Codec& codec, const redisReply& value) {
        return append_decoded(found, [&](Event& e) { return codec.decode(detail::redis::text(value), e) == DecodeError::ok; });
    }

    static Timestamp timestamp_of(std::string_view digits) {
        std::int64_t micros = 0;
        std::from_chars(digits.data(), digits.data() + digits.size(), micros);
        return Timestamp{std::chrono::microseconds{micros}};
    }

    RedisSentinelOptions options_;
    detail::redis::IndexKeys keys_;
    std::unique_ptr<detail::redis::Backfill> backfill_;
    std::unique_ptr<detail::redis::MasterPool> pool_; // behind pointers: the store stays movable
    std::chrono::steady_clock::time_point next_health_check_{};
};

} // namespace eh::store
