#pragma once
// A clock that moves only when told: TTL and eviction tests never sleep.
#include <atomic>
#include <chrono>
#include <memory>

#include "eh/event.hpp"

namespace eh::testing {

/// Copies share one time, so a test keeps a copy and advances the store's clock.
class ManualClock {
public:
    explicit ManualClock(Timestamp start = Timestamp{std::chrono::seconds{1'700'000'000}})
        : now_(std::make_shared<std::atomic<Timestamp::rep>>(start.time_since_epoch().count())) {}

    Timestamp now() const noexcept { return Timestamp{Timestamp::duration{now_->load()}}; }
    void set(Timestamp t) noexcept { now_->store(t.time_since_epoch().count()); }
    void advance(std::chrono::nanoseconds d) noexcept { now_->fetch_add(d.count()); }

private:
    std::shared_ptr<std::atomic<Timestamp::rep>> now_;
};

} // namespace eh::testing
