#pragma once
// How long an event lives in a store: the one rule every store follows.
//   - Its life starts at its own timestamp; at the write when it has none (zero), or when it
//     lies in the future (an event dated 2200 would otherwise never expire).
//   - It ends TTL later; the sum saturates instead of overflowing (a TTL of a million years).
//   - An event whose life has ended when it arrives is not stored (counted as expired).
#include <chrono>
#include <optional>

#include "eh/event.hpp"

namespace eh::store {

struct Lifetime {
    Timestamp start; ///< what the store keeps as the event's timestamp
    Timestamp end;   ///< when it stops being visible
};

/// t + d, at most Timestamp::max() (d >= 0).
constexpr Timestamp saturating_add(Timestamp t, std::chrono::nanoseconds d) noexcept {
    return t > Timestamp::max() - d ? Timestamp::max() : t + d; // max - d cannot overflow: d >= 0
}

/// The event's life as of now (the write); nullopt when it has already ended.
constexpr std::optional<Lifetime> lifetime(Timestamp timestamp, Timestamp now, std::chrono::nanoseconds ttl) noexcept {
    const Timestamp start = timestamp == Timestamp{} || timestamp > now ? now : timestamp;
    const Timestamp end = saturating_add(start, ttl);
    if (end <= now) return std::nullopt;
    return Lifetime{start, end};
}

/// Whether an event that started at `start` is still visible at now.
constexpr bool alive(Timestamp start, Timestamp now, std::chrono::nanoseconds ttl) noexcept {
    return saturating_add(start, ttl) > now;
}

} // namespace eh::store
