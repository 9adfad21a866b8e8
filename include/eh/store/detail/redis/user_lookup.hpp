#pragma once
// GetEventsForUser in steps that each do bounded work in Redis (a script there blocks every
// other client of a master that ocis shares with its other services):
//   1. the windows still alive (ZRANGEBYSCORE);
//   2. the postings of a word run of the user id: its partition's lists scanned for its tag
//      by a read-only script, a bounded number of blobs per call, resumed where it stopped
//      (scan_script below); a run is scanned until it has `enough` hits;
//   3. each hit's entry in its batch list (LINDEX, pipelined a chunk at a time);
//   4. the records (MGET, a chunk at a time), which the caller checks literally.
// The candidates are the postings of the user id's longest word run, unless it is a common
// one (a domain, say): then the fewest of any run's; more than max_candidates: AnswerTooLarge
// (eh/index/tokens.hpp says why any one run's events are a superset of the answer).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eh/detail/chunks.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/connection.hpp"
#include "eh/store/detail/redis/keys.hpp"
#include "eh/store/detail/redis/postings.hpp"
#include "eh/store/detail/redis/replies.hpp"

namespace eh::store::detail::redis {

// ARGV: index db, tag, blob budget, hits wanted, list to start at (1-based), blob offset in it
// (0-based), then the lists. Returns the list and offset to resume at (the list past the last
// one: done), then batch number, event number, ... of each posting with tag.
inline constexpr std::string_view scan_script = R"lua(#!lua flags=no-writes
redis.call('SELECT', ARGV[1])
local tag, budget, enough = ARGV[2], tonumber(ARGV[3]), 2 * tonumber(ARGV[4])
local list, offset, lists = tonumber(ARGV[5]), tonumber(ARGV[6]), #ARGV - 6
local out = {0, 0}
while list <= lists and budget > 0 and #out - 2 < enough do
  local blobs = redis.call('LRANGE', ARGV[6 + list], offset, offset + budget - 1)
  for _, blob in ipairs(blobs) do
    local number, at = string.sub(blob, 1, 16), string.find(blob, tag, 17, true)
    while at do
      if (at - 17) % 6 == 0 then
        out[#out + 1] = number
        out[#out + 1] = string.byte(blob, at + 4) * 256 + string.byte(blob, at + 5) - 1
        at = string.find(blob, tag, at + 6, true)
      else
        at = string.find(blob, tag, at + 1, true) -- inside another posting
      end
    end
  end
  budget = budget - #blobs
  if #blobs < budget + #blobs then
    list, offset = list + 1, 0
  else
    offset = offset + #blobs
  end
end
out[1], out[2] = list, offset
return out
)lua";


/// The user id's distinct word runs' tokens, longest run first.
inline std::vector<index::Token> runs_of(std::string_view user) {
    std::vector<std::pair<std::ptrdiff_t, index::Token>> runs; // minus the length: longest first
    index::for_each_word_run(user,
                             [&](std::string_view run) { runs.emplace_back(-std::ssize(run), index::token_hash(run)); });
    std::sort(runs.begin(), runs.end());
    runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
    std::vector<index::Token> out;
    for (const auto& [length, token] : runs) out.push_back(token);
    return out;
}

/// The ends of the index windows still alive (their lists exist).
inline std::vector<std::string> live_windows(Connection& conn, const IndexKeys& keys, int index_db) {
    conn.append(Command("SELECT", index_db));
    conn.append(Command("TIME"));
    Reply replies[2];
    for (auto& r : replies) r = conn.expect(conn.read(), "reading the index windows");
    const auto now = time_micros(*replies[1]);
    if (!now) throw StoreError("redis " + conn.peer() + ": unexpected reply to TIME");
    Reply windows = conn.call(Command("ZRANGEBYSCORE", keys.windows(), "(" + std::to_string(*now / 1'000'000), "+inf"),
                              "reading the index windows");
    conn.call(Command("SELECT", events_db), "SELECT");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < windows->elements; ++i) out.emplace_back(text(*windows->element[i]));
    return out;
}

/// The postings of token in the windows' lists, up to `enough` of them (more may follow).
inline std::vector<Hit> postings_of(Connection& conn, const IndexKeys& keys, int index_db,
                                    const std::vector<std::string>& windows, index::Token token, std::size_t enough,
                                    std::size_t blobs_per_call) {
    std::vector<Hit> hits;
    Command scan;
    for (std::size_t list = 1, offset = 0; list <= windows.size() && hits.size() < enough;) {
        scan.clear();
        scan.add("EVAL").add(scan_script).add(0).add(index_db);
        scan.add_written([&](std::string& out) { append_tag(out, token); });
        scan.add(blobs_per_call).add(enough - hits.size()).add(list).add(offset);
        for (const auto& w : windows) scan.add_written([&](std::string& out) { out.append(keys.partition(partition_of(token))).append(w); });
        ScanReply r = scan_reply(*conn.call(scan, "scanning the user index"), conn.peer());
        if (r.list < list || (r.list == list && r.offset <= offset && r.hits.empty()))
            throw StoreError("redis " + conn.peer() + ": the index scan did not move on"); // never loop for ever
        list = r.list;
        offset = r.offset;
        hits.insert(hits.end(), std::make_move_iterator(r.hits.begin()), std::make_move_iterator(r.hits.end()));
    }
    return hits;
}

/// The fewest postings of any run of the user id, looking at the longest run first and at
/// more only while the fewest are many; nullopt when every run has more than `most`.
inline std::optional<std::vector<Hit>> candidate_postings(Connection& conn, const IndexKeys& keys, int index_db,
                                                          std::string_view user, std::size_t most,
                                                          std::size_t blobs_per_call) {
    constexpr std::size_t few = 256; // candidates cheap enough to check: no need to look for fewer
    const auto windows = live_windows(conn, keys, index_db);
    std::optional<std::vector<Hit>> best;
    for (const index::Token token : runs_of(user)) {
        const std::size_t enough = best ? best->size() : most + 1;
        auto hits = postings_of(conn, keys, index_db, windows, token, enough, blobs_per_call);
        if (hits.size() <= most && (!best || hits.size() < best->size())) best = std::move(hits);
        if (best && best->size() <= 2 * few) break;
    }
    return best;
}

/// The entries (timestamp and id: keys.hpp) the hits name, a chunk of LINDEX at a
/// time; those of emptied places (an event another writer stored) are left out.
inline std::vector<std::string> entries_of(Connection& conn, const IndexKeys& keys, int index_db,
                                           const std::vector<Hit>& hits, std::size_t chunk) {
    std::vector<std::string> out;
    conn.call(Command("SELECT", index_db), "SELECT");
    for (const auto part : eh::detail::chunks(std::span(hits), chunk)) {
        for (const auto& [batch, place] : part) conn.append(Command("LINDEX", keys.batch() + batch, place));
        std::vector<Reply> replies;
        for (std::size_t i = 0; i < part.size(); ++i) replies.push_back(conn.read());
        for (auto& r : replies) {
            r = conn.expect(std::move(r), "reading the index's batch lists");
            if (r->type == REDIS_REPLY_STRING && r->len > time_digits) out.emplace_back(text(*r));
        }
    }
    conn.call(Command("SELECT", events_db), "SELECT");
    return out;
}

/// The entries once per id, with the latest timestamp (an id stored again after its record
/// expired is in two batches), as (timestamp digits, record key).
inline std::vector<std::pair<std::string, std::string>> latest_per_id(std::vector<std::string> entries,
                                                                      std::string_view table) {
    // By id, then latest first.
    std::sort(entries.begin(), entries.end(), [](const std::string& a, const std::string& b) {
        const std::string_view ia = std::string_view(a).substr(time_digits), ib = std::string_view(b).substr(time_digits);
        return ia != ib ? ia < ib : a > b;
    });
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string_view id = std::string_view(entries[i]).substr(time_digits);
        if (i > 0 && std::string_view(entries[i - 1]).substr(time_digits) == id) continue;
        out.emplace_back(entries[i].substr(0, time_digits), std::string(table) + std::string(id));
    }
    return out;
}

} // namespace eh::store::detail::redis
