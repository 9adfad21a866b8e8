#pragma once
// Store `memory`: events kept in this process, found by id and by user from an index.
//
// Sharded by event id: each shard has its own reader-writer lock, so readers never wait on
// one global lock and a batch write locks each shard once. Each shard keeps
//   - the records (stable slots, reused through a free list),
//   - id -> slot,
//   - token -> slots (the user index, see eh/index/tokens.hpp), cleaned lazily,
//   - the slots not yet in the index,
//   - a min-heap of (timestamp, slot) that drives both TTL expiry and oldest-first eviction.
//
// The index is built behind the writes: put() stores the record and queues its slot; a
// background worker at the lowest CPU priority tokenizes it (most of an insert's cost) and
// adds its postings, once the ingest loop has caught up with the stream (maintain()) or
// too many records wait. Queries check the queued slots literally, so answers are exact at
// once; index_queued_now() catches the index up in the caller's thread.
//
// Each shard has two locks: one for the records (and the index queue), one for the index
// (postings). put() takes only the first, the worker adds postings under the second only:
// a worker preempted at its low priority never holds up put().
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
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
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

#include "eh/clock.hpp"
#include "eh/concepts.hpp"
#include "eh/detail/chunks.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/answer.hpp"
#include "eh/store/detail/memory/background_worker.hpp"
#include "eh/store/detail/memory/id_table.hpp"
#include "eh/store/detail/memory/packed_event.hpp"
#include "eh/store/detail/memory/token_table.hpp"
#include "eh/store/detail/memory/writer_first_mutex.hpp"
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

template <Clock K = SystemClock>
class BasicMemoryStore {
public:
    static constexpr std::string_view name = "memory";

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
                for (Shard* shard : shards) index_all_queued(*shard, floor, stop);
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
            const std::uint64_t h = id_hash(batch[i].id);
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
            for (; i < end; ++i) insert(shard, batch[order[i].index], order[i].hash, now, stats);
            reclaim(shard, now);
            stats.evicted += evict_over_limits(shard);
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
        for (const auto& shard : shards_) n += shard->total_postings.load(std::memory_order_relaxed);
        return n;
    }

    /// Events held, including expired ones not yet reclaimed.
    std::size_t size() const noexcept { return totals_->events.load(std::memory_order_relaxed); }
    /// What they take: text, slots, id and expiry entries, and their index entries (estimated).
    std::size_t bytes() const noexcept {
        std::size_t n = totals_->bytes.load(std::memory_order_relaxed);
        for (const auto& shard : shards_) n += shard->index_bytes.load(std::memory_order_relaxed);
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
                reclaim(*shard, now);
            }
        if (indexer_)
            indexer_->poke();
        else
            index_queued_now();
    }

    /// Indexes everything queued, in the caller's thread (e.g. before measuring the index).
    void index_queued_now() {
        for (auto& shard : shards_) index_all_queued(*shard, options_.saturation_floor);
    }

    const MemoryOptions& options() const noexcept { return options_; }

    static constexpr bool shared = false;   ///< each instance holds its own copy of every event
    static constexpr bool in_memory = true; ///< see eh::in_memory()

    static BasicMemoryStore make(const StoreSettings& s, K clock = K{}) {
        return BasicMemoryStore({.ttl = s.ttl, .max_events = s.max_events, .max_bytes = s.max_bytes, .limits = s.limits},
                                std::move(clock));
    }

private:
    struct Record {
        detail::memory::PackedEvent event; // empty while the slot is free
        std::uint32_t generation = 0;      // bumped when the slot is freed: heap entries of old tenants are stale
        std::uint32_t tokens = 0;          // index entries this record added
        bool indexed = false;              // its postings are in; else its slot is queued
        bool live() const noexcept { return static_cast<bool>(event); }
    };
    struct HeapEntry {
        Timestamp at;
        std::uint32_t slot, generation;
        bool operator>(const HeapEntry& o) const noexcept { return at > o.at; }
    };
    struct Shard {
        // The records: under mutex (writer-first: put() must not starve behind queries).
        mutable detail::memory::WriterFirstMutex mutex;
        std::deque<Record> slots; // a deque: records never move, so queries may hold them
        std::vector<std::uint32_t> free;
        detail::memory::IdTable by_id;
        std::vector<std::uint32_t> queued; // slots to index (may repeat, or be freed since)
        std::size_t live = 0;              // events held
        std::vector<HeapEntry> heap;       // min-heap on timestamp
        // The index: under index_mutex, taken before mutex by whoever needs both.
        mutable detail::memory::WriterFirstMutex index_mutex;
        detail::memory::TokenTable postings;
        // Unlocked views for the decisions to index and to compact.
        std::atomic<std::size_t> waiting{0};        // queued.size()
        std::atomic<std::size_t> total_postings{0}; // entries in postings...
        std::atomic<std::size_t> dead_postings{0};  // ...of them of removed records (or repeats)
        std::atomic<std::size_t> index_bytes{0};    // posting_bytes per entry of the live records
        std::mutex indexing; // one indexer at a time (the worker, index_queued_now())
    };

    static constexpr std::size_t index_chunk = 32; ///< records indexed per step
    /// Ids, or user query candidates, checked under one taking of their shards' read locks.
    static constexpr std::size_t query_chunk = 256;
    /// What an index entry costs: its slot number in a list that grows by half, and a share of
    /// the token table. Calibrated with `eh-bench memory` (accounted against resident bytes).
    static constexpr std::size_t posting_bytes = 10;
    /// What a record costs beside its text: its slot, its id and expiry entries (tables at
    /// most 3/4 full), its place in the index queue, the allocator's header of its text.
    static constexpr std::size_t record_overhead = sizeof(Record) + 2 * sizeof(HeapEntry) + 2 * 16 + 4 + 16;
    static constexpr std::chrono::seconds reclaim_every{1};

    using SharedLock = std::shared_lock<detail::memory::WriterFirstMutex>;

    /// Index queue entries of all shards, without their locks (a moment's view).
    std::size_t waiting() const noexcept {
        std::size_t n = 0;
        for (const auto& shard : shards_) n += shard->waiting.load(std::memory_order_relaxed);
        return n;
    }

    /// Every shard's index and records read-locked, the indexes first: a query that waits for
    /// the worker's index lock then holds no lock that put() needs. (Writers hold one shard's
    /// locks at a time, index before records too: no deadlock.)
    std::vector<SharedLock> lock_all_with_index() const {
        std::vector<SharedLock> locks;
        locks.reserve(2 * shards_.size());
        for (const auto& shard : shards_) locks.emplace_back(shard->index_mutex);
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

    static std::size_t held_bytes(const Record& r) noexcept { return r.event.bytes() + record_overhead; }

    static std::uint64_t id_hash(std::string_view id) noexcept { return std::hash<std::string_view>{}(id); }
    std::size_t shard_of(std::uint64_t id_hash) const noexcept { return id_hash % shards_.size(); }
    static std::optional<std::uint32_t> find_slot(const Shard& shard, std::string_view id, std::uint64_t hash) {
        return shard.by_id.find(hash, [&](std::uint32_t slot) { return shard.slots[slot].event.id() == id; });
    }
    bool visible(const Record& r, Timestamp now) const noexcept {
        return r.live() && alive(r.event.timestamp(), now, options_.ttl);
    }

    void insert(Shard& shard, const Event& e, std::uint64_t hash, Timestamp now, PutStats& stats) {
        const auto life = lifetime(e.timestamp, now, options_.ttl);
        if (!life) {
            ++stats.expired;
            return;
        }
        const Timestamp at = life->start;
        if (const auto old = find_slot(shard, e.id, hash)) {
            if (visible(shard.slots[*old], now)) {
                ++stats.duplicates;
                return;
            }
            remove(shard, *old); // expired but not yet reclaimed: make room for the new one
        }
        std::uint32_t slot;
        if (shard.free.empty()) {
            slot = static_cast<std::uint32_t>(shard.slots.size());
            shard.slots.emplace_back();
        } else {
            slot = shard.free.back();
            shard.free.pop_back();
        }
        Record& r = shard.slots[slot];
        r.event = detail::memory::PackedEvent(e, at);
        shard.queued.push_back(slot);
        shard.waiting.store(shard.queued.size(), std::memory_order_relaxed);
        ++shard.live;
        shard.by_id.insert(hash, slot);
        shard.heap.push_back({at, slot, r.generation});
        std::push_heap(shard.heap.begin(), shard.heap.end(), std::greater<>{});
        totals_->events.fetch_add(1, std::memory_order_relaxed);
        totals_->bytes.fetch_add(held_bytes(r), std::memory_order_relaxed);
        ++stats.stored;
    }

    void remove(Shard& shard, std::uint32_t slot) {
        Record& r = shard.slots[slot];
        shard.by_id.erase(id_hash(r.event.id()), slot);
        totals_->events.fetch_sub(1, std::memory_order_relaxed);
        totals_->bytes.fetch_sub(held_bytes(r), std::memory_order_relaxed);
        shard.index_bytes.fetch_sub(r.tokens * posting_bytes, std::memory_order_relaxed);
        shard.dead_postings.fetch_add(r.tokens, std::memory_order_relaxed); // they stay until compaction
        --shard.live;
        r = Record{.generation = r.generation + 1};
        shard.free.push_back(slot);
    }

    /// Pops the heap's top if it is stale or satisfies pred; false when nothing was popped.
    template <class Pred>
    bool pop_oldest_if(Shard& shard, Pred pred) {
        while (!shard.heap.empty()) {
            const HeapEntry top = shard.heap.front();
            const Record& r = shard.slots[top.slot];
            const bool stale = !r.live() || r.generation != top.generation;
            if (!stale && !pred(top)) return false;
            std::pop_heap(shard.heap.begin(), shard.heap.end(), std::greater<>{});
            shard.heap.pop_back();
            if (!stale) {
                remove(shard, top.slot);
                return true;
            }
        }
        return false;
    }

    void reclaim(Shard& shard, Timestamp now) {
        while (pop_oldest_if(shard, [&](const HeapEntry& e) { return !alive(e.at, now, options_.ttl); })) {
        }
    }

    /// Evicts the shard's oldest events while the store is over a bound; returns how many.
    std::size_t evict_over_limits(Shard& shard) {
        auto over = [&](const HeapEntry&) {
            return (options_.max_events && size() > options_.max_events) ||
                   (options_.max_bytes && bytes() > options_.max_bytes);
        };
        std::size_t evicted = 0;
        while (pop_oldest_if(shard, over)) ++evicted;
        return evicted;
    }

    /// Adds slot to t's list unless t is saturated or slot is its last entry already (the
    /// token repeated in one payload, or a reused slot's old tenant: either way the slot is
    /// a candidate, checked literally); saturates it when it holds more than `most`. Returns
    /// whether an entry was added. Index locked.
    static bool add_posting(Shard& shard, index::Token t, std::uint32_t slot, std::size_t most) {
        detail::memory::PostingList& list = shard.postings[t];
        if (list.saturated() || (list.size() > 0 && list.end()[-1] == slot)) return false;
        list.push_back(slot);
        shard.total_postings.fetch_add(1, std::memory_order_relaxed);
        if (list.size() > most) {
            shard.total_postings.fetch_sub(list.size(), std::memory_order_relaxed);
            list.saturate();
        }
        return true;
    }

    static bool index_is_stale(const Shard& shard) noexcept {
        const std::size_t dead = shard.dead_postings.load(std::memory_order_relaxed);
        const std::size_t total = shard.total_postings.load(std::memory_order_relaxed);
        return 2 * dead > total + 4096; // saturation drops entries that may be counted dead: <= total
    }

    /// Drops a shard's postings once stale entries outnumber live ones, and queues every
    /// record to be indexed again: amortised O(1). Saturation is decided anew, so a token
    /// that became rare is indexed again. Only the indexer calls it.
    static void compact_index_if_stale(Shard& shard) {
        if (!index_is_stale(shard)) return;
        detail::memory::TokenTable old; // freed after the locks: put() must not wait for that
        std::unique_lock index(shard.index_mutex);
        std::unique_lock records(shard.mutex);
        if (!index_is_stale(shard)) return;
        std::swap(old, shard.postings);
        shard.total_postings = 0;
        shard.dead_postings = 0;
        shard.index_bytes = 0;
        shard.queued.clear();
        for (std::uint32_t slot = 0; slot < shard.slots.size(); ++slot) {
            Record& r = shard.slots[slot];
            r.indexed = false;
            r.tokens = 0;
            if (r.live()) shard.queued.push_back(slot);
        }
        shard.waiting.store(shard.queued.size(), std::memory_order_relaxed);
    }

    /// Compacts shard's index if due, then indexes what it has queued, chunk by chunk, until
    /// none is left or stop is requested.
    static void index_all_queued(Shard& shard, std::size_t saturation_floor, std::stop_token stop = {}) {
        std::lock_guard one_indexer(shard.indexing);
        compact_index_if_stale(shard);
        while (!stop.stop_requested() && index_queued(shard, saturation_floor, index_chunk)) {
        }
    }

    /// Indexes up to max queued records of shard; false when none was left. Their payloads
    /// are copied under the records' read lock, tokenized without any lock, their postings
    /// added under the index lock alone, and only then they leave the queue (records' lock
    /// again, briefly): queries always see each record queued, indexed, or both (their
    /// candidates are deduplicated). A record removed meanwhile leaves dead postings, as
    /// removed records always do until compaction. The caller holds shard.indexing: the
    /// queue changed meanwhile only by put() appending.
    static bool index_queued(Shard& shard, std::size_t saturation_floor, std::size_t max) {
        struct Job {
            std::uint32_t slot, generation;
            std::size_t text_begin, text_end, tokens_begin = 0, tokens_end = 0, added = 0;
        };
        thread_local std::vector<Job> jobs;
        thread_local std::string text;
        thread_local std::vector<index::Token> tokens;
        jobs.clear();
        text.clear();
        tokens.clear();
        std::size_t begin = 0, end = 0, live = 0;
        {
            std::shared_lock lock(shard.mutex);
            if (shard.queued.empty()) return false;
            end = shard.queued.size();
            begin = end - std::min(max, end);
            live = shard.live;
            for (std::size_t i = begin; i < end; ++i) {
                const Record& r = shard.slots[shard.queued[i]];
                if (!r.live() || r.indexed) continue; // freed, or queued twice (slot reused)
                const std::size_t at = text.size();
                text.append(r.event.payload());
                jobs.push_back({shard.queued[i], r.generation, at, text.size()});
            }
        }
        for (Job& j : jobs) {
            j.tokens_begin = tokens.size();
            index::for_each_token(std::string_view(text).substr(j.text_begin, j.text_end - j.text_begin),
                                  [&](index::Token t) { tokens.push_back(t); });
            j.tokens_end = tokens.size();
        }
        {
            std::unique_lock lock(shard.index_mutex);
            const std::size_t most = std::max(saturation_floor, live / 4);
            for (Job& j : jobs)
                for (std::size_t k = j.tokens_begin; k < j.tokens_end; ++k)
                    j.added += add_posting(shard, tokens[k], j.slot, most);
        }
        std::unique_lock lock(shard.mutex);
        for (const Job& j : jobs) {
            Record& r = shard.slots[j.slot];
            if (r.live() && r.generation == j.generation && !r.indexed) {
                r.indexed = true;
                r.tokens = static_cast<std::uint32_t>(j.added);
                shard.index_bytes.fetch_add(j.added * posting_bytes, std::memory_order_relaxed);
            } else { // removed meanwhile, or indexed twice in this chunk
                shard.dead_postings.fetch_add(j.added, std::memory_order_relaxed);
            }
        }
        shard.queued.erase(shard.queued.begin() + static_cast<std::ptrdiff_t>(begin),
                           shard.queued.begin() + static_cast<std::ptrdiff_t>(end));
        shard.waiting.store(shard.queued.size(), std::memory_order_relaxed);
        return true;
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
                for (const auto& shard : shards_) shard->postings.prefetch(tokens[0]);
            if (i == 1)
                for (std::size_t k = 1; k < tokens.size(); ++k)
                    for (const auto& shard : shards_) shard->postings.prefetch(tokens[k]);
            const index::Token t = tokens[i];
            std::size_t count = 0;
            bool usable = true;
            for (const auto& shard : shards_) {
                if (const auto* list = shard->postings.find(t)) {
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
            if (const auto* list = shard->postings.find(*rarest)) {
                list->prefetch();
                listed += list->size();
            }
        }
        budget.examine(listed);
        found.reserve(listed + queued);
        for (std::uint32_t k = 0; k < shards_.size(); ++k) {
            for (auto slot : shards_[k]->queued) found.push_back({k, slot});
            if (const auto* list = shards_[k]->postings.find(*rarest))
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
            hashes.push_back(id_hash(id));
            shard_ids.push_back(shard_of(hashes.back()));
        }
        const auto locks = lock_shards(shard_ids);
        // All looked up and prefetched first, then copied: the cache misses of many ids overlap.
        for (std::size_t i = 0; i < ids.size(); ++i) shards_[shard_ids[i]]->by_id.prefetch(hashes[i]);
        thread_local std::vector<const Record*> found;
        found.clear();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const Shard& shard = *shards_[shard_ids[i]];
            if (const auto slot = find_slot(shard, ids[i], hashes[i])) {
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
    struct Totals {
        std::atomic<std::size_t> events{0}, bytes{0};
        std::atomic<std::int64_t> next_reclaim{0}; ///< maintain()'s next reclaim, in the clock's ns
    };
    std::unique_ptr<Totals> totals_ = std::make_unique<Totals>(); // behind a pointer: the store stays movable
    std::unique_ptr<detail::memory::BackgroundWorker> indexer_;   // last: stopped before the shards go
};

using MemoryStore = BasicMemoryStore<SystemClock>;

} // namespace eh::store
