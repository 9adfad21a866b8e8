#pragma once
// An event as the memory store keeps it: all its strings in one allocation, ~40 bytes of
// header instead of five std::string (160 bytes plus up to five allocations).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "eh/detail/prefetch.hpp"
#include "eh/event.hpp"

namespace eh::store::detail::memory {

class PackedEvent {
public:
    PackedEvent() = default;

    /// Packs e; `at` replaces its timestamp (the store fills in missing ones).
    PackedEvent(const Event& e, Timestamp at) : at_(at) {
        const std::array<std::string_view, fields> parts{e.id, e.type, e.payload, e.traceparent, e.initiatorid};
        std::size_t total = 0;
        for (std::size_t i = 0; i < fields; ++i) total += len_[i] = static_cast<std::uint32_t>(parts[i].size());
        data_ = std::make_unique_for_overwrite<char[]>(total);
        char* out = data_.get();
        for (auto p : parts) out = std::copy(p.begin(), p.end(), out);
    }

    explicit operator bool() const noexcept { return data_ != nullptr; }

    std::string_view id() const noexcept { return field(0); }
    std::string_view type() const noexcept { return field(1); }
    std::string_view payload() const noexcept { return field(2); }
    Timestamp timestamp() const noexcept { return at_; }
    /// Bytes of text held (what the store's byte bound counts).
    std::size_t bytes() const noexcept { return offset(fields); }
    /// Starts loading all of its text into the cache (before to_event() or a payload check).
    void prefetch() const noexcept { eh::detail::prefetch_bytes(data_.get(), bytes()); }

    Event to_event() const {
        return Event{.id = std::string(field(0)), .type = std::string(field(1)), .payload = std::string(field(2)),
                     .timestamp = at_, .traceparent = std::string(field(3)), .initiatorid = std::string(field(4))};
    }

private:
    static constexpr std::size_t fields = 5; // id, type, payload, traceparent, initiatorid

    std::size_t offset(std::size_t i) const noexcept {
        std::size_t o = 0;
        for (std::size_t k = 0; k < i; ++k) o += len_[k];
        return o;
    }
    std::string_view field(std::size_t i) const noexcept { return {data_.get() + offset(i), len_[i]}; }

    std::unique_ptr<char[]> data_;
    std::array<std::uint32_t, fields> len_{};
    Timestamp at_{};
};

} // namespace eh::store::detail::memory
