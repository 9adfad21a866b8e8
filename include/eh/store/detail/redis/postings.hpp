#pragma once
// The bytes of the user index, shared by the C++ that writes them and the Lua that reads them
// (write_batch.hpp, user_lookup.hpp).
//
// A token (eh/index/tokens.hpp) belongs to one of `partitions` partitions by its low bits. A
// batch appends ONE blob to each partition it has tokens in (a list per partition and window,
// keys.hpp):
//   blob     = the batch's number (16 digits: its events are the list keys.batch() + number),
//              then postings, each `posting_size` bytes
//   posting  = the token's high 32 bits (its tag), then the event's number in the batch,
//              1-based, both big-endian
// The partition already fixed the low bits, so 32 more keep a false match as rare as one in
// four billion postings, and a false match only adds a candidate the literal check removes.
// Numbers and times are fixed-width decimal: Lua cuts them with string.sub, and they sort.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

#include "eh/index/tokens.hpp"

namespace eh::store::detail::redis {

/// Part of the layout: changing it makes the lists of existing data unreachable.
inline constexpr std::size_t partitions = 64;
inline constexpr std::size_t posting_size = 6;
inline constexpr std::size_t time_digits = 16;
/// Event numbers are two bytes, so a script writes at most this many events (and at 4096
/// one script blocks Redis for milliseconds, not seconds).
inline constexpr std::size_t max_events_per_batch = 4096;
static_assert(max_events_per_batch <= 0xffff);

constexpr std::size_t partition_of(index::Token t) noexcept { return t % partitions; }

/// The token's high 32 bits, as a posting holds them.
inline void append_tag(std::string& out, index::Token t) {
    const char tag[4] = {char(t >> 56), char(t >> 48), char(t >> 40), char(t >> 32)};
    out.append(tag, sizeof tag);
}

inline void append_posting(std::string& out, index::Token t, std::uint16_t event) {
    const char posting[posting_size] = {char(t >> 56), char(t >> 48), char(t >> 40), char(t >> 32),
                                        char(event >> 8), char(event)};
    out.append(posting, sizeof posting);
}

/// micros as `time_digits` decimal digits, zero-padded (micros >= 0).
inline void append_time(std::string& out, std::int64_t micros) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, micros).ptr;
    out.append(time_digits - std::min<std::size_t>(time_digits, static_cast<std::size_t>(end - digits)), '0');
    out.append(digits, end);
}

} // namespace eh::store::detail::redis
