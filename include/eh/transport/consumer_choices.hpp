#pragma once
// The JetStream consumer and stream choices, free of cnats so that the configuration can name
// them without linking NATS.
#include <string_view>

namespace eh::transport {

/// Who consumes what.
enum class ConsumerMode {
    /// One durable consumer shared by every instance: they split the events. For stores
    /// that all instances share (nats-js-kv, redis-sentinel).
    shared,
    /// A consumer of this instance's own that replays the stream: each instance sees every
    /// event. For stores private to the process (memory). Removed on a clean stop, and by the
    /// server after a while when the process died.
    instance,
};

/// Where a newly created consumer starts; an existing durable keeps its position.
enum class DeliverPolicy {
    all,      ///< everything the stream retains (the history is ingested on first start)
    new_only, ///< only what is published after the consumer was created ("new")
};

enum class StreamStorage { file, memory };

constexpr std::string_view to_string(ConsumerMode m) noexcept { return m == ConsumerMode::shared ? "shared" : "instance"; }

} // namespace eh::transport
