#pragma once
// Where the gRPC adapter runs its handlers: threads of its own, never gRPC's callback threads,
// so that a slow or hung store holds up only these (health checks, reflection and refusals
// keep answering). At most `limit` calls are admitted at once, queued or running; admit()
// refuses the next one at once instead of queueing without bound. With no threads, admit()
// runs the call on the caller's thread: for histories whose queries never wait on I/O (the
// memory and noop stores), where two thread handoffs per call cost more than the call.
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eh/detail/thread_name.hpp"

namespace eh::server::detail {

/// One admitted call: run() does the work, answer() lets the client see the result. They
/// are apart so that the call's slot is free before the answer goes out: a client may well
/// call again the moment it has it.
class CallJob {
public:
    virtual void run() noexcept = 0;
    virtual void answer() noexcept = 0;

protected:
    ~CallJob() = default;
};

class CallWorkers {
public:
    CallWorkers(std::size_t threads, std::size_t limit) : limit_(std::max<std::size_t>(limit, 1)) {
        threads = std::min(threads, limit_);
        for (std::size_t i = 0; i < threads; ++i)
            threads_.emplace_back([this, i] {
                eh::detail::name_this_thread(("eh-grpc-" + std::to_string(i)).c_str());
                work();
            });
    }
    CallWorkers(const CallWorkers&) = delete;
    CallWorkers& operator=(const CallWorkers&) = delete;
    /// Runs what is queued, then stops.
    ~CallWorkers() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        threads_.clear(); // joins
    }

    /// Queues job (runs it here, with no threads) unless `limit` calls are in flight already;
    /// false then (job not run). The job must live until its answer().
    bool admit(CallJob& job) {
        {
            std::lock_guard lock(mutex_);
            if (in_flight_ >= limit_) return false;
            ++in_flight_;
            if (!threads_.empty()) queue_.push_back(&job);
        }
        if (threads_.empty())
            finish(job);
        else
            ready_.notify_one();
        return true;
    }

    /// Calls admitted and not yet done.
    std::size_t in_flight() const {
        std::lock_guard lock(mutex_);
        return in_flight_;
    }
    std::size_t limit() const noexcept { return limit_; }

private:
    void work() {
        for (;;) {
            CallJob* job = nullptr;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return; // stopping, nothing left
                job = queue_.front();
                queue_.pop_front();
            }
            finish(*job);
        }
    }

    void finish(CallJob& job) {
        job.run();
        {
            std::lock_guard lock(mutex_);
            --in_flight_;
        }
        job.answer();
    }

    const std::size_t limit_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<CallJob*> queue_;
    std::size_t in_flight_ = 0;
    bool stopping_ = false;
    std::vector<std::jthread> threads_; // last: joined first
};

} // namespace eh::server::detail
