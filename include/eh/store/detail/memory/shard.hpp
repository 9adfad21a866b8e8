#pragma once
// One shard of the memory store (eh/store/memory.hpp): a share of the events, by id hash,
// with its own locks. This file is the records side:
//   - the records, in stable slots (a deque: queries may hold them), reused through a free list;
//   - id -> slot (IdTable);
//   - a min-heap of (timestamp, slot) that drives both TTL expiry and oldest-first eviction;
//   - the slots not yet in the user index (the index queue).
// The postings of the user index sit beside them, under a lock of their own (ShardPostings);
// how they are built and kept is shard_index.hpp.
//
// Locking: `mutex` guards the records and the queue; `postings.mutex` the postings. Whoever
// needs both takes the postings' first. The methods below expect their caller to hold
// `mutex` (writing) unless they say otherwise.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "eh/clock.hpp"
#include "eh/event.hpp"
#include "eh/store/detail/memory/id_table.hpp"
#include "eh/store/detail/memory/packed_event.hpp"
#include "eh/store/detail/memory/token_table.hpp"
#include "eh/store/detail/memory/writer_first_mutex.hpp"
#include "eh/store/lifetime.hpp"
#include "eh/store/put_stats.hpp"

namespace eh::store::detail::memory {

struct Record {
    PackedEvent event;            // empty while the slot is free
    std::uint32_t generation = 0; // bumped when the slot is freed: heap entries of old tenants are stale
    std::uint32_t tokens = 0;     // index entries this record added
    bool indexed = false;         // its postings are in; else its slot is queued
    bool live() const noexcept { return static_cast<bool>(event); }
};

struct HeapEntry {
    Timestamp at;
    std::uint32_t slot, generation;
    bool operator>(const HeapEntry& o) const noexcept { return at > o.at; }
};

/// What every shard adds to: the store's size and bytes, read without locks.
struct Totals {
    std::atomic<std::size_t> events{0}, bytes{0};
    std::atomic<std::int64_t> next_reclaim{0}; ///< the store's next reclaim, in its clock's ns
};

/// A shard's user index: token -> slots (stale entries of removed records stay until the
/// index is rebuilt), with counters that decide when to index and when to rebuild.
struct ShardPostings {
    /// What an index entry costs: its slot number in a list that grows by half, and a share
    /// of the token table. Calibrated with `eh-bench memory` (accounted against resident bytes).
    static constexpr std::size_t entry_bytes = 10;

    mutable WriterFirstMutex mutex; // taken before the shard's records mutex
    TokenTable table;
    std::atomic<std::size_t> total{0};  // entries in table...
    std::atomic<std::size_t> dead{0};   // ...of them of removed records (or repeats)
    std::atomic<std::size_t> bytes{0};  // entry_bytes per entry of the live records
    std::mutex indexing;                // one indexer at a time (the worker, index_queued_now())
};

struct Shard {
    /// What a record costs beside its text: its slot, its id and expiry entries (tables at
    /// most 3/4 full), its place in the index queue, the allocator's header of its text.
    static constexpr std::size_t record_overhead = sizeof(Record) + 2 * sizeof(HeapEntry) + 2 * 16 + 4 + 16;

    mutable WriterFirstMutex mutex; // writer-first: put() must not starve behind queries
    std::deque<Record> slots;
    std::vector<std::uint32_t> free;
    IdTable by_id;
    std::vector<std::uint32_t> queued; // slots to index (may repeat, or be freed since)
    std::atomic<std::size_t> waiting{0}; // queued.size(), for lock-free looks
    std::size_t live = 0;              // events held
    std::vector<HeapEntry> heap;       // min-heap on timestamp
    ShardPostings postings;

    static std::uint64_t id_hash(std::string_view id) noexcept { return std::hash<std::string_view>{}(id); }
    static std::size_t held_bytes(const Record& r) noexcept { return r.event.bytes() + record_overhead; }

    /// Read or write lock held.
    std::optional<std::uint32_t> find_slot(std::string_view id, std::uint64_t hash) const {
        return by_id.find(hash, [&](std::uint32_t slot) { return slots[slot].event.id() == id; });
    }

    /// Stores e unless it is expired (counted) or its id is held by a visible event (counted
    /// as a duplicate); an expired holder not yet reclaimed gives way.
    void insert(const Event& e, std::uint64_t hash, Timestamp now, std::chrono::nanoseconds ttl, Totals& totals,
                PutStats& stats) {
        const auto life = lifetime(e.timestamp, now, ttl);
        if (!life) {
            ++stats.expired;
            return;
        }
        if (const auto old = find_slot(e.id, hash)) {
            if (slots[*old].live() && alive(slots[*old].event.timestamp(), now, ttl)) {
                ++stats.duplicates;
                return;
            }
            remove(*old, totals);
        }
        std::uint32_t slot;
        if (free.empty()) {
            slot = static_cast<std::uint32_t>(slots.size());
            slots.emplace_back();
        } else {
            slot = free.back();
            free.pop_back();
        }
        Record& r = slots[slot];
        r.event = PackedEvent(e, life->start);
        queued.push_back(slot);
        waiting.store(queued.size(), std::memory_order_relaxed);
        ++live;
        by_id.insert(hash, slot);
        heap.push_back({life->start, slot, r.generation});
        std::push_heap(heap.begin(), heap.end(), std::greater<>{});
        totals.events.fetch_add(1, std::memory_order_relaxed);
        totals.bytes.fetch_add(held_bytes(r), std::memory_order_relaxed);
        ++stats.stored;
    }

    /// Frees slot; its index entries stay (counted dead) until the index is rebuilt.
    void remove(std::uint32_t slot, Totals& totals) {
        Record& r = slots[slot];
        by_id.erase(id_hash(r.event.id()), slot);
        totals.events.fetch_sub(1, std::memory_order_relaxed);
        totals.bytes.fetch_sub(held_bytes(r), std::memory_order_relaxed);
        postings.bytes.fetch_sub(r.tokens * ShardPostings::entry_bytes, std::memory_order_relaxed);
        postings.dead.fetch_add(r.tokens, std::memory_order_relaxed);
        --live;
        r = Record{.generation = r.generation + 1};
        free.push_back(slot);
    }

    /// Removes the expired events.
    void reclaim(Timestamp now, std::chrono::nanoseconds ttl, Totals& totals) {
        while (pop_oldest_if([&](const HeapEntry& e) { return !alive(e.at, now, ttl); }, totals)) {
        }
    }

    /// Removes the oldest events while over() says so; returns how many.
    template <class Over>
    std::size_t evict_while(Over over, Totals& totals) {
        std::size_t evicted = 0;
        while (pop_oldest_if([&](const HeapEntry&) { return over(); }, totals)) ++evicted;
        return evicted;
    }

private:
    /// Pops the heap's top if it is stale or satisfies pred; false when nothing was popped.
    template <class Pred>
    bool pop_oldest_if(Pred pred, Totals& totals) {
        while (!heap.empty()) {
            const HeapEntry top = heap.front();
            const Record& r = slots[top.slot];
            const bool stale = !r.live() || r.generation != top.generation;
            if (!stale && !pred(top)) return false;
            std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
            heap.pop_back();
            if (!stale) {
                remove(top.slot, totals);
                return true;
            }
        }
        return false;
    }
};

} // namespace eh::store::detail::memory
