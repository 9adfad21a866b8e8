#pragma once
// Settings of the `nats_jetstream` transport: ocis's stream and subject `main-queue`, read by a
// durable pull consumer that acks only once the store accepted the write; the connection
// under ocis's names (docs/ocis-contract.md sections 1 and 4).
#include <chrono>
#include <cstdint>
#include <string>

#include "eh/detail/nats/connect.hpp"
#include "eh/transport/consumer_choices.hpp"

namespace eh::transport {

/// Endpoints, connection name, user/password, TLS. Shared with the NATS stores.
using NatsConnectOptions = eh::detail::nats::ConnectOptions;

struct NatsOptions {
    NatsConnectOptions connection;

    /// The stream, created when missing as ocis does: only name and subject, limits retention.
    std::string stream = "main-queue";
    std::string subject = "main-queue";
    StreamStorage storage = StreamStorage::file; ///< only used to create a missing stream
    int replicas = 1;                            ///< idem

    std::string consumer = "eventhistory"; ///< durable name; in instance mode the prefix of a unique one
    ConsumerMode mode = ConsumerMode::shared;
    DeliverPolicy deliver = DeliverPolicy::all;
    /// Instance mode, deliver all: skip, server-side, what the stream stored longer ago than
    /// this (pass the store TTL: those events are expired anyway). 0: replay everything.
    std::chrono::nanoseconds replay_window{0};
    std::int64_t max_ack_pending = 10'000;     ///< ocis#10393 asked for these two
    std::chrono::milliseconds ack_wait{30'000};
    /// Settle each message (ack after the store accepted it, NAK to get it again). Off only
    /// for a consumer of this process alone whose store cannot refuse a write and keeps
    /// nothing beyond the process (memory, noop): the stream is its durable copy, replayed at
    /// start, so the server need not track each message (an AckNone consumer).
    bool acks = true;

    /// Longest wait for one JetStream API reply (stream/consumer setup and info); also never
    /// more than the fetch wait, so that the ingest loop stays stoppable.
    std::chrono::milliseconds api_timeout{2'000};
};

} // namespace eh::transport
