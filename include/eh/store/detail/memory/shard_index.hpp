#pragma once
// How a shard's user index (ShardPostings, shard.hpp) is built behind the writes and kept:
// put() queues each new record's slot; an indexer (the store's background worker, or the
// caller of index_queued_now()) tokenizes queued records (most of an insert's cost) and
// adds their postings. Only the indexer calls these functions, one at a time per shard
// (ShardPostings::indexing).
//
// The protocol with queries: a record's payload is copied under the records' read lock,
// tokenized without any lock, its postings added under the postings' lock alone, and only
// then it leaves the queue (records' lock again, briefly). So put() never waits for an
// indexer preempted at its low priority, and queries always see each record queued,
// indexed, or both (their candidates are deduplicated).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "eh/index/tokens.hpp"
#include "eh/store/detail/memory/shard.hpp"

namespace eh::store::detail::memory::shard_index {

/// Records indexed per step: the queue's lock is taken twice per step.
inline constexpr std::size_t chunk = 32;

/// Adds slot to t's list unless t is saturated or slot is its last entry already (the
/// token repeated in one payload, or a reused slot's old tenant: either way the slot is a
/// candidate, checked literally); saturates it when it holds more than `most`. Returns
/// whether an entry was added. Postings locked.
inline bool add_posting(ShardPostings& p, index::Token t, std::uint32_t slot, std::size_t most) {
    PostingList& list = p.table[t];
    if (list.saturated() || (list.size() > 0 && list.end()[-1] == slot)) return false;
    list.push_back(slot);
    p.total.fetch_add(1, std::memory_order_relaxed);
    if (list.size() > most) {
        p.total.fetch_sub(list.size(), std::memory_order_relaxed);
        list.saturate();
    }
    return true;
}

inline bool is_stale(const ShardPostings& p) noexcept {
    const std::size_t dead = p.dead.load(std::memory_order_relaxed);
    const std::size_t total = p.total.load(std::memory_order_relaxed);
    return 2 * dead > total + 4096; // saturation drops entries that may be counted dead: <= total
}

/// Drops a shard's postings once stale entries outnumber live ones, and queues every record
/// to be indexed again: amortised O(1). Saturation is decided anew, so a token that became
/// rare is indexed again.
inline void rebuild_if_stale(Shard& shard) {
    if (!is_stale(shard.postings)) return;
    TokenTable old; // freed after the locks: put() must not wait for that
    std::unique_lock index(shard.postings.mutex);
    std::unique_lock records(shard.mutex);
    if (!is_stale(shard.postings)) return;
    std::swap(old, shard.postings.table);
    shard.postings.total = 0;
    shard.postings.dead = 0;
    shard.postings.bytes = 0;
    shard.queued.clear();
    for (std::uint32_t slot = 0; slot < shard.slots.size(); ++slot) {
        Record& r = shard.slots[slot];
        r.indexed = false;
        r.tokens = 0;
        if (r.live()) shard.queued.push_back(slot);
    }
    shard.waiting.store(shard.queued.size(), std::memory_order_relaxed);
}

/// Indexes up to max queued records of shard (the protocol above); false when none was
/// left. A record removed meanwhile leaves dead postings, as removed records always do until
/// the rebuild. The queue changed meanwhile only by put() appending.
inline bool index_queued(Shard& shard, std::size_t saturation_floor, std::size_t max) {
    struct Job {
        std::uint32_t slot, generation;
        std::size_t text_begin, text_end, tokens_begin = 0, tokens_end = 0, added = 0;
    };
    // Reused across steps: the indexer allocates nothing per record once warm.
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
        std::unique_lock lock(shard.postings.mutex);
        const std::size_t most = std::max(saturation_floor, live / 4);
        for (Job& j : jobs)
            for (std::size_t k = j.tokens_begin; k < j.tokens_end; ++k)
                j.added += add_posting(shard.postings, tokens[k], j.slot, most);
    }
    std::unique_lock lock(shard.mutex);
    for (const Job& j : jobs) {
        Record& r = shard.slots[j.slot];
        if (r.live() && r.generation == j.generation && !r.indexed) {
            r.indexed = true;
            r.tokens = static_cast<std::uint32_t>(j.added);
            shard.postings.bytes.fetch_add(j.added * ShardPostings::entry_bytes, std::memory_order_relaxed);
        } else { // removed meanwhile, or indexed twice in this chunk
            shard.postings.dead.fetch_add(j.added, std::memory_order_relaxed);
        }
    }
    shard.queued.erase(shard.queued.begin() + static_cast<std::ptrdiff_t>(begin),
                       shard.queued.begin() + static_cast<std::ptrdiff_t>(end));
    shard.waiting.store(shard.queued.size(), std::memory_order_relaxed);
    return true;
}

/// Rebuilds shard's index if due, then indexes what it has queued, chunk by chunk, until
/// none is left or stop is requested.
inline void index_all_queued(Shard& shard, std::size_t saturation_floor, std::stop_token stop = {}) {
    std::lock_guard one_indexer(shard.postings.indexing);
    rebuild_if_stale(shard);
    while (!stop.stop_requested() && index_queued(shard, saturation_floor, chunk)) {
    }
}

} // namespace eh::store::detail::memory::shard_index
