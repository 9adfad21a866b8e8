#pragma once
// Progress of a large backlog (e.g. the stream's history on first start), logged at info
// every few seconds: done/total, rate, time left. Small backlogs finish before the first
// line and stay silent; nothing is logged per message.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "eh/log.hpp"


namespace eh::transport::detail {

class BacklogProgress {
public:
    using clock = std::chrono::steady_clock;

    /// A backlog is a lag of at least `large` messages; a lag below that ends it.
    explicit BacklogProgress(std::string what, std::uint64_t large = 10'000,
                             clock::duration every = std::chrono::seconds{5})
        : what_(std::move(what)), large_(large), every_(every) {}

    /// The consumer's lag (messages not yet settled), whenever it is known.
    void lag(std::uint64_t pending, clock::time_point now = clock::now()) {
        if (!active_) {
            if (pending >= large_) begin(pending, now);
            return;
        }
        total_ = done_ + pending;
        if (pending < large_) end(now);
    }

    /// Messages settled for good (acked or terminated).
    void settled(std::uint64_t n, clock::time_point now = clock::now()) {
        if (!active_) return;
        done_ += n;
        if (now - last_report_ >= every_) report(now);
    }

private:
    void begin(std::uint64_t pending, clock::time_point now) {
        active_ = true;
        reported_ = false;
        done_ = 0;
        total_ = pending;
        started_ = last_report_ = now;
    }
    double rate(clock::time_point now) const {
        const double seconds = std::chrono::duration<double>(now - started_).count();
        return seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
    }
    void report(clock::time_point now) {
        const std::uint64_t total = std::max(total_, done_); // new events arrive meanwhile
        const double r = rate(now);
        eh::logger()->info("{}: backlog {}/{} ({:.0f}%), {:.0f} events/s, about {:.0f} s left", what_, done_, total,
                     100.0 * static_cast<double>(done_) / static_cast<double>(total), r,
                     r > 0 ? static_cast<double>(total - done_) / r : 0.0);
        last_report_ = now;
        reported_ = true;
    }
    void end(clock::time_point now) {
        if (reported_)
            eh::logger()->info("{}: backlog caught up: {} events in {:.1f} s ({:.0f} events/s)", what_, done_,
                         std::chrono::duration<double>(now - started_).count(), rate(now));
        active_ = false;
    }

    std::string what_;
    std::uint64_t large_;
    clock::duration every_;
    bool active_ = false, reported_ = false;
    std::uint64_t done_ = 0, total_ = 0;
    clock::time_point started_, last_report_;
};

} // namespace eh::transport::detail
