#pragma once
// Store `memory`: events kept in this process, found by id and by user from an index.
//
// Sharded by event id: each shard has its own reader-writer lock, so readers never wait on
// one global lock and a batch write locks each shard once. Each shard keeps
//   - the records (stable slots, reused through a free list),
//   - id -> slot,
//   - token -> slots (the user index, see eh/index/tokens.hpp), cleaned lazily,
//   - a min-heap of (timestamp, slot) that drives both TTL expiry and oldest-first eviction.
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
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "eh/clock.hpp"
#include "eh/concepts.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/memory/packed_event.hpp"
#include "eh/store/detail/memory/posting_list.hpp"
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
};

template <Clock K = SystemClock>
class BasicMemoryStore {
public:
    static constexpr std::string_view name = "memory";

    explicit BasicMemoryStore(MemoryOptions options = {}, K clock = K{})
        : options_(options), clock_(std::move(clock)) {
        shards_.resize(std::max<std::size_t>(1, options_.shards));
        for (auto& s : shards_) s = std::make_unique<Shard>();
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
        return stats;
    }

    /// Found events in request order; unknown or expired ids are skipped.
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec&) const {
        std::vector<Event> out;
        out.reserve(ids.size());
        const Timestamp now = clock_.now();
        for (const auto& id : ids) {
            const Shard& shard = *shards_[shard_of(id)];
            std::shared_lock lock(shard.mutex);
            if (auto it = shard.by_id.find(id); it != shard.by_id.end()) {
                const Record& r = shard.slots[it->second];
                if (visible(r, now)) out.push_back(r.event.to_event());
            }
        }
        return out;
    }

    /// Events whose payload holds user as a bounded literal, ordered by timestamp.
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec&) const {
        std::vector<Event> out;
        if (user.empty()) return out;
        const Timestamp now = clock_.now();
        std::vector<index::Token> runs;
        index::for_each_word_run(user, [&](std::string_view run) { runs.push_back(index::token_hash(run)); });
        // An id of punctuation only, or of saturated tokens only, has no list to look up.
        if (const auto rarest = runs.empty() ? std::nullopt : rarest_token(runs)) {
            for (const auto& shard : shards_) collect(*shard, *rarest, user, now, out);
        } else {
            scan(user, now, out);
        }
        std::sort(out.begin(), out.end(),
                  [](const Event& a, const Event& b) { return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id); });
        return out;
    }

    /// Events held, including expired ones not yet reclaimed.
    std::size_t size() const noexcept { return totals_->events.load(std::memory_order_relaxed); }
    std::size_t bytes() const noexcept { return totals_->bytes.load(std::memory_order_relaxed); }

    /// Reclaims the memory of expired events (they are already invisible). Cheap when idle.
    void maintain() {
        const Timestamp now = clock_.now();
        for (auto& shard : shards_) {
            std::unique_lock lock(shard->mutex);
            reclaim(*shard, now);
            compact_index_if_stale(*shard);
        }
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
        bool live() const noexcept { return static_cast<bool>(event); }
    };
    struct HeapEntry {
        Timestamp at;
        std::uint32_t slot, generation;
        bool operator>(const HeapEntry& o) const noexcept { return at > o.at; }
    };
    struct Shard {
        mutable std::shared_mutex mutex;
        std::deque<Record> slots; // a deque: records never move, so by_id may view their ids
        std::vector<std::uint32_t> free;
        std::unordered_map<std::string_view, std::uint32_t> by_id;
        std::unordered_map<index::Token, detail::memory::PostingList> postings;
        std::size_t live_postings = 0, total_postings = 0;
        std::size_t live = 0; // events held
        std::vector<HeapEntry> heap; // min-heap on timestamp
    };

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
        thread_local std::vector<index::Token> tokens;
        tokens.clear();
        index::tokenize(e.payload, tokens);
        std::uint32_t added = 0;
        for (auto t : tokens) added += add_posting(shard, t, slot);
        r.tokens = added;
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

    /// Adds slot to t's list unless t is saturated; saturates it when it grows too long.
    /// Returns whether an entry was added.
    bool add_posting(Shard& shard, index::Token t, std::uint32_t slot) {
        detail::memory::PostingList& list = shard.postings[t];
        if (list.saturated()) return false;
        list.push_back(slot);
        ++shard.live_postings;
        ++shard.total_postings;
        if (list.size() > std::max(options_.saturation_floor, shard.live / 4)) {
            shard.live_postings -= std::min<std::size_t>(shard.live_postings, list.size());
            shard.total_postings -= list.size();
            list.saturate();
        }
        return true;
    }

    /// Rebuilds a shard's postings once stale entries outnumber live ones: amortised O(1).
    /// Saturation is decided anew, so a token that became rare is indexed again.
    void compact_index_if_stale(Shard& shard) {
        if (shard.total_postings <= 2 * shard.live_postings + 4096) return;
        shard.postings.clear();
        shard.live_postings = shard.total_postings = 0;
        std::vector<index::Token> tokens;
        for (std::uint32_t slot = 0; slot < shard.slots.size(); ++slot) {
            Record& r = shard.slots[slot];
            if (!r.live()) continue;
            tokens.clear();
            index::tokenize(r.event.payload(), tokens);
            r.tokens = 0;
            for (auto t : tokens) r.tokens += add_posting(shard, t, slot);
        }
    }

    /// The query's token with the fewest candidates; none when every token is saturated
    /// somewhere (an incomplete list cannot be used).
    std::optional<index::Token> rarest_token(const std::vector<index::Token>& runs) const {
        std::optional<index::Token> best;
        std::size_t best_count = SIZE_MAX;
        for (auto t : runs) {
            std::size_t count = 0;
            bool usable = true;
            for (const auto& shard : shards_) {
                std::shared_lock lock(shard->mutex);
                if (auto it = shard->postings.find(t); it != shard->postings.end()) {
                    usable = usable && !it->second.saturated();
                    count += it->second.size();
                }
            }
            if (usable && count < best_count) best = t, best_count = count;
        }
        return best;
    }

    void collect(const Shard& shard, index::Token token, std::string_view user, Timestamp now,
                 std::vector<Event>& out) const {
        std::shared_lock lock(shard.mutex);
        auto it = shard.postings.find(token);
        if (it == shard.postings.end()) return;
        // A reused slot may be listed twice (old tenant and new): visit each slot once.
        std::vector<std::uint32_t> candidates(it->second.begin(), it->second.end());
        std::sort(candidates.begin(), candidates.end());
        candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
        for (auto slot : candidates) {
            const Record& r = shard.slots[slot];
            if (visible(r, now) && index::contains_bounded(r.event.payload(), user)) out.push_back(r.event.to_event());
        }
    }

    void scan(std::string_view user, Timestamp now, std::vector<Event>& out) const {
        for (const auto& shard : shards_) {
            std::shared_lock lock(shard->mutex);
            for (const Record& r : shard->slots)
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
};

using MemoryStore = BasicMemoryStore<SystemClock>;

} // namespace eh::store
