#pragma once
// A Store policy wrapper whose queries wait at a gate the test closes and opens: a slow or
// hung store on demand, for tests of what such a store must not hold up. Writes pass.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eh/event.hpp"
#include "eh/store/put_stats.hpp"

namespace eh::testing {

template <class Inner>
class GatedStore {
public:
    static constexpr std::string_view name = "gated";

    explicit GatedStore(Inner inner = Inner{}) : inner_(std::move(inner)), gate_(std::make_unique<Gate>()) {}

    /// Queries from now on wait until open().
    void close() {
        std::lock_guard lock(gate_->mutex);
        gate_->closed = true;
    }
    void open() {
        {
            std::lock_guard lock(gate_->mutex);
            gate_->closed = false;
        }
        gate_->changed.notify_all();
    }
    /// Queries waiting at the gate now.
    std::size_t waiting() const {
        std::lock_guard lock(gate_->mutex);
        return gate_->waiting;
    }
    /// Queries that reached the store so far (waiting ones included).
    std::size_t queries() const {
        std::lock_guard lock(gate_->mutex);
        return gate_->queries;
    }

    template <class Codec>
    PutStats put(std::span<const Event> batch, const Codec& codec) {
        return inner_.put(batch, codec);
    }
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec& codec) const {
        pass();
        return inner_.get(ids, codec);
    }
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec& codec) const {
        pass();
        return inner_.find_by_user(user, codec);
    }

    Inner& inner() noexcept { return inner_; }

private:
    struct Gate {
        mutable std::mutex mutex;
        std::condition_variable changed;
        bool closed = false;
        std::size_t waiting = 0, queries = 0;
    };

    void pass() const {
        std::unique_lock lock(gate_->mutex);
        ++gate_->queries;
        ++gate_->waiting;
        gate_->changed.wait(lock, [&] { return !gate_->closed; });
        --gate_->waiting;
    }

    Inner inner_;
    std::unique_ptr<Gate> gate_; // behind a pointer: the store stays movable
};

} // namespace eh::testing
