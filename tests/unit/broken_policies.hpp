#pragma once
// Policies that each miss one requirement: the concept checks must reject them, and
// EventHistory must name what is missing (compile_fail_policy.cpp).
#include <chrono>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eh/event.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/settings.hpp"

namespace broken {

struct Transport { // no fetch, no ack/nak/term
    struct message_type {
        std::string_view data() const { return {}; }
    };
};
struct Store { // no find_by_user
    template <class C>
    eh::PutStats put(std::span<const eh::Event>, const C&) {
        return {};
    }
    template <class C>
    std::vector<eh::Event> get(std::span<const std::string>, const C&) const {
        return {};
    }
};
struct ImmovableStore : Store { // everything, but a mutex held by value makes it immovable
    template <class C>
    std::vector<eh::Event> find_by_user(std::string_view, const C&) const {
        return {};
    }
    std::mutex mutex;
};
struct UnlistableStore : ImmovableStore { // named and made, but does not say whether it is shared
    static constexpr std::string_view name = "unlistable";
    static UnlistableStore make(const eh::store::StoreSettings&);
};
struct StoreIgnoringItsSettings : UnlistableStore { // declares settings, but make() does not take them
    using Settings = eh::store::MemorySettings;
    static constexpr bool shared = false;
};
struct Codec { // no decode
    void encode(const eh::Event&, std::string&) const {}
};

} // namespace broken
