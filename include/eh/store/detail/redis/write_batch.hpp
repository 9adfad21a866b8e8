#pragma once
// A batch of events in one round trip, without Lua: one transaction (MULTI/EXEC) of the
// batch's index entries and `SET key value NX EX` for each event. A record that exists
// already (a redelivered id: a NAKed batch, a batch repeated twice; or one another writer
// stored, a second instance or ocis) is not overwritten, and its SET NX says so: the batch
// then takes that event's entries out of the index again (repair(), a second round trip
// only then). So a duplicate counts as one and each id stays indexed once. Checking first
// which records exist cost a round trip per batch for what is rare; a Lua script did it all
// in one, but copying a batch into Lua cost Redis three times what its SETs cost; WATCH of
// the records' keys costs Redis time quadratic in the batch size, and WATCH of one key
// shared by all writers made concurrent writers fail one another.
//
// The index costs a few commands per batch, not per event: the batch's postings go into one
// blob per partition (postings.hpp), appended to the partition's list, and the batch's ids
// into one list of its own. Nothing is ever trimmed: the lists are per window of expiry times
// (keys.hpp), so a blob lives at most one window width longer than its events, and each list
// expires whole. The lists' names hold the batch's number and window (batch_clock.hpp).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <hiredis/hiredis.h>

#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/connection.hpp"
#include "eh/store/detail/redis/keys.hpp"
#include "eh/store/detail/redis/postings.hpp"
#include "eh/store/detail/redis/transaction.hpp"
#include "eh/store/lifetime.hpp"

namespace eh::store::detail::redis {

inline std::int64_t micros(Timestamp t) noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

/// An event to write, with what Redis needs of its lifetime.
struct Writable {
    const Event* event;
    std::int64_t ex;    ///< EX: whole seconds left, rounded up
    std::int64_t score; ///< the event's timestamp in µs (the record itself has none)
};

/// The event's remaining life at now (eh/store/lifetime.hpp); nullopt when it has ended.
inline std::optional<Writable> writable(const Event& e, Timestamp now, std::chrono::nanoseconds ttl) {
    const auto life = lifetime(e.timestamp, now, ttl);
    if (!life) return std::nullopt;
    return Writable{&e, std::chrono::ceil<std::chrono::seconds>(life->end - now).count(), micros(life->start)};
}

/// How far apart the windows' ends lie: a sixteenth of the TTL, so that the index holds at
/// most that much more than the live events' postings, in about 17 lists per partition.
inline std::int64_t window_width(std::chrono::nanoseconds ttl) {
    return std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(ttl).count() / 16);
}

/// The writes of one batch: built once, then checked and stored on a connection (on another
/// one again, should the first turn out closed).
class WriteBatch {
public:
    /// Builds the batch's commands for at most max_events_per_batch events.
    template <class Codec>
    void build(std::span<const Writable> events, const Codec& codec, const IndexKeys& keys, int index_db,
               std::int64_t window_width) {
        keys_ = &keys;
        index_db_ = index_db;
        window_width_ = window_width;
        events_ = events;
        if (sets_.size() < events.size()) sets_.resize(events.size());
        tokens_.clear();
        token_ends_.clear();
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& e = *events[i].event;
            Command& set = sets_[i];
            set.clear();
            set.add("SET").add_written([&](std::string& out) { out.append(keys.table()).append(e.id); });
            set.add_written([&](std::string& out) { codec.encode(e, out); }).add("NX").add("EX").add(events[i].ex);
            index::tokenize(e.payload, tokens_);
            token_ends_.push_back(tokens_.size());
        }
    }

    /// Names the batch (its number, and Redis' clock in seconds: batch_clock.hpp) and takes
    /// the first copy of each id as the one to store; whether its record exists already, the
    /// SET NX tells. index_only: the records exist (backfill.hpp): only their index entries
    /// are written.
    void plan(std::int64_t number, std::int64_t now, bool index_only = false) {
        index_only_ = index_only;
        repaired_ = false;
        number_.clear();
        append_time(number_, number);
        now_ = now;
        fresh_.assign(events_.size(), true);
        std::unordered_set<std::string_view> ids; // a second copy of an id in the batch is a duplicate
        for (std::size_t i = 0; i < events_.size(); ++i)
            if (!ids.insert(events_[i].event->id).second) fresh_[i] = false;
        fresh_count_ = static_cast<std::size_t>(std::count(fresh_.begin(), fresh_.end(), true));
    }

    /// Queues the transaction; read_store() takes its replies.
    void append_store(Connection& conn) {
        store_.reset();
        if (fresh_count_ == 0) return;
        std::int64_t ex = 0; // the longest EX among the fresh events
        batch_.clear();
        batch_.add("RPUSH").add(keys_->batch() + number_);
        for (std::size_t i = 0; i < events_.size(); ++i) {
            if (!fresh_[i]) continue;
            ex = std::max(ex, events_[i].ex);
            batch_.add_written([&](std::string& out) {
                append_time(out, events_[i].score);
                out.append(events_[i].event->id);
            });
        }
        assemble(fresh_);
        // +1: the clock's seconds are rounded down, and the SETs count EX from the exact time.
        window_ = (now_ + 1 + ex + window_width_ - 1) / window_width_ * window_width_;
        Transaction& tx = store_.emplace(conn);
        tx.queue(Command("SELECT", index_db_));
        tx.queue(batch_);
        tx.queue(Command("EXPIRE", keys_->batch() + number_, ex));
        tx.queue(Command("ZADD", keys_->windows(), window_, window_));
        tx.queue(Command("ZREMRANGEBYSCORE", keys_->windows(), "-inf", now_));
        for (std::size_t k = 0; k < partitions; ++k) {
            if (blobs_[k].empty()) continue;
            tx.queue(Command("RPUSH", list(k), blobs_[k]));
            tx.queue(Command("EXPIREAT", list(k), window_));
        }
        tx.queue(Command("SELECT", events_db));
        if (!index_only_) // the SETs last: stored() reads their replies from the end
            for (std::size_t i = 0; i < events_.size(); ++i)
                if (fresh_[i]) tx.queue(sets_[i]);
        tx.exec();
    }

    /// Reads the replies of append_store(); stored() judges what it returns.
    Reply read_store() const { return store_ ? store_->read() : Reply{}; }

    /// How many events the batch stored, from read_store()'s reply; takes the entries of the
    /// events whose records existed already out of the index again. StoreError when Redis
    /// refused.
    std::size_t stored(Reply reply, Connection& conn) {
        if (!store_) return 0;
        const std::size_t queued = store_->queued();
        reply = conn.expect(std::move(reply), "storing the batch");
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != queued)
            throw StoreError("redis " + conn.peer() + ": unexpected reply to the batch");
        for (std::size_t i = 0; i < queued; ++i) {
            const redisReply& r = *reply->element[i];
            if (r.type == REDIS_REPLY_ERROR)
                throw StoreError("redis " + conn.peer() + ": storing the batch: " + std::string(text(r)));
        }
        if (index_only_) return fresh_count_;
        std::vector<bool> stored = fresh_;
        for (std::size_t i = events_.size(), set = queued; i-- > 0;)
            if (fresh_[i]) stored[i] = reply->element[--set]->type == REDIS_REPLY_STATUS;
        repaired_ = stored != fresh_;
        if (repaired_) repair(stored, conn);
        return static_cast<std::size_t>(std::count(stored.begin(), stored.end(), true));
    }

    /// Whether stored() had to take entries out of the index again: its writes came after the
    /// batch's WAIT, so they need one of their own.
    bool repaired() const noexcept { return repaired_; }

private:
    /// The partitions' blobs of the events in `indexed`, each numbered by its place among the
    /// fresh ones (in the batch list).
    void assemble(const std::vector<bool>& indexed) {
        for (auto& blob : blobs_) blob.clear();
        for (std::size_t i = 0, number = 0; i < events_.size(); ++i) {
            if (!fresh_[i]) continue;
            ++number;
            if (!indexed[i]) continue;
            for (std::size_t t = i == 0 ? 0 : token_ends_[i - 1]; t < token_ends_[i]; ++t) {
                std::string& blob = blobs_[partition_of(tokens_[t])];
                if (blob.empty()) blob = number_;
                append_posting(blob, tokens_[t], static_cast<std::uint16_t>(number));
            }
        }
    }

    /// Replaces the blobs the transaction appended by blobs of the events it stored, and
    /// empties the others' entries in the batch list (so the numbers stay), or drops the list
    /// when it stored none.
    void repair(const std::vector<bool>& stored, Connection& conn) {
        const std::array<std::string, partitions> appended = blobs_;
        assemble(stored);
        Transaction tx(conn);
        tx.queue(Command("SELECT", index_db_));
        for (std::size_t k = 0; k < partitions; ++k) {
            if (appended[k] == blobs_[k]) continue;
            tx.queue(Command("LREM", list(k), -1, appended[k]));
            if (!blobs_[k].empty()) tx.queue(Command("RPUSH", list(k), blobs_[k]));
        }
        if (std::find(stored.begin(), stored.end(), true) == stored.end()) {
            tx.queue(Command("DEL", keys_->batch() + number_)); // a batch of duplicates leaves no list
        } else {
            for (std::size_t i = 0, number = 0; i < events_.size(); ++i) {
                if (!fresh_[i]) continue;
                ++number;
                if (!stored[i]) tx.queue(Command("LSET", keys_->batch() + number_, number - 1, ""));
            }
        }
        tx.queue(Command("SELECT", events_db));
        tx.exec();
        const Reply replies = conn.expect(tx.read(), "taking events another writer stored out of the index");
        for (std::size_t i = 0; i < replies->elements; ++i)
            if (replies->element[i]->type == REDIS_REPLY_ERROR)
                throw StoreError("redis " + conn.peer() + ": taking events another writer stored out of the index: " +
                                 std::string(text(*replies->element[i])));
    }

    const std::string& list(std::size_t k) {
        key_.assign(keys_->partition(k)).append(std::to_string(window_));
        return key_;
    }

    const IndexKeys* keys_ = nullptr;
    int index_db_ = 1;
    std::int64_t window_width_ = 1, now_ = 0, window_ = 0;
    std::span<const Writable> events_;
    std::vector<Command> sets_;             // one per event; reused, with their capacity
    Command batch_;
    std::vector<index::Token> tokens_;      // every event's tokens, one after the other
    std::vector<std::size_t> token_ends_;   // where each event's tokens end in tokens_
    std::vector<bool> fresh_;               // the events to store
    std::size_t fresh_count_ = 0;
    std::string number_, key_;              // the batch's number (16 digits); a list's name
    std::array<std::string, partitions> blobs_; // each partition's blob
    std::optional<Transaction> store_;      // the batch's transaction; read_store() reads its replies, once
    bool repaired_ = false;
    bool index_only_ = false;
};

} // namespace eh::store::detail::redis
