#pragma once
// Store `noop`: accepts every batch, keeps nothing, finds nothing, never fails.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eh/event.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/settings.hpp"

namespace eh::store {

struct NoopStore {
    static constexpr std::string_view name = "noop";
    static constexpr bool shared = false;   ///< it holds nothing
    static constexpr bool in_memory = true; ///< see eh::in_memory()
    static NoopStore make(const StoreSettings&) { return {}; }

    template <class Codec>
    PutStats put(std::span<const Event>, const Codec&) const noexcept {
        return {};
    }
    template <class Codec>
    std::vector<Event> get(std::span<const std::string>, const Codec&) const {
        return {};
    }
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view, const Codec&) const {
        return {};
    }
    std::size_t size() const noexcept { return 0; }
};

} // namespace eh::store
