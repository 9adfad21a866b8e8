#pragma once
// Store `memory`: events kept in this process, found by id and by user from an index. This
// file is the front: sharding, locking order, and the query planner. The rooms behind it:
//   detail/memory/shard.hpp        a shard's records, id table, expiry heap, index queue
//   detail/memory/shard_index.hpp  how a shard's user index is built behind the writes
//   detail/memory/token_table.hpp, posting_list.hpp, id_table.hpp, packed_event.hpp
//
// Sharded by event id: each shard has its own reader-writer locks, so readers never wait on
// one global lock and a batch write locks each shard once.
//
// The index is built behind the writes: put() stores the record and queues its slot; a
// background worker at the lowest CPU priority indexes it, once the ingest loop has caught up
// with the stream (maintain()) or too many records wait. Queries check the queued slots
// literally, so answers are exact at once; index_queued_now() catches the index up in the
// caller's thread.
//
// Queries hold no lock for long: a user query takes every shard's read locks only to pick
// its token and copy the candidates' slots (at most QueryLimits::max_candidates), then checks
// them chunk by chunk, each chunk under its shards' read locks alone; a write waits for one
// chunk at most. GetEvents alike. Both stop at the answer limits (eh/store/query_limits.hpp).
//
// Bounds. max_events and max_bytes evict the oldest events; put() counts them
// (PutStats::evicted). max_bytes counts what the store holds for an event: its text, its
// slot, id and expiry entries, and its index entries (an estimate per posting).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "eh/clock.hpp"
#include "eh/concepts.hpp"
#include "eh/config/meta.hpp"
#include "eh/detail/chunks.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/answer.hpp"
#include "eh/store/detail/memory/background_worker.hpp"
#include "eh/store/detail/memory/shard.hpp"
#include "eh/store/detail/memory/shard_index.hpp"
#include "eh/store/lifetime.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/query_limits.hpp"
#include "eh/store/settings.hpp"

namespace eh::store {

struct MemoryOptions {
    std::chrono::nanoseconds ttl = std::chrono::hours{336}; ///< counted from the event's own timestamp
    std::size_t max_events = 0;                            ///< 0: unbounded
    std::size_t max_bytes = 0;                             ///< what events and their index take; 0: unbounded
    std::size_t shards = 16;
    /// A token held by more than max(this, a quarter of a shard's events) is no longer indexed
    /// (see PostingList); a user id made only of such tokens is answered by a scan.
    std::size_t saturation_floor = 1024;
    /// Index new records in a background thread; false: in maintain() (or index_queued_now()).
    bool index_in_background = true;
    /// While the ingest loop works through a backlog, the worker waits (indexing costs more
    /// CPU than storing, on the cores that NATS and the ingest loop need) until maintain()
    /// says the stream is caught up, or until this many records wait. Queries check waiting
    /// records one by one: at this many, ~20 ms (ocis scans every event for each query).
    std::size_t index_lag = 65'536;
    QueryLimits limits{};
};

/// The daemon's settings of the memory store (section `memory`; eh::HasOwnSettings).
struct MemorySettings {
    BOOST_HANA_DEFINE_STRUCT(MemorySettings,
        (std::size_t, max_events),
        (std::size_t, max_bytes));

    static constexpr std::string_view section = "memory";
    static constexpr std::string_view about = "Bounds of the `memory` store; the oldest events go first.";
    static constexpr std::array meta{
        config::Meta{.name = "max_events", .default_text = "0", .env = {"EVENTHISTORY_MEMORY_MAX_EVENTS"},
                     .help = "Most events kept (0: unbounded)"},
        config::Meta{.name = "max_bytes", .default_text = "0", .env = {"EVENTHISTORY_MEMORY_MAX_BYTES"},
                     .help = "Most bytes of events kept (0: unbounded)"},
    };
};

template <Clock K = SystemClock>
class BasicMemoryStore {
public:
    static constexpr std::string_view name = "memory";
    using Settings = MemorySettings;

    explicit BasicMemoryStore(MemoryOptions options = {}, K clock = K{})
        : options_(options), clock_(std::move(clock)) {
        shards_.resize(std::max<std::size_t>(1, options_.shards));
        for (auto& s : shards_) s = std::make_unique<Shard>();
        if (!options_.index_in_background) return;
        // The worker sees only what never moves: the shards and a copy of the options.
        std::vector<Shard*> shards;
        for (auto& s : shards_) shards.push_back(s.get());
        indexer_ = std::make_unique<detail::memory::BackgroundWorker>(
            [shards = std::move(shards), floor = options_.saturation_floor](std::stop_token stop) {
                for (Shard* shard : shards) detail::memory::shard_index::index_all_queued(*shard, floor, stop);
            });
    }

    /// Stores each event once by id; redelivered ids are counted as duplicates.
    /// The codec is unused: events are kept decoded, so reads cost no decoding.
    template <class Codec>
    PutStats put(std::span<const Event> batch, const Codec&) {
        PutStats stats;
        const Timestamp now = clock_.now();
        // Group the batch by shard so that each shard is locked once; within a shard the
        // batch's order stays (the first of two equal ids is the one stored).
        struct Item {
            std::uint32_t shard, index;
            std::uint64_t hash;
        };
        thread_local std::vector<Item> order;
        order.clear();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const std::uint64_t h = Shard::id_hash(batch[i].id);
            order.push_back({static_cast<std::uint32_t>(shard_of(h)), static_cast<std::uint32_t>(i), h});
        }
        std::sort(order.begin(), order.end(), [](const Item& a, const Item& b) {
            return std::tie(a.shard, a.index) < std::tie(b.shard, b.index);
        });
        for (std::size_t i = 0; i < order.size();) {
            Shard& shard = *shards_[order[i].shard];
            std::unique_lock lock(shard.mutex);
            const std::uint32_t s = order[i].shard;
            std::size_t end = i;
            for (; end < order.size() && order[end].shard == s; ++end) shard.by_id.prefetch(order[end].hash);
            for (; i < end; ++i) shard.insert(batch[order[i].index], order[i].hash, now, options_.ttl, *totals_, stats);
            shard.reclaim(now, options_.ttl, *totals_);
            stats.evicted += shard.evict_while([&] { return over_limits(); }, *totals_);
        }
        if (stats.stored > 0 && indexer_ && waiting() > options_.index_lag) indexer_->poke();
        return stats;
    }

    /// Found events in request order; unknown or expired ids are skipped. AnswerTooLarge
    /// beyond the answer limits.
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec&) const {
        const Timestamp now = clock_.now();
        AnswerBudget budget(options_.limits);
        std::vector<Event> out;
        for (const auto part : eh::detail::chunks(ids, query_chunk)) get_chunk(part, now, budget, out);
        return out;
    }

    /// Events whose payload holds user as a bounded literal, in order_user_answer()'s order.
    /// InvalidQuery for a user id beyond its bounds, AnswerTooLarge beyond the answer limits.
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec&) const {
        check_user_id(user, options_.limits);
        AnswerBudget budget(options_.limits);
        const std::vector<Candidate> found = candidates(user, budget);
        std::vector<Event> out;
        for (const auto part : eh::detail::chunks(std::span(found), query_chunk)) verify(part, user, budget, out);
        order_user_answer(out);
        return out;
    }

    /// Records not yet in the user index (queries check them one by one).
    std::size_t queued() const {
        std::size_t n = 0;
        for (const auto& shard : shards_) {
            std::shared_lock lock(shard->mutex);
            n += shard->queued.size();
        }
        return n;
    }

    /// Entries in the user index, stale ones (of removed records) included.
    std::size_t index_entries() const noexcept {
        std::size_t n = 0;
        for (const auto& shard : shards_) n += shard->postings.total.load(std::memory_order_relaxed);
        return n;
    }

    /// Events held, including expired ones not yet reclaimed.
    std::size_t size() const noexcept { return totals_->events.load(std::memory_order_relaxed); }
    /// What they take: text, slots, id and expiry entries, and their index entries (estimated).
    std::size_t bytes() const noexcept {
        std::size_t n = totals_->bytes.load(std::memory_order_relaxed);
        for (const auto& shard : shards_) n += shard->postings.bytes.load(std::memory_order_relaxed);
        return n;
    }

    /// Reclaims the memory of expired events (they are already invisible), and has what is
    /// queued indexed: by the background worker (poked), or here without one. The ingest
    /// loop calls it whenever it has caught up with the stream (a fetch brought less than a
    /// full batch). Cheap when idle.
    void maintain() {
        // Expired events are invisible already: their memory is reclaimed once a second, not
        // after every partly filled batch (each reclaim takes every shard's write lock).
        const Timestamp now = clock_.now();
        std::int64_t due = totals_->next_reclaim.load(std::memory_order_relaxed);
        if (now.time_since_epoch().count() >= due &&
            totals_->next_reclaim.compare_exchange_strong(due, (now + reclaim_every).time_since_epoch().count(),
                                                          std::memory_order_relaxed))
            for (auto& shard : shards_) {
                std::unique_lock lock(shard->mutex);
                shard->reclaim(now, options_.ttl, *totals_);
            }
        if (indexer_)
            indexer_->poke();
        else
            index_queued_now();
    }

    /// Indexes everything queued, in the caller's thread (e.g. before measuring the index).
    void index_queued_now() {
        for (auto& shard : shards_) detail::memory::shard_index::index_all_queued(*shard, options_.saturation_floor);
    }

    const MemoryOptions& options() const noexcept { return options_; }

    static constexpr bool shared = false;   ///< each instance holds its own copy of every event
    static constexpr bool in_memory = true; ///< see eh::in_memory()

    static BasicMemoryStore make(const StoreSettings& s, const MemorySettings& own, K clock = K{}) {
        return BasicMemoryStore({.ttl = s.ttl, .max_events = own.max_events, .max_bytes = own.max_bytes, .limits = s.limits},
                                std::move(clock));
    }

private:
    using Shard = detail::memory::Shard;
    using Record = detail::memory::Record;
    using SharedLock = std::shared_lock<detail::memory::WriterFirstMutex>;

    /// Ids, or user query candidates, checked under one taking of their shards' read locks.
    static constexpr std::size_t query_chunk = 256;
    static constexpr std::chrono::seconds reclaim_every{1};

    /// Index queue entries of all shards, without their locks (a moment's view).
    std::size_t waiting() const noexcept {
        std::size_t n = 0;
        for (const auto& shard : shards_) n += shard->waiting.load(std::memory_order_relaxed);
        return n;
    }

    bool over_limits() const noexcept {
        return (options_.max_events && size() > options_.max_events) || (options_.max_bytes && bytes() > options_.max_bytes);
    }

    /// Every shard's postings and records read-locked, the postings first: a query that waits
    /// for the indexer's lock then holds no lock that put() needs. (Writers hold one shard's
    /// locks at a time, postings before records too: no deadlock.)
    std::vector<SharedLock> lock_all_with_index() const {
        std::vector<SharedLock> locks;
        locks.reserve(2 * shards_.size());
        for (const auto& shard : shards_) locks.emplace_back(shard->postings.mutex);
        for (const auto& shard : shards_) locks.emplace_back(shard->mutex);
        return locks;
    }
    /// The shards with these indices read-locked, each once, in order: a one-id request
    /// takes one lock, not one per shard.
    std::vector<SharedLock> lock_shards(std::vector<std::size_t> which) const {
        std::sort(which.begin(), which.end());
        which.erase(std::unique(which.begin(), which.end()), which.end());
        std::vector<SharedLock> locks;
        locks.reserve(which.size());
        for (auto i : which) locks.emplace_back(shards_[i]->mutex);
        return locks;
    }

    std::size_t shard_of(std::uint64_t id_hash) const noexcept { return id_hash % shards_.size(); }
    bool visible(const Record& r, Timestamp now) const noexcept {
        return r.live() && alive(r.event.timestamp(), now, options_.ttl);
    }

    /// The query's token with the fewest candidates, or one with few enough; none when every
    /// token is saturated somewhere (an incomplete list cannot be used). Shards locked.
    std::optional<index::Token> rarest_token(std::vector<std::string_view>& runs) const {
        static constexpr std::size_t few_enough = 128; // about a user's own events: stop looking
        std::sort(runs.begin(), runs.end(), [](auto a, auto b) { return a.size() > b.size(); }); // likeliest rare first
        thread_local std::vector<index::Token> tokens;
        tokens.clear();
        for (auto run : runs) tokens.push_back(index::token_hash(run));
        std::optional<index::Token> best;
        std::size_t best_count = SIZE_MAX;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            // The run's entries in all shards at once (one memory round trip); the rest of
            // the runs only when the first is not rare enough (most user ids stop there).
            if (i == 0)
                for (const auto& shard : shards_) shard->postings.table.prefetch(tokens[0]);
            if (i == 1)
                for (std::size_t k = 1; k < tokens.size(); ++k)
                    for (const auto& shard : shards_) shard->postings.table.prefetch(tokens[k]);
            const index::Token t = tokens[i];
            std::size_t count = 0;
            bool usable = true;
            for (const auto& shard : shards_) {
                if (const auto* list = shard->postings.table.find(t)) {
                    usable = usable && !list->saturated();
                    count += list->size();
                }
            }
            if (usable && count < best_count) best = t, best_count = count;
            if (best_count <= few_enough) break;
        }
        return best;
    }

    struct Candidate {
        std::uint32_t shard, slot;
        auto operator<=>(const Candidate&) const = default;
    };

    /// The slots that may hold user, each once, by shard: those listed for its rarest token
    /// plus those not yet indexed (a reused slot may be listed for its old tenant too); every
    /// live one when no token is usable (an id of saturated tokens only). The listed ones (or
    /// all) are counted against max_candidates before they are copied; the unindexed ones are
    /// bounded by the index lag. Every lock is held only for this.
    std::vector<Candidate> candidates(std::string_view user, AnswerBudget& budget) const {
        const auto locks = lock_all_with_index();
        std::vector<std::string_view> runs;
        index::for_each_word_run(user, [&](std::string_view run) { runs.push_back(run); });
        std::vector<Candidate> found;
        const auto rarest = rarest_token(runs);
        if (!rarest) {
            budget.examine(size());
            for (std::uint32_t k = 0; k < shards_.size(); ++k)
                for (std::uint32_t slot = 0; slot < shards_[k]->slots.size(); ++slot)
                    if (shards_[k]->slots[slot].live()) found.push_back({k, slot});
            return found;
        }
        std::size_t listed = 0, queued = 0;
        for (const auto& shard : shards_) {
            queued += shard->queued.size();
            if (const auto* list = shard->postings.table.find(*rarest)) {
                list->prefetch();
                listed += list->size();
            }
        }
        budget.examine(listed);
        found.reserve(listed + queued);
        for (std::uint32_t k = 0; k < shards_.size(); ++k) {
            for (auto slot : shards_[k]->queued) found.push_back({k, slot});
            if (const auto* list = shards_[k]->postings.table.find(*rarest))
                for (auto slot : *list) found.push_back({k, slot});
        }
        std::sort(found.begin(), found.end());
        found.erase(std::unique(found.begin(), found.end()), found.end());
        return found;
    }

    /// Appends the candidates of chunk (sorted by shard) that hold user and are visible now,
    /// under their shards' read locks. Their records, then their texts, are prefetched first,
    /// so that the cache misses overlap instead of queueing.
    void verify(std::span<const Candidate> chunk, std::string_view user, AnswerBudget& budget,
                std::vector<Event>& out) const {
        const Timestamp now = clock_.now();
        thread_local std::vector<std::size_t> which;
        which.clear();
        for (const auto& c : chunk) which.push_back(c.shard);
        const auto locks = lock_shards(which);
        auto record = [&](const Candidate& c) -> const Record& { return shards_[c.shard]->slots[c.slot]; };
        for (const auto& c : chunk) eh::detail::prefetch(&record(c));
        for (const auto& c : chunk)
            if (const Record& r = record(c); r.live()) r.event.prefetch();
        for (const auto& c : chunk) {
            const Record& r = record(c);
            if (!visible(r, now) || !index::contains_bounded(r.event.payload(), user)) continue;
            out.push_back(r.event.to_event());
            budget.add(out.back());
        }
    }

    /// Appends the found events of ids, under their shards' read locks.
    void get_chunk(std::span<const std::string> ids, Timestamp now, AnswerBudget& budget, std::vector<Event>& out) const {
        thread_local std::vector<std::size_t> shard_ids;
        thread_local std::vector<std::uint64_t> hashes;
        shard_ids.clear();
        hashes.clear();
        for (const auto& id : ids) {
            hashes.push_back(Shard::id_hash(id));
            shard_ids.push_back(shard_of(hashes.back()));
        }
        const auto locks = lock_shards(shard_ids);
        // All looked up and prefetched first, then copied: the cache misses of many ids overlap.
        for (std::size_t i = 0; i < ids.size(); ++i) shards_[shard_ids[i]]->by_id.prefetch(hashes[i]);
        thread_local std::vector<const Record*> found;
        found.clear();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const Shard& shard = *shards_[shard_ids[i]];
            if (const auto slot = shard.find_slot(ids[i], hashes[i])) {
                found.push_back(&shard.slots[*slot]);
                found.back()->event.prefetch();
            }
        }
        for (const Record* r : found) {
            if (!visible(*r, now)) continue;
            out.push_back(r->event.to_event());
            budget.add(out.back());
        }
    }

    MemoryOptions options_;
    K clock_;
    std::vector<std::unique_ptr<Shard>> shards_;
    // Behind a pointer: the store stays movable.
    std::unique_ptr<detail::memory::Totals> totals_ = std::make_unique<detail::memory::Totals>();
    std::unique_ptr<detail::memory::BackgroundWorker> indexer_;   // last: stopped before the shards go
};

using MemoryStore = BasicMemoryStore<SystemClock>;

} // namespace eh::store
