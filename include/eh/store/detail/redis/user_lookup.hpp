#pragma once
// GetEventsForUser as one EVAL: the candidates are the events under one index token of the
// user id (see eh/index/tokens.hpp for why that is a superset of the answer); their records
// come back with their timestamps, and the caller keeps those that hold the id.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "eh/index/tokens.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/keys.hpp"
#include "eh/store/detail/redis/postings.hpp"

namespace eh::store::detail::redis {

// ARGV: table, index db, events db, windows key, batch list prefix, its SCAN pattern, then
// per word run of the id, longest first: its partition's lists' prefix and its tag
// (postings.hpp). Candidates: the postings of the longest run, unless it is a common one (a
// domain, say): then the fewest of any run's. An id without word characters has no run: then
// every event the index knows is a candidate (the batch lists, found by SCAN).
// Returns value, timestamp, value, timestamp, ...: each candidate whose record still exists,
// once.
inline constexpr std::string_view user_lookup_script = R"lua(#!lua flags=no-writes
local tbl, batch = ARGV[1], ARGV[5]
local few = 256 -- candidates cheap enough to check: no need to look for fewer
redis.call('SELECT', ARGV[2])
local windows = redis.call('ZRANGEBYSCORE', ARGV[4], '(' .. redis.call('TIME')[1], '+inf')
-- {batch number, event number, ...} of the postings with tag in the lists of prefix: all of
-- them, or the first `enough` when there are that many.
local function postings(prefix, tag, enough)
  local hits = {}
  for _, window in ipairs(windows) do
    for _, blob in ipairs(redis.call('LRANGE', prefix .. window, 0, -1)) do
      local number, at = string.sub(blob, 1, 16), string.find(blob, tag, 17, true)
      while at do
        if (at - 17) % 6 == 0 then
          hits[#hits + 1] = number
          hits[#hits + 1] = string.byte(blob, at + 4) * 256 + string.byte(blob, at + 5) - 1
          if #hits >= enough then return hits end
          at = string.find(blob, tag, at + 6, true)
        else
          at = string.find(blob, tag, at + 1, true) -- inside another posting
        end
      end
    end
  end
  return hits
end
local entries = {} -- timestamp .. id of each candidate
if #ARGV > 6 then
  local best
  for r = 7, #ARGV, 2 do
    local hits = postings(ARGV[r], ARGV[r + 1], best and #best or math.huge)
    if not best or #hits < #best then best = hits end
    if #best <= 2 * few then break end
  end
  for h = 1, #best, 2 do entries[#entries + 1] = redis.call('LINDEX', batch .. best[h], best[h + 1]) end
else
  local cursor = '0'
  repeat
    local page = redis.call('SCAN', cursor, 'MATCH', ARGV[6], 'COUNT', 1000)
    cursor = page[1]
    for _, key in ipairs(page[2]) do
      if string.find(key, '^%d+$', #batch + 1) then
        for _, e in ipairs(redis.call('LRANGE', key, 0, -1)) do entries[#entries + 1] = e end
      end
    end
  until cursor == '0'
end
-- Once per id: an id stored again after its record expired is in two batches (with the
-- latest timestamp, as fixed-width digits compare).
local at, names, times = {}, {}, {}
for _, e in ipairs(entries) do
  if e and #e > 16 then
    local name, time = tbl .. string.sub(e, 17), string.sub(e, 1, 16)
    if not at[name] then
      names[#names + 1] = name
      at[name] = #names
    end
    if not times[at[name]] or time > times[at[name]] then times[at[name]] = time end
  end
end
redis.call('SELECT', ARGV[3])
local out = {}
for i = 1, #names, 1000 do -- unpack() has a stack limit
  local values = redis.call('MGET', unpack(names, i, math.min(i + 999, #names)))
  for k = 1, #values do
    if values[k] then
      out[#out + 1] = values[k]
      out[#out + 1] = times[i + k - 1]
    end
  end
end
return out
)lua";

/// Builds the EVAL of user_lookup_script for user (not empty).
inline void build_user_lookup(Command& cmd, std::string_view user, const IndexKeys& keys, int index_db) {
    cmd.clear();
    cmd.add("EVAL").add(user_lookup_script).add(0).add(keys.table()).add(index_db).add(events_db).add(keys.windows());
    cmd.add(keys.batch()).add(keys.batch_pattern());
    std::vector<std::pair<std::ptrdiff_t, index::Token>> runs; // minus the length: longest first
    index::for_each_word_run(user,
                             [&](std::string_view run) { runs.emplace_back(-std::ssize(run), index::token_hash(run)); });
    std::sort(runs.begin(), runs.end());
    runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
    for (const auto& [length, token] : runs)
        cmd.add(keys.partition(partition_of(token))).add_written([&](std::string& out) { append_tag(out, token); });
}

} // namespace eh::store::detail::redis
