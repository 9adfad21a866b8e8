#pragma once
#include <cstddef>

namespace eh {

/// What a store did with one batch. A put that returns has accepted the whole batch:
/// every event is either stored, already there (duplicate) or too old to keep (expired).
/// A bounded store may have evicted older events to make room (evicted).
struct PutStats {
    std::size_t stored = 0;
    std::size_t duplicates = 0;
    std::size_t expired = 0;
    std::size_t evicted = 0;

    PutStats& operator+=(const PutStats& o) noexcept {
        stored += o.stored;
        duplicates += o.duplicates;
        expired += o.expired;
        evicted += o.evicted;
        return *this;
    }
};

} // namespace eh
