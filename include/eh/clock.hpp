#pragma once
#include "eh/event.hpp"

namespace eh {

/// The wall clock. Stores take a Clock policy so tests can use eh::testing::ManualClock.
struct SystemClock {
    Timestamp now() const noexcept {
        return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    }
};

} // namespace eh
