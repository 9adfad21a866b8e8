#pragma once
// What EventHistory counts; the daemon exports these as Prometheus metrics.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace eh {

/// A fixed-bucket latency histogram, lock-free to observe.
class LatencyHistogram {
public:
    /// Upper bounds in seconds (Prometheus "le"); a last implicit +Inf bucket follows.
    static constexpr std::array<double, 13> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                   0.025,  0.05,    0.1,    0.25,  1.0,    5.0};

    void observe(std::chrono::nanoseconds d) noexcept {
        double s = std::chrono::duration<double>(d).count();
        std::size_t i = 0;
        while (i < bounds.size() && s > bounds[i]) ++i;
        buckets_[i].fetch_add(1, std::memory_order_relaxed);
        sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count()), std::memory_order_relaxed);
    }
    /// Count in bucket i (not cumulative); i == bounds.size() is +Inf.
    std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
    double sum_seconds() const noexcept { return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

struct Counters {
    using counter = std::atomic<std::uint64_t>;
    counter received{0};     ///< messages fetched from the transport
    counter stored{0};       ///< events newly stored
    counter duplicates{0};   ///< events whose id the store already held (redeliveries)
    counter expired{0};      ///< events older than the TTL on arrival, not stored
    counter malformed{0};    ///< messages that could not be decoded (and were terminated)
    counter id_fallbacks{0}; ///< events without Metadata.eventid, stored under the envelope ID
    counter store_errors{0}; ///< store writes that failed (transient: the messages were NAKed)
    counter refused{0};      ///< events the store refused max_refusals times (terminated)
    counter evicted{0};      ///< events a bounded store evicted to make room
    counter acks{0}, naks{0}, terms{0};
    counter batches{0};
    LatencyHistogram batch_latency; ///< fetch-to-ack time of each batch that reached the store

    static void add(counter& c, std::uint64_t n) noexcept { c.fetch_add(n, std::memory_order_relaxed); }
};

} // namespace eh
