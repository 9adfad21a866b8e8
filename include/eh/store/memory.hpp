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
// adds its postings. Queries check the queued slots literally, so answers are exact at
// once; index_queued_now() catches the index up in the caller's thread.
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
#include <unordered_map>
#include <vector>

#include "eh/clock.hpp"
#include "eh/concepts.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/memory/background_worker.hpp"
#include "eh/store/detail/memory/packed_event.hpp"
#include "eh/store/detail/memory/token_table.hpp"
#include "eh/store/detail/memory/writer_first_mutex.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/settings.hpp"

namespace eh::store {

struct MemoryOptions {
    std::chrono::nanoseconds ttl = std::chrono::hours{336}; ///< counted from the event's own timestamp
    std::size_t max_events = 0;                            ///< 0: unbounded
    std::size_t max_bytes = 0;                             ///< payload+id+type+metadata bytes; 0: unbounded
    std::size_t shards = 16;
    /// A token held by more than max(this, a quarter of a shard's events) is no longer indexed
    /// (see PostingList); a user id made only of such tokens is answered by a scan.
    std::size_t saturation_floor = 1024;
    /// Index new records in a background thread; false: in maintain() (or index_queued_now()).
    bool index_in_background = true;
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
        // Group the batch by shard so that each shard is locked once.
        thread_local std::vector<std::pair<std::size_t, std::size_t>> order;
        order.clear();
        for (std::size_t i = 0; i < batch.size(); ++i) order.emplace_back(shard_of(batch[i].id), i);
        std::sort(order.begin(), order.end());
        for (std::size_t i = 0; i < order.size();) {
            Shard& shard = *shards_[order[i].first];
            std::unique_lock lock(shard.mutex);
            std::size_t s = order[i].first;
            for (; i < order.size() && order[i].first == s; ++i) insert(shard, batch[order[i].second], now, stats);
            reclaim(shard, now);
            evict_over_limits(shard);
            compact_index_if_stale(shard);
        }
        if (stats.stored > 0 && indexer_) indexer_->poke();
        return stats;
    }

    /// Found events in request order; unknown or expired ids are skipped.
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec&) const {
        const Timestamp now = clock_.now();
        thread_local std::vector<std::size_t> shard_ids;
        shard_ids.clear();
        for (const auto& id : ids) shard_ids.push_back(shard_of(id));
        const auto locks = lock_shards(shard_ids);
        // All looked up and prefetched first, then copied: the cache misses of many ids overlap.
        thread_local std::vector<const Record*> found;
        found.clear();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto& id = ids[i];
            const Shard& shard = *shards_[shard_ids[i]];
            if (auto it = shard.by_id.find(id); it != shard.by_id.end()) {
                found.push_back(&shard.slots[it->second]);
                found.back()->event.prefetch();
            }
        }
        std::vector<Event> out;
        out.reserve(found.size());
        for (const Record* r : found)
            if (visible(*r, now)) out.push_back(r->event.to_event());
        return out;
    }

    /// Events whose payload holds user as a bounded literal, ordered by timestamp.
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec&) const {
        std::vector<Event> out;
        if (user.empty()) return out;
        const Timestamp now = clock_.now();
        // Every shard read-locked at once: one pass over a consistent store, whose candidates
        // can be fetched from memory in parallel (at 1M events every record is a cache miss).
        const auto locks = lock_all();
        std::vector<std::string_view> runs;
        index::for_each_word_run(user, [&](std::string_view run) { runs.push_back(run); });
        // An id of punctuation only, or of saturated tokens only, has no list to look up.
        if (const auto rarest = runs.empty() ? std::nullopt : rarest_token(runs)) {
            verify(candidates(*rarest), user, now, out);
        } else {
            for (const auto& shard : shards_)
                for (const Record& r : shard->slots)
                    if (visible(r, now) && index::contains_bounded(r.event.payload(), user)) out.push_back(r.event.to_event());
        }
        std::sort(out.begin(), out.end(),
                  [](const Event& a, const Event& b) { return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id); });
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

    /// Events held, including expired ones not yet reclaimed.
    std::size_t size() const noexcept { return totals_->events.load(std::memory_order_relaxed); }
    std::size_t bytes() const noexcept { return totals_->bytes.load(std::memory_order_relaxed); }

    /// Reclaims the memory of expired events (they are already invisible), and has what is
    /// queued indexed: by the background worker (poked), or here without one. The ingest
    /// loop calls it whenever a fetch comes back empty: indexing there would stall the next
    /// batch. Cheap when idle.
    void maintain() {
        const Timestamp now = clock_.now();
        for (auto& shard : shards_) {
            std::unique_lock lock(shard->mutex);
            reclaim(*shard, now);
            compact_index_if_stale(*shard);
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

    static BasicMemoryStore make(const StoreSettings& s, K clock = K{}) {
        return BasicMemoryStore({.ttl = s.ttl, .max_events = s.max_events, .max_bytes = s.max_bytes}, std::move(clock));
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
        mutable detail::memory::WriterFirstMutex mutex; // put() must not starve behind queries
        std::deque<Record> slots; // a deque: records never move, so by_id may view their ids
        std::vector<std::uint32_t> free;
        std::unordered_map<std::string_view, std::uint32_t> by_id;
        detail::memory::TokenTable postings;
        std::vector<std::uint32_t> queued; // slots to index (may repeat, or be freed since)
        std::uint64_t queue_epoch = 0;     // bumped when compaction queues everything anew
        std::mutex indexing;               // one indexer at a time (the worker, maintain())
        std::size_t live_postings = 0, total_postings = 0;
        std::size_t live = 0; // events held
        std::vector<HeapEntry> heap; // min-heap on timestamp
    };

    static constexpr std::size_t index_chunk = 32; ///< records indexed per step

    using SharedLock = std::shared_lock<detail::memory::WriterFirstMutex>;

    /// Every shard read-locked, in order (writers hold one at a time: no deadlock).
    std::vector<SharedLock> lock_all() const {
        std::vector<SharedLock> locks;
        locks.reserve(shards_.size());
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

    std::size_t shard_of(std::string_view id) const noexcept {
        return std::hash<std::string_view>{}(id) % shards_.size();
    }
    bool visible(const Record& r, Timestamp now) const noexcept {
        return r.live() && r.event.timestamp() + options_.ttl > now;
    }

    void insert(Shard& shard, const Event& e, Timestamp now, PutStats& stats) {
        // A publisher that sent no timestamp: the event's life starts now.
        const Timestamp at = e.timestamp == Timestamp{} ? now : e.timestamp;
        if (at + options_.ttl <= now) {
            ++stats.expired;
            return;
        }
        if (auto it = shard.by_id.find(e.id); it != shard.by_id.end()) {
            if (visible(shard.slots[it->second], now)) {
                ++stats.duplicates;
                return;
            }
            remove(shard, it->second); // expired but not yet reclaimed: make room for the new one
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
        ++shard.live;
        shard.by_id.emplace(r.event.id(), slot);
        shard.heap.push_back({at, slot, r.generation});
        std::push_heap(shard.heap.begin(), shard.heap.end(), std::greater<>{});
        totals_->events.fetch_add(1, std::memory_order_relaxed);
        totals_->bytes.fetch_add(r.event.bytes(), std::memory_order_relaxed);
        ++stats.stored;
    }

    void remove(Shard& shard, std::uint32_t slot) {
        Record& r = shard.slots[slot];
        shard.by_id.erase(r.event.id());
        totals_->events.fetch_sub(1, std::memory_order_relaxed);
        totals_->bytes.fetch_sub(r.event.bytes(), std::memory_order_relaxed);
        shard.live_postings -= std::min<std::size_t>(shard.live_postings, r.tokens); // its postings stay until compaction
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
        while (pop_oldest_if(shard, [&](const HeapEntry& e) { return e.at + options_.ttl <= now; })) {
        }
    }

    void evict_over_limits(Shard& shard) {
        auto over = [&](const HeapEntry&) {
            return (options_.max_events && size() > options_.max_events) ||
                   (options_.max_bytes && bytes() > options_.max_bytes);
        };
        while (pop_oldest_if(shard, over)) {
        }
    }

    /// Adds slot to t's list unless t is saturated or slot is its last entry already (the
    /// token repeated in one payload, or a reused slot's old tenant: either way the slot is
    /// a candidate, checked literally); saturates it when it grows too long. Returns whether
    /// an entry was added.
    static bool add_posting(Shard& shard, index::Token t, std::uint32_t slot, std::size_t saturation_floor) {
        detail::memory::PostingList& list = shard.postings[t];
        if (list.saturated() || (list.size() > 0 && list.end()[-1] == slot)) return false;
        list.push_back(slot);
        ++shard.live_postings;
        ++shard.total_postings;
        if (list.size() > std::max(saturation_floor, shard.live / 4)) {
            shard.live_postings -= std::min<std::size_t>(shard.live_postings, list.size());
            shard.total_postings -= list.size();
            list.saturate();
        }
        return true;
    }

    /// Drops a shard's postings once stale entries outnumber live ones, and queues every
    /// record to be indexed again: amortised O(1). Saturation is decided anew, so a token
    /// that became rare is indexed again.
    static void compact_index_if_stale(Shard& shard) {
        if (shard.total_postings <= 2 * shard.live_postings + 4096) return;
        shard.postings.clear();
        shard.live_postings = shard.total_postings = 0;
        shard.queued.clear();
        ++shard.queue_epoch;
        for (std::uint32_t slot = 0; slot < shard.slots.size(); ++slot) {
            Record& r = shard.slots[slot];
            r.indexed = false;
            r.tokens = 0;
            if (r.live()) shard.queued.push_back(slot);
        }
    }

    /// Indexes what shard has queued, chunk by chunk, until none is left or stop is requested.
    static void index_all_queued(Shard& shard, std::size_t saturation_floor, std::stop_token stop = {}) {
        while (!stop.stop_requested() && index_queued(shard, saturation_floor, index_chunk)) {
        }
    }

    /// Indexes up to max queued records of shard; false when none was left. Their payloads
    /// are copied under a read lock and tokenized without any lock; the write lock is held
    /// only to add the postings. (The worker runs at the lowest priority: a long hold of
    /// the write lock there would stall put() behind a thread that gets no CPU.) The slots
    /// stay queued until their postings are in, so queries always see each record one way.
    static bool index_queued(Shard& shard, std::size_t saturation_floor, std::size_t max) {
        std::lock_guard one_indexer(shard.indexing);
        struct Job {
            std::uint32_t slot, generation;
            std::size_t text_begin, text_end, tokens_begin = 0, tokens_end = 0;
        };
        thread_local std::vector<Job> jobs;
        thread_local std::string text;
        thread_local std::vector<index::Token> tokens;
        jobs.clear();
        text.clear();
        tokens.clear();
        std::size_t begin = 0, end = 0;
        std::uint64_t epoch = 0;
        {
            std::shared_lock lock(shard.mutex);
            if (shard.queued.empty()) return false;
            end = shard.queued.size();
            begin = end - std::min(max, end);
            epoch = shard.queue_epoch;
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
        std::unique_lock lock(shard.mutex);
        if (shard.queue_epoch != epoch) return true; // compacted meanwhile: all queued anew
        for (const Job& j : jobs) {
            Record& r = shard.slots[j.slot];
            if (!r.live() || r.generation != j.generation || r.indexed) continue; // gone meanwhile
            for (std::size_t k = j.tokens_begin; k < j.tokens_end; ++k)
                r.tokens += add_posting(shard, tokens[k], j.slot, saturation_floor);
            r.indexed = true;
        }
        // Only put() changed the queue meanwhile, appending: these entries are where they were.
        shard.queued.erase(shard.queued.begin() + static_cast<std::ptrdiff_t>(begin),
                           shard.queued.begin() + static_cast<std::ptrdiff_t>(end));
        return true;
    }

    /// The query's token with the fewest candidates, or one with few enough; none when every
    /// token is saturated somewhere (an incomplete list cannot be used). Shards locked.
    std::optional<index::Token> rarest_token(std::vector<std::string_view>& runs) const {
        static constexpr std::size_t few_enough = 64; // a user's own events: stop looking
        std::sort(runs.begin(), runs.end(), [](auto a, auto b) { return a.size() > b.size(); }); // likeliest rare first
        thread_local std::vector<index::Token> tokens;
        tokens.clear();
        for (auto run : runs) tokens.push_back(index::token_hash(run));
        // Every run's entry in every shard is requested at once: one memory round trip, not
        // one per run.
        for (auto t : tokens)
            for (const auto& shard : shards_) shard->postings.prefetch(t);
        std::optional<index::Token> best;
        std::size_t best_count = SIZE_MAX;
        for (auto t : tokens) {
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
        const Shard* shard;
        std::uint32_t slot;
        auto operator<=>(const Candidate&) const = default;
    };

    /// The slots listed for token plus those not yet indexed, each once (a reused slot may be
    /// listed for its old tenant too). Shards locked.
    std::vector<Candidate> candidates(index::Token token) const {
        std::vector<Candidate> found;
        for (const auto& shard : shards_)
            if (const auto* list = shard->postings.find(token)) list->prefetch();
        for (const auto& shard : shards_) {
            for (auto slot : shard->queued) found.push_back({shard.get(), slot});
            if (const auto* list = shard->postings.find(token))
                for (auto slot : *list) found.push_back({shard.get(), slot});
        }
        std::sort(found.begin(), found.end());
        found.erase(std::unique(found.begin(), found.end()), found.end());
        return found;
    }

    /// Appends the candidates holding user. Their records, then their texts, are prefetched
    /// first, so that the cache misses overlap instead of queueing. Shards locked.
    void verify(const std::vector<Candidate>& found, std::string_view user, Timestamp now, std::vector<Event>& out) const {
        for (const auto& c : found) eh::detail::prefetch(&c.shard->slots[c.slot]);
        for (const auto& c : found)
            if (const Record& r = c.shard->slots[c.slot]; r.live()) r.event.prefetch();
        out.reserve(out.size() + found.size());
        for (const auto& c : found) {
            const Record& r = c.shard->slots[c.slot];
            if (visible(r, now) && index::contains_bounded(r.event.payload(), user)) out.push_back(r.event.to_event());
        }
    }

    MemoryOptions options_;
    K clock_;
    std::vector<std::unique_ptr<Shard>> shards_;
    struct Totals {
        std::atomic<std::size_t> events{0}, bytes{0};
    };
    std::unique_ptr<Totals> totals_ = std::make_unique<Totals>(); // behind a pointer: the store stays movable
    std::unique_ptr<detail::memory::BackgroundWorker> indexer_;   // last: stopped before the shards go
};

using MemoryStore = BasicMemoryStore<SystemClock>;

} // namespace eh::store
