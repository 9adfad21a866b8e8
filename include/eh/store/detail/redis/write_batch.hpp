#pragma once
// A batch of events as one EVAL: the records and their index entries in one round trip,
// atomically. Each event is written with SET NX EX, and only the events that SET stored are
// added to the index, so a redelivered id counts as a duplicate and adds no index entry,
// whatever happened before (a NAKed batch, ocis writing the same id, a batch repeated twice).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include "eh/event.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/keys.hpp"

namespace eh::store::detail::redis {

// Saturation: a token in more events than max(token cap, a quarter of all events) helps no
// lookup (the list of all events is at most four times longer), yet costs a posting per
// event. Its key is deleted and named in the saturated set; from then on no write adds to it
// and no lookup uses it. That keeps the answer exact: a lookup uses only complete lists, and
// falls back to the list of all events when every token of the user id is saturated.
//
// ARGV: table, index db, cutoff (µs; index members at or below it have expired), seq key,
//       all key, saturated key, token cap, n, then n times: id, value, EX seconds, score (µs),
//       then per token: its key, a count, and that many event numbers (1-based).
// Returns {stored, the numbers (1-based) of the tokens that are saturated}. The INCR of the
// seq key makes every batch replicate something, so that a WAIT after a batch of duplicates
// still waits for their first write. "#!lua": out of memory, Redis refuses the whole script
// up front, never halfway.
inline constexpr std::string_view write_batch_script = R"lua(#!lua
local tbl, cutoff, all_key, saturated_key = ARGV[1], ARGV[3], ARGV[5], ARGV[6]
local n = tonumber(ARGV[8])
local fresh, all, stored = {}, {}, 0
for i = 1, n do
  local a = 9 + (i - 1) * 4
  if redis.call('SET', tbl .. ARGV[a], ARGV[a + 1], 'NX', 'EX', ARGV[a + 2]) then
    fresh[i] = a
    all[#all + 1] = a
  end
end
redis.call('SELECT', ARGV[2])
-- Adds the events at ARGV positions to key; true when key existed before.
local function index(key, positions)
  local ttl, members, ex = redis.call('TTL', key), {}, 0
  for k, a in ipairs(positions) do
    members[#members + 1] = ARGV[a + 3]
    members[#members + 1] = ARGV[a]
    ex = math.max(ex, tonumber(ARGV[a + 2]))
    if #members >= 2000 or k == #positions then -- unpack() has a stack limit
      redis.call('ZADD', key, unpack(members))
      members = {}
    end
  end
  if ttl < ex then redis.call('EXPIRE', key, ex) end
  if ttl == -2 then return false end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
  return true
end
if #all > 0 then index(all_key, all) end
local cap = math.max(tonumber(ARGV[7]), redis.call('ZCARD', all_key) / 4)
local saturated, named = {}, {}
for _, key in ipairs(redis.call('SMEMBERS', saturated_key)) do saturated[key] = true end
local g, token = 9 + n * 4, 0
while g <= #ARGV do
  local key, last = ARGV[g], g + 1 + tonumber(ARGV[g + 1])
  token = token + 1
  if saturated[key] then
    named[#named + 1] = token
  else
    local positions = {}
    for j = g + 2, last do positions[#positions + 1] = fresh[tonumber(ARGV[j])] end
    if #positions > 0 and index(key, positions) and redis.call('ZCARD', key) > cap then
      redis.call('SADD', saturated_key, key)
      redis.call('DEL', key)
      named[#named + 1] = token
    end
  end
  g = last + 1
end
redis.call('INCR', ARGV[4])
return {#all, unpack(named)}
)lua";

inline std::int64_t micros(Timestamp t) noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

/// An event to write, with what Redis needs of its lifetime.
struct Writable {
    const Event* event;
    std::int64_t ex;    ///< EX: whole seconds left, rounded up
    std::int64_t score; ///< the event's timestamp in µs (the record itself has none)
};

/// The event's remaining life at now, the TTL counted from its own timestamp (or from now
/// when it has none); nullopt when it has already expired.
inline std::optional<Writable> writable(const Event& e, Timestamp now, std::chrono::nanoseconds ttl) {
    const Timestamp at = e.timestamp == Timestamp{} ? now : e.timestamp;
    const auto left = std::min(at + ttl - now, ttl); // a timestamp in the future lives ttl, not longer
    if (left <= std::chrono::nanoseconds::zero()) return std::nullopt;
    return Writable{&e, std::chrono::ceil<std::chrono::seconds>(left).count(), micros(at)};
}

/// The EVAL of write_batch_script for one batch, and what is needed to read its reply.
class WriteBatch {
public:
    /// Builds the EVAL; tokens known to be saturated (known_saturated(token)) are left out.
    template <class Codec, class KnownSaturated>
    const Command& build(std::span<const Writable> events, const Codec& codec, const IndexKeys& keys, int index_db,
                         std::int64_t cutoff, std::size_t token_cap, KnownSaturated&& known_saturated) {
        command_.clear();
        command_.add("EVAL").add(write_batch_script).add(0);
        command_.add(keys.table()).add(index_db).add(cutoff).add(keys.seq()).add(keys.all()).add(keys.saturated());
        command_.add(token_cap).add(events.size());
        postings_.clear();
        for (std::uint32_t i = 0; i < events.size(); ++i) {
            const Event& e = *events[i].event;
            command_.add(e.id).add_written([&](std::string& out) { codec.encode(e, out); });
            command_.add(events[i].ex).add(events[i].score);
            distinct_.clear();
            index::tokenize(e.payload, distinct_);
            for (auto t : distinct_)
                if (!known_saturated(t)) postings_.emplace_back(t, i + 1);
        }
        std::sort(postings_.begin(), postings_.end());
        tokens_.clear();
        for (std::size_t g = 0; g < postings_.size();) {
            std::size_t end = g;
            while (end < postings_.size() && postings_[end].first == postings_[g].first) ++end;
            tokens_.push_back(postings_[g].first);
            command_.add(keys.token(postings_[g].first)).add(end - g);
            for (; g < end; ++g) command_.add(postings_[g].second);
        }
        return command_;
    }

    /// How many events the batch stored, from the script's reply; calls saturated(token)
    /// for each token the reply names. nullopt when the reply is not the script's.
    template <class Saturated>
    std::optional<std::size_t> read(const redisReply& reply, Saturated&& saturated) const {
        if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0) return std::nullopt;
        for (std::size_t i = 0; i < reply.elements; ++i) {
            const long long n = reply.element[i]->integer;
            if (reply.element[i]->type != REDIS_REPLY_INTEGER || n < 0 || (i > 0 && (n < 1 || n > std::ssize(tokens_))))
                return std::nullopt;
            if (i > 0) saturated(tokens_[static_cast<std::size_t>(n) - 1]);
        }
        return static_cast<std::size_t>(reply.element[0]->integer);
    }

private:
    Command command_;
    std::vector<std::pair<index::Token, std::uint32_t>> postings_; // token, event number
    std::vector<index::Token> distinct_;                           // one event's tokens
    std::vector<index::Token> tokens_;                             // the tokens sent, in order
};

/// The tokens this store knows to be saturated, left out of its later batches. Saturation is
/// permanent, so this never goes stale; a token is added only once its batch was acked (then
/// the replicas know it too, and a failover cannot forget it).
class KnownSaturated {
public:
    bool operator()(index::Token t) const {
        std::shared_lock lock(mutex_);
        return tokens_.contains(t);
    }
    void add(std::span<const index::Token> tokens) {
        std::unique_lock lock(mutex_);
        tokens_.insert(tokens.begin(), tokens.end());
    }

private:
    mutable std::shared_mutex mutex_;
    std::unordered_set<index::Token> tokens_;
};

} // namespace eh::store::detail::redis
