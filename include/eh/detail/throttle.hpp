#pragma once
// Saying things at a bounded rate: a long outage or a flood of bad messages logs a few lines,
// not one per event.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <limits>

namespace eh::detail {

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

/// Up to `burst` lines per period, then silence until the next period; counts what it
/// silenced, for the next line to say. For one thread (the ingest loop).
class LogLimit {
public:
    using clock = std::chrono::steady_clock;

    LogLimit(std::size_t burst, clock::duration period) : burst_(burst), period_(period) {}

    /// Whether to log one more line now; suppressed is set to how many were silenced before it.
    bool allow(std::size_t& suppressed, clock::time_point now = clock::now()) noexcept {
        if (now - started_ >= period_) {
            started_ = now;
            used_ = 0;
        }
        if (used_ == burst_) {
            ++silenced_;
            return false;
        }
        ++used_;
        suppressed = silenced_;
        silenced_ = 0;
        return true;
    }

private:
    std::size_t burst_;
    clock::duration period_;
    clock::time_point started_{};
    std::size_t used_ = 0, silenced_ = 0;
};

} // namespace eh::detail
