#pragma once
// Reading what Redis and Sentinel answer. A reply may be anything (a misbehaving or hostile
// server): each reader checks types and sizes before use, and says StoreError otherwise.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include "eh/config/address.hpp"
#include "eh/error.hpp"
#include "eh/store/detail/redis/handles.hpp"

namespace eh::store::detail::redis {

/// The number of connected replicas in a ROLE reply; StoreError unless the peer is a master.
inline std::size_t replicas_in_role(const redisReply& role, const std::string& peer) {
    const bool array = role.type == REDIS_REPLY_ARRAY && role.elements >= 1;
    const std::string_view name = array ? text(*role.element[0]) : std::string_view{};
    if (name != "master")
        throw StoreError("redis " + peer + ": ROLE is \"" + std::string(name) + "\", not master (failover in progress?)");
    return role.elements >= 3 && role.element[2]->type == REDIS_REPLY_ARRAY ? role.element[2]->elements : 0;
}

/// The address in a reply to SENTINEL get-master-addr-by-name; StoreError when there is none.
inline config::HostPort parse_master_address(const redisReply& r, const std::string& peer, const std::string& master) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2)
        throw StoreError("redis " + peer + ": does not know master \"" + master + "\"");
    config::HostPort at{std::string(text(*r.element[0]))};
    const std::string_view port = text(*r.element[1]);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), at.port);
    if (at.host.empty() || ec != std::errc{} || end != port.data() + port.size())
        throw StoreError("redis " + peer + ": malformed address for master \"" + master + "\"");
    return at;
}

/// Redis' clock in microseconds from a TIME reply; nullopt when it is not one.
inline std::optional<std::int64_t> time_micros(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2) return std::nullopt;
    std::int64_t parts[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
        const std::string_view digits = text(*r.element[i]);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parts[i]);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || parts[i] < 0) return std::nullopt;
    }
    if (parts[0] > INT64_MAX / 1'000'000 - 1) return std::nullopt;
    return parts[0] * 1'000'000 + parts[1];
}

/// A posting found by the index scan: the batch list's number (16 digits) and the event's
/// place in that list (0-based).
using Hit = std::pair<std::string, long long>;

/// The reply of the index scan script (user_lookup.hpp): where to resume, and the postings.
struct ScanReply {
    std::size_t list = 0, offset = 0;
    std::vector<Hit> hits;
};
inline ScanReply scan_reply(const redisReply& r, const std::string& peer) {
    auto bad = [&] { return StoreError("redis " + peer + ": unexpected reply of the index scan"); };
    if (r.type != REDIS_REPLY_ARRAY || r.elements < 2 || r.elements % 2 != 0) throw bad();
    for (std::size_t i = 0; i < r.elements; ++i)
        if (r.element[i]->type != (i % 2 == 0 && i > 0 ? REDIS_REPLY_STRING : REDIS_REPLY_INTEGER)) throw bad();
    if (r.element[0]->integer < 0 || r.element[1]->integer < 0) throw bad();
    ScanReply out{static_cast<std::size_t>(r.element[0]->integer), static_cast<std::size_t>(r.element[1]->integer), {}};
    for (std::size_t i = 2; i + 1 < r.elements; i += 2) out.hits.emplace_back(std::string(text(*r.element[i])), r.element[i + 1]->integer);
    return out;
}

} // namespace eh::store::detail::redis
