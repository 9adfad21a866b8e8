#pragma once
// Connections to the master, shared by the ingest loop and concurrent queries: a hiredis
// context is not thread-safe, so each call has one to itself. A failure drops the failed
// connection and every idle one (they point at what may no longer be the master), so the
// next call resolves the master through the sentinels again.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "eh/error.hpp"
#include "eh/store/detail/redis/sentinel.hpp"

namespace eh::store::detail::redis {

class MasterPool {
public:
    MasterPool(SentinelNodes nodes, Credentials credentials, Timeouts timeouts, std::chrono::milliseconds sentinel_timeout)
        : sentinels_(std::move(nodes), sentinel_timeout), credentials_(std::move(credentials)), timeouts_(timeouts) {}

    /// Returns f(MasterLink&), run on a connection to the master. An idle connection that
    /// turns out closed (the master restarted or failed over since) is replaced once by a
    /// freshly resolved one; any other failure is the caller's StoreError.
    template <class F>
    std::invoke_result_t<F, MasterLink&> run(F&& f) {
        for (bool may_retry = true;; may_retry = false) {
            auto [link, generation] = take_idle();
            const bool reused = link.has_value();
            try {
                if (!link) link.emplace(sentinels_.connect_master(credentials_, timeouts_));
                auto result = f(*link);
                give_back(std::move(*link), generation);
                ready_ = true;
                return result;
            } catch (const StoreError&) {
                drop_idle(generation);
                ready_ = false;
                if (!(may_retry && reused && link->conn.broken())) throw;
            }
        }
    }

    /// Whether the last call reached the master.
    bool ready() const noexcept { return ready_; }
    const std::string& master_name() const noexcept { return sentinels_.master_name(); }

private:
    static constexpr std::size_t max_idle = 16;

    std::pair<std::optional<MasterLink>, std::uint64_t> take_idle() {
        std::lock_guard lock(mutex_);
        if (idle_.empty()) return {std::nullopt, generation_};
        std::optional<MasterLink> link(std::move(idle_.back()));
        idle_.pop_back();
        return {std::move(link), generation_};
    }
    void give_back(MasterLink link, std::uint64_t generation) {
        std::lock_guard lock(mutex_);
        if (generation == generation_ && idle_.size() < max_idle) idle_.push_back(std::move(link));
    }
    void drop_idle(std::uint64_t generation) {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return; // another call dropped them already
        ++generation_;
        idle_.clear();
    }

    Sentinels sentinels_;
    Credentials credentials_;
    Timeouts timeouts_;
    std::mutex mutex_;
    std::vector<MasterLink> idle_;
    std::uint64_t generation_ = 0; // bumped when the idle connections are dropped
    std::atomic<bool> ready_{false};
};

} // namespace eh::store::detail::redis
