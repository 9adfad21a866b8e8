#pragma once
// Transport `idle`: delivers nothing, ever. For a daemon that only serves what the store holds
// (events disabled): the ingest loop keeps running on it, so the store's maintain() still runs
// while idle, and no NATS connection is made for events.
#include <chrono>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

namespace eh::transport {

class Idle {
public:
    struct message_type {
        std::string_view data() const noexcept { return {}; }
    };

    /// Waits `wait` (the ingest loop's pace while idle) and appends nothing.
    void fetch(std::vector<message_type>&, std::size_t, std::chrono::milliseconds wait) {
        std::this_thread::sleep_for(wait);
    }
    void ack(std::span<message_type>) {}
    void nak(std::span<message_type>, std::chrono::milliseconds) {}
    void term(std::span<message_type>) {}
};

} // namespace eh::transport
