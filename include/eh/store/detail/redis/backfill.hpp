#pragma once
// Indexing the records that exist already: those ocis wrote before the switch, which no batch
// of ours ever indexed. One pass over database 0 (SCAN, MATCH the table's prefix), a step of
// `step_keys` keys at a time: the step reads their values and remaining lives, takes those
// that are StoreEvents under their own id, and writes their index entries as an index-only
// batch (write_batch.hpp): their timestamp is when the record was written (its TTL less what
// is left of it), its entries expire with it. The SCAN cursor is kept in the index database
// (keys.hpp: backfill), "done" at the end; one instance at a time holds a lease on it.
//
// No batch of ours is written before the pass ends (put() waits for it, a bounded time per
// call): a record is then either from before the pass (indexed here) or ours (indexed by its
// batch). SCAN may return a key twice; the lookup keeps each id once.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/connection.hpp"
#include "eh/store/detail/redis/keys.hpp"
#include "eh/store/detail/redis/sentinel.hpp"
#include "eh/store/detail/redis/write_batch.hpp"

namespace eh::store::detail::redis {

class Backfill {
public:
    static constexpr std::size_t step_keys = 256;
    static constexpr std::chrono::seconds lease{30};

    Backfill() : owner_(std::to_string(std::random_device{}()) + "-" + std::to_string(std::random_device{}())) {}

    bool done() const noexcept { return done_.load(std::memory_order_relaxed); }
    /// Keys looked at by this instance so far.
    std::size_t scanned() const noexcept { return scanned_.load(std::memory_order_relaxed); }

    enum class Step { done, advanced, elsewhere }; ///< elsewhere: another instance holds the lease

    /// One step of the pass.
    template <class Codec>
    Step step(MasterLink& link, const Codec& codec, const IndexKeys& keys, int index_db, std::chrono::nanoseconds ttl) {
        if (done()) return Step::done;
        Connection& conn = link.conn;
        conn.append(Command("SELECT", index_db));
        conn.append(Command("GET", keys.backfill()));
        conn.append(Command("SET", keys.backfill_lease(), owner_, "NX", "PX", ms(lease)));
        conn.append(Command("GET", keys.backfill_lease()));
        conn.append(Command("SELECT", events_db));
        Reply replies[5];
        for (auto& r : replies) r = conn.read();
        for (auto& r : replies) r = conn.expect(std::move(r), "reading the backfill's state");
        const std::string state(text(*replies[1]));
        if (state == "done") {
            done_ = true;
            return Step::done;
        }
        if (text(*replies[3]) != owner_) return Step::elsewhere;

        Reply page = conn.call(Command("SCAN", state.empty() ? "0" : state, "MATCH", keys.table_pattern(), "COUNT", step_keys),
                               "SCAN");
        if (page->type != REDIS_REPLY_ARRAY || page->elements != 2 || page->element[1]->type != REDIS_REPLY_ARRAY)
            throw StoreError("redis " + conn.peer() + ": unexpected reply to SCAN");
        const std::string next(text(*page->element[0]));
        const redisReply& found = *page->element[1];
        scanned_ += found.elements;
        index(link, codec, keys, index_db, ttl, found);

        conn.append(Command("SELECT", index_db));
        conn.append(Command("SET", keys.backfill(), next == "0" ? "done" : next));
        conn.append(Command("PEXPIRE", keys.backfill_lease(), ms(lease)));
        conn.append(Command("SELECT", events_db));
        for (int i = 0; i < 4; ++i) conn.expect(conn.read(), "saving the backfill's state");
        if (next == "0") done_ = true;
        return done() ? Step::done : Step::advanced;
    }

private:
    static long long ms(std::chrono::milliseconds d) { return d.count(); }

    /// Index entries for the StoreEvents among these keys.
    template <class Codec>
    void index(MasterLink& link, const Codec& codec, const IndexKeys& keys, int index_db, std::chrono::nanoseconds ttl,
               const redisReply& found) {
        if (found.elements == 0) return;
        Connection& conn = link.conn;
        Command mget("MGET");
        for (std::size_t i = 0; i < found.elements; ++i) mget.add(text(*found.element[i]));
        conn.append(mget);
        for (std::size_t i = 0; i < found.elements; ++i) conn.append(Command("PTTL", text(*found.element[i])));
        Reply values = conn.expect(conn.read(), "MGET");
        std::vector<Reply> lives;
        for (std::size_t i = 0; i < found.elements; ++i) lives.push_back(conn.expect(conn.read(), "PTTL"));

        const Timestamp now = SystemClock{}.now();
        events_.clear();
        events_.reserve(found.elements); // the writables point into it
        writables_.clear();
        for (std::size_t i = 0; i < found.elements && i < values->elements; ++i) {
            const redisReply& v = *values->element[i];
            const long long left_ms = lives[i]->integer; // -1: no expiry, -2: gone
            if (v.type != REDIS_REPLY_STRING || left_ms == -2) continue;
            Event& e = events_.emplace_back();
            const std::string_view key = text(*found.element[i]);
            if (codec.decode(text(v), e) != DecodeError::ok || key.substr(keys.table().size()) != e.id) {
                events_.pop_back(); // another service's key, or not the record of its name
                continue;
            }
            const auto left = left_ms < 0 ? ttl : std::min<std::chrono::nanoseconds>(std::chrono::milliseconds{left_ms}, ttl);
            if (left <= std::chrono::nanoseconds::zero()) {
                events_.pop_back();
                continue;
            }
            writables_.push_back({&e, std::chrono::ceil<std::chrono::seconds>(left).count(), micros(now - (ttl - left))});
        }
        if (writables_.empty()) return;
        batch_.build(writables_, codec, keys, index_db, window_width(ttl));
        const auto stamp = link.batches.next(conn, keys.seq(), index_db, events_db);
        batch_.plan(stamp.number, stamp.now, /*index_only=*/true);
        batch_.append_store(conn);
        batch_.stored(batch_.read_store(), conn);
    }

    std::string owner_;
    std::atomic<bool> done_{false};
    std::atomic<std::size_t> scanned_{0};
    std::vector<Event> events_;
    std::vector<Writable> writables_;
    WriteBatch batch_;
};

} // namespace eh::store::detail::redis
