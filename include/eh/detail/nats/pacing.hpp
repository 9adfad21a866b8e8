#pragma once
// How often to retry and how often to say so: exponential backoff for reconnects and
// JetStream setup, and (eh/detail/throttle.hpp) a throttle so a long outage logs a line every
// few seconds, not a flood.
#include <algorithm>
#include <chrono>
#include <random>

#include "eh/detail/throttle.hpp"

namespace eh::detail::nats {

/// first, 2*first, 4*first, ... capped, each with up to 20% jitter so that many instances
/// restarted together do not retry in lockstep.
class Backoff {
public:
    using milliseconds = std::chrono::milliseconds;

    Backoff(milliseconds first, milliseconds cap) : first_(first), cap_(std::max(first, cap)) {}

    /// The delay before attempt n (1-based), without state: usable from cnats callbacks.
    milliseconds delay(int attempt) const {
        const int doublings = std::clamp(attempt - 1, 0, 20); // 2^20 * first exceeds any sane cap
        const auto base = std::min<long long>(first_.count() << doublings, cap_.count());
        thread_local std::minstd_rand rng{std::random_device{}()};
        return milliseconds{base - static_cast<long long>(std::uniform_int_distribution<long long>(0, base / 5)(rng))};
    }
    milliseconds next() { return delay(++attempts_); }
    void reset() noexcept { attempts_ = 0; }

private:
    milliseconds first_, cap_;
    int attempts_ = 0;
};

} // namespace eh::detail::nats
