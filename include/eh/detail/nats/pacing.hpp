#pragma once
// How often to retry and how often to say so: exponential backoff for reconnects and
// JetStream setup, and a throttle so a long outage logs a line every few seconds, not a flood.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <random>

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

/// True at most once per period; thread-safe.
class Throttle {
public:
    using clock = std::chrono::steady_clock;

    explicit Throttle(clock::duration period) : period_(period) {}

    bool due(clock::time_point now = clock::now()) noexcept {
        auto last = last_.load(std::memory_order_relaxed);
        if (last != never && now - clock::time_point(clock::duration(last)) < period_) return false;
        return last_.compare_exchange_strong(last, now.time_since_epoch().count(), std::memory_order_relaxed);
    }
    /// The next due() is true again at once (e.g. after a recovery, so a new outage is told).
    void rearm() noexcept { last_.store(never, std::memory_order_relaxed); }

private:
    static constexpr clock::rep never = std::numeric_limits<clock::rep>::min();
    clock::duration period_;
    std::atomic<clock::rep> last_{never};
};

} // namespace eh::detail::nats
