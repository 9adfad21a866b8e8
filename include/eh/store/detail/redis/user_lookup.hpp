#pragma once
// GetEventsForUser as one EVAL: the candidates are the events under the user id's rarest
// index token (see eh/index/tokens.hpp for why that is a superset of the answer); their
// records come back with their timestamps, and the caller keeps those that hold the id.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "eh/index/tokens.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/keys.hpp"

namespace eh::store::detail::redis {

// ARGV: table, index db, events db, cutoff (µs), all key, saturated key, then the index keys
// of the id's tokens. Candidates: the shortest list among the tokens that are not saturated,
// or all events when every one is (see write_batch.hpp).
// Returns value, score, value, score, ...: the live candidates whose record still exists.
inline constexpr std::string_view user_lookup_script = R"lua(#!lua flags=no-writes
local tbl, live = ARGV[1], '(' .. ARGV[4]
redis.call('SELECT', ARGV[2])
local saturated = {}
for _, key in ipairs(redis.call('SMEMBERS', ARGV[6])) do saturated[key] = true end
local best, fewest = ARGV[5], -1
for i = 7, #ARGV do
  if not saturated[ARGV[i]] then
    local count = redis.call('ZCOUNT', ARGV[i], live, '+inf')
    if fewest < 0 or count < fewest then best, fewest = ARGV[i], count end
  end
end
if fewest == 0 then return {} end
local hits = redis.call('ZRANGEBYSCORE', best, live, '+inf', 'WITHSCORES')
redis.call('SELECT', ARGV[3])
local out = {}
for i = 1, #hits, 2000 do -- MGET 1000 at a time: unpack() has a stack limit
  local names = {}
  for j = i, math.min(i + 1998, #hits - 1), 2 do names[#names + 1] = tbl .. hits[j] end
  local values = redis.call('MGET', unpack(names))
  for k = 1, #values do
    if values[k] then
      out[#out + 1] = values[k]
      out[#out + 1] = hits[i + 2 * k - 1]
    end
  end
end
return out
)lua";

/// Builds the EVAL of user_lookup_script for user (not empty).
inline void build_user_lookup(Command& cmd, std::string_view user, const IndexKeys& keys, int index_db,
                              std::int64_t cutoff) {
    cmd.clear();
    cmd.add("EVAL").add(user_lookup_script).add(0).add(keys.table()).add(index_db).add(events_db).add(cutoff);
    cmd.add(keys.all()).add(keys.saturated());
    std::vector<index::Token> runs;
    index::tokenize(user, runs); // none for an id of punctuation only: all events are candidates
    for (auto t : runs) cmd.add(keys.token(t));
}

} // namespace eh::store::detail::redis
