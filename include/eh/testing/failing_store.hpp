#pragma once
// A Store policy wrapper that fails on demand, for tests of what must not be acked.
#include <atomic>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/store/put_stats.hpp"

namespace eh::testing {

template <class Inner>
class FailingStore {
public:
    static constexpr std::string_view name = "failing";

    explicit FailingStore(Inner inner = Inner{}) : inner_(std::move(inner)) {}
    FailingStore(FailingStore&& o) noexcept : inner_(std::move(o.inner_)), failing_(o.failing_.load()) {}

    /// While failing, every put and get throws eh::StoreError and ready() is false.
    void fail(bool on = true) noexcept { failing_ = on; }
    bool ready() const noexcept { return !failing_; }

    template <class Codec>
    PutStats put(std::span<const Event> batch, const Codec& codec) {
        check();
        return inner_.put(batch, codec);
    }
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec& codec) const {
        check();
        return inner_.get(ids, codec);
    }
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec& codec) const {
        check();
        return inner_.find_by_user(user, codec);
    }

    Inner& inner() noexcept { return inner_; }

private:
    void check() const {
        if (failing_) throw StoreError("store failing on purpose (eh::testing::FailingStore)");
    }
    Inner inner_;
    std::atomic<bool> failing_{false};
};

} // namespace eh::testing
