#pragma once
// A thread that runs a job whenever it is poked, at the lowest CPU priority
// (eh/detail/background_priority.hpp): work that may lag, building the user index.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

#include "eh/detail/background_priority.hpp"
#include "eh/detail/thread_name.hpp"

namespace eh::store::detail::memory {

class BackgroundWorker {
public:
    /// job(stop) runs after each poke (pokes while it runs: once more after); it should
    /// return soon after stop is requested.
    explicit BackgroundWorker(std::function<void(std::stop_token)> job)
        : job_(std::move(job)), thread_([this](std::stop_token stop) { run(stop); }) {}

    BackgroundWorker(const BackgroundWorker&) = delete;
    BackgroundWorker& operator=(const BackgroundWorker&) = delete;
    ~BackgroundWorker() { thread_.request_stop(); } // then jthread joins, before job_ goes

    void poke() {
        {
            std::lock_guard lock(mutex_);
            poked_ = true;
        }
        wake_.notify_one();
    }

private:
    void run(std::stop_token stop) {
        eh::detail::name_this_thread("eh-mem-index");
        eh::detail::lower_this_thread_priority();
        while (!stop.stop_requested()) {
            {
                std::unique_lock lock(mutex_);
                if (!wake_.wait(lock, stop, [&] { return poked_; })) return;
                poked_ = false;
            }
            job_(stop);
        }
    }

    std::function<void(std::stop_token)> job_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    bool poked_ = false;
    std::jthread thread_; // last: it starts running in the constructor, after the rest exists
};

} // namespace eh::store::detail::memory
