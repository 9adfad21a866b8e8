#pragma once
// A Transport policy fed by the test: it hands out queued messages and records how each one
// was settled. NAKed messages can be queued again, as a broker would redeliver them.
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eh::testing {

class ScriptedTransport {
public:
    struct message_type {
        std::string body;
        std::uint64_t seq = 0; ///< order of publication, from 1
        std::string_view data() const noexcept { return body; }
        std::uint64_t sequence() const noexcept { return seq; }
    };

    explicit ScriptedTransport(bool redeliver_naks = false) : redeliver_naks_(redeliver_naks) {}
    ScriptedTransport(ScriptedTransport&& o) noexcept : redeliver_naks_(o.redeliver_naks_) {
        std::lock_guard lock(o.mutex_);
        queue_ = std::move(o.queue_);
        acked_ = std::move(o.acked_);
        naked_ = std::move(o.naked_);
        termed_ = std::move(o.termed_);
        next_seq_ = o.next_seq_;
    }

    /// Queues one message for a later fetch.
    void publish(std::string body) {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(body), next_seq_++});
    }

    void fetch(std::vector<message_type>& out, std::size_t max, std::chrono::milliseconds) {
        std::lock_guard lock(mutex_);
        while (out.size() < max && !queue_.empty()) {
            out.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
    }
    void ack(std::span<message_type> msgs) { record(acked_, msgs); }
    void term(std::span<message_type> msgs) { record(termed_, msgs); }
    void nak(std::span<message_type> msgs, std::chrono::milliseconds delay) {
        std::lock_guard lock(mutex_);
        last_nak_delay_ = delay;
        for (auto& m : msgs) {
            naked_.push_back(m.seq);
            if (redeliver_naks_) queue_.push_back(m);
        }
    }

    /// Sequence numbers of settled messages, in settling order.
    std::vector<std::uint64_t> acked() const { return locked_copy(acked_); }
    std::vector<std::uint64_t> naked() const { return locked_copy(naked_); }
    std::vector<std::uint64_t> termed() const { return locked_copy(termed_); }
    std::chrono::milliseconds last_nak_delay() const {
        std::lock_guard lock(mutex_);
        return last_nak_delay_;
    }
    std::size_t pending() const {
        std::lock_guard lock(mutex_);
        return queue_.size();
    }

private:
    void record(std::vector<std::uint64_t>& into, std::span<message_type> msgs) {
        std::lock_guard lock(mutex_);
        for (auto& m : msgs) into.push_back(m.seq);
    }
    std::vector<std::uint64_t> locked_copy(const std::vector<std::uint64_t>& v) const {
        std::lock_guard lock(mutex_);
        return v;
    }

    mutable std::mutex mutex_;
    bool redeliver_naks_;
    std::deque<message_type> queue_;
    std::vector<std::uint64_t> acked_, naked_, termed_;
    std::uint64_t next_seq_ = 1;
    std::chrono::milliseconds last_nak_delay_{0};
};

} // namespace eh::testing
